//! ATM's open data (Comune di Milano, CC BY 4.0): stops, routes and the order of stops on
//! each route, plus the source of ride and waiting times.
//!
//! The files carry no timetable, so [`HeadwayModel`] derives times from per-mode speeds and
//! headways. A GTFS import can later provide the same [`RideTimes`] trait from scheduled
//! times without changing the network or the queries.

use std::collections::HashMap;

use serde::Deserialize;

use super::{ModeParams, Params, ProximityError, TransitMode};
use crate::LatLon;

const SURFACE_STOPS: &str =
    include_str!("../../../../data/milano/transit/ds534_atm_fermate_superficie.geojson");
const METRO_STOPS: &str =
    include_str!("../../../../data/milano/transit/ds535_atm_fermate_metro.geojson");
const SURFACE_ROUTES: &str =
    include_str!("../../../../data/milano/transit/ds538_atm_percorsi_superficie.geojson");
const METRO_ROUTES: &str =
    include_str!("../../../../data/milano/transit/ds539_atm_percorsi_metro.geojson");
const SURFACE_SEQUENCE: &str =
    include_str!("../../../../data/milano/transit/ds532_atm_sequenza_superficie.geojson");
const METRO_SEQUENCE: &str =
    include_str!("../../../../data/milano/transit/ds533_atm_sequenza_metro.geojson");

/// A place where vehicles stop (fermata).
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// Stable id, `atm:ID` for surface stops and `atm-metro:ID` for metro stations.
    pub id: String,
    /// Station name or stop location as ATM writes it.
    pub name: String,
    pub at: LatLon,
}

/// One line variant (percorso) as the operator publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// ATM's percorso id.
    pub id: String,
    /// The line people know: "M1", "55", "90".
    pub line: String,
    pub mode: TransitMode,
    /// Terminus to terminus, e.g. "BISCEGLIE - SESTO 1 MAGGIO FS".
    pub name: String,
}

/// A route and the stops it serves, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutePattern {
    pub route: Route,
    /// Indices into [`TransitData::stops`].
    pub stops: Vec<u32>,
    /// Length along the route geometry, when the operator publishes it.
    pub length_m: Option<f64>,
}

impl RoutePattern {
    /// Metres between consecutive stops along the route: the straight lines between stops
    /// scaled so that they add up to the published route length (never shortened).
    pub fn segment_metres(&self, stops: &[Stop]) -> Vec<f64> {
        let straight: Vec<f64> = self
            .stops
            .windows(2)
            .map(|w| stops[w[0] as usize].at.distance_m(stops[w[1] as usize].at))
            .collect();
        let total: f64 = straight.iter().sum();
        let scale = match self.length_m {
            Some(len) if total > 0.0 => (len / total).max(1.0),
            _ => 1.0,
        };
        straight.into_iter().map(|d| d * scale).collect()
    }
}

/// Stops and routes of a transit network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransitData {
    pub stops: Vec<Stop>,
    pub patterns: Vec<RoutePattern>,
}

/// Where ride and waiting times come from.
pub trait RideTimes {
    /// Seconds waited at the stop where a traveller boards `route`.
    fn wait_secs(&self, route: &Route) -> u32;
    /// In-vehicle seconds from stop `segment` to stop `segment + 1` of `pattern`, which are
    /// `metres` apart along the route.
    fn ride_secs(&self, pattern: &RoutePattern, segment: usize, metres: f64) -> u32;
}

/// Times without a timetable: half the headway of the mode, then the commercial speed.
#[derive(Debug, Clone)]
pub struct HeadwayModel {
    modes: [ModeParams; 4],
}

impl HeadwayModel {
    pub fn new(params: &Params) -> HeadwayModel {
        HeadwayModel {
            modes: TransitMode::ALL.map(|m| params.mode(m)),
        }
    }

    fn of(&self, mode: TransitMode) -> ModeParams {
        self.modes[TransitMode::ALL
            .iter()
            .position(|m| *m == mode)
            .unwrap_or(0)]
    }
}

impl RideTimes for HeadwayModel {
    fn wait_secs(&self, route: &Route) -> u32 {
        super::params::secs_ceil(self.of(route.mode).headway_min * 60.0 / 2.0)
    }

    fn ride_secs(&self, pattern: &RoutePattern, _segment: usize, metres: f64) -> u32 {
        super::params::secs_ceil(metres / (self.of(pattern.route.mode).speed_kmh / 3.6))
    }
}

#[derive(Deserialize)]
struct Collection<P> {
    features: Vec<Feature<P>>,
}

#[derive(Deserialize)]
struct Feature<P> {
    properties: P,
    geometry: Option<PointGeometry>,
}

#[derive(Deserialize)]
pub(crate) struct PointGeometry {
    #[serde(default)]
    coordinates: serde_json::Value,
}

#[derive(Deserialize)]
struct StopProps {
    id_amat: i64,
    #[serde(alias = "nome")]
    ubicazione: Option<String>,
}

#[derive(Deserialize)]
struct RouteProps {
    linea: serde_json::Value,
    mezzo: String,
    percorso: i64,
    nome: Option<String>,
    lung_km: Option<f64>,
}

