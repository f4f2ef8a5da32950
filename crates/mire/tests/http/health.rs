//! The server starts, reports its health and holds the reference data.

use std::collections::BTreeSet;

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
async fn without_demo_data_only_the_reference_data_is_there() {
    let server = TestServer::start();
    let api = server.person().api;
    for org in api.organizations().await {
        assert_eq!(
            org["is_demo"], false,
            "--no-demo loads no demo organisation: {org}"
        );
    }
}

#[tokio::test]
async fn demo_seed_loads_fictional_organisations() {
    let plain = TestServer::start();
    let reference: BTreeSet<String> = plain
        .person()
        .api
        .organizations()
        .await
        .iter()
        .map(|o| o["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let server = TestServer::start_with(ServerOptions {
        demo: true,
        ..Default::default()
    });
    let api = server.person().api;
    let orgs = api.organizations().await;
    let added: Vec<&Value> = orgs
        .iter()
        .filter(|o| !reference.contains(o["name"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        !added.is_empty(),
        "the demo seed should bring organisations"
    );
    for org in &orgs {
        assert!(
            org.get("tax_code").is_none(),
            "tax codes are not public: {org}"
        );
    }
    for org in added {
        assert_eq!(
            org["is_demo"], true,
            "demo organisations are marked as such: {org}"
        );
    }
    assert!(
        !api.members("").await.is_empty(),
        "the demo seed should bring alliance members"
    );

    // The demo accounts the server announces exist there, and not without the demo seed.
    let log = server.log_text();
    let announced = log
        .lines()
        .find_map(|l| {
            l.split_once("Demo accounts")
                .map(|(_, rest)| rest.to_owned())
        })
        .unwrap_or_else(|| panic!("the server names its demo accounts:\n{log}"));
    let emails: Vec<&str> = announced
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .filter(|w| w.contains('@'))
        .collect();
    assert!(!emails.is_empty(), "no e-mail addresses in {announced:?}");
    for email in emails {
        assert!(
            server.mire(&["admin", "token", "--email", email]).success,
            "{email} exists with the demo seed"
        );
        let absent = plain.mire(&["admin", "token", "--email", email]);
        assert!(
            !absent.success,
            "{email} must not exist without the demo seed:\n{absent}"
        );
    }
}
