//! Readers for the Comune di Milano open data files: GeoJSON boundaries and the NIL
//! demographics CSV. They turn files into plain values and say clearly what is wrong.

use std::collections::HashMap;

use serde::Deserialize;

use crate::LatLon;

use super::geometry::{MultiPolygon, Polygon};
use super::TerritoryError;

/// A Municipio as the boundary file describes it.
pub(super) struct MunicipioFeature {
    pub number: u8,
    pub shape: MultiPolygon,
}

/// A NIL as the boundary file describes it.
pub(super) struct NilFeature {
    pub id: u16,
    pub name: String,
    pub shape: MultiPolygon,
}

#[derive(Deserialize)]
struct FeatureCollection<P> {
    features: Vec<Feature<P>>,
}

#[derive(Deserialize)]
struct Feature<P> {
    properties: P,
    geometry: Geometry,
}

/// Positions are `[lon, lat]` or `[lon, lat, height]` in GeoJSON.
type Ring = Vec<Vec<f64>>;

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Ring>),
    MultiPolygon(Vec<Vec<Ring>>),
}

#[derive(Deserialize)]
struct MunicipioProperties {
    #[serde(rename = "MUNICIPIO")]
    number: u8,
}

#[derive(Deserialize)]
struct NilProperties {
    #[serde(rename = "ID_NIL")]
    id: u16,
    #[serde(rename = "NIL")]
    name: String,
}

/// Municipi from ds379 (`MUNICIPIO` property).
pub(super) fn municipi(geojson: &str) -> Result<Vec<MunicipioFeature>, TerritoryError> {
    let dataset = "municipi";
    let collection: FeatureCollection<MunicipioProperties> =
        serde_json::from_str(geojson).map_err(|source| TerritoryError::Json { dataset, source })?;
    collection
        .features
        .into_iter()
        .map(|feature| {
            let number = feature.properties.number;
            let shape = shape(feature.geometry).map_err(|reason| TerritoryError::Geometry {
                dataset,
                id: number.into(),
                reason,
            })?;
            Ok(MunicipioFeature { number, shape })
        })
        .collect()
}

/// NIL from ds964 (`ID_NIL` and `NIL` properties).
pub(super) fn nils(geojson: &str) -> Result<Vec<NilFeature>, TerritoryError> {
    let dataset = "nil";
    let collection: FeatureCollection<NilProperties> =
        serde_json::from_str(geojson).map_err(|source| TerritoryError::Json { dataset, source })?;
    collection
        .features
        .into_iter()
        .map(|feature| {
            let NilProperties { id, name } = feature.properties;
            let shape = shape(feature.geometry).map_err(|reason| TerritoryError::Geometry {
                dataset,
                id: id.into(),
                reason,
            })?;
            Ok(NilFeature { id, name, shape })
        })
        .collect()
}

fn shape(geometry: Geometry) -> Result<MultiPolygon, &'static str> {
    let polygons = match geometry {
        Geometry::Polygon(rings) => vec![polygon(rings)?],
        Geometry::MultiPolygon(parts) => {
            parts.into_iter().map(polygon).collect::<Result<_, _>>()?
        }
    };
    if polygons.is_empty() {
        return Err("no polygon");
    }
    Ok(MultiPolygon { polygons })
}

fn polygon(rings: Vec<Ring>) -> Result<Polygon, &'static str> {
    let mut rings = rings.into_iter().map(ring);
    let exterior = rings.next().ok_or("polygon without rings")??;
    let holes = rings.collect::<Result<_, _>>()?;
    Ok(Polygon { exterior, holes })
}

/// A ring as stored here: open (GeoJSON repeats the first position at the end).
fn ring(positions: Ring) -> Result<Vec<LatLon>, &'static str> {
    let mut ring: Vec<LatLon> = positions
        .iter()
        .map(|position| match position.as_slice() {
            [lon, lat, ..] if lat.abs() <= 90.0 && lon.abs() <= 180.0 => {
                Ok(LatLon::new(*lat, *lon))
            }
            _ => Err("position is not [lon, lat] in degrees"),
        })
        .collect::<Result<_, _>>()?;
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return Err("ring with fewer than 3 distinct positions");
    }
    Ok(ring)
}

