//! The coworking pages over HTTP, as a browser sends them: forms without the anti-forgery
//! token change nothing, a firm's credit page is closed to other firms, and nobody cancels
//! another person's booking through the page.

use serde_json::json;

use crate::common::*;

/// A browser signed in as `who`.
async fn signed_in(server: &TestServer, who: &Actor) -> Web {
    let web = server.web();
    let csrf = web.csrf("/accedi").await;
    let login = web
        .post_form(
            "/accedi",
            &[
                ("email", who.email.as_str()),
                ("password", who.password.as_str()),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!((300..400).contains(&login.status), "{login}");
    web
}

async fn upcoming(who: &Actor) -> Vec<serde_json::Value> {
    who.api.get("/api/v1/me/bookings").await.expect(200)["upcoming"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_booking_form_without_the_csrf_token_books_nothing() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, DUOMO, json!({})).await;
    let space_id = space["id"].as_i64().unwrap();
    let desk = coworking_resource(&operator, space_id, "open_desk", 5, 2000).await;
    let desk = desk["id"].as_i64().unwrap().to_string();
    let worker = server.person();
    let web = signed_in(&server, &worker).await;
    let day = milan_day(2);
    let path = format!("/coworking/spazi/{space_id}/prenota");
    let fields = [
        ("resource_id", desk.as_str()),
        ("date", day.as_str()),
        ("period", "full_day"),
    ];

    let missing = web.post_form(&path, &fields).await;
    assert_eq!(missing.status, 403, "{missing}");
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    let forged = web.post_form(&path, &wrong).await;
    assert_eq!(forged.status, 403, "{forged}");
    assert!(
        upcoming(&worker).await.is_empty(),
        "a refused form must not book"
    );

    // The same form with the token books once; sent twice, the second is "already booked".
    let csrf = web.cookie("mire_csrf").expect("the csrf cookie");
    let mut good = fields.to_vec();
    good.push(("csrf", &csrf));
    let first = web.post_form(&path, &good).await;
    assert_eq!(first.status, 303, "{first}");
    let again = web.post_form(&path, &good).await;
    assert_eq!(again.status, 409, "{again}");
    assert!(
        html_decode(&again.text()).contains("Hai già questa prenotazione"),
        "{again}"
    );
    assert_eq!(upcoming(&worker).await.len(), 1);
}

#[tokio::test]
async fn a_firm_credit_page_is_closed_to_other_firms() {
    let server = TestServer::start();
    let mut rng = Rng::quiet();
    let rep_a = server.person();
    let firm_a = rep_a
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    let rep_b = server.person();
    let firm_b = rep_b
        .api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await["id"]
        .as_i64()
        .unwrap();
    let employee = server.actor("worker", Some(firm_a));

    let a = signed_in(&server, &rep_a).await;
    let own = a.get(&format!("/organizzazioni/{firm_a}/crediti")).await;
    assert_eq!(own.status, 200, "{own}");

    let b = signed_in(&server, &rep_b).await;
    let page = b.get(&format!("/organizzazioni/{firm_a}/crediti")).await;
    assert_eq!(page.status, 403, "{page}");
    assert!(!page.text().contains("Test worker"), "{page}");
    // Nor can firm B give firm A's credits through the form.
    let csrf = b.cookie("mire_csrf").expect("the csrf cookie");
    let employee_id = employee.id.to_string();
    let post = b
        .post_form(
            &format!("/organizzazioni/{firm_a}/crediti"),
            &[
                ("csrf", csrf.as_str()),
                ("pack_id", "1"),
                ("user_id", employee_id.as_str()),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(post.status, 403, "{post}");
    // Its own page works, and a worker (not a representative) has none.
    assert_eq!(
        b.get(&format!("/organizzazioni/{firm_b}/crediti"))
            .await
            .status,
        200
    );
    let w = signed_in(&server, &employee).await;
    assert_eq!(
        w.get(&format!("/organizzazioni/{firm_a}/crediti"))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn nobody_cancels_another_persons_booking_through_the_page() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, DUOMO, json!({ "cancel_hours": 0 })).await;
    let space_id = space["id"].as_i64().unwrap();
    let desk = coworking_resource(&operator, space_id, "open_desk", 5, 2000).await;
    let owner = server.person();
    let booking = owner
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({ "resource_id": desk["id"], "date": milan_day(3), "period": "full_day" }),
        )
        .await
        .expect(201);
    let id = booking["id"].as_i64().unwrap();

    let intruder = server.person();
    let web = signed_in(&server, &intruder).await;
    let csrf = web.cookie("mire_csrf").expect("the csrf cookie");
    let cancel = web
        .post_form(
            &format!("/coworking/prenotazioni/{id}/annulla"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(cancel.status, 404, "{cancel}");
    let view = web.get(&format!("/coworking/prenotazioni/{id}")).await;
    assert_eq!(view.status, 404, "{view}");
    let ics = web
        .get(&format!("/coworking/prenotazioni/{id}/calendario.ics"))
        .await;
    assert_eq!(ics.status, 404, "{ics}");
    // The operator does not cancel it through the page either.
    let op_web = signed_in(&server, &operator).await;
    let op_csrf = op_web.cookie("mire_csrf").expect("the csrf cookie");
    let by_operator = op_web
        .post_form(
            &format!("/coworking/prenotazioni/{id}/annulla"),
            &[("csrf", op_csrf.as_str())],
        )
        .await;
    assert_eq!(by_operator.status, 404, "{by_operator}");

    let still = owner
        .api
        .get(&format!("/api/v1/coworking/bookings/{id}"))
        .await
        .expect(200);
    assert_eq!(still["status"], "confirmed", "{still}");

    // Its holder can.
    let own = signed_in(&server, &owner).await;
    let own_csrf = own.cookie("mire_csrf").expect("the csrf cookie");
    let done = own
        .post_form(
            &format!("/coworking/prenotazioni/{id}/annulla"),
            &[("csrf", own_csrf.as_str())],
        )
        .await;
    assert_eq!(done.status, 303, "{done}");
    let after = owner
        .api
        .get(&format!("/api/v1/coworking/bookings/{id}"))
        .await
        .expect(200);
    assert_eq!(after["status"], "cancelled", "{after}");
}

#[tokio::test]
async fn bad_input_on_the_pages_gets_a_clear_answer_and_never_a_5xx() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, DUOMO, json!({})).await;
    let space_id = space["id"].as_i64().unwrap();
    let desk = coworking_resource(&operator, space_id, "open_desk", 2, 2000).await;
    let room = coworking_resource(&operator, space_id, "meeting_room", 6, 3000).await;
    let (other_operator, other_space) = coworking_space(&server, BICOCCA, json!({})).await;
    let foreign = coworking_resource(
        &other_operator,
        other_space["id"].as_i64().unwrap(),
        "open_desk",
        2,
        2000,
    )
    .await;
    let web = server.web();
    for (path, status) in [
        (
            "/coworking?date=domani&period=notte&max_price=caro&near=45.4",
            422,
        ),
        ("/coworking?near=41.9,12.5", 422),
        ("/coworking?near=45.46,9.19&near_nil=1", 422),
        ("/coworking?municipio=12&amenity=sauna", 422),
        ("/coworking/spazi/abc", 404),
        ("/coworking/spazi/999999", 404),
        ("/coworking/spazi/1?date=2026-02-30", 422),
    ] {
        let r = web.get(path).await;
        assert_eq!(r.status, status, "{r}");
    }

    let worker = server.person();
    let web = signed_in(&server, &worker).await;
    let csrf = web.cookie("mire_csrf").expect("the csrf cookie");
    let path = format!("/coworking/spazi/{space_id}/prenota");
    let desk_id = desk["id"].as_i64().unwrap().to_string();
    let room_id = room["id"].as_i64().unwrap().to_string();
    let foreign_id = foreign["id"].as_i64().unwrap().to_string();
    let tomorrow = milan_day(1);
    for (fields, status, message) in [
        (
            vec![
                ("resource_id", desk_id.as_str()),
                ("date", "ieri"),
                ("period", "full_day"),
            ],
            422,
            "Scrivi la data come AAAA-MM-GG",
        ),
        (
            vec![
                ("resource_id", desk_id.as_str()),
                ("date", tomorrow.as_str()),
                ("period", "notte"),
            ],
            422,
            "Scegli una delle opzioni proposte",
        ),
        (
            vec![
                ("resource_id", room_id.as_str()),
                ("date", tomorrow.as_str()),
                ("hour", "99"),
            ],
            422,
            "Scegli una delle opzioni proposte",
        ),
        (
            vec![
                ("resource_id", room_id.as_str()),
                ("date", tomorrow.as_str()),
                ("hour", "3"),
            ],
            422,
            "A quest'ora lo spazio non è aperto",
        ),
        (
            vec![
                ("resource_id", foreign_id.as_str()),
                ("date", tomorrow.as_str()),
                ("period", "full_day"),
            ],
            404,
            "",
        ),
        (
            vec![
                ("resource_id", "-1"),
                ("date", tomorrow.as_str()),
                ("period", "full_day"),
            ],
            404,
            "",
        ),
    ] {
        let mut fields = fields.clone();
        fields.push(("csrf", csrf.as_str()));
        let r = web.post_form(&path, &fields).await;
        assert_eq!(r.status, status, "{r}");
        assert!(html_decode(&r.text()).contains(message), "{r}");
    }
    assert!(
        upcoming(&worker).await.is_empty(),
        "refused forms book nothing"
    );
}

#[tokio::test]
async fn a_mistyped_coordinate_is_reported_once_and_the_space_is_not_saved() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, DUOMO, json!({})).await;
    let org = space["organization_id"].as_i64().unwrap();
    let web = signed_in(&server, &operator).await;
    let path = format!("/coworking/gestione/spazi/nuovo?org={org}");
    let csrf = web.csrf(&path).await;
    let r = web
        .post_form(
            &path,
            &[
                ("space_name", "Spazio con un errore"),
                ("address", "Via Torino 1, Milano"),
                ("lat", "quarantacinque"),
                ("lon", "9.19"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{r}");
    let page = r.text();
    // The form's own "not a number" replaces what validation says of the missing latitude:
    // one entry in the summary for the field, and it is the one about what was typed.
    assert_eq!(page.matches("href=\"#f-lat\"").count(), 1, "{r}");
    assert!(page.contains("Inserisci un numero"), "{r}");
    assert!(
        page.contains("value=\"quarantacinque\""),
        "typed value kept: {r}"
    );
    let spaces = operator
        .api
        .get("/api/v1/coworking/spaces?limit=100")
        .await
        .expect(200);
    let saved = spaces.to_string().contains("Spazio con un errore");
    assert!(!saved, "nothing saved");
}

#[tokio::test]
async fn a_persons_bookings_are_in_the_download_of_their_data() {
    let server = TestServer::start();
    let (operator, space) = coworking_space(&server, DUOMO, json!({})).await;
    let desk = coworking_resource(
        &operator,
        space["id"].as_i64().unwrap(),
        "open_desk",
        1,
        2000,
    )
    .await;
    let worker = server.person();
    let booking = worker
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({"resource_id": desk["id"], "date": milan_day(1), "period": "morning"}),
        )
        .await
        .expect(201);
    let cancelled = worker
        .api
        .post(
            "/api/v1/coworking/bookings",
            &json!({"resource_id": desk["id"], "date": milan_day(2), "period": "full_day"}),
        )
        .await
        .expect(201);
    worker
        .api
        .delete(&format!("/api/v1/coworking/bookings/{}", cancelled["id"]))
        .await
        .expect(200);

    let data = worker.api.get("/api/v1/me/data").await.expect(200);
    let coworking = &data["coworking"];
    let ids = |key: &str| -> Vec<i64> {
        coworking[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {data}"))
            .iter()
            .map(|b| b["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids("upcoming_bookings"), [booking["id"].as_i64().unwrap()]);
    assert_eq!(
        ids("past_and_cancelled_bookings"),
        [cancelled["id"].as_i64().unwrap()]
    );

    // Another person's download holds none of it.
    let other = server.person();
    let theirs = other.api.get("/api/v1/me/data").await.expect(200);
    assert_eq!(theirs["coworking"]["upcoming_bookings"], json!([]));
}
