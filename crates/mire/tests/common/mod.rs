//! What the HTTP integration tests share: a real `mire` server per test, its command line,
//! clients for the JSON API and for the web pages, and generators of test data.
//!
//! Every [`TestServer`] runs the built binary (`mire serve --no-demo --listen 127.0.0.1:0`)
//! on a database of its own: a SQLite file in a fresh temporary folder, or, when
//! `MIRE_TEST_DATABASE` holds a `postgres://` URL (as `cargo xtask test` sets it), a new
//! database created next to that one and dropped when the server is dropped. Test data is
//! nevertheless made unique (random e-mail suffixes and tax codes), so the tests would also
//! hold on a shared database.

#![allow(dead_code)]

#[path = "../../../../xtask/src/pg.rs"]
mod pg;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The binary under test, built by cargo for the integration tests.
pub const MIRE: &str = env!("CARGO_BIN_EXE_mire");

/// An upper bound on how long the server may take to start; reaching it is a failure.
const START_TIMEOUT: Duration = Duration::from_secs(90);

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_number() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Random data
// ---------------------------------------------------------------------------------------------

/// A small seeded generator (SplitMix64), so that a failing run can be replayed with
/// `MIRE_TEST_SEED=<seed printed by the test>`.
pub struct Rng {
    state: u64,
    pub seed: u64,
}

impl Rng {
    pub fn new() -> Rng {
        let seed = match std::env::var("MIRE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            Some(seed) => seed,
            None => {
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                (nanos as u64)
                    ^ (u64::from(std::process::id()) << 32)
                    ^ unique_number().wrapping_mul(0x9E37_79B9)
            }
        };
        eprintln!("test data seed: {seed} (replay with MIRE_TEST_SEED={seed})");
        Rng { state: seed, seed }
    }

    /// A generator for unique names only (nothing to replay), seeded without a message.
    pub fn quiet() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let seed = (nanos as u64) ^ unique_number().wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng { state: seed, seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A short lower-case suffix that also differs between processes and calls.
    pub fn suffix(&mut self) -> String {
        format!(
            "{:x}{:x}{:06x}",
            std::process::id(),
            unique_number(),
            self.next_u64() & 0xFF_FFFF
        )
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// The check digit of a partita IVA from its first ten digits: digits in odd positions
/// (1st, 3rd, ...) count as they are, those in even positions are doubled (minus 9 when the
/// double exceeds 9); the check digit brings the sum to a multiple of ten.
pub fn vat_check_digit(first_ten: &[u8]) -> u8 {
    let sum: u32 = first_ten
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A random partita IVA with a correct check digit.
pub fn random_vat(rng: &mut Rng) -> String {
    let mut d: Vec<u8> = (0..10).map(|_| rng.below(10) as u8).collect();
    // The first seven digits are the company's number in the register; never all zero.
    d[0] = 1 + rng.below(9) as u8;
    let c = vat_check_digit(&d);
    d.push(c);
    d.iter().map(|x| char::from(b'0' + x)).collect()
}

/// The same partita IVA with a wrong check digit.
pub fn wrong_check_digit(vat: &str) -> String {
    let mut b = vat.as_bytes().to_vec();
    let last = b[10] - b'0';
    b[10] = b'0' + (last + 1 + (last % 8)) % 10;
    assert_ne!(b[10], vat.as_bytes()[10]);
    String::from_utf8(b).unwrap()
}

/// The check letter of a person's codice fiscale from its first 15 characters.
pub fn personal_code_check_letter(first15: &str) -> char {
    // Values of characters in odd positions (1st, 3rd, ...); digits count as A to J.
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let value = |c: u8| {
        if c.is_ascii_digit() {
            (c - b'0') as usize
        } else {
            (c - b'A') as usize
        }
    };
    let sum: u32 = first15
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                ODD[value(c)]
            } else {
                value(c) as u32
            }
        })
        .sum();
    char::from(b'A' + (sum % 26) as u8)
}

/// A random but well-formed codice fiscale of a person (as a sole trader uses).
pub fn random_personal_code(rng: &mut Rng) -> String {
    let letter = |rng: &mut Rng| char::from(b'A' + rng.below(26) as u8);
    let digit = |rng: &mut Rng| char::from(b'0' + rng.below(10) as u8);
    let mut s = String::new();
    for _ in 0..6 {
        s.push(letter(rng));
    }
    s.push(digit(rng));
    s.push(digit(rng));
    s.push(*rng.pick(&['A', 'B', 'C', 'D', 'E', 'H', 'L', 'M', 'P', 'R', 'S', 'T']));
    let day = 1 + rng.below(28) + if rng.below(2) == 0 { 0 } else { 40 };
    s.push_str(&format!("{day:02}"));
    s.push(letter(rng));
    for _ in 0..3 {
        s.push(digit(rng));
    }
    let check = personal_code_check_letter(&s);
    s.push(check);
    s
}

// ---------------------------------------------------------------------------------------------
// Places of Milan with their Municipio and NIL, from the Comune's open data
// (ds379 Municipi, ds964 NIL), and places outside the city.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub name: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub municipio: i64,
    pub nil_id: i64,
}

