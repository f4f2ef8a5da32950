//! The membership journey over the API, with tokens made by `mire admin`: an organisation is
//! registered, asks to join the alliance, a coordinator decides, the directory shows members.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::{
    organization_body, outbox_messages_to, random_personal_code, Rng, TestServer, BAGGIO, BICOCCA,
    CITTA_STUDI, CORVETTO, DUOMO, OUTSIDE_MILAN, PLACES,
};

fn id(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no integer id in {v}"))
}

fn ids(items: &[Value], key: &str) -> BTreeSet<i64> {
    items.iter().filter_map(|i| i[key].as_i64()).collect()
}

#[tokio::test]
async fn an_organisation_joins_the_alliance() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let rep = server.person();

    // Registering the organisation; Municipio and NIL come from the coordinates.
    let body = organization_body(&mut rng, "company", DUOMO);
    let org = rep.api.create_organization(&body).await;
    let org_id = id(&org);
    assert_eq!(org["name"], body["name"]);
    assert_eq!(org["kind"], "company");
    assert_eq!(org["municipio"], DUOMO.municipio, "{org}");
    assert_eq!(org["nil_id"], DUOMO.nil_id, "{org}");

    // The creator represents it.
    let me = rep.api.get("/api/v1/me").await.expect(200);
    assert_eq!(me["id"], rep.id);
    assert!(
        me["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .any(|r| r["organization_id"] == org_id),
        "the creator holds a role in the new organisation: {me}"
    );
    let own = rep
        .api
        .get(&format!("/api/v1/organizations/{org_id}"))
        .await
        .expect(200);
    assert_eq!(own["tax_code"], body["tax_code"], "{own}");
    assert_eq!(own["address"], body["address"], "{own}");
    let people = own["people"]
        .as_array()
        .unwrap_or_else(|| panic!("members see the people: {own}"));
    assert!(
        people.iter().any(|p| p.to_string().contains(&rep.email)),
        "the representative is listed: {own}"
    );

    // Asking to join.
    let request = rep
        .api
        .request_membership(org_id, &["coworking", "welfare"])
        .await;
    let request_id = id(&request);
    assert_eq!(request["status"], "pending", "{request}");
    assert_eq!(request["organization_id"], org_id, "{request}");
    assert!(ids(&rep.api.membership_requests().await, "id").contains(&request_id));
    assert!(ids(&coordinator.api.membership_requests().await, "id").contains(&request_id));
    assert!(
        !ids(&rep.api.members("").await, "organization_id").contains(&org_id),
        "not a member before approval"
    );

    // The coordinator approves.
    let approved = coordinator
        .api
        .post(
            &format!("/api/v1/alliance/membership-requests/{request_id}/approve"),
            &json!({"role": "partner"}),
        )
        .await
        .expect(200);
    assert_eq!(approved["id"], request_id);
    assert_eq!(approved["status"], "approved", "{approved}");

    let members = rep.api.members("").await;
    let member = members
        .iter()
        .find(|m| m["organization_id"] == org_id)
        .unwrap_or_else(|| panic!("the approved organisation is listed: {members:?}"));
    assert_eq!(member["name"], body["name"]);
    assert_eq!(member["kind"], "company");
    assert_eq!(member["role"], "partner");
    assert_eq!(member["municipio"], DUOMO.municipio);
    assert_eq!(member["nil_id"], DUOMO.nil_id);

    // The requester sees the outcome, and is told by e-mail.
    assert_eq!(
        outbox_messages_to(&server, &rep.email).len(),
        1,
        "one e-mail about the decision to the representative"
    );
    let mine = rep.api.membership_requests().await;
    let seen = mine
        .iter()
        .find(|r| r["id"] == request_id)
        .expect("own request listed");
    assert_eq!(seen["status"], "approved", "{seen}");

    // A decision is final.
    let path = format!("/api/v1/alliance/membership-requests/{request_id}");
    coordinator
        .api
        .post(&format!("{path}/approve"), &json!({"role": "member"}))
        .await
        .expect_error(409, "not_pending");
    coordinator
        .api
        .post(
            &format!("{path}/reject"),
            &json!({"reason": "ripensamento"}),
        )
        .await
        .expect_error(409, "not_pending");
    let members = rep.api.members("").await;
    let member = members
        .iter()
        .find(|m| m["organization_id"] == org_id)
        .expect("still a member");
    assert_eq!(
        member["role"], "partner",
        "a refused second decision changes nothing"
    );

    // A member cannot ask again.
    let again =
        json!({"organization_id": org_id, "message": "di nuovo", "action_lines": ["coworking"]});
    rep.api
        .post("/api/v1/alliance/membership-requests", &again)
        .await
        .expect_error(409, "already_member");
}

