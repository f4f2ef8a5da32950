//! The geography of MIRE: where things are in Milan and how long it takes to get there.
//!
//! `territory` knows the city's Municipi and NIL (Nuclei d'Identità Locale) and draws maps;
//! `proximity` models moving around the city. Neither knows anything of HTTP or SQL.

pub mod proximity;
pub mod territory;

use serde::{Deserialize, Serialize};

/// A WGS84 coordinate (EPSG:4326), the reference system of every file the product ships.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// Mean Earth radius in metres (IUGG), for great-circle distances.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl LatLon {
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle (haversine) distance in metres.
    pub fn distance_m(self, other: LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}
