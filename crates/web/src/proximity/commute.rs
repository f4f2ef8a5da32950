//! "Il mio tragitto": a worker's commute profile (home, office, usual mode) and the time
//! regained by their coworking bookings; the firm and Municipio sums through the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use mire_domain::Invalid;
use mire_geo::proximity::{CommuteMode, Proximity};
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::proximity::{CommuteProfile, NewCommuteProfile};
use serde::Deserialize;
use serde_json::{json, Value};

use super::sums::{self, BookingSaving, Totals, MIN_GROUP};
use super::{blocking, nil_field, nil_origin, point_field, ProximityState};
use crate::error::{ApiError, PageError};
use crate::i18n::Lang;
use crate::pages::{render, render_status, FormState, Page};
use crate::request::{ApiJson, ApiViewer, Form, Params, Viewer};
use crate::AppState;

/// The profile as typed: each place is a NIL from the list or coordinates, not both.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommuteInput {
    pub home: String,
    pub home_nil: String,
    pub office: String,
    pub office_nil: String,
    pub mode: String,
}

/// The two places of a profile: (coordinates field, NIL field).
const PLACES: [(&str, &str); 2] = [("home", "home_nil"), ("office", "office_nil")];

/// A point of a profile and the NIL it stands for, if one was chosen.
fn place(
    engine: &Proximity,
    typed: &str,
    picked: &str,
    (field, nil_name): (&'static str, &'static str),
    errors: &mut Invalid,
) -> Option<(LatLon, Option<i64>)> {
    let (typed, picked) = (typed.trim(), picked.trim());
    match (typed.is_empty(), picked.is_empty()) {
        (true, true) => {
            errors.push(nil_name, "error-place-required");
            None
        }
        (false, false) => {
            errors.push(field, "error-place-both");
            None
        }
        (false, true) => point_field(engine, typed, field, errors).map(|p| (p, None)),
        (true, false) => {
            let id = nil_field(picked, nil_name, errors)?;
            // The NIL's centre of mass; for the few concave NIL whose centre the engine
            // refuses (outside the city), the point the calculator uses.
            let centroid = Territory::milan().nil(id)?.centroid;
            let at = if engine.check_point(centroid).is_ok() {
                Some(centroid)
            } else {
                nil_origin(engine, id)
            };
            match at {
                Some(p) => Some((p, Some(i64::from(id)))),
                None => {
                    errors.push(nil_name, "error-choice");
                    None
                }
            }
        }
    }
}

/// A valid profile, or every field error at once.
pub fn validate(engine: &Proximity, input: &CommuteInput) -> Result<Validated, Invalid> {
    let mut errors = Invalid::default();
    let home = place(engine, &input.home, &input.home_nil, PLACES[0], &mut errors);
    let office = place(
        engine,
        &input.office,
        &input.office_nil,
        PLACES[1],
        &mut errors,
    );
    let mode = match input.mode.trim() {
        "" => {
            errors.push("mode", "error-required");
            None
        }
        m => CommuteMode::parse(m).or_else(|| {
            errors.push("mode", "error-mode-car-transit");
            None
        }),
    };
    let municipio = home.and_then(|(p, _)| Territory::milan().locate(p));
    if home.is_some() && municipio.is_none() {
        errors.push(
            if input.home_nil.trim().is_empty() {
                "home"
            } else {
                "home_nil"
            },
            "error-outside-city",
        );
    }
    match (home, office, mode, municipio) {
        (Some(home), Some(office), Some(mode), Some(place)) if errors.is_empty() => Ok(Validated {
            home,
            office,
            mode,
            municipio: i64::from(place.municipio),
        }),
        _ => Err(errors),
    }
}

pub struct Validated {
    home: (LatLon, Option<i64>),
    office: (LatLon, Option<i64>),
    mode: CommuteMode,
    municipio: i64,
}

