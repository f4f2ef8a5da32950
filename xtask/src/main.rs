//! `cargo xtask`: the one entry point that people and CI run.
//!
//! `cargo xtask test` runs these steps, in order:
//! - `unit`: the unit, doc and crate tests of the workspace (everything except the HTTP
//!   integration tests of `crates/mire/tests`);
//! - `build`: builds the `mire` binary and its integration tests once;
//! - `sqlite`: the HTTP integration tests against the real server on SQLite;
//! - `postgres`: the same tests on PostgreSQL, in a fresh database made for this run and
//!   dropped afterwards (`MIRE_TEST_PG_ADMIN_URL`, default
//!   `postgres://postgres@127.0.0.1:5432/postgres`, names the server);
//! - `browser`: the browser suite in `tests/browser` (Node and headless Chromium), once that
//!   folder exists.
//!
//! `--only STEP[,STEP]` picks steps (`build` is added when a later step needs it).
//! Every step runs even when an earlier one failed, except those that need the build.
//! The exit status is non-zero when any step failed.

mod pg;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const STEPS: [&str; 5] = ["unit", "build", "sqlite", "postgres", "browser"];
const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => match parse_only(&args[1..]) {
            Ok(only) => test(&only),
            Err(e) => {
                eprintln!("error: {e}\n");
                usage();
                ExitCode::from(2)
            }
        },
        Some("bench") => bench(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            usage();
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown task {other:?}\n");
            usage();
            ExitCode::from(2)
        }
    }
}

fn usage() {
    eprintln!(
        "usage: cargo xtask test [--only STEP[,STEP...]]\n       \
         cargo xtask bench coworking [--db sqlite,postgres] [--bookings 10000,1000000] [--seconds N] [--concurrency N]\n         \
           [--search municipio,date,amenities,radius,travel,nil]\n\n\
         steps: unit, build, sqlite, postgres, browser (all by default)\n\
         environment:\n  \
           MIRE_TEST_PG_ADMIN_URL  PostgreSQL server used for the postgres step\n                          \
           (default {DEFAULT_PG_ADMIN_URL})"
    );
}

/// `cargo xtask bench coworking [ARGS]`: the coworking load generator
/// (`crates/mire/benches/coworking.rs`), built with optimisations, prints its figures.
fn bench(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("coworking") => {
            let root = workspace_root();
            let mut cmd = cargo(&root);
            cmd.args(["bench", "--package", "mire", "--bench", "coworking", "--"]);
            cmd.args(&args[1..]);
            match run(cmd) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("error: name a benchmark: cargo xtask bench coworking\n");
            usage();
            ExitCode::from(2)
        }
    }
}

fn parse_only(args: &[String]) -> Result<Vec<&'static str>, String> {
    let mut picked: Vec<&'static str> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let list = if arg == "--only" {
            it.next().ok_or("--only needs a step name")?.as_str()
        } else if let Some(v) = arg.strip_prefix("--only=") {
            v
        } else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let step = STEPS
                .iter()
                .find(|s| **s == name)
                .ok_or_else(|| format!("unknown step {name:?}; steps are {}", STEPS.join(", ")))?;
            if !picked.contains(step) {
                picked.push(step);
            }
        }
    }
    if picked.is_empty() {
        return Ok(STEPS.to_vec());
    }
    if picked
        .iter()
        .any(|s| matches!(*s, "sqlite" | "postgres" | "browser"))
        && !picked.contains(&"build")
    {
        picked.push("build");
    }
    Ok(STEPS
        .iter()
        .copied()
        .filter(|s| picked.contains(s))
        .collect())
}

#[derive(Debug)]
enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

