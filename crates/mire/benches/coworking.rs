//! Coworking load generator: fills a database with 100 spaces, 1,000 resources and many past
//! bookings, starts the real `mire` server on it, and measures search requests per second
//! (p50, p99) and bookings per second over HTTP, on SQLite and PostgreSQL.
//!
//! Run with `cargo xtask bench coworking [--db sqlite,postgres] [--bookings 10000,1000000]
//! [--seconds 10] [--concurrency 32]`. PostgreSQL: `MIRE_BENCH_PG_ADMIN_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); a database is made for each run and
//! dropped afterwards.

#[path = "../../../xtask/src/pg.rs"]
mod pg;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mire_domain::alliance::OrganizationInput;
use mire_domain::coworking::{self as rules, BookingStatus, Period, ResourceInput, SpaceInput};
use mire_geo::territory::Territory;
use mire_store::accounts::NewUser;
use mire_store::coworking::PastBooking;
use mire_store::Db;

const SPACES: usize = 100;
const RESOURCES_PER_SPACE: usize = 10;
const USERS: usize = 1000;
const DESK_SEATS: i64 = 20;
const HORIZON: i64 = 60;

struct Options {
    backends: Vec<String>,
    bookings: Vec<usize>,
    seconds: u64,
    concurrency: usize,
    /// The kinds of search in the mix, taken in turn.
    searches: Vec<String>,
}

/// The kinds of search the load mixes: the filters people use.
const SEARCHES: [&str; 6] = ["municipio", "date", "amenities", "radius", "travel", "nil"];

fn options() -> Options {
    let mut o = Options {
        backends: vec!["sqlite".into(), "postgres".into()],
        bookings: vec![10_000, 1_000_000],
        seconds: 10,
        concurrency: 32,
        searches: SEARCHES.map(str::to_owned).to_vec(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--db" => o.backends = value().split(',').map(str::to_owned).collect(),
            "--bookings" => {
                o.bookings = value()
                    .split(',')
                    .filter_map(|n| n.replace('_', "").parse().ok())
                    .collect()
            }
            "--seconds" => o.seconds = value().parse().unwrap_or(10),
            "--concurrency" => o.concurrency = value().parse().unwrap_or(32),
            "--search" => {
                o.searches = value()
                    .split(',')
                    .filter(|k| SEARCHES.contains(k))
                    .map(str::to_owned)
                    .collect();
                assert!(
                    !o.searches.is_empty(),
                    "--search takes some of {}",
                    SEARCHES.join(",")
                );
            }
            // cargo bench passes --bench to harness-less benches.
            _ => {}
        }
    }
    o
}

/// A small SplitMix64 generator: the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Fixture {
    desks: Vec<(i64, i64)>,
    tokens: Vec<String>,
    points: Vec<(f64, f64)>,
}

