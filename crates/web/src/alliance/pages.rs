use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mire_domain::alliance::{
    MemberRole, OrgKind, OrganizationInput, SizeClass, MESSAGE_MAX, REASON_MAX,
};
use mire_domain::{text, FieldError, Invalid};
use mire_geo::territory::map::{Map, Marker};
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::alliance::{
    ActionLine, Alliance, AllianceCounts, DecisionError, Member, MembershipRequest, Organization,
    Person, Programme,
};
use serde::Deserialize;

use super::api::member_filter;
use super::{
    file_request, is_insider, notify_decision, register, represented, JoinError, RegisterError,
};
use crate::error::{page_id, PageError};
use crate::pages::{render, render_status, FormState, Page};
use crate::request::{Form, Params};
use crate::AppState;

#[derive(Template)]
#[template(path = "alliance/home.html")]
struct HomePage {
    p: Page,
    alliance: Alliance,
    lines: Vec<ActionLine>,
    programmes: Vec<Programme>,
    counts: AllianceCounts,
}

pub async fn home(State(s): State<AppState>, p: Page, q: Params) -> Result<Response, PageError> {
    let alliance = s.db.alliance(q.get("alleanza")).await?;
    let lines = s.db.action_lines(alliance.id).await?;
    let programmes = s.db.programmes(alliance.id).await?;
    let counts = s.db.alliance_counts(alliance.id).await?;
    render(&HomePage {
        p,
        alliance,
        lines,
        programmes,
        counts,
    })
}

#[derive(Template)]
#[template(path = "alliance/directory.html")]
struct DirectoryPage {
    p: Page,
    members: Vec<Member>,
    lines: Vec<ActionLine>,
    form: FormState,
    kinds: Vec<&'static str>,
    municipi: Vec<String>,
    map: String,
}

pub async fn directory(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let alliance = s.db.alliance(q.get("alleanza")).await?;
    let filter = member_filter(&q);
    let members = s.db.members(alliance.id, &filter).await?;
    let lines = s.db.action_lines(alliance.id).await?;
    let markers = members.iter().filter_map(|m| {
        let at = LatLon::new(m.lat?, m.lon?);
        Some(
            Marker::new(at, m.name.clone(), m.kind.replace('_', "-"))
                .with_href(format!("/organizzazioni/{}", m.organization_id)),
        )
    });
    let map = Map::new(Territory::milan(), 640)
        .id("members-map")
        .title(
            &p.t("directory-map-title"),
            &p.t1("directory-map-desc", "count", members.len()),
        )
        .markers(markers)
        .render();
    let form = FormState::new(
        [
            ("kind", filter.kind.unwrap_or_default()),
            (
                "municipio",
                filter.municipio.map(|m| m.to_string()).unwrap_or_default(),
            ),
            ("action_line", filter.action_line.unwrap_or_default()),
        ],
        Invalid::default(),
    );
    let kinds = OrgKind::ALL.iter().map(|k| k.as_str()).collect();
    let municipi = (1..=9).map(|m: u8| m.to_string()).collect();
    render(&DirectoryPage {
        p,
        members,
        lines,
        form,
        kinds,
        municipi,
        map,
    })
}

#[derive(Template)]
#[template(path = "alliance/organization.html")]
struct OrganizationPage {
    p: Page,
    org: Organization,
    nil_name: String,
    membership: Option<String>,
    lines: Vec<String>,
    insider: bool,
    represents: bool,
    people: Vec<Person>,
    requests: Vec<MembershipRequest>,
}

pub async fn organization(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let org = s.db.organization(page_id(&id)?).await?;
    let alliance = s.db.default_alliance().await?;
    let represents = p.viewer.as_ref().is_some_and(|v| v.represents(org.id));
    let insider = is_insider(&s, p.viewer.as_ref(), org.id).await?;
    let (people, requests) = if insider {
        (
            s.db.organization_people(org.id).await?,
            s.db.membership_requests_of(org.id).await?,
        )
    } else {
        (vec![], vec![])
    };
    let nil_name = org
        .nil_id
        .and_then(|n| Territory::milan().nil(n as u16))
        .map(|n| n.name.clone())
        .unwrap_or_default();
    render(&OrganizationPage {
        membership: s.db.member_role(alliance.id, org.id).await?,
        lines: s.db.member_action_lines(alliance.id, org.id).await?,
        p,
        org,
        nil_name,
        insider,
        represents,
        people,
        requests,
    })
}

