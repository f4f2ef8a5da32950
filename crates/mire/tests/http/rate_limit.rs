//! Sign-up and login are rate-limited per client address, with the server's default limits.

use crate::common::{Rng, ServerOptions, TestServer};

/// More attempts than any sensible default limit allows; reaching it means there is no limit.
const ENOUGH: usize = 300;

#[tokio::test]
async fn repeated_sign_ups_are_slowed_down() {
    let server = TestServer::start_with(ServerOptions {
        default_rate_limits: true,
        ..Default::default()
    });
    let mut rng = Rng::new();
    let mut statuses = Vec::new();
    for _ in 0..ENOUGH {
        // A new browser each time, as a script creating accounts would.
        let web = server.web();
        let csrf = web.csrf("/registrati").await;
        let email = format!("ripetuto-{}@example.org", rng.suffix());
        let reply = web
            .post_form(
                "/registrati",
                &[
                    ("display_name", "Ripetuto"),
                    ("email", &email),
                    ("password", "una-password-lunga"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert!(reply.status < 500, "{reply}");
        statuses.push(reply.status);
        if reply.status == 429 {
            let refused = server.mire(&["admin", "token", "--email", &email]);
            assert!(
                !refused.success,
                "a refused sign-up creates no account:\n{refused}"
            );
            break;
        }
    }
    assert_ne!(statuses[0], 429, "the first sign-up is not limited");
    assert_eq!(
        statuses.last(),
        Some(&429),
        "no 429 after {} sign-ups: {statuses:?}",
        statuses.len()
    );
}

#[tokio::test]
async fn repeated_logins_are_slowed_down() {
    let server = TestServer::start_with(ServerOptions {
        default_rate_limits: true,
        ..Default::default()
    });
    let alice = server.person();
    let web = server.web();
    let csrf = web.csrf("/accedi").await;
    let mut statuses = Vec::new();
    for i in 0..ENOUGH {
        let password = format!("sbagliata-{i}");
        let reply = web
            .post_form(
                "/accedi",
                &[
                    ("email", &alice.email),
                    ("password", &password),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert!(reply.status < 500, "{reply}");
        assert!(
            !(300..400).contains(&reply.status),
            "a wrong password must not log in:\n{reply}"
        );
        statuses.push(reply.status);
        if reply.status == 429 {
            break;
        }
    }
    assert_ne!(statuses[0], 429, "the first login attempt is not limited");
    assert_eq!(
        statuses.last(),
        Some(&429),
        "no 429 after {} login attempts: {statuses:?}",
        statuses.len()
    );
    // Once limited, even the right password waits.
    let right = web
        .post_form(
            "/accedi",
            &[
                ("email", &alice.email),
                ("password", &alice.password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(right.status, 429, "{right}");
}
