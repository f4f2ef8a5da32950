//! The engine on the Milan model: published metro running times, agreement with a plain
//! reference Dijkstra on the exported network, and properties that must hold everywhere.

use std::collections::BinaryHeap;
use std::sync::OnceLock;

use mire_geo::proximity::{Category, LegMode, Mode, NodeKind, Proximity};
use mire_geo::LatLon;
use proptest::prelude::*;

fn milan() -> &'static Proximity {
    static MODEL: OnceLock<Proximity> = OnceLock::new();
    MODEL.get_or_init(|| Proximity::milan().expect("the shipped data loads"))
}

/// A deterministic stream of sample points where people live (a tiny LCG, so the test
/// needs no random source and always checks the same pairs).
fn homes(count: usize, seed: u64) -> Vec<LatLon> {
    let samples: Vec<LatLon> = milan()
        .city()
        .nils()
        .iter()
        .flat_map(|n| n.samples.iter().copied())
        .collect();
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            samples[(state >> 33) as usize % samples.len()]
        })
        .collect()
}

fn stop_node(name: &str) -> u32 {
    let net = milan().network();
    let nodes = net.nodes();
    (0..nodes.len() as u32)
        .find(|&i| matches!(nodes[i as usize].kind, NodeKind::Stop(s) if net.stops()[s as usize].name == name && net.stops()[s as usize].id.starts_with("atm-metro")))
        .unwrap_or_else(|| panic!("no metro station {name}"))
}

/// In-vehicle minutes of the model between two stations of a line (the ride edge, minus
/// the waiting at boarding).
fn model_ride_minutes(from: &str, to: &str, line: &str) -> f64 {
    let net = milan().network();
    let params = milan().params();
    let wait = (params.transit.metro.headway_min * 30.0).ceil() as u32;
    let target = stop_node(to);
    let edge = net
        .edges_from(stop_node(from))
        .iter()
        .filter(|e| e.to == target && !e.is_walk() && net.routes()[e.route as usize].line == line)
        .min_by_key(|e| e.secs)
        .unwrap_or_else(|| panic!("no {line} ride from {from} to {to}"));
    (edge.secs - wait) as f64 / 60.0
}

/// End-to-end running times published by the operator or the Comune, in minutes; sources
/// in docs/proximity.md.
const PUBLISHED: &[(&str, &str, &str, f64)] = &[
    ("M1", "SESTO 1 MAGGIO FS", "RHO FIERAMILANO", 44.0),
    ("M1", "SESTO 1 MAGGIO FS", "BISCEGLIE", 37.0),
    ("M2", "GESSATE", "ABBIATEGRASSO", 56.0),
    ("M2", "GESSATE", "ASSAGO MILANOFIORI FORUM", 66.0),
    ("M3", "MACIACHINI", "SAN DONATO", 23.0),
    ("M5", "BIGNAMI", "SAN SIRO STADIO", 26.0),
    ("M5", "BIGNAMI", "ZARA", 8.0),
];

#[test]
fn metro_running_times_are_within_20_percent_of_the_published_ones() {
    for &(line, from, to, published) in PUBLISHED {
        let model = model_ride_minutes(from, to, line);
        let error = (model - published) / published;
        println!(
            "{line} {from} -> {to}: model {model:.1} min, published {published} min ({:+.0} %)",
            error * 100.0
        );
        assert!(
            error.abs() <= 0.20,
            "{line} {from} -> {to}: {model:.1} vs {published}"
        );
    }
}

#[test]
fn the_city_has_88_nil_and_its_2024_residents() {
    let city = milan().city();
    assert_eq!(city.nils().len(), 88);
    assert_eq!(city.residents(), 1_407_044);
    for nil in city.nils() {
        assert!(!nil.samples.is_empty());
        assert!(
            nil.samples.iter().all(|s| city.locate(*s).is_some()),
            "NIL {} has a sample outside the city",
            nil.id
        );
    }
}

#[test]
fn every_service_point_of_the_model_is_inside_the_city() {
    let engine = milan();
    for (category, points) in engine.catalog().categories() {
        assert!(!points.is_empty() || category == Category::Coworking);
        for p in points {
            assert!(engine.city().locate(p.at).is_some(), "{category:?} {p:?}");
        }
    }
}

#[test]
fn a_known_trip_duomo_to_centrale_takes_the_metro() {
    let duomo = LatLon::new(45.4641, 9.1896);
    let centrale = LatLon::new(45.4852, 9.2040);
    let j = milan().travel_time(duomo, centrale, Mode::Transit).unwrap();
    assert!(
        j.legs.iter().any(|l| l.mode == LegMode::Metro),
        "{:#?}",
        j.legs
    );
    assert!((8.0..=25.0).contains(&j.minutes), "{} min", j.minutes);
    let walk = milan().travel_time(duomo, centrale, Mode::Walk).unwrap();
    assert!(walk.minutes > j.minutes);
}

/// Plain Dijkstra over the exported CSV files: an independent reading of the model.
struct Exported {
    adjacency: Vec<Vec<(u32, u32)>>,
}

impl Exported {
    fn read(dir: &std::path::Path) -> Exported {
        let nodes = csv::Reader::from_path(dir.join("nodes.csv"))
            .unwrap()
            .records()
            .count();
        let mut adjacency = vec![Vec::new(); nodes];
        for row in csv::Reader::from_path(dir.join("edges.csv"))
            .unwrap()
            .records()
        {
            let row = row.unwrap();
            let num = |i: usize| row[i].parse::<u32>().unwrap();
            adjacency[num(0) as usize].push((num(1), num(2)));
        }
        Exported { adjacency }
    }

