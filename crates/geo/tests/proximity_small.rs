//! The engine on small networks whose answers can be worked out by hand.

use mire_geo::proximity::{
    CityArea, HeadwayModel, LegMode, Mode, Params, Proximity, ProximityError, Route, RoutePattern,
    ServiceCatalog, Stop, StreetNetwork, TransitData, TransitMode,
};
use mire_geo::LatLon;

const LAT: f64 = 45.46;

/// A point `metres` east of the reference meridian on the reference parallel.
fn east(metres: f64) -> LatLon {
    let per_degree = 111_195.08 * LAT.to_radians().cos();
    LatLon::new(LAT, 9.15 + metres / per_degree)
}

fn stop(name: &str, at: LatLon) -> Stop {
    Stop {
        id: name.to_string(),
        name: name.to_string(),
        at,
    }
}

/// Three metro stations 1 km apart on an east-west line, served in both directions.
fn line() -> TransitData {
    let stops = vec![
        stop("A", east(0.0)),
        stop("B", east(1000.0)),
        stop("C", east(2000.0)),
    ];
    let route = |id: &str, order: Vec<u32>| RoutePattern {
        route: Route {
            id: id.into(),
            line: "M9".into(),
            mode: TransitMode::Metro,
            name: id.into(),
        },
        stops: order,
        length_m: None,
    };
    TransitData {
        stops,
        patterns: vec![route("east", vec![0, 1, 2]), route("west", vec![2, 1, 0])],
    }
}

fn city() -> CityArea {
    CityArea::rectangle(LatLon::new(45.40, 9.10), LatLon::new(45.52, 9.30))
}

fn engine(transit: TransitData) -> Proximity {
    let params = Params::shipped();
    let rides = HeadwayModel::new(&params);
    Proximity::new(
        params,
        transit,
        Box::new(rides),
        ServiceCatalog::default(),
        city(),
    )
}

fn ceil(x: f64) -> u32 {
    x.ceil() as u32
}

#[test]
fn walking_is_the_straight_line_times_the_detour_at_walking_speed() {
    let p = Params::shipped();
    let e = engine(TransitData::default());
    let j = e.travel_time(east(0.0), east(1000.0), Mode::Walk).unwrap();
    let expected = ceil(1000.0 * p.walking.detour_factor / p.walking.speed_m_s);
    assert!(
        j.seconds.abs_diff(expected) <= 2,
        "{} vs {expected}",
        j.seconds
    );
    assert_eq!(j.legs.len(), 1);
    assert_eq!(j.legs[0].mode, LegMode::Walk);
}

#[test]
fn a_metro_ride_waits_half_the_headway_then_rides_at_commercial_speed() {
    let p = Params::shipped();
    let e = engine(line());
    let j = e
        .travel_time(east(0.0), east(2000.0), Mode::Transit)
        .unwrap();
    let speed = p.transit.metro.speed_kmh / 3.6;
    let wait = ceil(p.transit.metro.headway_min * 30.0);
    let seg = |m: f64| ceil(m / speed);
    let a_to_c = e.network().stops()[0]
        .at
        .distance_m(e.network().stops()[1].at);
    let expected = wait + 2 * seg(a_to_c);
    assert!(
        j.seconds.abs_diff(expected) <= 2,
        "{} vs {expected}",
        j.seconds
    );
    assert_eq!(j.legs.len(), 1, "{:?}", j.legs);
    let ride = &j.legs[0];
    assert_eq!(
        (ride.mode, ride.line.as_deref()),
        (LegMode::Metro, Some("M9"))
    );
    assert_eq!(
        (ride.from.name.as_deref(), ride.to.name.as_deref()),
        (Some("A"), Some("C"))
    );
    assert_eq!(ride.wait_seconds, wait);
    assert_eq!(j.legs.iter().map(|l| l.seconds).sum::<u32>(), j.seconds);
}

#[test]
fn short_trips_walk_even_when_transit_is_allowed() {
    let e = engine(line());
    let j = e
        .travel_time(east(0.0), east(200.0), Mode::Transit)
        .unwrap();
    assert_eq!(j.legs.len(), 1);
    assert_eq!(j.legs[0].mode, LegMode::Walk);
}

