//! Time regained (tempo ritrovato): minutes and CO2 saved on a day worked at a coworking
//! space near home instead of the office.

use serde::{Deserialize, Serialize};

use super::{LegMode, Mode, Proximity, ProximityError, TransitMode};
use crate::LatLon;

/// How the worker would commute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommuteMode {
    Car,
    Transit,
}

impl CommuteMode {
    pub fn parse(text: &str) -> Option<CommuteMode> {
        match text {
            "car" => Some(CommuteMode::Car),
            "transit" => Some(CommuteMode::Transit),
            _ => None,
        }
    }
}

/// One one-way trip from home.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trip {
    pub minutes: f64,
    /// Kilometres in a vehicle (0 when walking is fastest).
    pub vehicle_km: f64,
    pub kg_co2: f64,
    /// True when walking beats the chosen mode, so the worker walks.
    pub walks: bool,
}

/// The saving of one day at the coworking space instead of the office.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeRegained {
    pub mode: CommuteMode,
    pub to_office: Trip,
    pub to_coworking: Trip,
    /// Round trip (there and back, assumed symmetric); negative when the coworking space is
    /// farther than the office.
    pub minutes_saved_per_day: f64,
    pub km_avoided_per_day: f64,
    pub kg_co2_avoided_per_day: f64,
    /// ENEA's measured saving per remote-work day, for comparison.
    pub enea_kg_co2_per_day: f64,
    pub enea_hours_per_day: f64,
    /// Sources of the factors used.
    pub sources: Vec<String>,
}

impl Proximity {
    /// Round-trip minutes and CO2 saved per day worked at `coworking` instead of `office`.
    pub fn time_regained(
        &self,
        home: LatLon,
        office: LatLon,
        coworking: LatLon,
        mode: CommuteMode,
    ) -> Result<TimeRegained, ProximityError> {
        let to_office = self.trip(home, office, mode)?;
        let to_coworking = self.trip(home, coworking, mode)?;
        let p = &self.params;
        let round = |x: f64| (x * 100.0).round() / 100.0;
        Ok(TimeRegained {
            mode,
            minutes_saved_per_day: round(2.0 * (to_office.minutes - to_coworking.minutes)),
            km_avoided_per_day: round(2.0 * (to_office.vehicle_km - to_coworking.vehicle_km)),
            kg_co2_avoided_per_day: round(2.0 * (to_office.kg_co2 - to_coworking.kg_co2)),
            to_office,
            to_coworking,
            enea_kg_co2_per_day: p.reference.enea_kg_co2_per_day,
            enea_hours_per_day: p.reference.enea_hours_per_day,
            sources: vec![
                p.walking.source.clone(),
                p.transit.source.clone(),
                p.car.source.clone(),
                p.emissions.source.clone(),
                p.reference.source.clone(),
            ],
        })
    }

    /// A one-way trip by the chosen mode, or on foot when walking is faster.
    pub fn trip(
        &self,
        from: LatLon,
        to: LatLon,
        mode: CommuteMode,
    ) -> Result<Trip, ProximityError> {
        let walk = self.travel_time(from, to, Mode::Walk)?.seconds;
        let (secs, km, kg) = match mode {
            CommuteMode::Car => self.car_trip(from, to),
            CommuteMode::Transit => self.transit_trip(from, to)?,
        };
        if walk <= secs {
            return Ok(Trip {
                minutes: super::engine::minutes(walk),
                vehicle_km: 0.0,
                kg_co2: 0.0,
                walks: true,
            });
        }
        Ok(Trip {
            minutes: super::engine::minutes(secs),
            vehicle_km: km,
            kg_co2: kg,
            walks: false,
        })
    }

    /// Straight line times the road detour, at the average urban speed, plus parking.
    fn car_trip(&self, from: LatLon, to: LatLon) -> (u32, f64, f64) {
        let car = &self.params.car;
        let km = from.distance_m(to) * car.detour_factor / 1000.0;
        let secs = super::params::secs_ceil(km / car.speed_kmh * 3600.0 + car.parking_min * 60.0);
        (secs, km, km * self.params.emissions.car_kg_per_km)
    }

    /// The transit journey, with emissions per passenger-km of each ride's mode.
    fn transit_trip(&self, from: LatLon, to: LatLon) -> Result<(u32, f64, f64), ProximityError> {
        let journey = self.travel_time(from, to, Mode::Transit)?;
        let (mut km, mut kg) = (0.0, 0.0);
        for leg in &journey.legs {
            let mode = match leg.mode {
                LegMode::Walk => continue,
                LegMode::Metro => TransitMode::Metro,
                LegMode::Tram => TransitMode::Tram,
                LegMode::Bus => TransitMode::Bus,
                LegMode::Trolleybus => TransitMode::Trolleybus,
            };
            km += leg.metres / 1000.0;
            kg += leg.metres / 1000.0 * self.params.transit_kg_per_pkm(mode);
        }
        Ok((journey.seconds, km, kg))
    }
}
