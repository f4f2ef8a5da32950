//! Municipi, NIL, point-in-polygon and SVG maps of Milan.
//!
//! Milan is divided into 9 Municipi (administrative districts, each with its own council) and
//! 88 NIL (Nuclei d'Identità Locale, the neighbourhoods of the city plan). Every address the
//! platform saves is placed in both, so that coworking supply, welfare services and "time
//! regained" can be counted per neighbourhood. The boundaries and the 2024 residents come from
//! the Comune di Milano open data (CC BY 4.0) and are embedded in the binary.

mod geometry;
mod index;
pub mod map;
mod simplify;
mod source;

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use serde::Serialize;

use crate::LatLon;

pub use geometry::{BBox, MultiPolygon, Polygon};
use index::ShapeIndex;
pub use map::{Map, Marker, Projection};

/// Where a point is: its NIL and its Municipio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    pub nil_id: u16,
    pub municipio: u8,
}

/// A Nucleo d'Identità Locale: one of the 88 neighbourhoods of the city plan (PGT 2030).
#[derive(Debug, Clone)]
pub struct Nil {
    /// `ID_NIL` of the open data, 1 to 88.
    pub id: u16,
    /// Official name in capitals, e.g. "DUOMO".
    pub name: String,
    /// The Municipio holding most of the NIL's surface, estimated by sampling a grid of points
    /// inside the NIL (see [`Territory::from_open_data`]). A few NIL straddle a Municipio
    /// border; for a single address use [`Territory::locate`], which reads the Municipi.
    pub municipio: u8,
    /// Registered residents at the end of 2024 (ds205 `Totale`).
    pub residents_2024: u32,
    /// Surface computed from the boundary.
    pub area_m2: f64,
    /// Centre of mass of the surface; it may fall outside a concave NIL, use
    /// `shape.interior_point()` when a point inside is needed.
    pub centroid: LatLon,
    pub shape: MultiPolygon,
}

/// One of the 9 Municipi, the administrative districts of the Comune.
#[derive(Debug, Clone)]
pub struct Municipio {
    /// 1 (the centre) to 9.
    pub number: u8,
    /// Surface computed from the boundary.
    pub area_m2: f64,
    pub shape: MultiPolygon,
}

