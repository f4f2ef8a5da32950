//! The proximity API: travel times, isochrones, NIL accessibility and time regained. Public
//! (no token needed); every answer comes from the engine loaded at start.

use axum::extract::State;
use axum::Json;
use mire_domain::Invalid;
use mire_geo::proximity::{CommuteMode, Mode, ProximityError};
use mire_geo::LatLon;
use serde_json::{json, Value};

use super::{
    blocking, commute_field, coworking_points, engine_invalid, minutes_field, mode_field,
    point_field, ProximityState,
};
use crate::error::ApiError;
use crate::request::Params;
use crate::AppState;

const ATTRIBUTION: &str =
    "Comune di Milano and ATM open data, CC BY 4.0; model and sources: data/proximity/params.toml";

fn checked(errors: Invalid) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(errors))
    }
}

fn lat_lon(p: LatLon) -> Value {
    json!({ "lat": p.lat, "lon": p.lon })
}

/// Engine errors: the user's input as 422 on the field concerned, anything else internal.
fn engine_error(
    s: &ProximityState,
    error: ProximityError,
    points: &[(&'static str, LatLon)],
) -> ApiError {
    if error.is_bad_input() {
        ApiError::Invalid(engine_invalid(&s.engine, &error, points))
    } else {
        ApiError::Internal(error.to_string())
    }
}

/// The fastest way from one point to another, walking or by public transport (with walks).
#[utoipa::path(get, path = "/api/v1/proximity/travel-time", tag = "proximity",
    params(
        ("from" = String, Query, description = "Origin as LAT,LON in decimal degrees (WGS84), inside the Comune di Milano", example = "45.4642,9.1900"),
        ("to" = String, Query, description = "Destination as LAT,LON", example = "45.4858,9.2040"),
        ("mode" = Option<String>, Query, description = "walk (default) or transit"),
    ),
    responses(
        (status = 200, description = "{minutes, seconds, mode, legs: [{mode, from, to, seconds, wait_seconds, metres, line, route}]}"),
        (status = 422, description = "A point is malformed or outside the city, or the mode is unknown (fields: from, to, mode)"),
    ))]
pub async fn travel_time(State(s): State<AppState>, q: Params) -> Result<Json<Value>, ApiError> {
    let engine = &s.proximity.engine;
    let mut errors = Invalid::default();
    let from = point_field(engine, q.get("from"), "from", &mut errors);
    let to = point_field(engine, q.get("to"), "to", &mut errors);
    let mode = mode_field(q.get("mode"), Mode::Walk, &mut errors);
    checked(errors)?;
    let (Some(from), Some(to), Some(mode)) = (from, to, mode) else {
        return Err(ApiError::Internal("validated input went missing".into()));
    };
    let answer = blocking(&s, move |p| {
        p.engine
            .travel_time(from, to, mode)
            .map_err(|e| engine_error(p, e, &[("from", from), ("to", to)]))
    })
    .await
    .map_err(ApiError::Internal)??;
    Ok(Json(json!({
        "from": lat_lon(from),
        "to": lat_lon(to),
        "mode": mode.slug(),
        "minutes": answer.minutes,
        "seconds": answer.seconds,
        "legs": answer.legs,
        "streets": s.proximity.engine.has_streets(),
    })))
}

/// Where one can get from a point within a time budget: a GeoJSON FeatureCollection whose
/// first feature is the reached area (MultiPolygon of square cells), then the service points
/// reached, coworking spaces with a desk among them; the NIL reached are in the top-level
/// `nil_ids` and `nils` members.
#[utoipa::path(get, path = "/api/v1/proximity/isochrone", tag = "proximity",
    params(
        ("from" = String, Query, description = "Origin as LAT,LON", example = "45.4642,9.1900"),
        ("minutes" = Option<f64>, Query, description = "Time budget, more than 0 and at most 120 (default 15)"),
        ("mode" = Option<String>, Query, description = "walk (default) or transit"),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection with nil_ids and nils [{nil_id, name, share}]", content_type = "application/geo+json"),
        (status = 422, description = "Malformed or outside point, minutes out of range, unknown mode (fields: from, minutes, mode)"),
    ))]
pub async fn isochrone(
    State(s): State<AppState>,
    q: Params,
) -> Result<([(axum::http::HeaderName, &'static str); 1], Json<Value>), ApiError> {
    let engine = &s.proximity.engine;
    let default_minutes = engine.params().accessibility.minutes;
    let mut errors = Invalid::default();
    let from = point_field(engine, q.get("from"), "from", &mut errors);
    let minutes = minutes_field(engine, q.get("minutes"), default_minutes, &mut errors);
    let mode = mode_field(q.get("mode"), Mode::Walk, &mut errors);
    checked(errors)?;
    let (Some(from), Some(minutes), Some(mode)) = (from, minutes, mode) else {
        return Err(ApiError::Internal("validated input went missing".into()));
    };
    let coworking = coworking_points(&s).await?;
    let iso = blocking(&s, move |p| {
        p.engine
            .isochrone(from, minutes, mode, &coworking)
            .map_err(|e| match e {
                ProximityError::InvalidBudget { .. } => {
                    ApiError::field("minutes", "error-minutes-range")
                }
                e => engine_error(p, e, &[("from", from)]),
            })
    })
    .await
    .map_err(ApiError::Internal)??;
    let mut body = iso.to_geojson();
    body["nil_ids"] = json!(iso.nil_ids());
    body["nils"] = json!(iso.nils);
    body["minutes"] = json!(minutes);
    body["mode"] = json!(mode.slug());
    body["origin"] = lat_lon(from);
    body["attribution"] = json!(ATTRIBUTION);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        Json(body),
    ))
}

