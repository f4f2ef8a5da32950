//! Never oversell: hundreds of simultaneous booking requests from many people at a small
//! pool of seats, and at a firm's credits, on the real server (SQLite or PostgreSQL).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::Barrier;

use crate::common::*;

/// Fires every request at once (all tasks wait at a barrier, then send) and returns the
/// answers with the index of the sender.
async fn fire(requests: Vec<(usize, Api, String, Value)>) -> Vec<(usize, Reply)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(who, api, path, body)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                (who, api.post(&path, &body).await)
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// Statuses and error codes, counted, for failure messages.
fn tally(replies: &[(usize, Reply)]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (_, r) in replies {
        let code = if r.status >= 400 {
            serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned))
                .unwrap_or_default()
        } else {
            String::new()
        };
        *m.entry(format!("{} {code}", r.status)).or_default() += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_simultaneous_bookings_fill_ten_seats_exactly() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(
        &server,
        CITTA_STUDI,
        json!({ "max_active_bookings": 10, "horizon_days": 30 }),
    )
    .await;
    let space_id = space["id"].as_i64().unwrap();
    let pool = coworking_resource(&operator, space_id, "open_desk", 10, 1800).await;
    let pool_id = pool["id"].as_i64().unwrap();
    let people = actors(&server, "worker", None, 100);
    let date = milan_day(3);

    // Every person sends five identical requests at the same instant: 500 in all.
    let mut requests = Vec::new();
    for _ in 0..5 {
        for (i, p) in people.iter().enumerate() {
            requests.push((
                i,
                p.api.clone(),
                "/api/v1/coworking/bookings".to_owned(),
                json!({ "resource_id": pool_id, "date": date, "period": "full_day" }),
            ));
        }
    }
    let replies = fire(requests).await;
    assert_eq!(replies.len(), 500);
    let counts = tally(&replies);
    let confirmed: Vec<&(usize, Reply)> = replies.iter().filter(|(_, r)| r.status == 201).collect();
    assert_eq!(confirmed.len(), 10, "exactly ten bookings, got {counts:?}");
    for (_, r) in &replies {
        match r.status {
            201 => {}
            409 => {
                let code = r.json()["code"].as_str().unwrap_or("").to_owned();
                assert!(
                    code == "full" || code == "already_booked",
                    "a refusal must say full or already_booked:\n{r}"
                );
            }
            _ => panic!("unexpected answer {counts:?}:\n{r}"),
        }
    }
    // Ten different people hold the ten seats.
    let holders: HashSet<usize> = confirmed.iter().map(|(who, _)| *who).collect();
    assert_eq!(holders.len(), 10, "one booking per person");
    // The counters and the operator's day list agree.
    let avail = server
        .api(None)
        .get(&format!(
            "/api/v1/coworking/resources/{pool_id}/availability?date={date}"
        ))
        .await
        .expect(200);
    for slot in avail["slots"].as_array().unwrap() {
        assert_eq!(slot["taken"], 10, "{avail}");
        assert_eq!(slot["free"], 0, "{avail}");
    }
    let day = operator
        .api
        .get(&format!(
            "/api/v1/coworking/spaces/{space_id}/bookings?date={date}"
        ))
        .await
        .expect(200);
    assert_eq!(day["items"].as_array().unwrap().len(), 10, "{day}");
    // Anyone else is refused as full, and may join the waitlist instead.
    let late = people
        .iter()
        .enumerate()
        .find(|(i, _)| !holders.contains(i))
        .map(|(_, p)| p)
        .unwrap();
    late.api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": pool_id, "date": date, "period": "morning" }),
        )
        .await
        .expect_error(409, "full");
    let w = late
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": pool_id, "date": date, "period": "morning", "join_waitlist": true }),
        )
        .await
        .expect(202);
    assert_eq!(w["waitlist"]["status"], "waiting", "{w}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_periods_never_overfill_a_half_day() {
    let server = TestServer::start();
    let (operator, space) =
        coworking_space(&server, BICOCCA, json!({ "max_active_bookings": 10 })).await;
    let space_id = space["id"].as_i64().unwrap();
    let pool = coworking_resource(&operator, space_id, "open_desk", 10, 1800).await;
    let pool_id = pool["id"].as_i64().unwrap();
    let people = actors(&server, "worker", None, 60);
    let date = milan_day(2);
    let periods = ["full_day", "morning", "afternoon"];
    let mut requests = Vec::new();
    for (i, p) in people.iter().enumerate() {
        for k in 0..3 {
            requests.push((
                i,
                p.api.clone(),
                "/api/v1/coworking/bookings".to_owned(),
                json!({ "resource_id": pool_id, "date": date, "period": periods[(i + k) % 3] }),
            ));
        }
    }
    let replies = fire(requests).await;
    let counts = tally(&replies);
    let (mut morning, mut afternoon) = (0, 0);
    for (_, r) in &replies {
        match r.status {
            201 => match r.json()["period"].as_str().unwrap() {
                "full_day" => {
                    morning += 1;
                    afternoon += 1;
                }
                "morning" => morning += 1,
                _ => afternoon += 1,
            },
            409 => {
                let code = r.json()["code"].as_str().unwrap_or("").to_owned();
                assert!(code == "full" || code == "already_booked", "{r}");
            }
            _ => panic!("unexpected answer {counts:?}:\n{r}"),
        }
    }
    assert!(
        morning <= 10 && afternoon <= 10,
        "oversold: {morning} mornings, {afternoon} afternoons ({counts:?})"
    );
    let avail = server
        .api(None)
        .get(&format!(
            "/api/v1/coworking/resources/{pool_id}/availability?date={date}"
        ))
        .await
        .expect(200);
    let slots = avail["slots"].as_array().unwrap();
    assert_eq!(slots[0]["taken"], morning, "{avail}");
    assert_eq!(slots[1]["taken"], afternoon, "{avail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_company_credits_are_spent_exactly_once() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let (operator, space) =
        coworking_space(&server, CORVETTO, json!({ "max_active_bookings": 10 })).await;
    let space_id = space["id"].as_i64().unwrap();
    let pool = coworking_resource(&operator, space_id, "open_desk", 100, 2000).await;
    let pool_id = pool["id"].as_i64().unwrap();
    let offer = operator
        .api
        .post(
            &format!("/api/v1/coworking/spaces/{space_id}/offers"),
            &json!({ "kind": "credit_pack", "title": "Dieci giornate", "pack_days": 10,
                     "pack_price_cents": 15000, "valid_until": milan_day(60) }),
        )
        .await
        .expect(201);
    let coordinator = server.coordinator();
    coordinator
        .api
        .post(
            &format!("/api/v1/coworking/offers/{}/approve", offer["id"]),
            &json!({}),
        )
        .await
        .expect(200);

    let hr = server.person();
    let firm = hr
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await;
    let firm_id = firm["id"].as_i64().unwrap();
    let pack = hr
        .api
        .post(
            &format!("/api/v1/coworking/offers/{}/purchase", offer["id"]),
            &json!({ "organization_id": firm_id }),
        )
        .await
        .expect(201);
    assert_eq!(pack["days"], 10, "{pack}");
    let staff = actors(&server, "worker", Some(firm_id), 20);

    // Twenty simultaneous assignments of one credit each from a pack of ten: ten succeed.
    let assign: Vec<_> = staff
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                i,
                hr.api.clone(),
                format!("/api/v1/organizations/{firm_id}/credits"),
                json!({ "pack_id": pack["id"], "user_id": e.id, "count": 1 }),
            )
        })
        .collect();
    let replies = fire(assign).await;
    let counts = tally(&replies);
    let credited: HashSet<usize> = replies
        .iter()
        .filter(|(_, r)| r.status == 200)
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(credited.len(), 10, "{counts:?}");
    for (_, r) in replies.iter().filter(|(_, r)| r.status != 200) {
        r.expect_error(409, "not_enough_credits");
    }

    // Every employee tries to spend a credit on five different days at once: 100 requests,
    // exactly one per credited employee succeeds.
    let mut requests = Vec::new();
    for (i, e) in staff.iter().enumerate() {
        for d in 1..=5 {
            requests.push((
                i,
                e.api.clone(),
                "/api/v1/coworking/bookings".to_owned(),
                json!({ "resource_id": pool_id, "date": milan_day(d), "period": "full_day", "use_credit": true }),
            ));
        }
    }
    let replies = fire(requests).await;
    let counts = tally(&replies);
    let spent: Vec<&(usize, Reply)> = replies.iter().filter(|(_, r)| r.status == 201).collect();
    assert_eq!(spent.len(), 10, "exactly ten credits spent: {counts:?}");
    let spenders: HashSet<usize> = spent.iter().map(|(i, _)| *i).collect();
    assert_eq!(spenders, credited, "only the credited employees, once each");
    for (_, r) in &spent {
        let b = r.json();
        assert_eq!(b["pricing"], "credit", "{b}");
        assert_eq!(b["price_cents"], 0, "{b}");
    }
    for (_, r) in replies.iter().filter(|(_, r)| r.status != 201) {
        r.expect_error(409, "no_credit");
    }
    let report = hr
        .api
        .get(&format!("/api/v1/organizations/{firm_id}/credits"))
        .await
        .expect(200);
    assert_eq!(report["packs"][0]["assigned"], 10, "{report}");
    assert_eq!(report["packs"][0]["spent"], 10, "{report}");
    assert_eq!(report["uses"].as_array().unwrap().len(), 10, "{report}");
}
