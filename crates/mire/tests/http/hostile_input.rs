//! Hostile input against every POST endpoint: hundreds of generated bad requests. Each must be
//! refused with a 4xx and a JSON error carrying a `code` (never a 5xx), and none may change
//! anything: the organisations, requests, members and tokens are the same afterwards.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::{
    organization_body, post_expecting_continue, random_vat, wrong_check_digit, Api, Reply, Rng,
    TestServer, BICOCCA, DUOMO,
};

/// What a refusal must look like.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exactly this status and code.
    Exactly(u16, &'static str),
    /// 422 `invalid`, naming this field.
    Invalid(&'static str),
    /// A data error: a syntax error (400) or a value of the wrong type or shape (422).
    BadData,
    /// Any refusal (4xx) with a JSON code, e.g. for bodies too large to read.
    Refused,
}

struct Case {
    label: String,
    api: Api,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
    expect: Expect,
    /// Send with `Expect: 100-continue` (for bodies the server may refuse unread).
    large: bool,
}

/// The cases of one endpoint, built around a valid body.
struct Endpoint<'a> {
    api: &'a Api,
    path: String,
    valid: Value,
    cases: &'a mut Vec<Case>,
}

impl Endpoint<'_> {
    fn push(
        &mut self,
        label: impl Into<String>,
        content_type: Option<&str>,
        body: Vec<u8>,
        expect: Expect,
    ) {
        self.cases.push(Case {
            large: body.len() > 100_000,
            label: label.into(),
            api: self.api.clone(),
            path: self.path.clone(),
            content_type: content_type.map(str::to_owned),
            body,
            expect,
        });
    }

    fn json(&mut self, label: impl Into<String>, body: &Value, expect: Expect) {
        self.push(
            label,
            Some("application/json"),
            serde_json::to_vec(body).unwrap(),
            expect,
        );
    }

    /// The valid body with `field` set to `value`.
    fn with(&mut self, field: &str, value: Value, expect: Expect) {
        let mut body = self.valid.clone();
        let label = format!("{field} = {}", short(&value.to_string()));
        body[field] = value;
        self.json(label, &body, expect);
    }

    /// The valid body without `field`.
    fn without(&mut self, field: &str, expect: Expect) {
        let mut body = self.valid.clone();
        body.as_object_mut().unwrap().remove(field);
        self.json(format!("{field} missing"), &body, expect);
    }

    /// Values of the wrong JSON type for a field that takes a string.
    fn wrong_types_for_text(&mut self, field: &str, null_is_missing: bool) {
        let mut values = vec![
            json!(12345),
            json!(-1),
            json!(true),
            json!([]),
            json!(["x"]),
            json!({}),
            json!({"$ne": ""}),
            json!(1e308),
        ];
        if !null_is_missing {
            values.push(Value::Null);
        }
        for v in values {
            self.with(field, v, Expect::BadData);
        }
    }

    /// The body every endpoint must refuse whatever its fields: broken JSON, other encodings,
    /// other content types, random bytes.
    fn broken_bodies(&mut self, rng: &mut Rng) {
        let valid = serde_json::to_string(&self.valid).unwrap();
        // Every strict prefix of a JSON object is malformed; a sample of lengths.
        let step = (valid.len() / 25).max(1);
        for cut in (0..valid.len()).step_by(step) {
            if valid.is_char_boundary(cut) {
                self.push(
                    format!("truncated at {cut}"),
                    Some("application/json"),
                    valid.as_bytes()[..cut].to_vec(),
                    Expect::Exactly(400, "bad_request"),
                );
            }
        }
        let malformed: Vec<(&str, Vec<u8>)> = vec![
            ("single quotes", valid.replace('"', "'").into_bytes()),
            (
                "trailing comma",
                format!("{},}}", &valid[..valid.len() - 1]).into_bytes(),
            ),
            ("comment", format!("/* x */{valid}").into_bytes()),
            ("two objects", format!("{valid}{valid}").into_bytes()),
            ("missing value", b"{\"name\": }".to_vec()),
            (
                "NaN literal",
                valid.replacen(':', ":NaN,\"x\":", 1).into_bytes(),
            ),
            ("unclosed string", b"{\"name\": \"abc".to_vec()),
            ("invalid UTF-8", vec![0xff, 0xfe, 0xfd, b'{', b'}']),
            ("invalid UTF-8 in a string", {
                // In the first text field the endpoint reads.
                let at = valid.find(":\"").expect("a text field") + 2;
                let mut b = valid.as_bytes()[..at].to_vec();
                b.extend_from_slice(&[0xc3, 0x28, 0xa0, 0xa1]);
                b.extend_from_slice(&valid.as_bytes()[at..]);
                b
            }),
            (
                "lone surrogate escape",
                valid.replacen(":\"", ":\"\\ud800", 1).into_bytes(),
            ),
            (
                "UTF-16 body",
                valid.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
            ),
            ("NUL bytes", vec![0u8; 64]),
        ];
        for (label, body) in malformed {
            self.push(
                label,
                Some("application/json"),
                body,
                Expect::Exactly(400, "bad_request"),
            );
        }
        // Deeply nested arrays, which a recursive parser must not overflow on, and a number
        // beyond f64 in a field that is not read: refused either as syntax or as shape.
        for (label, body) in [
            ("deep nesting", "[".repeat(100_000)),
            (
                "deep nesting, closed",
                format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)),
            ),
            ("deep objects", "{\"a\":".repeat(50_000)),
            ("unread number out of range", "{\"x\": 1e400}".to_owned()),
        ] {
            self.push(
                label,
                Some("application/json"),
                body.into_bytes(),
                Expect::BadData,
            );
        }
        // Well-formed JSON of the wrong shape.
        for (label, body) in [
            ("null", "null"),
            ("array", "[]"),
            ("string", "\"x\""),
            ("number", "42"),
            ("nested", "{\"data\": {}}"),
        ] {
            self.push(
                format!("JSON {label}"),
                Some("application/json"),
                body.as_bytes().to_vec(),
                Expect::BadData,
            );
        }
        self.push(
            "empty body",
            Some("application/json"),
            Vec::new(),
            Expect::Exactly(400, "bad_request"),
        );
        self.push(
            "a few MB",
            Some("application/json"),
            format!("{{\"name\": \"{}\"}}", "a".repeat(4 << 20)).into_bytes(),
            Expect::Refused,
        );

        // The valid body under another content type: never read as JSON.
        let form: String = self
            .valid
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let unsupported = Expect::Exactly(415, "unsupported_media_type");
        self.push(
            "no content type",
            None,
            valid.clone().into_bytes(),
            unsupported,
        );
        for ct in [
            "text/plain",
            "text/html",
            "application/xml",
            "application/jsonp",
            "text/json",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
        ] {
            self.push(
                format!("content type {ct}"),
                Some(ct),
                valid.clone().into_bytes(),
                unsupported,
            );
        }
        self.push(
            "form body",
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
            unsupported,
        );

        // Random bytes and random printable text.
        for i in 0..20 {
            let n = 1 + rng.below(300) as usize;
            let mut bytes = rng.bytes(n);
            if i % 2 == 0 {
                for b in &mut bytes {
                    *b = b' ' + (*b % 95);
                }
            }
            if bytes.first() == Some(&b'{') {
                bytes[0] = b'x';
            }
            self.push(
                format!("random bytes #{i}"),
                Some("application/json"),
                bytes,
                Expect::BadData,
            );
        }
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        format!(
            "{}… ({} chars)",
            s.chars().take(60).collect::<String>(),
            s.chars().count()
        )
    } else {
        s.to_owned()
    }
}