#[derive(Template)]
#[template(path = "alliance/new_organization.html")]
struct NewOrganizationPage {
    p: Page,
    form: FormState,
    kinds: Vec<&'static str>,
    sizes: Vec<&'static str>,
}

fn new_org_page(p: Page, form: FormState) -> NewOrganizationPage {
    NewOrganizationPage {
        p,
        form,
        kinds: OrgKind::ALL.iter().map(|k| k.as_str()).collect(),
        sizes: SizeClass::ALL.iter().map(|k| k.as_str()).collect(),
    }
}

pub async fn new_organization_form(p: Page) -> Result<Response, PageError> {
    p.require()?;
    render(&new_org_page(p, FormState::default()))
}

/// The organisation form as typed; coordinates arrive as text and are parsed here so a
/// typo is reported by the field instead of failing the whole form.
#[derive(Deserialize)]
pub struct OrganizationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    size_class: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

fn coordinate(raw: &str, errors: &mut Invalid, field: &'static str) -> Option<f64> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(field, "error-number");
            None
        }
    }
}

pub async fn create_organization(
    State(s): State<AppState>,
    p: Page,
    Form(f): Form<OrganizationForm>,
) -> Result<Response, PageError> {
    let user_id = p.require()?.id();
    let mut errors = Invalid::default();
    let lat = coordinate(&f.lat, &mut errors, "lat");
    let lon = coordinate(&f.lon, &mut errors, "lon");
    let input = OrganizationInput {
        name: f.name.clone(),
        kind: f.kind.clone(),
        tax_code: f.tax_code.clone(),
        size_class: f.size_class.clone(),
        sector: f.sector.clone(),
        address: f.address.clone(),
        lat,
        lon,
    };
    let outcome = match (input.validate(), errors.is_empty()) {
        (Ok(new), true) => match register(&s, &new, user_id).await {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/organizzazioni/{id}/adesione?nuova=1")).into_response(),
                )
            }
            Err(RegisterError::Invalid(i)) => i,
            Err(RegisterError::TaxCodeTaken) => {
                Invalid(vec![FieldError::new("tax_code", "error-tax-code-taken")])
            }
            Err(RegisterError::Store(e)) => return Err(e.into()),
        },
        (Ok(_), false) => errors,
        (Err(mut i), _) => {
            i.0.extend(errors.0);
            i
        }
    };
    let form = FormState::new(
        [
            ("name", f.name),
            ("kind", f.kind),
            ("tax_code", f.tax_code),
            ("size_class", f.size_class),
            ("sector", f.sector),
            ("address", f.address),
            ("lat", f.lat),
            ("lon", f.lon),
        ],
        outcome,
    );
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &new_org_page(p, form))
}

#[derive(Template)]
#[template(path = "alliance/join.html")]
struct JoinPage {
    p: Page,
    org: Organization,
    lines: Vec<ActionLine>,
    chosen: Vec<String>,
    form: FormState,
    just_registered: bool,
}

pub async fn join_form(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let org = represented(&s, &p, &id).await?;
    let alliance = s.db.default_alliance().await?;
    let lines = s.db.action_lines(alliance.id).await?;
    let page = JoinPage {
        p,
        org,
        lines,
        chosen: vec![],
        form: FormState::default(),
        just_registered: q.get("nuova") == "1",
    };
    render(&page)
}

pub async fn join(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let org = represented(&s, &p, &id).await?;
    let user_id = p.require()?.id();
    let alliance = s.db.default_alliance().await?;
    let lines = s.db.action_lines(alliance.id).await?;
    let raw_message = pairs
        .iter()
        .find(|(k, _)| k == "message")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "action_lines")
        .map(|(_, v)| v.clone())
        .collect();
    let ids: Vec<i64> = lines
        .iter()
        .filter(|l| chosen.contains(&l.slug))
        .map(|l| l.id)
        .collect();
    let mut errors = Invalid::default();
    let message = errors
        .check(text::optional("message", &raw_message, MESSAGE_MAX))
        .flatten();
    if errors.is_empty() {
        match file_request(
            &s,
            alliance.id,
            org.id,
            user_id,
            &message.unwrap_or_default(),
            &ids,
        )
        .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/organizzazioni/{}?richiesta=1", org.id))
                        .into_response(),
                )
            }
            Err(JoinError::AlreadyPending) => errors.push("message", "error-already-pending"),
            Err(JoinError::AlreadyMember) => errors.push("message", "error-already-member"),
            Err(JoinError::Store(e)) => return Err(e.into()),
        }
    }
    let form = FormState::new([("message", raw_message)], errors);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &JoinPage {
            p,
            org,
            lines,
            chosen,
            form,
            just_registered: false,
        },
    )
}