    fn shortest(&self, seeds: &[(u32, u32)], targets: &[(u32, u32)], direct: u32) -> u32 {
        let mut dist = vec![u32::MAX; self.adjacency.len()];
        let mut heap = BinaryHeap::new();
        for &(n, s) in seeds {
            if s < dist[n as usize] {
                dist[n as usize] = s;
                heap.push(std::cmp::Reverse((s, n)));
            }
        }
        while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
            if d > dist[v as usize] {
                continue;
            }
            for &(w, s) in &self.adjacency[v as usize] {
                if d + s < dist[w as usize] {
                    dist[w as usize] = d + s;
                    heap.push(std::cmp::Reverse((d + s, w)));
                }
            }
        }
        targets
            .iter()
            .filter(|t| dist[t.0 as usize] != u32::MAX)
            .map(|t| dist[t.0 as usize] + t.1)
            .fold(direct, u32::min)
    }
}

#[test]
fn fast_queries_equal_a_reference_dijkstra_on_the_exported_network() {
    let engine = milan();
    let dir = std::env::temp_dir().join(format!("mire-export-{}", std::process::id()));
    let summary = engine.export_network(&dir).unwrap();
    assert_eq!(summary.edges, engine.network().edge_count());
    let reference = Exported::read(&dir);
    std::fs::remove_dir_all(&dir).ok();
    let points = homes(400, 7);
    for pair in points.chunks(2) {
        let (a, b) = (pair[0], pair[1]);
        let fast = engine.travel_time(a, b, Mode::Transit).unwrap().seconds;
        let seeds = engine.attach(a, Mode::Transit);
        let targets = engine.attach(b, Mode::Transit);
        let direct = engine
            .direct_walk_secs(a, b, (!seeds.is_empty(), !targets.is_empty()))
            .unwrap();
        assert_eq!(
            fast,
            reference.shortest(&seeds, &targets, direct),
            "{a:?} -> {b:?}"
        );
    }
}

#[test]
fn backward_accessibility_agrees_with_forward_searches() {
    let engine = milan();
    let report = engine.accessibility(Mode::Transit, &[]);
    let limit = (engine.params().accessibility.minutes * 60.0) as u32;
    let pools = engine.catalog().points(Category::Pools);
    let nil = &engine.city().nils()[10];
    let forward_hits = nil
        .samples
        .iter()
        .filter(|s| {
            let reach = engine.one_to_all(**s, Mode::Transit, Some(limit)).unwrap();
            pools.iter().any(|p| reach.secs_to(p.at).is_some())
        })
        .count();
    let share = report.nils[10]
        .shares
        .iter()
        .find(|s| s.category == Category::Pools)
        .unwrap()
        .share;
    assert!((share - forward_hits as f64 / nil.samples.len() as f64).abs() < 1e-9);
    assert!(report.score > 0.0 && report.score <= 100.0);
    assert_eq!(report.nils.len(), 88);
}

#[test]
fn coworking_spaces_from_the_caller_count_as_a_category() {
    let engine = milan();
    let coworking = vec![mire_geo::proximity::ServicePoint {
        id: "demo-1".into(),
        name: "Demo coworking".into(),
        at: LatLon::new(45.4641, 9.1896),
    }];
    let report = engine.accessibility(Mode::Walk, &coworking);
    let duomo = report
        .nils
        .iter()
        .find(|n| n.name.to_uppercase().contains("DUOMO"))
        .unwrap();
    let share = duomo
        .shares
        .iter()
        .find(|s| s.category == Category::Coworking)
        .unwrap();
    assert!(share.share > 0.5, "{share:?}");
    let city = report
        .city
        .iter()
        .find(|s| s.category == Category::Coworking)
        .unwrap();
    assert!(city.share < 0.2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_trip_beats_the_straight_line_at_the_fastest_speed(i in 0usize..10_000, j in 0usize..10_000) {
        let pts = homes(10_000, 11);
        let (a, b) = (pts[i], pts[j]);
        let journey = milan().travel_time(a, b, Mode::Transit).unwrap();
        let bound = a.distance_m(b) / milan().params().fastest_speed_m_s();
        prop_assert!(journey.seconds as f64 >= bound.floor());
    }

    #[test]
    fn walking_is_symmetric(i in 0usize..10_000, j in 0usize..10_000) {
        let pts = homes(10_000, 13);
        let there = milan().travel_time(pts[i], pts[j], Mode::Walk).unwrap().seconds;
        let back = milan().travel_time(pts[j], pts[i], Mode::Walk).unwrap().seconds;
        prop_assert_eq!(there, back);
    }

    #[test]
    fn isochrones_grow_with_the_budget(i in 0usize..10_000, t in 5.0f64..30.0, extra in 1.0f64..20.0) {
        let origin = homes(10_000, 17)[i];
        let small = milan().isochrone(origin, t, Mode::Transit, &[]).unwrap();
        let large = milan().isochrone(origin, t + extra, Mode::Transit, &[]).unwrap();
        for p in &small.points {
            prop_assert!(large.points.iter().any(|q| q.point == p.point && q.seconds == p.seconds));
        }
        for n in &small.nils {
            let bigger = large.nils.iter().find(|m| m.nil_id == n.nil_id).map(|m| m.share);
            prop_assert!(bigger.is_some_and(|s| s >= n.share));
        }
    }
}
