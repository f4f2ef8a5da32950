//! The city the engine answers for: its boundary (points outside get a distinct error) and
//! where its residents live, as sample points inside each NIL.
//!
//! Population weighting: every NIL is covered by a square lattice of sample points (spacing
//! in `accessibility.sample_spacing_m`) and each point stands for an equal share of the NIL's
//! 2024 residents. Without finer data (the census sections of the shipped data have no
//! geometry) this assumes residents spread evenly within a NIL, while NIL of very different
//! density still weigh by their own population in city-wide figures.

use super::grid::Projection;
use crate::territory::Territory;
use crate::LatLon;

/// Sample points of one NIL and the residents they stand for.
#[derive(Debug, Clone, PartialEq)]
pub struct NilSamples {
    pub id: u16,
    pub name: String,
    pub municipio: u8,
    pub residents: u32,
    /// Points inside the NIL; never empty.
    pub samples: Vec<LatLon>,
}

type Locate = dyn Fn(LatLon) -> Option<u16> + Send + Sync;

/// The boundary and the neighbourhoods of the city.
pub struct CityArea {
    nils: Vec<NilSamples>,
    locate: Box<Locate>,
}

impl std::fmt::Debug for CityArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CityArea")
            .field("nils", &self.nils.len())
            .finish()
    }
}

impl CityArea {
    /// A city from its NIL samples and a function that names the NIL holding a point (or
    /// `None` outside the city).
    pub fn new(
        nils: Vec<NilSamples>,
        locate: impl Fn(LatLon) -> Option<u16> + Send + Sync + 'static,
    ) -> CityArea {
        CityArea {
            nils,
            locate: Box::new(locate),
        }
    }

    /// Milan's 88 NIL with their 2024 residents, sampled every `spacing_m` metres.
    pub fn milan(spacing_m: f64) -> CityArea {
        let territory = Territory::milan();
        let nils = territory
            .nils()
            .iter()
            .map(|nil| {
                let bbox = nil.shape.bbox();
                // The NIL and Municipi layers differ by a few metres along the city limit:
                // keep only points inside both, so every sample is a valid query origin.
                let inside = |p| nil.shape.contains(p) && territory.contains(p);
                let mut samples = lattice(bbox.min, bbox.max, spacing_m, inside);
                if samples.is_empty() {
                    samples.push(nil.shape.interior_point());
                }
                NilSamples {
                    id: nil.id,
                    name: nil.name.clone(),
                    municipio: nil.municipio,
                    residents: nil.residents_2024,
                    samples,
                }
            })
            .collect();
        CityArea::new(nils, move |p| territory.locate(p).map(|place| place.nil_id))
    }

    /// A rectangle with no neighbourhoods, for networks that are not Milan (tests,
    /// synthetic benchmarks): every point inside counts as NIL 0.
    pub fn rectangle(south_west: LatLon, north_east: LatLon) -> CityArea {
        CityArea::new(Vec::new(), move |p| {
            let inside = (south_west.lat..=north_east.lat).contains(&p.lat)
                && (south_west.lon..=north_east.lon).contains(&p.lon);
            inside.then_some(0)
        })
    }

    pub fn nils(&self) -> &[NilSamples] {
        &self.nils
    }

    /// The NIL holding a point, `None` outside the city.
    pub fn locate(&self, p: LatLon) -> Option<u16> {
        (self.locate)(p)
    }

    /// Total residents of all NIL.
    pub fn residents(&self) -> u64 {
        self.nils.iter().map(|n| n.residents as u64).sum()
    }
}

/// Points of a square lattice over a box that pass `inside`.
pub(crate) fn lattice(
    min: LatLon,
    max: LatLon,
    spacing_m: f64,
    inside: impl Fn(LatLon) -> bool,
) -> Vec<LatLon> {
    let proj = Projection::around(min);
    let top = proj.xy(max);
    let mut points = Vec::new();
    let mut y = spacing_m / 2.0;
    while y < top[1] {
        let mut x = spacing_m / 2.0;
        while x < top[0] {
            let p = proj.latlon([x, y]);
            if inside(p) {
                points.push(p);
            }
            x += spacing_m;
        }
        y += spacing_m;
    }
    points
}