#[derive(Template)]
#[template(path = "alliance/dashboard.html")]
struct DashboardPage {
    p: Page,
    organizations: Vec<(Organization, String, Option<String>, Vec<MembershipRequest>)>,
    welcome: bool,
}

pub async fn dashboard(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let user_id = p.require()?.id();
    let alliance = s.db.default_alliance().await?;
    let mut organizations = vec![];
    for (org, role) in s.db.organizations_of(user_id).await? {
        let membership = s.db.member_role(alliance.id, org.id).await?;
        let requests = s.db.membership_requests_of(org.id).await?;
        organizations.push((org, role, membership, requests));
    }
    render(&DashboardPage {
        p,
        organizations,
        welcome: q.get("benvenuto") == "1",
    })
}

#[derive(Template)]
#[template(path = "alliance/requests.html")]
struct RequestsPage {
    p: Page,
    pending: Vec<MembershipRequest>,
    decided: Vec<MembershipRequest>,
    roles: Vec<&'static str>,
    form: FormState,
    failed_request: i64,
}

/// The alliance whose queue the coordinator sees: the one named by `?alleanza=`, else the
/// first they coordinate. Anyone else is refused.
async fn coordinator_alliance(s: &AppState, p: &Page, slug: &str) -> Result<Alliance, PageError> {
    let v = p.require()?;
    s.db.alliances()
        .await?
        .into_iter()
        .find(|a| v.is_coordinator(a.id) && (slug.is_empty() || a.slug == slug))
        .ok_or(PageError::Forbidden)
}

async fn requests_page(
    s: &AppState,
    p: Page,
    slug: &str,
    form: FormState,
    failed_request: i64,
) -> Result<RequestsPage, PageError> {
    let alliance = coordinator_alliance(s, &p, slug).await?;
    let (pending, decided) =
        s.db.membership_requests(alliance.id, false)
            .await?
            .into_iter()
            .partition(|r| r.status == "pending");
    Ok(RequestsPage {
        p,
        pending,
        decided,
        roles: MemberRole::ALL.iter().map(|r| r.as_str()).collect(),
        form,
        failed_request,
    })
}

pub async fn requests(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    render(&requests_page(&s, p, q.get("alleanza"), FormState::default(), 0).await?)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    s: AppState,
    p: Page,
    raw_id: String,
    f: DecisionForm,
    approve: bool,
) -> Result<Response, PageError> {
    let request = s.db.membership_request(page_id(&raw_id)?).await?;
    // Only a coordinator of the request's own alliance decides it.
    let alliance =
        s.db.alliances()
            .await?
            .into_iter()
            .find(|a| a.id == request.alliance_id)
            .ok_or(PageError::NotFound)?;
    coordinator_alliance(&s, &p, &alliance.slug).await?;
    let decided_by = p.require()?.id();
    let mut errors = Invalid::default();
    let outcome = if approve {
        match MemberRole::parse(f.role.trim()) {
            Some(role) => Some(
                s.db.approve_membership(request.id, role.as_str(), decided_by)
                    .await,
            ),
            None => {
                errors.push("role", "error-choice");
                None
            }
        }
    } else {
        match errors.check(text::required("reason", &f.reason, REASON_MAX)) {
            Some(reason) => Some(
                s.db.reject_membership(request.id, &reason, decided_by)
                    .await,
            ),
            None => None,
        }
    };
    match outcome {
        Some(Ok(())) => {
            notify_decision(&s, request.id).await;
            return Ok(Redirect::to(&format!(
                "/coordinamento/richieste?alleanza={}",
                alliance.slug
            ))
            .into_response());
        }
        Some(Err(DecisionError::NotPending)) => errors.push("reason", "error-not-pending"),
        Some(Err(DecisionError::Store(e))) => return Err(e.into()),
        None => {}
    }
    let form = FormState::new([("role", f.role), ("reason", f.reason)], errors);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &requests_page(&s, p, &alliance.slug, form, request.id).await?,
    )
}

pub async fn approve(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    decide(s, p, id, f, true).await
}

pub async fn reject(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    decide(s, p, id, f, false).await
}
