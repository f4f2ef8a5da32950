//! Coworking through the API: spaces and search, booking rules, waitlist promotion with its
//! e-mail, calendar files, check-in, dashboard, offers and company credits, and the records
//! other people and firms must never reach.

use chrono::Datelike;
use serde_json::{json, Value};

use crate::common::*;

fn ids(items: &Value) -> Vec<i64> {
    items["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {items}"))
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn book(api: &Api, resource: i64, date: &str, period: &str) -> Reply {
    api.post(
        "/api/v1/coworking/bookings",
        &json!({ "resource_id": resource, "date": date, "period": period }),
    )
    .await
}

/// The first day from tomorrow on (within two weeks) whose weekday (0 = Monday) passes
/// `keep` and that is not in `skip`.
fn next_day(keep: impl Fn(u32) -> bool, skip: &[&str]) -> String {
    (1..=13)
        .map(milan_day)
        .find(|d| {
            let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
            keep(date.weekday().num_days_from_monday()) && !skip.contains(&d.as_str())
        })
        .expect("such a day within two weeks")
}

#[tokio::test]
async fn spaces_are_found_by_area_amenities_price_offers_and_distance() {
    let server = TestServer::start();
    let public = server.api(None);
    let (op_a, a) = coworking_space(
        &server,
        DUOMO,
        json!({ "amenities": ["wifi", "kitchen", "step_free_access"] }),
    )
    .await;
    let (op_b, b) = coworking_space(&server, BAGGIO, json!({ "amenities": ["wifi"] })).await;
    let (op_c, c) = coworking_space(&server, BICOCCA, json!({ "amenities": ["kitchen"] })).await;
    let (a_id, b_id, c_id) = (
        a["id"].as_i64().unwrap(),
        b["id"].as_i64().unwrap(),
        c["id"].as_i64().unwrap(),
    );
    assert_eq!(a["municipio"], 1, "{a}");
    assert_eq!(b["nil_id"], 55, "{b}");
    coworking_resource(&op_a, a_id, "open_desk", 20, 2500).await;
    let b_desk = coworking_resource(&op_b, b_id, "fixed_desk", 1, 1500).await;
    coworking_resource(&op_c, c_id, "open_desk", 5, 3000).await;

    let search = |q: &str| {
        let public = public.clone();
        let q = q.to_owned();
        async move {
            public
                .get(&format!("/api/v1/coworking/spaces{q}"))
                .await
                .expect(200)
        }
    };
    let mut all = ids(&search("").await);
    all.sort();
    assert_eq!(all, [a_id, b_id, c_id]);
    assert_eq!(ids(&search("?municipio=1").await), [a_id]);
    assert_eq!(ids(&search("?nil=55").await), [b_id]);
    assert_eq!(ids(&search("?amenities=wifi,kitchen").await), [a_id]);
    assert_eq!(ids(&search("?max_price_cents=1600").await), [b_id]);
    // Nearest first from the Duomo; a small radius keeps only the near one.
    let near = search(&format!(
        "?lat={}&lon={}&radius_m=20000",
        DUOMO.lat, DUOMO.lon
    ))
    .await;
    assert_eq!(ids(&near)[0], a_id, "{near}");
    let d: Vec<i64> = near["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["distance_m"].as_i64().unwrap())
        .collect();
    assert!(
        d.windows(2).all(|w| w[0] <= w[1]),
        "sorted by distance: {d:?}"
    );
    assert_eq!(
        ids(&search(&format!(
            "?lat={}&lon={}&radius_m=500",
            DUOMO.lat, DUOMO.lon
        ))
        .await),
        [a_id]
    );

    // Offers: proposed offers do not count, approved ones do, with a badge.
    assert!(ids(&search("?offers=1").await).is_empty());
    let offer = op_c
        .api
        .post(
            &format!("/api/v1/coworking/spaces/{c_id}/offers"),
            &json!({ "kind": "discount", "title": "Sconto alleanza", "discount_percent": 20 }),
        )
        .await
        .expect(201);
    assert_eq!(offer["status"], "proposed");
    // Only a coordinator decides.
    op_c.api
        .post(
            &format!("/api/v1/coworking/offers/{}/approve", offer["id"]),
            &json!({}),
        )
        .await
        .expect_error(403, "forbidden");
    let coordinator = server.coordinator();
    coordinator
        .api
        .post(
            &format!("/api/v1/coworking/offers/{}/approve", offer["id"]),
            &json!({}),
        )
        .await
        .expect(200);
    coordinator
        .api
        .post(
            &format!("/api/v1/coworking/offers/{}/approve", offer["id"]),
            &json!({}),
        )
        .await
        .expect_error(409, "already_decided");
    let with_offers = search("?offers=1").await;
    assert_eq!(ids(&with_offers), [c_id]);
    assert_eq!(with_offers["items"][0]["has_offer"], true);
    let detail = public
        .get(&format!("/api/v1/coworking/spaces/{c_id}"))
        .await
        .expect(200);
    assert_eq!(detail["has_offer"], true, "{detail}");

    // Availability on a date: once the single fixed desk is taken, B drops out.
    let date = milan_day(4);
    let worker = server.person();
    book(
        &worker.api,
        b_desk["id"].as_i64().unwrap(),
        &date,
        "full_day",
    )
    .await
    .expect(201);
    let free = ids(&search(&format!("?date={date}&period=morning")).await);
    assert!(!free.contains(&b_id) && free.contains(&a_id), "{free:?}");
    let other_day = ids(&search(&format!("?date={}", milan_day(5))).await);
    assert!(other_day.contains(&b_id));

    // Bad filters are refused with the field named.
    public
        .get("/api/v1/coworking/spaces?municipio=12")
        .await
        .expect_invalid("municipio");
    public
        .get("/api/v1/coworking/spaces?amenities=sauna")
        .await
        .expect_invalid("amenities");
    public
        .get("/api/v1/coworking/spaces?date=2026-13-01")
        .await
        .expect_invalid("date");
    public
        .get("/api/v1/coworking/spaces?lat=45.4")
        .await
        .expect_invalid("lat");
}

#[tokio::test]
async fn search_counts_free_desks_per_period_and_follows_new_resources() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(
        &server,
        DUOMO,
        json!({ "cancel_hours": 0, "max_active_bookings": 5 }),
    )
    .await;
    let space_id = space["id"].as_i64().unwrap();
    let pool = coworking_resource(&operator, space_id, "open_desk", 4, 2500).await["id"]
        .as_i64()
        .unwrap();
    let desk = coworking_resource(&operator, space_id, "fixed_desk", 1, 3000).await["id"]
        .as_i64()
        .unwrap();
    let room = coworking_resource(&operator, space_id, "meeting_room", 8, 900).await["id"]
        .as_i64()
        .unwrap();
    let date = milan_day(6);
    let public = server.api(None);
    let found = |period: &'static str| {
        let (public, date) = (public.clone(), date.clone());
        async move {
            let found = public
                .get(&format!(
                    "/api/v1/coworking/spaces?municipio=1&date={date}&period={period}"
                ))
                .await
                .expect(200);
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == space_id)
                .cloned()
                .unwrap_or_else(|| panic!("space {space_id} not found: {found}"))
        }
    };
    let hit = found("full_day").await;
    assert_eq!(
        (
            &hit["desk_seats"],
            &hit["free_seats"],
            &hit["desk_price_cents"]
        ),
        (&json!(5), &json!(5), &json!(2500)),
        "meeting rooms are neither desks nor the desk price: {hit}"
    );

    // The pool: one morning, two afternoons; the fixed desk all day; the room for an hour.
    let people: Vec<Actor> = (0..5).map(|_| server.person()).collect();
    book(&people[0].api, pool, &date, "morning")
        .await
        .expect(201);
    let afternoon = book(&people[1].api, pool, &date, "afternoon")
        .await
        .expect(201);
    book(&people[2].api, pool, &date, "afternoon")
        .await
        .expect(201);
    book(&people[3].api, desk, &date, "full_day")
        .await
        .expect(201);
    people[4]
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": room, "date": date, "hour": 9 }),
        )
        .await
        .expect(201);
    // A seat counts for a period only when free in all of it: the full day loses the busier
    // half of the pool.
    assert_eq!(found("morning").await["free_seats"], 5 - 1 - 1);
    assert_eq!(found("afternoon").await["free_seats"], 5 - 2 - 1);
    assert_eq!(found("full_day").await["free_seats"], 5 - 2 - 1);
    people[1]
        .api
        .delete(&format!("/api/v1/coworking/bookings/{}", afternoon["id"]))
        .await
        .expect(200);
    assert_eq!(found("full_day").await["free_seats"], 5 - 1 - 1);

    // A new, cheaper desk counts at once, in the seats and in the price filter.
    coworking_resource(&operator, space_id, "open_desk", 3, 1200).await;
    let hit = found("full_day").await;
    assert_eq!(
        (
            &hit["desk_seats"],
            &hit["free_seats"],
            &hit["desk_price_cents"]
        ),
        (&json!(8), &json!(8 - 1 - 1), &json!(1200)),
        "{hit}"
    );
    let cheap = public
        .get("/api/v1/coworking/spaces?municipio=1&max_price_cents=1500")
        .await
        .expect(200);
    assert!(ids(&cheap).contains(&space_id), "{cheap}");
}

