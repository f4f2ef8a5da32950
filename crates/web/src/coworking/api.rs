use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use mire_domain::coworking::{
    self as rules, Amenity, CheckIn, OfferInput, Period, ResourceInput, SpaceInput,
};
use mire_geo::proximity::Mode;
use mire_geo::LatLon;
use mire_store::coworking::{
    Booking, BookingOutcome, BookingRequest, CreditError, DecisionError, Space, SpaceSearch,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::may_manage;
use super::travel::{self, TravelLimit};
use crate::error::{api_id, ApiError};
use crate::proximity::{point_message, ProximityState};
use crate::request::{ApiJson, ApiViewer, MaybeViewer, Params, Viewer};
use crate::AppState;

/// A required positive id from a JSON number.
fn id_field(field: &'static str, v: &Option<serde_json::Number>) -> Result<i64, ApiError> {
    match v {
        None => Err(ApiError::field(field, "error-required")),
        Some(n) => n
            .as_i64()
            .filter(|i| *i > 0)
            .ok_or(ApiError::field(field, "error-number-range")),
    }
}

fn date_param(q: &Params, name: &'static str) -> Result<Option<NaiveDate>, ApiError> {
    match q.get(name).trim() {
        "" => Ok(None),
        v => rules::parse_date(name, v)
            .map(Some)
            .map_err(|e| ApiError::field(e.field, e.message)),
    }
}

/// What anyone may see of a space.
fn space_json(s: &Space) -> Value {
    let hours: serde_json::Map<String, Value> = s
        .hours()
        .as_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    json!({
        "id": s.id, "organization_id": s.organization_id, "organization_name": s.organization_name,
        "name": s.name, "description_it": s.description_it, "description_en": s.description_en,
        "address": s.address, "lat": s.lat, "lon": s.lon, "nil_id": s.nil_id, "municipio": s.municipio,
        "opening_hours": hours, "amenities": s.amenity_list(),
        "email": s.email, "phone": s.phone, "website": s.website,
        "price_day_cents": s.price_day_cents, "price_half_day_cents": s.price_half_day_cents,
        "price_month_cents": s.price_month_cents,
        "rules": { "horizon_days": s.horizon_days, "max_active_bookings": s.max_active_bookings, "cancel_hours": s.cancel_hours },
        "is_demo": s.is_demo != 0,
    })
}

async fn managed_space(s: &AppState, v: &Viewer, raw_id: &str) -> Result<Space, ApiError> {
    let space = s.db.space(api_id(raw_id)?).await?;
    if !may_manage(v, &space) {
        return Err(ApiError::Forbidden);
    }
    Ok(space)
}

/// Searches spaces: `municipio`, `nil`, `date` and `period` (a desk free then), `amenities`
/// (comma-separated, all required), `max_price_cents`, `offers=1` (approved offers only),
/// `lat`+`lon` or `near_nil` (+`radius_m`, default 3000) for the nearest first, `minutes`
/// (+`mode`) for those reachable in that time, quickest first; `limit`, `offset`.
#[utoipa::path(get, path = "/api/v1/coworking/spaces", tag = "coworking",
    params(("municipio" = Option<i64>, Query), ("nil" = Option<i64>, Query), ("date" = Option<String>, Query),
        ("period" = Option<String>, Query), ("amenities" = Option<String>, Query), ("max_price_cents" = Option<i64>, Query),
        ("offers" = Option<bool>, Query), ("lat" = Option<f64>, Query), ("lon" = Option<f64>, Query),
        ("near_nil" = Option<i64>, Query, description = "Instead of lat and lon: a NIL, from its reference point (the one the proximity pages use)"),
        ("radius_m" = Option<f64>, Query, description = "Straight-line distance from the point; default 3000 unless minutes is given"),
        ("minutes" = Option<i64>, Query, description = "Only spaces reachable from the point within this many minutes (1 to 60), sorted by travel time; each item then has travel_minutes"),
        ("mode" = Option<String>, Query, description = "With minutes: transit (default) or walk"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, description = "{items: [{id, name, address, lat, lon, nil_id, municipio, amenities, is_demo, desk_price_cents, desk_seats, free_seats, has_offer, distance_m, travel_minutes}]}"),
        (status = 422, description = "A filter is invalid (fields named, e.g. minutes, mode, lat, near_nil)")))]