impl Validated {
    fn record(&self) -> NewCommuteProfile<'static> {
        NewCommuteProfile {
            home: (self.home.0.lat, self.home.0.lon),
            home_nil_id: self.home.1,
            home_municipio: self.municipio,
            office: (self.office.0.lat, self.office.0.lon),
            office_nil_id: self.office.1,
            mode: match self.mode {
                CommuteMode::Car => "car",
                CommuteMode::Transit => "transit",
            },
        }
    }
}

/// The stored profile as a form to edit.
fn input_of(p: &CommuteProfile) -> CommuteInput {
    let point = |lat: f64, lon: f64, nil: Option<i64>| match nil {
        Some(id) => (String::new(), id.to_string()),
        None => (format!("{lat}, {lon}"), String::new()),
    };
    let (home, home_nil) = point(p.home_lat, p.home_lon, p.home_nil_id);
    let (office, office_nil) = point(p.office_lat, p.office_lon, p.office_nil_id);
    CommuteInput {
        home,
        home_nil,
        office,
        office_nil,
        mode: p.mode.clone(),
    }
}

fn profile_json(p: &CommuteProfile) -> Value {
    json!({
        "home": { "lat": p.home_lat, "lon": p.home_lon },
        "home_nil_id": p.home_nil_id,
        "home_municipio": p.home_municipio,
        "office": { "lat": p.office_lat, "lon": p.office_lon },
        "office_nil_id": p.office_nil_id,
        "mode": p.mode,
        "updated_at": p.updated_at,
    })
}

/// A person's savings line by line, and their total.
async fn own_savings(
    s: &AppState,
    user_id: i64,
) -> Result<Option<(CommuteProfile, Vec<BookingSaving>, Totals)>, String> {
    let Some(profile) =
        s.db.commute_profile(user_id)
            .await
            .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let bookings =
        s.db.commute_bookings_of_user(user_id)
            .await
            .map_err(|e| e.to_string())?;
    let profiles = vec![profile.clone()];
    let mut per_person = blocking(s, move |p| {
        sums::savings(&p.engine, &p.days_saved, &profiles, &bookings)
    })
    .await?;
    let lines = per_person.remove(&user_id).unwrap_or_default();
    let totals = sums::total(&lines).rounded();
    Ok(Some((profile, lines, totals)))
}

/// How the sums are made, for API answers.
fn method(s: &ProximityState) -> Value {
    let p = s.engine.params();
    json!({
        "rule": "Bookings confirmed or attended count; cancelled and no-show do not. A full day counts 1, a morning or an afternoon 0.5, a meeting-room hour 0; one date never counts more than 1. Each day saves the round trip home-office minus home-coworking by the person's usual mode (walking when faster).",
        "min_group": MIN_GROUP,
        "factors": super::api::factors(s),
        "sources": [
            p.walking.source.clone(),
            p.transit.source.clone(),
            p.car.source.clone(),
            p.emissions.source.clone(),
            p.reference.source.clone(),
        ],
    })
}

// -------------------------------------------------------------------------------------------
// API
// -------------------------------------------------------------------------------------------

/// The caller's commute profile (`null` when they gave none).
#[utoipa::path(get, path = "/api/v1/me/commute", tag = "proximity",
    responses((status = 200, description = "{profile: {home, home_nil_id, home_municipio, office, office_nil_id, mode, updated_at} | null}"),
              (status = 401, description = "No valid token")))]
pub async fn get_commute(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let profile = s.db.commute_profile(v.id()).await?;
    Ok(Json(
        json!({ "profile": profile.as_ref().map(profile_json) }),
    ))
}

/// Saves the caller's commute profile (personal data, visible to them only).
#[utoipa::path(put, path = "/api/v1/me/commute", tag = "proximity",
    request_body(content = String, content_type = "application/json",
        description = "{home: \"LAT,LON\" | home_nil: NIL id, office: \"LAT,LON\" | office_nil: NIL id, mode: \"car\" | \"transit\"}"),
    responses((status = 200, description = "{profile}"),
              (status = 401, description = "No valid token"),
              (status = 422, description = "Fields: home, home_nil, office, office_nil, mode")))]
