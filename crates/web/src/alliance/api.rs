use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use mire_domain::alliance::{MemberRole, OrganizationInput, MESSAGE_MAX, REASON_MAX};
use mire_domain::text;
use mire_store::alliance::{DecisionError, MemberFilter, Organization};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{file_request, is_insider, notify_decision, register, JoinError, RegisterError};
use crate::error::{api_id, ApiError};
use crate::request::{ApiJson, ApiViewer, MaybeViewer, Params, Viewer};
use crate::AppState;

/// What anyone may see of an organisation.
fn public(o: &Organization) -> Value {
    json!({
        "id": o.id, "name": o.name, "kind": o.kind, "size_class": o.size_class, "sector": o.sector,
        "municipio": o.municipio, "nil_id": o.nil_id, "is_demo": o.is_demo != 0,
    })
}

/// Public fields, plus tax code, address and people for its members and coordinators.
async fn visible(
    s: &AppState,
    o: &Organization,
    viewer: Option<&Viewer>,
) -> Result<Value, ApiError> {
    let mut body = public(o);
    let insider = is_insider(s, viewer, o.id).await?;
    if insider {
        body["tax_code"] = json!(o.tax_code);
        body["address"] = json!(o.address);
        body["lat"] = json!(o.lat);
        body["lon"] = json!(o.lon);
        body["people"] = json!(s.db.organization_people(o.id).await?);
    }
    let alliance = s.db.default_alliance().await?;
    body["membership"] = json!(s.db.member_role(alliance.id, o.id).await?);
    Ok(body)
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "alliance", responses((status = 200, description = "Registered organisations, public fields")))]
pub async fn list_organizations(
    State(s): State<AppState>,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let number = |k: &str| q.get(k).parse::<i64>().ok();
    let (limit, offset) = (number("limit"), number("offset"));
    let items =
        s.db.organizations(
            limit.unwrap_or(100).clamp(1, 500),
            offset.unwrap_or(0).max(0),
        )
        .await?;
    Ok(Json(
        json!({ "items": items.iter().map(public).collect::<Vec<_>>() }),
    ))
}

/// Registers an organisation; the caller becomes its representative.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "alliance", request_body(content = Object, description = "{name, kind, tax_code, size_class, sector, address, lat, lon}"),
    responses((status = 201), (status = 409, description = "tax_code_taken"), (status = 422)))]
pub async fn create_organization(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(input): ApiJson<OrganizationInput>,
) -> Result<impl IntoResponse, ApiError> {
    let new = input.validate().map_err(ApiError::Invalid)?;
    let id = register(&s, &new, v.id()).await.map_err(|e| match e {
        RegisterError::Invalid(i) => ApiError::Invalid(i),
        RegisterError::TaxCodeTaken => ApiError::Conflict("tax_code_taken"),
        RegisterError::Store(e) => e.into(),
    })?;
    let o = s.db.organization(id).await?;
    let mut body = public(&o);
    body["tax_code"] = json!(o.tax_code);
    body["address"] = json!(o.address);
    body["lat"] = json!(o.lat);
    body["lon"] = json!(o.lon);
    Ok((StatusCode::CREATED, Json(body)))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "alliance", responses((status = 200), (status = 404)))]
pub async fn organization(
    State(s): State<AppState>,
    MaybeViewer(v): MaybeViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let o = s.db.organization(api_id(&id)?).await?;
    Ok(Json(visible(&s, &o, v.as_ref()).await?))
}

/// The directory's filters from a query string; unknown values filter nothing.
pub fn member_filter(q: &Params) -> MemberFilter {
    let nonempty = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    MemberFilter {
        kind: nonempty(q.get("kind")),
        municipio: q
            .get("municipio")
            .trim()
            .parse()
            .ok()
            .filter(|m| (1..=9).contains(m)),
        action_line: nonempty(q.get("action_line")),
    }
}

/// The alliances hosted by this installation.
#[utoipa::path(get, path = "/api/v1/alliances", tag = "alliance", responses((status = 200)))]
pub async fn alliances(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "items": s.db.alliances().await? })))
}

#[utoipa::path(get, path = "/api/v1/alliance/members", tag = "alliance",
    params(("kind" = Option<String>, Query), ("municipio" = Option<i64>, Query), ("action_line" = Option<String>, Query)),
    responses((status = 200, description = "Members of the alliance")))]