#[tokio::test]
async fn spaces_belong_to_operators_in_milan() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let (operator, space) = coworking_space(&server, CORVETTO, json!({})).await;
    let org = space["organization_id"].clone();
    let body = |lat: f64, lon: f64, org: &Value| json!({ "organization_id": org, "name": "Altro spazio", "address": "Via X 1", "lat": lat, "lon": lon });
    // Outside the city.
    let (_, lat, lon) = OUTSIDE_MILAN[0];
    operator
        .api
        .post("/api/v1/coworking/spaces", &body(lat, lon, &org))
        .await
        .expect_invalid("lat");
    // Someone who does not represent the operator.
    let stranger = server.person();
    stranger
        .api
        .post(
            "/api/v1/coworking/spaces",
            &body(DUOMO.lat, DUOMO.lon, &org),
        )
        .await
        .expect_error(403, "forbidden");
    // A firm is not a coworking operator.
    let firm = stranger
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await;
    stranger
        .api
        .post(
            "/api/v1/coworking/spaces",
            &body(DUOMO.lat, DUOMO.lon, &firm["id"]),
        )
        .await
        .expect_invalid("organization_id");
    // Resources: absurd values refused, only by the operator.
    let path = format!("/api/v1/coworking/spaces/{}/resources", space["id"]);
    for bad in [
        json!({ "kind": "open_desk", "name": "Open", "seats": -3, "price_cents": 1000 }),
        json!({ "kind": "open_desk", "name": "Open", "seats": 1_000_000, "price_cents": 1000 }),
        json!({ "kind": "sofa", "name": "Open", "seats": 3, "price_cents": 1000 }),
        json!({ "kind": "open_desk", "name": "Open", "seats": 3, "price_cents": -1 }),
    ] {
        let r = operator.api.post(&path, &bad).await;
        assert_eq!(r.status, 422, "{r}");
    }
    stranger
        .api
        .post(
            &path,
            &json!({ "kind": "open_desk", "name": "Open", "seats": 3, "price_cents": 1000 }),
        )
        .await
        .expect_error(403, "forbidden");
    operator
        .api
        .post("/api/v1/coworking/spaces", &json!({ "organization_id": org, "name": "X", "address": "Y", "lat": DUOMO.lat, "lon": DUOMO.lon, "opening_hours": { "mon": "19:00-08:00" } }))
        .await
        .expect_invalid("opening_hours");
}

