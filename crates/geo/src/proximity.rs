//! The proximity engine: a model of moving around Milan on foot and by public transport.
//!
//! The model (see `docs/proximity.md` for the algorithms and their limits):
//! - **walking** is a straight line times a detour factor at walking speed, or, when an
//!   OpenStreetMap walking network is loaded ([`StreetNetwork`]), the shortest path on it;
//! - **transit** rides go between consecutive stops of each ATM route at the commercial
//!   speed of its mode, after waiting half the mode's headway ([`HeadwayModel`]; a timetable
//!   source can replace it through the [`RideTimes`] trait);
//! - **transfers** are walks between nearby stops.
//!
//! Everything numeric comes from `data/proximity/params.toml` ([`Params`]).
//!
//! Entry points for the web and CLI layers: [`Proximity::milan`] (load the city model),
//! [`Proximity::travel_time`], [`Proximity::isochrone`], [`Proximity::nearest`],
//! [`Proximity::accessibility`], [`Proximity::time_regained`],
//! [`Proximity::export_network`], [`import_osm`] and [`StreetNetwork::save`]/[`StreetNetwork::load`].

mod accessibility;
mod atm;
mod city;
mod engine;
mod export;
mod grid;
mod isochrone;
mod landmarks;
mod network;
mod osm;
mod params;
mod regained;
mod search;
mod services;
mod streets;

pub use accessibility::{AccessibilityReport, CategoryShare, NilAccessibility};
pub use atm::{HeadwayModel, RideTimes, Route, RoutePattern, Stop, TransitData};
pub use city::{CityArea, NilSamples};
pub use engine::{minutes, Journey, Leg, Proximity, Reach, Waypoint};
pub use export::ExportSummary;
pub use isochrone::{Isochrone, NilReach, ReachedPoint};
pub use network::{Edge, Network, Node, NodeKind};
pub use osm::{import_osm, is_walkable};
pub use params::{ModeParams, Params};
pub use regained::{CommuteMode, TimeRegained, Trip};
pub use services::{Category, ServiceCatalog, ServicePoint};
pub use streets::StreetNetwork;

use serde::{Deserialize, Serialize};

/// How a traveller may move in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// On foot only.
    Walk,
    /// Public transport with walking to, from and between stops (or walking all the way
    /// when that is faster).
    Transit,
}

impl Mode {
    pub fn slug(self) -> &'static str {
        match self {
            Mode::Walk => "walk",
            Mode::Transit => "transit",
        }
    }

    /// Parses `walk` or `transit`, as the API receives them.
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "walk" => Some(Mode::Walk),
            "transit" => Some(Mode::Transit),
            _ => None,
        }
    }
}

/// The kinds of vehicle in ATM's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitMode {
    Metro,
    Tram,
    Bus,
    /// Filobus.
    Trolleybus,
}

impl TransitMode {
    pub const ALL: [TransitMode; 4] = [
        TransitMode::Metro,
        TransitMode::Tram,
        TransitMode::Bus,
        TransitMode::Trolleybus,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            TransitMode::Metro => "metro",
            TransitMode::Tram => "tram",
            TransitMode::Bus => "bus",
            TransitMode::Trolleybus => "trolleybus",
        }
    }
}

/// What a leg of a journey is done with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegMode {
    Walk,
    Metro,
    Tram,
    Bus,
    Trolleybus,
}

impl From<TransitMode> for LegMode {
    fn from(mode: TransitMode) -> Self {
        match mode {
            TransitMode::Metro => LegMode::Metro,
            TransitMode::Tram => LegMode::Tram,
            TransitMode::Bus => LegMode::Bus,
            TransitMode::Trolleybus => LegMode::Trolleybus,
        }
    }
}

impl LegMode {
    pub fn slug(self) -> &'static str {
        match self {
            LegMode::Walk => "walk",
            LegMode::Metro => "metro",
            LegMode::Tram => "tram",
            LegMode::Bus => "bus",
            LegMode::Trolleybus => "trolleybus",
        }
    }
}

/// Everything that can go wrong. The first three are the caller's input (the API answers
/// 422, see [`ProximityError::is_bad_input`]); the others are data or file problems.
#[derive(Debug, thiserror::Error)]
pub enum ProximityError {
    #[error("the point {lat},{lon} is outside the city")]
    OutsideCity { lat: f64, lon: f64 },
    #[error("coordinates must be finite numbers with latitude in [-90, 90] and longitude in [-180, 180]")]
    InvalidCoordinates,
    #[error("the time budget must be more than 0 and at most {max} minutes")]
    InvalidBudget { max: f64 },
    #[error("no route joins these points (one of them is off the walking network)")]
    NoRoute,
    #[error("parameters file: {0}")]
    Params(String),
    #[error("open data: {0}")]
    Data(String),
    #[error("OpenStreetMap import: {0}")]
    Osm(String),
    #[error("street network file: {0}")]
    StreetFile(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl ProximityError {
    /// True when the error comes from what the user asked (coordinates, minutes), so the
    /// answer is a clear 422 rather than a server error.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ProximityError::OutsideCity { .. }
                | ProximityError::InvalidCoordinates
                | ProximityError::InvalidBudget { .. }
                | ProximityError::NoRoute
        )
    }
}
