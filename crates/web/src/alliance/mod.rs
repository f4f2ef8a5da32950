//! The alliance: home page, member directory with its map, organisation pages, registering
//! an organisation, asking to join, and the coordinator's decisions.

pub(crate) mod api;
mod pages;

use axum::routing::{get, post};
use axum::Router;
use mire_domain::accounts::Role;
use mire_domain::alliance::{NewOrganization, OrgKind};
use mire_domain::Invalid;
use mire_geo::territory::Territory;
use mire_geo::LatLon;

use crate::mail::Message;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/membri", get(pages::directory))
        .route(
            "/organizzazioni/nuova",
            get(pages::new_organization_form).post(pages::create_organization),
        )
        .route("/organizzazioni/{id}", get(pages::organization))
        .route(
            "/organizzazioni/{id}/adesione",
            get(pages::join_form).post(pages::join),
        )
        .route("/area-personale", get(pages::dashboard))
        .route("/coordinamento/richieste", get(pages::requests))
        .route(
            "/coordinamento/richieste/{id}/approva",
            post(pages::approve),
        )
        .route("/coordinamento/richieste/{id}/rifiuta", post(pages::reject))
        .route(
            "/api/v1/organizations",
            get(api::list_organizations).post(api::create_organization),
        )
        .route("/api/v1/organizations/{id}", get(api::organization))
        .route("/api/v1/alliances", get(api::alliances))
        .route("/api/v1/alliance/members", get(api::members))
        .route(
            "/api/v1/alliance/membership-requests",
            get(api::requests).post(api::create_request),
        )
        .route(
            "/api/v1/alliance/membership-requests/{id}/approve",
            post(api::approve),
        )
        .route(
            "/api/v1/alliance/membership-requests/{id}/reject",
            post(api::reject),
        )
}

/// The role a person takes in the organisation they register.
fn representative_role(kind: OrgKind) -> Role {
    match kind {
        OrgKind::Company => Role::Company,
        OrgKind::CoworkingOperator => Role::CoworkingOperator,
        OrgKind::WelfareProvider | OrgKind::Cooperative | OrgKind::Association => {
            Role::WelfareProvider
        }
        OrgKind::PublicBody | OrgKind::Other => Role::Partner,
    }
}

/// Places the organisation in its NIL and Municipio; coordinates outside Milan are refused.
fn locate(o: &NewOrganization) -> Result<Option<(i64, i64)>, Invalid> {
    let (Some(lat), Some(lon)) = (o.lat, o.lon) else {
        return Ok(None);
    };
    match Territory::milan().locate(LatLon::new(lat, lon)) {
        Some(place) => Ok(Some((i64::from(place.nil_id), i64::from(place.municipio)))),
        None => {
            let mut e = Invalid::default();
            e.push("lat", "error-outside-city");
            Err(e)
        }
    }
}

/// Registers a validated organisation for `user_id`; the shared path of page and API.
async fn register(s: &AppState, o: &NewOrganization, user_id: i64) -> Result<i64, RegisterError> {
    let place = locate(o).map_err(RegisterError::Invalid)?;
    let role = representative_role(o.kind);
    match s
        .db
        .create_organization(o, place, Some(user_id), role.as_str(), false)
        .await
    {
        Ok(id) => Ok(id),
        Err(mire_store::StoreError::Conflict(_)) => Err(RegisterError::TaxCodeTaken),
        Err(e) => Err(RegisterError::Store(e)),
    }
}

enum RegisterError {
    Invalid(Invalid),
    TaxCodeTaken,
    Store(mire_store::StoreError),
}

/// Loads the organisation, for its representatives only: a firm never acts for another firm.
pub(crate) async fn represented(
    s: &AppState,
    p: &crate::pages::Page,
    raw_id: &str,
) -> Result<mire_store::alliance::Organization, crate::error::PageError> {
    let v = p.require()?;
    let org = s.db.organization(crate::error::page_id(raw_id)?).await?;
    if !v.represents(org.id) {
        return Err(crate::error::PageError::Forbidden);
    }
    Ok(org)
}

/// True when the viewer may see the organisation's private details: its own people, and the
/// coordinators of an alliance it belongs to or asked to join. Never another firm.
async fn is_insider(
    s: &AppState,
    viewer: Option<&crate::request::Viewer>,
    organization_id: i64,
) -> Result<bool, mire_store::StoreError> {
    let Some(v) = viewer else { return Ok(false) };
    if v.organization_role(organization_id).is_some() {
        return Ok(true);
    }
    let alliances = s.db.alliances_of_organization(organization_id).await?;
    Ok(alliances.iter().any(|a| v.is_coordinator(*a)))
}

/// Tells the organisation's representatives how their request went, in their language.
async fn notify_decision(s: &AppState, request_id: i64) {
    let Ok(r) = s.db.membership_request(request_id).await else {
        return;
    };
    let Ok(people) = s.db.organization_emails(r.organization_id).await else {
        return;
    };
    for (email, locale) in people {
        let lang = crate::i18n::Lang::parse(&locale).unwrap_or_default();
        let t = |id: &str| crate::I18N.t(lang, id, &[]);
        let (subject, mut body) = if r.status == "approved" {
            (t("mail-approved-subject"), t("mail-approved-body"))
        } else {
            (
                t("mail-rejected-subject"),
                format!(
                    "{}\n\n{}",
                    t("mail-rejected-body"),
                    r.reason.clone().unwrap_or_default()
                ),
            )
        };
        body = format!(
            "{}\n\n{body}\n\n{}/organizzazioni/{}\n\n{}",
            r.organization_name,
            s.config.base_url(),
            r.organization_id,
            t("mail-signature")
        );
        s.mailer
            .send(Message {
                to: email,
                subject,
                body,
            })
            .await;
    }
}

pub(crate) enum JoinError {
    AlreadyPending,
    AlreadyMember,
    Store(mire_store::StoreError),
}

/// Files a request to join; the database refuses a second pending one.
async fn file_request(
    s: &AppState,
    alliance_id: i64,
    organization_id: i64,
    user_id: i64,
    message: &str,
    action_lines: &[i64],
) -> Result<i64, JoinError> {
    match s
        .db
        .create_membership_request(
            alliance_id,
            organization_id,
            Some(user_id),
            message,
            action_lines,
        )
        .await
    {
        Ok(id) => Ok(id),
        Err(mire_store::StoreError::Conflict(c)) if c == "already_member" => {
            Err(JoinError::AlreadyMember)
        }
        Err(mire_store::StoreError::Conflict(_)) => Err(JoinError::AlreadyPending),
        Err(e) => Err(JoinError::Store(e)),
    }
}
