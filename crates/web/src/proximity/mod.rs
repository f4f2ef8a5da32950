//! Proximity and time (prossimità e tempo ritrovato): what lies within 15 minutes of a place,
//! how well each NIL reaches everyday services, and the commute time regained by working in a
//! coworking space near home. Pages and API over the engine of `mire_geo::proximity`, which is
//! loaded once at start and shared by every request.

pub(crate) mod api;
pub(crate) mod commute;
mod pages;
pub(crate) mod sums;

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;
use mire_domain::Invalid;
use mire_geo::proximity::{
    AccessibilityReport, CommuteMode, Mode, Proximity, ProximityError, ServicePoint, StreetNetwork,
};
use mire_geo::territory::Territory;
use mire_geo::LatLon;

use crate::{AppState, Config};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quindici-minuti", get(pages::fifteen_minutes))
        .route("/accessibilita", get(pages::accessibility))
        .route("/tempo-ritrovato", get(pages::time_regained))
        .route("/api/v1/proximity/travel-time", get(api::travel_time))
        .route("/api/v1/proximity/isochrone", get(api::isochrone))
        .route(
            "/api/v1/proximity/nil-accessibility",
            get(api::nil_accessibility),
        )
        .route("/api/v1/proximity/time-regained", get(api::time_regained))
        .route(
            "/profilo/tragitto",
            get(commute::commute_form).post(commute::save_commute),
        )
        .route("/profilo/tragitto/elimina", post(commute::remove_commute))
        .route(
            "/api/v1/me/commute",
            get(commute::get_commute)
                .put(commute::put_commute)
                .delete(commute::delete_commute),
        )
        .route("/api/v1/me/time-regained", get(commute::my_time_regained))
        .route(
            "/organizzazioni/{id}/tempo-ritrovato",
            get(commute::firm_page),
        )
        .route(
            "/api/v1/organizations/{id}/time-regained",
            get(commute::organization_time_regained),
        )
        .route(
            "/api/v1/proximity/time-regained/municipi",
            get(commute::municipi_time_regained),
        )
}

/// The proximity model of the city and the last accessibility report of each mode.
pub struct ProximityState {
    pub engine: Proximity,
    /// Every NIL with the point queries start from when a person picks it, by name.
    pub nils: Vec<NilChoice>,
    walk_report: Mutex<Option<CachedReport>>,
    transit_report: Mutex<Option<CachedReport>>,
    /// The time regained by a day at a space, for the sums (see `sums::DaySavings`).
    pub(crate) days_saved: sums::DaySavings,
}

/// A report and the coworking spaces it was computed with.
struct CachedReport {
    coworking: Vec<ServicePoint>,
    report: Arc<AccessibilityReport>,
}

impl ProximityState {
    /// Loads the Milan model, with the walking network named by `proximity_streets` if any.
    pub fn load(config: &Config) -> anyhow::Result<ProximityState> {
        let engine = load_engine(config)?;
        let mut nils: Vec<NilChoice> = Territory::milan()
            .nils()
            .iter()
            .filter_map(|n| {
                Some(NilChoice {
                    id: n.id,
                    name: n.name.clone(),
                    at: nil_origin(&engine, n.id)?,
                })
            })
            .collect();
        nils.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ProximityState {
            engine,
            nils,
            walk_report: Mutex::new(None),
            transit_report: Mutex::new(None),
            days_saved: sums::DaySavings::default(),
        })
    }

    /// The accessibility of every NIL with these coworking spaces: the last report when it
    /// was computed with the same spaces, else a new one (about 10 ms). The spaces come from
    /// the database on every request, so a change made by any process (the API, `mire import
    /// coworkings`) shows at once; the lock makes concurrent requests wait for one
    /// computation instead of each running their own.
    pub fn accessibility(
        &self,
        mode: Mode,
        coworking: Vec<ServicePoint>,
    ) -> Arc<AccessibilityReport> {
        let cell = match mode {
            Mode::Walk => &self.walk_report,
            Mode::Transit => &self.transit_report,
        };
        // A panic while computing leaves no report behind: the poisoned cache is still usable.
        let mut cached = cell.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cached.as_ref().filter(|c| c.coworking == coworking) {
            return c.report.clone();
        }
        let report = Arc::new(self.engine.accessibility(mode, &coworking));
        *cached = Some(CachedReport {
            coworking,
            report: report.clone(),
        });
        report
    }

    /// A NIL of the lists, by id.
    pub fn nil(&self, id: u16) -> Option<&NilChoice> {
        self.nils.iter().find(|n| n.id == id)
    }
}