#[tokio::test]
async fn booking_rules_refuse_bad_dates_closed_days_limits_and_late_cancellations() {
    let server = TestServer::start();
    let closure = milan_day(3);
    // Open Monday to Friday only, bookings open 14 days ahead, two active bookings per
    // person, cancellation up to 168 hours (a week) before.
    let (operator, space) = coworking_space(
        &server,
        CITTA_STUDI,
        json!({
            "opening_hours": { "mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00", "thu": "09:00-18:00", "fri": "09:00-18:00" },
            "horizon_days": 14, "max_active_bookings": 2, "cancel_hours": 168, "closures": [closure],
        }),
    )
    .await;
    let space_id = space["id"].as_i64().unwrap();
    let pool = coworking_resource(&operator, space_id, "open_desk", 5, 2000).await["id"]
        .as_i64()
        .unwrap();
    let room = coworking_resource(&operator, space_id, "meeting_room", 8, 3000).await["id"]
        .as_i64()
        .unwrap();
    let worker = server.person();
    let api = &worker.api;

    let weekday = |_: i64| next_day(|wd| wd < 5, &[closure.as_str()]);
    let saturday = next_day(|wd| wd == 5, &[]);

    book(api, pool, &milan_day(-1), "full_day")
        .await
        .expect_invalid("date");
    book(api, pool, &milan_day(15), "full_day")
        .await
        .expect_invalid("date");
    book(api, pool, &saturday, "full_day")
        .await
        .expect_invalid("date");
    if chrono::NaiveDate::parse_from_str(&closure, "%Y-%m-%d")
        .unwrap()
        .weekday()
        .num_days_from_monday()
        < 5
    {
        book(api, pool, &closure, "morning")
            .await
            .expect_invalid("date");
    }
    book(api, pool, "2026-02-30", "full_day")
        .await
        .expect_invalid("date");
    book(api, pool, "domani", "full_day")
        .await
        .expect_invalid("date");
    book(api, pool, &weekday(0), "week")
        .await
        .expect_invalid("period");
    book(api, room, &weekday(0), "morning")
        .await
        .expect_invalid("period");
    api.post(
        "/api/v1/coworking/bookings",
        &json!({ "resource_id": room, "date": weekday(0), "hour": 7 }),
    )
    .await
    .expect_invalid("hour");
    api.post(
        "/api/v1/coworking/bookings",
        &json!({ "resource_id": room, "date": weekday(0), "hour": 99 }),
    )
    .await
    .expect_invalid("hour");
    book(api, 987654321, &weekday(0), "full_day")
        .await
        .expect_error(404, "not_found");
    book(api, -5, &weekday(0), "full_day")
        .await
        .expect_error(404, "not_found");
    api.post(
        "/api/v1/coworking/bookings",
        &json!({ "date": weekday(0), "period": "full_day" }),
    )
    .await
    .expect_invalid("resource_id");
    // Nothing of that was booked.
    let mine = api.get("/api/v1/me/bookings").await.expect(200);
    assert!(mine["upcoming"].as_array().unwrap().is_empty(), "{mine}");

    // A morning, then the full day of the same resource: already booked.
    let day = weekday(0);
    let morning = book(api, pool, &day, "morning").await.expect(201);
    assert_eq!(
        morning["price_cents"], 1000,
        "half-day list price: {morning}"
    );
    book(api, pool, &day, "full_day")
        .await
        .expect_error(409, "already_booked");
    book(api, pool, &day, "morning")
        .await
        .expect_error(409, "already_booked");
    // The afternoon does not overlap: a second active booking.
    book(api, pool, &day, "afternoon").await.expect(201);
    // A third is beyond the space's limit of two.
    let other_day = next_day(|wd| wd < 5, &[closure.as_str(), day.as_str()]);
    book(api, pool, &other_day, "full_day")
        .await
        .expect_error(409, "too_many_bookings");
    // Within a week of the start: too late to cancel (deadline 168 hours).
    api.delete(&format!("/api/v1/coworking/bookings/{}", morning["id"]))
        .await
        .expect_error(409, "too_late");
    let still = api
        .get(&format!("/api/v1/coworking/bookings/{}", morning["id"]))
        .await
        .expect(200);
    assert_eq!(still["status"], "confirmed");

    // A room by the hour; the same hour twice is already booked.
    let other = server.person();
    let r = other
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": room, "date": day, "hour": 10 }),
        )
        .await
        .expect(201);
    assert_eq!(
        (
            r["period"].as_str(),
            r["hour"].as_i64(),
            r["price_cents"].as_i64()
        ),
        (Some("hour"), Some(10), Some(3000))
    );
    other
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": room, "date": day, "hour": 10 }),
        )
        .await
        .expect_error(409, "already_booked");
    let slots = server
        .api(None)
        .get(&format!(
            "/api/v1/coworking/resources/{room}/availability?date={day}"
        ))
        .await
        .expect(200);
    let ten = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == "10:00")
        .unwrap()
        .clone();
    assert_eq!(ten["taken"], 1, "{slots}");
}

