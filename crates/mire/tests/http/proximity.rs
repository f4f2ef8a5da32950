//! Proximity and time: the public API (travel times, isochrones, NIL accessibility, time
//! regained) checked against the engine's own rules, the three pages, and the operator's
//! commands `mire import osm` and `mire proximity export-network`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    html_decode, Api, Reply, Scratch, ServerOptions, TestServer, BICOCCA, CORVETTO, DUOMO, MIRE,
    OUTSIDE_MILAN,
};

/// Milano Centrale, the railway station (NIL 2 area), north-east of the Duomo.
const CENTRALE: (f64, f64) = (45.4858, 9.2040);
/// A coworking space a few hundred metres from the Corvetto home.
const NEAR_CORVETTO: (f64, f64) = (45.4420, 9.2200);

fn point((lat, lon): (f64, f64)) -> String {
    format!("{lat},{lon}")
}

fn at(place: crate::common::Place) -> String {
    point((place.lat, place.lon))
}

/// Great-circle distance in metres (mean Earth radius), computed here, not by the server.
fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// The NIL ids of the Comune's open data (ds964), read from the shipped file.
fn nil_ids_of_open_data() -> BTreeSet<u64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/milano/boundaries/ds964_nil.geojson");
    let text = std::fs::read_to_string(&path).expect("read the NIL boundaries");
    let doc: Value = serde_json::from_str(&text).expect("NIL GeoJSON");
    doc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["ID_NIL"].as_u64().expect("ID_NIL"))
        .collect()
}

async fn travel(api: &Api, from: &str, to: &str, mode: &str) -> Value {
    api.get(&format!(
        "/api/v1/proximity/travel-time?from={from}&to={to}&mode={mode}"
    ))
    .await
    .expect(200)
}

fn seconds(v: &Value) -> f64 {
    v["seconds"]
        .as_f64()
        .unwrap_or_else(|| panic!("no seconds in {v}"))
}

/// The engine's walking speed, as the time-regained answer states its factors.
async fn walking_speed(api: &Api) -> f64 {
    let v = api
        .get(&format!(
            "/api/v1/proximity/time-regained?home={}&office={}&coworking={}",
            at(DUOMO),
            at(BICOCCA),
            at(DUOMO)
        ))
        .await
        .expect(200);
    v["factors"]["walking_speed_m_s"]
        .as_f64()
        .expect("walking speed among the factors")
}