pub const DUOMO: Place = Place {
    name: "Piazza del Duomo",
    lat: 45.4642,
    lon: 9.1900,
    municipio: 1,
    nil_id: 1,
};
pub const BICOCCA: Place = Place {
    name: "Bicocca",
    lat: 45.5136,
    lon: 9.2110,
    municipio: 9,
    nil_id: 15,
};
pub const CORVETTO: Place = Place {
    name: "Corvetto",
    lat: 45.4390,
    lon: 9.2240,
    municipio: 4,
    nil_id: 35,
};
pub const CITTA_STUDI: Place = Place {
    name: "Città Studi",
    lat: 45.4780,
    lon: 9.2270,
    municipio: 3,
    nil_id: 22,
};
pub const BAGGIO: Place = Place {
    name: "Baggio",
    lat: 45.4620,
    lon: 9.0880,
    municipio: 7,
    nil_id: 55,
};
pub const PLACES: [Place; 5] = [DUOMO, BICOCCA, CORVETTO, CITTA_STUDI, BAGGIO];

/// Coordinates that are valid on Earth but not in the Comune di Milano.
pub const OUTSIDE_MILAN: [(&str, f64, f64); 4] = [
    ("Monza", 45.5845, 9.2744),
    ("Sesto San Giovanni", 45.5350, 9.2350),
    ("Rho", 45.53, 9.04),
    ("Roma", 41.9, 12.5),
];

/// The body of a valid `POST /api/v1/organizations`.
pub fn organization_body(rng: &mut Rng, kind: &str, place: Place) -> Value {
    json!({
        "name": format!("Prova {} {}", kind.replace('_', " "), rng.suffix()),
        "kind": kind,
        "tax_code": random_vat(rng),
        "size_class": "small",
        "sector": "Servizi",
        "address": format!("{}, Milano", place.name),
        "lat": place.lat,
        "lon": place.lon,
    })
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/// How to start a server.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Load the demo seed (fictional organisations and users).
    pub demo: bool,
    /// Keep the server's own (small) rate limits instead of raising them for the test.
    pub default_rate_limits: bool,
    pub env: Vec<(String, String)>,
}

