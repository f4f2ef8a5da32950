//! Coworking demand meets supply: firms and workers post the desks they need (how many, which
//! weekdays, from when, near which NIL or near their staff's homes, budget); operators see the
//! open demand within reach of their spaces by public transport and answer with a space and
//! an offer; the coordination sees seats offered against seats asked per NIL.
//!
//! The JSON API and the pages are both here: what they share is the first section.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mire_domain::alliance::OrgKind;
use mire_domain::coworking::{self as rules, WEEKDAY_KEYS};
use mire_domain::coworking_demand::{
    answer_message, spread_over_homes, DemandInput, Near, NewDemand, Weekdays,
};
use mire_domain::{FieldError, Invalid};
use mire_geo::proximity::Mode;
use mire_geo::territory::map::Map;
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::alliance::Organization;
use mire_store::coworking::{Offer, Space, SpaceSearch};
use mire_store::coworking_demand::{
    Answer, AnswerError, AnswerRecord, Demand, DemandNil, DemandRecord, NilBalance,
};
use mire_store::proximity::CommuteProfile;
use serde::Deserialize;
use serde_json::{json, Value};

use super::pages::{
    all, cents_field, date_text, first, money, nil_choices, nil_name, number_field, offer_view,
    rename, tools, travel_text, Choice, Empty,
};
use super::travel::{self, Found, TravelLimit};
use super::{may_manage, Failure};
use crate::error::{api_id, page_id, ApiError, PageError};
use crate::i18n::Lang;
use crate::mail::Message;
use crate::pages::{render, render_status, FormState, Notice, Page};
use crate::proximity::blocking;
use crate::request::{ApiJson, ApiViewer, Form, Params, Viewer};
use crate::AppState;

/// Travel time from a space within which a demand is "in reach", by default and its bounds.
const MINUTES_DEFAULT: u32 = 30;
const MINUTES_RANGE: std::ops::RangeInclusive<u32> = 5..=60;
/// How many spaces with an alliance offer a demand is matched to.
const MATCHES_SHOWN: usize = 5;
/// From how many of a demand's NIL (most desks first) the matching spaces are sought.
const MATCH_FROM_NILS: usize = 3;
const MAP_WIDTH_PX: u32 = 640;
/// Fills of the gap (seats asked minus seats offered), from a surplus of seats to a lack
/// (ColorBrewer "RdBu", reversed so that red is where seats are missing).
const GAP_CLASSES: [(i64, &str, &str); 5] = [
    (-20, "#2166ac", "cw-demand-legend-surplus-large"),
    (-1, "#92c5de", "cw-demand-legend-surplus"),
    (0, "#f7f7f7", "cw-demand-legend-balanced"),
    (19, "#f4a582", "cw-demand-legend-lack"),
    (i64::MAX, "#b2182b", "cw-demand-legend-lack-large"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/coworking/demands",
            get(list_demands).post(create_demand),
        )
        .route("/api/v1/coworking/demands/in-reach", get(demands_in_reach))
        .route(
            "/api/v1/coworking/demands/{id}",
            get(get_demand).delete(delete_demand),
        )
        .route(
            "/api/v1/coworking/demands/{id}/answers",
            post(create_answer),
        )
        .route("/api/v1/coworking/supply-demand", get(supply_demand))
        .route(
            "/coworking/domanda",
            get(demand_form).post(post_demand_form),
        )
        .route("/coworking/domanda/{id}", get(demand_detail))
        .route("/coworking/domanda/{id}/chiudi", post(close_demand_form))
        .route("/coworking/gestione/domanda", get(operator_demand))
        .route(
            "/coworking/gestione/domanda/{id}/rispondi",
            post(answer_demand_form),
        )
        .route(
            "/coordinamento/coworking/domanda-offerta",
            get(balance_page),
        )
}

// -------------------------------------------------------------------------------------------
// Shared by the API and the pages
// -------------------------------------------------------------------------------------------

fn invalid(field: &'static str, message: &'static str) -> Failure {
    Failure::Invalid(Invalid(vec![FieldError::new(field, message)]))
}

fn known_nil(id: u16) -> bool {
    Territory::milan().nil(id).is_some()
}

/// Where a person lives as a NIL: the one they chose, else the one their home point is in.
fn home_nil(p: &CommuteProfile) -> Option<u16> {
    p.home_nil_id
        .and_then(|id| u16::try_from(id).ok())
        .or_else(|| {
            Territory::milan()
                .locate(LatLon::new(p.home_lat, p.home_lon))
                .map(|place| place.nil_id)
        })
}

/// The desks of a demand per NIL: all in the NIL chosen, or spread over the home NIL of the
/// firm's employees who recorded their commute.
async fn nils_of(
    s: &AppState,
    organization_id: Option<i64>,
    d: &NewDemand,
) -> Result<Vec<(i64, i64)>, Failure> {
    let org = match (d.near, organization_id) {
        (Near::Nil(id), _) => return Ok(vec![(i64::from(id), d.desks)]),
        (Near::StaffHomes, Some(org)) => org,
        (Near::StaffHomes, None) => {
            return Err(invalid("near_staff_homes", "error-demand-staff-homes-firm"))
        }
    };
    let mut homes: BTreeMap<u16, u32> = BTreeMap::new();
    for p in s.db.commute_profiles_of_organization(org).await? {
        if let Some(nil) = home_nil(&p) {
            *homes.entry(nil).or_default() += 1;
        }
    }
    let homes: Vec<(u16, u32)> = homes.into_iter().collect();
    let spread = spread_over_homes(d.desks, &homes);
    if spread.is_empty() {
        return Err(invalid("near_staff_homes", "error-demand-no-staff-homes"));
    }
    Ok(spread
        .into_iter()
        .map(|(nil, desks)| (i64::from(nil), desks))
        .collect())
}