#[test]
fn transit_trips_walk_to_the_station_and_from_it() {
    let p = Params::shipped();
    let e = engine(line());
    let from = LatLon::new(LAT + 300.0 / 111_195.08, east(0.0).lon);
    let j = e.travel_time(from, east(2000.0), Mode::Transit).unwrap();
    let modes: Vec<LegMode> = j.legs.iter().map(|l| l.mode).collect();
    assert_eq!(modes, [LegMode::Walk, LegMode::Metro]);
    let access = ceil(300.0 * p.walking.detour_factor / p.walking.speed_m_s);
    assert!(j.legs[0].seconds.abs_diff(access) <= 2);
    assert_eq!(j.legs.iter().map(|l| l.seconds).sum::<u32>(), j.seconds);
}

#[test]
fn a_one_way_route_cannot_be_ridden_backwards() {
    let mut transit = line();
    transit.patterns.truncate(1);
    let e = engine(transit);
    let there = e
        .travel_time(east(0.0), east(2000.0), Mode::Transit)
        .unwrap();
    let back = e
        .travel_time(east(2000.0), east(0.0), Mode::Transit)
        .unwrap();
    assert_eq!(there.legs[0].mode, LegMode::Metro);
    assert_eq!(back.legs[0].mode, LegMode::Walk);
    assert!(back.seconds > there.seconds);
}

#[test]
fn points_outside_the_city_and_bad_budgets_are_the_callers_errors() {
    let e = engine(line());
    let rome = LatLon::new(41.9, 12.5);
    let err = e.travel_time(rome, east(0.0), Mode::Walk).unwrap_err();
    assert!(matches!(err, ProximityError::OutsideCity { .. }) && err.is_bad_input());
    let err = e
        .isochrone(LatLon::new(f64::NAN, 9.0), 15.0, Mode::Walk, &[])
        .unwrap_err();
    assert!(matches!(err, ProximityError::InvalidCoordinates));
    let err = e.isochrone(east(0.0), 0.0, Mode::Walk, &[]).unwrap_err();
    assert!(matches!(err, ProximityError::InvalidBudget { .. }) && err.is_bad_input());
}

#[test]
fn an_isochrone_along_the_line_reaches_farther_by_metro() {
    let e = engine(line());
    let walk = e.isochrone(east(0.0), 10.0, Mode::Walk, &[]).unwrap();
    let transit = e.isochrone(east(0.0), 10.0, Mode::Transit, &[]).unwrap();
    let far_east = |iso: &mire_geo::proximity::Isochrone| {
        iso.cells
            .iter()
            .map(|c| c.north_east.lon)
            .fold(f64::MIN, f64::max)
    };
    assert!(far_east(&transit) > east(2000.0).lon);
    assert!(far_east(&walk) < east(700.0).lon);
    let geojson = transit.to_geojson();
    assert_eq!(geojson["features"][0]["geometry"]["type"], "MultiPolygon");
}

/// A street grid of `n` x `n` nodes `spacing` metres apart, south-west corner at east(0).
fn street_grid(n: u32, spacing: f64) -> StreetNetwork {
    let per_lat = 111_195.08;
    let points: Vec<LatLon> = (0..n * n)
        .map(|i| {
            let p = east((i % n) as f64 * spacing);
            LatLon::new(p.lat + (i / n) as f64 * spacing / per_lat, p.lon)
        })
        .collect();
    let mut segments = Vec::new();
    for i in 0..n * n {
        if i % n + 1 < n {
            segments.push((i, i + 1));
        }
        if i / n + 1 < n {
            segments.push((i, i + n));
        }
    }
    StreetNetwork::from_segments(points, &segments)
}