pub async fn search(State(s): State<AppState>, q: Params) -> Result<Json<Value>, ApiError> {
    let (q, travel) = search_query(&q, &s.proximity).map_err(ApiError::Invalid)?;
    let found = travel::find(&s, q, travel).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|f| {
            let h = &f.hit;
            json!({
                "id": h.id, "name": h.name, "address": h.address, "lat": h.lat, "lon": h.lon,
                "nil_id": h.nil_id, "municipio": h.municipio, "amenities": Amenity::from_mask(h.amenities),
                "is_demo": h.is_demo, "desk_price_cents": h.desk_price_cents, "desk_seats": h.desk_seats,
                "free_seats": h.free_seats, "has_offer": h.has_offer,
                "distance_m": h.distance_m.map(|d| d.round() as i64),
                "travel_minutes": f.travel_minutes(),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// The search filters of a query string, and the travel limit when `minutes` is given.
pub fn search_query(
    q: &Params,
    proximity: &ProximityState,
) -> Result<(SpaceSearch, Option<TravelLimit>), mire_domain::Invalid> {
    let mut e = mire_domain::Invalid::default();
    let int =
        |name: &'static str, min: i64, max: i64, e: &mut mire_domain::Invalid| -> Option<i64> {
            match q.get(name).trim() {
                "" => None,
                v => match v.parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => Some(n),
                    _ => {
                        e.push(name, "error-number-range");
                        None
                    }
                },
            }
        };
    let float = |name: &'static str, e: &mut mire_domain::Invalid| -> Option<f64> {
        match q.get(name).trim() {
            "" => None,
            v => match v.replace(',', ".").parse::<f64>() {
                Ok(n) if n.is_finite() => Some(n),
                _ => {
                    e.push(name, "error-number");
                    None
                }
            },
        }
    };
    let municipio = int("municipio", 1, 9, &mut e);
    let nil_id = int("nil", 1, 999, &mut e);
    let max_price_cents = int("max_price_cents", 0, rules::PRICE_MAX_CENTS, &mut e);
    let limit = int("limit", 1, 200, &mut e).unwrap_or(50);
    let offset = int("offset", 0, 1_000_000, &mut e).unwrap_or(0);
    let date = match rules::parse_date("date", q.get("date")) {
        Ok(d) => Some(d),
        Err(err) if err.message == "error-required" => None,
        Err(err) => {
            e.0.push(err);
            None
        }
    };
    let period = match q.get("period").trim() {
        "" => None,
        p => match Period::parse(p).filter(|p| *p != Period::Hour) {
            Some(p) => Some(p),
            None => {
                e.push("period", "error-choice");
                None
            }
        },
    };
    let names: Vec<String> = q
        .get("amenities")
        .split(',')
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    let amenities = match Amenity::parse_list("amenities", &names) {
        Ok(list) => Amenity::mask(&list),
        Err(err) => {
            e.0.push(err);
            0
        }
    };
    let (lat, lon) = (float("lat", &mut e), float("lon", &mut e));
    let radius_given = !q.get("radius_m").trim().is_empty();
    let radius = float("radius_m", &mut e).unwrap_or(3000.0);
    let minutes = travel::minutes_param(q.get("minutes"), &mut e);
    let mode = travel::mode_param(q.get("mode"), &mut e);
    let origin = match (lat, lon, q.get("near_nil").trim()) {
        (Some(lat), Some(lon), "")
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && radius > 0.0 =>
        {
            Some(LatLon::new(lat, lon))
        }
        (None, None, "") => None,
        (None, None, nil) => match nil.parse::<u16>().ok().and_then(|n| proximity.nil(n)) {
            Some(_) if radius <= 0.0 => {
                e.push("radius_m", "error-number-range");
                None
            }
            Some(n) => Some(n.at),
            None => {
                e.push("near_nil", "error-choice");
                None
            }
        },
        (_, _, "") => {
            e.push("lat", "error-coordinates");
            None
        }
        _ => {
            e.push("near_nil", "error-place-both");
            None
        }
    };
    let travel = travel_limit(proximity, origin, minutes, mode, &mut e);
    // A travel budget replaces the default radius; a radius given explicitly still applies.
    let near = origin
        .filter(|_| travel.is_none() || radius_given)
        .map(|o| (o.lat, o.lon, radius.min(50_000.0)));
    let with_offers = matches!(q.get("offers").trim(), "1" | "true" | "on" | "yes");
    if !e.is_empty() {
        return Err(e);
    }
    Ok((
        SpaceSearch {
            municipio,
            nil_id,
            date,
            period,
            amenities,
            max_price_cents,
            with_offers,
            near,
            only_demo: None,
            limit,
            offset,
        },
        travel,
    ))
}

/// The travel limit of a search: `minutes` needs a point inside the city to start from.
fn travel_limit(
    proximity: &ProximityState,
    origin: Option<LatLon>,
    minutes: Option<u32>,
    mode: Option<Mode>,
    e: &mut mire_domain::Invalid,
) -> Option<TravelLimit> {
    let minutes = minutes?;
    let Some(from) = origin else {
        // A point typed wrong is already reported on its own field.
        if !e
            .0
            .iter()
            .any(|f| f.field == "lat" || f.field == "near_nil")
        {
            e.push("lat", "error-travel-origin");
        }
        return None;
    };
    if let Err(err) = proximity.engine.check_point(from) {
        e.push("lat", point_message(&err));
        return None;
    }
    Some(TravelLimit {
        from,
        minutes,
        mode: mode?,
    })
}

/// A space with its resources, its offers in force (the badge) and its closure days.
#[utoipa::path(get, path = "/api/v1/coworking/spaces/{id}", tag = "coworking", responses((status = 200), (status = 404)))]
pub async fn space(
    State(s): State<AppState>,
    MaybeViewer(v): MaybeViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let space = s.db.space(api_id(&id)?).await?;
    let manager = v.as_ref().is_some_and(|v| may_manage(v, &space));
    let mut body = space_json(&space);
    body["resources"] = json!(s.db.resources(space.id).await?);
    let offers = s.db.offers(space.id, !manager).await?;
    body["has_offer"] = json!(offers.iter().any(|o| o.status == "approved"));
    body["offers"] = json!(offers);
    body["closures"] = json!(
        s.db.space_closures(space.id, mire_store::coworking::today())
            .await?
    );
    Ok(Json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSpaceBody {
    #[schema(value_type = i64)]
    organization_id: Option<serde_json::Number>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    space: SpaceInput,
}

/// Adds a space of an operator organisation the caller represents.
#[utoipa::path(post, path = "/api/v1/coworking/spaces", tag = "coworking", request_body(content = Object,
    description = "{organization_id, name, description_it, description_en, address, lat, lon, opening_hours {mon: \"09:00-18:00\", ...}, closures [dates], amenities [..], email, phone, website, price_day_cents, price_half_day_cents, price_month_cents, horizon_days, max_active_bookings, cancel_hours}"),
    responses((status = 201), (status = 403), (status = 404), (status = 422)))]
