//! Time regained summed over coworking bookings: a worker's own total against the engine's
//! per-day saving, the firm's aggregate and who may read it, the Municipio aggregate with its
//! small groups withheld, and the commute profile as personal data (export, erasure).

use serde_json::{json, Value};

use crate::common::*;

/// A home a few hundred metres from the Corvetto space, and an office at Bicocca.
const HOME_NEAR_CORVETTO: &str = "45.4405,9.2255";
const OFFICE_BICOCCA: &str = "45.5136,9.2110";

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 0.011, "{what}: {a} != {b}");
}

/// A coworking space at Corvetto with one pool of open desks; returns (space, resource id).
async fn corvetto_space(server: &TestServer) -> (Value, i64) {
    let (operator, space) = coworking_space(
        server,
        CORVETTO,
        json!({ "horizon_days": 30, "max_active_bookings": 10, "cancel_hours": 1 }),
    )
    .await;
    let space_id = space["id"].as_i64().unwrap();
    let desk = coworking_resource(&operator, space_id, "open_desk", 10, 2000).await["id"]
        .as_i64()
        .unwrap();
    (space, desk)
}

async fn set_commute(actor: &Actor, home: &str, office: &str, mode: &str) -> Value {
    put_json(
        &actor.api,
        "/api/v1/me/commute",
        &json!({ "home": home, "office": office, "mode": mode }),
    )
    .await
    .expect(200)["profile"]
        .clone()
}

async fn book(actor: &Actor, resource: i64, days_ahead: i64, period: &str) -> i64 {
    actor
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": resource, "date": milan_day(days_ahead), "period": period }),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap()
}

async fn own(actor: &Actor) -> Value {
    actor.api.get("/api/v1/me/time-regained").await.expect(200)
}

/// The engine's saving for one day at `space` (the public calculator's answer).
async fn per_day(
    server: &TestServer,
    home: &str,
    office: &str,
    space: &Value,
    mode: &str,
) -> Value {
    server
        .api(None)
        .get(&format!(
            "/api/v1/proximity/time-regained?home={home}&office={office}&coworking={},{}&mode={mode}",
            space["lat"], space["lon"]
        ))
        .await
        .expect(200)
}