/// Posts a demand for the viewer, or for a firm the viewer represents.
async fn post_demand(
    s: &AppState,
    v: &Viewer,
    organization_id: Option<i64>,
    input: &DemandInput,
) -> Result<i64, Failure> {
    if let Some(org) = organization_id {
        let org = s.db.organization(org).await?;
        if !v.represents(org.id) {
            return Err(Failure::Forbidden);
        }
    }
    let today = mire_store::coworking::today();
    let new = input
        .validate(organization_id.is_some(), today, known_nil)
        .map_err(Failure::Invalid)?;
    let nils = nils_of(s, organization_id, &new).await?;
    let alliance = s.db.default_alliance().await?;
    Ok(s.db
        .create_demand(&DemandRecord {
            alliance_id: alliance.id,
            posted_by: v.id(),
            organization_id,
            demand: &new,
            nils: &nils,
            is_demo: false,
        })
        .await?)
}

/// A demand the viewer posted or whose firm they represent; to anyone else it does not exist.
async fn own_demand(s: &AppState, v: &Viewer, id: i64) -> Result<Demand, Failure> {
    let d = s.db.demand(id).await?;
    let mine = d.posted_by == v.id() || d.organization_id.is_some_and(|o| v.represents(o));
    if !mine {
        return Err(Failure::NotFound);
    }
    Ok(d)
}

async fn close(s: &AppState, v: &Viewer, id: i64) -> Result<Demand, Failure> {
    let d = own_demand(s, v, id).await?;
    if !s.db.close_demand(d.id).await? {
        return Err(Failure::Conflict("already_closed"));
    }
    Ok(s.db.demand(d.id).await?)
}

/// A coworking operator the viewer represents; 403 for anyone else.
async fn operator(s: &AppState, v: &Viewer, organization_id: i64) -> Result<Organization, Failure> {
    let org = s.db.organization(organization_id).await?;
    if !v.represents(org.id) || org.kind != OrgKind::CoworkingOperator.as_str() {
        return Err(Failure::Forbidden);
    }
    Ok(org)
}

/// The limit of travel minutes: [`MINUTES_DEFAULT`] when empty, else a whole number in range.
fn minutes_param(raw: &str, field: &'static str) -> Result<u32, Invalid> {
    match raw.trim() {
        "" => Ok(MINUTES_DEFAULT),
        v => v
            .parse::<u32>()
            .ok()
            .filter(|m| MINUTES_RANGE.contains(m))
            .ok_or_else(|| Invalid(vec![FieldError::new(field, "error-demand-minutes")])),
    }
}

/// An open demand some of the operator's spaces reach, with the travel times.
pub struct Reached {
    pub demand: Demand,
    pub nils: Vec<DemandNil>,
    /// (space, NIL of the demand, seconds): the quickest NIL from each space that reaches one,
    /// quickest first.
    pub routes: Vec<(i64, i64, u32)>,
}

/// Seconds by public transport from each space to each NIL's reference point, for the
/// pairs within `minutes`. One search of the engine per space, off the async threads.
async fn travel_times(
    s: &AppState,
    spaces: &[Space],
    nils: &[i64],
    minutes: u32,
) -> Result<Vec<(i64, i64, u32)>, String> {
    let origins: Vec<(i64, LatLon)> = spaces
        .iter()
        .map(|sp| (sp.id, LatLon::new(sp.lat, sp.lon)))
        .collect();
    let targets: Vec<(i64, LatLon)> = nils
        .iter()
        .filter_map(|n| Some((*n, s.proximity.nil(u16::try_from(*n).ok()?)?.at)))
        .collect();
    blocking(s, move |st| {
        let mut out = vec![];
        for (space, from) in origins {
            let limit = TravelLimit {
                from,
                minutes,
                mode: Mode::Transit,
            };
            // A space the engine cannot start from (off its network) reaches nothing.
            let Ok(times) = travel::reachable(&st.engine, limit, &targets) else {
                continue;
            };
            out.extend(times.into_iter().map(|(nil, secs)| (space, nil, secs)));
        }
        out
    })
    .await
}

/// Demand matched to offers without waiting for an operator: the spaces with an approved
/// alliance offer in force that the demand's people reach by public transport within the
/// in-reach default, quickest first. Sought from the NIL with most desks (at most
/// [`MATCH_FROM_NILS`]), keeping each space's quickest time.
async fn offers_in_reach(s: &AppState, nils: &[DemandNil]) -> Result<Vec<Found>, Failure> {
    let mut nils = nils.to_vec();
    nils.sort_by_key(|n| (std::cmp::Reverse(n.desks), n.nil_id));
    let mut best: HashMap<i64, Found> = HashMap::new();
    for n in nils.iter().take(MATCH_FROM_NILS) {
        let Some(at) = u16::try_from(n.nil_id)
            .ok()
            .and_then(|id| s.proximity.nil(id))
            .map(|c| c.at)
        else {
            continue;
        };
        let search = SpaceSearch {
            with_offers: true,
            limit: MATCHES_SHOWN as i64,
            ..SpaceSearch::default()
        };
        let limit = TravelLimit {
            from: at,
            minutes: MINUTES_DEFAULT,
            mode: Mode::Transit,
        };
        for found in travel::find(s, search, Some(limit)).await? {
            let quicker = best
                .get(&found.hit.id)
                .is_none_or(|b| found.travel_secs < b.travel_secs);
            if quicker {
                best.insert(found.hit.id, found);
            }
        }
    }
    let mut matched: Vec<Found> = best.into_values().collect();
    matched.sort_by_key(|f| (f.travel_secs, f.hit.id));
    matched.truncate(MATCHES_SHOWN);
    Ok(matched)
}

