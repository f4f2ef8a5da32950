//! The operator's command line: `mire migrate` and `mire admin`.

use crate::common::{Rng, Scratch, TestServer};

#[test]
fn migrate_can_run_twice() {
    let scratch = Scratch::new();
    let first = scratch.mire(&["migrate"]);
    assert!(first.success, "{first}");
    let second = scratch.mire(&["migrate"]);
    assert!(
        second.success,
        "migrating an up-to-date database must succeed:\n{second}"
    );
}

#[test]
fn create_user_refuses_bad_input_and_prints_nothing() {
    let scratch = Scratch::new();
    let migrated = scratch.mire(&["migrate"]);
    assert!(migrated.success, "{migrated}");
    let mut rng = Rng::new();
    let email = format!("cli-{}@example.org", rng.suffix());
    let good_password = "a-long-enough-password";

    let refused: Vec<Vec<&str>> = vec![
        vec![
            "admin",
            "create-user",
            "--email",
            &email,
            "--password",
            good_password,
            "--role",
            "emperor",
        ],
        vec![
            "admin",
            "create-user",
            "--email",
            "not-an-email",
            "--password",
            good_password,
            "--role",
            "worker",
        ],
        vec![
            "admin",
            "create-user",
            "--email",
            &email,
            "--password",
            "short",
            "--role",
            "worker",
        ],
        // Organisation roles need an organisation, and it must exist.
        vec![
            "admin",
            "create-user",
            "--email",
            &email,
            "--password",
            good_password,
            "--role",
            "company",
        ],
        vec![
            "admin",
            "create-user",
            "--email",
            &email,
            "--password",
            good_password,
            "--role",
            "company",
            "--org",
            "999999",
        ],
    ];
    for args in refused {
        let out = scratch.mire(&args);
        assert!(!out.success, "this command should fail:\n{out}");
        assert!(
            out.stdout.trim().is_empty(),
            "a refused command prints no id on stdout:\n{out}"
        );
        assert!(
            !out.stderr.trim().is_empty(),
            "a refused command says why on stderr:\n{out}"
        );
    }
    // None of them created the user: a token cannot be made for it.
    let token = scratch.mire(&["admin", "token", "--email", &email]);
    assert!(!token.success && token.stdout.trim().is_empty(), "{token}");

    let created = scratch.mire(&[
        "admin",
        "create-user",
        "--email",
        &email,
        "--password",
        good_password,
        "--role",
        "coordinator",
    ]);
    assert!(created.success, "{created}");
    assert!(
        created.stdout.trim().parse::<i64>().is_ok(),
        "prints the new id alone:\n{created}"
    );
    let again = scratch.mire(&[
        "admin",
        "create-user",
        "--email",
        &email,
        "--password",
        good_password,
        "--role",
        "coordinator",
    ]);
    assert!(
        !again.success,
        "an e-mail address belongs to one account:\n{again}"
    );
}

#[tokio::test]
async fn admin_tokens_work_on_the_api_and_differ() {
    let server = TestServer::start();
    let coordinator = server.coordinator();
    let second = server.token(&coordinator.email);
    assert_ne!(coordinator.token, second, "every call makes a new token");
    for token in [&coordinator.token, &second] {
        let me = server.api(Some(token)).get("/api/v1/me").await.expect(200);
        assert_eq!(me["id"], coordinator.id);
        assert_eq!(me["email"], coordinator.email.as_str());
        let roles = me["roles"].as_array().expect("roles");
        assert!(
            roles
                .iter()
                .any(|r| r["role"] == "coordinator" && r["alliance_id"].is_i64()),
            "a coordinator is granted in the default alliance: {me}"
        );
    }
}