/// Text values no required field may accept: blank, or far too long.
fn blank_or_huge() -> Vec<Value> {
    vec![
        json!(""),
        json!("   "),
        json!("\t\n\r"),
        json!("a".repeat(10_000)),
        json!("è".repeat(10_000)),
        json!("🍕".repeat(3_000)),
    ]
}

/// Checks one reply against its expectation; returns a description of the problem, if any.
fn judge(case: &Case, reply: &Reply) -> Option<String> {
    if reply.status >= 500 {
        return Some("server error".into());
    }
    if reply.status < 400 {
        return Some("accepted".into());
    }
    let Ok(body) = serde_json::from_slice::<Value>(&reply.body) else {
        return Some("the error is not JSON".into());
    };
    let code = body["code"].as_str().unwrap_or_default();
    if code.is_empty() {
        return Some("the error has no code".into());
    }
    if body["message"].as_str().is_none_or(|m| m.trim().is_empty()) {
        return Some("the error has no message".into());
    }
    let codes_match = matches!(
        (reply.status, code),
        (400, "bad_request")
            | (401, "unauthenticated")
            | (403, "forbidden")
            | (404, "not_found")
            | (415, "unsupported_media_type")
            | (422, "invalid")
    ) || !matches!(reply.status, 400 | 401 | 403 | 404 | 415 | 422);
    if !codes_match {
        return Some(format!("status {} with code {code}", reply.status));
    }
    match case.expect {
        Expect::Exactly(status, want) if reply.status != status || code != want => {
            Some(format!("expected {status} {want}"))
        }
        Expect::Invalid(field) => {
            let named = body["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["field"] == field);
            if reply.status != 422 || !named {
                Some(format!("expected 422 invalid naming {field}"))
            } else {
                None
            }
        }
        Expect::BadData if !matches!(reply.status, 400 | 422) => Some("expected 400 or 422".into()),
        _ => None,
    }
}

async fn run(cases: Vec<Case>) -> usize {
    let total = cases.len();
    let mut problems = Vec::new();
    for case in cases {
        let reply = if case.large {
            let ct = case.content_type.as_deref().unwrap_or("application/json");
            post_expecting_continue(&case.api, &case.path, ct, &case.body)
        } else {
            case.api
                .send(
                    "POST",
                    &case.path,
                    case.content_type.as_deref(),
                    case.body.clone(),
                )
                .await
        };
        if let Some(problem) = judge(&case, &reply) {
            problems.push(format!("[{}] {problem}\n{reply}", case.label));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {total} hostile requests were mishandled; the first ones:\n\n{}",
        problems.len(),
        problems
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    total
}

/// Drops what legitimately changes with every request (when a token was last used).
fn without_volatile(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            map.remove("last_used_at");
            for (_, x) in map.iter_mut() {
                *x = without_volatile(x.take());
            }
        }
        Value::Array(items) => {
            for x in items.iter_mut() {
                *x = without_volatile(x.take());
            }
        }
        _ => {}
    }
    v
}

/// Everything a hostile request could have changed, as the API shows it.
async fn snapshot(coordinator: &Api, users: &[&Api]) -> Value {
    let mut tokens = Vec::new();
    for api in users {
        tokens.push(api.get("/api/v1/me/tokens").await.expect(200));
        tokens.push(api.get("/api/v1/me").await.expect(200));
    }
    let mut orgs = Vec::new();
    for org in coordinator.organizations().await {
        orgs.push(
            coordinator
                .get(&format!("/api/v1/organizations/{}", org["id"]))
                .await
                .expect(200),
        );
    }
    without_volatile(json!({
        "organizations": orgs,
        "requests": coordinator.membership_requests().await,
        "members": coordinator.members("").await,
        "tokens": tokens,
    }))
}

#[tokio::test]
async fn hostile_input_is_refused_and_changes_nothing() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let alice = server.person();
    let bob = server.person();
    let alice_org = alice
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    let bob_org = bob
        .api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await["id"]
        .as_i64()
        .unwrap();
    let bob_request = bob.api.request_membership(bob_org, &["coworking"]).await["id"]
        .as_i64()
        .unwrap();
    let bob_token = bob
        .api
        .post("/api/v1/me/tokens", &json!({"name": "di Bob"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();

    let before = snapshot(&coordinator.api, &[&alice.api, &bob.api]).await;
    let mut cases = Vec::new();

    // POST /api/v1/organizations, as a signed-in person (so the body is what gets judged).
    {
        let mut e = Endpoint {
            api: &alice.api,
            path: "/api/v1/organizations".into(),
            valid: organization_body(&mut rng, "company", DUOMO),
            cases: &mut cases,
        };
        for v in blank_or_huge() {
            e.with("name", v.clone(), Expect::Invalid("name"));
            e.with("address", v, Expect::Invalid("address"));
        }
        e.with("name", json!("n".repeat(201)), Expect::Invalid("name"));
        e.with(
            "sector",
            json!("s".repeat(10_000)),
            Expect::Invalid("sector"),
        );
        e.with("sector", json!("s".repeat(121)), Expect::Invalid("sector"));
        e.with(
            "address",
            json!("a".repeat(301)),
            Expect::Invalid("address"),
        );
        for kind in [
            "",
            "Company",
            "COMPANY",
            "compan",
            "public body",
            "company; DROP TABLE organizations",
            "<b>company</b>",
            "company\u{0}",
            "k".repeat(10_000).as_str(),
        ] {
            e.with("kind", json!(kind), Expect::Invalid("kind"));
        }
        let vat = random_vat(&mut rng);
        let mut tax_codes = vec![
            "".to_owned(),
            "   ".to_owned(),
            wrong_check_digit(&vat),
            format!("IT{}", wrong_check_digit(&vat)),
            vat[..10].to_owned(),
            format!("{vat}0"),
            format!("{} {}", &vat[..5], &vat[5..]),
            "ABCDEFGHIJK".to_owned(),
            "RSSMRA85T10A562T".to_owned(),
            "RSSMRA85T10A56".to_owned(),
            "'; DROP TABLE organizations; --".to_owned(),
            "' OR '1'='1".to_owned(),
            "<script>alert(1)</script>".to_owned(),
            "１２３４５６７８９０３".to_owned(),
            "1".repeat(10_000),
        ];
        for _ in 0..10 {
            tax_codes.push(wrong_check_digit(&random_vat(&mut rng)));
        }
        for code in tax_codes {
            e.with("tax_code", json!(code), Expect::Invalid("tax_code"));
        }
        for size in ["", "huge", "MICRO", "<script>", "s".repeat(10_000).as_str()] {
            e.with("size_class", json!(size), Expect::Invalid("size_class"));
        }
        e.without("size_class", Expect::Invalid("size_class"));
        for (lat, lon) in [
            (91.0, 9.19),
            (-91.0, 9.19),
            (45.46, 181.0),
            (45.46, -181.0),
            (0.0, 0.0),
            (1e308, 9.19),
            (-1e308, 9.19),
            (45.4642, 1e308),
            (45.5845, 9.2744),
            (41.9, 12.5),
        ] {
            let mut body = e.valid.clone();
            body["lat"] = json!(lat);
            body["lon"] = json!(lon);
            e.json(
                format!("lat {lat}, lon {lon}"),
                &body,
                Expect::Invalid("lat"),
            );
        }
        e.with("lat", Value::Null, Expect::Invalid("lat"));
        e.without("lat", Expect::Invalid("lat"));
        for field in ["name", "kind", "tax_code", "address"] {
            e.without(field, Expect::BadData);
            e.wrong_types_for_text(field, false);
        }
        e.wrong_types_for_text("size_class", false);
        e.wrong_types_for_text("sector", true);
        for field in ["lat", "lon"] {
            for v in [
                json!("abc"),
                json!(true),
                json!([]),
                json!({}),
                json!([45.46, 9.19]),
                json!("45.46; DROP TABLE x"),
            ] {
                e.with(field, v, Expect::BadData);
            }
        }
        for raw in ["1e400", "-1e400", "123456789012345678901234567890e300"] {
            let body = serde_json::to_string(&e.valid).unwrap();
            let lat = format!("{}", e.valid["lat"]);
            let body = body.replacen(&lat, raw, 1);
            e.push(
                format!("lat {raw}"),
                Some("application/json"),
                body.into_bytes(),
                Expect::Exactly(400, "bad_request"),
            );
        }
        e.broken_bodies(&mut rng);
    }

    // POST /api/v1/alliance/membership-requests, as Alice (her organisation has no request yet).
    {
        let valid = json!({"organization_id": alice_org, "message": "Vorremmo aderire", "action_lines": ["coworking"]});
        let mut e = Endpoint {
            api: &alice.api,
            path: "/api/v1/alliance/membership-requests".into(),
            valid,
            cases: &mut cases,
        };
        e.with(
            "organization_id",
            json!(bob_org),
            Expect::Exactly(403, "forbidden"),
        );
        for unknown in [
            json!(alice_org + 1_000_000),
            json!(0),
            json!(-1),
            json!(-alice_org),
            json!(i64::MAX),
            json!(i64::MIN),
        ] {
            e.with("organization_id", unknown, Expect::Refused);
        }
        for v in [
            json!("abc"),
            json!(null),
            json!(true),
            json!([]),
            json!({}),
            json!(1.5),
            json!(1e308),
            json!([alice_org]),
            json!(format!("{alice_org} OR 1=1")),
        ] {
            e.with("organization_id", v, Expect::BadData);
        }
        let huge_id = serde_json::to_string(&e.valid).unwrap().replacen(
            &alice_org.to_string(),
            "9223372036854775808",
            1,
        );
        e.push(
            "organization_id beyond i64",
            Some("application/json"),
            huge_id.into_bytes(),
            Expect::BadData,
        );
        let huger = serde_json::to_string(&e.valid).unwrap().replacen(
            &alice_org.to_string(),
            &"9".repeat(400),
            1,
        );
        e.push(
            "organization_id of 400 digits",
            Some("application/json"),
            huger.into_bytes(),
            Expect::BadData,
        );
        e.without("organization_id", Expect::BadData);
        e.with(
            "message",
            json!("m".repeat(10_000)),
            Expect::Invalid("message"),
        );
        for v in [json!(123), json!([]), json!({}), json!(true)] {
            e.with("message", v, Expect::BadData);
        }
        e.with(
            "message",
            json!("Vorremmo\u{0}aderire"),
            Expect::Invalid("message"),
        );
        for lines in [
            json!(["nessuna"]),
            json!(["<script>"]),
            json!(["coworking'; DROP TABLE membership_requests; --"]),
            json!(["COWORKING"]),
            json!(["coworking", "inventata"]),
            json!(vec!["x"; 10_000]),
        ] {
            e.with("action_lines", lines, Expect::Invalid("action_lines"));
        }
        for v in [
            json!("coworking"),
            json!([1, 2]),
            json!([null]),
            json!([["coworking"]]),
            json!({"coworking": true}),
            json!(7),
        ] {
            e.with("action_lines", v, Expect::BadData);
        }
        e.broken_bodies(&mut rng);
    }

    // Decisions on Bob's pending request, as a coordinator.
    let decision_paths = |what: &str| -> Vec<(String, Expect)> {
        let mut paths = vec![
            (
                format!(
                    "/api/v1/alliance/membership-requests/{}/{what}",
                    bob_request + 1_000_000
                ),
                Expect::Exactly(404, "not_found"),
            ),
            (
                format!("/api/v1/alliance/membership-requests/{}/{what}", i64::MAX),
                Expect::Exactly(404, "not_found"),
            ),
        ];
        for weird in [
            "0",
            "-1",
            "abc",
            "1.5",
            "9223372036854775808",
            "99999999999999999999999999",
            "%00",
            "%27%20OR%201%3D1",
            "1%3BDROP%20TABLE%20x",
            "%3Cscript%3E",
            "1e3",
            "%20",
        ] {
            paths.push((
                format!("/api/v1/alliance/membership-requests/{weird}/{what}"),
                Expect::Refused,
            ));
        }
        paths
    };
    {
        let valid = json!({"role": "partner"});
        let mut e = Endpoint {
            api: &coordinator.api,
            path: format!("/api/v1/alliance/membership-requests/{bob_request}/approve"),
            valid,
            cases: &mut cases,
        };
        for role in [
            "",
            "  ",
            "admin",
            "coordinator",
            "LEAD_PARTNER",
            "lead partner",
            "<script>",
            "partner'; --",
            "r".repeat(10_000).as_str(),
        ] {
            e.with("role", json!(role), Expect::Invalid("role"));
        }
        e.wrong_types_for_text("role", false);
        e.without("role", Expect::BadData);
        e.broken_bodies(&mut rng);
        for (path, expect) in decision_paths("approve") {
            e.path = path.clone();
            e.json(
                format!("approve at {path}"),
                &json!({"role": "partner"}),
                expect,
            );
        }
    }
    {
        let valid = json!({"reason": "Fuori territorio"});
        let mut e = Endpoint {
            api: &coordinator.api,
            path: format!("/api/v1/alliance/membership-requests/{bob_request}/reject"),
            valid,
            cases: &mut cases,
        };
        for v in blank_or_huge() {
            e.with("reason", v, Expect::Invalid("reason"));
        }
        e.with(
            "reason",
            json!("Fuori\u{0}territorio"),
            Expect::Invalid("reason"),
        );
        e.wrong_types_for_text("reason", false);
        e.without("reason", Expect::BadData);
        e.broken_bodies(&mut rng);
        for (path, expect) in decision_paths("reject") {
            e.path = path.clone();
            e.json(format!("reject at {path}"), &json!({"reason": "x"}), expect);
        }
    }
    // Other people's records: Alice deciding on Bob's request, or on it through her own token.
    {
        let mut e = Endpoint {
            api: &alice.api,
            path: format!("/api/v1/alliance/membership-requests/{bob_request}/approve"),
            valid: json!({"role": "lead_partner"}),
            cases: &mut cases,
        };
        e.json(
            "a representative approving",
            &json!({"role": "lead_partner"}),
            Expect::Exactly(403, "forbidden"),
        );
        e.path = format!("/api/v1/alliance/membership-requests/{bob_request}/reject");
        e.json(
            "a representative rejecting",
            &json!({"reason": "concorrenza"}),
            Expect::Exactly(403, "forbidden"),
        );
    }

    // POST /api/v1/me/tokens, as Alice.
    {
        let mut e = Endpoint {
            api: &alice.api,
            path: "/api/v1/me/tokens".into(),
            valid: json!({"name": "script"}),
            cases: &mut cases,
        };
        for v in blank_or_huge() {
            e.with("name", v, Expect::Invalid("name"));
        }
        e.with("name", json!("script\u{0}"), Expect::Invalid("name"));
        e.wrong_types_for_text("name", false);
        e.without("name", Expect::BadData);
        e.broken_bodies(&mut rng);
    }

    // Every endpoint without a valid token.
    let anonymous = server.api(None);
    let forged = server.api(Some("mire_0000000000000000000000000000000000000000"));
    let bodies = [
        (
            "/api/v1/organizations".to_owned(),
            organization_body(&mut rng, "company", DUOMO),
        ),
        (
            "/api/v1/alliance/membership-requests".to_owned(),
            json!({"organization_id": bob_org, "message": "x", "action_lines": ["coworking"]}),
        ),
        (
            format!("/api/v1/alliance/membership-requests/{bob_request}/approve"),
            json!({"role": "member"}),
        ),
        (
            format!("/api/v1/alliance/membership-requests/{bob_request}/reject"),
            json!({"reason": "x"}),
        ),
        ("/api/v1/me/tokens".to_owned(), json!({"name": "x"})),
    ];
    for api in [&anonymous, &forged] {
        for (path, body) in &bodies {
            cases.push(Case {
                label: format!("no valid token on {path}"),
                api: api.clone(),
                path: path.clone(),
                content_type: Some("application/json".into()),
                body: serde_json::to_vec(body).unwrap(),
                expect: Expect::Exactly(401, "unauthenticated"),
                large: false,
            });
        }
    }

    let total = run(cases).await;
    assert!(total >= 300, "only {total} hostile requests were generated");
    eprintln!("{total} hostile requests refused");

    // Refused deletions of other people's tokens, with hostile ids.
    for id in [
        bob_token.to_string(),
        "-1".into(),
        "0".into(),
        "abc".into(),
        "9223372036854775808".into(),
        "%27".into(),
    ] {
        let reply = alice.api.delete(&format!("/api/v1/me/tokens/{id}")).await;
        assert!(matches!(reply.status, 400 | 403 | 404), "{reply}");
        assert!(reply.json()["code"].is_string(), "{reply}");
    }

    let after = snapshot(&coordinator.api, &[&alice.api, &bob.api]).await;
    assert_eq!(before, after, "hostile requests changed the data");
    let still = after["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == bob_request)
        .cloned()
        .unwrap();
    assert_eq!(still["status"], "pending");
}

#[tokio::test]
async fn hostile_filters_and_ids_on_reads_are_refused_cleanly() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let alice = server.person();
    let org = alice
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    let request = alice.api.request_membership(org, &["coworking"]).await["id"]
        .as_i64()
        .unwrap();
    coordinator
        .api
        .post(
            &format!("/api/v1/alliance/membership-requests/{request}/approve"),
            &json!({"role": "member"}),
        )
        .await
        .expect(200);

    // An organisation that asked and waits: no filter may bring it into the directory.
    let waiting = server.person();
    let pending = waiting
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    waiting
        .api
        .request_membership(pending, &["coworking"])
        .await;
    let members: BTreeSet<i64> = ids(&alice.api.members("").await);
    assert!(members.contains(&org) && !members.contains(&pending));

    let queries = [
        "kind=<script>",
        "kind=company'--",
        "kind=company%27%20OR%20%271%27%3D%271",
        "kind=company%27%29%20OR%20%28%271%27%3D%271",
        "municipio=abc",
        "municipio=-1",
        "municipio=99999999999999999999",
        "municipio=1e3",
        "municipio=1%20OR%201%3D1",
        "action_line=%00",
        "kind=%00",
        "kind=company%00",
        "alliance=%00",
        "action_line=%1B%5B31m",
        "action_line='; DROP TABLE alliance_members; --",
        "action_line=coworking%27%20OR%20%271%27%3D%271",
        "municipio=%F0%28%8C%BC",
        "kind=&municipio=&action_line=",
        "kind=company&kind=other",
        "alliance=%27%20OR%201%3D1",
        "alliance=nessuna",
        "unknown=1",
    ];
    let mut problems = Vec::new();
    for q in queries {
        let reply = alice
            .api
            .get(&format!("/api/v1/alliance/members?{q}"))
            .await;
        let Ok(body) = serde_json::from_slice::<Value>(&reply.body) else {
            problems.push(format!("not JSON:\n{reply}"));
            continue;
        };
        if reply.status >= 500 || (reply.status >= 400 && !body["code"].is_string()) {
            problems.push(format!("not a clean answer:\n{reply}"));
        } else if reply.status == 200 {
            let shown = ids(body["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default());
            if !shown.is_subset(&members) {
                problems.push(format!(
                    "a filter showed organisations that are not members:\n{reply}"
                ));
            }
        }
    }
    // The directory page takes the same filters.
    for q in queries {
        let reply = server.web().get(&format!("/membri?{q}")).await;
        if reply.status >= 500 {
            problems.push(format!("the directory page failed:\n{reply}"));
        }
    }
    for id in [
        "0".to_owned(),
        "-1".to_owned(),
        "abc".to_owned(),
        "1.5".to_owned(),
        "9223372036854775808".to_owned(),
        "%27%20OR%201%3D1".to_owned(),
        "%00".to_owned(),
        "1e3".to_owned(),
        format!("{org}%20OR%201%3D1"),
        format!("{org};DROP%20TABLE%20organizations"),
    ] {
        let reply = alice.api.get(&format!("/api/v1/organizations/{id}")).await;
        let clean = matches!(reply.status, 400 | 404)
            && serde_json::from_slice::<Value>(&reply.body).is_ok_and(|v| v["code"].is_string());
        if !clean {
            problems.push(format!("expected a JSON 400 or 404:\n{reply}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    assert_eq!(
        ids(&alice.api.members("").await),
        members,
        "the directory is unchanged"
    );
}

fn ids(items: &[Value]) -> BTreeSet<i64> {
    items
        .iter()
        .filter_map(|m| m["organization_id"].as_i64())
        .collect()
}

#[tokio::test]
async fn hostile_form_input_never_breaks_the_pages() {
    let server = TestServer::start();
    let long = "x".repeat(10_000);
    let values = [
        "",
        "   ",
        long.as_str(),
        "<script>alert(1)</script>",
        "' OR '1'='1' --",
        "\u{0}",
        "a@",
        "@b.it",
        "a@b",
        "a b@c.it",
        "è@città.it",
        "\u{202e}moc.elpmaxe@a",
    ];
    let mut problems = Vec::new();
    for v in values {
        for (path, fields) in [
            (
                "/registrati",
                vec![("display_name", v), ("email", v), ("password", v)],
            ),
            (
                "/registrati",
                vec![
                    ("display_name", "Nome"),
                    ("email", v),
                    ("password", "una-password-lunga"),
                ],
            ),
            ("/accedi", vec![("email", v), ("password", v)]),
        ] {
            // A new browser each time, so that a sign-up that succeeds does not change the next.
            let web = server.web();
            let csrf = web.csrf(path).await;
            let mut fields = fields.clone();
            fields.push(("csrf", &csrf));
            let reply = web.post_form(path, &fields).await;
            if reply.status >= 500 {
                problems.push(reply.to_string());
            }
            if reply.status == 200 && reply.text().contains("<script>alert(1)</script>") {
                problems.push(format!("the page echoes markup unescaped:\n{reply}"));
            }
        }
    }
    // Broken bodies and other content types.
    for (ct, body) in [
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80],
        ),
        (
            "application/x-www-form-urlencoded",
            b"%%%%=%zz&email".to_vec(),
        ),
        ("application/json", b"{\"email\": \"a@b.it\"}".to_vec()),
        ("text/plain", b"email=a@b.it".to_vec()),
        (
            "multipart/form-data; boundary=zzz",
            b"--zzz\r\nbroken".to_vec(),
        ),
    ] {
        for path in ["/accedi", "/registrati", "/esci"] {
            let api = Api::new(&server.url, None);
            let reply = api.send("POST", path, Some(ct), body.clone()).await;
            if reply.status >= 500 || reply.status < 400 {
                problems.push(reply.to_string());
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The page forms of a signed-in person, with hostile values and other people's ids: no
/// 5xx, and nothing changes.
#[tokio::test]
async fn hostile_page_forms_change_nothing() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let alice = server.person();
    let bob = server.person();
    let alice_org = alice
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await["id"]
        .as_i64()
        .unwrap();
    let bob_org = bob
        .api
        .create_organization(&organization_body(&mut rng, "company", BICOCCA))
        .await["id"]
        .as_i64()
        .unwrap();
    let bob_request = bob.api.request_membership(bob_org, &["coworking"]).await["id"]
        .as_i64()
        .unwrap();
    let bob_token = bob
        .api
        .post("/api/v1/me/tokens", &json!({"name": "di Bob"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();

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
    assert!((300..400).contains(&login.status), "{login}");
    let csrf = web.cookie("mire_csrf").expect("csrf cookie");

    let before = snapshot(&coordinator.api, &[&alice.api, &bob.api]).await;

    let long = "x".repeat(10_000);
    // (Forms drop NUL characters, so a lone NUL is an empty value.)
    let hostile_text = [
        "",
        "   ",
        long.as_str(),
        "\u{0}",
        "\u{0}\u{0} ",
        "\u{1b}[31m",
        "a\u{7}b",
    ];
    let vat = random_vat(&mut rng);
    let wrong_vat = wrong_check_digit(&vat);
    let org_form = |field: &'static str, value: &str| -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = [
            ("name", "Bottega Prova"),
            ("kind", "company"),
            ("tax_code", vat.as_str()),
            ("size_class", "small"),
            ("sector", "Servizi"),
            ("address", "Piazza del Duomo, Milano"),
            ("lat", "45.4642"),
            ("lon", "9.19"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in f.iter_mut() {
            if k == field {
                *v = value.to_owned();
            }
        }
        f
    };
    let mut posts: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for v in hostile_text {
        posts.push(("/organizzazioni/nuova".into(), org_form("name", v)));
        posts.push(("/organizzazioni/nuova".into(), org_form("address", v)));
        posts.push(("/organizzazioni/nuova".into(), org_form("kind", v)));
        posts.push(("/organizzazioni/nuova".into(), org_form("tax_code", v)));
    }
    for v in [
        wrong_vat.as_str(),
        "'; DROP TABLE organizations; --",
        "RSSMRA85T10A562T",
    ] {
        posts.push(("/organizzazioni/nuova".into(), org_form("tax_code", v)));
    }
    // (A decimal comma, "45,46", is a valid way to type a number here.)
    for v in [
        "abc", "NaN", "inf", "-inf", "1e400", "91", "45.5845", "", "45..46", "4 5",
    ] {
        let mut f = org_form("lat", v);
        if v == "45.5845" {
            // Monza: valid coordinates, outside Milan.
            f.retain(|(k, _)| k != "lon");
            f.push(("lon".into(), "9.2744".into()));
        }
        posts.push(("/organizzazioni/nuova".into(), f));
    }
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, x)| (k.to_string(), x.to_string()))
            .collect()
    };
    // Other people's records.
    posts.push((
        format!("/organizzazioni/{bob_org}/adesione"),
        pairs(&[
            ("message", "per conto di Bob"),
            ("action_lines", "coworking"),
        ]),
    ));
    posts.push((
        format!("/coordinamento/richieste/{bob_request}/approva"),
        pairs(&[("role", "lead_partner")]),
    ));
    posts.push((
        format!("/coordinamento/richieste/{bob_request}/rifiuta"),
        pairs(&[("reason", "concorrenza")]),
    ));
    posts.push((format!("/profilo/token/{bob_token}/revoca"), Vec::new()));
    for id in ["-1", "0", "abc", "99999999999999999999", "%00"] {
        posts.push((format!("/profilo/token/{id}/revoca"), Vec::new()));
        posts.push((
            format!("/organizzazioni/{id}/adesione"),
            pairs(&[("message", "x")]),
        ));
        posts.push((
            format!("/coordinamento/richieste/{id}/approva"),
            pairs(&[("role", "member")]),
        ));
    }
    // Alice's own organisation, with hostile values. (Unknown action-line values from a
    // tampered form are ignored by the page, as a form's unknown checkboxes may be; the API
    // refuses them, see above.)
    posts.push((
        format!("/organizzazioni/{alice_org}/adesione"),
        pairs(&[("message", &long), ("action_lines", "coworking")]),
    ));
    for v in hostile_text {
        posts.push((
            "/profilo".into(),
            pairs(&[("display_name", v), ("locale", "it")]),
        ));
        posts.push(("/profilo/token".into(), pairs(&[("name", v)])));
        posts.push(("/password-dimenticata".into(), pairs(&[("email", v)])));
        posts.push((
            "/reimposta-password".into(),
            pairs(&[("token", v), ("password", "una-password-nuova-1")]),
        ));
        posts.push(("/profilo/elimina".into(), pairs(&[("password", v)])));
    }
    posts.push((
        "/profilo".into(),
        pairs(&[("display_name", "Alice"), ("locale", "xx")]),
    ));
    posts.push((
        "/reimposta-password".into(),
        pairs(&[
            ("token", "' OR '1'='1"),
            ("password", "una-password-nuova-1"),
        ]),
    ));

    let mut problems = Vec::new();
    let total = posts.len();
    for (path, mut fields) in posts {
        fields.push(("csrf".into(), csrf.clone()));
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let reply = web.post_form(&path, &refs).await;
        if reply.status >= 500 {
            problems.push(format!("server error:\n{reply}"));
        } else if (300..400).contains(&reply.status) {
            problems.push(format!("a hostile form was accepted:\n{reply}"));
        }
    }
    // Hostile links.
    for path in [
        "/conferma-email?token=%00",
        "/conferma-email?token=%27%20OR%201%3D1",
        "/reimposta-password?token=%00",
        "/lingua/%00",
        "/lingua/xx",
        "/organizzazioni/%00/adesione",
        "/membri?municipio=%00&kind=%00",
        "/coordinamento/richieste",
    ] {
        let reply = web.get(path).await;
        if reply.status >= 500 {
            problems.push(format!("server error:\n{reply}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {total} forms mishandled:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );

    let after = snapshot(&coordinator.api, &[&alice.api, &bob.api]).await;
    assert_eq!(before, after, "hostile forms changed the data");
    // Alice is still signed in and still herself.
    let me = alice.api.get("/api/v1/me").await.expect(200);
    assert_eq!(me["email"], alice.email.as_str());
}

/// Redirects after login or a language switch stay on this site.
#[tokio::test]
async fn no_open_redirects() {
    let server = TestServer::start();
    let alice = server.person();
    let targets = [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
    ];
    let stays_here = |reply: &Reply| -> bool {
        match reply.header("location") {
            None => true,
            Some(l) => l.starts_with('/') && !l.starts_with("//") && !l.starts_with("/\\"),
        }
    };
    let mut problems = Vec::new();
    for target in targets {
        let reply = server
            .web()
            .get(&format!(
                "/lingua/en?next={}",
                crate::common::form_encode(&[("", target)]).trim_start_matches('=')
            ))
            .await;
        if reply.status >= 500 || !stays_here(&reply) {
            problems.push(reply.to_string());
        }
        let web = server.web();
        let csrf = web.csrf("/accedi").await;
        let login = web
            .post_form(
                "/accedi",
                &[
                    ("email", &alice.email),
                    ("password", &alice.password),
                    ("next", target),
                    ("csrf", &csrf),
                ],
            )
            .await;
        if !(300..400).contains(&login.status) || !stays_here(&login) {
            problems.push(login.to_string());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