fn test(steps: &[&'static str]) -> ExitCode {
    let root = workspace_root();
    let started = Instant::now();
    let mut results: Vec<(&str, Outcome, f64)> = Vec::new();
    let mut built = true;
    for &step in steps {
        banner(step);
        let t = Instant::now();
        let outcome = if !built && matches!(step, "sqlite" | "postgres" | "browser") {
            Outcome::Failed("not run: the build step failed".into())
        } else {
            match step {
                "unit" => unit(&root),
                "build" => build(&root),
                "sqlite" => sqlite(&root),
                "postgres" => postgres(&root),
                "browser" => browser(&root),
                _ => unreachable!(),
            }
        };
        if step == "build" {
            built = matches!(outcome, Outcome::Passed);
        }
        match &outcome {
            Outcome::Passed => println!("==> {step}: passed ({:.0} s)", t.elapsed().as_secs_f64()),
            Outcome::Failed(why) => println!("==> {step}: FAILED: {why}"),
            Outcome::Skipped(why) => println!("==> {step}: SKIPPED: {why}"),
        }
        results.push((step, outcome, t.elapsed().as_secs_f64()));
    }

    println!("\n==================== summary ====================");
    for (step, outcome, secs) in &results {
        let (word, why) = match outcome {
            Outcome::Passed => ("passed", String::new()),
            Outcome::Failed(w) => ("FAILED", format!(" – {w}")),
            Outcome::Skipped(w) => ("SKIPPED", format!(" – {w}")),
        };
        println!("  {step:<9} {word:<8} {secs:>6.0} s{why}");
    }
    let passed = results
        .iter()
        .filter(|r| matches!(r.1, Outcome::Passed))
        .count();
    let failed = results
        .iter()
        .filter(|r| matches!(r.1, Outcome::Failed(_)))
        .count();
    let skipped = results
        .iter()
        .filter(|r| matches!(r.1, Outcome::Skipped(_)))
        .count();
    println!("total time: {:.0} s", started.elapsed().as_secs_f64());
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn banner(step: &str) {
    let what = match step {
        "unit" => "unit, doc and crate tests of the workspace",
        "build" => "building the mire binary and its integration tests",
        "sqlite" => "HTTP integration tests on SQLite",
        "postgres" => "HTTP integration tests on PostgreSQL",
        "browser" => "browser tests (headless Chromium)",
        _ => "",
    };
    println!("\n==================================================");
    println!("== {step}: {what}");
    println!("==================================================");
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn target_dir(root: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                root.join(d)
            }
        }
        _ => root.join("target"),
    }
}

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root);
    cmd
}

