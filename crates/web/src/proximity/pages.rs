//! The proximity pages: "Cosa c'è a 15 minuti", the accessibility map of the NIL and the
//! time-regained calculator. All are GET forms that work without JavaScript; maps are SVG
//! drawn here, and every NIL on the 15-minute map is a link that picks it.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use fluent_bundle::FluentValue;
use mire_domain::Invalid;
use mire_geo::proximity::{Category, CommuteMode, Mode, ProximityError, Reach, ServicePoint, Trip};
use mire_geo::territory::map::{Map, Marker};
use mire_geo::territory::Territory;
use mire_geo::LatLon;

use super::{
    blocking, commute_field, engine_invalid, mode_field, nil_field, point_field, ProximityState,
};
use crate::error::PageError;
use crate::i18n::Lang;
use crate::pages::{render, render_status, FormState, Page};
use crate::request::Params;
use crate::AppState;

/// How many nearest places of each category the 15-minute page lists.
const NEAREST_PER_CATEGORY: usize = 3;
/// Width the maps are drawn for (they scale to their container).
const MAP_WIDTH_PX: u32 = 640;
/// Fills of the 15-minute map: most of the NIL reached, part of it reached.
const REACHED_MOST: &str = "#2166ac";
const REACHED_PART: &str = "#92c5de";
/// Sequential classes of the accessibility score, low to high (ColorBrewer "YlGnBu").
const SCORE_CLASSES: [(f64, &str); 5] = [
    (20.0, "#ffffcc"),
    (40.0, "#a1dab4"),
    (60.0, "#41b6c4"),
    (80.0, "#2c7fb8"),
    (100.0, "#253494"),
];

