//! Coworking demand meets supply: posting a demand (validation, a firm's desks spread over its
//! staff's home NIL), operators seeing the demand within reach of their spaces and answering
//! it once per space, the poster told by e-mail, closing, who may read what, and the
//! coordination's seats offered against seats asked per NIL.

use serde_json::{json, Value};

use crate::common::*;

/// A firm (organisation of kind `company`) and its representative.
async fn firm(server: &TestServer, place: Place) -> (Actor, i64) {
    let mut rng = Rng::quiet();
    let rep = server.person();
    let org = rep
        .api
        .create_organization(&organization_body(&mut rng, "company", place))
        .await["id"]
        .as_i64()
        .unwrap();
    (rep, org)
}

/// The body of a demand near one NIL, starting in a week.
fn near_nil(org: Option<i64>, desks: i64, nil: i64) -> Value {
    json!({
        "organization_id": org, "desks": desks, "weekdays": ["mon", "wed", "fri"],
        "from_date": milan_day(7), "near_nil_id": nil, "budget_cents": 2500,
        "note": "Vicino alla metropolitana",
    })
}

async fn post_demand(actor: &Actor, body: &Value) -> Value {
    actor
        .api
        .post("/api/v1/coworking/demands", body)
        .await
        .expect(201)
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn nils(demand: &Value) -> Vec<(i64, i64)> {
    demand["nils"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["nil_id"].as_i64().unwrap(), n["desks"].as_i64().unwrap()))
        .collect()
}

async fn in_reach(operator: &Actor, org: i64, minutes: u32) -> Vec<Value> {
    operator
        .api
        .get(&format!(
            "/api/v1/coworking/demands/in-reach?organization_id={org}&minutes={minutes}"
        ))
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(id).collect()
}

async fn set_home_nil(actor: &Actor, nil: i64) {
    put_json(
        &actor.api,
        "/api/v1/me/commute",
        &json!({ "home_nil": nil, "office_nil": DUOMO.nil_id, "mode": "transit" }),
    )
    .await
    .expect(200);
}