#[tokio::test]
async fn a_cancellation_promotes_the_waitlist_and_tells_the_promoted_person() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, BAGGIO, json!({ "cancel_hours": 0 })).await;
    let space_id = space["id"].as_i64().unwrap();
    let desk = coworking_resource(&operator, space_id, "fixed_desk", 1, 1500).await["id"]
        .as_i64()
        .unwrap();
    let (first, second, third) = (server.person(), server.person(), server.person());
    let date = milan_day(6);

    let booking = book(&first.api, desk, &date, "full_day").await.expect(201);
    let bid = booking["id"].as_i64().unwrap();
    // The confirmation e-mail carries the calendar entry.
    let mails = outbox_messages_to(&server, &first.email);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("BEGIN:VCALENDAR") && mails[0].contains("DTSTART:"),
        "{}",
        mails[0]
    );
    // The .ics, for its holder only.
    let ics = first
        .api
        .get(&format!("/api/v1/coworking/bookings/{bid}/ics"))
        .await;
    assert_eq!(ics.status, 200, "{ics}");
    assert!(ics.content_type().starts_with("text/calendar"), "{ics}");
    assert!(
        ics.text()
            .contains(&format!("UID:coworking-booking-{bid}@")),
        "{ics}"
    );

    book(&second.api, desk, &date, "full_day")
        .await
        .expect_error(409, "full");
    // A morning-only place joins first, then a full day: the morning fits when freed.
    let w2 = second
        .api
        .post("/api/v1/coworking/bookings", &json!({ "resource_id": desk, "date": date, "period": "full_day", "join_waitlist": true }))
        .await
        .expect(202);
    assert_eq!(w2["waitlist"]["position"], 1, "{w2}");
    second
        .api
        .post("/api/v1/coworking/bookings", &json!({ "resource_id": desk, "date": date, "period": "full_day", "join_waitlist": true }))
        .await
        .expect_error(409, "already_waiting");
    let w3 = third
        .api
        .post("/api/v1/coworking/bookings", &json!({ "resource_id": desk, "date": date, "period": "morning", "join_waitlist": true }))
        .await
        .expect(202);
    assert_eq!(w3["waitlist"]["position"], 2, "{w3}");

    // Someone else's booking: not found, whatever they try.
    second
        .api
        .delete(&format!("/api/v1/coworking/bookings/{bid}"))
        .await
        .expect_error(404, "not_found");
    second
        .api
        .get(&format!("/api/v1/coworking/bookings/{bid}"))
        .await
        .expect_error(404, "not_found");
    second
        .api
        .get(&format!("/api/v1/coworking/bookings/{bid}/ics"))
        .await
        .expect_error(404, "not_found");
    second
        .api
        .post(
            &format!("/api/v1/coworking/bookings/{bid}/check-in"),
            &json!({ "status": "no_show" }),
        )
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        first
            .api
            .get(&format!("/api/v1/coworking/bookings/{bid}"))
            .await
            .expect(200)["status"],
        "confirmed"
    );

    // The holder cancels: the first in line is promoted and e-mailed.
    let cancelled = first
        .api
        .delete(&format!("/api/v1/coworking/bookings/{bid}"))
        .await
        .expect(200);
    assert_eq!(cancelled["booking"]["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["promoted"], 1, "{cancelled}");
    first
        .api
        .delete(&format!("/api/v1/coworking/bookings/{bid}"))
        .await
        .expect_error(409, "not_active");
    let mine = second.api.get("/api/v1/me/bookings").await.expect(200);
    let upcoming = mine["upcoming"].as_array().unwrap();
    assert_eq!(upcoming.len(), 1, "{mine}");
    assert_eq!(
        (upcoming[0]["date"].as_str(), upcoming[0]["period"].as_str()),
        (Some(date.as_str()), Some("full_day"))
    );
    assert!(mine["waitlist"].as_array().unwrap().is_empty(), "{mine}");
    let mails = outbox_messages_to(&server, &second.email);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("BEGIN:VCALENDAR"), "{}", mails[0]);
    // The third person still waits; the first sees the cancellation in their history.
    let third_mine = third.api.get("/api/v1/me/bookings").await.expect(200);
    assert_eq!(third_mine["waitlist"][0]["position"], 1, "{third_mine}");
    let first_mine = first.api.get("/api/v1/me/bookings").await.expect(200);
    assert_eq!(
        first_mine["history"][0]["status"], "cancelled",
        "{first_mine}"
    );
    let avail = server
        .api(None)
        .get(&format!(
            "/api/v1/coworking/resources/{desk}/availability?date={date}"
        ))
        .await
        .expect(200);
    assert!(
        avail["slots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["taken"] == 1),
        "{avail}"
    );

    // Check-in by the operator, and the dashboard with its CSV.
    let promoted = upcoming[0]["id"].as_i64().unwrap();
    let checked = operator
        .api
        .post(
            &format!("/api/v1/coworking/bookings/{promoted}/check-in"),
            &json!({ "status": "attended" }),
        )
        .await
        .expect(200);
    assert_eq!(checked["status"], "attended");
    operator
        .api
        .post(
            &format!("/api/v1/coworking/bookings/{promoted}/check-in"),
            &json!({ "status": "maybe" }),
        )
        .await
        .expect_invalid("status");
    let dash = operator
        .api
        .get(&format!(
            "/api/v1/coworking/spaces/{space_id}/dashboard?from={}&to={date}",
            milan_day(0)
        ))
        .await
        .expect(200);
    assert_eq!(dash["totals"]["bookings"], 1, "{dash}");
    assert_eq!(dash["totals"]["attended"], 1, "{dash}");
    assert_eq!(dash["totals"]["revenue_list_cents"], 1500, "{dash}");
    let day = dash["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date.as_str())
        .unwrap()
        .clone();
    assert_eq!(day["occupancy_percent"], 100.0, "{dash}");
    let csv = operator
        .api
        .get(&format!(
            "/api/v1/coworking/spaces/{space_id}/dashboard?from={}&to={date}&format=csv",
            milan_day(0)
        ))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"), "{csv}");
    assert!(
        csv.text()
            .contains(&format!("{date},1,1,0,100.0,15.00,15.00")),
        "{csv}"
    );
    second
        .api
        .get(&format!("/api/v1/coworking/spaces/{space_id}/dashboard"))
        .await
        .expect_error(403, "forbidden");
    operator
        .api
        .get(&format!(
            "/api/v1/coworking/spaces/{space_id}/dashboard?from={date}&to={}",
            milan_day(0)
        ))
        .await
        .expect_invalid("from");
}

#[tokio::test]
async fn offers_price_bookings_and_firms_see_only_their_own_credits() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let (operator, space) =
        coworking_space(&server, CORVETTO, json!({ "max_active_bookings": 10 })).await;
    let space_id = space["id"].as_i64().unwrap();
    let pool = coworking_resource(&operator, space_id, "open_desk", 10, 2000).await["id"]
        .as_i64()
        .unwrap();
    let coordinator = server.coordinator();
    let offer = |body: Value| {
        let operator = operator.api.clone();
        let coordinator = coordinator.api.clone();
        async move {
            let o = operator
                .post(
                    &format!("/api/v1/coworking/spaces/{space_id}/offers"),
                    &body,
                )
                .await
                .expect(201);
            coordinator
                .post(
                    &format!("/api/v1/coworking/offers/{}/approve", o["id"]),
                    &json!({}),
                )
                .await
                .expect(200);
            o
        }
    };
    offer(json!({ "kind": "discount", "title": "Sconto", "discount_percent": 25 })).await;
    offer(json!({ "kind": "free_trial", "title": "Prova", "trial_days": 1 })).await;
    let pack_offer = offer(json!({ "kind": "credit_pack", "title": "Pacchetto", "pack_days": 3, "pack_price_cents": 5000, "valid_until": milan_day(90) })).await;
    operator
        .api
        .post(
            &format!("/api/v1/coworking/spaces/{space_id}/offers"),
            &json!({ "kind": "credit_pack", "title": "X", "pack_days": 0 }),
        )
        .await
        .expect_invalid("pack_days");

    // Two firms, each with a representative and an employee; the first joins the alliance.
    let (hr_a, hr_b) = (server.person(), server.person());
    let firm_a = hr_a
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    let firm_b = hr_b
        .api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await["id"]
        .as_i64()
        .unwrap();
    let req = hr_a.api.request_membership(firm_a, &["coworking"]).await;
    coordinator
        .api
        .post(
            &format!("/api/v1/alliance/membership-requests/{}/approve", req["id"]),
            &json!({ "role": "member" }),
        )
        .await
        .expect(200);
    let emp_a = server.actor("worker", Some(firm_a));
    let emp_b = server.actor("worker", Some(firm_b));

    // Alliance members get the free trial day, then the discount; others pay list price.
    let first = book(&emp_a.api, pool, &milan_day(1), "full_day")
        .await
        .expect(201);
    assert_eq!(
        (first["pricing"].as_str(), first["price_cents"].as_i64()),
        (Some("trial"), Some(0)),
        "{first}"
    );
    let second = book(&emp_a.api, pool, &milan_day(2), "full_day")
        .await
        .expect(201);
    assert_eq!(
        (second["pricing"].as_str(), second["price_cents"].as_i64()),
        (Some("discount"), Some(1500)),
        "{second}"
    );
    let outsider = book(&emp_b.api, pool, &milan_day(1), "morning")
        .await
        .expect(201);
    assert_eq!(
        (
            outsider["pricing"].as_str(),
            outsider["price_cents"].as_i64()
        ),
        (Some("list"), Some(1000)),
        "{outsider}"
    );

    // Firm B buys credits and gives two to its employee.
    let pack = hr_b
        .api
        .post(
            &format!("/api/v1/coworking/offers/{}/purchase", pack_offer["id"]),
            &json!({ "organization_id": firm_b }),
        )
        .await
        .expect(201);
    // Only to its own employees, never beyond the pack.
    hr_b.api
        .post(
            &format!("/api/v1/organizations/{firm_b}/credits"),
            &json!({ "pack_id": pack["id"], "user_id": emp_a.id }),
        )
        .await
        .expect_invalid("user_id");
    hr_b.api
        .post(
            &format!("/api/v1/organizations/{firm_b}/credits"),
            &json!({ "pack_id": pack["id"], "user_id": emp_b.id, "count": 4 }),
        )
        .await
        .expect_error(409, "not_enough_credits");
    hr_b.api
        .post(
            &format!("/api/v1/organizations/{firm_b}/credits"),
            &json!({ "pack_id": pack["id"], "user_id": emp_b.id, "count": 2 }),
        )
        .await
        .expect(200);
    // Firm A cannot assign B's pack nor buy for B.
    hr_a.api
        .post(
            &format!("/api/v1/organizations/{firm_b}/credits"),
            &json!({ "pack_id": pack["id"], "user_id": emp_b.id }),
        )
        .await
        .expect_error(403, "forbidden");
    hr_a.api
        .post(
            &format!("/api/v1/coworking/offers/{}/purchase", pack_offer["id"]),
            &json!({ "organization_id": firm_b }),
        )
        .await
        .expect_error(403, "forbidden");

    let with_credit = emp_b
        .api
        .post("/api/v1/coworking/bookings", &json!({ "resource_id": pool, "date": milan_day(3), "period": "full_day", "use_credit": true }))
        .await
        .expect(201);
    assert_eq!(
        (
            with_credit["pricing"].as_str(),
            with_credit["price_cents"].as_i64()
        ),
        (Some("credit"), Some(0))
    );
    let mine = emp_b.api.get("/api/v1/me/bookings").await.expect(200);
    assert_eq!(mine["credits"][0]["available"], 1, "{mine}");
    // Cancelling gives the credit back.
    emp_b
        .api
        .delete(&format!("/api/v1/coworking/bookings/{}", with_credit["id"]))
        .await
        .expect(200);
    let mine = emp_b.api.get("/api/v1/me/bookings").await.expect(200);
    assert_eq!(mine["credits"][0]["available"], 2, "{mine}");
    emp_b.api
        .post("/api/v1/coworking/bookings", &json!({ "resource_id": pool, "date": milan_day(4), "period": "morning", "use_credit": true }))
        .await
        .expect(201);

    // The firm sees its staff's use; other firms and employees do not.
    let report = hr_b
        .api
        .get(&format!("/api/v1/organizations/{firm_b}/credits"))
        .await
        .expect(200);
    assert_eq!(report["packs"][0]["spent"], 1, "{report}");
    assert_eq!(report["employees"][0]["user_id"], emp_b.id, "{report}");
    assert_eq!(report["uses"].as_array().unwrap().len(), 1, "{report}");
    hr_a.api
        .get(&format!("/api/v1/organizations/{firm_b}/credits"))
        .await
        .expect_error(403, "forbidden");
    emp_b
        .api
        .get(&format!("/api/v1/organizations/{firm_b}/credits"))
        .await
        .expect_error(403, "forbidden");
    operator
        .api
        .get(&format!("/api/v1/organizations/{firm_b}/credits"))
        .await
        .expect_error(403, "forbidden");
    server
        .api(None)
        .get(&format!("/api/v1/organizations/{firm_b}/credits"))
        .await
        .expect_error(401, "unauthenticated");
    let a_report = hr_a
        .api
        .get(&format!("/api/v1/organizations/{firm_a}/credits"))
        .await
        .expect(200);
    assert!(
        a_report["packs"].as_array().unwrap().is_empty(),
        "{a_report}"
    );
    // Credits are not for rooms, and not at other spaces.
    let room = coworking_resource(&operator, space_id, "meeting_room", 6, 4000).await["id"]
        .as_i64()
        .unwrap();
    emp_b
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": room, "date": milan_day(5), "hour": 11, "use_credit": true }),
        )
        .await
        .expect_invalid("use_credit");
}