/// A `mire serve` process on a database of its own; stopped (and its database dropped) on drop.
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT`, as printed by the server.
    pub url: String,
    pub database_url: String,
    dir: PathBuf,
    pg: Option<(pg::PgUrl, String)>,
    log: Arc<Mutex<Vec<String>>>,
    exit: Option<ExitStatus>,
}

/// A user made with `mire admin create-user`, with an API token made by `mire admin token`.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub token: String,
    pub api: Api,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(ServerOptions::default())
    }

    pub fn start_with(options: ServerOptions) -> TestServer {
        let n = unique_number();
        let dir = std::env::temp_dir().join(format!(
            "mire-test-{}-{}-{}",
            std::process::id(),
            n,
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(dir.join("outbox")).expect("create the test folder");

        let (database_url, pg) = match std::env::var("MIRE_TEST_DATABASE")
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            Some(base) => {
                let base = pg::PgUrl::parse(&base).unwrap_or_else(|e| {
                    panic!("MIRE_TEST_DATABASE must be a postgres:// URL: {e}")
                });
                let name = format!("{}_{}_{}", base.database, std::process::id(), n);
                pg::create_database(&base, &name)
                    .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
                (base.with_database(&name).to_url(), Some((base, name)))
            }
            None => (format!("sqlite://{}", dir.join("mire.db").display()), None),
        };

        let mut cmd = Command::new(MIRE);
        cmd.arg("serve").args(["--listen", "127.0.0.1:0"]);
        if !options.demo {
            cmd.arg("--no-demo");
        }
        clean_env(&mut cmd, &dir, &database_url);
        if !options.default_rate_limits {
            cmd.env("MIRE_RATE_LIMIT_SIGNUP_PER_HOUR", "100000")
                .env("MIRE_RATE_LIMIT_LOGIN_PER_15MIN", "100000");
        }
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {MIRE}: {e}"));

        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(url) = listening_url(&line) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(url);
                        }
                    }
                    log.lock().unwrap().push(format!("[stdout] {line}"));
                }
            });
        }
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(format!("[stderr] {line}"));
                }
            });
        }

        let mut server = TestServer {
            child,
            url: String::new(),
            database_url,
            dir,
            pg,
            log,
            exit: None,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => server.url = url,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = server.child.wait().ok();
                server.exit = status;
                panic!(
                    "the server exited ({status:?}) without printing 'MIRE listening on http://...':\n{}",
                    server.log_text()
                );
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "the server did not print 'MIRE listening on http://...' within {START_TIMEOUT:?}:\n{}",
                    server.log_text()
                );
            }
        }
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote so far, both streams interleaved by line.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The folder where the server writes e-mails when no SMTP server is configured.
    pub fn outbox(&self) -> PathBuf {
        self.dir.join("outbox")
    }

    /// Runs `mire ARGS` on this server's database (as an operator would).
    pub fn mire(&self, args: &[&str]) -> CliOutput {
        run_cli(&self.dir, &self.database_url, args)
    }

    /// A user with `role` (in organisation `org` for organisation roles), and an API token.
    pub fn actor(&self, role: &str, org: Option<i64>) -> Actor {
        let mut rng = Rng::quiet();
        let email = format!("{}-{}@example.org", role.replace('_', "-"), rng.suffix());
        let password = format!("Pw-{}-correct-horse", rng.suffix());
        let name = format!("Test {role}");
        let mut args = vec![
            "admin",
            "create-user",
            "--email",
            &email,
            "--password",
            &password,
            "--role",
            role,
        ];
        let org_text = org.map(|o| o.to_string());
        if let Some(o) = &org_text {
            args.extend(["--org", o]);
        }
        args.extend(["--name", &name]);
        let out = self.mire(&args);
        assert!(out.success, "mire admin create-user failed:\n{out}");
        let id: i64 = out.stdout.trim().parse().unwrap_or_else(|_| {
            panic!("mire admin create-user must print the new user id alone:\n{out}")
        });
        let token = self.token(&email);
        Actor {
            id,
            email,
            password,
            api: self.api(Some(&token)),
            token,
        }
    }

    /// A person with no organisation yet: the role every sign-up starts with.
    pub fn person(&self) -> Actor {
        self.actor("worker", None)
    }

    pub fn coordinator(&self) -> Actor {
        self.actor("coordinator", None)
    }

    /// A new API token of the user `email`, made by `mire admin token`.
    pub fn token(&self, email: &str) -> String {
        let out = self.mire(&["admin", "token", "--email", email]);
        assert!(out.success, "mire admin token failed:\n{out}");
        let token = out.stdout.trim().to_owned();
        assert!(
            !token.is_empty() && !token.contains(char::is_whitespace),
            "mire admin token must print the token alone on stdout:\n{out}"
        );
        token
    }

    /// A client of the JSON API, with a bearer token or anonymous.
    pub fn api(&self, token: Option<&str>) -> Api {
        Api::new(&self.url, token)
    }

    /// A browser-like client of the web pages: keeps cookies, does not follow redirects.
    pub fn web(&self) -> Web {
        Web::new(&self.url)
    }

    /// Sends `signal` (e.g. `libc::SIGTERM`) to the server process.
    pub fn signal(&self, signal: i32) {
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({}, {signal}) failed", self.child.id());
    }

    /// Waits for the server to exit, failing the test after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        use std::os::unix::process::ExitStatusExt;
        if let Some(s) = self.exit {
            return s;
        }
        // A blocking waitpid in a thread, and a bounded wait for its answer.
        let pid = self.child.id() as libc::pid_t;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut status: libc::c_int = 0;
            let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
            let _ = tx.send((rc, status));
        });
        match rx.recv_timeout(limit) {
            Ok((rc, status)) if rc == pid => {
                let s = ExitStatus::from_raw(status);
                self.exit = Some(s);
                s
            }
            Ok((rc, _)) => panic!("waitpid({pid}) returned {rc}"),
            Err(_) => panic!(
                "the server did not exit within {limit:?}:\n{}",
                self.log_text()
            ),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "---- server log ({}) ----\n{}\n---- end of server log ----",
                self.url,
                self.log_text()
            );
        }
        if let Some((admin, name)) = &self.pg {
            if let Err(e) = pg::drop_database(admin, name) {
                eprintln!("warning: could not drop test database {name}: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The environment of a server or CLI run: nothing inherited that could change its behaviour
/// (MIRE_* variables, DATABASE_URL, a mire.toml in the working folder).
fn clean_env(cmd: &mut Command, dir: &Path, database_url: &str) {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MIRE_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("MIRE_OUTBOX_DIR", dir.join("outbox"))
        // Plain log lines, readable when a failing test prints them.
        .env("NO_COLOR", "1")
        .env_remove("SMTP_URL");
}

/// Finds `http://...` after "listening on" in a line of the server's output.
fn listening_url(line: &str) -> Option<String> {
    let at = line.find("listening on http://")?;
    let rest = &line[at + "listening on ".len()..];
    let url: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
        .collect();
    Some(url.trim_end_matches('/').to_owned())
}

