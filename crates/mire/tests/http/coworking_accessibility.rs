//! Coworking spaces in the 15-minute city: the NIL accessibility report, the isochrone and
//! "Cosa c'è a 15 minuti" count the spaces of the database that have a desk, and follow every
//! change, also one made by another process (`mire import coworkings`) while the server runs.

use serde_json::{json, Value};

use crate::common::*;

/// The coworking share of a NIL in a report, if the category is there.
fn coworking_share(report: &Value, nil_id: i64) -> Option<f64> {
    let nil = report["nils"]
        .as_array()
        .expect("nils")
        .iter()
        .find(|n| n["nil_id"] == nil_id)
        .unwrap_or_else(|| panic!("no NIL {nil_id}"));
    nil["shares"]
        .as_array()
        .expect("shares")
        .iter()
        .find(|s| s["category"] == "coworking")
        .map(|s| s["share"].as_f64().unwrap())
}

/// The ids of the coworking spaces an isochrone of 10 minutes on foot from `place` reaches.
async fn coworking_reached(api: &Api, place: Place) -> Vec<String> {
    let iso = api
        .get(&format!(
            "/api/v1/proximity/isochrone?from={},{}&minutes=10&mode=walk",
            place.lat, place.lon
        ))
        .await
        .expect(200);
    iso["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["properties"]["category"] == "coworking")
        .map(|f| f["properties"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

async fn report(api: &Api) -> Value {
    api.get("/api/v1/proximity/nil-accessibility?mode=walk")
        .await
        .expect(200)
}

#[tokio::test]
async fn the_accessibility_report_counts_the_spaces_with_a_desk() {
    let server = TestServer::start();
    let public = server.api(None);
    let empty = report(&public).await;
    assert_eq!(
        coworking_share(&empty, CORVETTO.nil_id),
        None,
        "no spaces yet"
    );

    // A space with only a meeting room is not a place to work for the day.
    let (operator, space) = coworking_space(&server, CORVETTO, json!({})).await;
    let id = space["id"].as_i64().unwrap();
    coworking_resource(&operator, id, "meeting_room", 8, 3000).await;
    assert_eq!(report(&public).await, empty, "meeting rooms do not count");
    assert!(coworking_reached(&public, CORVETTO).await.is_empty());

    coworking_resource(&operator, id, "open_desk", 10, 2000).await;
    let with_space = report(&public).await;
    let share = coworking_share(&with_space, CORVETTO.nil_id).expect("a coworking category");
    assert!(share > 0.0, "the NIL of the space reaches it: {share}");
    assert_eq!(
        coworking_share(&with_space, BAGGIO.nil_id),
        Some(0.0),
        "Baggio is far from Corvetto on foot"
    );
    assert_eq!(
        coworking_reached(&public, CORVETTO).await,
        [id.to_string()],
        "the isochrone lists the space among the points reached"
    );
    assert!(coworking_reached(&public, BAGGIO).await.is_empty());
    let city = &with_space["city"].as_array().unwrap();
    assert_eq!(city.last().unwrap()["category"], "coworking", "{city:?}");

    // The pages show it: a column of the table, a category of the 15-minute list.
    let web = server.web();
    let page = web.get("/accessibilita?mode=walk").await;
    assert_eq!(page.status, 200, "{page}");
    assert!(page.text().contains("Spazi di coworking"), "{page}");
    let fifteen = web
        .get(&format!(
            "/quindici-minuti?nil={}&mode=walk",
            CORVETTO.nil_id
        ))
        .await;
    assert_eq!(fifteen.status, 200, "{fifteen}");
    let html = html_decode(&fifteen.text());
    assert!(
        html.contains("Spazi di coworking") && html.contains(space["name"].as_str().unwrap()),
        "{html}"
    );

    // Another process adds a space: the next report has it, without a restart.
    let path =
        std::env::temp_dir().join(format!("mire-accessibility-{}.csv", Rng::quiet().suffix()));
    std::fs::write(
        &path,
        format!(
            "Nome;Indirizzo;Latitudine;Longitudine;Posti\nBaggio Lavora;Via Baggio 1;{};{};12\n",
            BAGGIO.lat, BAGGIO.lon
        ),
    )
    .unwrap();
    let import = server.mire(&["import", "coworkings", path.to_str().unwrap()]);
    assert!(import.success, "{import}");
    let after = report(&public).await;
    assert!(
        coworking_share(&after, BAGGIO.nil_id).unwrap() > 0.0,
        "the imported space counts for its NIL"
    );
    assert_eq!(
        coworking_share(&after, CORVETTO.nil_id),
        Some(share),
        "the other NIL are unchanged"
    );
}