pub async fn create_space(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(body): ApiJson<NewSpaceBody>,
) -> Result<impl IntoResponse, ApiError> {
    let org = id_field("organization_id", &body.organization_id)?;
    let new = body.space.validate().map_err(ApiError::Invalid)?;
    let id = super::create_space(&s, &v, org, &new).await?;
    let space = s.db.space(id).await?;
    Ok((StatusCode::CREATED, Json(space_json(&space))))
}

/// Replaces a space's details and rules (its operator only).
#[utoipa::path(put, path = "/api/v1/coworking/spaces/{id}", tag = "coworking", request_body(content = Object, description = "as for POST, without organization_id"),
    responses((status = 200), (status = 403), (status = 404), (status = 422)))]
pub async fn update_space(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SpaceInput>,
) -> Result<Json<Value>, ApiError> {
    let space = managed_space(&s, &v, &id).await?;
    let new = input.validate().map_err(ApiError::Invalid)?;
    let place = super::locate(new.lat, new.lon).map_err(ApiError::Invalid)?;
    s.db.update_space(space.id, &new, place).await?;
    Ok(Json(space_json(&s.db.space(space.id).await?)))
}

/// Adds a bookable resource: `{kind: open_desk|fixed_desk|meeting_room, name, seats, price_cents, half_day_price_cents}`.
#[utoipa::path(post, path = "/api/v1/coworking/spaces/{id}/resources", tag = "coworking", request_body(content = Object, description = "{kind, name, seats, price_cents, half_day_price_cents}"),
    responses((status = 201), (status = 403), (status = 404), (status = 422)))]