pub async fn put_commute(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let text = |name: &str| match &body[name] {
        Value::String(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let input = CommuteInput {
        home: text("home"),
        home_nil: text("home_nil"),
        office: text("office"),
        office_nil: text("office_nil"),
        mode: text("mode"),
    };
    let valid = validate(&s.proximity.engine, &input).map_err(ApiError::Invalid)?;
    let saved = s.db.save_commute_profile(v.id(), &valid.record()).await?;
    Ok(Json(json!({ "profile": profile_json(&saved) })))
}

/// Forgets the caller's commute profile.
#[utoipa::path(delete, path = "/api/v1/me/commute", tag = "proximity",
    responses((status = 204, description = "Deleted (or there was none)"),
              (status = 401, description = "No valid token")))]
pub async fn delete_commute(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<StatusCode, ApiError> {
    s.db.delete_commute_profile(v.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's time regained: every counted booking and the total.
#[utoipa::path(get, path = "/api/v1/me/time-regained", tag = "proximity",
    responses((status = 200, description = "{profile: bool, days, minutes_saved, kg_co2_avoided, km_avoided, bookings: [{booking_id, date, period, status, space_id, space_name, day_share, minutes_saved, kg_co2_avoided, km_avoided}], method}"),
              (status = 401, description = "No valid token")))]
pub async fn my_time_regained(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let found = own_savings(&s, v.id()).await.map_err(ApiError::Internal)?;
    let (has_profile, lines, totals) = match found {
        Some((_, lines, totals)) => (true, lines, totals),
        None => (false, Vec::new(), Totals::default()),
    };
    let mut body = json!(totals);
    body["profile"] = json!(has_profile);
    body["booking_lines"] = json!(lines);
    body["method"] = method(&s.proximity);
    Ok(Json(body))
}

/// Whether the viewer may see a firm's sums: its representatives, and coordinators of an
/// alliance it belongs to.
async fn may_see_firm(s: &AppState, v: &Viewer, organization_id: i64) -> Result<bool, ApiError> {
    if v.represents(organization_id) {
        return Ok(true);
    }
    let alliances = s.db.alliances_of_organization(organization_id).await?;
    Ok(alliances.iter().any(|a| v.is_coordinator(*a)))
}

/// A firm's time regained: the sum over its employees with a commute profile. Aggregate
/// only, for the firm's representatives and its alliances' coordinators.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/time-regained", tag = "proximity",
    params(("id" = i64, Path, description = "Organisation id")),
    responses((status = 200, description = "{organization_id, workers_with_profile, workers_contributing, totals: {days, minutes_saved, kg_co2_avoided, km_avoided, bookings, not_computed}, method}"),
              (status = 401, description = "No valid token"),
              (status = 403, description = "Not a representative of the firm nor a coordinator of its alliance")))]
pub async fn organization_time_regained(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    if !may_see_firm(&s, &v, id).await? {
        return Err(ApiError::Forbidden);
    }
    let profiles = s.db.commute_profiles_of_organization(id).await?;
    let bookings = s.db.commute_bookings_of_organization(id).await?;
    let group = blocking(&s, move |p| {
        sums::group(&p.engine, &p.days_saved, &profiles, &bookings)
    })
    .await
    .map_err(ApiError::Internal)?;
    let mut body = json!(group);
    body["organization_id"] = json!(id);
    body["method"] = method(&s.proximity);
    Ok(Json(body))
}

/// Time regained per Municipio of residence, public; Municipi with fewer than 3 contributing
/// workers are listed without figures.
#[utoipa::path(get, path = "/api/v1/proximity/time-regained/municipi", tag = "proximity",
    responses((status = 200, description = "{min_group, municipi: [{municipio, suppressed, workers, totals}], shown: totals of the Municipi shown, method}")))]
pub async fn municipi_time_regained(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rows = municipi(&s).await.map_err(ApiError::Internal)?;
    let shown = shown_total(&rows);
    Ok(Json(json!({
        "min_group": MIN_GROUP,
        "municipi": rows,
        "shown": shown,
        "method": method(&s.proximity),
    })))
}