#[tokio::test]
async fn transit_beats_walking_from_the_duomo_to_centrale_and_legs_add_up() {
    let server = TestServer::start();
    let api = server.api(None);
    let (duomo, centrale) = (at(DUOMO), point(CENTRALE));
    let transit = travel(&api, &duomo, &centrale, "transit").await;
    let walk = travel(&api, &duomo, &centrale, "walk").await;
    assert!(
        seconds(&transit) < seconds(&walk),
        "by transit ({} s) must be faster than on foot ({} s) over 3 km:\n{transit}\n{walk}",
        seconds(&transit),
        seconds(&walk)
    );
    assert_eq!(transit["mode"], "transit");
    assert!(
        (transit["minutes"].as_f64().unwrap() - seconds(&transit) / 60.0).abs() <= 0.05,
        "{transit}"
    );

    // The legs of a journey run from the origin to the destination and add up to its time.
    for journey in [&transit, &walk] {
        let legs = journey["legs"].as_array().expect("legs");
        assert!(!legs.is_empty(), "{journey}");
        let total: f64 = legs.iter().map(|l| l["seconds"].as_f64().unwrap()).sum();
        assert_eq!(total, seconds(journey), "legs must add up:\n{journey}");
        let first = &legs[0]["from"]["at"];
        let last = &legs[legs.len() - 1]["to"]["at"];
        assert_eq!(
            (first["lat"].as_f64(), first["lon"].as_f64()),
            (Some(DUOMO.lat), Some(DUOMO.lon))
        );
        assert_eq!(
            (last["lat"].as_f64(), last["lon"].as_f64()),
            (Some(CENTRALE.0), Some(CENTRALE.1))
        );
        for pair in legs.windows(2) {
            assert_eq!(pair[0]["to"], pair[1]["from"], "legs must join:\n{journey}");
        }
    }
    assert!(
        transit["legs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["mode"] != "walk" && l["line"].is_string()),
        "a transit journey across the centre rides a line:\n{transit}"
    );
    let walk_legs = walk["legs"].as_array().unwrap();
    assert!(walk_legs.iter().all(|l| l["mode"] == "walk"), "{walk}");

    // No walk is faster than the straight line at walking speed, and walking is symmetric.
    let speed = walking_speed(&api).await;
    let straight = haversine_m((DUOMO.lat, DUOMO.lon), CENTRALE);
    assert!(
        seconds(&walk) >= straight / speed - 1.0,
        "walking {straight:.0} m at {speed} m/s takes at least {:.0} s, got {}",
        straight / speed,
        seconds(&walk)
    );
    let back = travel(&api, &centrale, &duomo, "walk").await;
    assert_eq!(seconds(&back), seconds(&walk), "walking is symmetric");

    // Without a mode the API walks.
    let default = api
        .get(&format!(
            "/api/v1/proximity/travel-time?from={duomo}&to={centrale}"
        ))
        .await
        .expect(200);
    assert_eq!(seconds(&default), seconds(&walk));
}

/// The cells of the isochrone's area, as `[[west, south], [east, north]]` boxes.
fn area_boxes(v: &Value) -> Vec<Vec<f64>> {
    let area = &v["features"][0];
    assert_eq!(area["geometry"]["type"], "MultiPolygon", "{area}");
    area["geometry"]["coordinates"]
        .as_array()
        .expect("polygons")
        .iter()
        .map(|poly| {
            let ring = poly[0].as_array().expect("ring");
            vec![
                ring[0][0].as_f64().unwrap(),
                ring[0][1].as_f64().unwrap(),
                ring[2][0].as_f64().unwrap(),
                ring[2][1].as_f64().unwrap(),
            ]
        })
        .collect()
}

fn area_m2(boxes: &[Vec<f64>]) -> f64 {
    boxes
        .iter()
        .map(|b| {
            let w = haversine_m((b[1], b[0]), (b[1], b[2]));
            let h = haversine_m((b[1], b[0]), (b[3], b[0]));
            w * h
        })
        .sum()
}

#[tokio::test]
async fn isochrones_grow_with_the_time_budget() {
    let server = TestServer::start();
    let api = server.api(None);
    for mode in ["walk", "transit"] {
        let mut previous: Option<(BTreeSet<u64>, f64, usize)> = None;
        for minutes in [5, 10, 20, 30] {
            let reply = api
                .get(&format!(
                    "/api/v1/proximity/isochrone?from={}&minutes={minutes}&mode={mode}",
                    at(DUOMO)
                ))
                .await;
            assert!(
                reply.content_type().starts_with("application/geo+json"),
                "{reply}"
            );
            let v = reply.expect(200);
            assert_eq!(v["type"], "FeatureCollection");
            let nils: BTreeSet<u64> = v["nil_ids"]
                .as_array()
                .expect("nil_ids")
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect();
            assert!(
                nils.contains(&(DUOMO.nil_id as u64)),
                "{minutes} min {mode}: the origin's NIL is reached"
            );
            assert_eq!(
                v["features"][0]["properties"]["nil_ids"], v["nil_ids"],
                "the area feature carries the same NIL ids"
            );
            let area = area_m2(&area_boxes(&v));
            let points = v["features"].as_array().unwrap().len() - 1;
            for f in &v["features"].as_array().unwrap()[1..] {
                assert_eq!(f["geometry"]["type"], "Point");
                assert!(f["properties"]["seconds"].as_f64().unwrap() <= f64::from(minutes) * 60.0);
            }
            if let Some((before, before_area, before_points)) = &previous {
                assert!(
                    before.is_subset(&nils),
                    "{mode}: NIL reached within less time stay reached in {minutes} min: {before:?} vs {nils:?}"
                );
                assert!(
                    area >= *before_area,
                    "{mode}: the area grows with the budget"
                );
                assert!(
                    points >= *before_points,
                    "{mode}: places reached never shrink"
                );
            }
            previous = Some((nils, area, points));
        }
        let (nils, area, _) = previous.unwrap();
        assert!(
            nils.len() > 1 && area > 1e6,
            "{mode}: 30 minutes reach beyond one NIL"
        );
    }
}

#[tokio::test]
async fn bad_coordinates_modes_and_minutes_are_422_with_the_field_in_both_languages() {
    let server = TestServer::start();
    let api = server.api(None);
    let duomo = at(DUOMO);
    for (name, lat, lon) in OUTSIDE_MILAN {
        let outside = point((lat, lon));
        let r = api
            .get(&format!(
                "/api/v1/proximity/travel-time?from={outside}&to={duomo}&mode=transit"
            ))
            .await;
        r.expect_invalid("from");
        let r = api
            .get(&format!("/api/v1/proximity/isochrone?from={outside}"))
            .await;
        r.expect_invalid("from");
        let r = api
            .get(&format!(
                "/api/v1/proximity/time-regained?home={duomo}&office={duomo}&coworking={outside}"
            ))
            .await;
        let v = r.expect_invalid("coworking");
        assert_eq!(
            v["fields"].as_array().unwrap().len(),
            1,
            "{name}: only the coworking is wrong:\n{r}"
        );
    }
    let huge = "9".repeat(5000);
    let malformed_list = [
        "abc",
        "45.46",
        "45.46,9.19,3",
        "NaN,9.19",
        "",
        "45.46%2Cnord",
        "%F0%9F%98%80,9.19",
        &huge,
    ];
    for malformed in malformed_list {
        let r = api
            .get(&format!(
                "/api/v1/proximity/travel-time?from={duomo}&to={malformed}"
            ))
            .await;
        r.expect_invalid("to");
    }
    for impossible in ["95,9.19", "45.46,200"] {
        api.get(&format!("/api/v1/proximity/isochrone?from={impossible}"))
            .await
            .expect_invalid("from");
    }
    for mode in ["bike", "WALK", "car"] {
        api.get(&format!(
            "/api/v1/proximity/travel-time?from={duomo}&to={duomo}&mode={mode}"
        ))
        .await
        .expect_invalid("mode");
    }
    api.get(&format!(
        "/api/v1/proximity/time-regained?home={duomo}&office={duomo}&coworking={duomo}&mode=walk"
    ))
    .await
    .expect_invalid("mode");
    api.get("/api/v1/proximity/nil-accessibility?mode=teleport")
        .await
        .expect_invalid("mode");
    for minutes in ["0", "-5", "121", "1e9", "abc", "NaN", "inf"] {
        api.get(&format!(
            "/api/v1/proximity/isochrone?from={duomo}&minutes={minutes}"
        ))
        .await
        .expect_invalid("minutes");
    }
    // Every wrong field at once, each with its own message, in the caller's language.
    let path = "/api/v1/proximity/travel-time?from=45.5845,9.2744&to=nowhere&mode=bike";
    let it = api.get(path).await.expect_invalid("from");
    let en = api
        .send_with_header("GET", path, "accept-language", "en")
        .await
        .expect_invalid("to");
    let fields = |v: &Value| -> Vec<(String, String)> {
        v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["field"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (it, en) = (fields(&it), fields(&en));
    assert_eq!(
        it.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["from", "to", "mode"]
    );
    for ((field, it_msg), (_, en_msg)) in it.iter().zip(&en) {
        assert!(!it_msg.is_empty() && !en_msg.is_empty());
        assert_ne!(
            it_msg, en_msg,
            "{field}: the message must follow Accept-Language"
        );
    }
    assert!(it[0].1.contains("Milano"), "{it:?}");
    assert!(en[0].1.contains("outside"), "{en:?}");
}

#[tokio::test]
async fn nil_accessibility_covers_every_nil_and_weighs_the_city_by_residents() {
    let server = TestServer::start();
    let api = server.api(None);
    let walk = api
        .get("/api/v1/proximity/nil-accessibility")
        .await
        .expect(200);
    let transit = api
        .get("/api/v1/proximity/nil-accessibility?mode=transit")
        .await
        .expect(200);
    assert_eq!(walk["mode"], "walk");
    assert_eq!(transit["mode"], "transit");
    let expected = nil_ids_of_open_data();
    for report in [&walk, &transit] {
        let nils = report["nils"].as_array().expect("nils");
        let ids: BTreeSet<u64> = nils.iter().map(|n| n["nil_id"].as_u64().unwrap()).collect();
        assert_eq!(ids, expected, "every NIL of the open data, once");
        assert_eq!(nils.len(), expected.len());
        let categories: Vec<&Value> = report["city"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["category"])
            .collect();
        assert!(categories.len() >= 7, "{categories:?}");
        let total: f64 = nils.iter().map(|n| n["residents"].as_f64().unwrap()).sum();
        assert!(
            total > 1_300_000.0,
            "Milan has about 1.4 million residents: {total}"
        );
        for (k, city) in report["city"].as_array().unwrap().iter().enumerate() {
            // The city's share is the residents' share: NIL shares weighted by residents.
            let weighted: f64 = nils
                .iter()
                .map(|n| {
                    assert_eq!(n["shares"][k]["category"], city["category"]);
                    n["shares"][k]["share"].as_f64().unwrap() * n["residents"].as_f64().unwrap()
                })
                .sum::<f64>()
                / total;
            let share = city["share"].as_f64().unwrap();
            assert!(
                (share - weighted).abs() < 1e-9,
                "{}: {share} vs {weighted}",
                city["category"]
            );
        }
        for n in nils {
            let shares: Vec<f64> = n["shares"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["share"].as_f64().unwrap())
                .collect();
            assert_eq!(shares.len(), categories.len());
            assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)), "{n}");
            let mean = 100.0 * shares.iter().sum::<f64>() / shares.len() as f64;
            assert!(
                (n["score"].as_f64().unwrap() - mean).abs() < 1e-9,
                "the score is the mean share: {n}"
            );
        }
    }
    // Public transport adds to walking, never takes away.
    for (w, t) in walk["nils"]
        .as_array()
        .unwrap()
        .iter()
        .zip(transit["nils"].as_array().unwrap())
    {
        assert_eq!(w["nil_id"], t["nil_id"]);
        for (ws, ts) in w["shares"]
            .as_array()
            .unwrap()
            .iter()
            .zip(t["shares"].as_array().unwrap())
        {
            assert!(
                ts["share"].as_f64() >= ws["share"].as_f64(),
                "NIL {}: {} by transit below walking",
                w["name"],
                ts["category"]
            );
        }
    }
    // Computed once: the same report again.
    let again = api
        .get("/api/v1/proximity/nil-accessibility?mode=walk")
        .await
        .expect(200);
    assert_eq!(again, walk);
}

