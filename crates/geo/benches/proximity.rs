//! Benchmarks of the proximity engine: `cargo bench -p mire-geo`.
//!
//! Prints, besides criterion's timings, the model's memory (counted by a global allocator
//! wrapper) and its size. Targets (issue 4): one-to-all < 2 ms, accessibility of all NIL
//! < 200 ms, 10,000 A-to-B queries < 1 s, model < 50 MB loaded in < 1 s, and one-to-all
//! walking within 15 minutes on a 200,000-node street grid < 5 ms.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use mire_geo::proximity::{
    CityArea, HeadwayModel, Mode, Params, Proximity, ServiceCatalog, StreetNetwork, TransitData,
};
use mire_geo::LatLon;

/// Counts live heap bytes, to report what the model really holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Deterministic points where people live (sample points of the NIL).
fn homes(engine: &Proximity, count: usize) -> Vec<LatLon> {
    let samples: Vec<LatLon> = engine
        .city()
        .nils()
        .iter()
        .flat_map(|n| n.samples.iter().copied())
        .collect();
    let mut state = 42u64;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            samples[(state >> 33) as usize % samples.len()]
        })
        .collect()
}

fn milan_model(c: &mut Criterion) {
    let before = LIVE.load(Ordering::Relaxed);
    let start = Instant::now();
    let engine = Proximity::milan().unwrap();
    let load = start.elapsed();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "milan model: {} nodes, {} edges, loaded in {:.0} ms (first load, territory included), {:.1} MB live heap",
        engine.network().nodes().len(),
        engine.network().edge_count(),
        load.as_secs_f64() * 1000.0,
        bytes as f64 / 1e6
    );
    let mut group = c.benchmark_group("milan");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("load model", |b| {
        b.iter(|| black_box(Proximity::milan().unwrap()))
    });
    group.finish();

    let duomo = LatLon::new(45.4641, 9.1896);
    let mut group = c.benchmark_group("milan");
    group.bench_function("one-to-all transit, whole city", |b| {
        b.iter(|| {
            black_box(
                engine
                    .one_to_all(duomo, Mode::Transit, None)
                    .unwrap()
                    .node_secs()[0],
            )
        })
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("accessibility 88 NIL x all categories, transit", |b| {
        b.iter(|| black_box(engine.accessibility(Mode::Transit, &[]).score))
    });
    let points = homes(&engine, 20_000);
    group.bench_function("10,000 random A-to-B transit queries", |b| {
        b.iter(|| {
            let mut total = 0u64;
            for pair in points.chunks(2) {
                total += engine
                    .travel_time(pair[0], pair[1], Mode::Transit)
                    .unwrap()
                    .seconds as u64;
            }
            black_box(total)
        })
    });
    group.finish();
}

/// A square grid of streets `spacing_m` apart around Milan's centre.
fn synthetic_city(side: u32, spacing_m: f64) -> StreetNetwork {
    let (lat0, lon0) = (45.40f64, 9.08f64);
    let per_lon = 111_195.08 * lat0.to_radians().cos();
    let points: Vec<LatLon> = (0..side * side)
        .map(|i| {
            let (x, y) = ((i % side) as f64 * spacing_m, (i / side) as f64 * spacing_m);
            LatLon::new(lat0 + y / 111_195.08, lon0 + x / per_lon)
        })
        .collect();
    let mut segments = Vec::with_capacity(2 * points.len());
    for i in 0..side * side {
        if i % side + 1 < side {
            segments.push((i, i + 1));
        }
        if i / side + 1 < side {
            segments.push((i, i + side));
        }
    }
    StreetNetwork::from_segments(points, &segments)
}

fn street_grid(c: &mut Criterion) {
    let side = 448; // 200,704 street nodes, 80 m blocks: a 36 km square
    let streets = synthetic_city(side, 80.0);
    let params = Params::shipped();
    let rides = HeadwayModel::new(&params);
    let city = CityArea::rectangle(LatLon::new(45.39, 9.07), LatLon::new(45.75, 9.55));
    let engine = Proximity::new(
        params,
        TransitData::default(),
        Box::new(rides),
        ServiceCatalog::default(),
        city,
    )
    .with_streets(&streets);
    println!(
        "synthetic city: {} street nodes, {} segments",
        streets.points().len(),
        streets.segment_count()
    );
    let centre = streets.points()[(side * side / 2 + side / 2) as usize];
    let mut group = c.benchmark_group("street grid");
    group.bench_function("one-to-all walking within 15 min, 200k nodes", |b| {
        b.iter(|| {
            black_box(
                engine
                    .one_to_all(centre, Mode::Walk, Some(900))
                    .unwrap()
                    .node_secs()
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, milan_model, street_grid);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