#[test]
fn on_a_street_grid_walking_follows_the_blocks() {
    let p = Params::shipped();
    let e = engine(TransitData::default()).with_streets(&street_grid(11, 100.0));
    let corner = e.network().nodes()[0].at;
    let opposite = e.network().nodes()[120].at;
    let j = e.travel_time(corner, opposite, Mode::Walk).unwrap();
    // 10 blocks east and 10 north: 2 km along the streets, whatever the detour factor.
    let expected = 2000.0 / p.walking.speed_m_s;
    assert!(
        (j.seconds as f64 - expected).abs() <= 25.0,
        "{} vs {expected}",
        j.seconds
    );
}

#[test]
fn a_street_network_survives_a_save_and_load() {
    let grid = street_grid(5, 80.0);
    let path = std::env::temp_dir().join(format!("mire-walk-{}.bin", std::process::id()));
    grid.save(&path).unwrap();
    let back = StreetNetwork::load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(back.points().len(), grid.points().len());
    assert_eq!(back.segment_count(), grid.segment_count());
    for (a, b) in back.points().iter().zip(grid.points()) {
        assert!(a.distance_m(*b) < 0.02);
    }
    for v in 0..grid.points().len() as u32 {
        for (x, y) in back.neighbours(v).iter().zip(grid.neighbours(v)) {
            assert_eq!(x.0, y.0);
            assert!((x.1 - y.1).abs() < 0.01);
        }
    }
}

#[test]
fn a_damaged_network_file_is_refused() {
    let path = std::env::temp_dir().join(format!("mire-walk-bad-{}.bin", std::process::id()));
    street_grid(3, 50.0).save(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&path, &bytes).unwrap();
    let err = StreetNetwork::load(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(matches!(err, ProximityError::StreetFile(_)));
}

#[test]
fn time_regained_compares_the_office_and_the_coworking_round_trips() {
    use mire_geo::proximity::CommuteMode;
    let p = Params::shipped();
    let e = engine(line());
    let (home, office, coworking) = (east(0.0), east(2000.0), east(100.0));
    let r = e
        .time_regained(home, office, coworking, CommuteMode::Car)
        .unwrap();
    // To the office by car: 2 km straight, times the road detour, at the urban speed,
    // plus parking. To the coworking space 100 m away: walking is faster than the car.
    let km = home.distance_m(office) * p.car.detour_factor / 1000.0;
    let car_secs = km / p.car.speed_kmh * 3600.0 + p.car.parking_min * 60.0;
    assert!(!r.to_office.walks && r.to_coworking.walks);
    assert!(
        (r.to_office.minutes - car_secs / 60.0).abs() < 0.1,
        "{:?}",
        r.to_office
    );
    let walk_min = e.travel_time(home, coworking, Mode::Walk).unwrap().minutes;
    assert!((r.minutes_saved_per_day - 2.0 * (car_secs / 60.0 - walk_min)).abs() < 0.2);
    assert!((r.kg_co2_avoided_per_day - 2.0 * km * p.emissions.car_kg_per_km).abs() < 0.01);
    let same = e
        .time_regained(home, office, office, CommuteMode::Transit)
        .unwrap();
    assert_eq!(
        (same.minutes_saved_per_day, same.kg_co2_avoided_per_day),
        (0.0, 0.0)
    );
    assert!(
        same.to_office.kg_co2 > 0.0,
        "the metro ride emits a little: {:?}",
        same.to_office
    );
}

/// Walking on streets must not depend on the direction (ways are walked both ways).
#[test]
fn street_walking_is_symmetric() {
    let e = engine(TransitData::default()).with_streets(&street_grid(9, 70.0));
    let nodes: Vec<LatLon> = e.network().nodes().iter().map(|n| n.at).collect();
    for (i, j) in [(0, 80), (5, 40), (17, 66), (8, 72)] {
        let there = e
            .travel_time(nodes[i], nodes[j], Mode::Walk)
            .unwrap()
            .seconds;
        let back = e
            .travel_time(nodes[j], nodes[i], Mode::Walk)
            .unwrap()
            .seconds;
        assert_eq!(there, back);
    }
}

/// The server shares one model between request handlers (`Arc<Proximity>`).
#[test]
fn the_model_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Proximity>();
}
