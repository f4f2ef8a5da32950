//! Coworking search by travel time: spaces reachable from a point within N minutes on foot or
//! by public transport, quickest first, timed as the proximity API times the same trip.

use serde_json::{json, Value};

use crate::common::*;

/// Piazzale Loreto, by the M1/M2 station: where the searches start.
const LORETO: (f64, f64) = (45.4856, 9.2160);
/// A few hundred metres from Loreto, within a short walk.
const NEAR_LORETO: Place = Place {
    name: "Via Padova",
    lat: 45.4872,
    lon: 9.2195,
    municipio: 2,
    nil_id: 0,
};

fn items(reply: &Value) -> Vec<(i64, f64)> {
    reply["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {reply}"))
        .iter()
        .map(|i| {
            let minutes = i["travel_minutes"]
                .as_f64()
                .unwrap_or_else(|| panic!("no travel_minutes: {i}"));
            (i["id"].as_i64().unwrap(), minutes)
        })
        .collect()
}

/// Minutes of the fastest trip from Loreto to a space, by the proximity API.
async fn travel_time(api: &Api, space: &Value, mode: &str) -> f64 {
    let reply = api
        .get(&format!(
            "/api/v1/proximity/travel-time?from={},{}&to={},{}&mode={mode}",
            LORETO.0, LORETO.1, space["lat"], space["lon"]
        ))
        .await
        .expect(200);
    reply["minutes"].as_f64().unwrap()
}

fn search_path(extra: &str) -> String {
    format!(
        "/api/v1/coworking/spaces?lat={}&lon={}{extra}",
        LORETO.0, LORETO.1
    )
}

#[tokio::test]
async fn spaces_are_found_by_travel_time_quickest_first() {
    let server = TestServer::start();
    let public = server.api(None);
    let (_, duomo) = coworking_space(&server, DUOMO, json!({})).await;
    let (_, near) = coworking_space(&server, NEAR_LORETO, json!({})).await;
    let (_, baggio) = coworking_space(&server, BAGGIO, json!({})).await;
    let id = |s: &Value| s["id"].as_i64().unwrap();

    // What the proximity API says about the three trips frames the search below.
    let duomo_transit = travel_time(&public, &duomo, "transit").await;
    let duomo_walk = travel_time(&public, &duomo, "walk").await;
    let near_transit = travel_time(&public, &near, "transit").await;
    let near_walk = travel_time(&public, &near, "walk").await;
    let baggio_transit = travel_time(&public, &baggio, "transit").await;
    assert!(
        near_transit < duomo_transit && duomo_transit <= 20.0 && baggio_transit > 20.0,
        "near {near_transit}, Duomo {duomo_transit}, Baggio {baggio_transit}"
    );
    assert!(
        near_walk <= 20.0 && duomo_walk > 20.0,
        "on foot: near {near_walk}, Duomo {duomo_walk}"
    );

    // By transit (the default mode): the metro brings the Duomo within 20 minutes, Baggio
    // stays out; quickest first, each figure the same as the travel-time API's.
    let transit = public.get(&search_path("&minutes=20")).await.expect(200);
    assert_eq!(
        items(&transit),
        [(id(&near), near_transit), (id(&duomo), duomo_transit)],
        "{transit}"
    );
    // On foot the Duomo is too far; the near space takes as long as the walking trip.
    let walk = public
        .get(&search_path("&minutes=20&mode=walk"))
        .await
        .expect(200);
    assert_eq!(items(&walk), [(id(&near), near_walk)], "{walk}");

    // A radius still applies next to the time; paging comes after the travel-time filter.
    let close = public
        .get(&search_path("&minutes=20&radius_m=1000"))
        .await
        .expect(200);
    assert_eq!(items(&close), [(id(&near), near_transit)], "{close}");
    let second = public
        .get(&search_path("&minutes=20&limit=1&offset=1"))
        .await
        .expect(200);
    assert_eq!(items(&second), [(id(&duomo), duomo_transit)], "{second}");
    // A NIL is a starting point too (its reference point, as on the proximity pages).
    let from_nil = public
        .get(&format!(
            "/api/v1/coworking/spaces?near_nil={}&minutes=60",
            BAGGIO.nil_id
        ))
        .await
        .expect(200);
    assert_eq!(items(&from_nil)[0].0, id(&baggio), "{from_nil}");
    // Without minutes nothing is timed.
    let plain = public
        .get(&search_path("&radius_m=20000"))
        .await
        .expect(200);
    assert!(plain["items"][0]["travel_minutes"].is_null(), "{plain}");
}

#[tokio::test]
async fn bad_travel_filters_are_refused_naming_the_field() {
    let server = TestServer::start();
    let public = server.api(None);
    for minutes in ["0", "61", "7.5", "tanti"] {
        public
            .get(&search_path(&format!("&minutes={minutes}")))
            .await
            .expect_invalid("minutes");
    }
    public
        .get(&search_path("&minutes=10&mode=bike"))
        .await
        .expect_invalid("mode");
    public
        .get("/api/v1/coworking/spaces?minutes=10")
        .await
        .expect_invalid("lat");
    let (_, lat, lon) = OUTSIDE_MILAN[0];
    public
        .get(&format!(
            "/api/v1/coworking/spaces?lat={lat}&lon={lon}&minutes=10"
        ))
        .await
        .expect_invalid("lat");
    public
        .get("/api/v1/coworking/spaces?near_nil=999&minutes=10")
        .await
        .expect_invalid("near_nil");
    for radius in ["0", "-5"] {
        public
            .get(&format!(
                "/api/v1/coworking/spaces?near_nil=1&radius_m={radius}"
            ))
            .await
            .expect_invalid("radius_m");
    }
    // The message speaks the caller's language.
    for (lang, words) in [("it", "minuti"), ("en", "Minutes")] {
        let reply = public
            .send_with_header("GET", &search_path("&minutes=90"), "Accept-Language", lang)
            .await;
        let body = reply.expect_invalid("minutes");
        let message = body["fields"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words) && message.contains("60"), "{body}");
    }
}

#[tokio::test]
async fn the_search_page_shows_travel_minutes_and_keeps_what_was_typed() {
    let server = TestServer::start();
    let (_, near) = coworking_space(&server, NEAR_LORETO, json!({})).await;
    let web = server.web();
    let from = format!("{},{}", LORETO.0, LORETO.1);
    let page = web
        .get(&format!("/coworking?near={from}&minutes=15&mode=walk"))
        .await;
    assert_eq!(page.status, 200, "{page}");
    let html = html_decode(&page.text());
    let expected = travel_time(&server.api(None), &near, "walk").await;
    let shown = format!("{expected:.1} min a piedi").replace('.', ",");
    assert!(
        html.contains(near["name"].as_str().unwrap()) && html.contains(&shown),
        "expected {shown:?}:\n{html}"
    );
    let wrong = web.get("/coworking?near_nil=1&minutes=tanti").await;
    assert_eq!(wrong.status, 422, "{wrong}");
    let html = html_decode(&wrong.text());
    assert!(html.contains("value=\"tanti\"") && html.contains("id=\"e-minutes\""));
}
