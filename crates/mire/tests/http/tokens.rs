//! Personal API tokens: made, listed without their secret, revoked for good.

use serde_json::json;

use crate::common::TestServer;

#[tokio::test]
async fn a_revoked_token_stops_working() {
    let server = TestServer::start();
    let alice = server.person();

    let made = alice
        .api
        .post("/api/v1/me/tokens", &json!({"name": "script di prova"}))
        .await
        .expect(201);
    let token_id = made["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {made}"));
    let secret = made["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {made}"))
        .to_owned();
    let with_new = server.api(Some(&secret));
    assert_eq!(with_new.get("/api/v1/me").await.expect(200)["id"], alice.id);

    let listed = alice.api.get("/api/v1/me/tokens").await;
    listed.expect(200);
    assert!(
        listed.text().contains("script di prova"),
        "the token is listed by name:\n{listed}"
    );
    assert!(
        !listed.text().contains(&secret),
        "the list never shows a token's secret:\n{listed}"
    );
    assert!(
        !listed.text().contains(&alice.token),
        "the list never shows a token's secret:\n{listed}"
    );

    let revoked = alice
        .api
        .delete(&format!("/api/v1/me/tokens/{token_id}"))
        .await;
    assert_eq!(revoked.status, 204, "{revoked}");
    with_new
        .get("/api/v1/me")
        .await
        .expect_error(401, "unauthenticated");
    with_new
        .post("/api/v1/me/tokens", &json!({"name": "rinnovo"}))
        .await
        .expect_error(401, "unauthenticated");
    // The other token of the same user is untouched.
    assert_eq!(
        alice.api.get("/api/v1/me").await.expect(200)["id"],
        alice.id
    );
}

#[tokio::test]
async fn nobody_revokes_someone_elses_token() {
    let server = TestServer::start();
    let alice = server.person();
    let bob = server.person();
    let made = alice
        .api
        .post("/api/v1/me/tokens", &json!({"name": "di Alice"}))
        .await
        .expect(201);
    let token_id = made["id"].as_i64().unwrap();
    let alice_new = server.api(made["token"].as_str());

    let attempt = bob
        .api
        .delete(&format!("/api/v1/me/tokens/{token_id}"))
        .await;
    assert!(matches!(attempt.status, 403 | 404), "{attempt}");
    assert!(attempt.json()["code"].is_string(), "{attempt}");
    assert_eq!(
        alice_new.get("/api/v1/me").await.expect(200)["id"],
        alice.id,
        "Alice's token still works"
    );
    let bobs = bob.api.get("/api/v1/me/tokens").await;
    assert!(
        !bobs.text().contains("di Alice"),
        "Bob does not see Alice's tokens:\n{bobs}"
    );
}