/// The coworking spaces the proximity reports count (see `Db::workplace_points`), as the
/// engine takes them.
pub(crate) async fn coworking_points(
    state: &AppState,
) -> Result<Vec<ServicePoint>, mire_store::StoreError> {
    Ok(state
        .db
        .workplace_points()
        .await?
        .into_iter()
        .map(|w| ServicePoint {
            id: w.id.to_string(),
            name: w.name,
            at: LatLon::new(w.lat, w.lon),
        })
        .collect())
}

/// A NIL offered in the forms and on the maps.
#[derive(Debug, Clone)]
pub struct NilChoice {
    pub id: u16,
    pub name: String,
    pub at: LatLon,
}

/// The Milan model as the server and `mire proximity export-network` use it: the shipped ATM
/// network, plus the OpenStreetMap walking network of the configuration when its file exists.
pub fn load_engine(config: &Config) -> anyhow::Result<Proximity> {
    let engine = Proximity::milan().context("loading the proximity model of Milan")?;
    let streets = config.proximity_streets.trim();
    if streets.is_empty() {
        return Ok(engine);
    }
    let path = Path::new(streets);
    if !path.exists() {
        tracing::warn!(
            path = %path.display(),
            "proximity_streets names no file: walking legs use straight lines"
        );
        return Ok(engine);
    }
    let network = StreetNetwork::load(path)
        .with_context(|| format!("loading the walking network {}", path.display()))?;
    tracing::info!(
        path = %path.display(),
        nodes = network.points().len(),
        segments = network.segment_count(),
        "walking network loaded"
    );
    Ok(engine.with_streets(&network))
}

/// Runs engine work off the async threads (isochrones and reports take milliseconds to
/// tens of milliseconds); the error is a panic inside it.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&ProximityState) -> T + Send + 'static,
) -> Result<T, String> {
    let proximity: Arc<ProximityState> = state.proximity.clone();
    tokio::task::spawn_blocking(move || work(&proximity))
        .await
        .map_err(|e| format!("proximity query failed: {e}"))
}

/// Reads `LAT,LON` in decimal degrees, as the API and the forms take them. Also accepted:
/// a semicolon or spaces between the two numbers, and decimal commas ("45,4642, 9,19").
pub(crate) fn parse_point(raw: &str) -> Option<LatLon> {
    let raw = raw.trim();
    let (lat, lon) = if let Some((a, b)) = raw.split_once(';') {
        (a.trim().replace(',', "."), b.trim().replace(',', "."))
    } else {
        let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
        match parts.as_slice() {
            [a, b] => (a.to_string(), b.to_string()),
            [a, b, c, d] => (format!("{a}.{b}"), format!("{c}.{d}")),
            [single] => {
                let words: Vec<&str> = single.split_whitespace().collect();
                match words.as_slice() {
                    [a, b] => (a.to_string(), b.to_string()),
                    _ => return None,
                }
            }
            _ => return None,
        }
    };
    let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    Some(LatLon::new(number(&lat)?, number(&lon)?))
}

/// The message id for a point the engine cannot use.
pub(crate) fn point_message(error: &ProximityError) -> &'static str {
    match error {
        ProximityError::OutsideCity { .. } => "error-outside-city",
        ProximityError::InvalidCoordinates => "error-coordinates-range",
        ProximityError::NoRoute => "error-no-route",
        _ => "error-coordinates-range",
    }
}

/// A point typed as `LAT,LON` into `field`: required, well formed, inside the city.
pub(crate) fn point_field(
    engine: &Proximity,
    raw: &str,
    field: &'static str,
    errors: &mut Invalid,
) -> Option<LatLon> {
    if raw.trim().is_empty() {
        errors.push(field, "error-required");
        return None;
    }
    let Some(p) = parse_point(raw) else {
        errors.push(field, "error-point-format");
        return None;
    };
    match engine.check_point(p) {
        Ok(()) => Some(p),
        Err(e) => {
            errors.push(field, point_message(&e));
            None
        }
    }
}