/// A discount offer of the space, approved by a coordinator; returns its id.
async fn approved_offer(server: &TestServer, operator: &Actor, space_id: i64) -> i64 {
    let offer = operator
        .api
        .post(
            &format!("/api/v1/coworking/spaces/{space_id}/offers"),
            &json!({ "kind": "discount", "title": "Sconto alleanza", "discount_percent": 15 }),
        )
        .await
        .expect(201);
    server
        .coordinator()
        .api
        .post(
            &format!("/api/v1/coworking/offers/{}/approve", offer["id"]),
            &json!({}),
        )
        .await
        .expect(200);
    id(&offer)
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn invalid_demands_are_refused_field_by_field_and_nothing_is_saved() {
    let server = TestServer::start();
    let worker = server.person();
    let bad = json!({
        "desks": 2, "weekdays": [], "from_date": milan_day(-1), "near_nil_id": 999,
        "budget_cents": 100_001, "note": "x".repeat(1001),
    });
    let reply = worker.api.post("/api/v1/coworking/demands", &bad).await;
    for field in [
        "desks",
        "weekdays",
        "from_date",
        "near_nil_id",
        "budget_cents",
        "note",
    ] {
        reply.expect_invalid(field);
    }
    // Too far ahead, and "near my staff" from a person posting for themselves.
    let mut far = near_nil(None, 1, CORVETTO.nil_id);
    far["from_date"] = json!(milan_day(366));
    worker
        .api
        .post("/api/v1/coworking/demands", &far)
        .await
        .expect_invalid("from_date");
    let staff = json!({ "weekdays": ["tue"], "from_date": milan_day(1), "near_staff_homes": true });
    worker
        .api
        .post("/api/v1/coworking/demands", &staff)
        .await
        .expect_invalid("near_staff_homes");

    // Messages follow Accept-Language.
    let english = worker
        .api
        .send_full(
            "POST",
            "/api/v1/coworking/demands",
            Some("application/json"),
            serde_json::to_vec(&json!({ "desks": 1, "from_date": milan_day(1), "near_nil_id": 1 }))
                .unwrap(),
            &[("accept-language", "en")],
        )
        .await
        .expect_invalid("weekdays");
    assert!(
        english["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("weekday"),
        "{english}"
    );

    // A firm whose staff recorded no commute is asked to pick a NIL.
    let (rep, org) = firm(&server, DUOMO).await;
    let mut homes = json!({ "organization_id": org, "desks": 3, "weekdays": ["mon"],
        "from_date": milan_day(1), "near_staff_homes": true });
    rep.api
        .post("/api/v1/coworking/demands", &homes)
        .await
        .expect_invalid("near_staff_homes");
    // Nor may anyone post for a firm they do not represent.
    homes["near_staff_homes"] = json!(false);
    homes["near_nil_id"] = json!(DUOMO.nil_id);
    worker
        .api
        .post("/api/v1/coworking/demands", &homes)
        .await
        .expect_error(403, "forbidden");

    for who in [&worker, &rep] {
        let mine = who.api.get("/api/v1/coworking/demands").await.expect(200);
        assert_eq!(mine["items"], json!([]), "nothing was saved: {mine}");
    }
}

#[tokio::test]
async fn a_firm_demand_near_its_staff_is_spread_over_their_home_nils() {
    let server = TestServer::start();
    let (rep, org) = firm(&server, DUOMO).await;
    let staff = actors(&server, "worker", Some(org), 4);
    // Two live at Corvetto, one at Bicocca; the fourth recorded no commute.
    set_home_nil(&staff[0], CORVETTO.nil_id).await;
    set_home_nil(&staff[1], CORVETTO.nil_id).await;
    set_home_nil(&staff[2], BICOCCA.nil_id).await;
    // Someone of another firm living at Baggio does not count.
    let (_, other) = firm(&server, BAGGIO).await;
    set_home_nil(&server.actor("worker", Some(other)), BAGGIO.nil_id).await;

    let demand = post_demand(
        &rep,
        &json!({ "organization_id": org, "desks": 10, "weekdays": ["tue", "thu"],
                 "from_date": milan_day(0), "near_staff_homes": true }),
    )
    .await;
    // 10 desks over 2 + 1 people: 6.67 and 3.33, the desk left over to the largest remainder.
    let mut expected = vec![(CORVETTO.nil_id, 7), (BICOCCA.nil_id, 3)];
    expected.sort();
    assert_eq!(nils(&demand), expected, "{demand}");
    assert_eq!(demand["near_staff_homes"], true);
    assert_eq!(demand["weekdays"], json!(["tue", "thu"]));
    assert_eq!(demand["status"], "open");
    let listed = rep.api.get("/api/v1/coworking/demands").await.expect(200);
    assert_eq!(ids(listed["items"].as_array().unwrap()), [id(&demand)]);
}

#[tokio::test]
async fn an_operator_answers_the_demand_in_reach_once_and_the_poster_is_told() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, CORVETTO, json!({})).await;
    let space_id = id(&space);
    let operator_org = space["organization_id"].as_i64().unwrap();
    coworking_resource(&operator, space_id, "open_desk", 10, 2000).await;
    let offer = approved_offer(&server, &operator, space_id).await;

    let (rep, org) = firm(&server, DUOMO).await;
    let near = post_demand(&rep, &near_nil(Some(org), 4, CORVETTO.nil_id)).await;
    let far = post_demand(&rep, &near_nil(Some(org), 2, BAGGIO.nil_id)).await;

    let items = in_reach(&operator, operator_org, 20).await;
    assert_eq!(
        ids(&items),
        [id(&near)],
        "Baggio is far from Corvetto: {items:?}"
    );
    assert!(!ids(&in_reach(&operator, operator_org, 20).await).contains(&id(&far)));
    let minutes = items[0]["minutes"].as_i64().unwrap();
    assert!((1..=20).contains(&minutes), "{items:?}");
    assert_eq!(items[0]["reached_from"][0]["space_id"], space_id);
    assert!(
        items[0].get("posted_by").is_none(),
        "operators do not see who posted"
    );
    // The default limit is 30 minutes; the limit is 5 to 60.
    let default = operator
        .api
        .get(&format!(
            "/api/v1/coworking/demands/in-reach?organization_id={operator_org}"
        ))
        .await
        .expect(200);
    assert_eq!(default["minutes"], 30);
    for bad in ["4", "61", "mezzora"] {
        operator
            .api
            .get(&format!(
                "/api/v1/coworking/demands/in-reach?organization_id={operator_org}&minutes={bad}"
            ))
            .await
            .expect_invalid("minutes");
    }
    // Only the operator's representatives see its demand in reach.
    rep.api
        .get(&format!(
            "/api/v1/coworking/demands/in-reach?organization_id={operator_org}"
        ))
        .await
        .expect_error(403, "forbidden");

    let answers = format!("/api/v1/coworking/demands/{}/answers", id(&near));
    // Invalid answers, and answers from someone else's space.
    operator
        .api
        .post(&answers, &json!({ "space_id": space_id, "message": " " }))
        .await
        .expect_invalid("message");
    let (other_operator, other_space) = coworking_space(&server, BICOCCA, json!({})).await;
    let other_offer = approved_offer(&server, &other_operator, id(&other_space)).await;
    operator
        .api
        .post(
            &answers,
            &json!({ "space_id": space_id, "offer_id": other_offer, "message": "Ciao" }),
        )
        .await
        .expect_invalid("offer_id");
    other_operator
        .api
        .post(
            &answers,
            &json!({ "space_id": space_id, "message": "Ciao" }),
        )
        .await
        .expect_error(403, "forbidden");
    operator
        .api
        .post(
            "/api/v1/coworking/demands/999999/answers",
            &json!({ "space_id": space_id, "message": "Ciao" }),
        )
        .await
        .expect_error(404, "not_found");

    let message = "Abbiamo 10 postazioni libere, a due passi dal Corvetto.";
    let answer = operator
        .api
        .post(
            &answers,
            &json!({ "space_id": space_id, "offer_id": offer, "message": message }),
        )
        .await
        .expect(201);
    assert_eq!(answer["space_id"], space_id);
    operator
        .api
        .post(
            &answers,
            &json!({ "space_id": space_id, "message": "Di nuovo" }),
        )
        .await
        .expect_error(409, "already_answered");
    let items = in_reach(&operator, operator_org, 20).await;
    assert_eq!(items[0]["answered_space_ids"], json!([space_id]));

    // The poster sees the answer with the space and the offer's terms, and got an e-mail.
    let seen = rep
        .api
        .get(&format!("/api/v1/coworking/demands/{}", id(&near)))
        .await
        .expect(200);
    let a = &seen["answers"][0];
    assert_eq!(a["space_id"], space_id, "{seen}");
    assert_eq!(a["space_name"], space["name"]);
    assert_eq!(a["message"], message);
    assert_eq!(a["offer_id"], offer);
    assert_eq!(a["discount_percent"], 15);
    assert_eq!(seen["answers"].as_array().unwrap().len(), 1);
    let mails = outbox_messages_to(&server, &rep.email);
    let mail = mails
        .iter()
        .find(|m| m.contains(&format!("/coworking/domanda/{}", id(&near))))
        .unwrap_or_else(|| panic!("no answer e-mail to the poster: {mails:?}"));
    assert!(mail.contains(space["name"].as_str().unwrap()), "{mail}");
    assert!(mail.contains("15"), "the offer's terms: {mail}");
    // The page shows it too, with a link to the space.
    let web = signed_in(&server, &rep).await;
    let page = web.get(&format!("/coworking/domanda/{}", id(&near))).await;
    assert_eq!(page.status, 200, "{page}");
    assert!(
        page.text()
            .contains(&format!("/coworking/spazi/{space_id}")),
        "{page}"
    );

    // Closing removes it from the operator's list; a closed demand takes no answers.
    let closed = rep
        .api
        .delete(&format!("/api/v1/coworking/demands/{}", id(&near)))
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    rep.api
        .delete(&format!("/api/v1/coworking/demands/{}", id(&near)))
        .await
        .expect_error(409, "already_closed");
    assert!(in_reach(&operator, operator_org, 60)
        .await
        .iter()
        .all(|d| id(d) != id(&near)));
    let (third_operator, third_space) = coworking_space(&server, CORVETTO, json!({})).await;
    third_operator
        .api
        .post(
            &answers,
            &json!({ "space_id": id(&third_space), "message": "Anche noi" }),
        )
        .await
        .expect_error(409, "demand_closed");
}