/// The open demands within `minutes` of one of the operator's spaces, quickest first.
async fn in_reach(s: &AppState, spaces: &[Space], minutes: u32) -> Result<Vec<Reached>, Failure> {
    let alliance = s.db.default_alliance().await?;
    let demands = s.db.open_demands(alliance.id).await?;
    let all_nils = s.db.open_demand_nils(alliance.id).await?;
    let mut nil_ids: Vec<i64> = all_nils.iter().map(|n| n.nil_id).collect();
    nil_ids.sort();
    nil_ids.dedup();
    let times = travel_times(s, spaces, &nil_ids, minutes)
        .await
        .map_err(Failure::Internal)?;
    let mut by_demand: HashMap<i64, Vec<DemandNil>> = HashMap::new();
    for n in all_nils {
        by_demand.entry(n.demand_id).or_default().push(n);
    }
    let mut out: Vec<Reached> = demands
        .into_iter()
        .filter_map(|demand| {
            let nils = by_demand.remove(&demand.id).unwrap_or_default();
            let routes = quickest_routes(&nils, &times);
            (!routes.is_empty()).then_some(Reached {
                demand,
                nils,
                routes,
            })
        })
        .collect();
    out.sort_by_key(|r| (r.routes[0].2, r.demand.id));
    Ok(out)
}

/// For each space, its quickest route to one of the demand's NIL; quickest first.
fn quickest_routes(nils: &[DemandNil], times: &[(i64, i64, u32)]) -> Vec<(i64, i64, u32)> {
    let mut best: BTreeMap<i64, (i64, u32)> = BTreeMap::new();
    for &(space, nil, secs) in times {
        if !nils.iter().any(|n| n.nil_id == nil) {
            continue;
        }
        let entry = best.entry(space).or_insert((nil, secs));
        if secs < entry.1 {
            *entry = (nil, secs);
        }
    }
    let mut routes: Vec<(i64, i64, u32)> = best
        .into_iter()
        .map(|(space, (nil, secs))| (space, nil, secs))
        .collect();
    routes.sort_by_key(|r| (r.2, r.0));
    routes
}

fn minutes_of(secs: u32) -> u32 {
    secs.div_ceil(60).max(1)
}

/// The space an answer comes from and its message, checked: the space must be the viewer's
/// (else 403) and the offer, if any, one of its approved offers in force.
async fn answer_fields(
    s: &AppState,
    v: &Viewer,
    space_id: Option<i64>,
    offer_id: Option<i64>,
    message: &str,
) -> Result<(Space, String), Failure> {
    let mut e = Invalid::default();
    let space = match space_id {
        None => {
            e.push("space_id", "error-required");
            None
        }
        Some(id) => match s.db.space(id).await {
            Ok(space) => Some(space),
            Err(mire_store::StoreError::NotFound) => {
                e.push("space_id", "error-choice");
                None
            }
            Err(other) => return Err(other.into()),
        },
    };
    if space.as_ref().is_some_and(|sp| !may_manage(v, sp)) {
        return Err(Failure::Forbidden);
    }
    let message = e.check(answer_message(message));
    if let (Some(offer), Some(sp)) = (offer_id, &space) {
        let in_force = s.db.offers(sp.id, true).await?;
        if !in_force.iter().any(|o| o.id == offer) {
            e.push("offer_id", "error-demand-offer");
        }
    }
    match (space, message, e.is_empty()) {
        (Some(space), Some(message), true) => Ok((space, message)),
        _ => Err(Failure::Invalid(e)),
    }
}

/// An operator answers an open demand from one of its spaces, optionally with one of the
/// space's approved offers; the poster is told by e-mail.
async fn answer(
    s: &AppState,
    v: &Viewer,
    demand_id: i64,
    space_id: Option<i64>,
    offer_id: Option<i64>,
    message: &str,
) -> Result<Answer, Failure> {
    let demand = s.db.demand(demand_id).await?;
    let (space, message) = answer_fields(s, v, space_id, offer_id, message).await?;
    let record = AnswerRecord {
        demand_id: demand.id,
        organization_id: space.organization_id,
        space_id: space.id,
        offer_id,
        message: &message,
        answered_by: v.id(),
    };
    let id = s.db.answer_demand(&record).await.map_err(|e| match e {
        AnswerError::NotFound => Failure::NotFound,
        AnswerError::Closed => Failure::Conflict("demand_closed"),
        AnswerError::AlreadyAnswered => Failure::Conflict("already_answered"),
        AnswerError::Store(e) => e.into(),
    })?;
    let answer = s.db.answer(id).await?;
    send_answer_mail(s, &demand, &answer).await;
    Ok(answer)
}

/// The offer an answer carries, as the offer views show it.
fn offer_of(a: &Answer) -> Option<Offer> {
    Some(Offer {
        id: a.offer_id?,
        space_id: a.space_id,
        space_name: a.space_name.clone(),
        kind: a.offer_kind.clone()?,
        title: a.offer_title.clone().unwrap_or_default(),
        description: None,
        discount_percent: a.discount_percent,
        trial_days: a.trial_days,
        pack_days: a.pack_days,
        pack_price_cents: a.pack_price_cents,
        valid_until: a.valid_until.clone(),
        status: "approved".into(),
        decided_at: None,
        created_at: a.created_at,
    })
}

/// "Title: terms" of the offer an answer carries, or "".
fn offer_text(p: &Page, a: &Answer) -> String {
    offer_of(a)
        .map(|o| {
            let v = offer_view(p, &o);
            format!("{}: {}", v.title, v.terms)
        })
        .unwrap_or_default()
}

