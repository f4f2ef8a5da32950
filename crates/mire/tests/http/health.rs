//! The server starts, reports its health and holds the reference data.

use serde_json::Value;

use crate::common::{ServerOptions, TestServer};

#[tokio::test]
async fn health_checks_the_database() {
    let server = TestServer::start();
    let reply = server.api(None).get("/health").await;
    let body = reply.expect(200);
    assert!(
        reply.content_type().starts_with("application/json"),
        "{reply}"
    );
    assert_eq!(body["status"], "ok", "{reply}");
    assert_eq!(body["database"], "ok", "{reply}");
}

#[tokio::test]
async fn without_demo_data_the_alliance_starts_empty() {
    let server = TestServer::start();
    let api = server.person().api;
    assert_eq!(api.organizations().await, Vec::<Value>::new());
    assert_eq!(api.members("").await, Vec::<Value>::new());
}

#[tokio::test]
async fn demo_seed_loads_fictional_organisations() {
    let server = TestServer::start_with(ServerOptions {
        demo: true,
        ..Default::default()
    });
    let api = server.person().api;
    let orgs = api.organizations().await;
    assert!(!orgs.is_empty(), "the demo seed should bring organisations");
    for org in &orgs {
        assert!(
            org["is_demo"] == true || org["is_demo"] == 1,
            "demo organisations are marked: {org}"
        );
        assert!(
            org.get("tax_code").is_none(),
            "tax codes are not public: {org}"
        );
    }
    assert!(
        !api.members("").await.is_empty(),
        "the demo seed should bring alliance members"
    );
}