#[tokio::test]
async fn demands_are_read_only_by_their_poster_and_the_firm() {
    let server = TestServer::start();
    let worker = server.person();
    let stranger = server.person();
    let own = post_demand(&worker, &near_nil(None, 1, CITTA_STUDI.nil_id)).await;
    let (rep_a, firm_a) = firm(&server, DUOMO).await;
    let (rep_b, _) = firm(&server, BICOCCA).await;
    let firm_demand = post_demand(&rep_a, &near_nil(Some(firm_a), 5, DUOMO.nil_id)).await;
    let colleague = server.actor("company", Some(firm_a));
    let employee = server.actor("worker", Some(firm_a));

    let path = |d: &Value| format!("/api/v1/coworking/demands/{}", id(d));
    worker.api.get(&path(&own)).await.expect(200);
    colleague.api.get(&path(&firm_demand)).await.expect(200);
    for (who, d) in [
        (&stranger, &own),
        (&rep_a, &own),
        (&rep_b, &firm_demand),
        (&employee, &firm_demand),
        (&worker, &firm_demand),
    ] {
        who.api.get(&path(d)).await.expect_error(404, "not_found");
        who.api
            .delete(&path(d))
            .await
            .expect_error(404, "not_found");
    }
    server
        .api(None)
        .get(&path(&own))
        .await
        .expect_error(401, "unauthenticated");
    let listed = colleague
        .api
        .get("/api/v1/coworking/demands")
        .await
        .expect(200);
    assert_eq!(ids(listed["items"].as_array().unwrap()), [id(&firm_demand)]);
    // Pages refuse the same way.
    let web = signed_in(&server, &stranger).await;
    let page = web.get(&format!("/coworking/domanda/{}", id(&own))).await;
    assert_eq!(page.status, 404, "{page}");
    // "Download my data" holds the demands a person posted, and nobody else's.
    let data = worker.api.get("/api/v1/me/data").await.expect(200);
    let posted = &data["coworking"]["demands"];
    assert_eq!(posted.as_array().map(Vec::len), Some(1), "{data}");
    assert_eq!(posted[0]["id"], own["id"]);
    assert_eq!(posted[0]["nils"][0]["nil_id"], CITTA_STUDI.nil_id);
    let theirs = stranger.api.get("/api/v1/me/data").await.expect(200);
    assert_eq!(theirs["coworking"]["demands"], json!([]), "{theirs}");
    // The firm's colleague closes it for the firm.
    colleague.api.delete(&path(&firm_demand)).await.expect(200);
}

