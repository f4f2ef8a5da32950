//! Coworking search by travel time: "spaces within 20 minutes by public transport from
//! here". The store lists the spaces inside the circle no trip within the budget can leave
//! (ids and coordinates only); the proximity engine times them with one search from the
//! origin; the full search, with every other filter, then runs on the reachable ones alone
//! (its per-space figures are what costs); the list is sorted by travel time and only then
//! paged, so pages never skip a space.

use std::collections::HashMap;

use mire_domain::Invalid;
use mire_geo::proximity::{Mode, Proximity, ProximityError};
use mire_geo::LatLon;
use mire_store::coworking::{SpaceHit, SpaceSearch};

use super::Failure;
use crate::proximity::{blocking, mode_field};
use crate::AppState;

/// The largest travel budget a search accepts, in minutes.
pub const MAX_MINUTES: u32 = 60;

/// Straight-line distances are measured differently by the store (great circle) and the
/// engine (local projection, within 0.3 %); the candidate circle is widened by this factor
/// and a few metres so that no reachable space is left out.
const RADIUS_MARGIN: f64 = 1.02;
const RADIUS_SLACK_M: f64 = 100.0;

/// Only spaces reachable from `from` within `minutes` by `mode`.
#[derive(Debug, Clone, Copy)]
pub struct TravelLimit {
    pub from: LatLon,
    pub minutes: u32,
    pub mode: Mode,
}

/// A space found, with the travel time from the origin when the search had a travel limit.
#[derive(Debug, Clone)]
pub struct Found {
    pub hit: SpaceHit,
    pub travel_secs: Option<u32>,
}

impl Found {
    /// Minutes with one decimal, as the travel-time API gives them.
    pub fn travel_minutes(&self) -> Option<f64> {
        self.travel_secs.map(mire_geo::proximity::minutes)
    }
}

/// `minutes`: a whole number from 1 to [`MAX_MINUTES`]; empty means no travel limit.
pub fn minutes_param(raw: &str, errors: &mut Invalid) -> Option<u32> {
    match raw.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(m) if (1..=MAX_MINUTES).contains(&m) => Some(m),
            _ => {
                errors.push("minutes", "error-travel-minutes");
                None
            }
        },
    }
}

/// `mode`: `walk` or `transit` (the default: most people reach a coworking space that way).
pub fn mode_param(raw: &str, errors: &mut Invalid) -> Option<Mode> {
    mode_field(raw, Mode::Transit, errors)
}

/// How far, in a straight line, any trip within the budget can get: no leg of the model is
/// faster than walking (on foot) or the fastest vehicle (by transit) in a straight line.
pub fn reach_radius_m(engine: &Proximity, limit: TravelLimit) -> f64 {
    let params = engine.params();
    let speed = match limit.mode {
        Mode::Walk => params.walking.speed_m_s,
        Mode::Transit => params.fastest_speed_m_s(),
    };
    f64::from(limit.minutes * 60) * speed * RADIUS_MARGIN + RADIUS_SLACK_M
}

/// Runs a search; with a travel limit, keeps the spaces reachable within it, nearest in time
/// first, and pages the result (the store's own paging would cut before the time filter).
pub async fn find(
    s: &AppState,
    mut q: SpaceSearch,
    travel: Option<TravelLimit>,
) -> Result<Vec<Found>, Failure> {
    let Some(limit) = travel else {
        let hits = s.db.search_spaces(&q).await?;
        return Ok(hits
            .into_iter()
            .map(|hit| Found {
                hit,
                travel_secs: None,
            })
            .collect());
    };
    let (offset, page) = (q.offset.max(0) as usize, q.limit);
    let reach = reach_radius_m(&s.proximity.engine, limit);
    let radius = q.near.map_or(reach, |(_, _, r)| r.min(reach));
    let (lat, lon) = (limit.from.lat, limit.from.lon);
    let candidates = s.db.space_points_near(lat, lon, radius).await?;
    let times = blocking(s, move |p| timed(&p.engine, limit, candidates))
        .await
        .map_err(Failure::Internal)??;
    q.near = Some((lat, lon, radius));
    q.offset = 0;
    q.limit = i64::MAX;
    let ids: Vec<i64> = times.keys().copied().collect();
    let mut found: Vec<Found> =
        s.db.search_spaces_among(&q, &ids)
            .await?
            .into_iter()
            .map(|hit| Found {
                travel_secs: times.get(&hit.id).copied(),
                hit,
            })
            .collect();
    found.sort_by_key(|f| (f.travel_secs, f.hit.id));
    let page = if page <= 0 { 50 } else { page } as usize;
    Ok(found.into_iter().skip(offset).take(page).collect())
}

/// Travel seconds to each candidate (id, lat, lon) reachable within the limit.
fn timed(
    engine: &Proximity,
    limit: TravelLimit,
    candidates: Vec<(i64, f64, f64)>,
) -> Result<HashMap<i64, u32>, Failure> {
    let places: Vec<(i64, LatLon)> = candidates
        .into_iter()
        .map(|(id, lat, lon)| (id, LatLon::new(lat, lon)))
        .collect();
    let times = reachable(engine, limit, &places)
        .map_err(|e| Failure::Internal(format!("travel-time search: {e}")))?;
    Ok(times.into_iter().collect())
}

/// Seconds from `limit.from` to each place (id, point) reachable within the limit: one
/// search of the engine, then a look-up per place (about 0.1 ms for a hundred places).
pub fn reachable(
    engine: &Proximity,
    limit: TravelLimit,
    places: &[(i64, LatLon)],
) -> Result<Vec<(i64, u32)>, ProximityError> {
    let reach = engine.one_to_all(limit.from, limit.mode, Some(limit.minutes * 60))?;
    Ok(places
        .iter()
        .filter_map(|(id, at)| Some((*id, reach.secs_to(*at)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_whole_and_within_an_hour() {
        let mut errors = Invalid::default();
        assert_eq!(minutes_param("", &mut errors), None);
        assert_eq!(minutes_param(" 15 ", &mut errors), Some(15));
        assert_eq!(minutes_param("60", &mut errors), Some(60));
        assert!(errors.is_empty());
        for bad in ["0", "61", "-5", "7.5", "tanti"] {
            let mut errors = Invalid::default();
            assert_eq!(minutes_param(bad, &mut errors), None, "{bad}");
            assert_eq!(errors.0[0].field, "minutes");
        }
    }

    #[test]
    fn the_mode_defaults_to_transit() {
        let mut errors = Invalid::default();
        assert_eq!(mode_param("", &mut errors), Some(Mode::Transit));
        assert_eq!(mode_param("walk", &mut errors), Some(Mode::Walk));
        assert!(errors.is_empty());
        assert_eq!(mode_param("bike", &mut errors), None);
        assert_eq!(errors.0[0].field, "mode");
    }
}