#[tokio::test]
async fn time_regained_is_positive_when_the_coworking_is_nearer_home_than_the_office() {
    let server = TestServer::start();
    let api = server.api(None);
    let (home, office, coworking) = (at(CORVETTO), at(BICOCCA), point(NEAR_CORVETTO));
    let regained = |mode: &'static str, office: String, coworking: String| {
        let api = api.clone();
        let home = home.clone();
        async move {
            api.get(&format!(
                "/api/v1/proximity/time-regained?home={home}&office={office}&coworking={coworking}&mode={mode}"
            ))
            .await
            .expect(200)
        }
    };
    for mode in ["car", "transit"] {
        let v = regained(mode, office.clone(), coworking.clone()).await;
        assert_eq!(v["mode"], mode);
        let (to_office, to_coworking) = (&v["to_office"], &v["to_coworking"]);
        let saved = v["minutes_saved_per_day"].as_f64().unwrap();
        assert!(
            saved > 0.0,
            "{mode}: a coworking near home saves time:\n{v}"
        );
        let expected = 2.0
            * (to_office["minutes"].as_f64().unwrap() - to_coworking["minutes"].as_f64().unwrap());
        assert!(
            (saved - expected).abs() < 0.011,
            "{mode}: saved = 2 × difference:\n{v}"
        );
        assert!(
            v["kg_co2_avoided_per_day"].as_f64().unwrap() > 0.0,
            "{mode}:\n{v}"
        );
        assert!(v["enea_kg_co2_per_day"].as_f64().unwrap() > 0.0);
        assert!(
            v["sources"].as_array().is_some_and(|s| s.len() >= 3),
            "the factors' sources come with the answer:\n{v}"
        );
        if mode == "car" {
            // CO2 by car is the vehicle kilometres avoided times the stated factor.
            let factor = v["factors"]["car_kg_co2_per_km"].as_f64().unwrap();
            let km = v["km_avoided_per_day"].as_f64().unwrap();
            let kg = v["kg_co2_avoided_per_day"].as_f64().unwrap();
            assert!((kg - km * factor).abs() < 0.02, "{v}");
        } else if to_office["walks"] == false {
            // By transit, the trip to the office is the travel-time API's transit journey.
            let journey = travel(&api, &home, &office, "transit").await;
            assert_eq!(to_office["minutes"], journey["minutes"], "{v}\n{journey}");
        }
    }
    // The other way round, the coworking space is the far one: time is lost, not saved.
    let v = regained("transit", point(NEAR_CORVETTO), at(BICOCCA)).await;
    assert!(v["minutes_saved_per_day"].as_f64().unwrap() < 0.0, "{v}");

    let r = api
        .get(&format!(
            "/api/v1/proximity/time-regained?home={home}&coworking={coworking}"
        ))
        .await;
    let v = r.expect_invalid("office");
    assert_eq!(v["fields"].as_array().unwrap().len(), 1, "{r}");
}