pub async fn add_resource(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResourceInput>,
) -> Result<impl IntoResponse, ApiError> {
    let space = managed_space(&s, &v, &id).await?;
    let new = input.validate().map_err(ApiError::Invalid)?;
    let rid = s.db.add_resource(space.id, &new).await?;
    Ok((StatusCode::CREATED, Json(json!(s.db.resource(rid).await?))))
}

/// Seats taken and free per unit (morning/afternoon, or room hours) on a date.
#[utoipa::path(get, path = "/api/v1/coworking/resources/{id}/availability", tag = "coworking",
    params(("date" = String, Query, description = "YYYY-MM-DD")), responses((status = 200), (status = 404), (status = 422)))]
pub async fn availability(
    State(s): State<AppState>,
    Path(id): Path<String>,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let resource = s.db.resource(api_id(&id)?).await?;
    let date = rules::parse_date("date", q.get("date"))
        .map_err(|e| ApiError::field(e.field, e.message))?;
    let space = s.db.space(resource.space_id).await?;
    let slots = s.db.availability(&resource, &space, date).await?;
    Ok(Json(json!({
        "resource_id": resource.id, "kind": resource.kind, "seats": resource.seats,
        "date": rules::iso(date), "open": !slots.is_empty(), "slots": slots,
    })))
}

/// Proposes an alliance offer for the space: a discount, free trial days or a credit pack.
#[utoipa::path(post, path = "/api/v1/coworking/spaces/{id}/offers", tag = "coworking",
    request_body(content = Object, description = "{kind: discount|free_trial|credit_pack, title, description, discount_percent, trial_days, pack_days, pack_price_cents, valid_until}"),
    responses((status = 201), (status = 403), (status = 404), (status = 422)))]
pub async fn create_offer(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<OfferInput>,
) -> Result<impl IntoResponse, ApiError> {
    let space = managed_space(&s, &v, &id).await?;
    let new = input
        .validate(mire_store::coworking::today())
        .map_err(ApiError::Invalid)?;
    let oid = s.db.create_offer(space.id, &new, Some(v.id())).await?;
    Ok((StatusCode::CREATED, Json(json!(s.db.offer(oid).await?))))
}

/// True when the viewer coordinates an alliance the offer's operator belongs to (or the
/// default alliance).
async fn coordinates_offer(s: &AppState, v: &Viewer, space_id: i64) -> Result<bool, ApiError> {
    let space = s.db.space(space_id).await?;
    let default = s.db.default_alliance().await?;
    if v.is_coordinator(default.id) {
        return Ok(true);
    }
    let alliances =
        s.db.alliances_of_organization(space.organization_id)
            .await?;
    Ok(alliances.iter().any(|a| v.is_coordinator(*a)))
}

/// Offers waiting for a decision (coordinators).
#[utoipa::path(get, path = "/api/v1/coworking/offers", tag = "coworking", responses((status = 200), (status = 403)))]
pub async fn pending_offers(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let default = s.db.default_alliance().await?;
    if !v.roles.iter().any(|r| r.role == "coordinator") {
        return Err(ApiError::Forbidden);
    }
    let mut items = vec![];
    for o in s.db.pending_offers().await? {
        if v.is_coordinator(default.id) || coordinates_offer(&s, &v, o.space_id).await? {
            items.push(o);
        }
    }
    Ok(Json(json!({ "items": items })))
}

async fn decide(
    s: &AppState,
    v: &Viewer,
    raw: &str,
    approve: bool,
) -> Result<Json<Value>, ApiError> {
    let offer = s.db.offer(api_id(raw)?).await?;
    if !coordinates_offer(s, v, offer.space_id).await? {
        return Err(ApiError::Forbidden);
    }
    s.db.decide_offer(offer.id, approve, v.id())
        .await
        .map_err(|e| match e {
            DecisionError::NotFound => ApiError::NotFound,
            DecisionError::AlreadyDecided => ApiError::Conflict("already_decided"),
            DecisionError::Store(e) => e.into(),
        })?;
    Ok(Json(json!(s.db.offer(offer.id).await?)))
}

