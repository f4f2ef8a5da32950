//! Who may read and do what: private fields stay within the organisation and the
//! coordinators, decisions belong to coordinators, the API needs a valid bearer token.

use serde_json::{json, Value};

use crate::common::{organization_body, Rng, TestServer, BICOCCA, DUOMO};

const PRIVATE: [&str; 3] = ["tax_code", "address", "people"];

fn assert_public_only(org: &Value) {
    for field in PRIVATE {
        assert!(
            org.get(field).is_none(),
            "{field} must not be shown to outsiders: {org}"
        );
    }
    for field in ["id", "name", "kind", "municipio", "nil_id"] {
        assert!(
            org.get(field).is_some(),
            "public field {field} is missing: {org}"
        );
    }
}

#[tokio::test]
async fn private_fields_stay_inside_the_organisation() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let alice = server.person();
    let bob = server.person();
    let worker = server.person();
    let a_body = organization_body(&mut rng, "company", DUOMO);
    let a = alice.api.create_organization(&a_body).await["id"]
        .as_i64()
        .unwrap();
    let b = bob
        .api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await["id"]
        .as_i64()
        .unwrap();
    let a_path = format!("/api/v1/organizations/{a}");

    // Another company's representative and a worker see the public fields only.
    assert_public_only(&bob.api.get(&a_path).await.expect(200));
    assert_public_only(&worker.api.get(&a_path).await.expect(200));
    for org in bob.api.organizations().await {
        for field in PRIVATE {
            assert!(org.get(field).is_none(), "the list shows {field}: {org}");
        }
    }
    // Without a token: either refused or public fields only.
    let anonymous = server.api(None).get(&a_path).await;
    if anonymous.status == 200 {
        assert_public_only(&anonymous.json());
    } else {
        anonymous.expect_error(401, "unauthenticated");
    }
    assert!(!bob
        .api
        .get(&a_path)
        .await
        .text()
        .contains(a_body["tax_code"].as_str().unwrap()));

    // Its own members see everything.
    let full = alice.api.get(&a_path).await.expect(200);
    assert_eq!(full["tax_code"], a_body["tax_code"], "{full}");
    assert_eq!(full["address"], a_body["address"], "{full}");
    assert!(full["people"].to_string().contains(&alice.email), "{full}");
    // So do the coordinators of the alliance it asks to join.
    alice.api.request_membership(a, &["welfare"]).await;
    let full = coordinator.api.get(&a_path).await.expect(200);
    assert_eq!(full["tax_code"], a_body["tax_code"], "{full}");
    assert_eq!(full["address"], a_body["address"], "{full}");
    assert!(full["people"].to_string().contains(&alice.email), "{full}");
    // Asking to join opens nothing to other organisations.
    assert_public_only(&bob.api.get(&a_path).await.expect(200));
    // ... and only of their own organisation.
    assert_public_only(
        &alice
            .api
            .get(&format!("/api/v1/organizations/{b}"))
            .await
            .expect(200),
    );
}