fn assert_page(reply: &Reply, lang: &str) -> String {
    assert_eq!(reply.status, 200, "{reply}");
    assert!(reply.content_type().starts_with("text/html"), "{reply}");
    let text = reply.text();
    assert!(
        text.contains(&format!("lang=\"{lang}\"")),
        "page in {lang}:\n{reply}"
    );
    text
}

#[tokio::test]
async fn the_proximity_pages_render_in_both_languages_and_agree_with_the_api() {
    let server = TestServer::start();
    let web = server.web();
    let nils = nil_ids_of_open_data();
    let home = web.get("/").await.text();
    assert!(
        home.contains("href=\"/quindici-minuti\""),
        "the main navigation links the pages"
    );

    // What is within 15 minutes: a chooser map whose every NIL is a link.
    let page = assert_page(&web.get("/quindici-minuti").await, "it");
    let links = page.matches("href=\"/quindici-minuti?nil=").count();
    assert_eq!(
        links,
        nils.len(),
        "every NIL on the map is a link that picks it"
    );
    assert!(page.contains("Comune di Milano") && page.contains("CC BY 4.0"));

    let page = html_decode(&assert_page(
        &web.get("/quindici-minuti?nil=1&mode=walk").await,
        "it",
    ));
    assert!(
        page.contains("Cosa raggiungi da DUOMO"),
        "results for the chosen NIL"
    );
    assert!(
        page.contains("<svg") && page.contains("map-marker-origin"),
        "the map marks the origin"
    );
    let iso = server
        .api(None)
        .get("/api/v1/proximity/isochrone?from=45.4642,9.19&mode=walk&minutes=15")
        .await
        .expect(200);
    assert!(!iso["nils"].as_array().unwrap().is_empty());

    let page = assert_page(
        &web.get("/quindici-minuti?by=point&from=45.4642%2C+9.19&mode=transit")
            .await,
        "it",
    );
    assert!(
        page.contains("Stazioni della metropolitana"),
        "nearest services per category"
    );

    // Errors: the summary, the message by the field, what was typed kept.
    let reply = web
        .get("/quindici-minuti?by=point&from=45.5845%2C9.2744&mode=walk")
        .await;
    assert_eq!(reply.status, 422, "{reply}");
    let page = reply.text();
    assert!(
        page.contains("role=\"alert\"") && page.contains("href=\"#f-from\""),
        "{reply}"
    );
    assert!(
        page.contains("id=\"e-from\"") && page.contains("value=\"45.5845,9.2744\""),
        "{reply}"
    );
    let reply = web.get("/quindici-minuti?by=nil&nil=&mode=walk").await;
    assert_eq!(reply.status, 422, "{reply}");
    assert!(reply.text().contains("href=\"#f-nil\""), "{reply}");

    // What was typed comes back escaped.
    let reply = web
        .get("/quindici-minuti?by=point&from=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(reply.status, 422, "{reply}");
    assert!(!reply.text().contains("<script>alert(1)"), "{reply}");

    // The accessibility map: a row for every NIL, the city score of the API.
    let page = html_decode(&assert_page(&web.get("/accessibilita").await, "it"));
    assert_eq!(
        page.matches("<tr><th scope=\"row\"><a href=\"/quindici-minuti?nil=")
            .count(),
        nils.len()
    );
    assert!(
        page.contains("class=\"map-legend\""),
        "the choropleth has a legend"
    );
    let report = server
        .api(None)
        .get("/api/v1/proximity/nil-accessibility")
        .await
        .expect(200);
    let score = format!("{:.0}", report["score"].as_f64().unwrap());
    assert!(
        page.contains(&format!("<span class=\"stat-value\">{score}</span>")),
        "city score {score}"
    );
    assert_page(&web.get("/accessibilita?mode=transit").await, "it");

    // The time-regained calculator, with the factors and sources of the model shown.
    let page = html_decode(&assert_page(&web.get("/tempo-ritrovato").await, "it"));
    for cited in ["ISPRA", "ENEA", "TomTom"] {
        assert!(page.contains(cited), "the page cites {cited}");
    }
    let page = html_decode(&assert_page(
        &web.get(
            "/tempo-ritrovato?home=45.439%2C9.224&office_nil=15&coworking=45.442%2C9.22&mode=car",
        )
        .await,
        "it",
    ));
    assert!(page.contains("minuti risparmiati"), "a result is shown");
    let reply = web
        .get("/tempo-ritrovato?home=45.439%2C9.224&home_nil=35&office_nil=15&mode=car")
        .await;
    assert_eq!(reply.status, 422, "{reply}");
    let page = reply.text();
    for field in ["home", "coworking_nil"] {
        assert!(
            page.contains(&format!("href=\"#f-{field}\"")),
            "{field} in the summary:\n{reply}"
        );
    }
    assert!(
        page.contains("value=\"45.439,9.224\""),
        "typed coordinates kept"
    );

    // The API is described by the OpenAPI document.
    let doc = server.api(None).get("/api/openapi.json").await.expect(200);
    for path in [
        "travel-time",
        "isochrone",
        "nil-accessibility",
        "time-regained",
    ] {
        let path = format!("/api/v1/proximity/{path}");
        assert!(
            doc["paths"].get(&path).is_some(),
            "{path} is not documented"
        );
    }

    // The same pages in English.
    let switched = web.get("/lingua/en?next=/accessibilita").await;
    assert_eq!(switched.status, 303, "{switched}");
    for path in [
        "/quindici-minuti?nil=22",
        "/accessibilita",
        "/tempo-ritrovato",
    ] {
        let page = assert_page(&web.get(path).await, "en");
        assert!(page.contains("Near you"), "{path}: English navigation");
    }
}

// ---------------------------------------------------------------------------------------------
// The command line: export-network and import osm
// ---------------------------------------------------------------------------------------------

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn export_network_writes_nodes_edges_and_geojson() {
    let scratch = Scratch::new();
    let out = scratch.dir.join("export");
    let run = scratch.mire(&[
        "proximity",
        "export-network",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.success, "{run}");
    let nodes = read(&out.join("nodes.csv"));
    let edges = read(&out.join("edges.csv"));
    let mut node_lines = nodes.lines();
    assert_eq!(node_lines.next(), Some("id,kind,stop_id,name,lat,lon"));
    let node_count = node_lines.count();
    let mut edge_lines = edges.lines();
    assert!(edge_lines
        .next()
        .is_some_and(|h| h.starts_with("from,to,seconds,metres,mode")));
    let edge_count = edge_lines.clone().count();
    assert!(
        node_count > 1000 && edge_count > node_count,
        "{node_count} nodes, {edge_count} edges"
    );
    assert!(
        run.stdout
            .contains(&format!("{node_count} nodes and {edge_count} edges")),
        "the summary counts what was written:\n{run}"
    );
    // Every edge joins known nodes, with a positive time and a known mode.
    for line in edge_lines.take(5000) {
        let cols: Vec<&str> = line.split(',').collect();
        let (from, to): (usize, usize) = (cols[0].parse().unwrap(), cols[1].parse().unwrap());
        assert!(from < node_count && to < node_count, "{line}");
        assert!(cols[2].parse::<u32>().unwrap() > 0, "{line}");
        assert!(
            ["walk", "metro", "tram", "bus", "trolleybus"].contains(&cols[4]),
            "{line}"
        );
    }
    let geojson: Value =
        serde_json::from_str(&read(&out.join("network.geojson"))).expect("GeoJSON");
    assert_eq!(geojson["type"], "FeatureCollection");
    let params: Value = serde_json::from_str(&read(&out.join("params.json"))).expect("params");
    assert!(params["walking"]["speed_m_s"].as_f64().is_some());
    assert!(read(&out.join("README.txt")).contains("CC BY 4.0"));
}

/// A tiny OpenStreetMap XML file near the Duomo: a footway that goes 500 m north, across and
/// back down (A-C-D-B), a motorway straight from A to B that pedestrians may not use, and a
/// building outline. Returns the file and the four footway nodes in order.
fn tiny_osm(dir: &Path) -> (PathBuf, Vec<(f64, f64)>) {
    let a = (45.4640, 9.1880);
    let c = (45.4685, 9.1880);
    let d = (45.4685, 9.1905);
    let b = (45.4640, 9.1905);
    let building = [(45.4650, 9.1890), (45.4652, 9.1890), (45.4652, 9.1893)];
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"mire tests\">\n",
    );
    for (id, (lat, lon)) in [(1, a), (2, c), (3, d), (4, b)].into_iter().chain(
        building
            .iter()
            .enumerate()
            .map(|(i, p)| (10 + i as i64, *p)),
    ) {
        xml += &format!("  <node id=\"{id}\" version=\"1\" lat=\"{lat}\" lon=\"{lon}\"/>\n");
    }
    xml += "  <way id=\"100\" version=\"1\"><nd ref=\"1\"/><nd ref=\"2\"/><nd ref=\"3\"/><nd ref=\"4\"/>\
            <tag k=\"highway\" v=\"footway\"/></way>\n";
    xml += "  <way id=\"101\" version=\"1\"><nd ref=\"1\"/><nd ref=\"4\"/><tag k=\"highway\" v=\"motorway\"/></way>\n";
    xml += "  <way id=\"102\" version=\"1\"><nd ref=\"10\"/><nd ref=\"11\"/><nd ref=\"12\"/><nd ref=\"10\"/>\
            <tag k=\"building\" v=\"yes\"/></way>\n";
    xml += "</osm>\n";
    let path = dir.join("centro.osm");
    std::fs::write(&path, xml).expect("write the OSM file");
    (path, vec![a, c, d, b])
}

/// Starts `mire serve` with `env` and waits for it to end by itself (a deadline, not a pause);
/// returns whether it succeeded and its stderr.
fn serve_until_exit(scratch: &Scratch, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(MIRE);
    cmd.args(["serve", "--no-demo", "--listen", "127.0.0.1:0"]);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MIRE_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(&scratch.dir)
        .env("DATABASE_URL", &scratch.database_url)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("start mire serve");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(90)) {
        Ok(Ok(out)) => (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Ok(Err(e)) => panic!("waiting for mire serve: {e}"),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("mire serve kept running with a damaged walking network file");
        }
    }
}