/// A number for people: fixed decimals, decimal comma in Italian.
fn number(lang: Lang, value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match lang {
        Lang::It => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A whole number with thousands separators ("12.345" in Italian, "12,345" in English).
fn whole(lang: Lang, value: u64) -> String {
    let digits = value.to_string();
    let sep = match lang {
        Lang::It => ".",
        Lang::En => ",",
    };
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect();
    groups.join(sep)
}

fn percent(lang: Lang, share: f64) -> String {
    format!("{} %", number(lang, share * 100.0, 0))
}

/// Whole minutes, rounded up: a place listed "within 15 min" never takes longer.
fn minutes_text(p: &Page, secs: u32) -> String {
    p.t1("proximity-minutes", "minutes", secs.div_ceil(60).max(1))
}

/// ENEA's measured reference for a remote-work day, in words.
fn enea_text(p: &Page, kg: f64, hours: f64) -> String {
    crate::I18N.t(
        p.lang,
        "regained-enea-figures",
        &[
            ("kg", FluentValue::from(number(p.lang, kg, 0))),
            ("hours", FluentValue::from(number(p.lang, hours, 1))),
        ],
    )
}

fn coordinates_text(lang: Lang, at: LatLon) -> String {
    match lang {
        Lang::It => format!("{}; {}", number(lang, at.lat, 5), number(lang, at.lon, 5)),
        Lang::En => format!("{:.5}, {:.5}", at.lat, at.lon),
    }
}

fn category_label(p: &Page, c: Category) -> String {
    p.t(&format!("category-{}", c.slug().replace('_', "-")))
}

/// An option of a NIL list.
pub struct NilOption {
    pub id: String,
    pub name: String,
}

fn nil_options(s: &ProximityState) -> Vec<NilOption> {
    s.nils
        .iter()
        .map(|n| NilOption {
            id: n.id.to_string(),
            name: n.name.clone(),
        })
        .collect()
}

fn internal(e: String) -> PageError {
    PageError::Internal(e)
}

// -------------------------------------------------------------------------------------------
// Cosa c'è a 15 minuti
// -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "proximity/fifteen.html")]
struct FifteenPage {
    p: Page,
    form: FormState,
    /// Which form was sent: "nil" or "point" ("" before any).
    by: String,
    nils: Vec<NilOption>,
    modes: Vec<&'static str>,
    minutes: String,
    result: Option<FifteenResult>,
    map: String,
}

struct FifteenResult {
    origin: String,
    mode: String,
    nils: Vec<ReachedNil>,
    categories: Vec<CategoryNearby>,
}

struct ReachedNil {
    name: String,
    municipio: u8,
    share: String,
}

struct CategoryNearby {
    label: String,
    within: usize,
    nearest: Vec<(String, String)>,
}

/// What the engine found from one origin: the NIL reached within the budget, and for every
/// category the count within it and the nearest places (within the engine's horizon).
struct Found {
    nils: Vec<(u16, String, f64)>,
    categories: Vec<CategoryFound>,
}

/// One category seen from the origin: places within the budget, and the nearest ones with
/// their travel seconds.
struct CategoryFound {
    category: Category,
    within: usize,
    nearest: Vec<(String, u32)>,
}

/// The nearest points of a category within the engine's horizon, with their seconds.
fn nearest(reach: &Reach, points: &[ServicePoint]) -> Vec<(String, u32)> {
    let mut times: Vec<(u32, &str, &str)> = points
        .iter()
        .filter_map(|pt| Some((reach.secs_to(pt.at)?, pt.name.as_str(), pt.id.as_str())))
        .collect();
    times.sort();
    times
        .into_iter()
        .take(NEAREST_PER_CATEGORY)
        .map(|(secs, name, _)| (name.to_owned(), secs))
        .collect()
}

/// What lies around `origin`: the shipped categories, and the coworking spaces of the
/// database (passed by the caller, as for the accessibility report).
fn explore(
    s: &ProximityState,
    origin: LatLon,
    minutes: f64,
    mode: Mode,
    coworking: &[ServicePoint],
) -> Result<Found, ProximityError> {
    let engine = &s.engine;
    let iso = engine.isochrone(origin, minutes, mode, coworking)?;
    let horizon = engine.budget_secs(engine.params().isochrone.max_minutes)?;
    let reach = engine.one_to_all(origin, mode, Some(horizon))?;
    let categories = engine
        .categories_with(coworking)
        .into_iter()
        .map(|(category, points)| CategoryFound {
            category,
            within: iso.points.iter().filter(|r| r.category == category).count(),
            nearest: nearest(&reach, points),
        })
        .collect();
    let mut nils: Vec<(u16, String, f64)> = iso
        .nils
        .iter()
        .map(|n| (n.nil_id, n.name.clone(), n.share))
        .collect();
    nils.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    Ok(Found { nils, categories })
}

pub async fn fifteen_minutes(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let state = s.proximity.clone();
    let engine = &state.engine;
    let minutes = engine.params().accessibility.minutes;
    let mut errors = Invalid::default();
    let by = match q.get("by") {
        "nil" | "point" => q.get("by").to_owned(),
        _ if !q.get("from").trim().is_empty() => "point".to_owned(),
        _ if !q.get("nil").trim().is_empty() => "nil".to_owned(),
        _ => String::new(),
    };
    let mode = mode_field(q.get("mode"), Mode::Walk, &mut errors);
    let origin = match by.as_str() {
        "point" => point_field(engine, q.get("from"), "from", &mut errors)
            .map(|at| (at, coordinates_text(p.lang, at), None)),
        "nil" => nil_field(q.get("nil"), "nil", &mut errors)
            .and_then(|id| state.nil(id))
            .map(|n| (n.at, n.name.clone(), Some(n.id))),
        _ => None,
    };
    let mut reached: Vec<(u16, f64)> = Vec::new();
    let mut result = None;
    if let (Some((at, label, _)), Some(mode), true) = (origin.clone(), mode, errors.is_empty()) {
        let coworking = super::coworking_points(&s).await?;
        match blocking(&s, move |st| explore(st, at, minutes, mode, &coworking))
            .await
            .map_err(internal)?
        {
            Ok(found) => {
                reached = found
                    .nils
                    .iter()
                    .map(|(id, _, share)| (*id, *share))
                    .collect();
                let territory = Territory::milan();
                result = Some(FifteenResult {
                    origin: label,
                    mode: p.t(&format!("mode-{}", mode.slug())),
                    nils: found
                        .nils
                        .iter()
                        .map(|(id, name, share)| ReachedNil {
                            name: name.clone(),
                            municipio: territory.nil(*id).map_or(0, |n| n.municipio),
                            share: percent(p.lang, *share),
                        })
                        .collect(),
                    categories: found
                        .categories
                        .iter()
                        .map(|c| CategoryNearby {
                            label: category_label(&p, c.category),
                            within: c.within,
                            nearest: c
                                .nearest
                                .iter()
                                .map(|(name, secs)| (name.clone(), minutes_text(&p, *secs)))
                                .collect(),
                        })
                        .collect(),
                });
            }
            Err(e) if e.is_bad_input() => {
                let field = if by == "point" { "from" } else { "nil" };
                errors = engine_invalid(engine, &e, &[(field, at)]);
            }
            Err(e) => return Err(PageError::Internal(e.to_string())),
        }
    }
    let mode_slug = mode.unwrap_or(Mode::Walk).slug();
    let map = fifteen_map(
        &p,
        &state,
        origin.as_ref().map(|o| o.0),
        &reached,
        mode_slug,
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = FormState::new(
        [
            ("nil", q.get("nil").to_owned()),
            ("from", q.get("from").to_owned()),
            (
                "mode",
                if q.get("mode").is_empty() {
                    mode_slug.to_owned()
                } else {
                    q.get("mode").to_owned()
                },
            ),
        ],
        errors,
    );
    let page = FifteenPage {
        minutes: number(p.lang, minutes, 0),
        nils: nil_options(&state),
        modes: vec!["walk", "transit"],
        by,
        form,
        result,
        map,
        p,
    };
    render_status(status, &page)
}

fn fifteen_map(
    p: &Page,
    s: &ProximityState,
    origin: Option<LatLon>,
    reached: &[(u16, f64)],
    mode: &str,
) -> String {
    let mut map = Map::new(Territory::milan(), MAP_WIDTH_PX)
        .id("fifteen-map")
        .title(
            &p.t("fifteen-map-title"),
            &p.t1("fifteen-map-desc", "count", reached.len()),
        );
    for (id, share) in reached {
        let fill = if *share >= 0.5 {
            REACHED_MOST
        } else {
            REACHED_PART
        };
        map = map.fill_nil(*id, fill, &percent(p.lang, *share));
    }
    if !reached.is_empty() {
        map = map.legend(vec![
            (REACHED_MOST.to_owned(), p.t("fifteen-legend-most")),
            (REACHED_PART.to_owned(), p.t("fifteen-legend-part")),
        ]);
    }
    let choices = s.nils.iter().map(|n| {
        Marker::new(n.at, p.t1("fifteen-map-pick", "name", &n.name), "nil").with_href(format!(
            "/quindici-minuti?nil={}&mode={mode}#risultati",
            n.id
        ))
    });
    map = map.markers(choices);
    if let Some(at) = origin {
        map = map.marker(Marker::new(at, p.t("fifteen-origin"), "origin"));
    }
    map.render()
}

// -------------------------------------------------------------------------------------------
// Accessibilità dei NIL
// -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "proximity/accessibility.html")]
struct AccessibilityPage {
    p: Page,
    form: FormState,
    modes: Vec<&'static str>,
    minutes: String,
    categories: Vec<String>,
    city_score: String,
    city: Vec<(String, String, String)>,
    rows: Vec<AccessibilityRow>,
    map: String,
}

struct AccessibilityRow {
    id: u16,
    name: String,
    municipio: u8,
    residents: String,
    score: String,
    shares: Vec<String>,
}

fn score_fill(score: f64) -> &'static str {
    SCORE_CLASSES
        .iter()
        .find(|(upper, _)| score < *upper)
        .map_or(SCORE_CLASSES[SCORE_CLASSES.len() - 1].1, |(_, fill)| fill)
}

pub async fn accessibility(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let mut errors = Invalid::default();
    let mode = mode_field(q.get("mode"), Mode::Walk, &mut errors).unwrap_or(Mode::Walk);
    let coworking = super::coworking_points(&s).await?;
    let report = blocking(&s, move |st| st.accessibility(mode, coworking))
        .await
        .map_err(internal)?;
    let lang = p.lang;
    let categories: Vec<String> = report
        .city
        .iter()
        .map(|c| category_label(&p, c.category))
        .collect();
    let city = report
        .city
        .iter()
        .map(|c| {
            (
                category_label(&p, c.category),
                percent(lang, c.share),
                whole(lang, c.residents.round() as u64),
            )
        })
        .collect();
    let mut rows: Vec<AccessibilityRow> = report
        .nils
        .iter()
        .map(|n| AccessibilityRow {
            id: n.nil_id,
            name: n.name.clone(),
            municipio: n.municipio,
            residents: whole(lang, u64::from(n.residents)),
            score: number(lang, n.score, 0),
            shares: n.shares.iter().map(|c| percent(lang, c.share)).collect(),
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let mut map = Map::new(Territory::milan(), MAP_WIDTH_PX)
        .id("accessibility-map")
        .title(
            &p.t("access-map-title"),
            &p.t1(
                "access-map-desc",
                "mode",
                p.t(&format!("mode-{}", mode.slug())),
            ),
        );
    for n in &report.nils {
        map = map.fill_nil(
            n.nil_id,
            score_fill(n.score),
            &p.t1("access-score-of", "score", number(lang, n.score, 0)),
        );
    }
    let mut lower = 0.0;
    let legend = SCORE_CLASSES
        .iter()
        .map(|(upper, fill)| {
            let text = p.t(&format!("access-legend-{}-{}", lower as u32, *upper as u32));
            lower = *upper;
            ((*fill).to_owned(), text)
        })
        .collect();
    let map = map.legend(legend).render();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = FormState::new([("mode", mode.slug().to_owned())], errors);
    let page = AccessibilityPage {
        minutes: number(lang, report.minutes, 0),
        city_score: number(lang, report.score, 0),
        form,
        modes: vec!["walk", "transit"],
        categories,
        city,
        rows,
        map,
        p,
    };
    render_status(status, &page)
}

// -------------------------------------------------------------------------------------------
// Tempo ritrovato
// -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "proximity/regained.html")]
struct RegainedPage {
    p: Page,
    form: FormState,
    nils: Vec<NilOption>,
    places: Vec<(&'static str, &'static str)>,
    commute_modes: Vec<&'static str>,
    result: Option<RegainedResult>,
    factors: Vec<(String, String)>,
    sources: Vec<(String, String)>,
    municipi: Vec<super::commute::MunicipioRow>,
    min_group: usize,
}

struct RegainedResult {
    mode: String,
    saved: bool,
    minutes_saved: String,
    kg_avoided: String,
    km_avoided: String,
    office: TripRow,
    coworking: TripRow,
    enea: String,
}

struct TripRow {
    minutes: String,
    km: String,
    kg: String,
    walks: bool,
}

fn trip_row(lang: Lang, t: &Trip) -> TripRow {
    TripRow {
        minutes: number(lang, t.minutes, 0),
        km: number(lang, t.vehicle_km, 1),
        kg: number(lang, t.kg_co2, 2),
        walks: t.walks,
    }
}

/// The three places of the calculator: (coordinates field, NIL field).
const PLACES: [(&str, &str); 3] = [
    ("home", "home_nil"),
    ("office", "office_nil"),
    ("coworking", "coworking_nil"),
];

/// A place given either as a NIL from the list or as coordinates (not both).
fn place(
    s: &ProximityState,
    q: &Params,
    (field, nil_name): (&'static str, &'static str),
    errors: &mut Invalid,
) -> Option<LatLon> {
    let (typed, picked) = (q.get(field).trim(), q.get(nil_name).trim());
    match (typed.is_empty(), picked.is_empty()) {
        (true, true) => {
            errors.push(nil_name, "error-place-required");
            None
        }
        (false, false) => {
            errors.push(field, "error-place-both");
            None
        }
        (false, true) => point_field(&s.engine, typed, field, errors),
        (true, false) => nil_field(picked, nil_name, errors)
            .and_then(|id| s.nil(id))
            .map(|n| n.at),
    }
}

fn factors(p: &Page, s: &ProximityState) -> Vec<(String, String)> {
    let params = s.engine.params();
    let lang = p.lang;
    let e = &params.emissions;
    vec![
        (
            p.t("regained-factor-car-speed"),
            format!("{} km/h", number(lang, params.car.speed_kmh, 0)),
        ),
        (
            p.t("regained-factor-car-detour"),
            number(lang, params.car.detour_factor, 1),
        ),
        (
            p.t("regained-factor-parking"),
            format!("{} min", number(lang, params.car.parking_min, 0)),
        ),
        (
            p.t("regained-factor-car-co2"),
            format!("{} kg CO₂/km", number(lang, e.car_kg_per_km, 2)),
        ),
        (
            p.t("regained-factor-rail-co2"),
            format!(
                "{} / {} / {} kg CO₂/pkm",
                number(lang, e.metro_kg_per_pkm, 3),
                number(lang, e.tram_kg_per_pkm, 3),
                number(lang, e.trolleybus_kg_per_pkm, 3)
            ),
        ),
        (
            p.t("regained-factor-bus-co2"),
            format!("{} kg CO₂/pkm", number(lang, e.bus_kg_per_pkm, 3)),
        ),
        (
            p.t("regained-factor-walk"),
            format!("{} m/s", number(lang, params.walking.speed_m_s, 2)),
        ),
        (
            p.t("regained-factor-enea"),
            enea_text(
                p,
                params.reference.enea_kg_co2_per_day,
                params.reference.enea_hours_per_day,
            ),
        ),
    ]
}

fn sources(p: &Page, s: &ProximityState) -> Vec<(String, String)> {
    let params = s.engine.params();
    vec![
        (
            p.t("regained-source-walking"),
            params.walking.source.clone(),
        ),
        (
            p.t("regained-source-transit"),
            params.transit.source.clone(),
        ),
        (p.t("regained-source-car"), params.car.source.clone()),
        (
            p.t("regained-source-emissions"),
            params.emissions.source.clone(),
        ),
        (
            p.t("regained-source-reference"),
            params.reference.source.clone(),
        ),
    ]
}

pub async fn time_regained(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let state = s.proximity.clone();
    let asked = PLACES
        .iter()
        .any(|(a, b)| !q.get(a).trim().is_empty() || !q.get(b).trim().is_empty())
        || !q.get("mode").is_empty();
    let mut errors = Invalid::default();
    let mut result = None;
    let mode = commute_field(q.get("mode"), CommuteMode::Transit, &mut errors);
    if asked {
        let points: Vec<Option<LatLon>> = PLACES
            .iter()
            .map(|names| place(&state, &q, *names, &mut errors))
            .collect();
        if let ([Some(home), Some(office), Some(coworking)], Some(mode), true) =
            (points.as_slice(), mode, errors.is_empty())
        {
            let (home, office, coworking) = (*home, *office, *coworking);
            match blocking(&s, move |st| {
                st.engine.time_regained(home, office, coworking, mode)
            })
            .await
            .map_err(internal)?
            {
                Ok(r) => {
                    let lang = p.lang;
                    result = Some(RegainedResult {
                        mode: p.t(match mode {
                            CommuteMode::Car => "mode-car",
                            CommuteMode::Transit => "mode-transit",
                        }),
                        saved: r.minutes_saved_per_day > 0.0,
                        minutes_saved: number(lang, r.minutes_saved_per_day.abs(), 0),
                        kg_avoided: number(lang, r.kg_co2_avoided_per_day, 2),
                        km_avoided: number(lang, r.km_avoided_per_day, 1),
                        office: trip_row(lang, &r.to_office),
                        coworking: trip_row(lang, &r.to_coworking),
                        enea: enea_text(&p, r.enea_kg_co2_per_day, r.enea_hours_per_day),
                    });
                }
                Err(e) if e.is_bad_input() => {
                    errors = engine_invalid(
                        &state.engine,
                        &e,
                        &[("home", home), ("office", office), ("coworking", coworking)],
                    );
                }
                Err(e) => return Err(PageError::Internal(e.to_string())),
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut values: Vec<(&'static str, String)> = PLACES
        .iter()
        .flat_map(|(a, b)| [(*a, q.get(a).to_owned()), (*b, q.get(b).to_owned())])
        .collect();
    values.push((
        "mode",
        if q.get("mode").is_empty() {
            "transit".to_owned()
        } else {
            q.get("mode").to_owned()
        },
    ));
    let municipi = super::commute::municipi(&s).await.map_err(internal)?;
    let page = RegainedPage {
        municipi: super::commute::municipio_rows(p.lang, &municipi),
        min_group: super::sums::MIN_GROUP,
        form: FormState::new(values, errors),
        nils: nil_options(&state),
        places: PLACES.to_vec(),
        commute_modes: vec!["transit", "car"],
        result,
        factors: factors(&p, &state),
        sources: sources(&p, &state),
        p,
    };
    if status == StatusCode::OK {
        render(&page)
    } else {
        render_status(status, &page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(number(Lang::It, 12.345, 1), "12,3");
        assert_eq!(number(Lang::En, 12.345, 1), "12.3");
        assert_eq!(whole(Lang::It, 1_407_044), "1.407.044");
        assert_eq!(whole(Lang::En, 1_407_044), "1,407,044");
        assert_eq!(whole(Lang::En, 999), "999");
        assert_eq!(percent(Lang::It, 0.5), "50 %");
    }

    #[test]
    fn every_score_has_a_class() {
        assert_eq!(score_fill(0.0), SCORE_CLASSES[0].1);
        assert_eq!(score_fill(19.9), SCORE_CLASSES[0].1);
        assert_eq!(score_fill(20.0), SCORE_CLASSES[1].1);
        assert_eq!(score_fill(100.0), SCORE_CLASSES[4].1);
    }
}