#[tokio::test]
async fn only_representatives_ask_and_only_coordinators_decide() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let alice = server.person();
    let bob = server.person();
    let worker = server.person();
    let a = alice
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    bob.api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await;

    let requests_before = coordinator.api.membership_requests().await;
    let members_before = coordinator.api.members("").await;

    // Nobody but Alice can ask on behalf of her organisation.
    let ask = json!({"organization_id": a, "message": "per conto d'altri", "action_lines": ["coworking"]});
    for who in [&bob, &worker, &coordinator] {
        who.api
            .post("/api/v1/alliance/membership-requests", &ask)
            .await
            .expect_error(403, "forbidden");
    }
    assert_eq!(
        coordinator.api.membership_requests().await,
        requests_before,
        "refused requests are not stored"
    );

    let request = alice.api.request_membership(a, &["coworking"]).await;
    let request_id = request["id"].as_i64().unwrap();
    let path = format!("/api/v1/alliance/membership-requests/{request_id}");

    // Nobody but a coordinator decides, not even the requester.
    for who in [&alice, &bob, &worker] {
        who.api
            .post(&format!("{path}/approve"), &json!({"role": "lead_partner"}))
            .await
            .expect_error(403, "forbidden");
        who.api
            .post(&format!("{path}/reject"), &json!({"reason": "no"}))
            .await
            .expect_error(403, "forbidden");
    }
    let all = coordinator.api.membership_requests().await;
    let still = all
        .iter()
        .find(|r| r["id"] == request_id)
        .expect("request listed for the coordinator");
    assert_eq!(
        still["status"], "pending",
        "refused decisions change nothing: {still}"
    );
    assert_eq!(coordinator.api.members("").await, members_before);

    // Each organisation sees its own requests only.
    assert!(bob
        .api
        .membership_requests()
        .await
        .iter()
        .all(|r| r["id"] != request_id));
    assert!(worker
        .api
        .membership_requests()
        .await
        .iter()
        .all(|r| r["id"] != request_id));
    assert!(alice
        .api
        .membership_requests()
        .await
        .iter()
        .any(|r| r["id"] == request_id));
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let alice = server.person();
    let a = alice
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    let unknown = a + 1_000_000;

    alice
        .api
        .get(&format!("/api/v1/organizations/{unknown}"))
        .await
        .expect_error(404, "not_found");
    let ask = json!({"organization_id": unknown, "message": "x", "action_lines": ["coworking"]});
    alice
        .api
        .post("/api/v1/alliance/membership-requests", &ask)
        .await
        .expect_error(404, "not_found");
    for decision in [
        ("approve", json!({"role": "member"})),
        ("reject", json!({"reason": "x"})),
    ] {
        coordinator
            .api
            .post(
                &format!(
                    "/api/v1/alliance/membership-requests/{unknown}/{}",
                    decision.0
                ),
                &decision.1,
            )
            .await
            .expect_error(404, "not_found");
    }
    alice
        .api
        .delete(&format!("/api/v1/me/tokens/{unknown}"))
        .await
        .expect_error(404, "not_found");
    server
        .api(None)
        .get("/api/v1/no-such-thing")
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn the_api_needs_a_valid_bearer_token() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let alice = server.person();
    let body = organization_body(&mut rng, "company", DUOMO);
    let before = alice.api.organizations().await;

    let anonymous = server.api(None);
    let wrong = server.api(Some("not-a-real-token"));
    let almost = server.api(Some(&format!("{}x", alice.token)));
    for api in [&anonymous, &wrong, &almost] {
        api.get("/api/v1/me")
            .await
            .expect_error(401, "unauthenticated");
        api.get("/api/v1/me/tokens")
            .await
            .expect_error(401, "unauthenticated");
        api.get("/api/v1/alliance/membership-requests")
            .await
            .expect_error(401, "unauthenticated");
        api.post("/api/v1/organizations", &body)
            .await
            .expect_error(401, "unauthenticated");
        api.post("/api/v1/me/tokens", &json!({"name": "x"}))
            .await
            .expect_error(401, "unauthenticated");
        api.post(
            "/api/v1/alliance/membership-requests/1/approve",
            &json!({"role": "member"}),
        )
        .await
        .expect_error(401, "unauthenticated");
    }
    assert_eq!(
        alice.api.organizations().await,
        before,
        "nothing was created without a valid token"
    );

    // The token must come as a bearer token, not in another scheme.
    let basic = server.api(None);
    let reply = basic
        .send_with_header(
            "GET",
            "/api/v1/me",
            "authorization",
            &format!("Basic {}", alice.token),
        )
        .await;
    reply.expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn a_web_session_does_not_open_the_api() {
    let server = TestServer::start();
    let alice = server.person();
    let web = server.web();
    let csrf = web.csrf("/accedi").await;
    let login = web
        .post_form(
            "/accedi",
            &[
                ("email", &alice.email),
                ("password", &alice.password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(
        (300..400).contains(&login.status),
        "a successful login redirects:\n{login}"
    );
    let cookies: Vec<String> = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    assert!(
        cookies.iter().any(|c| !c.starts_with("mire_csrf=")),
        "a successful login sets a session cookie: {cookies:?}"
    );
    // The same cookie jar, without a bearer token, is not an API client.
    let me = web.get("/api/v1/me").await;
    me.expect_error(401, "unauthenticated");
}
