//! The model's parameters, read from `data/proximity/params.toml` (embedded in the binary).
//!
//! Every speed, headway, factor and threshold of the engine comes from that one file, which
//! cites a source for each value; the code converts units and nothing else.

use serde::{Deserialize, Serialize};

use super::{ProximityError, TransitMode};

/// The shipped parameters file, so the binary runs from any directory.
const SHIPPED: &str = include_str!("../../../../data/proximity/params.toml");

/// All parameters of the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub walking: WalkingParams,
    pub transit: TransitParams,
    pub car: CarParams,
    pub emissions: EmissionParams,
    pub reference: ReferenceParams,
    pub accessibility: AccessibilityParams,
    pub isochrone: IsochroneParams,
    pub streets: StreetParams,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkingParams {
    pub speed_m_s: f64,
    pub detour_factor: f64,
    pub max_access_m: f64,
    pub max_transfer_m: f64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitParams {
    pub metro: ModeParams,
    pub tram: ModeParams,
    pub bus: ModeParams,
    pub trolleybus: ModeParams,
    pub source: String,
}

/// Commercial speed and headway of one transit mode.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeParams {
    pub speed_kmh: f64,
    pub headway_min: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarParams {
    pub speed_kmh: f64,
    pub detour_factor: f64,
    pub parking_min: f64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmissionParams {
    pub car_kg_per_km: f64,
    pub metro_kg_per_pkm: f64,
    pub tram_kg_per_pkm: f64,
    pub trolleybus_kg_per_pkm: f64,
    pub bus_kg_per_pkm: f64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceParams {
    pub enea_kg_co2_per_day: f64,
    pub enea_hours_per_day: f64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessibilityParams {
    pub minutes: f64,
    pub sample_spacing_m: f64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsochroneParams {
    pub cell_m: f64,
    pub max_minutes: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetParams {
    pub max_snap_m: f64,
}

impl Params {
    /// The parameters shipped with the product.
    pub fn shipped() -> Params {
        Params::from_toml(SHIPPED).expect("the shipped data/proximity/params.toml is valid")
    }

    /// Parses and checks a parameters file (for operators who tune the model).
    pub fn from_toml(text: &str) -> Result<Params, ProximityError> {
        let params: Params =
            toml::from_str(text).map_err(|e| ProximityError::Params(e.to_string()))?;
        params.check()?;
        Ok(params)
    }

    /// Rejects values that would make travel times meaningless (zero speeds, detours below 1).
    fn check(&self) -> Result<(), ProximityError> {
        let positive = [
            ("walking.speed_m_s", self.walking.speed_m_s),
            ("walking.max_access_m", self.walking.max_access_m),
            ("car.speed_kmh", self.car.speed_kmh),
            ("accessibility.minutes", self.accessibility.minutes),
            (
                "accessibility.sample_spacing_m",
                self.accessibility.sample_spacing_m,
            ),
            ("isochrone.cell_m", self.isochrone.cell_m),
            ("isochrone.max_minutes", self.isochrone.max_minutes),
            ("streets.max_snap_m", self.streets.max_snap_m),
        ];
        let modes = TransitMode::ALL.map(|m| (m.slug(), self.mode(m).speed_kmh));
        for (name, value) in positive.into_iter().chain(modes) {
            if !(value > 0.0 && value.is_finite()) {
                return Err(ProximityError::Params(format!("{name} must be positive")));
            }
        }
        if self.walking.detour_factor < 1.0 || self.car.detour_factor < 1.0 {
            return Err(ProximityError::Params(
                "detour factors must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Speed and headway of a transit mode.
    pub fn mode(&self, mode: TransitMode) -> ModeParams {
        match mode {
            TransitMode::Metro => self.transit.metro,
            TransitMode::Tram => self.transit.tram,
            TransitMode::Bus => self.transit.bus,
            TransitMode::Trolleybus => self.transit.trolleybus,
        }
    }

    /// CO2 per passenger-km of a transit mode.
    pub fn transit_kg_per_pkm(&self, mode: TransitMode) -> f64 {
        let e = &self.emissions;
        match mode {
            TransitMode::Metro => e.metro_kg_per_pkm,
            TransitMode::Tram => e.tram_kg_per_pkm,
            TransitMode::Bus => e.bus_kg_per_pkm,
            TransitMode::Trolleybus => e.trolleybus_kg_per_pkm,
        }
    }

    /// Seconds to walk a straight-line distance when no street network is loaded.
    pub fn walk_secs_straight(&self, metres: f64) -> u32 {
        secs_ceil(metres * self.walking.detour_factor / self.walking.speed_m_s)
    }

    /// Seconds to walk a distance measured along streets.
    pub fn walk_secs_network(&self, metres: f64) -> u32 {
        secs_ceil(metres / self.walking.speed_m_s)
    }

    /// The fastest speed any leg can reach, for lower bounds on travel time.
    pub fn fastest_speed_m_s(&self) -> f64 {
        TransitMode::ALL
            .iter()
            .map(|m| self.mode(*m).speed_kmh / 3.6)
            .fold(self.walking.speed_m_s, f64::max)
    }
}

/// Rounds up so that rounding never makes a leg faster than the model says.
pub(crate) fn secs_ceil(secs: f64) -> u32 {
    secs.max(0.0).ceil().min(u32::MAX as f64 / 4.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_parameters_parse_and_have_sources() {
        let p = Params::shipped();
        assert!(p.walking.source.contains("Highway Capacity Manual"));
        assert!(p.fastest_speed_m_s() > p.walking.speed_m_s);
    }

    #[test]
    fn a_zero_speed_is_rejected() {
        let text = SHIPPED.replace("speed_m_s = 1.25", "speed_m_s = 0.0");
        assert!(matches!(
            Params::from_toml(&text),
            Err(ProximityError::Params(_))
        ));
    }
}