/// A coordinator approves an offer: it shows in search with a badge.
#[utoipa::path(post, path = "/api/v1/coworking/offers/{id}/approve", tag = "coworking",
    responses((status = 200), (status = 403), (status = 404), (status = 409, description = "already_decided")))]
pub async fn approve_offer(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    decide(&s, &v, &id, true).await
}

#[utoipa::path(post, path = "/api/v1/coworking/offers/{id}/reject", tag = "coworking",
    responses((status = 200), (status = 403), (status = 404), (status = 409, description = "already_decided")))]
pub async fn reject_offer(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    decide(&s, &v, &id, false).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Purchase {
    #[schema(value_type = i64)]
    organization_id: Option<serde_json::Number>,
}

fn credit_error(e: CreditError) -> ApiError {
    match e {
        CreditError::NotFound => ApiError::NotFound,
        CreditError::NotAvailable => ApiError::Conflict("offer_not_available"),
        CreditError::NotEmployee => ApiError::field("user_id", "error-not-employee"),
        CreditError::NotEnough => ApiError::Conflict("not_enough_credits"),
        CreditError::Store(e) => e.into(),
    }
}

/// A firm buys a pack of an approved credit-pack offer for its staff.
#[utoipa::path(post, path = "/api/v1/coworking/offers/{id}/purchase", tag = "coworking", request_body = Purchase,
    responses((status = 201), (status = 403), (status = 404), (status = 409, description = "offer_not_available")))]
pub async fn purchase_pack(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Purchase>,
) -> Result<impl IntoResponse, ApiError> {
    let offer = api_id(&id)?;
    let org = id_field("organization_id", &body.organization_id)?;
    let org = super::firm_of(&s, &v, org).await?;
    let pack =
        s.db.purchase_credit_pack(offer, org, v.id())
            .await
            .map_err(credit_error)?;
    let report = s.db.organization_credits(org).await?;
    let pack = report.packs.into_iter().find(|p| p.id == pack);
    Ok((StatusCode::CREATED, Json(json!(pack))))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    #[schema(value_type = i64)]
    pack_id: Option<serde_json::Number>,
    #[schema(value_type = i64)]
    user_id: Option<serde_json::Number>,
    /// Credits (desk-days) to give; 1 when absent.
    #[schema(value_type = Option<i64>)]
    count: Option<serde_json::Number>,
}

/// A firm gives credits of one of its packs to an employee.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/credits", tag = "coworking", request_body = Assignment,
    responses((status = 200), (status = 403), (status = 404), (status = 409, description = "not_enough_credits"), (status = 422)))]
pub async fn assign_credits(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Assignment>,
) -> Result<Json<Value>, ApiError> {
    let org = super::firm_of(&s, &v, api_id(&id)?).await?;
    let pack = id_field("pack_id", &body.pack_id)?;
    let user = id_field("user_id", &body.user_id)?;
    let count = match &body.count {
        None => 1,
        Some(n) => n
            .as_i64()
            .filter(|c| (1..=rules::PACK_DAYS_MAX).contains(c))
            .ok_or(ApiError::field("count", "error-number-range"))?,
    };
    let n =
        s.db.assign_credits(org, pack, user, count)
            .await
            .map_err(credit_error)?;
    Ok(Json(
        json!({ "pack_id": pack, "user_id": user, "assigned": n }),
    ))
}