#[tokio::test]
async fn a_rejection_keeps_its_reason_and_the_directory_unchanged() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let rep = server.person();
    let org_id = id(&rep
        .api
        .create_organization(&organization_body(&mut rng, "association", BAGGIO))
        .await);
    let request_id = id(&rep.api.request_membership(org_id, &["smart-working"]).await);
    let path = format!("/api/v1/alliance/membership-requests/{request_id}");

    // A reason is required.
    coordinator
        .api
        .post(&format!("{path}/reject"), &json!({}))
        .await
        .expect_invalid("reason");
    coordinator
        .api
        .post(&format!("{path}/reject"), &json!({"reason": "   "}))
        .await
        .expect_invalid("reason");

    let reason = "Sede fuori dal territorio dell'alleanza";
    let rejected = coordinator
        .api
        .post(&format!("{path}/reject"), &json!({"reason": reason}))
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    assert_eq!(rejected["reason"], reason, "{rejected}");
    let mails = outbox_messages_to(&server, &rep.email);
    assert_eq!(mails.len(), 1, "one e-mail about the decision: {mails:?}");

    let mine = rep.api.membership_requests().await;
    let seen = mine
        .iter()
        .find(|r| r["id"] == request_id)
        .expect("own request listed");
    assert_eq!(seen["status"], "rejected");
    assert_eq!(
        seen["reason"], reason,
        "the requester reads the reason: {seen}"
    );
    assert!(!ids(&rep.api.members("").await, "organization_id").contains(&org_id));

    coordinator
        .api
        .post(&format!("{path}/reject"), &json!({"reason": "ancora"}))
        .await
        .expect_error(409, "not_pending");
    coordinator
        .api
        .post(&format!("{path}/approve"), &json!({"role": "member"}))
        .await
        .expect_error(409, "not_pending");
    assert!(!ids(&rep.api.members("").await, "organization_id").contains(&org_id));
}

#[tokio::test]
async fn one_pending_request_per_organisation() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    let rep = server.person();
    let org_id = id(&rep
        .api
        .create_organization(&organization_body(&mut rng, "cooperative", CORVETTO))
        .await);
    rep.api.request_membership(org_id, &["welfare"]).await;
    let again =
        json!({"organization_id": org_id, "message": "sollecito", "action_lines": ["welfare"]});
    rep.api
        .post("/api/v1/alliance/membership-requests", &again)
        .await
        .expect_error(409, "already_pending");
    let pending: Vec<Value> = coordinator
        .api
        .membership_requests()
        .await
        .into_iter()
        .filter(|r| r["organization_id"] == org_id)
        .collect();
    assert_eq!(pending.len(), 1, "{pending:?}");
}