/// Runs `cmd`, echoing it first; `Err` describes a failure to start or a non-zero exit.
fn run(mut cmd: Command) -> Result<(), String> {
    let shown = shown(&cmd);
    println!("$ {shown}");
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{shown}` exited with {s}")),
        Err(e) => Err(format!("`{shown}` could not start: {e}")),
    }
}

fn shown(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Passed,
        Err(e) => Outcome::Failed(e),
    }
}

fn unit(root: &Path) -> Outcome {
    // Every crate's own tests (lib, bins, tests/, doc tests), then the binary's unit tests;
    // the binary's HTTP tests need a database choice and run in their own steps.
    let mut all = cargo(root);
    all.args(["test", "--workspace", "--exclude", "mire", "--no-fail-fast"]);
    let r1 = run(all);
    let mut bin = cargo(root);
    bin.args(["test", "--package", "mire", "--bins", "--no-fail-fast"]);
    let r2 = run(bin);
    outcome(r1.and(r2))
}

fn build(root: &Path) -> Outcome {
    let mut bin = cargo(root);
    bin.args(["build", "--package", "mire", "--bin", "mire"]);
    let mut tests = cargo(root);
    tests.args(["test", "--package", "mire", "--tests", "--no-run"]);
    outcome(run(bin).and_then(|_| run(tests)))
}

/// The integration tests of `crates/mire/tests`; `database` is the base PostgreSQL URL, or
/// `None` for SQLite (each test server then makes its own SQLite file).
fn integration(root: &Path, database: Option<&str>) -> Result<(), String> {
    let mut cmd = cargo(root);
    cmd.args(["test", "--package", "mire", "--tests", "--no-fail-fast"]);
    match database {
        Some(url) => cmd.env("MIRE_TEST_DATABASE", url),
        None => cmd.env_remove("MIRE_TEST_DATABASE"),
    };
    run(cmd)
}

fn sqlite(root: &Path) -> Outcome {
    outcome(integration(root, None))
}

fn postgres(root: &Path) -> Outcome {
    let admin_url =
        env::var("MIRE_TEST_PG_ADMIN_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned());
    let admin = match pg::PgUrl::parse(&admin_url) {
        Ok(a) => a,
        Err(e) => return Outcome::Failed(format!("MIRE_TEST_PG_ADMIN_URL: {e}")),
    };
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!("mire_test_{}_{}", std::process::id(), secs);
    if let Err(e) = pg::create_database(&admin, &name) {
        return Outcome::Failed(format!(
            "cannot create the test database on {}: {e}. Start PostgreSQL (user postgres, trust \
             authentication) or point MIRE_TEST_PG_ADMIN_URL at one.",
            admin.to_url()
        ));
    }
    let url = admin.with_database(&name).to_url();
    println!("created database {name}");
    let result = integration(root, Some(&url));

    // The tests make one database per server, named after this one; drop them all.
    let cleanup = pg::databases_with_prefix(&admin, &name).and_then(|names| {
        for n in &names {
            pg::drop_database(&admin, n)?;
        }
        Ok(names.len())
    });
    match &cleanup {
        Ok(n) => println!("dropped {n} test database(s) named {name}*"),
        Err(e) => println!("warning: could not drop the test databases {name}*: {e}"),
    }
    outcome(result)
}

fn browser(root: &Path) -> Outcome {
    let dir = root.join("tests").join("browser");
    if !dir.is_dir() {
        return Outcome::Skipped(format!(
            "{} does not exist yet: there is no browser suite to run",
            dir.display()
        ));
    }
    let mire = target_dir(root).join("debug").join("mire");
    let chromium = env::var("CHROMIUM_BIN")
        .ok()
        .filter(|p| !p.is_empty())
        .into_iter()
        .chain([
            "/usr/bin/chromium".to_owned(),
            "/usr/bin/chromium-browser".to_owned(),
        ])
        .find(|p| Path::new(p).exists());
    let Some(chromium) = chromium else {
        return Outcome::Failed(
            "the browser suite needs Debian's chromium (apt-get install -y chromium \
             chromium-driver; .ci/run installs it)"
                .into(),
        );
    };
    let with_env = |mut cmd: Command| {
        cmd.current_dir(&dir)
            .env("MIRE_BIN", &mire)
            .env("CHROMIUM_BIN", &chromium);
        cmd
    };
    let result = if dir.join("package.json").is_file() {
        let install = if dir.join("node_modules").is_dir() {
            Ok(())
        } else {
            let mut npm = with_env(Command::new("npm"));
            if dir.join("package-lock.json").is_file() {
                npm.args(["ci", "--no-audit", "--no-fund"]);
            } else {
                npm.args(["install", "--no-audit", "--no-fund"]);
            }
            run(npm)
        };
        install.and_then(|_| {
            let mut npm = with_env(Command::new("npm"));
            npm.args(["test"]);
            run(npm)
        })
    } else {
        let mut node = with_env(Command::new("node"));
        node.args(["--test", "."]);
        run(node)
    };
    outcome(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_picks_steps_in_order_and_adds_the_build() {
        assert_eq!(parse_only(&[]).unwrap(), STEPS.to_vec());
        assert_eq!(parse_only(&args(&["--only", "unit"])).unwrap(), ["unit"]);
        assert_eq!(
            parse_only(&args(&["--only", "postgres,sqlite"])).unwrap(),
            ["build", "sqlite", "postgres"]
        );
        assert_eq!(
            parse_only(&args(&["--only=browser", "--only", "unit"])).unwrap(),
            ["unit", "build", "browser"]
        );
        assert!(parse_only(&args(&["--only", "mysql"])).is_err());
        assert!(parse_only(&args(&["--only"])).is_err());
        assert!(parse_only(&args(&["sqlite"])).is_err());
    }

    #[test]
    fn postgres_urls() {
        let u = pg::PgUrl::parse("postgres://postgres@127.0.0.1:5432/mire_test_1").unwrap();
        assert_eq!(
            (
                u.user.as_str(),
                u.password.as_deref(),
                u.host.as_str(),
                u.port
            ),
            ("postgres", None, "127.0.0.1", 5432)
        );
        assert_eq!(u.database, "mire_test_1");
        assert_eq!(
            u.with_database("other").to_url(),
            "postgres://postgres@127.0.0.1:5432/other"
        );
        let u =
            pg::PgUrl::parse("postgresql://me:secret@db.example:6543/app?sslmode=disable").unwrap();
        assert_eq!(
            (
                u.user.as_str(),
                u.password.as_deref(),
                u.port,
                u.database.as_str()
            ),
            ("me", Some("secret"), 6543, "app")
        );
        assert_eq!(
            pg::PgUrl::parse("postgres://localhost").unwrap().database,
            "postgres"
        );
        assert!(pg::PgUrl::parse("sqlite://x.db").is_err());
    }
}