/// For every NIL, the share of its 2024 residents who reach each service category within
/// 15 minutes, the NIL score (mean of the shares, 0 to 100) and the same for the city,
/// weighted by residents. Coworking spaces with a desk count as a category once there are
/// any; the report is recomputed when they change.
#[utoipa::path(get, path = "/api/v1/proximity/nil-accessibility", tag = "proximity",
    params(("mode" = Option<String>, Query, description = "walk (default) or transit")),
    responses(
        (status = 200, description = "{minutes, mode, score, city: [{category, share, residents}], nils: [{nil_id, name, municipio, residents, score, shares}]}"),
        (status = 422, description = "Unknown mode"),
    ))]
pub async fn nil_accessibility(
    State(s): State<AppState>,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let mut errors = Invalid::default();
    let mode = mode_field(q.get("mode"), Mode::Walk, &mut errors);
    checked(errors)?;
    let mode = mode.unwrap_or(Mode::Walk);
    let coworking = coworking_points(&s).await?;
    let body = blocking(&s, move |p| {
        let mut body = json!(*p.accessibility(mode, coworking));
        body["attribution"] = json!(ATTRIBUTION);
        body
    })
    .await
    .map_err(ApiError::Internal)?;
    Ok(Json(body))
}

/// Minutes and CO2 saved per day worked at a coworking space instead of the office: round
/// trip from home, by the mode the worker would use (walking when that is faster).
#[utoipa::path(get, path = "/api/v1/proximity/time-regained", tag = "proximity",
    params(
        ("home" = String, Query, description = "Home as LAT,LON", example = "45.4390,9.2240"),
        ("office" = String, Query, description = "Office as LAT,LON", example = "45.5136,9.2110"),
        ("coworking" = String, Query, description = "Coworking space as LAT,LON", example = "45.4420,9.2200"),
        ("mode" = Option<String>, Query, description = "car or transit (default)"),
    ),
    responses(
        (status = 200, description = "{minutes_saved_per_day, kg_co2_avoided_per_day, km_avoided_per_day, to_office, to_coworking, enea_kg_co2_per_day, enea_hours_per_day, factors, sources}"),
        (status = 422, description = "A point is malformed or outside the city, or the mode is unknown (fields: home, office, coworking, mode)"),
    ))]
pub async fn time_regained(State(s): State<AppState>, q: Params) -> Result<Json<Value>, ApiError> {
    let engine = &s.proximity.engine;
    let mut errors = Invalid::default();
    let home = point_field(engine, q.get("home"), "home", &mut errors);
    let office = point_field(engine, q.get("office"), "office", &mut errors);
    let coworking = point_field(engine, q.get("coworking"), "coworking", &mut errors);
    let mode = commute_field(q.get("mode"), CommuteMode::Transit, &mut errors);
    checked(errors)?;
    let (Some(home), Some(office), Some(coworking), Some(mode)) = (home, office, coworking, mode)
    else {
        return Err(ApiError::Internal("validated input went missing".into()));
    };
    let answer = blocking(&s, move |p| {
        p.engine
            .time_regained(home, office, coworking, mode)
            .map_err(|e| {
                engine_error(
                    p,
                    e,
                    &[("home", home), ("office", office), ("coworking", coworking)],
                )
            })
    })
    .await
    .map_err(ApiError::Internal)??;
    let mut body = json!(answer);
    body["home"] = lat_lon(home);
    body["office"] = lat_lon(office);
    body["coworking"] = lat_lon(coworking);
    body["factors"] = factors(&s.proximity);
    Ok(Json(body))
}

/// The figures behind a time-regained answer, as the parameters file states them.
pub(crate) fn factors(s: &ProximityState) -> Value {
    let p = s.engine.params();
    json!({
        "car_speed_kmh": p.car.speed_kmh,
        "car_detour_factor": p.car.detour_factor,
        "car_parking_min": p.car.parking_min,
        "car_kg_co2_per_km": p.emissions.car_kg_per_km,
        "metro_kg_co2_per_pkm": p.emissions.metro_kg_per_pkm,
        "tram_kg_co2_per_pkm": p.emissions.tram_kg_per_pkm,
        "trolleybus_kg_co2_per_pkm": p.emissions.trolleybus_kg_per_pkm,
        "bus_kg_co2_per_pkm": p.emissions.bus_kg_per_pkm,
        "walking_speed_m_s": p.walking.speed_m_s,
        "enea_kg_co2_per_day": p.reference.enea_kg_co2_per_day,
        "enea_hours_per_day": p.reference.enea_hours_per_day,
    })
}