#[tokio::test]
async fn coordinators_see_exact_seats_offered_and_asked_per_nil() {
    let server = TestServer::start();
    let (op_c, corvetto) = coworking_space(&server, CORVETTO, json!({})).await;
    coworking_resource(&op_c, id(&corvetto), "open_desk", 10, 2000).await;
    coworking_resource(&op_c, id(&corvetto), "fixed_desk", 1, 3000).await;
    coworking_resource(&op_c, id(&corvetto), "meeting_room", 8, 4000).await;
    let (op_b, bicocca) = coworking_space(&server, BICOCCA, json!({})).await;
    coworking_resource(&op_b, id(&bicocca), "open_desk", 5, 1500).await;

    let (rep, org) = firm(&server, DUOMO).await;
    let worker = server.person();
    post_demand(&rep, &near_nil(Some(org), 6, CORVETTO.nil_id)).await;
    post_demand(&worker, &near_nil(None, 1, CORVETTO.nil_id)).await;
    post_demand(&rep, &near_nil(Some(org), 20, BAGGIO.nil_id)).await;
    let closed = post_demand(&rep, &near_nil(Some(org), 50, CORVETTO.nil_id)).await;
    rep.api
        .delete(&format!("/api/v1/coworking/demands/{}", id(&closed)))
        .await
        .expect(200);

    let expected = json!([
        { "nil_id": BAGGIO.nil_id, "seats_offered": 0, "seats_asked": 20, "gap": 20 },
        { "nil_id": CORVETTO.nil_id, "seats_offered": 11, "seats_asked": 7, "gap": -4 },
        { "nil_id": BICOCCA.nil_id, "seats_offered": 5, "seats_asked": 0, "gap": -5 },
    ]);
    for viewer in [server.coordinator(), server.actor("evaluator", None)] {
        let got = viewer
            .api
            .get("/api/v1/coworking/supply-demand")
            .await
            .expect(200);
        let rows: Vec<Value> = got["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                json!({ "nil_id": r["nil_id"], "seats_offered": r["seats_offered"],
                        "seats_asked": r["seats_asked"], "gap": r["gap"] })
            })
            .collect();
        assert_eq!(json!(rows), expected, "{got}");
        let web = signed_in(&server, &viewer).await;
        let page = web.get("/coordinamento/coworking/domanda-offerta").await;
        assert_eq!(page.status, 200, "{page}");
        let html = page.text();
        assert!(html.contains("<svg") && html.contains("<caption"), "{page}");
        assert!(html.contains("+20"), "{page}");
    }
    for other in [&rep, &worker, &op_c] {
        other
            .api
            .get("/api/v1/coworking/supply-demand")
            .await
            .expect_error(403, "forbidden");
        let web = signed_in(&server, other).await;
        let page = web.get("/coordinamento/coworking/domanda-offerta").await;
        assert_eq!(page.status, 403, "{page}");
    }
}