pub(crate) async fn municipi(s: &AppState) -> Result<Vec<sums::MunicipioTotals>, String> {
    let profiles = s.db.commute_profiles().await.map_err(|e| e.to_string())?;
    let bookings = s.db.commute_bookings().await.map_err(|e| e.to_string())?;
    blocking(s, move |p| {
        sums::by_municipio(&p.engine, &p.days_saved, &profiles, &bookings)
    })
    .await
}

/// The sum over the Municipi shown (never the city total: with one Municipio withheld, the
/// city total minus the others would reveal it).
pub(crate) fn shown_total(rows: &[sums::MunicipioTotals]) -> Totals {
    let mut t = Totals::default();
    for r in rows.iter().filter_map(|r| r.totals.as_ref()) {
        t.days += r.days;
        t.minutes_saved += r.minutes_saved;
        t.kg_co2_avoided += r.kg_co2_avoided;
        t.km_avoided += r.km_avoided;
        t.bookings += r.bookings;
        t.not_computed += r.not_computed;
    }
    t.rounded()
}

// -------------------------------------------------------------------------------------------
// Pages
// -------------------------------------------------------------------------------------------

/// A number for people: fixed decimals, decimal comma in Italian.
pub(crate) fn number(lang: Lang, value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match lang {
        Lang::It => text.replace('.', ","),
        Lang::En => text,
    }
}

pub struct NilOption {
    pub id: String,
    pub name: String,
}

struct SavingRow {
    date: String,
    space: String,
    period: String,
    share: String,
    minutes: String,
    kg: String,
}

struct OwnTotals {
    days: String,
    hours: String,
    minutes: String,
    kg: String,
    km: String,
    not_computed: usize,
    rows: Vec<SavingRow>,
}

#[derive(Template)]
#[template(path = "proximity/commute.html")]
struct CommutePage {
    p: Page,
    form: FormState,
    nils: Vec<NilOption>,
    places: Vec<(&'static str, &'static str)>,
    has_profile: bool,
    notice: Option<&'static str>,
    totals: Option<OwnTotals>,
    home_municipio: Option<i64>,
}

fn values(input: &CommuteInput) -> Vec<(&'static str, String)> {
    vec![
        ("home", input.home.clone()),
        ("home_nil", input.home_nil.clone()),
        ("office", input.office.clone()),
        ("office_nil", input.office_nil.clone()),
        ("mode", input.mode.clone()),
    ]
}

fn own_totals(p: &Page, lines: &[BookingSaving], t: &Totals) -> OwnTotals {
    let lang = p.lang;
    let dash = || "–".to_owned();
    OwnTotals {
        days: number(lang, t.days, 1),
        hours: number(lang, t.minutes_saved / 60.0, 1),
        minutes: number(lang, t.minutes_saved, 0),
        kg: number(lang, t.kg_co2_avoided, 2),
        km: number(lang, t.km_avoided, 1),
        not_computed: t.not_computed,
        rows: lines
            .iter()
            .filter(|l| l.day_share > 0.0)
            .map(|l| SavingRow {
                date: l.date.clone(),
                space: l.space_name.clone(),
                period: p.label("period", &l.period),
                share: number(lang, l.day_share, 1),
                minutes: l
                    .minutes_saved
                    .map(|m| number(lang, m, 0))
                    .unwrap_or_else(dash),
                kg: l
                    .kg_co2_avoided
                    .map(|k| number(lang, k, 2))
                    .unwrap_or_else(dash),
            })
            .collect(),
    }
}

async fn commute_page(
    s: &AppState,
    p: Page,
    status: StatusCode,
    form: Option<FormState>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let id = p.require()?.id();
    let found = own_savings(s, id).await.map_err(PageError::Internal)?;
    let (has_profile, saved_form, totals, home_municipio) = match &found {
        Some((profile, lines, t)) => (
            true,
            FormState::new(values(&input_of(profile)), Invalid::default()),
            Some(own_totals(&p, lines, t)),
            Some(profile.home_municipio),
        ),
        None => (
            false,
            FormState::new(
                values(&CommuteInput {
                    mode: "transit".into(),
                    ..Default::default()
                }),
                Invalid::default(),
            ),
            None,
            None,
        ),
    };
    let page = CommutePage {
        form: form.unwrap_or(saved_form),
        nils: s
            .proximity
            .nils
            .iter()
            .map(|n| NilOption {
                id: n.id.to_string(),
                name: n.name.clone(),
            })
            .collect(),
        places: PLACES.to_vec(),
        has_profile,
        notice,
        totals,
        home_municipio,
        p,
    };
    if status == StatusCode::OK {
        render(&page)
    } else {
        render_status(status, &page)
    }
}