/// The result of a `mire` command.
#[derive(Debug)]
pub struct CliOutput {
    pub args: String,
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for CliOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ mire {}\nexit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

pub fn run_cli(dir: &Path, database_url: &str, args: &[&str]) -> CliOutput {
    let mut cmd = Command::new(MIRE);
    cmd.args(args);
    clean_env(&mut cmd, dir, database_url);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {MIRE}: {e}"));
    CliOutput {
        args: args.join(" "),
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh folder and database for CLI tests that need no server; cleaned up on drop.
pub struct Scratch {
    pub dir: PathBuf,
    pub database_url: String,
    pg: Option<(pg::PgUrl, String)>,
}

impl Scratch {
    pub fn new() -> Scratch {
        let n = unique_number();
        let dir = std::env::temp_dir().join(format!("mire-cli-{}-{}", std::process::id(), n));
        std::fs::create_dir_all(dir.join("outbox")).expect("create the test folder");
        let (database_url, pg) = match std::env::var("MIRE_TEST_DATABASE")
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            Some(base) => {
                let base =
                    pg::PgUrl::parse(&base).expect("MIRE_TEST_DATABASE must be a postgres:// URL");
                let name = format!("{}_{}_{}c", base.database, std::process::id(), n);
                pg::create_database(&base, &name)
                    .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
                (base.with_database(&name).to_url(), Some((base, name)))
            }
            None => (format!("sqlite://{}", dir.join("mire.db").display()), None),
        };
        Scratch {
            dir,
            database_url,
            pg,
        }
    }

    pub fn mire(&self, args: &[&str]) -> CliOutput {
        run_cli(&self.dir, &self.database_url, args)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = pg::drop_database(admin, name);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP clients
// ---------------------------------------------------------------------------------------------

/// One HTTP exchange, kept whole so that a failing assertion can show it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub request: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default()
    }

    /// The body as JSON; fails the test when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}):\n{self}"))
    }

    /// Asserts the status and returns the JSON body.
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected status:\n{self}");
        if self.body.is_empty() {
            return Value::Null;
        }
        self.json()
    }

    /// Asserts an API error: the status, a JSON body `{"code": code, "message": "..."}`.
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "unexpected status:\n{self}");
        let v = self.json();
        assert_eq!(v["code"], code, "unexpected error code:\n{self}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
            "an error needs a message:\n{self}"
        );
        v
    }

    /// Asserts a 422 naming `field` among the invalid fields.
    pub fn expect_invalid(&self, field: &str) -> Value {
        let v = self.expect_error(422, "invalid");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert!(
            fields.contains(&field),
            "expected field {field:?} among the invalid fields {fields:?}:\n{self}"
        );
        v
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut body = self.text();
        if body.len() > 2000 {
            let mut cut = 2000;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push('…');
        }
        write!(
            f,
            "{}\n<- {} ({})\n{}",
            self.request,
            self.status,
            self.content_type(),
            body
        )
    }
}

fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() > 300 {
        let mut cut = 300;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}… ({} bytes)", &text[..cut], body.len())
    } else {
        text.into_owned()
    }
}

/// A client of the JSON API.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    pub fn new(base: &str, token: Option<&str>) -> Api {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        Api {
            http,
            base: base.to_owned(),
            token: token.map(str::to_owned),
        }
    }

    pub fn with_token(&self, token: Option<&str>) -> Api {
        Api {
            token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    /// Sends a request with a raw body (`content_type` None: no Content-Type header).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        self.send_full(method, path, content_type, body, &[]).await
    }

    /// A bodiless request with one more header.
    pub async fn send_with_header(
        &self,
        method: &str,
        path: &str,
        name: &str,
        value: &str,
    ) -> Reply {
        self.send_full(method, path, None, Vec::new(), &[(name, value)])
            .await
    }

    pub async fn send_full(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{}", self.base, path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method.clone(), &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let described = format!(
            "-> {method} {path}{}{}{}\n   {}",
            content_type.map(|c| format!(" [{c}]")).unwrap_or_default(),
            if self.token.is_some() {
                " (bearer token)"
            } else {
                " (no token)"
            },
            headers
                .iter()
                .map(|(k, v)| format!(" {k}: {v}"))
                .collect::<String>(),
            describe_body(&body)
        );
        if !body.is_empty() {
            req = req.body(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}\n{described}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        Reply {
            request: described,
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, Vec::new()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None, Vec::new()).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(
            "POST",
            path,
            Some("application/json"),
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    // A few calls every test needs.

    pub async fn create_organization(&self, body: &Value) -> Value {
        self.post("/api/v1/organizations", body).await.expect(201)
    }

    pub async fn request_membership(&self, organization_id: i64, action_lines: &[&str]) -> Value {
        let body = json!({
            "organization_id": organization_id,
            "message": "Vorremmo entrare nell'alleanza.",
            "action_lines": action_lines,
        });
        self.post("/api/v1/alliance/membership-requests", &body)
            .await
            .expect(201)
    }

    pub async fn members(&self, query: &str) -> Vec<Value> {
        let v = self
            .get(&format!("/api/v1/alliance/members{query}"))
            .await
            .expect(200);
        v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("members without items: {v}"))
            .clone()
    }

    pub async fn organizations(&self) -> Vec<Value> {
        let v = self.get("/api/v1/organizations").await.expect(200);
        v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("organizations without items: {v}"))
            .clone()
    }

    pub async fn membership_requests(&self) -> Vec<Value> {
        let v = self
            .get("/api/v1/alliance/membership-requests")
            .await
            .expect(200);
        v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("membership requests without items: {v}"))
            .clone()
    }
}

/// Posts a body the way careful clients send large ones: headers first with
/// `Expect: 100-continue`, the body only once the server asks for it. A server that refuses
/// the request from its headers (e.g. 413 for the length) answers at once, and the answer can
/// be read reliably, which is not the case when the client pushes megabytes the server will
/// never read.
pub fn post_expecting_continue(api: &Api, path: &str, content_type: &str, body: &[u8]) -> Reply {
    use std::io::Write;
    let authority = api.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&authority).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(t) = &api.token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the headers");
    let request = format!(
        "-> POST {path} [{content_type}] (Expect: 100-continue)\n   {}",
        describe_body(body)
    );

    let mut reader = BufReader::new(stream.try_clone().expect("clone the socket"));
    let (mut status, mut headers) = read_head(&mut reader);
    let mut writer = None;
    if status == 100 {
        // The body goes out from another thread while this one reads: a server may answer
        // (413) and close before it has read everything, and that answer must not be lost.
        let body = body.to_vec();
        writer = Some(std::thread::spawn(move || {
            let _ = stream.write_all(&body);
        }));
        (status, headers) = read_head(&mut reader);
    }
    let length = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut rest = Vec::new();
    match length {
        Some(n) => {
            rest.resize(n, 0);
            if let Err(e) = reader.read_exact(&mut rest) {
                panic!("the answer to a large request was cut short ({e}):\n{request}");
            }
        }
        None => {
            let _ = reader.read_to_end(&mut rest);
        }
    }
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        rest = unchunk(&rest);
        headers.remove("transfer-encoding");
    }
    drop(reader);
    if let Some(w) = writer {
        // The server closes the connection after answering, which ends a pending write.
        let _ = w.join();
    }
    Reply {
        request,
        status,
        headers,
        body: rest,
    }
}