#[tokio::test]
async fn a_worker_regains_the_engine_saving_for_each_booked_day_and_cancelled_days_do_not_count() {
    let server = TestServer::start();
    let (space, desk) = corvetto_space(&server).await;
    let worker = server.person();

    // Without a profile there is nothing to sum.
    let empty = own(&worker).await;
    assert_eq!(empty["profile"], false, "{empty}");
    assert_eq!(f(&empty["days"]), 0.0, "{empty}");

    let profile = set_commute(&worker, HOME_NEAR_CORVETTO, OFFICE_BICOCCA, "transit").await;
    assert_eq!(profile["home_municipio"], 4, "{profile}");
    assert_eq!(profile["mode"], "transit", "{profile}");

    let first = book(&worker, desk, 1, "full_day").await;
    let second = book(&worker, desk, 2, "full_day").await;
    let cancelled = book(&worker, desk, 3, "full_day").await;
    worker
        .api
        .delete(&format!("/api/v1/coworking/bookings/{cancelled}"))
        .await
        .expect(200);

    let day = per_day(
        &server,
        HOME_NEAR_CORVETTO,
        OFFICE_BICOCCA,
        &space,
        "transit",
    )
    .await;
    let minutes = f(&day["minutes_saved_per_day"]);
    let kg = f(&day["kg_co2_avoided_per_day"]);
    assert!(
        minutes > 0.0,
        "a home near the space saves time against Bicocca: {day}"
    );

    let mine = own(&worker).await;
    assert_eq!(mine["profile"], true, "{mine}");
    assert_eq!(
        f(&mine["days"]),
        2.0,
        "two days, the cancelled one left out: {mine}"
    );
    close(
        f(&mine["minutes_saved"]),
        2.0 * minutes,
        "minutes of two days",
    );
    close(f(&mine["kg_co2_avoided"]), 2.0 * kg, "CO2 of two days");
    let counted: Vec<i64> = mine["booking_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["booking_id"].as_i64().unwrap())
        .collect();
    assert_eq!(counted, [first, second], "{mine}");
    assert!(
        mine["method"]["sources"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "the answer cites its sources: {mine}"
    );

    // A morning counts half a day.
    book(&worker, desk, 4, "morning").await;
    let mine = own(&worker).await;
    assert_eq!(f(&mine["days"]), 2.5, "{mine}");
    close(
        f(&mine["minutes_saved"]),
        2.5 * minutes,
        "minutes of 2.5 days",
    );

    // Car commuters get the car figures of the engine.
    set_commute(&worker, HOME_NEAR_CORVETTO, OFFICE_BICOCCA, "car").await;
    let car = per_day(&server, HOME_NEAR_CORVETTO, OFFICE_BICOCCA, &space, "car").await;
    let mine = own(&worker).await;
    close(
        f(&mine["kg_co2_avoided"]),
        2.5 * f(&car["kg_co2_avoided_per_day"]),
        "car CO2 of 2.5 days",
    );

    // The page shows the same total, with the sources link.
    let web = signed_in(&server, &worker).await;
    let page = web.get("/profilo/tragitto").await;
    assert_eq!(page.status, 200, "{page}");
    let html = html_decode(&page.text());
    assert!(
        html.contains("id=\"tr-days\">2,5</dd>"),
        "2.5 days on the page:\n{html}"
    );
    assert!(html.contains("/tempo-ritrovato#h-factors"), "{html}");
    let profile_page = web.get("/profilo").await.text();
    assert!(
        profile_page.contains("/profilo/tragitto"),
        "the profile links to the commute page"
    );
}

#[tokio::test]
async fn the_commute_form_refuses_bad_places_keeping_what_was_typed() {
    let server = TestServer::start();
    let worker = server.person();
    let web = signed_in(&server, &worker).await;
    let csrf = web.csrf("/profilo/tragitto").await;
    let reply = web
        .post_form(
            "/profilo/tragitto",
            &[
                ("csrf", &csrf),
                ("home", "45.58,9.27"),
                ("home_nil", ""),
                ("office", "45.47,9.19"),
                ("office_nil", "1"),
                ("mode", "bike"),
            ],
        )
        .await;
    assert_eq!(reply.status, 422, "{reply}");
    let html = reply.text();
    assert!(html.contains("error-summary"), "{html}");
    for field in ["home", "office", "mode"] {
        assert!(
            html.contains(&format!("href=\"#f-{field}\"")),
            "the summary links {field}"
        );
        assert!(
            html.contains(&format!("id=\"e-{field}\"")),
            "error by {field}"
        );
    }
    assert!(html.contains("value=\"45.58,9.27\""), "typed home kept");
    assert_eq!(
        worker.api.get("/api/v1/me/commute").await.expect(200)["profile"],
        Value::Null,
        "nothing saved"
    );

    // A NIL chosen from the list is stored as its centre and remembered.
    let saved = web
        .post_form(
            "/profilo/tragitto",
            &[
                ("csrf", &csrf),
                ("home", ""),
                ("home_nil", &CORVETTO.nil_id.to_string()),
                ("office", OFFICE_BICOCCA),
                ("office_nil", ""),
                ("mode", "car"),
            ],
        )
        .await;
    assert!((300..400).contains(&saved.status), "{saved}");
    let profile = worker.api.get("/api/v1/me/commute").await.expect(200)["profile"].clone();
    assert_eq!(profile["home_nil_id"], CORVETTO.nil_id, "{profile}");
    assert_eq!(profile["office_nil_id"], Value::Null, "{profile}");
    assert_eq!(profile["mode"], "car", "{profile}");
    put_json(
        &worker.api,
        "/api/v1/me/commute",
        &json!({ "home": "Roma", "office": OFFICE_BICOCCA, "mode": "transit" }),
    )
    .await
    .expect_invalid("home");
}

#[tokio::test]
async fn the_firm_sees_the_sum_of_its_workers_and_other_firms_get_403() {
    let server = TestServer::start();
    let (_, desk) = corvetto_space(&server).await;
    let mut rng = Rng::quiet();
    let rep = server.person();
    let org = rep
        .api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await;
    let org_id = org["id"].as_i64().unwrap();
    let workers = actors(&server, "worker", Some(org_id), 2);
    let homes = [HOME_NEAR_CORVETTO, "45.4390,9.2240"];
    for (w, home) in workers.iter().zip(homes) {
        set_commute(w, home, OFFICE_BICOCCA, "transit").await;
    }
    book(&workers[0], desk, 1, "full_day").await;
    book(&workers[0], desk, 2, "afternoon").await;
    book(&workers[1], desk, 1, "full_day").await;
    // An outsider with a profile and bookings is not part of the firm.
    let outsider = server.person();
    set_commute(&outsider, HOME_NEAR_CORVETTO, OFFICE_BICOCCA, "transit").await;
    book(&outsider, desk, 1, "full_day").await;

    let mut days = 0.0;
    let mut minutes = 0.0;
    for w in &workers {
        let t = own(w).await;
        days += f(&t["days"]);
        minutes += f(&t["minutes_saved"]);
    }
    assert_eq!(days, 2.5);

    let path = format!("/api/v1/organizations/{org_id}/time-regained");
    let firm = rep.api.get(&path).await.expect(200);
    assert_eq!(firm["workers_with_profile"], 2, "{firm}");
    assert_eq!(firm["workers_contributing"], 2, "{firm}");
    assert_eq!(f(&firm["totals"]["days"]), days, "{firm}");
    close(f(&firm["totals"]["minutes_saved"]), minutes, "firm minutes");
    let text = firm.to_string();
    assert!(
        !text.contains("booking_lines") && !text.contains("user_id"),
        "aggregate only: {firm}"
    );

    // Another firm's representative, the firm's own employees and strangers may not read it.
    let other = server.person();
    other
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await;
    other.api.get(&path).await.expect_error(403, "forbidden");
    workers[0]
        .api
        .get(&path)
        .await
        .expect_error(403, "forbidden");
    server
        .api(None)
        .get(&path)
        .await
        .expect_error(401, "unauthenticated");

    // The same on the firm's page, linked from its organisation page.
    let rep_web = signed_in(&server, &rep).await;
    let org_page = rep_web
        .get(&format!("/organizzazioni/{org_id}"))
        .await
        .text();
    let firm_path = format!("/organizzazioni/{org_id}/tempo-ritrovato");
    assert!(
        org_page.contains(&firm_path),
        "the organisation page links the sums"
    );
    let page = rep_web.get(&firm_path).await;
    assert_eq!(page.status, 200, "{page}");
    assert!(
        page.text().contains("id=\"firm-days\">2,5</dd>"),
        "{}",
        page.text()
    );
    let other_web = signed_in(&server, &other).await;
    assert_eq!(other_web.get(&firm_path).await.status, 403);
    let worker_web = signed_in(&server, &workers[0]).await;
    assert_eq!(worker_web.get(&firm_path).await.status, 403);

    // A coordinator sees it once the firm is a member of the alliance.
    let coordinator = server.coordinator();
    coordinator
        .api
        .get(&path)
        .await
        .expect_error(403, "forbidden");
    let request = rep.api.request_membership(org_id, &["coworking"]).await;
    coordinator
        .api
        .post(
            &format!(
                "/api/v1/alliance/membership-requests/{}/approve",
                request["id"]
            ),
            &json!({ "role": "partner" }),
        )
        .await
        .expect(200);
    let seen = coordinator.api.get(&path).await.expect(200);
    assert_eq!(seen["totals"], firm["totals"], "{seen}");
}

#[tokio::test]
async fn municipio_aggregates_hide_small_groups_and_erased_profiles_leave_them() {
    let server = TestServer::start();
    let (_, desk) = corvetto_space(&server).await;
    // Three workers live in Municipio 4, one in Municipio 7.
    let corvetto_homes = [HOME_NEAR_CORVETTO, "45.4390,9.2240", "45.4380,9.2230"];
    let people = actors(&server, "worker", None, 4);
    for (w, home) in people.iter().zip(corvetto_homes) {
        let p = set_commute(w, home, OFFICE_BICOCCA, "transit").await;
        assert_eq!(p["home_municipio"], 4, "{p}");
    }
    let baggio = &people[3];
    let p = set_commute(
        baggio,
        &format!("{},{}", BAGGIO.lat, BAGGIO.lon),
        OFFICE_BICOCCA,
        "transit",
    )
    .await;
    assert_eq!(p["home_municipio"], 7, "{p}");
    for w in &people {
        book(w, desk, 1, "full_day").await;
    }
    // A fourth person of Municipio 4 whose only booking is cancelled does not contribute.
    let idle = server.person();
    set_commute(&idle, HOME_NEAR_CORVETTO, OFFICE_BICOCCA, "transit").await;
    let b = book(&idle, desk, 2, "full_day").await;
    idle.api
        .delete(&format!("/api/v1/coworking/bookings/{b}"))
        .await
        .expect(200);

    let mut minutes = 0.0;
    for w in &people[..3] {
        minutes += f(&own(w).await["minutes_saved"]);
    }
    let public = server.api(None);
    let answer = public
        .get("/api/v1/proximity/time-regained/municipi")
        .await
        .expect(200);
    assert_eq!(answer["min_group"], 3, "{answer}");
    let row = |a: &Value, n: i64| -> Value {
        a["municipi"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["municipio"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("Municipio {n} listed: {a}"))
    };
    let m4 = row(&answer, 4);
    assert_eq!(m4["suppressed"], false, "{m4}");
    assert_eq!(m4["workers"], 3, "{m4}");
    assert_eq!(f(&m4["totals"]["days"]), 3.0, "{m4}");
    close(
        f(&m4["totals"]["minutes_saved"]),
        minutes,
        "Municipio 4 minutes",
    );
    let m7 = row(&answer, 7);
    assert_eq!(m7["suppressed"], true, "{m7}");
    assert_eq!(m7["workers"], Value::Null, "{m7}");
    assert_eq!(m7["totals"], Value::Null, "{m7}");
    assert_eq!(answer["municipi"].as_array().unwrap().len(), 9);
    let page = server.web().get("/tempo-ritrovato").await;
    assert_eq!(page.status, 200, "{page}");
    let html = html_decode(&page.text());
    assert!(html.contains("Meno di 3 lavoratori"), "{html}");

    // The profile is in "download my data"...
    let leaving = &people[0];
    let data = leaving.api.get("/api/v1/me/data").await.expect(200);
    assert_eq!(data["commute_profile"]["mode"], "transit", "{data}");
    assert_eq!(data["commute_profile"]["home_municipio"], 4, "{data}");
    let web = signed_in(&server, leaving).await;
    let download = web.get("/profilo/dati").await;
    assert!(download.text().contains("commute_profile"), "{download}");
    // ...and account deletion erases it: Municipio 4 falls below three workers.
    let csrf = web.csrf("/profilo/elimina").await;
    let deleted = web
        .post_form(
            "/profilo/elimina",
            &[("csrf", &csrf), ("password", &leaving.password)],
        )
        .await;
    assert!(deleted.status < 400, "{deleted}");
    let after = public
        .get("/api/v1/proximity/time-regained/municipi")
        .await
        .expect(200);
    assert_eq!(row(&after, 4)["suppressed"], true, "{after}");
}