/// `walk` or `transit`; `default` when the parameter is absent.
pub(crate) fn mode_field(raw: &str, default: Mode, errors: &mut Invalid) -> Option<Mode> {
    match raw.trim() {
        "" => Some(default),
        text => Mode::parse(text).or_else(|| {
            errors.push("mode", "error-mode-walk-transit");
            None
        }),
    }
}

/// `car` or `transit`; `default` when the parameter is absent.
pub(crate) fn commute_field(
    raw: &str,
    default: CommuteMode,
    errors: &mut Invalid,
) -> Option<CommuteMode> {
    match raw.trim() {
        "" => Some(default),
        text => CommuteMode::parse(text).or_else(|| {
            errors.push("mode", "error-mode-car-transit");
            None
        }),
    }
}

/// A time budget in minutes: more than 0 and at most the engine's limit.
pub(crate) fn minutes_field(
    engine: &Proximity,
    raw: &str,
    default: f64,
    errors: &mut Invalid,
) -> Option<f64> {
    let raw = raw.trim().replace(',', ".");
    if raw.is_empty() {
        return Some(default);
    }
    match raw.parse::<f64>() {
        Ok(m) if engine.budget_secs(m).is_ok() => Some(m),
        _ => {
            errors.push("minutes", "error-minutes-range");
            None
        }
    }
}

/// Which of the named points an engine error is about: a point off the walking network is
/// blamed on itself; any other unreachable pair on the last point.
pub(crate) fn engine_invalid(
    engine: &Proximity,
    error: &ProximityError,
    points: &[(&'static str, LatLon)],
) -> Invalid {
    let mut invalid = Invalid::default();
    let message = point_message(error);
    let field = points
        .iter()
        .find(|(_, p)| {
            engine.check_point(*p).is_err()
                || (engine.has_streets() && engine.attach(*p, Mode::Walk).is_empty())
        })
        .or(points.last())
        .map(|(f, _)| *f)
        .unwrap_or("from");
    invalid.push(field, message);
    invalid
}

/// A point inside NIL `id` to start from: its centre of mass when that lies inside the NIL
/// and the city, else a point surely inside, else one of the engine's sample points.
pub(crate) fn nil_origin(engine: &Proximity, id: u16) -> Option<LatLon> {
    let nil = Territory::milan().nil(id)?;
    let inside = |p: LatLon| engine.city().locate(p) == Some(id);
    [nil.centroid, nil.shape.interior_point()]
        .into_iter()
        .find(|p| inside(*p))
        .or_else(|| {
            let samples = engine.city().nils().iter().find(|n| n.id == id)?;
            samples.samples.iter().copied().min_by(|a, b| {
                a.distance_m(nil.centroid)
                    .total_cmp(&b.distance_m(nil.centroid))
            })
        })
}

/// A NIL chosen from a list, by id.
pub(crate) fn nil_field(raw: &str, field: &'static str, errors: &mut Invalid) -> Option<u16> {
    if raw.trim().is_empty() {
        errors.push(field, "error-required");
        return None;
    }
    match raw.trim().parse::<u16>() {
        Ok(id) if Territory::milan().nil(id).is_some() => Some(id),
        _ => {
            errors.push(field, "error-choice");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::I18N;

    #[test]
    fn points_are_read_in_the_usual_ways() {
        let expected = Some(LatLon::new(45.4642, 9.19));
        for raw in [
            "45.4642,9.19",
            " 45.4642 , 9.19 ",
            "45.4642 9.19",
            "45,4642; 9,19",
            "45,4642, 9,19",
        ] {
            assert_eq!(parse_point(raw), expected, "{raw:?}");
        }
        for raw in ["", "45.4642", "nord,est", "45.4,9.1,3", "NaN,9.19", "inf,9"] {
            assert_eq!(parse_point(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn the_minutes_message_names_the_engine_limit() {
        let max = mire_geo::proximity::Params::shipped().isochrone.max_minutes;
        for lang in [Lang::It, Lang::En] {
            let text = I18N.t(lang, "error-minutes-range", &[]);
            assert!(
                text.contains(&format!("{max}")),
                "error-minutes-range must say the limit of {max} minutes: {text}"
            );
        }
    }
}