#[tokio::test]
async fn an_imported_street_network_is_used_by_the_server() {
    let scratch = Scratch::new();
    let (osm, footway) = tiny_osm(&scratch.dir);
    let saved = scratch.dir.join("networks").join("centro.bin");

    let run = scratch.mire(&[
        "import",
        "osm",
        osm.to_str().unwrap(),
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert!(run.success, "{run}");
    assert!(
        saved.exists(),
        "the network is saved where --out says:\n{run}"
    );
    assert!(
        run.stdout.contains("4 nodes") && run.stdout.contains("MIRE_PROXIMITY_STREETS="),
        "a summary (only the footway's 4 nodes) and how to use the file:\n{run}"
    );
    assert!(
        run.stderr.contains("1/3") && run.stderr.contains("3/3"),
        "stage messages:\n{run}"
    );

    // The default output name, in the working directory.
    let default_run = scratch.mire(&["import", "osm", osm.to_str().unwrap()]);
    assert!(default_run.success, "{default_run}");
    assert!(
        scratch.dir.join("mire-streets.bin").exists(),
        "{default_run}"
    );

    // A file that is not OpenStreetMap, and one with nothing walkable, are refused.
    let broken = scratch.dir.join("broken.osm");
    std::fs::write(&broken, "<osm><node id=\"1\" lat=\"x\"").unwrap();
    let nothing = scratch.dir.join("nothing.osm");
    std::fs::write(
        &nothing,
        "<osm><node id=\"1\" lat=\"45.46\" lon=\"9.19\"/><node id=\"2\" lat=\"45.47\" lon=\"9.19\"/>\
         <way id=\"9\"><nd ref=\"1\"/><nd ref=\"2\"/><tag k=\"highway\" v=\"motorway\"/></way></osm>",
    )
    .unwrap();
    for bad in [&broken, &nothing, &scratch.dir.join("missing.osm")] {
        let out = scratch.dir.join("refused.bin");
        let run = scratch.mire(&[
            "import",
            "osm",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!run.success && !run.stderr.trim().is_empty(), "{run}");
        assert!(
            !out.exists(),
            "nothing saved from {}:\n{run}",
            bad.display()
        );
    }

    // The path the footway takes, measured here.
    let path_m: f64 = footway.windows(2).map(|w| haversine_m(w[0], w[1])).sum();
    let (a, b) = (footway[0], footway[3]);
    let query = format!(
        "/api/v1/proximity/travel-time?from={}&to={}&mode=walk",
        point(a),
        point(b)
    );

    let plain = TestServer::start();
    let speed = walking_speed(&plain.api(None)).await;
    let without = plain.api(None).get(&query).await.expect(200);
    assert_eq!(without["streets"], false);

    let with_streets = TestServer::start_with(ServerOptions {
        env: vec![(
            "MIRE_PROXIMITY_STREETS".into(),
            saved.to_string_lossy().into_owned(),
        )],
        ..ServerOptions::default()
    });
    let with = with_streets.api(None).get(&query).await.expect(200);
    assert_eq!(with["streets"], true, "{with}");
    // Along the footway (the motorway is not for pedestrians): its length at walking speed,
    // give or take the rounding of each segment up to a whole second.
    let expected = path_m / speed;
    let got = seconds(&with);
    assert!(
        got >= expected - 1.0 && got <= expected + 4.0,
        "walking A to B on the imported footway ({path_m:.0} m at {speed} m/s = {expected:.0} s), got {got} s:\n{with}"
    );
    let metres: f64 = with["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["metres"].as_f64().unwrap())
        .sum();
    assert!(
        (metres - path_m).abs() < path_m * 0.01,
        "{metres} m walked vs {path_m:.0} m"
    );
    assert!(
        got > 2.0 * seconds(&without),
        "the straight-line estimate ({} s) ignores the detour the streets force",
        seconds(&without)
    );

    // export-network with the configured network writes its street nodes too.
    std::fs::write(
        scratch.dir.join("mire.toml"),
        format!("proximity_streets = {:?}\n", saved.to_string_lossy()),
    )
    .unwrap();
    let out = scratch.dir.join("export");
    let run = scratch.mire(&[
        "proximity",
        "export-network",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.success && run.stdout.contains("with the walking network"),
        "{run}"
    );
    let street_nodes = read(&out.join("nodes.csv"))
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("street"))
        .count();
    assert_eq!(street_nodes, 4, "the footway's nodes are in the export");

    // A damaged network file stops the server at start, saying which file.
    let damaged = scratch.dir.join("damaged.bin");
    std::fs::write(&damaged, b"MIREWLK1 but not really").unwrap();
    let (ok, stderr) = serve_until_exit(
        &scratch,
        &[("MIRE_PROXIMITY_STREETS", damaged.to_str().unwrap())],
    );
    assert!(!ok, "the server must not start with a damaged network file");
    assert!(
        stderr.contains("damaged.bin"),
        "the error names the file:\n{stderr}"
    );
}