/// Tells the poster a space answered their demand.
async fn send_answer_mail(s: &AppState, d: &Demand, a: &Answer) {
    let Ok(user) = s.db.user(d.posted_by).await else {
        return;
    };
    let Some(to) = user.email.clone() else { return };
    let p = Page {
        lang: Lang::parse(&user.locale).unwrap_or_default(),
        viewer: None,
        csrf: String::new(),
        here: String::new(),
    };
    let offer = offer_text(&p, a);
    let body = format!(
        "{}\n\n{} – {}\n{}\n{}\n\n{}\n\n{}/coworking/domanda/{}\n\n{}",
        p.t("mail-demand-answer-body"),
        a.organization_name,
        a.space_name,
        a.space_address,
        offer,
        a.message,
        s.config.base_url(),
        d.id,
        p.t("mail-signature"),
    );
    s.mailer
        .send(Message {
            to,
            subject: format!("{} – {}", p.t("mail-demand-answer-subject"), a.space_name),
            body,
        })
        .await;
}

/// Seats offered and asked per NIL, largest lack of seats first; coordinators and
/// evaluators of the alliance only.
async fn balance(s: &AppState, v: &Viewer) -> Result<Vec<NilBalance>, Failure> {
    let alliance = s.db.default_alliance().await?;
    if !(v.is_coordinator(alliance.id) || v.has_alliance_role(alliance.id, "evaluator")) {
        return Err(Failure::Forbidden);
    }
    let mut rows = s.db.supply_and_demand(alliance.id).await?;
    rows.sort_by_key(|r| (std::cmp::Reverse(gap(r)), r.nil_id));
    Ok(rows)
}

/// Seats asked minus seats offered: positive where the city lacks coworking.
fn gap(b: &NilBalance) -> i64 {
    b.seats_asked - b.seats_offered
}

fn gap_class(gap: i64) -> (&'static str, &'static str) {
    GAP_CLASSES
        .iter()
        .find(|(upper, _, _)| gap <= *upper)
        .map(|(_, fill, label)| (*fill, *label))
        .unwrap_or((GAP_CLASSES[4].1, GAP_CLASSES[4].2))
}

// -------------------------------------------------------------------------------------------
// API
// -------------------------------------------------------------------------------------------

fn nil_json(n: &DemandNil) -> Value {
    json!({ "nil_id": n.nil_id, "nil_name": nil_name(n.nil_id), "desks": n.desks })
}

/// A demand as its poster sees it (operators see the same without the poster's id).
fn demand_json(d: &Demand, nils: &[DemandNil]) -> Value {
    json!({
        "id": d.id, "organization_id": d.organization_id, "organization_name": d.organization_name,
        "desks": d.desks, "weekdays": Weekdays(d.weekdays).keys(), "from_date": d.from_date,
        "near_staff_homes": d.near_staff_homes != 0, "budget_cents": d.budget_cents, "note": d.note,
        "status": d.status, "is_demo": d.is_demo != 0, "created_at": d.created_at, "closed_at": d.closed_at,
        "nils": nils.iter().map(nil_json).collect::<Vec<_>>(),
    })
}

async fn full_demand_json(s: &AppState, d: &Demand) -> Result<Value, ApiError> {
    let mut body = demand_json(d, &s.db.demand_nils(d.id).await?);
    body["posted_by"] = json!(d.posted_by);
    body["answers"] = json!(s.db.answers_of_demand(d.id).await?);
    Ok(body)
}

/// The spaces a demand is matched to, for the API.
async fn offers_in_reach_json(s: &AppState, d: &Demand) -> Result<Value, ApiError> {
    let nils = s.db.demand_nils(d.id).await?;
    Ok(offers_in_reach(s, &nils)
        .await?
        .iter()
        .map(|f| {
            json!({
                "space_id": f.hit.id, "name": f.hit.name, "address": f.hit.address,
                "nil_id": f.hit.nil_id, "is_demo": f.hit.is_demo,
                "travel_minutes": f.travel_minutes(),
            })
        })
        .collect())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewDemandBody {
    /// The firm the desks are for; omitted when asking for oneself (exactly one desk).
    #[schema(value_type = Option<i64>)]
    organization_id: Option<serde_json::Number>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    demand: DemandInput,
}

/// Posts a demand for desks, for oneself or for a firm the caller represents.
#[utoipa::path(post, path = "/api/v1/coworking/demands", tag = "coworking",
    request_body(content = Object, description = "{organization_id?, desks, weekdays: [\"mon\"..\"sun\"], from_date: \"YYYY-MM-DD\", near_nil_id | near_staff_homes: true, budget_cents?, note?}"),
    responses((status = 201, description = "The demand"), (status = 403), (status = 404), (status = 422)))]
pub async fn create_demand(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(body): ApiJson<NewDemandBody>,
) -> Result<impl IntoResponse, ApiError> {
    let org = match &body.organization_id {
        None => None,
        Some(n) => Some(
            n.as_i64()
                .filter(|i| *i > 0)
                .ok_or(ApiError::field("organization_id", "error-number-range"))?,
        ),
    };
    let id = post_demand(&s, &v, org, &body.demand).await?;
    let d = s.db.demand(id).await?;
    Ok((StatusCode::CREATED, Json(full_demand_json(&s, &d).await?)))
}

/// The caller's demands and those of the firms they represent, newest first.
#[utoipa::path(get, path = "/api/v1/coworking/demands", tag = "coworking", responses((status = 200), (status = 401)))]
pub async fn list_demands(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let mut items = vec![];
    for d in s.db.demands_of_user(v.id()).await? {
        items.push(full_demand_json(&s, &d).await?);
    }
    Ok(Json(json!({ "items": items })))
}

/// A demand with its NIL, its answers and `offers_in_reach`: the spaces with an approved
/// alliance offer within 30 minutes by public transport of its NIL, quickest first. Its
/// poster and the firm's representatives only (404 for anyone else).
#[utoipa::path(get, path = "/api/v1/coworking/demands/{id}", tag = "coworking", responses((status = 200), (status = 404)))]
pub async fn get_demand(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = own_demand(&s, &v, api_id(&id)?).await?;
    let mut body = full_demand_json(&s, &d).await?;
    body["offers_in_reach"] = offers_in_reach_json(&s, &d).await?;
    Ok(Json(body))
}