/// A firm's packs, its employees' credits and every credit spent: its representatives only.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/credits", tag = "coworking", responses((status = 200), (status = 403), (status = 404)))]
pub async fn organization_credits(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let org = super::firm_of(&s, &v, api_id(&id)?).await?;
    Ok(Json(json!(s.db.organization_credits(org).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewBooking {
    #[schema(value_type = i64)]
    resource_id: Option<serde_json::Number>,
    /// YYYY-MM-DD
    #[serde(default)]
    date: String,
    /// full_day, morning, afternoon (desks); hour (rooms, may be omitted).
    #[serde(default)]
    period: String,
    /// Rooms: the starting hour, 0-23.
    #[schema(value_type = Option<i64>)]
    hour: Option<serde_json::Number>,
    #[serde(default)]
    use_credit: bool,
    /// When full, join the waitlist (202) instead of answering 409 full.
    #[serde(default)]
    join_waitlist: bool,
}

fn booking_json(b: &Booking) -> Value {
    json!(b)
}

/// Books a seat or a room hour for the caller.
#[utoipa::path(post, path = "/api/v1/coworking/bookings", tag = "coworking", request_body = NewBooking,
    responses((status = 201, description = "The booking"), (status = 202, description = "A place in the waitlist"),
        (status = 404, description = "No such resource"),
        (status = 409, description = "full, already_booked, already_waiting, too_many_bookings, no_credit"), (status = 422)))]
pub async fn create_booking(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(body): ApiJson<NewBooking>,
) -> Result<Response, ApiError> {
    let resource_id = match &body.resource_id {
        None => return Err(ApiError::field("resource_id", "error-required")),
        Some(n) => n.as_i64().filter(|i| *i > 0).ok_or(ApiError::NotFound)?,
    };
    let date =
        rules::parse_date("date", &body.date).map_err(|e| ApiError::field(e.field, e.message))?;
    let hour = match &body.hour {
        None => None,
        Some(n) => Some(
            n.as_u64()
                .filter(|h| *h < 24)
                .map(|h| h as u8)
                .ok_or(ApiError::field("hour", "error-number-range"))?,
        ),
    };
    let period = match body.period.trim() {
        "" if hour.is_some() => Period::Hour,
        "" => return Err(ApiError::field("period", "error-required")),
        p => Period::parse(p).ok_or(ApiError::field("period", "error-choice"))?,
    };
    let req = BookingRequest {
        user_id: v.id(),
        resource_id,
        date,
        period,
        hour: if period == Period::Hour { hour } else { None },
        use_credit: body.use_credit,
        join_waitlist: body.join_waitlist,
    };
    Ok(match super::book(&s, &v, &req).await? {
        BookingOutcome::Booked(b) => (StatusCode::CREATED, Json(booking_json(&b))).into_response(),
        BookingOutcome::Waitlisted(w) => {
            (StatusCode::ACCEPTED, Json(json!({ "waitlist": w }))).into_response()
        }
    })
}

/// A booking: its holder and the space's operator may see it.
#[utoipa::path(get, path = "/api/v1/coworking/bookings/{id}", tag = "coworking", responses((status = 200), (status = 404)))]
pub async fn booking(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let b = visible_booking(&s, &v, &id, true).await?;
    Ok(Json(booking_json(&b)))
}

/// The booking if the viewer holds it (or, with `operator_too`, runs its space); 404 for
/// anyone else, so ids of others' bookings reveal nothing.
async fn visible_booking(
    s: &AppState,
    v: &Viewer,
    raw: &str,
    operator_too: bool,
) -> Result<Booking, ApiError> {
    let b = s.db.booking(api_id(raw)?).await?;
    if b.user_id == v.id() {
        return Ok(b);
    }
    if operator_too {
        let space = s.db.space(b.space_id).await?;
        if may_manage(v, &space) {
            return Ok(b);
        }
    }
    Err(ApiError::NotFound)
}

/// Cancels the caller's own booking before the deadline; the first waitlisted person who
/// fits is promoted and told by e-mail.
#[utoipa::path(delete, path = "/api/v1/coworking/bookings/{id}", tag = "coworking",
    responses((status = 200), (status = 404), (status = 409, description = "too_late, not_active")))]
pub async fn cancel_booking(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = super::cancel(&s, &v, api_id(&id)?).await?;
    // Who was promoted is someone else's business: the caller learns only how many.
    Ok(Json(
        json!({ "booking": c.booking, "promoted": c.promoted.len() }),
    ))
}

/// The booking as an iCalendar file (its holder only).
#[utoipa::path(get, path = "/api/v1/coworking/bookings/{id}/ics", tag = "coworking", responses((status = 200, content_type = "text/calendar"), (status = 404)))]
pub async fn booking_ics(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let b = visible_booking(&s, &v, &id, false).await?;
    let space = s.db.space(b.space_id).await?;
    let body = super::ics(&b, &space, &s.config.base_url());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"prenotazione-{}.ics\"", b.id),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckInBody {
    /// attended or no_show
    #[serde(default)]
    status: String,
}