#[derive(Deserialize)]
struct SequenceProps {
    percorso: i64,
    num: i64,
    id_ferm: i64,
}

/// Route features are big because of their geometry; only the attributes are read.
#[derive(Deserialize)]
struct RouteCollection {
    features: Vec<RouteFeature>,
}

#[derive(Deserialize)]
struct RouteFeature {
    properties: RouteProps,
}

impl TransitData {
    /// ATM's metro and surface network as shipped in `data/milano/transit` (2020).
    pub fn milan_atm() -> Result<TransitData, ProximityError> {
        let mut data = TransitData::default();
        data.add_network(SURFACE_STOPS, SURFACE_ROUTES, SURFACE_SEQUENCE, "atm")?;
        data.add_network(METRO_STOPS, METRO_ROUTES, METRO_SEQUENCE, "atm-metro")?;
        Ok(data)
    }

    /// Adds one of ATM's three-file networks (stops, routes, stop sequences).
    fn add_network(
        &mut self,
        stops: &str,
        routes: &str,
        sequence: &str,
        prefix: &str,
    ) -> Result<(), ProximityError> {
        let by_amat = self.add_stops(stops, prefix)?;
        let routes: RouteCollection = parse_json(routes)?;
        let sequence: Collection<SequenceProps> = parse_json(sequence)?;
        let mut order: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for f in sequence.features {
            let p = f.properties;
            order
                .entry(p.percorso)
                .or_default()
                .push((p.num, p.id_ferm));
        }
        for f in routes.features {
            let route = route_of(&f.properties)?;
            let mut seq = order.remove(&f.properties.percorso).unwrap_or_default();
            seq.sort_unstable();
            let stops = seq
                .iter()
                .map(|(_, id)| {
                    by_amat.get(id).copied().ok_or_else(|| {
                        ProximityError::Data(format!(
                            "route {} stops at unknown stop {id}",
                            route.id
                        ))
                    })
                })
                .collect::<Result<Vec<u32>, _>>()?;
            let length_m = f.properties.lung_km.map(|km| km * 1000.0);
            self.patterns.push(RoutePattern {
                route,
                stops,
                length_m,
            });
        }
        Ok(())
    }

    /// Adds the stops of a GeoJSON file and maps ATM's ids to their indices.
    fn add_stops(&mut self, text: &str, prefix: &str) -> Result<HashMap<i64, u32>, ProximityError> {
        let stops: Collection<StopProps> = parse_json(text)?;
        let mut by_amat = HashMap::new();
        for f in stops.features {
            let Some(at) = f.geometry.as_ref().and_then(point_of) else {
                continue;
            };
            by_amat.insert(f.properties.id_amat, self.stops.len() as u32);
            self.stops.push(Stop {
                id: format!("{prefix}:{}", f.properties.id_amat),
                name: f.properties.ubicazione.unwrap_or_default(),
                at,
            });
        }
        Ok(by_amat)
    }
}

fn route_of(p: &RouteProps) -> Result<Route, ProximityError> {
    let mode = match p.mezzo.as_str() {
        "METRO" => TransitMode::Metro,
        "TRAM" => TransitMode::Tram,
        "BUS" => TransitMode::Bus,
        "FILOBUS" => TransitMode::Trolleybus,
        other => {
            return Err(ProximityError::Data(format!(
                "unknown vehicle type {other}"
            )))
        }
    };
    let number = match &p.linea {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let line = if mode == TransitMode::Metro {
        format!("M{number}")
    } else {
        number
    };
    Ok(Route {
        id: p.percorso.to_string(),
        line,
        mode,
        name: p.nome.clone().unwrap_or_default(),
    })
}

/// A GeoJSON point's `[lon, lat]`.
pub(crate) fn point_of(g: &PointGeometry) -> Option<LatLon> {
    let c = g.coordinates.as_array()?;
    let (lon, lat) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
    Some(LatLon::new(lat, lon))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ProximityError> {
    serde_json::from_str(text).map_err(|e| ProximityError::Data(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atm_network_has_every_route_and_stop() {
        let data = TransitData::milan_atm().unwrap();
        assert_eq!(data.stops.len(), 2618 + 110);
        assert_eq!(data.patterns.len(), 194 + 38);
        let m1 = data
            .patterns
            .iter()
            .find(|p| p.route.id == "100002")
            .unwrap();
        assert_eq!(m1.route.line, "M1");
        assert_eq!(m1.stops.len(), 27);
        let first = &data.stops[m1.stops[0] as usize];
        let last = &data.stops[*m1.stops.last().unwrap() as usize];
        assert_eq!(
            (first.name.as_str(), last.name.as_str()),
            ("BISCEGLIE", "SESTO 1 MAGGIO FS")
        );
    }

    #[test]
    fn segments_add_up_to_the_published_route_length() {
        let data = TransitData::milan_atm().unwrap();
        for p in &data.patterns {
            let total: f64 = p.segment_metres(&data.stops).iter().sum();
            if let Some(len) = p.length_m {
                assert!(
                    total >= len - 1.0,
                    "route {} is shorter than published",
                    p.route.id
                );
            }
        }
    }
}