async fn fill(db: &Db, past: usize) -> anyhow::Result<Fixture> {
    let t = Instant::now();
    let org = OrganizationInput {
        name: "Operatore benchmark".into(),
        kind: "coworking_operator".into(),
        tax_code: "12345678903".into(),
        size_class: "small".into(),
        address: "Milano".into(),
        ..Default::default()
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let org = db
        .create_organization(&org, None, None, "partner", false)
        .await?;
    let territory = Territory::milan();
    let nils = territory.nils();
    let mut rng = Rng(42);
    let amenities = [
        "wifi",
        "kitchen",
        "printing",
        "step_free_access",
        "bike_parking",
        "meeting_rooms",
    ];
    let mut desks = Vec::new();
    let mut points = Vec::new();
    let mut resources = Vec::new();
    for i in 0..SPACES {
        let nil = &nils[i % nils.len()];
        let p = nil.shape.interior_point();
        let place = territory
            .locate(p)
            .map(|pl| (i64::from(pl.nil_id), i64::from(pl.municipio)))
            .unwrap_or((i64::from(nil.id), i64::from(nil.municipio)));
        points.push((p.lat, p.lon));
        let mut hours = std::collections::BTreeMap::new();
        for d in rules::WEEKDAY_KEYS {
            hours.insert(d.to_owned(), "00:00-24:00".to_owned());
        }
        let input = SpaceInput {
            name: format!("Spazio benchmark {i}"),
            address: format!("{}, Milano", nil.name),
            lat: Some(p.lat),
            lon: Some(p.lon),
            opening_hours: Some(hours),
            amenities: amenities
                .iter()
                .filter(|_| rng.below(2) == 0)
                .map(|a| a.to_string())
                .collect(),
            horizon_days: Some(HORIZON.into()),
            max_active_bookings: Some(100.into()),
            ..Default::default()
        };
        let space = db
            .create_space(
                org,
                &input.validate().map_err(|e| anyhow::anyhow!("{e:?}"))?,
                place,
                None,
                false,
            )
            .await?;
        for r in 0..RESOURCES_PER_SPACE {
            let (kind, seats) = match r {
                0..=6 => ("open_desk", DESK_SEATS),
                7 | 8 => ("fixed_desk", 1),
                _ => ("meeting_room", 8),
            };
            let price = 1000 + 100 * rng.below(20) as i64;
            let res = ResourceInput {
                kind: kind.into(),
                name: format!("{kind} {r}"),
                seats: Some(seats.into()),
                price_cents: Some(price.into()),
                half_day_price_cents: None,
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let id = db.add_resource(space, &res).await?;
            resources.push((id, space, price, kind == "meeting_room"));
            if kind == "open_desk" {
                desks.push((id, space));
            }
        }
    }
    let mut users = Vec::with_capacity(USERS);
    let mut tokens = Vec::with_capacity(USERS);
    for u in 0..USERS {
        let id = db
            .create_user(&NewUser {
                email: &format!("bench{u}@example.org"),
                password_hash: "-",
                display_name: &format!("Bench {u}"),
                locale: "it",
                is_demo: false,
                verified: true,
            })
            .await?;
        let token = format!("mire_bench_{u}_{}", mire_web::security::random_token());
        db.create_api_token(
            id,
            "bench",
            &mire_web::security::token_hash(&token),
            &token[..12],
        )
        .await?;
        users.push(id);
        tokens.push(token);
    }
    println!(
        "  {} spaces, {} resources, {} users in {:.1} s",
        SPACES,
        resources.len(),
        USERS,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let today = rules::milan_time(mire_store::now()).date();
    let mut done = 0;
    while done < past {
        let n = (past - done).min(100_000);
        let rows: Vec<PastBooking> = (0..n)
            .map(|_| {
                let (resource_id, space_id, price, room) = resources[rng.below(resources.len())];
                let period = [Period::FullDay, Period::Morning, Period::Afternoon][rng.below(3)];
                let date = today - chrono::Duration::days(1 + rng.below(730) as i64);
                PastBooking {
                    resource_id,
                    space_id,
                    user_id: users[rng.below(users.len())],
                    date,
                    period: if room { Period::Hour } else { period },
                    status: [
                        BookingStatus::Attended,
                        BookingStatus::Attended,
                        BookingStatus::NoShow,
                        BookingStatus::Cancelled,
                    ][rng.below(4)],
                    list_price_cents: price,
                    price_cents: price,
                    created_at: mire_store::now() - 86_400 * 800,
                }
            })
            .collect();
        db.import_past_bookings(&rows).await?;
        done += n;
    }
    println!(
        "  {past} past bookings inserted in {:.1} s ({:.0} rows/s)",
        t.elapsed().as_secs_f64(),
        past as f64 / t.elapsed().as_secs_f64().max(1e-9)
    );
    Ok(Fixture {
        desks,
        tokens,
        points,
    })
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(database_url: &str, dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mire"))
        .args(["serve", "--no-demo", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("MIRE_OUTBOX_DIR", dir.join("outbox"))
        .env("MIRE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mire");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("the server stopped before listening");
        if let Some(at) = line.find("listening on ") {
            break line[at + 13..].trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

struct Figures {
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
}

impl Figures {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// Runs `concurrency` workers for `seconds`, each calling `call(worker, n)` in a loop; a call
/// returns true on success.
async fn load<F, Fut>(concurrency: usize, seconds: u64, limit: u64, call: F) -> Figures
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|w| {
            let (call, stop, counter, errors, latencies) = (
                call.clone(),
                stop.clone(),
                counter.clone(),
                errors.clone(),
                latencies.clone(),
            );
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    if n >= limit {
                        break;
                    }
                    let t = Instant::now();
                    if !call(w, n).await {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    mine.push(t.elapsed().as_micros() as u64);
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    let deadline = tokio::time::sleep(Duration::from_secs(seconds));
    tokio::pin!(deadline);
    let all = async {
        for t in tasks {
            let _ = t.await;
        }
    };
    tokio::pin!(all);
    tokio::select! {
        _ = &mut deadline => { stop.store(true, Ordering::Relaxed); all.await; }
        _ = &mut all => {}
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut latencies_us = std::mem::take(&mut *latencies.lock().unwrap());
    latencies_us.sort_unstable();
    Figures {
        requests: latencies_us.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        latencies_us,
    }
}

async fn measure(backend: &str, past: usize, o: &Options) -> anyhow::Result<()> {
    println!("\n== {backend}, {past} past bookings");
    let dir = std::env::temp_dir().join(format!(
        "mire-bench-{}-{backend}-{past}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("outbox"))?;
    let mut pg_db = None;
    let url = if backend == "postgres" {
        let admin = pg::PgUrl::parse(
            &std::env::var("MIRE_BENCH_PG_ADMIN_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        )
        .map_err(anyhow::Error::msg)?;
        let name = format!("mire_bench_{}_{past}", std::process::id());
        pg::create_database(&admin, &name).map_err(anyhow::Error::msg)?;
        let url = admin.with_database(&name).to_url();
        pg_db = Some((admin, name));
        url
    } else {
        format!("sqlite://{}", dir.join("mire.db").display())
    };
    let result = run(&url, &dir, past, o).await;
    if let Some((admin, name)) = pg_db {
        let _ = pg::drop_database(&admin, &name);
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(url: &str, dir: &std::path::Path, past: usize, o: &Options) -> anyhow::Result<()> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let fx = fill(&db, past).await?;
    db.close().await;
    let server = start_server(url, dir);
    let base = server.url.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency * 2)
        .build()?;
    let today = rules::milan_time(mire_store::now()).date();

    // Search: a mix of the filters people use.
    let queries: Arc<Vec<String>> = Arc::new({
        let mut q = Vec::new();
        let mut rng = Rng(7);
        for i in 0..500 {
            let date = rules::iso(today + chrono::Duration::days(1 + (i % 20) as i64));
            let (lat, lon) = fx.points[rng.below(fx.points.len())];
            q.push(match o.searches[i % o.searches.len()].as_str() {
                "municipio" => format!("/api/v1/coworking/spaces?municipio={}", 1 + i % 9),
                "date" => format!("/api/v1/coworking/spaces?date={date}&period=full_day&municipio={}", 1 + i % 9),
                "amenities" => format!("/api/v1/coworking/spaces?amenities=wifi,kitchen&max_price_cents=2500&date={date}"),
                "radius" => format!("/api/v1/coworking/spaces?lat={lat}&lon={lon}&radius_m=2000&date={date}&period=morning"),
                "travel" => format!("/api/v1/coworking/spaces?lat={lat}&lon={lon}&minutes=20&mode=transit&date={date}"),
                _ => format!("/api/v1/coworking/spaces?nil={}&offers=0", 1 + i % 88),
            });
        }
        q
    });
    // Warm-up.
    for q in queries.iter().take(50) {
        http.get(format!("{base}{q}")).send().await?.bytes().await?;
    }
    let (h, b, qs) = (http.clone(), base.clone(), queries.clone());
    let search = load(o.concurrency, o.seconds, u64::MAX, move |_, n| {
        let (h, b, qs) = (h.clone(), b.clone(), qs.clone());
        async move {
            match h
                .get(format!("{b}{}", qs[(n as usize) % qs.len()]))
                .send()
                .await
            {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            }
        }
    })
    .await;
    println!(
        "  search:  {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {} errors, {} workers)",
        search.requests as f64 / search.seconds,
        search.percentile(0.50),
        search.percentile(0.99),
        search.requests,
        search.errors,
        o.concurrency
    );

    // Booking: distinct people on distinct seats, every request should be confirmed.
    let desks = Arc::new(fx.desks.clone());
    let tokens = Arc::new(fx.tokens.clone());
    let outcomes = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, u64>::new()));
    let (h, b, oc) = (http.clone(), base.clone(), outcomes.clone());
    let capacity = (desks.len() as u64) * DESK_SEATS as u64 * (HORIZON as u64 - 1);
    let workers = (o.concurrency / 2).max(4);
    let booking = load(workers, o.seconds, capacity, move |_, k| {
        let (h, b, desks, tokens, oc) = (h.clone(), b.clone(), desks.clone(), tokens.clone(), oc.clone());
        async move {
            let slot = k / DESK_SEATS as u64;
            let seat = k % DESK_SEATS as u64;
            let (resource, _) = desks[(slot % desks.len() as u64) as usize];
            let date = today + chrono::Duration::days(1 + (slot / desks.len() as u64) as i64);
            let user = ((slot * DESK_SEATS as u64 + seat) % tokens.len() as u64) as usize;
            let body = serde_json::json!({ "resource_id": resource, "date": rules::iso(date), "period": "full_day" });
            let r = h
                .post(format!("{b}/api/v1/coworking/bookings"))
                .bearer_auth(&tokens[user])
                .json(&body)
                .send()
                .await;
            let status = match r {
                Ok(r) => {
                    let s = r.status().as_u16();
                    let _ = r.bytes().await;
                    s
                }
                Err(_) => 0,
            };
            *oc.lock().unwrap().entry(status).or_default() += 1;
            status == 201
        }
    })
    .await;
    println!(
        "  booking: {:>7.0} bookings/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests, {} errors, {} workers; statuses {:?})",
        (booking.requests - booking.errors) as f64 / booking.seconds,
        booking.percentile(0.50),
        booking.percentile(0.99),
        booking.requests,
        booking.errors,
        workers,
        outcomes.lock().unwrap()
    );
    drop(server);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let o = options();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        for backend in &o.backends {
            for &past in &o.bookings {
                measure(backend, past, &o).await?;
            }
        }
        anyhow::Ok(())
    })
}
