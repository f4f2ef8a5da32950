//! The web pages, lightly: they render in Italian, refuse forms without the CSRF token, escape
//! what users typed; and the server stops cleanly on a signal. Journeys are the browser
//! suite's business.

use std::time::Duration;

use serde_json::json;

use crate::common::{html_decode, organization_body, outbox_messages_to, Rng, TestServer, DUOMO};

fn assert_html_page(reply: &crate::common::Reply) {
    assert_eq!(reply.status, 200, "{reply}");
    assert!(reply.content_type().starts_with("text/html"), "{reply}");
    assert!(
        reply.text().contains("lang=\"it\""),
        "pages are in Italian by default:\n{reply}"
    );
}

#[tokio::test]
async fn public_pages_render_in_italian() {
    let server = TestServer::start();
    let web = server.web();
    let home = web.get("/").await;
    assert_html_page(&home);
    assert!(
        home.header("content-security-policy").is_some(),
        "pages carry a CSP:\n{home}"
    );
    assert_eq!(
        home.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{home}"
    );
    for path in ["/accedi", "/registrati", "/membri", "/api/docs"] {
        assert_html_page(&web.get(path).await);
    }
    // The API documentation comes from the binary, not from a CDN.
    let docs = web.get("/api/docs").await.text();
    for external in [
        "src=\"http",
        "src=\"//",
        "href=\"http://",
        "href=\"https://cdn",
        "unpkg.com",
        "jsdelivr",
    ] {
        assert!(
            !docs.contains(external),
            "/api/docs loads something from elsewhere ({external})"
        );
    }
    let missing = web.get("/questa-pagina-non-esiste").await;
    assert_eq!(missing.status, 404, "{missing}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let server = TestServer::start();
    let reply = server.api(None).get("/api/openapi.json").await;
    let doc = reply.expect(200);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{reply}"
    );
    for path in [
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/alliance/membership-requests",
        "/api/v1/alliance/membership-requests/{id}/approve",
        "/api/v1/alliance/membership-requests/{id}/reject",
        "/api/v1/alliance/members",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
}

#[tokio::test]
async fn organisation_pages_escape_what_users_typed() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let rep = server.person();
    let mut body = organization_body(&mut rng, "company", DUOMO);
    let name = format!(
        "<script>alert('mire')</script> & \"Figli\" {}",
        rng.suffix()
    );
    body["name"] = json!(name);
    let org = rep.api.create_organization(&body).await;
    let id = org["id"].as_i64().unwrap();
    assert_eq!(org["name"], name.as_str(), "the name is stored as typed");

    let page = server.web().get(&format!("/organizzazioni/{id}")).await;
    assert_html_page(&page);
    let html = page.text();
    assert!(
        !html.contains("<script>alert("),
        "the name must be escaped:\n{page}"
    );
    assert!(
        html_decode(&html).contains(&name),
        "the name is shown, escaped:\n{page}"
    );
    assert!(
        !html.contains(body["tax_code"].as_str().unwrap()),
        "the public page hides the tax code"
    );

    for path in [
        "/organizzazioni/999999999",
        "/organizzazioni/-1",
        "/organizzazioni/abc",
    ] {
        let reply = server.web().get(path).await;
        assert!(matches!(reply.status, 400 | 404), "{reply}");
    }
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let alice = server.person();
    let web = server.web();
    let csrf = web.csrf("/accedi").await;

    // Missing, wrong, or taken from another browser: refused, and the login does not happen.
    let no_token = web
        .post_form(
            "/accedi",
            &[("email", &alice.email), ("password", &alice.password)],
        )
        .await;
    assert_eq!(no_token.status, 403, "{no_token}");
    let wrong = web
        .post_form(
            "/accedi",
            &[
                ("email", &alice.email),
                ("password", &alice.password),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403, "{wrong}");
    let other_browser = server.web();
    let stolen = other_browser
        .post_form(
            "/accedi",
            &[
                ("email", &alice.email),
                ("password", &alice.password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(
        stolen.status, 403,
        "a token is only good with its own cookie:\n{stolen}"
    );
    for refused in [&no_token, &wrong, &stolen] {
        assert!(
            refused
                .header("set-cookie")
                .is_none_or(|c| c.starts_with("mire_csrf=")),
            "{refused}"
        );
    }

    // Sign-up without the token creates no account.
    let email = format!("csrf-{}@example.org", rng.suffix());
    let signup = web
        .post_form(
            "/registrati",
            &[
                ("display_name", "Senza Token"),
                ("email", &email),
                ("password", "una-password-lunga"),
            ],
        )
        .await;
    assert_eq!(signup.status, 403, "{signup}");
    let token = server.mire(&["admin", "token", "--email", &email]);
    assert!(
        !token.success,
        "the refused sign-up must not create an account:\n{token}"
    );

    // Logout is a form too.
    let logout = web.post_form("/esci", &[]).await;
    assert_eq!(logout.status, 403, "{logout}");

    // With the token, the same login goes through.
    let ok = web
        .post_form(
            "/accedi",
            &[
                ("email", &alice.email),
                ("password", &alice.password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!((300..400).contains(&ok.status), "{ok}");
}

#[tokio::test]
async fn sign_up_creates_an_account_and_writes_to_the_person() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let email = format!("nuova-{}@example.org", rng.suffix());
    let sign_up = |email: String| {
        let server = &server;
        async move {
            let web = server.web();
            let csrf = web.csrf("/registrati").await;
            let fields = [
                ("display_name", "Giulia Bianchi"),
                ("email", email.as_str()),
                ("password", "una-password-lunga"),
                ("csrf", csrf.as_str()),
            ];
            web.post_form("/registrati", &fields).await
        }
    };
    let first = sign_up(email.clone()).await;
    assert!(first.status < 400, "{first}");
    let token = server.token(&email);
    let me = server.api(Some(&token)).get("/api/v1/me").await.expect(200);
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["display_name"], "Giulia Bianchi");
    let mails = outbox_messages_to(&server, &email);
    assert_eq!(mails.len(), 1, "one e-mail to the new account: {mails:?}");

    // Signing up again with the same address does not reveal that it is taken.
    let again = sign_up(email.clone()).await;
    assert_eq!(again.status, first.status, "{again}");
    assert_eq!(title(&again.text()), title(&first.text()), "{again}");
}

fn title(html: &str) -> String {
    let start = html.find("<title>").map(|i| i + 7).unwrap_or(0);
    let end = html[start..]
        .find("</title>")
        .map(|e| start + e)
        .unwrap_or(start);
    html[start..end].to_owned()
}

#[tokio::test]
async fn log_in_and_out() {
    let server = TestServer::start();
    let alice = server.person();
    let web = server.web();
    let csrf = web.csrf("/accedi").await;
    let fields = [
        ("email", alice.email.as_str()),
        ("password", alice.password.as_str()),
        ("csrf", &csrf),
    ];
    let login = web.post_form("/accedi", &fields).await;
    assert!((300..400).contains(&login.status), "{login}");
    let wrong = server.web();
    let csrf_wrong = wrong.csrf("/accedi").await;
    let refused = wrong
        .post_form(
            "/accedi",
            &[
                ("email", &alice.email),
                ("password", "non-e-questa-1"),
                ("csrf", &csrf_wrong),
            ],
        )
        .await;
    assert!(
        refused.status == 200 || refused.status >= 400,
        "a wrong password does not log in:\n{refused}"
    );
    assert!(refused.status < 500, "{refused}");

    // The hidden field of every form carries the value of the mire_csrf cookie.
    let csrf = web
        .cookie("mire_csrf")
        .expect("the browser holds the mire_csrf cookie");
    let logout = web.post_form("/esci", &[("csrf", &csrf)]).await;
    assert!((300..400).contains(&logout.status), "{logout}");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let mut server = TestServer::start();
    server.api(None).get("/health").await.expect(200);
    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM: {status:?}\n{}",
        server.log_text()
    );
}

#[tokio::test]
async fn sigint_stops_the_server_cleanly() {
    let mut server = TestServer::start();
    server.api(None).get("/health").await.expect(200);
    server.signal(libc::SIGINT);
    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGINT: {status:?}\n{}",
        server.log_text()
    );
}