fn read_head(reader: &mut impl BufRead) -> (u16, reqwest::header::HeaderMap) {
    let mut status_line = String::new();
    if let Err(e) = reader.read_line(&mut status_line) {
        panic!("no answer from the server: {e}");
    }
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = reqwest::header::HeaderMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(v.trim()),
            ) {
                headers.append(k, v);
            }
        }
    }
    (status, headers)
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = &data[(end + 2).min(data.len())..];
    }
    out
}

/// The messages in a server's outbox addressed to `email`.
pub fn outbox_messages_to(server: &TestServer, email: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(server.outbox()) else {
        return Vec::new();
    };
    let mut messages: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| read_to_string_lossy(&p))
        .filter(|m| {
            m.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(email))
        })
        .collect();
    messages.sort();
    messages
}

/// Decodes the character references of an HTML text (`&lt;`, `&#60;`, `&#x3C;`, ...).
pub fn html_decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let entity = &rest[1..e];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ if entity.starts_with("#x") || entity.starts_with("#X") => {
                    u32::from_str_radix(&entity[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if entity.starts_with('#') => entity[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A browser-like client of the web pages: a cookie jar, no automatic redirects.
pub struct Web {
    http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
}

impl Web {
    pub fn new(base: &str) -> Web {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        Web {
            http,
            jar,
            base: base.to_owned(),
        }
    }

    /// The value of cookie `name` as this browser would send it to the server.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().expect("server URL");
        let header = self.jar.cookies(&url)?;
        let header = header.to_str().ok()?.to_owned();
        header
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    pub async fn get(&self, path: &str) -> Reply {
        let resp = self
            .http
            .get(format!("{}{}", self.base, path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} failed: {e}"));
        reply(format!("-> GET {path}"), resp).await
    }

    /// Posts a form (`application/x-www-form-urlencoded`) as a browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = form_encode(fields);
        let resp = self
            .http
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path} failed: {e}"));
        reply(
            format!("-> POST {path}\n   {}", describe_body(body.as_bytes())),
            resp,
        )
        .await
    }

    /// The CSRF token of the form on `path` (the hidden `csrf` field).
    pub async fn csrf(&self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{page}");
        hidden_field(&page.text(), "csrf")
            .unwrap_or_else(|| panic!("no hidden csrf field on {path}:\n{page}"))
    }
}

async fn reply(request: String, resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Reply {
        request,
        status,
        headers,
        body,
    }
}

/// `application/x-www-form-urlencoded` encoding.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    out.push(char::from(b))
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of `<input ... name="NAME" ... value="...">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let needle_dq = format!("name=\"{name}\"");
    let needle_sq = format!("name='{name}'");
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag_end = rest[start..].find('>').map(|e| start + e)?;
        let tag = &rest[start..tag_end];
        if tag.contains(&needle_dq) || tag.contains(&needle_sq) {
            for quote in ['"', '\''] {
                let key = format!("value={quote}");
                if let Some(v) = tag.find(&key) {
                    let from = v + key.len();
                    let to = tag[from..].find(quote)? + from;
                    return Some(html_unescape(&tag[from..to]));
                }
            }
        }
        rest = &rest[tag_end..];
    }
    None
}

fn html_unescape(s: &str) -> String {
    html_decode(s)
}

/// Reads a file fully; for `.eml` files in the outbox.
pub fn read_to_string_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .expect("read file");
    String::from_utf8_lossy(&bytes).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Tests of the helpers themselves
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Coworking
// ---------------------------------------------------------------------------------------------

/// `n` users with `role` (in organisation `org`), each with an API token, made by `mire
/// admin` from a few threads at once (each command is a process of its own).
pub fn actors(server: &TestServer, role: &str, org: Option<i64>, n: usize) -> Vec<Actor> {
    let workers = 4.min(n.max(1));
    let mut out: Vec<Actor> = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let count = n / workers + usize::from(w < n % workers);
                scope.spawn(move || {
                    (0..count)
                        .map(|_| server.actor(role, org))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            out.extend(h.join().expect("making actors"));
        }
    });
    out
}

/// Today's date in Milan, the date the server books against.
pub fn milan_today() -> chrono::NaiveDate {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    mire_domain::coworking::milan_time(now).date()
}

/// `YYYY-MM-DD`, `days` after today in Milan (negative: before).
pub fn milan_day(days: i64) -> String {
    (milan_today() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Every day of the week, 08:00 to 20:00.
pub fn open_every_day() -> Value {
    json!({ "mon": "08:00-20:00", "tue": "08:00-20:00", "wed": "08:00-20:00", "thu": "08:00-20:00",
            "fri": "08:00-20:00", "sat": "08:00-20:00", "sun": "08:00-20:00" })
}

/// A coworking operator (organisation and representative) with one space; `extra` fields are
/// merged into the space's body. Returns the operator and the space's JSON.
pub async fn coworking_space(server: &TestServer, place: Place, extra: Value) -> (Actor, Value) {
    let mut rng = Rng::quiet();
    let operator = server.person();
    let org = operator
        .api
        .create_organization(&organization_body(&mut rng, "coworking_operator", place))
        .await;
    let mut body = json!({
        "organization_id": org["id"],
        "name": format!("Spazio prova {}", rng.suffix()),
        "description_it": "Uno spazio di prova.",
        "address": format!("{}, Milano", place.name),
        "lat": place.lat,
        "lon": place.lon,
        "opening_hours": open_every_day(),
        "amenities": ["wifi"],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let space = operator
        .api
        .post("/api/v1/coworking/spaces", &body)
        .await
        .expect(201);
    (operator, space)
}

/// Adds a resource to a space as its operator; returns its JSON.
pub async fn coworking_resource(
    operator: &Actor,
    space_id: i64,
    kind: &str,
    seats: i64,
    price_cents: i64,
) -> Value {
    operator
        .api
        .post(
            &format!("/api/v1/coworking/spaces/{space_id}/resources"),
            &json!({ "kind": kind, "name": format!("{kind} {seats}"), "seats": seats, "price_cents": price_cents }),
        )
        .await
        .expect(201)
}

/// A browser session of `actor`, signed in through the login form.
pub async fn signed_in(server: &TestServer, actor: &Actor) -> Web {
    let web = server.web();
    let csrf = web.csrf("/accedi").await;
    let login = web
        .post_form(
            "/accedi",
            &[
                ("email", &actor.email),
                ("password", &actor.password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(
        (300..400).contains(&login.status),
        "a successful login redirects:\n{login}"
    );
    web
}

/// `PUT path` with a JSON body.
pub async fn put_json(api: &Api, path: &str, body: &Value) -> Reply {
    api.send(
        "PUT",
        path,
        Some("application/json"),
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_known_codes() {
        // Comune di Milano's partita IVA, and a textbook example.
        for known in ["01199250158", "12345678903"] {
            let d: Vec<u8> = known.bytes().map(|b| b - b'0').collect();
            assert_eq!(vat_check_digit(&d[..10]), d[10], "{known}");
        }
        assert_eq!(personal_code_check_letter("RSSMRA85T10A562"), 'S');
        let mut rng = Rng::new();
        for _ in 0..100 {
            let v = random_vat(&mut rng);
            assert_eq!(v.len(), 11);
            let w = wrong_check_digit(&v);
            assert_ne!(v, w);
            assert_eq!(random_personal_code(&mut rng).len(), 16);
        }
    }

    #[test]
    fn finds_hidden_fields_and_urls() {
        let html =
            r#"<form><input type="hidden" name="csrf" value="a&amp;b"><input name="email"></form>"#;
        assert_eq!(hidden_field(html, "csrf").as_deref(), Some("a&b"));
        assert_eq!(hidden_field(html, "email"), None);
        assert_eq!(
            listening_url("MIRE listening on http://127.0.0.1:41234").as_deref(),
            Some("http://127.0.0.1:41234")
        );
        assert_eq!(form_encode(&[("a b", "è&=")]), "a+b=%C3%A8%26%3D");
        assert_eq!(
            html_decode("&#60;b&#62; &amp;&lt;&#x27;&unknown; & x"),
            "<b> &<'&unknown; & x"
        );
        assert_eq!(unchunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), b"abcde");
    }
}