pub async fn commute_form(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let notice = match q.get("fatto") {
        "salvato" => Some("commute-saved"),
        "eliminato" => Some("commute-deleted"),
        _ => None,
    };
    commute_page(&s, p, StatusCode::OK, None, notice).await
}

pub async fn save_commute(
    State(s): State<AppState>,
    p: Page,
    Form(input): Form<CommuteInput>,
) -> Result<Response, PageError> {
    let id = p.require()?.id();
    match validate(&s.proximity.engine, &input) {
        Ok(valid) => {
            s.db.save_commute_profile(id, &valid.record()).await?;
            Ok(Redirect::to("/profilo/tragitto?fatto=salvato").into_response())
        }
        Err(errors) => {
            let form = FormState::new(values(&input), errors);
            commute_page(&s, p, StatusCode::UNPROCESSABLE_ENTITY, Some(form), None).await
        }
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn remove_commute(
    State(s): State<AppState>,
    p: Page,
    Form(_): Form<Nothing>,
) -> Result<Response, PageError> {
    let id = p.require()?.id();
    s.db.delete_commute_profile(id).await?;
    Ok(Redirect::to("/profilo/tragitto?fatto=eliminato").into_response())
}

#[derive(Template)]
#[template(path = "proximity/firm.html")]
struct FirmPage {
    p: Page,
    organization_id: i64,
    name: String,
    workers_with_profile: usize,
    workers_contributing: usize,
    days: String,
    hours: String,
    kg: String,
    km: String,
}

/// A firm's time regained, for its representatives and its alliances' coordinators.
pub async fn firm_page(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let viewer = p.require()?.clone();
    let org = s.db.organization(id).await?;
    let allowed = may_see_firm(&s, &viewer, id)
        .await
        .map_err(|_| PageError::Internal("checking who may see a firm's sums".into()))?;
    if !allowed {
        return Err(PageError::Forbidden);
    }
    let profiles = s.db.commute_profiles_of_organization(id).await?;
    let bookings = s.db.commute_bookings_of_organization(id).await?;
    let group = blocking(&s, move |st| {
        sums::group(&st.engine, &st.days_saved, &profiles, &bookings)
    })
    .await
    .map_err(PageError::Internal)?;
    let lang = p.lang;
    let t = &group.totals;
    render(&FirmPage {
        organization_id: id,
        name: org.name,
        workers_with_profile: group.workers_with_profile,
        workers_contributing: group.workers_contributing,
        days: number(lang, t.days, 1),
        hours: number(lang, t.minutes_saved / 60.0, 1),
        kg: number(lang, t.kg_co2_avoided, 1),
        km: number(lang, t.km_avoided, 0),
        p,
    })
}

/// The Municipio rows of the `/tempo-ritrovato` page.
pub(crate) struct MunicipioRow {
    pub number: u8,
    pub suppressed: bool,
    pub workers: String,
    pub days: String,
    pub hours: String,
    pub kg: String,
}

pub(crate) fn municipio_rows(lang: Lang, rows: &[sums::MunicipioTotals]) -> Vec<MunicipioRow> {
    rows.iter()
        .map(|r| {
            let t = r.totals.clone().unwrap_or_default();
            MunicipioRow {
                number: r.municipio,
                suppressed: r.suppressed,
                workers: r.workers.map(|w| w.to_string()).unwrap_or_default(),
                days: number(lang, t.days, 1),
                hours: number(lang, t.minutes_saved / 60.0, 1),
                kg: number(lang, t.kg_co2_avoided, 1),
            }
        })
        .collect()
}
