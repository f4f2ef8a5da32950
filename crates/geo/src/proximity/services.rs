//! Points people travel to, by category: the shipped Milan open data, plus points the caller
//! brings (coworking spaces from the database).

use serde::{Deserialize, Serialize};

use super::atm::{parse_json, point_of};
use super::ProximityError;
use crate::LatLon;

const LIBRARIES: &str =
    include_str!("../../../../data/milano/services/mibact_biblioteche_milano.csv");
const COMMUNITY_CENTRES: &str = include_str!(
    "../../../../data/milano/services/ds3017_case_di_quartiere_spazi_freschi_2026.csv"
);
const SCHOOLS: &str =
    include_str!("../../../../data/milano/services/miur_scuole_milano_2016-17.csv");
const PHARMACIES: &str =
    include_str!("../../../../data/milano/services/minsalute_farmacie_milano.csv");
const SPORTS: &str =
    include_str!("../../../../data/milano/services/ds629_impianti_sportivi.geojson");
const POOLS: &str =
    include_str!("../../../../data/milano/services/ds32_piscine_centri_balneari.geojson");
const METRO_STATIONS: &str =
    include_str!("../../../../data/milano/transit/ds535_atm_fermate_metro.geojson");

/// A kind of service whose proximity the product measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Biblioteche (MIBACT/ICCU registry, without reserved-access ones).
    Libraries,
    /// Case di quartiere, CAM and community centres (ds3017).
    CommunityCentres,
    /// Primary and lower-secondary schools (MIUR 2016/17).
    Schools,
    /// Farmacie (Ministry of Health registry).
    Pharmacies,
    /// Municipal sports facilities (ds629).
    SportsFacilities,
    /// Pools and lidos (ds32).
    Pools,
    /// Metro stations (ds535).
    MetroStations,
    /// Coworking spaces, supplied by the caller from the database.
    Coworking,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Libraries,
        Category::CommunityCentres,
        Category::Schools,
        Category::Pharmacies,
        Category::SportsFacilities,
        Category::Pools,
        Category::MetroStations,
        Category::Coworking,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Category::Libraries => "libraries",
            Category::CommunityCentres => "community_centres",
            Category::Schools => "schools",
            Category::Pharmacies => "pharmacies",
            Category::SportsFacilities => "sports_facilities",
            Category::Pools => "pools",
            Category::MetroStations => "metro_stations",
            Category::Coworking => "coworking",
        }
    }

    pub fn parse(slug: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.slug() == slug)
    }
}

/// One place of a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePoint {
    /// Id in its source (registry code, dataset id), or the database id for coworking.
    pub id: String,
    pub name: String,
    pub at: LatLon,
}

/// Points of every category.
#[derive(Debug, Clone, Default)]
pub struct ServiceCatalog {
    points: Vec<(Category, Vec<ServicePoint>)>,
}

impl ServiceCatalog {
    /// The shipped open data of Milan (no coworking: it comes from the database).
    pub fn milan() -> Result<ServiceCatalog, ProximityError> {
        let mut catalog = ServiceCatalog::default();
        catalog.set(Category::Libraries, libraries()?);
        catalog.set(
            Category::CommunityCentres,
            csv_points(
                COMMUNITY_CENTRES,
                "id",
                "Nome Sede",
                "LAT_Y_4326",
                "LONG_X_4326",
            )?,
        );
        catalog.set(
            Category::Schools,
            csv_points(SCHOOLS, "CODSCUOLA", "DENOMINAZIONESCUOLA", "Lat", "Long")?,
        );
        catalog.set(
            Category::Pharmacies,
            csv_points(
                PHARMACIES,
                "CODICEIDENTIFICATIVOFARMACIA",
                "DESCRIZIONEFARMACIA",
                "Lat",
                "Long",
            )?,
        );
        catalog.set(
            Category::SportsFacilities,
            geojson_points(SPORTS, &["OBJECTID", "ID"], &["Tipo", "VIA"])?,
        );
        catalog.set(
            Category::Pools,
            geojson_points(POOLS, &["OBJECTID"], &["DENOMINAZIONE"])?,
        );
        catalog.set(
            Category::MetroStations,
            geojson_points(METRO_STATIONS, &["id_amat"], &["nome"])?,
        );
        Ok(catalog)
    }

    /// Replaces the points of a category (e.g. the coworking spaces of the database).
    pub fn set(&mut self, category: Category, points: Vec<ServicePoint>) {
        self.points.retain(|(c, _)| *c != category);
        self.points.push((category, points));
        self.points.sort_by_key(|(c, _)| *c);
    }