/// The embedded data could not be read; the message names the file and the record.
#[derive(Debug, thiserror::Error)]
pub enum TerritoryError {
    #[error("the {dataset} GeoJSON is not valid: {source}")]
    Json {
        dataset: &'static str,
        source: serde_json::Error,
    },
    #[error("the {dataset} feature {id} has a bad geometry: {reason}")]
    Geometry {
        dataset: &'static str,
        id: u32,
        reason: &'static str,
    },
    #[error("the {dataset} data has {id} twice")]
    Duplicate { dataset: &'static str, id: u32 },
    #[error("the demographics CSV cannot be read: {0}")]
    Csv(#[from] csv::Error),
    #[error("the demographics CSV has no column {0:?}")]
    MissingColumn(&'static str),
    #[error("the demographics CSV, line {line}: {reason}")]
    Demographics { line: usize, reason: String },
    #[error("the demographics CSV has no residents for NIL {0}")]
    MissingResidents(u16),
    #[error("NIL {0} lies in no Municipio")]
    NilOutsideMunicipi(u16),
    #[error("the {0} data has no features")]
    Empty(&'static str),
}

/// The city: its Municipi and NIL, with lookup indexes kept aside for point queries.
#[derive(Debug)]
pub struct Territory {
    municipi: Vec<Municipio>,
    nils: Vec<Nil>,
    /// `municipio_index[i]` answers for `municipi[i]`; likewise for NIL.
    municipio_index: Vec<ShapeIndex>,
    nil_index: Vec<ShapeIndex>,
    bbox: BBox,
    /// Simplified outlines for maps, computed on the first map drawn.
    outlines: OnceLock<map::Outlines>,
}

static MILAN: LazyLock<Territory> = LazyLock::new(|| {
    Territory::from_open_data(
        include_str!("../../../data/milano/boundaries/ds379_municipi.geojson"),
        include_str!("../../../data/milano/boundaries/ds964_nil.geojson"),
        include_str!("../../../data/milano/demographics/ds205_demografia_nil_2024.csv"),
    )
    .expect("the Milan open data embedded at build time is valid (see the territory tests)")
});

/// Grid side used to sample a NIL when deciding which Municipio holds most of it.
const MUNICIPIO_VOTE_GRID: usize = 16;

impl Territory {
    /// Milan, parsed from the embedded open data on first use and shared afterwards.
    pub fn milan() -> &'static Territory {
        &MILAN
    }

    /// Builds a territory from the Comune di Milano formats: Municipi GeoJSON (ds379,
    /// `MUNICIPIO`), NIL GeoJSON (ds964, `ID_NIL`, `NIL`) and NIL demographics CSV (ds205).
    ///
    /// Each NIL's Municipio is decided by a vote: the points of a 16×16 grid over the NIL's box
    /// that fall inside the NIL, plus its interior point, are placed in the Municipi, and the
    /// most frequent Municipio wins (the lower number on a tie). This follows the surface, not
    /// a single point that a concave shape could put on the wrong side.
    pub fn from_open_data(
        municipi_geojson: &str,
        nil_geojson: &str,
        demographics_csv: &str,
    ) -> Result<Territory, TerritoryError> {
        let municipi = load_municipi(municipi_geojson)?;
        let municipio_index: Vec<ShapeIndex> =
            municipi.iter().map(|m| ShapeIndex::new(&m.shape)).collect();
        let bbox = municipio_index
            .iter()
            .map(ShapeIndex::bbox)
            .reduce(BBox::union)
            .ok_or(TerritoryError::Empty("municipi"))?;
        let mut territory = Territory {
            municipi,
            nils: Vec::new(),
            municipio_index,
            nil_index: Vec::new(),
            bbox,
            outlines: OnceLock::new(),
        };
        territory.nils = territory.load_nils(nil_geojson, demographics_csv)?;
        territory.nil_index = territory
            .nils
            .iter()
            .map(|n| ShapeIndex::new(&n.shape))
            .collect();
        Ok(territory)
    }

    /// Sorted by number.
    pub fn municipi(&self) -> &[Municipio] {
        &self.municipi
    }

    /// Sorted by id.
    pub fn nils(&self) -> &[Nil] {
        &self.nils
    }

    pub fn nil(&self, id: u16) -> Option<&Nil> {
        let index = self.nils.binary_search_by_key(&id, |n| n.id).ok()?;
        Some(&self.nils[index])
    }

    pub fn municipio(&self, number: u8) -> Option<&Municipio> {
        let index = self
            .municipi
            .binary_search_by_key(&number, |m| m.number)
            .ok()?;
        Some(&self.municipi[index])
    }

    /// The NIL and Municipio of a point, `None` outside the city.
    ///
    /// The Municipio comes from the Municipi boundaries and decides whether the point is in the
    /// city at all. The NIL is the lowest-numbered NIL containing the point; where the two
    /// datasets do not quite meet (slivers of a few metres along the city limit) it is the NIL
    /// whose border is nearest. Points on a shared border follow the half-open rule of
    /// [`Polygon::contains`], so the same point always gets the same answer.
    ///
    /// ```
    /// use mire_geo::{territory::Territory, LatLon};
    ///
    /// let milan = Territory::milan();
    /// let duomo = milan.locate(LatLon::new(45.4642, 9.1900)).unwrap();
    /// assert_eq!((milan.nil(duomo.nil_id).unwrap().name.as_str(), duomo.municipio), ("DUOMO", 1));
    /// assert_eq!(milan.locate(LatLon::new(45.69, 9.67)), None); // Bergamo
    /// ```
    pub fn locate(&self, p: LatLon) -> Option<Place> {
        let municipio = self.municipio_at(p)?;
        let nil_id = self.nil_at(p).unwrap_or_else(|| self.nearest_nil(p));
        Some(Place { nil_id, municipio })
    }

    /// Whether the point is inside Milan's boundary (the union of the Municipi).
    pub fn contains(&self, p: LatLon) -> bool {
        self.municipio_at(p).is_some()
    }

    /// The box around the whole city.
    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    fn municipio_at(&self, p: LatLon) -> Option<u8> {
        if !self.bbox.contains(p) {
            return None;
        }
        self.municipi
            .iter()
            .zip(&self.municipio_index)
            .find(|(_, index)| index.contains(p))
            .map(|(m, _)| m.number)
    }

    fn nil_at(&self, p: LatLon) -> Option<u16> {
        self.nils
            .iter()
            .zip(&self.nil_index)
            .find(|(_, index)| index.contains(p))
            .map(|(nil, _)| nil.id)
    }

    /// Only reached in the gaps between NIL polygons, so a full scan is affordable.
    fn nearest_nil(&self, p: LatLon) -> u16 {
        self.nils
            .iter()
            .map(|nil| (nil.shape.distance_to_border_m(p), nil.id))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map_or(0, |(_, id)| id)
    }

    fn load_nils(&self, geojson: &str, csv: &str) -> Result<Vec<Nil>, TerritoryError> {
        let residents = source::residents(csv)?;
        let mut nils = source::nils(geojson)?
            .into_iter()
            .map(|feature| self.nil_from(feature, &residents))
            .collect::<Result<Vec<_>, _>>()?;
        nils.sort_by_key(|n| n.id);
        if let Some(pair) = nils.windows(2).find(|pair| pair[0].id == pair[1].id) {
            return Err(TerritoryError::Duplicate {
                dataset: "nil",
                id: pair[0].id.into(),
            });
        }
        if nils.is_empty() {
            return Err(TerritoryError::Empty("nil"));
        }
        Ok(nils)
    }

    fn nil_from(
        &self,
        feature: source::NilFeature,
        residents: &HashMap<u16, u32>,
    ) -> Result<Nil, TerritoryError> {
        let id = feature.id;
        let residents_2024 = *residents
            .get(&id)
            .ok_or(TerritoryError::MissingResidents(id))?;
        let municipio = self
            .municipio_holding_most_of(&feature.shape)
            .ok_or(TerritoryError::NilOutsideMunicipi(id))?;
        Ok(Nil {
            id,
            name: feature.name,
            municipio,
            residents_2024,
            area_m2: feature.shape.area_m2(),
            centroid: feature.shape.centroid(),
            shape: feature.shape,
        })
    }

    /// See [`Territory::from_open_data`] for the vote.
    fn municipio_holding_most_of(&self, shape: &MultiPolygon) -> Option<u8> {
        let mut votes = [0usize; 256];
        sample_points(shape, MUNICIPIO_VOTE_GRID)
            .filter_map(|p| self.municipio_at(p))
            .for_each(|number| votes[usize::from(number)] += 1);
        let (number, count) = votes
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
        (*count > 0).then_some(number as u8)
    }
}

/// The interior point and the points of a `side`×`side` grid over the shape's box that fall
/// inside the shape.
fn sample_points(shape: &MultiPolygon, side: usize) -> impl Iterator<Item = LatLon> + '_ {
    let bbox = shape.bbox();
    let step =
        move |min: f64, max: f64, i: usize| min + (max - min) * (i as f64 + 0.5) / side as f64;
    let grid = (0..side * side).map(move |k| {
        LatLon::new(
            step(bbox.min.lat, bbox.max.lat, k / side),
            step(bbox.min.lon, bbox.max.lon, k % side),
        )
    });
    std::iter::once(shape.interior_point()).chain(grid.filter(|&p| shape.contains(p)))
}

/// Municipi sorted by number, each number once.
fn load_municipi(geojson: &str) -> Result<Vec<Municipio>, TerritoryError> {
    let mut municipi: Vec<Municipio> = source::municipi(geojson)?
        .into_iter()
        .map(|feature| Municipio {
            number: feature.number,
            area_m2: feature.shape.area_m2(),
            shape: feature.shape,
        })
        .collect();
    municipi.sort_by_key(|m| m.number);
    if let Some(pair) = municipi
        .windows(2)
        .find(|pair| pair[0].number == pair[1].number)
    {
        return Err(TerritoryError::Duplicate {
            dataset: "municipi",
            id: pair[0].number.into(),
        });
    }
    Ok(municipi)
}