/// Residents per NIL id from ds205: `;`-separated, columns `NIL` (id) and `Totale`.
/// The row of residents with no known address (`N.D.`, no NIL id) belongs to no NIL and is
/// skipped.
pub(super) fn residents(csv_text: &str) -> Result<HashMap<u16, u32>, TerritoryError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv_text.as_bytes());
    let headers = reader.headers()?.clone();
    let column = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or(TerritoryError::MissingColumn(name))
    };
    let (nil_column, total_column) = (column("NIL")?, column("Totale")?);
    let mut residents = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let record = record?;
        let line = index + 2;
        let nil = record.get(nil_column).unwrap_or("").trim();
        if nil.is_empty() {
            continue;
        }
        let id = nil
            .parse::<u16>()
            .map_err(|_| TerritoryError::Demographics {
                line,
                reason: format!("NIL id {nil:?} is not a number"),
            })?;
        let total = record.get(total_column).unwrap_or("").trim();
        let count = parse_count(total).ok_or_else(|| TerritoryError::Demographics {
            line,
            reason: format!("residents {total:?} is not a whole number"),
        })?;
        if residents.insert(id, count).is_some() {
            return Err(TerritoryError::Duplicate {
                dataset: "demographics",
                id: id.into(),
            });
        }
    }
    Ok(residents)
}

/// A head count written the Italian way: "18169", "18.169" or "18169,00".
fn parse_count(text: &str) -> Option<u32> {
    let without_thousands = text.replace('.', "");
    let whole = match without_thousands.split_once(',') {
        Some((whole, decimals)) if decimals.chars().all(|c| c == '0') => whole.to_string(),
        Some(_) => return None,
        None => without_thousands,
    };
    whole.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_italian_notation() {
        assert_eq!(parse_count("18169"), Some(18169));
        assert_eq!(parse_count("18.169"), Some(18169));
        assert_eq!(parse_count("18169,00"), Some(18169));
        assert_eq!(parse_count("18169,5"), None);
        assert_eq!(parse_count("N.D."), None);
    }

    #[test]
    fn skips_the_unknown_address_row_and_rejects_garbage() {
        let ok = "Anno;Quartiere;NIL;Totale\n2024;Duomo;1;100\n2024;N.D.;;7\n";
        assert_eq!(residents(ok).unwrap(), HashMap::from([(1, 100)]));
        let bad = "Anno;Quartiere;NIL;Totale\n2024;Duomo;1;cento\n";
        assert!(matches!(
            residents(bad),
            Err(TerritoryError::Demographics { line: 2, .. })
        ));
        let no_total = "Anno;Quartiere;NIL\n2024;Duomo;1\n";
        assert!(matches!(
            residents(no_total),
            Err(TerritoryError::MissingColumn("Totale"))
        ));
    }

    #[test]
    fn rings_are_stored_open_and_holes_kept() {
        let geojson = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "properties":{"ID_NIL":3,"NIL":"X"},
            "geometry":{"type":"MultiPolygon","coordinates":[[
              [[9.0,45.0],[9.1,45.0],[9.1,45.1],[9.0,45.1],[9.0,45.0]],
              [[9.04,45.04],[9.06,45.04],[9.06,45.06],[9.04,45.04]]]]}}]}"#;
        let nils = nils(geojson).unwrap();
        let polygon = &nils[0].shape.polygons[0];
        assert_eq!(polygon.exterior.len(), 4);
        assert_eq!(polygon.holes.len(), 1);
        assert_eq!(polygon.exterior[1], LatLon::new(45.0, 9.1));
    }

    #[test]
    fn swapped_coordinates_are_refused() {
        let geojson = r#"{"features":[{"properties":{"MUNICIPIO":1},
            "geometry":{"type":"Polygon","coordinates":[[[45.0,200.0],[45.1,9.0],[45.0,9.1]]]}}]}"#;
        assert!(matches!(
            municipi(geojson),
            Err(TerritoryError::Geometry { id: 1, .. })
        ));
    }
}