    /// Keeps only the points where `keep` holds: the registries carry a few geocoding errors
    /// (a school at 28 N 103 E, a library at 0,0, libraries of other towns), so the Milan
    /// model keeps the points inside the city.
    pub fn retain(&mut self, keep: impl Fn(LatLon) -> bool) {
        for (_, points) in &mut self.points {
            points.retain(|p| keep(p.at));
        }
    }

    /// The points of a category (empty when none were loaded).
    pub fn points(&self, category: Category) -> &[ServicePoint] {
        self.points
            .iter()
            .find(|(c, _)| *c == category)
            .map(|(_, p)| p.as_slice())
            .unwrap_or(&[])
    }

    /// Categories with their points, in [`Category::ALL`] order.
    pub fn categories(&self) -> impl Iterator<Item = (Category, &[ServicePoint])> {
        self.points.iter().map(|(c, p)| (*c, p.as_slice()))
    }
}

/// Libraries open to the public (the registry marks reserved-access ones).
fn libraries() -> Result<Vec<ServicePoint>, ProximityError> {
    let mut out = Vec::new();
    for row in csv_rows(LIBRARIES)? {
        if row.get("accesso.riservato") == Some("True") {
            continue;
        }
        if let Some(p) =
            point_from_row(&row, "codiceIsil", "denominazioni.ufficiale", "Lat", "Long")
        {
            out.push(p);
        }
    }
    Ok(out)
}

fn csv_points(
    text: &str,
    id: &str,
    name: &str,
    lat: &str,
    lon: &str,
) -> Result<Vec<ServicePoint>, ProximityError> {
    Ok(csv_rows(text)?
        .iter()
        .filter_map(|row| point_from_row(row, id, name, lat, lon))
        .collect())
}

/// A CSV row addressed by column name.
struct Row {
    headers: std::rc::Rc<Vec<String>>,
    record: csv::StringRecord,
}

impl Row {
    fn get(&self, column: &str) -> Option<&str> {
        let i = self.headers.iter().position(|h| h == column)?;
        self.record.get(i).map(str::trim)
    }
}

/// `;`-separated files of the Comune and the ministries, with a header line.
fn csv_rows(text: &str) -> Result<Vec<Row>, ProximityError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ProximityError::Data(e.to_string()))?;
    let headers = std::rc::Rc::new(
        headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect(),
    );
    reader
        .records()
        .map(|r| {
            r.map(|record| Row {
                headers: std::rc::Rc::clone(&headers),
                record,
            })
            .map_err(|e| ProximityError::Data(e.to_string()))
        })
        .collect()
}

fn point_from_row(row: &Row, id: &str, name: &str, lat: &str, lon: &str) -> Option<ServicePoint> {
    let at = LatLon::new(decimal(row.get(lat)?)?, decimal(row.get(lon)?)?);
    Some(ServicePoint {
        id: row.get(id)?.to_string(),
        name: row.get(name)?.to_string(),
        at,
    })
}

/// Numbers written with a decimal comma or point.
fn decimal(text: &str) -> Option<f64> {
    text.replace(',', ".")
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: serde_json::Map<String, serde_json::Value>,
    geometry: Option<super::atm::PointGeometry>,
}

fn geojson_points(
    text: &str,
    ids: &[&str],
    names: &[&str],
) -> Result<Vec<ServicePoint>, ProximityError> {
    let collection: Collection = parse_json(text)?;
    let text_of = |props: &serde_json::Map<String, serde_json::Value>, keys: &[&str]| {
        keys.iter()
            .filter_map(|k| props.get(*k))
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .find(|s| !s.is_empty() && s != "null")
            .unwrap_or_default()
    };
    Ok(collection
        .features
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let at = point_of(f.geometry.as_ref()?)?;
            let id = Some(text_of(&f.properties, ids))
                .filter(|s| !s.is_empty())
                .unwrap_or(i.to_string());
            Some(ServicePoint {
                id,
                name: text_of(&f.properties, names),
                at,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_category_has_points() {
        let catalog = ServiceCatalog::milan().unwrap();
        for category in Category::ALL {
            let points = catalog.points(category);
            if category == Category::Coworking {
                assert!(points.is_empty());
            } else {
                assert!(points.len() >= 14, "{category:?} has {}", points.len());
            }
        }
        assert_eq!(catalog.points(Category::Schools).len(), 325);
        assert_eq!(catalog.points(Category::MetroStations).len(), 110);
    }

    #[test]
    fn retain_drops_the_points_that_fail_the_test() {
        let mut catalog = ServiceCatalog::milan().unwrap();
        let near_milan = |p: LatLon| (45.3..45.7).contains(&p.lat) && (8.9..9.5).contains(&p.lon);
        catalog.retain(near_milan);
        assert_eq!(catalog.points(Category::Schools).len(), 324);
        for (_, points) in catalog.categories() {
            assert!(points.iter().all(|p| near_milan(p.at)));
        }
    }
}