/// Closes a demand: operators no longer see it and it leaves the sums.
#[utoipa::path(delete, path = "/api/v1/coworking/demands/{id}", tag = "coworking",
    responses((status = 200), (status = 404), (status = 409, description = "already_closed")))]
pub async fn delete_demand(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = close(&s, &v, api_id(&id)?).await?;
    Ok(Json(full_demand_json(&s, &d).await?))
}

/// Open demands within `minutes` (5-60, default 30) by public transport of one of the
/// operator's spaces, quickest first, with the travel minutes from each space.
#[utoipa::path(get, path = "/api/v1/coworking/demands/in-reach", tag = "coworking",
    params(("organization_id" = i64, Query), ("minutes" = Option<i64>, Query)),
    responses((status = 200), (status = 403), (status = 404), (status = 422)))]
pub async fn demands_in_reach(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let org = match q.get("organization_id").trim() {
        "" => return Err(ApiError::field("organization_id", "error-required")),
        raw => api_id(raw)?,
    };
    let org = operator(&s, &v, org).await?;
    let minutes = minutes_param(q.get("minutes"), "minutes").map_err(ApiError::Invalid)?;
    let spaces = s.db.spaces_of_organization(org.id).await?;
    let answered = s.db.answered_by_organization(org.id).await?;
    let items: Vec<Value> = in_reach(&s, &spaces, minutes)
        .await?
        .iter()
        .map(|r| {
            let mut item = demand_json(&r.demand, &r.nils);
            item["minutes"] = json!(minutes_of(r.routes[0].2));
            item["reached_from"] = r
                .routes
                .iter()
                .map(|(space, nil, secs)| {
                    json!({ "space_id": space, "nil_id": nil, "minutes": minutes_of(*secs) })
                })
                .collect();
            item["answered_space_ids"] = answered
                .iter()
                .filter(|(d, _)| *d == r.demand.id)
                .map(|(_, space)| *space)
                .collect();
            item
        })
        .collect();
    Ok(Json(
        json!({ "organization_id": org.id, "minutes": minutes, "items": items }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewAnswer {
    #[schema(value_type = i64)]
    space_id: Option<serde_json::Number>,
    /// One of the space's approved offers in force.
    #[schema(value_type = Option<i64>)]
    offer_id: Option<serde_json::Number>,
    #[serde(default)]
    message: String,
}

fn optional_id(
    field: &'static str,
    v: &Option<serde_json::Number>,
) -> Result<Option<i64>, ApiError> {
    match v {
        None => Ok(None),
        Some(n) => n
            .as_i64()
            .filter(|i| *i > 0)
            .map(Some)
            .ok_or(ApiError::field(field, "error-choice")),
    }
}

/// An operator answers an open demand from one of its spaces; once per space.
#[utoipa::path(post, path = "/api/v1/coworking/demands/{id}/answers", tag = "coworking", request_body = NewAnswer,
    responses((status = 201, description = "The answer"), (status = 403), (status = 404),
        (status = 409, description = "already_answered, demand_closed"), (status = 422)))]
pub async fn create_answer(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewAnswer>,
) -> Result<impl IntoResponse, ApiError> {
    let demand = api_id(&id)?;
    let space = optional_id("space_id", &body.space_id)?;
    let offer = optional_id("offer_id", &body.offer_id)?;
    let a = answer(&s, &v, demand, space, offer, &body.message).await?;
    Ok((StatusCode::CREATED, Json(json!(a))))
}

/// Seats offered (open and fixed desks of the spaces in the NIL) and asked (desks of open
/// demands) per NIL, largest lack first: coordinators and evaluators.
#[utoipa::path(get, path = "/api/v1/coworking/supply-demand", tag = "coworking", responses((status = 200), (status = 403)))]
pub async fn supply_demand(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let items: Vec<Value> = balance(&s, &v)
        .await?
        .iter()
        .map(|b| {
            let municipio = u16::try_from(b.nil_id)
                .ok()
                .and_then(|n| Territory::milan().nil(n))
                .map(|n| n.municipio);
            json!({
                "nil_id": b.nil_id, "nil_name": nil_name(b.nil_id), "municipio": municipio,
                "seats_offered": b.seats_offered, "seats_asked": b.seats_asked, "gap": gap(b),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

// -------------------------------------------------------------------------------------------
// Pages: the poster's form, list and detail
// -------------------------------------------------------------------------------------------

/// A demand in words.
pub struct DemandView {
    pub id: i64,
    pub who: String,
    pub desks: String,
    pub days: String,
    pub from: String,
    pub places: String,
    pub budget: String,
    pub note: String,
    pub status: String,
    pub open: bool,
    pub is_demo: bool,
}

fn days_text(p: &Page, mask: i64) -> String {
    Weekdays(mask)
        .keys()
        .iter()
        .map(|k| p.t(&format!("cw-demand-day-{k}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn places_text(nils: &[DemandNil]) -> String {
    nils.iter()
        .map(|n| format!("{} ({})", nil_name(n.nil_id), n.desks))
        .collect::<Vec<_>>()
        .join(", ")
}

fn demand_view(p: &Page, d: &Demand, nils: &[DemandNil]) -> DemandView {
    DemandView {
        id: d.id,
        who: d
            .organization_name
            .clone()
            .unwrap_or_else(|| p.t("cw-demand-for-self")),
        desks: p.t1("cw-demand-desks", "count", d.desks),
        days: days_text(p, d.weekdays),
        from: date_text(p.lang, &d.from_date),
        places: places_text(nils),
        budget: d
            .budget_cents
            .map(|c| p.t1("cw-demand-budget-per-day", "amount", money(p.lang, c)))
            .unwrap_or_default(),
        note: d.note.clone().unwrap_or_default(),
        status: p.t(&format!("cw-demand-status-{}", d.status)),
        open: d.status == "open",
        is_demo: d.is_demo != 0,
    }
}

/// The organisations the viewer may post for (those they represent), as (id, name).
async fn firms_of(s: &AppState, v: &Viewer) -> Result<Vec<(String, String)>, PageError> {
    Ok(s.db
        .organizations_of(v.id())
        .await?
        .into_iter()
        .filter(|(o, _)| v.represents(o.id))
        .map(|(o, _)| (o.id.to_string(), o.name))
        .collect())
}

#[derive(Template)]
#[template(path = "coworking/demand_form.html")]
struct DemandFormPage {
    p: Page,
    form: FormState,
    firms: Vec<(String, String)>,
    days: Vec<Choice>,
    nils: Vec<Choice>,
    demands: Vec<DemandView>,
    notice: String,
    tools: Vec<(String, String)>,
    budget_max: String,
}

async fn demand_form_page(
    s: &AppState,
    p: Page,
    form: FormState,
    checked_days: &[String],
    notice: String,
) -> Result<DemandFormPage, PageError> {
    let v = p.require()?.clone();
    let mut demands = vec![];
    for d in s.db.demands_of_user(v.id()).await? {
        let nils = s.db.demand_nils(d.id).await?;
        demands.push(demand_view(&p, &d, &nils));
    }
    let days = WEEKDAY_KEYS
        .iter()
        .map(|k| Choice {
            value: (*k).to_owned(),
            label: p.t(&format!("cw-demand-day-{k}")),
            checked: checked_days.iter().any(|c| c == k),
        })
        .collect();
    Ok(DemandFormPage {
        firms: firms_of(s, &v).await?,
        nils: nil_choices(form.v("near_nil_id")),
        tools: tools(&p),
        budget_max: money(p.lang, mire_domain::coworking_demand::BUDGET_MAX_CENTS),
        p,
        form,
        days,
        demands,
        notice,
    })
}

pub async fn demand_form(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    p.require()?;
    let today = rules::iso(mire_store::coworking::today());
    let form = FormState::new(
        [
            ("desks", "1".to_owned()),
            ("from_date", today),
            ("near_where", "nil".to_owned()),
        ],
        Invalid::default(),
    );
    let notice = match q.get("chiusa") {
        "1" => p.t("cw-demand-notice-closed"),
        _ => String::new(),
    };
    let weekdays: Vec<String> = ["mon", "tue", "wed", "thu", "fri"].map(String::from).into();
    render(&demand_form_page(&s, p, form, &weekdays, notice).await?)
}

/// The demand typed in the form, and the errors of fields that could not even be read.
fn demand_input(pairs: &[(String, String)], e: &mut Invalid) -> DemandInput {
    let staff = first(pairs, "near_where") == "staff";
    DemandInput {
        desks: number_field("desks", &first(pairs, "desks"), e),
        weekdays: all(pairs, "weekday"),
        from_date: first(pairs, "from_date"),
        near_nil_id: if staff {
            None
        } else {
            number_field("near_nil_id", &first(pairs, "near_nil_id"), e)
        },
        near_staff_homes: staff,
        budget_cents: cents_field("budget", &first(pairs, "budget"), e),
        note: first(pairs, "note"),
    }
}

const DEMAND_FIELD_NAMES: [(&str, &str); 3] = [
    ("near_staff_homes", "near_where"),
    ("budget_cents", "budget"),
    ("organization_id", "for_org"),
];

pub async fn post_demand_form(
    State(s): State<AppState>,
    p: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let mut e = Invalid::default();
    let org = match first(&pairs, "for_org").trim() {
        "" => None,
        raw => Some(page_id(raw)?),
    };
    let input = demand_input(&pairs, &mut e);
    let errors = if e.is_empty() {
        match post_demand(&s, &v, org, &input).await {
            Ok(id) => {
                return Ok(
                    Redirect::to(&format!("/coworking/domanda/{id}?pubblicata=1")).into_response(),
                )
            }
            Err(Failure::Invalid(i)) => i,
            Err(f) => return Err(PageError::from(f)),
        }
    } else {
        let today = mire_store::coworking::today();
        match input.validate(org.is_some(), today, known_nil) {
            Ok(_) => e,
            Err(i) => i.overridden_by(e),
        }
    };
    let keep = |k: &'static str| (k, first(&pairs, k));
    let form = FormState::new(
        [
            keep("for_org"),
            keep("desks"),
            keep("from_date"),
            keep("near_where"),
            keep("near_nil_id"),
            keep("budget"),
            keep("note"),
        ],
        rename(errors, &DEMAND_FIELD_NAMES),
    );
    let days = all(&pairs, "weekday");
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &demand_form_page(&s, p, form, &days, String::new()).await?,
    )
}

pub struct AnswerView {
    pub organization: String,
    pub space_id: i64,
    pub space_name: String,
    pub address: String,
    pub offer: String,
    pub message: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "coworking/demand_detail.html")]
struct DemandDetailPage {
    p: Page,
    d: DemandView,
    answers: Vec<AnswerView>,
    matches: Vec<MatchView>,
    minutes: u32,
    notice: String,
}

/// A space with an alliance offer within reach of the demand.
pub struct MatchView {
    pub space_id: i64,
    pub name: String,
    pub address: String,
    pub travel: String,
    pub is_demo: bool,
}

pub async fn demand_detail(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let d = own_demand(&s, &v, page_id(&id)?).await?;
    let nils = s.db.demand_nils(d.id).await?;
    let answers =
        s.db.answers_of_demand(d.id)
            .await?
            .iter()
            .map(|a| AnswerView {
                organization: a.organization_name.clone(),
                space_id: a.space_id,
                space_name: a.space_name.clone(),
                address: a.space_address.clone(),
                offer: offer_text(&p, a),
                message: a.message.clone(),
                date: p.date(&a.created_at),
            })
            .collect();
    let notice = match q.get("pubblicata") {
        "1" => p.t("cw-demand-notice-posted"),
        _ => String::new(),
    };
    let matches = offers_in_reach(&s, &nils)
        .await?
        .iter()
        .map(|f| MatchView {
            space_id: f.hit.id,
            name: f.hit.name.clone(),
            address: f.hit.address.clone(),
            travel: travel_text(&p, f, Some(Mode::Transit)),
            is_demo: f.hit.is_demo,
        })
        .collect();
    let d = demand_view(&p, &d, &nils);
    render(&DemandDetailPage {
        p,
        d,
        answers,
        matches,
        minutes: MINUTES_DEFAULT,
        notice,
    })
}

pub async fn close_demand_form(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    match close(&s, &v, page_id(&id)?).await {
        // A demand already closed (a second click) ends where the first click did.
        Ok(_) | Err(Failure::Conflict(_)) => {
            Ok(Redirect::to("/coworking/domanda?chiusa=1").into_response())
        }
        Err(f) => Err(PageError::from(f)),
    }
}

// -------------------------------------------------------------------------------------------
// Pages: the operator's view of the demand in reach, with an answer form for each
// -------------------------------------------------------------------------------------------

pub struct ReachView {
    pub d: DemandView,
    pub nearest: String,
    pub spaces: Vec<Choice>,
    pub offers: Vec<Choice>,
    pub answered: Vec<String>,
    pub form: FormState,
}

#[derive(Template)]
#[template(path = "coworking/demand_operator.html")]
struct OperatorPage {
    p: Page,
    org: Organization,
    minutes: String,
    minutes_form: FormState,
    has_spaces: bool,
    rows: Vec<ReachView>,
    notice: String,
}

/// A refused answer: the demand it was for and what was typed.
struct Refused {
    demand_id: i64,
    form: FormState,
}

/// The approved offers of the operator's spaces, as choices labelled with space and terms.
async fn offer_choices(s: &AppState, p: &Page, spaces: &[Space]) -> Result<Vec<Choice>, PageError> {
    let mut out = vec![];
    for sp in spaces {
        for o in s.db.offers(sp.id, true).await? {
            let v = offer_view(p, &o);
            out.push(Choice {
                value: o.id.to_string(),
                label: format!("{} – {}: {}", sp.name, v.title, v.terms),
                checked: false,
            });
        }
    }
    Ok(out)
}

fn reach_view(
    p: &Page,
    r: &Reached,
    spaces: &[Space],
    offers: &[Choice],
    answered: &[(i64, i64)],
    refused: Option<&Refused>,
) -> ReachView {
    let space_name = |id: i64| {
        spaces
            .iter()
            .find(|sp| sp.id == id)
            .map(|sp| sp.name.clone())
            .unwrap_or_default()
    };
    let (space, nil, secs) = r.routes[0];
    let form = refused
        .filter(|f| f.demand_id == r.demand.id)
        .map(|f| f.form.clone())
        .unwrap_or_default();
    let chosen_space = match form.v("answer_space") {
        "" => space.to_string(),
        v => v.to_owned(),
    };
    let minutes_from = |id: i64| r.routes.iter().find(|x| x.0 == id).map(|x| minutes_of(x.2));
    let mut d = demand_view(p, &r.demand, &r.nils);
    if r.demand.organization_id.is_none() {
        // Operators are not told who the person is, only that they ask for themselves.
        d.who = p.t("cw-demand-a-worker");
    }
    ReachView {
        d,
        nearest: crate::I18N.t(
            p.lang,
            "cw-demand-nearest",
            &[
                ("nil", nil_name(nil).into()),
                ("minutes", minutes_of(secs).into()),
                ("space", space_name(space).into()),
            ],
        ),
        spaces: spaces
            .iter()
            .map(|sp| Choice {
                value: sp.id.to_string(),
                label: match minutes_from(sp.id) {
                    Some(m) => crate::I18N.t(
                        p.lang,
                        "cw-demand-space-minutes",
                        &[("space", sp.name.clone().into()), ("minutes", m.into())],
                    ),
                    None => sp.name.clone(),
                },
                checked: sp.id.to_string() == chosen_space,
            })
            .collect(),
        offers: offers
            .iter()
            .map(|o| Choice {
                value: o.value.clone(),
                label: o.label.clone(),
                checked: o.value == form.v("answer_offer"),
            })
            .collect(),
        answered: answered
            .iter()
            .filter(|(d, _)| *d == r.demand.id)
            .map(|(_, sp)| space_name(*sp))
            .collect(),
        form,
    }
}

async fn operator_page(
    s: &AppState,
    p: Page,
    org_raw: &str,
    minutes_raw: &str,
    refused: Option<Refused>,
    notice: String,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let org = operator(s, &v, page_id(org_raw)?).await?;
    let (minutes, minutes_errors) = match minutes_param(minutes_raw, "minuti") {
        Ok(m) => (m, Invalid::default()),
        Err(e) => (MINUTES_DEFAULT, e),
    };
    let spaces = s.db.spaces_of_organization(org.id).await?;
    let reached = in_reach(s, &spaces, minutes).await?;
    let answered = s.db.answered_by_organization(org.id).await?;
    let offers = offer_choices(s, &p, &spaces).await?;
    let rows = reached
        .iter()
        .map(|r| reach_view(&p, r, &spaces, &offers, &answered, refused.as_ref()))
        .collect();
    let status = if refused.is_some() || !minutes_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let shown = if minutes_errors.is_empty() {
        minutes.to_string()
    } else {
        minutes_raw.to_owned()
    };
    let minutes_form = FormState::new([("minuti", shown.clone())], minutes_errors);
    render_status(
        status,
        &OperatorPage {
            p,
            org,
            minutes: minutes.to_string(),
            minutes_form,
            has_spaces: !spaces.is_empty(),
            rows,
            notice,
        },
    )
}

pub async fn operator_demand(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let notice = match q.get("risposta") {
        "1" => p.t("cw-demand-notice-answered"),
        _ => String::new(),
    };
    operator_page(&s, p, q.get("org"), q.get("minuti"), None, notice).await
}

const ANSWER_FIELD_NAMES: [(&str, &str); 3] = [
    ("space_id", "answer_space"),
    ("offer_id", "answer_offer"),
    ("message", "answer_message"),
];

pub async fn answer_demand_form(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let demand_id = page_id(&id)?;
    let (org, minutes) = (first(&pairs, "org"), first(&pairs, "minuti"));
    let id_of = |name: &str| first(&pairs, name).trim().parse::<i64>().ok();
    let space = id_of("answer_space");
    let offer = id_of("answer_offer");
    let message = first(&pairs, "answer_message");
    let back = |extra: &str| {
        format!(
            "/coworking/gestione/domanda?org={}&minuti={}{extra}",
            org.trim(),
            minutes.trim()
        )
    };
    match answer(&s, &v, demand_id, space, offer, &message).await {
        Ok(_) => Ok(Redirect::to(&back("&risposta=1")).into_response()),
        Err(Failure::Invalid(errors)) => {
            let keep = |k: &'static str| (k, first(&pairs, k));
            let form = FormState::new(
                [
                    keep("answer_space"),
                    keep("answer_offer"),
                    keep("answer_message"),
                ],
                rename(errors, &ANSWER_FIELD_NAMES),
            );
            let refused = Refused { demand_id, form };
            operator_page(&s, p, &org, &minutes, Some(refused), String::new()).await
        }
        Err(Failure::Conflict(code)) => {
            let body = p.t(&format!("cw-demand-{}", code.replace('_', "-")));
            let title = p.t("cw-demand-answer-refused");
            let link = Some((back(""), p.t("cw-demand-operator-title")));
            render_status(
                StatusCode::CONFLICT,
                &Notice {
                    p,
                    title,
                    body,
                    link,
                },
            )
        }
        Err(f) => Err(PageError::from(f)),
    }
}

// -------------------------------------------------------------------------------------------
// Page: the coordination's table and map of seats offered against seats asked
// -------------------------------------------------------------------------------------------

pub struct BalanceView {
    pub nil_id: i64,
    pub name: String,
    pub municipio: String,
    pub offered: i64,
    pub asked: i64,
    pub gap: String,
}

#[derive(Template)]
#[template(path = "coworking/demand_balance.html")]
struct BalancePage {
    p: Page,
    rows: Vec<BalanceView>,
    map: String,
    offered: i64,
    asked: i64,
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

pub async fn balance_page(State(s): State<AppState>, p: Page) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let balances = balance(&s, &v).await?;
    let mut map = Map::new(Territory::milan(), MAP_WIDTH_PX)
        .id("demand-map")
        .title(&p.t("cw-demand-map-title"), &p.t("cw-demand-map-desc"));
    let mut rows = vec![];
    for b in &balances {
        let nil = u16::try_from(b.nil_id)
            .ok()
            .and_then(|n| Territory::milan().nil(n));
        let (fill, _) = gap_class(gap(b));
        let label = crate::I18N.t(
            p.lang,
            "cw-demand-map-label",
            &[
                ("offered", b.seats_offered.into()),
                ("asked", b.seats_asked.into()),
            ],
        );
        if let Some(n) = nil {
            map = map.fill_nil(n.id, fill, &label);
        }
        rows.push(BalanceView {
            nil_id: b.nil_id,
            name: nil_name(b.nil_id),
            municipio: nil.map(|n| n.municipio.to_string()).unwrap_or_default(),
            offered: b.seats_offered,
            asked: b.seats_asked,
            gap: signed(gap(b)),
        });
    }
    let legend = GAP_CLASSES
        .iter()
        .map(|(_, fill, label)| ((*fill).to_owned(), p.t(label)))
        .collect();
    let map = map.legend(legend).render();
    render(&BalancePage {
        offered: balances.iter().map(|b| b.seats_offered).sum(),
        asked: balances.iter().map(|b| b.seats_asked).sum(),
        p,
        rows,
        map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gap_picks_its_class() {
        assert_eq!(gap_class(-50).0, "#2166ac");
        assert_eq!(gap_class(-20).0, "#2166ac");
        assert_eq!(gap_class(-19).0, "#92c5de");
        assert_eq!(gap_class(0).0, "#f7f7f7");
        assert_eq!(gap_class(1).0, "#f4a582");
        assert_eq!(gap_class(20).0, "#b2182b");
    }

    #[test]
    fn each_space_keeps_its_quickest_nil() {
        let nils = [
            DemandNil {
                demand_id: 1,
                nil_id: 10,
                desks: 1,
            },
            DemandNil {
                demand_id: 1,
                nil_id: 11,
                desks: 1,
            },
        ];
        let times = [(5, 10, 900), (5, 11, 300), (6, 10, 200), (7, 12, 10)];
        assert_eq!(quickest_routes(&nils, &times), [(6, 10, 200), (5, 11, 300)]);
    }

    #[test]
    fn minutes_are_bounded() {
        assert_eq!(minutes_param("", "minutes").unwrap(), 30);
        assert_eq!(minutes_param(" 45 ", "minutes").unwrap(), 45);
        assert!(minutes_param("4", "minutes").is_err());
        assert!(minutes_param("61", "minutes").is_err());
        assert!(minutes_param("mezz'ora", "minutes").is_err());
    }
}