pub async fn members(State(s): State<AppState>, q: Params) -> Result<Json<Value>, ApiError> {
    let alliance = s.db.alliance(q.get("alliance")).await?;
    let members = s.db.members(alliance.id, &member_filter(&q)).await?;
    Ok(Json(json!({ "alliance": alliance.slug, "items": members })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewRequest {
    /// The alliance's slug; the default alliance when absent.
    #[serde(default)]
    alliance: String,
    #[schema(value_type = Option<i64>)]
    organization_id: Option<serde_json::Number>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    action_lines: Vec<String>,
}

/// Asks for an organisation to join the alliance; only its representatives may.
#[utoipa::path(post, path = "/api/v1/alliance/membership-requests", tag = "alliance", request_body = NewRequest,
    responses((status = 201), (status = 403), (status = 404), (status = 409, description = "already_pending or already_member")))]
pub async fn create_request(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(body): ApiJson<NewRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let org_id = body
        .organization_id
        .and_then(|n| n.as_i64())
        .ok_or(ApiError::field("organization_id", "error-required"))?;
    let message = text::optional("message", &body.message, MESSAGE_MAX)
        .map_err(|e| ApiError::field(e.field, e.message))?;
    let org =
        s.db.organization(org_id)
            .await
            .map_err(|_| ApiError::NotFound)?;
    if !v.represents(org.id) {
        return Err(ApiError::Forbidden);
    }
    let alliance =
        s.db.alliance(&body.alliance)
            .await
            .map_err(|_| ApiError::field("alliance", "error-choice"))?;
    let lines = s.db.action_lines(alliance.id).await?;
    let mut ids = vec![];
    for slug in &body.action_lines {
        match lines.iter().find(|l| &l.slug == slug) {
            Some(l) => ids.push(l.id),
            None => return Err(ApiError::field("action_lines", "error-choice")),
        }
    }
    let id = file_request(
        &s,
        alliance.id,
        org.id,
        v.id(),
        &message.unwrap_or_default(),
        &ids,
    )
    .await
    .map_err(|e| match e {
        JoinError::AlreadyPending => ApiError::Conflict("already_pending"),
        JoinError::AlreadyMember => ApiError::Conflict("already_member"),
        JoinError::Store(e) => e.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.db.membership_request(id).await?)),
    ))
}

#[utoipa::path(get, path = "/api/v1/alliance/membership-requests", tag = "alliance", responses((status = 200)))]
pub async fn requests(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let alliance = s.db.alliance(q.get("alliance")).await?;
    let items = if v.is_coordinator(alliance.id) {
        s.db.membership_requests(alliance.id, false).await?
    } else {
        let mut all = vec![];
        for r in v.roles.iter().filter(|r| r.role != "worker") {
            if let Some(org) = r.organization_id {
                all.extend(s.db.membership_requests_of(org).await?);
            }
        }
        all
    };
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Approval {
    #[serde(default)]
    role: String,
}

/// A coordinator's approval, with the member's role in the alliance.
#[utoipa::path(post, path = "/api/v1/alliance/membership-requests/{id}/approve", tag = "alliance", request_body = Approval,
    responses((status = 200), (status = 403), (status = 404), (status = 409, description = "not_pending")))]
pub async fn approve(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Approval>,
) -> Result<Json<Value>, ApiError> {
    let request = coordinator_request(&s, &v, &id).await?;
    let role =
        MemberRole::parse(body.role.trim()).ok_or(ApiError::field("role", "error-choice"))?;
    decided(
        s.db.approve_membership(request, role.as_str(), v.id())
            .await,
    )?;
    notify_decision(&s, request).await;
    Ok(Json(json!(s.db.membership_request(request).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Rejection {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/alliance/membership-requests/{id}/reject", tag = "alliance", request_body = Rejection,
    responses((status = 200), (status = 403), (status = 404), (status = 409, description = "not_pending"), (status = 422)))]
pub async fn reject(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Rejection>,
) -> Result<Json<Value>, ApiError> {
    let request = coordinator_request(&s, &v, &id).await?;
    let reason = text::required("reason", &body.reason, REASON_MAX)
        .map_err(|e| ApiError::field(e.field, e.message))?;
    decided(s.db.reject_membership(request, &reason, v.id()).await)?;
    notify_decision(&s, request).await;
    Ok(Json(json!(s.db.membership_request(request).await?)))
}

/// The request, if it exists and the caller coordinates its alliance.
async fn coordinator_request(s: &AppState, v: &Viewer, raw_id: &str) -> Result<i64, ApiError> {
    let r = s.db.membership_request(api_id(raw_id)?).await?;
    if !v.is_coordinator(r.alliance_id) {
        return Err(ApiError::Forbidden);
    }
    Ok(r.id)
}

fn decided(r: Result<(), DecisionError>) -> Result<(), ApiError> {
    r.map_err(|e| match e {
        DecisionError::NotPending => ApiError::Conflict("not_pending"),
        DecisionError::Store(e) => e.into(),
    })
}