#[tokio::test]
async fn the_pages_post_answer_and_close_a_demand_without_javascript() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, CORVETTO, json!({})).await;
    let operator_org = space["organization_id"].as_i64().unwrap();
    let (rep, org) = firm(&server, DUOMO).await;
    let web = signed_in(&server, &rep).await;
    let csrf = web.csrf("/coworking/domanda").await;
    let org_text = org.to_string();
    let nil = CORVETTO.nil_id.to_string();
    let from = milan_day(3);

    // A refused form comes back with a summary, a message by each field and what was typed.
    let refused = web
        .post_form(
            "/coworking/domanda",
            &[
                ("csrf", &csrf),
                ("for_org", &org_text),
                ("desks", "600"),
                ("from_date", &from),
                ("near_where", "nil"),
                ("near_nil_id", &nil),
                ("note", "Serve luce naturale"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{refused}");
    let html = html_decode(&refused.text());
    assert!(html.contains("error-summary"), "{refused}");
    assert!(html.contains("href=\"#f-desks\""), "{refused}");
    assert!(html.contains("href=\"#f-weekdays\""), "{refused}");
    assert!(
        html.contains("value=\"600\""),
        "typed values are kept: {refused}"
    );
    assert!(html.contains("Serve luce naturale"), "{refused}");
    let mine = rep.api.get("/api/v1/coworking/demands").await.expect(200);
    assert_eq!(mine["items"], json!([]));
    // Without the anti-forgery token nothing happens.
    let forged = web
        .post_form("/coworking/domanda", &[("desks", "1"), ("weekday", "mon")])
        .await;
    assert_eq!(forged.status, 403, "{forged}");

    let posted = web
        .post_form(
            "/coworking/domanda",
            &[
                ("csrf", &csrf),
                ("for_org", &org_text),
                ("desks", "3"),
                ("weekday", "mon"),
                ("weekday", "thu"),
                ("from_date", &from),
                ("near_where", "nil"),
                ("near_nil_id", &nil),
                ("budget", "22,50"),
            ],
        )
        .await;
    assert_eq!(posted.status, 303, "{posted}");
    let location = posted.header("location").unwrap();
    let demand_id: i64 = location
        .trim_start_matches("/coworking/domanda/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let stored = rep
        .api
        .get(&format!("/api/v1/coworking/demands/{demand_id}"))
        .await
        .expect(200);
    assert_eq!(stored["desks"], 3);
    assert_eq!(stored["budget_cents"], 2250);
    assert_eq!(stored["weekdays"], json!(["mon", "thu"]));

    // The operator sees it and answers through the form; a second answer is refused.
    let op = signed_in(&server, &operator).await;
    let list = op
        .get(&format!("/coworking/gestione/domanda?org={operator_org}"))
        .await;
    assert_eq!(list.status, 200, "{list}");
    assert!(
        list.text()
            .contains(&format!("/coworking/gestione/domanda/{demand_id}/rispondi")),
        "{list}"
    );
    let op_csrf = op.cookie("mire_csrf").unwrap();
    let space_text = id(&space).to_string();
    let answer_path = format!("/coworking/gestione/domanda/{demand_id}/rispondi");
    let answer_fields = |message: &'static str| {
        vec![
            ("csrf", op_csrf.clone()),
            ("org", operator_org.to_string()),
            ("minuti", "30".to_owned()),
            ("answer_space", space_text.clone()),
            ("answer_offer", String::new()),
            ("answer_message", message.to_owned()),
        ]
    };
    let empty = answer_fields("");
    let refused = op.post_form(&answer_path, &borrowed(&empty)).await;
    assert_eq!(refused.status, 422, "{refused}");
    assert!(
        refused
            .text()
            .contains(&format!("href=\"#f-answer_message-{demand_id}\"")),
        "{refused}"
    );
    let ok = answer_fields("Vi aspettiamo!");
    let sent = op.post_form(&answer_path, &borrowed(&ok)).await;
    assert_eq!(sent.status, 303, "{sent}");
    let again = op.post_form(&answer_path, &borrowed(&ok)).await;
    assert_eq!(again.status, 409, "{again}");

    let detail = web.get(&format!("/coworking/domanda/{demand_id}")).await;
    assert!(detail.text().contains("Vi aspettiamo!"), "{detail}");
    let closed = web
        .post_form(
            &format!("/coworking/domanda/{demand_id}/chiudi"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(closed.status, 303, "{closed}");
    let list = op
        .get(&format!("/coworking/gestione/domanda?org={operator_org}"))
        .await;
    assert!(
        !list
            .text()
            .contains(&format!("/coworking/gestione/domanda/{demand_id}/rispondi")),
        "a closed demand leaves the operator's list: {list}"
    );
    // Another operator's page is refused.
    let page = web
        .get(&format!("/coworking/gestione/domanda?org={operator_org}"))
        .await;
    assert_eq!(page.status, 403, "{page}");
}

#[tokio::test]
async fn the_demand_api_is_described() {
    let server = TestServer::start();
    let doc = server.api(None).get("/api/openapi.json").await.expect(200);
    for path in [
        "/api/v1/coworking/demands",
        "/api/v1/coworking/demands/{id}",
        "/api/v1/coworking/demands/in-reach",
        "/api/v1/coworking/demands/{id}/answers",
        "/api/v1/coworking/supply-demand",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is not in the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/coworking/demands/{id}"]
        .get("delete")
        .is_some());
}

#[tokio::test]
async fn the_demo_seed_brings_demands_so_the_map_is_not_empty() {
    let server = TestServer::start_with(ServerOptions {
        demo: true,
        ..Default::default()
    });
    let coordinator = server.api(Some(&server.token("coordinamento@mire.demo")));
    let sums = coordinator
        .get("/api/v1/coworking/supply-demand")
        .await
        .expect(200);
    let rows = sums["items"].as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["seats_asked"].as_i64() > Some(0)),
        "{sums}"
    );
    assert!(
        rows.iter().any(|r| r["seats_offered"].as_i64() > Some(0)),
        "{sums}"
    );
    let firm = server.api(Some(&server.token("impresa@mire.demo")));
    let demands = firm.get("/api/v1/coworking/demands").await.expect(200);
    let demands = demands["items"].as_array().unwrap();
    assert!(!demands.is_empty());
    assert!(demands.iter().all(|d| d["is_demo"] == true), "{demands:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_answers_from_one_space_make_one_answer() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, CORVETTO, json!({})).await;
    let worker = server.person();
    let demand = post_demand(&worker, &near_nil(None, 1, CORVETTO.nil_id)).await;
    let path = format!("/api/v1/coworking/demands/{}/answers", id(&demand));
    let body = json!({ "space_id": id(&space), "message": "Posto libero da noi." });
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (api, path, body, barrier) = (
                operator.api.clone(),
                path.clone(),
                body.clone(),
                barrier.clone(),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                api.post(&path, &body).await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let reply = t.await.expect("request task");
        match reply.status {
            201 => created += 1,
            _ => {
                reply.expect_error(409, "already_answered");
            }
        }
    }
    assert_eq!(created, 1);
    let seen = worker
        .api
        .get(&format!("/api/v1/coworking/demands/{}", id(&demand)))
        .await
        .expect(200);
    assert_eq!(seen["answers"].as_array().map(Vec::len), Some(1), "{seen}");
    assert_eq!(outbox_messages_to(&server, &worker.email).len(), 1);
}

#[tokio::test]
async fn deleting_an_account_closes_the_demands_a_person_posted_for_themselves() {
    let server = TestServer::start();
    let (rep, org) = firm(&server, DUOMO).await;
    let leaving = server.actor("worker", Some(org));
    post_demand(&leaving, &near_nil(None, 1, CITTA_STUDI.nil_id)).await;
    post_demand(&rep, &near_nil(Some(org), 4, CITTA_STUDI.nil_id)).await;
    let coordinator = server.coordinator();
    let asked = || async {
        let got = coordinator
            .api
            .get("/api/v1/coworking/supply-demand")
            .await
            .expect(200);
        got["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["nil_id"] == CITTA_STUDI.nil_id)
            .map(|r| r["seats_asked"].as_i64().unwrap())
    };
    assert_eq!(asked().await, Some(5));

    let web = signed_in(&server, &leaving).await;
    let csrf = web.csrf("/profilo/elimina").await;
    let deleted = web
        .post_form(
            "/profilo/elimina",
            &[("csrf", &csrf), ("password", &leaving.password)],
        )
        .await;
    assert!(deleted.status < 400, "{deleted}");
    // The person's own desk is no longer asked for; the firm's four still are.
    assert_eq!(asked().await, Some(4));
}

#[tokio::test]
async fn a_demand_is_matched_to_the_offers_within_reach_quickest_first() {
    let server = TestServer::start();
    // Near the demand, with an approved offer: matched. Near, without an offer: not.
    // Across the city, with an offer: out of reach.
    let (op_near, near) = coworking_space(&server, CORVETTO, json!({})).await;
    approved_offer(&server, &op_near, id(&near)).await;
    let (_, plain) = coworking_space(&server, CORVETTO, json!({})).await;
    let (op_far, far) = coworking_space(&server, BAGGIO, json!({})).await;
    approved_offer(&server, &op_far, id(&far)).await;

    let worker = server.person();
    let demand = post_demand(&worker, &near_nil(None, 1, CORVETTO.nil_id)).await;
    let got = worker
        .api
        .get(&format!("/api/v1/coworking/demands/{}", id(&demand)))
        .await
        .expect(200);
    let matched = got["offers_in_reach"].as_array().unwrap();
    let matched_ids: Vec<i64> = matched
        .iter()
        .map(|m| m["space_id"].as_i64().unwrap())
        .collect();
    assert_eq!(matched_ids, [id(&near)], "{got}");
    assert!(!matched_ids.contains(&id(&plain)) && !matched_ids.contains(&id(&far)));
    // The minutes are the engine's, from the NIL's reference point to the space.
    let minutes = matched[0]["travel_minutes"].as_f64().unwrap();
    assert!((0.0..=30.0).contains(&minutes), "{got}");

    // The poster's page lists it with its travel time.
    let web = signed_in(&server, &worker).await;
    let page = web
        .get(&format!("/coworking/domanda/{}", id(&demand)))
        .await;
    assert_eq!(page.status, 200, "{page}");
    let html = page.text();
    assert!(
        html.contains(&format!("/coworking/spazi/{}", id(&near))),
        "{page}"
    );
    assert!(html.contains("con i mezzi pubblici"), "{page}");
    assert!(
        !html.contains(&format!("/coworking/spazi/{}\"", id(&far))),
        "{page}"
    );
}