#[tokio::test]
async fn the_directory_filters_by_kind_municipio_and_action_line() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let coordinator = server.coordinator();
    // (kind, place, action lines, role)
    let plan = [
        ("company", DUOMO, vec!["smart-working"], "member"),
        (
            "coworking_operator",
            BICOCCA,
            vec!["coworking", "smart-working"],
            "lead_partner",
        ),
        ("welfare_provider", CITTA_STUDI, vec!["welfare"], "partner"),
    ];
    let mut orgs = Vec::new();
    for (kind, place, lines, role) in &plan {
        let rep = server.person();
        let org_id = id(&rep
            .api
            .create_organization(&organization_body(&mut rng, kind, *place))
            .await);
        let request_id = id(&rep.api.request_membership(org_id, lines).await);
        coordinator
            .api
            .post(
                &format!("/api/v1/alliance/membership-requests/{request_id}/approve"),
                &json!({"role": role}),
            )
            .await
            .expect(200);
        orgs.push(org_id);
    }
    // An organisation that asked but was not approved stays out of every view.
    let waiting = server.person();
    let waiting_org = id(&waiting
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await);
    waiting
        .api
        .request_membership(waiting_org, &["smart-working"])
        .await;

    let ours = |items: Vec<Value>| -> BTreeSet<i64> {
        ids(&items, "organization_id")
            .into_iter()
            .filter(|i| orgs.contains(i) || *i == waiting_org)
            .collect()
    };
    let set = |v: &[usize]| -> BTreeSet<i64> { v.iter().map(|&i| orgs[i]).collect() };
    let api = &coordinator.api;
    assert_eq!(ours(api.members("").await), set(&[0, 1, 2]));
    assert_eq!(ours(api.members("?kind=company").await), set(&[0]));
    assert_eq!(
        ours(api.members("?kind=coworking_operator").await),
        set(&[1])
    );
    assert_eq!(ours(api.members("?kind=public_body").await), set(&[]));
    assert_eq!(
        ours(
            api.members(&format!("?municipio={}", BICOCCA.municipio))
                .await
        ),
        set(&[1])
    );
    assert_eq!(
        ours(
            api.members(&format!("?municipio={}", DUOMO.municipio))
                .await
        ),
        set(&[0])
    );
    assert_eq!(
        ours(api.members("?action_line=smart-working").await),
        set(&[0, 1])
    );
    assert_eq!(ours(api.members("?action_line=coworking").await), set(&[1]));
    assert_eq!(ours(api.members("?action_line=welfare").await), set(&[2]));
    assert_eq!(
        ours(
            api.members(&format!("?kind=company&municipio={}", BICOCCA.municipio))
                .await
        ),
        set(&[]),
        "filters combine"
    );
    let all = api.members("").await;
    for (i, (_, place, _, role)) in plan.iter().enumerate() {
        let m = all
            .iter()
            .find(|m| m["organization_id"] == orgs[i])
            .expect("listed");
        assert_eq!(m["role"], *role, "{m}");
        assert_eq!(m["municipio"], place.municipio, "{m}");
        assert_eq!(m["nil_id"], place.nil_id, "{m}");
    }
}

#[tokio::test]
async fn municipio_and_nil_come_from_the_coordinates() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let rep = server.person();
    for place in PLACES {
        let org = rep
            .api
            .create_organization(&organization_body(&mut rng, "other", place))
            .await;
        assert_eq!(org["municipio"], place.municipio, "{}: {org}", place.name);
        assert_eq!(org["nil_id"], place.nil_id, "{}: {org}", place.name);
        let public = rep
            .api
            .get(&format!("/api/v1/organizations/{}", id(&org)))
            .await
            .expect(200);
        assert_eq!(public["municipio"], place.municipio);
        assert_eq!(public["nil_id"], place.nil_id);
    }
    let before = rep.api.organizations().await.len();
    for (name, lat, lon) in OUTSIDE_MILAN {
        let mut body = organization_body(&mut rng, "company", DUOMO);
        body["lat"] = json!(lat);
        body["lon"] = json!(lon);
        let reply = rep.api.post("/api/v1/organizations", &body).await;
        assert_eq!(reply.status, 422, "{name} is outside Milan:\n{reply}");
        reply.expect_invalid("lat");
    }
    assert_eq!(
        rep.api.organizations().await.len(),
        before,
        "refused organisations are not stored"
    );
}

#[tokio::test]
async fn tax_codes_are_checked_and_unique() {
    let server = TestServer::start();
    let mut rng = Rng::new();
    let first = server.person();
    let second = server.person();

    // A sole trader's codice fiscale is accepted; size class is only required of companies.
    let mut sole = organization_body(&mut rng, "other", CORVETTO);
    sole["tax_code"] = json!(random_personal_code(&mut rng));
    sole.as_object_mut().unwrap().remove("size_class");
    let created = first.api.create_organization(&sole).await;
    let own = first
        .api
        .get(&format!("/api/v1/organizations/{}", id(&created)))
        .await
        .expect(200);
    assert_eq!(own["tax_code"], sole["tax_code"]);

    let mut company = organization_body(&mut rng, "company", CORVETTO);
    company.as_object_mut().unwrap().remove("size_class");
    first
        .api
        .post("/api/v1/organizations", &company)
        .await
        .expect_invalid("size_class");

    // The same tax code cannot be registered twice, by anyone.
    let mut taken = organization_body(&mut rng, "company", DUOMO);
    taken["tax_code"] = sole["tax_code"].clone();
    let before = first.api.organizations().await.len();
    second
        .api
        .post("/api/v1/organizations", &taken)
        .await
        .expect_error(409, "tax_code_taken");
    assert_eq!(first.api.organizations().await.len(), before);
    let me = second.api.get("/api/v1/me").await.expect(200);
    assert!(
        me["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .all(|r| r["organization_id"].is_null()),
        "a refused registration grants no role: {me}"
    );
}