/// The operator records whether the person came.
#[utoipa::path(post, path = "/api/v1/coworking/bookings/{id}/check-in", tag = "coworking", request_body = CheckInBody,
    responses((status = 200), (status = 403), (status = 404), (status = 409, description = "not_active"), (status = 422)))]
pub async fn check_in(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CheckInBody>,
) -> Result<Json<Value>, ApiError> {
    let b = s.db.booking(api_id(&id)?).await?;
    let space = s.db.space(b.space_id).await?;
    if !may_manage(&v, &space) {
        return Err(if b.user_id == v.id() {
            ApiError::Forbidden
        } else {
            ApiError::NotFound
        });
    }
    let status =
        CheckIn::parse(body.status.trim()).ok_or(ApiError::field("status", "error-choice"))?;
    s.db.check_in(b.id, status, v.id())
        .await
        .map_err(|e| match e {
            DecisionError::Store(e) => e.into(),
            _ => ApiError::Conflict("not_active"),
        })?;
    Ok(Json(booking_json(&s.db.booking(b.id).await?)))
}

/// Leaves a waitlist (own places only).
#[utoipa::path(delete, path = "/api/v1/coworking/waitlist/{id}", tag = "coworking", responses((status = 204), (status = 404)))]
pub async fn leave_waitlist(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.db.leave_waitlist(api_id(&id)?, v.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's upcoming bookings, history, waitlist places and credits.
#[utoipa::path(get, path = "/api/v1/me/bookings", tag = "coworking", responses((status = 200), (status = 401)))]
pub async fn my_bookings(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    let (upcoming, history) = s.db.bookings_of_user(v.id(), 200).await?;
    Ok(Json(json!({
        "upcoming": upcoming,
        "history": history,
        "waitlist": s.db.waitlist_of_user(v.id()).await?,
        "credits": s.db.credits_of_user(v.id()).await?,
    })))
}

/// The space's bookings on a date (default today), for the operator's day list and check-in.
#[utoipa::path(get, path = "/api/v1/coworking/spaces/{id}/bookings", tag = "coworking",
    params(("date" = Option<String>, Query)), responses((status = 200), (status = 403), (status = 404)))]
pub async fn space_bookings(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let space = managed_space(&s, &v, &id).await?;
    let date = date_param(&q, "date")?.unwrap_or_else(mire_store::coworking::today);
    let items = s.db.space_bookings(space.id, date).await?;
    Ok(Json(json!({ "date": rules::iso(date), "items": items })))
}

/// Bookings, check-ins, occupancy and revenue per day (`from`, `to`, at most 366 days;
/// default the last 30 days); `format=csv` for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/coworking/spaces/{id}/dashboard", tag = "coworking",
    params(("from" = Option<String>, Query), ("to" = Option<String>, Query), ("format" = Option<String>, Query)),
    responses((status = 200), (status = 403), (status = 404), (status = 422)))]
pub async fn dashboard(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let space = managed_space(&s, &v, &id).await?;
    let today = mire_store::coworking::today();
    let to = date_param(&q, "to")?.unwrap_or(today);
    let from = date_param(&q, "from")?.unwrap_or(to - chrono::Duration::days(29));
    if from > to {
        return Err(ApiError::field("from", "error-date-order"));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::field("to", "error-date-range"));
    }
    let days = s.db.dashboard(space.id, from, to).await?;
    if q.get("format") == "csv" {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"coworking-{}-{}-{}.csv\"",
                        space.id,
                        rules::iso(from),
                        rules::iso(to)
                    ),
                ),
            ],
            super::dashboard_csv(&days),
        )
            .into_response());
    }
    let total =
        |f: fn(&mire_store::coworking::DashboardDay) -> i64| days.iter().map(f).sum::<i64>();
    Ok(Json(json!({
        "space_id": space.id, "from": rules::iso(from), "to": rules::iso(to),
        "totals": {
            "bookings": total(|d| d.bookings), "attended": total(|d| d.attended), "no_show": total(|d| d.no_show),
            "revenue_list_cents": total(|d| d.revenue_list_cents), "revenue_cents": total(|d| d.revenue_cents),
        },
        "days": days,
        "today": s.db.space_bookings(space.id, today).await?,
    }))
    .into_response())
}
