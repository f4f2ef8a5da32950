//! The coworking pages: search with its map, the space page with availability and booking
//! forms, the booking's confirmation, "my bookings", a firm's credits, the operator's spaces,
//! day list and dashboard, and the coordinator's decisions on offers. Every journey works
//! without JavaScript: GET forms for searching, POST forms (CSRF-checked) for changes.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate};
use mire_domain::alliance::OrgKind;
use mire_domain::coworking::{
    self as rules, Amenity, CheckIn, OfferInput, OfferKind, Period, ResourceInput, ResourceKind,
    SpaceInput, WEEKDAY_KEYS,
};
use mire_domain::{FieldError, Invalid};
use mire_geo::proximity::Mode;
use mire_geo::territory::map::{Map, Marker};
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::alliance::Organization;
use mire_store::coworking::{
    Booking, BookingOutcome, BookingRequest, CreditError, DashboardDay, DecisionError, Offer,
    Space, SpaceSearch,
};

use super::travel::{self, Found, TravelLimit};
use super::{may_manage, Failure};
use crate::error::{page_id, PageError};
use crate::i18n::Lang;
use crate::pages::{render, render_status, FormState, Notice, Page};
use crate::request::{Form, Params, Viewer};
use crate::AppState;

pub(super) mod coordinator;
pub(super) mod firm;
pub(super) mod operations;
pub(super) mod operator;
pub(super) mod person;

const MAP_WIDTH_PX: u32 = 640;
/// Radii offered for "near a point", in kilometres.
const RADII_KM: [&str; 5] = ["1", "2", "3", "5", "10"];

/// The body of forms that carry nothing but the anti-forgery token.
#[derive(serde::Deserialize)]
pub struct Empty {}

/// Every value of a repeated field of a form or query string, in order.
pub(super) fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

pub(super) fn first(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
        .collect()
}

/// An amount typed in euros ("25", "25,50", "25.5") as cents; `Err` when unreadable.
fn euros_to_cents(raw: &str) -> Result<Option<i64>, ()> {
    let v = raw.trim().replace(',', ".");
    if v.is_empty() {
        return Ok(None);
    }
    let (whole, frac) = v.split_once('.').unwrap_or((&v, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 9
    {
        return Err(());
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| ())?
    };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| ())? * 10,
        _ => frac.parse().map_err(|_| ())?,
    };
    Ok(Some(w * 100 + f))
}

/// Cents shown as euros for people: "12,50 €" in Italian, "€12.50" in English.
pub(super) fn money(lang: Lang, cents: i64) -> String {
    let e = rules::euros(cents);
    match lang {
        Lang::It => format!("{} €", e.replace('.', ",")),
        Lang::En => format!("€{e}"),
    }
}

/// Cents as the text of a euro field ("12,50"), for forms filled in again.
fn euro_field(lang: Lang, cents: Option<i64>) -> String {
    cents
        .map(|c| match lang {
            Lang::It => rules::euros(c).replace('.', ","),
            Lang::En => rules::euros(c),
        })
        .unwrap_or_default()
}

pub(super) fn number_field(
    field: &'static str,
    raw: &str,
    e: &mut Invalid,
) -> Option<serde_json::Number> {
    let v = raw.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) => Some(serde_json::Number::from(n)),
        Err(_) => {
            e.push(field, "error-whole-number");
            None
        }
    }
}

pub(super) fn cents_field(
    field: &'static str,
    raw: &str,
    e: &mut Invalid,
) -> Option<serde_json::Number> {
    match euros_to_cents(raw) {
        Ok(v) => v.map(serde_json::Number::from),
        Err(()) => {
            e.push(field, "error-euros");
            None
        }
    }
}

/// Renames the fields of domain errors to the names the page's inputs carry.
pub(super) fn rename(errors: Invalid, map: &[(&str, &'static str)]) -> Invalid {
    Invalid(
        errors
            .0
            .into_iter()
            .map(|e| {
                let field = map
                    .iter()
                    .find(|(from, _)| *from == e.field)
                    .map(|(_, to)| *to)
                    .unwrap_or(e.field);
                FieldError::new(field, e.message)
            })
            .collect(),
    )
}

pub(super) fn date_text(lang: Lang, iso: &str) -> String {
    match NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => match lang {
            Lang::It => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%d %b %Y").to_string(),
        },
        Err(_) => iso.to_owned(),
    }
}

fn datetime_text(lang: Lang, t: chrono::NaiveDateTime) -> String {
    match lang {
        Lang::It => t.format("%d/%m/%Y %H:%M").to_string(),
        Lang::En => t.format("%d %b %Y %H:%M").to_string(),
    }
}

pub(super) fn nil_name(id: i64) -> String {
    u16::try_from(id)
        .ok()
        .and_then(|n| Territory::milan().nil(n))
        .map(|n| n.name.clone())
        .unwrap_or_default()
}

/// "Giornata intera" or "10:00–11:00".
fn period_text(p: &Page, period: &str, hour: Option<i64>) -> String {
    match (period, hour) {
        ("hour", Some(h)) => format!("{h:02}:00–{:02}:00", h + 1),
        _ => p.label("period", period),
    }
}

/// When a booking starts (local time), and whether it may still be cancelled now.
fn start_and_deadline(b: &Booking, space: &Space) -> Option<(chrono::NaiveDateTime, bool)> {
    let date = rules::parse_date("date", &b.date).ok()?;
    let period = Period::parse(&b.period)?;
    let start = space
        .hours()
        .on(date)
        .and_then(|h| rules::period_window(h, period, b.hour.map(|h| h as u8)))
        .map(|w| rules::start_of(date, w))
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).expect("midnight"));
    let now = rules::milan_time(mire_store::now());
    Some((
        start - Duration::hours(space.cancel_hours),
        rules::cancellable(now, start, space.cancel_hours) && b.status == "confirmed",
    ))
}

// -------------------------------------------------------------------------------------------
// Search
// -------------------------------------------------------------------------------------------

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct Hit {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub place: String,
    pub price: String,
    pub offer: bool,
    pub demo: bool,
    pub distance: String,
    /// "12,5 min by public transport", when the search had a travel time.
    pub travel: String,
    pub free: String,
}

/// A hit's travel time for people: one decimal, decimal comma in Italian, and the mode.
pub(super) fn travel_text(p: &Page, found: &Found, mode: Option<Mode>) -> String {
    let (Some(minutes), Some(mode)) = (found.travel_minutes(), mode) else {
        return String::new();
    };
    let text = format!("{minutes:.1}");
    let text = match p.lang {
        Lang::It => text.replace('.', ","),
        Lang::En => text,
    };
    // A string argument keeps the decimal as written ("12.0", not "12").
    crate::I18N.t(
        p.lang,
        &format!("cw-travel-{}", mode.slug()),
        &[("minutes", fluent_bundle::FluentValue::from(text))],
    )
}

#[derive(Template)]
#[template(path = "coworking/search.html")]
struct SearchPage {
    p: Page,
    form: FormState,
    municipi: Vec<String>,
    nils: Vec<Choice>,
    periods: Vec<&'static str>,
    amenities: Vec<Choice>,
    radii: Vec<&'static str>,
    modes: Vec<&'static str>,
    hits: Vec<Hit>,
    map: String,
    tools: Vec<(String, String)>,
}

/// Links to the coworking pages the viewer may use: their bookings, the spaces they run,
/// their firms' credits, the offers to decide.
pub(super) fn tools(p: &Page) -> Vec<(String, String)> {
    let Some(v) = &p.viewer else { return vec![] };
    let mut out = vec![("/coworking/prenotazioni".to_owned(), p.t("cw-my-bookings"))];
    if v.roles.iter().any(|r| r.role == "coworking_operator") {
        out.push(("/coworking/gestione".to_owned(), p.t("cw-manage-title")));
    }
    for r in &v.roles {
        if let (Some(org), "company") = (r.organization_id, r.role.as_str()) {
            out.push((
                format!("/organizzazioni/{org}/crediti"),
                p.t1("cw-credits-of", "org", &r.scope_name),
            ));
        }
    }
    if p.is_coordinator() {
        out.push((
            "/coordinamento/convenzioni".to_owned(),
            p.t("cw-offers-title"),
        ));
    }
    out
}

pub(super) fn nil_choices(selected: &str) -> Vec<Choice> {
    let mut nils: Vec<Choice> = Territory::milan()
        .nils()
        .iter()
        .map(|n| Choice {
            value: n.id.to_string(),
            label: n.name.clone(),
            checked: n.id.to_string() == selected,
        })
        .collect();
    nils.sort_by(|a, b| a.label.cmp(&b.label));
    nils
}

fn parse_point(raw: &str) -> Option<(f64, f64)> {
    let raw = raw.trim();
    let (a, b) = if let Some((a, b)) = raw.split_once(';') {
        (a, b)
    } else if raw.matches(',').count() == 1 {
        raw.split_once(',')?
    } else if raw.matches(',').count() == 3 {
        // "45,4642, 9,19": decimal commas.
        let parts: Vec<&str> = raw.split(',').collect();
        return Some((
            format!("{}.{}", parts[0].trim(), parts[1].trim())
                .parse()
                .ok()?,
            format!("{}.{}", parts[2].trim(), parts[3].trim())
                .parse()
                .ok()?,
        ));
    } else {
        raw.split_once(' ')?
    };
    let lat: f64 = a.trim().replace(',', ".").parse().ok()?;
    let lon: f64 = b.trim().replace(',', ".").parse().ok()?;
    (lat.is_finite() && lon.is_finite()).then_some((lat, lon))
}

pub async fn search(State(s): State<AppState>, p: Page, uri: Uri) -> Result<Response, PageError> {
    let q = query_pairs(&uri);
    let mut e = Invalid::default();
    let int = |name: &'static str, max: i64, e: &mut Invalid| -> Option<i64> {
        match first(&q, name).trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => Some(n),
                _ => {
                    e.push(name, "error-choice");
                    None
                }
            },
        }
    };
    let municipio = int("municipio", 9, &mut e);
    let nil_id = int("nil", 999, &mut e).filter(|n| Territory::milan().nil(*n as u16).is_some());
    let date = match first(&q, "date").trim() {
        "" => None,
        v => e.check(rules::parse_date("date", v)),
    };
    let period = match first(&q, "period").trim() {
        "" => None,
        v => match Period::parse(v).filter(|p| *p != Period::Hour) {
            Some(p) => Some(p),
            None => {
                e.push("period", "error-choice");
                None
            }
        },
    };
    let chosen = all(&q, "amenity");
    let amenity_list = match Amenity::parse_list("amenities", &chosen) {
        Ok(l) => l,
        Err(err) => {
            e.0.push(err);
            vec![]
        }
    };
    let max_price = match euros_to_cents(&first(&q, "max_price")) {
        Ok(v) => v,
        Err(()) => {
            e.push("max_price", "error-euros");
            None
        }
    };
    let minutes = travel::minutes_param(&first(&q, "minutes"), &mut e);
    let mode = travel::mode_param(&first(&q, "mode"), &mut e);
    // "Any distance" means 3 km unless a travel time bounds the search instead.
    let radius_km: Option<f64> = match first(&q, "radius").trim() {
        "" if minutes.is_some() => None,
        "" => Some(3.0),
        v if RADII_KM.contains(&v) => v.parse().ok(),
        _ => {
            e.push("radius", "error-choice");
            Some(3.0)
        }
    };
    let near_raw = first(&q, "near");
    let near_nil = first(&q, "near_nil");
    let origin: Option<LatLon> = match (near_raw.trim(), near_nil.trim()) {
        ("", "") => None,
        (raw, "") => match parse_point(raw) {
            Some((lat, lon)) if Territory::milan().contains(LatLon::new(lat, lon)) => {
                Some(LatLon::new(lat, lon))
            }
            Some(_) => {
                e.push("near", "error-outside-city");
                None
            }
            None => {
                e.push("near", "error-point-format");
                None
            }
        },
        ("", id) => match id.parse::<u16>().ok().and_then(|n| s.proximity.nil(n)) {
            Some(n) => Some(n.at),
            None => {
                e.push("near_nil", "error-choice");
                None
            }
        },
        _ => {
            e.push("near", "error-place-both");
            None
        }
    };
    // A point typed wrong is already reported on its own field.
    let point_refused =
        e.0.iter()
            .any(|f| f.field == "near" || f.field == "near_nil");
    if minutes.is_some() && origin.is_none() && !point_refused {
        e.push("near", "error-travel-origin");
    }
    let travel = match (minutes, origin, mode) {
        (Some(minutes), Some(from), Some(mode)) => match s.proximity.engine.check_point(from) {
            Ok(()) => Some(TravelLimit {
                from,
                minutes,
                mode,
            }),
            Err(err) => {
                e.push("near", crate::proximity::point_message(&err));
                None
            }
        },
        _ => None,
    };
    let with_offers = matches!(first(&q, "offers").as_str(), "1" | "on");
    let hits = if e.is_empty() {
        let query = SpaceSearch {
            municipio,
            nil_id,
            date,
            period,
            amenities: Amenity::mask(&amenity_list),
            max_price_cents: max_price,
            with_offers,
            near: origin
                .zip(radius_km)
                .map(|(o, r)| (o.lat, o.lon, r * 1000.0)),
            only_demo: None,
            limit: 200,
            offset: 0,
        };
        travel::find(&s, query, travel).await?
    } else {
        vec![]
    };
    let mut markers: Vec<Marker> = hits
        .iter()
        .map(|f| {
            Marker::new(
                LatLon::new(f.hit.lat, f.hit.lon),
                f.hit.name.clone(),
                "coworking",
            )
            .with_href(format!("/coworking/spazi/{}", f.hit.id))
        })
        .collect();
    if let Some(o) = origin {
        markers.push(Marker::new(o, p.t("cw-search-origin"), "origin"));
    }
    let map = Map::new(Territory::milan(), MAP_WIDTH_PX)
        .id("coworking-map")
        .title(
            &p.t("cw-map-title"),
            &p.t1("cw-map-desc", "count", hits.len()),
        )
        .markers(markers)
        .render();
    let lang = p.lang;
    let hits = hits
        .into_iter()
        .map(|f| (travel_text(&p, &f, mode), f.hit))
        .map(|(travel, h)| Hit {
            travel,
            place: format!("{} · Municipio {}", nil_name(h.nil_id), h.municipio),
            price: h
                .desk_price_cents
                .map(|c| p.t1("cw-price-day", "price", money(lang, c)))
                .unwrap_or_default(),
            distance: h
                .distance_m
                .map(|d| {
                    if d < 1000.0 {
                        format!("{} m", (d / 10.0).round() * 10.0)
                    } else {
                        let km = format!("{:.1} km", d / 1000.0);
                        match lang {
                            Lang::It => km.replace('.', ","),
                            Lang::En => km,
                        }
                    }
                })
                .unwrap_or_default(),
            free: h
                .free_seats
                .map(|f| p.t1("cw-free-seats", "count", f))
                .unwrap_or_default(),
            id: h.id,
            name: h.name,
            address: h.address,
            offer: h.has_offer,
            demo: h.is_demo,
        })
        .collect();
    let form = FormState::new(
        [
            ("municipio", first(&q, "municipio")),
            ("nil", first(&q, "nil")),
            ("date", first(&q, "date")),
            ("period", first(&q, "period")),
            ("max_price", first(&q, "max_price")),
            ("offers", if with_offers { "1".into() } else { "".into() }),
            ("near", near_raw.clone()),
            ("near_nil", near_nil.clone()),
            ("radius", {
                let r = first(&q, "radius");
                if r.is_empty() && minutes.is_none() {
                    "3".into()
                } else {
                    r
                }
            }),
            ("minutes", first(&q, "minutes")),
            ("mode", {
                let m = first(&q, "mode");
                if m.is_empty() {
                    "transit".into()
                } else {
                    m
                }
            }),
        ],
        e,
    );
    let amenities = Amenity::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str().to_owned(),
            label: p.label("amenity", a.as_str()),
            checked: chosen.iter().any(|c| c == a.as_str()),
        })
        .collect();
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let nils = nil_choices("");
    let tools = tools(&p);
    render_status(
        status,
        &SearchPage {
            p,
            form,
            municipi: (1..=9).map(|m: u8| m.to_string()).collect(),
            nils,
            periods: vec!["full_day", "morning", "afternoon"],
            amenities,
            radii: RADII_KM.to_vec(),
            modes: vec!["transit", "walk"],
            hits,
            map,
            tools,
        },
    )
}

// -------------------------------------------------------------------------------------------
// Space page and booking
// -------------------------------------------------------------------------------------------

pub struct SlotView {
    pub label: String,
    pub free: i64,
    pub seats: i64,
}

pub struct ResourceView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub is_desk: bool,
    pub seats: i64,
    pub price: String,
    pub slots: Vec<SlotView>,
    pub hours: Vec<Choice>,
    pub form: FormState,
}

pub struct OfferView {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub terms: String,
    pub status: String,
    pub space_name: String,
    pub space_id: i64,
}

pub(super) fn offer_view(p: &Page, o: &Offer) -> OfferView {
    let lang = p.lang;
    let mut terms = match o.kind.as_str() {
        "discount" => p.t1(
            "cw-offer-discount",
            "percent",
            o.discount_percent.unwrap_or(0),
        ),
        "free_trial" => p.t1("cw-offer-trial", "days", o.trial_days.unwrap_or(0)),
        _ => crate::I18N.t(
            lang,
            "cw-offer-pack",
            &[
                ("days", o.pack_days.unwrap_or(0).into()),
                ("price", money(lang, o.pack_price_cents.unwrap_or(0)).into()),
            ],
        ),
    };
    if let Some(v) = &o.valid_until {
        terms = format!(
            "{terms} {}",
            p.t1("cw-offer-until", "date", date_text(lang, v))
        );
    }
    OfferView {
        id: o.id,
        kind: p.label("offer-kind", &o.kind),
        title: o.title.clone(),
        description: o.description.clone().unwrap_or_default(),
        terms,
        status: p.label("offer-status", &o.status),
        space_name: o.space_name.clone(),
        space_id: o.space_id,
    }
}

#[derive(Template)]
#[template(path = "coworking/space.html")]
struct SpacePage {
    p: Page,
    space: Space,
    demo: bool,
    description: String,
    place: String,
    hours: Vec<(String, String)>,
    closures: Vec<String>,
    amenities: Vec<String>,
    prices: Vec<(String, String)>,
    offers: Vec<OfferView>,
    resources: Vec<ResourceView>,
    date: String,
    date_label: String,
    date_error: Option<&'static str>,
    closed_today: bool,
    credits: i64,
    manager: bool,
    login_href: String,
    cancel_rule: String,
    /// The form that was refused, if any: (resource id, its form).
    failed: Option<(i64, FormState)>,
}

async fn space_page(
    s: &AppState,
    p: Page,
    space_id: i64,
    date_raw: &str,
    failed: Option<(i64, FormState)>,
) -> Result<SpacePage, PageError> {
    let space = s.db.space(space_id).await?;
    let lang = p.lang;
    let today = mire_store::coworking::today();
    let closures = s.db.space_closures(space.id, today).await?;
    let week = space.hours();
    // With no date asked, the first day the space is open (today when it is).
    let first_open = (0..14)
        .map(|n| today + Duration::days(n))
        .find(|d| week.on(*d).is_some() && !closures.contains(&rules::iso(*d)))
        .unwrap_or(today);
    let (date, date_error) = match date_raw.trim() {
        "" => (first_open, None),
        v => match rules::parse_date("date", v) {
            Ok(d) => (d, None),
            Err(e) => (first_open, Some(e.message)),
        },
    };
    // Hours a room can be booked on some day of the week, for the hour list of its form.
    let open_min = week.0.iter().flatten().map(|h| h.0).min().unwrap_or(9 * 60);
    let close_max = week
        .0
        .iter()
        .flatten()
        .map(|h| h.1)
        .max()
        .unwrap_or(18 * 60);
    let room_hours: Vec<u16> = (open_min.div_ceil(60)..close_max / 60).collect();
    let closed_today = closures.contains(&rules::iso(date)) || space.hours().on(date).is_none();
    let credits: i64 = match &p.viewer {
        Some(v) => {
            s.db.credits_of_user(v.id())
                .await?
                .iter()
                .filter(|c| c.space_id == space.id)
                .map(|c| c.available)
                .sum()
        }
        None => 0,
    };
    let mut resources = vec![];
    for r in s.db.resources(space.id).await? {
        let slots = s.db.availability(&r, &space, date).await?;
        let kind = r.kind();
        let price = if kind.is_desk() {
            format!(
                "{} · {}",
                p.t1("cw-price-day", "price", money(lang, r.price_cents)),
                p.t1(
                    "cw-price-half",
                    "price",
                    money(lang, r.half_day_price_cents)
                )
            )
        } else {
            p.t1("cw-price-hour", "price", money(lang, r.price_cents))
        };
        let form = match &failed {
            Some((rid, f)) if *rid == r.id => f.clone(),
            _ => FormState::new(
                [
                    ("date", rules::iso(date)),
                    ("period", "full_day".to_owned()),
                    ("hour", String::new()),
                ],
                Invalid::default(),
            ),
        };
        let hours = room_hours
            .iter()
            .filter(|_| !kind.is_desk())
            .map(|h| Choice {
                value: h.to_string(),
                label: format!("{:02}:00–{:02}:00", h, h + 1),
                checked: form.v("hour") == h.to_string(),
            })
            .collect();
        resources.push(ResourceView {
            id: r.id,
            name: r.name.clone(),
            kind: p.label("resource-kind", &r.kind),
            is_desk: kind.is_desk(),
            seats: r.seats,
            price,
            slots: slots
                .iter()
                .map(|sl| SlotView {
                    label: if kind.is_desk() {
                        p.label("period", &sl.label)
                    } else {
                        format!("{:02}:00–{:02}:00", sl.unit, sl.unit + 1)
                    },
                    free: sl.free,
                    seats: r.seats,
                })
                .collect(),
            hours,
            form,
        });
    }
    let offers =
        s.db.offers(space.id, true)
            .await?
            .iter()
            .map(|o| offer_view(&p, o))
            .collect();
    let hours = space
        .hours()
        .0
        .iter()
        .zip(WEEKDAY_KEYS)
        .map(|(h, k)| {
            (
                p.t(&format!("weekday-{k}")),
                match h {
                    Some((o, c)) => format!("{}–{}", rules::clock(*o), rules::clock(*c)),
                    None => p.t("cw-closed"),
                },
            )
        })
        .collect();
    let mut prices = vec![];
    for (key, v) in [
        ("cw-list-day", space.price_day_cents),
        ("cw-list-half-day", space.price_half_day_cents),
        ("cw-list-month", space.price_month_cents),
    ] {
        if let Some(c) = v {
            prices.push((p.t(key), money(lang, c)));
        }
    }
    let manager = p.viewer.as_ref().is_some_and(|v| may_manage(v, &space));
    let next: String =
        form_urlencoded::byte_serialize(format!("/coworking/spazi/{}", space.id).as_bytes())
            .collect();
    Ok(SpacePage {
        demo: space.is_demo != 0,
        description: p
            .pick(
                space.description_it.as_deref().unwrap_or(""),
                space
                    .description_en
                    .as_deref()
                    .or(space.description_it.as_deref())
                    .unwrap_or(""),
            )
            .to_owned(),
        place: format!("{} · Municipio {}", nil_name(space.nil_id), space.municipio),
        hours,
        closures: closures.iter().map(|c| date_text(lang, c)).collect(),
        amenities: space
            .amenity_list()
            .iter()
            .map(|a| p.label("amenity", a.as_str()))
            .collect(),
        prices,
        offers,
        resources,
        date: rules::iso(date),
        date_label: date_text(lang, &rules::iso(date)),
        date_error,
        closed_today,
        credits,
        manager,
        login_href: format!("/accedi?next={next}"),
        cancel_rule: p.t1("cw-cancel-rule", "hours", space.cancel_hours),
        failed,
        p,
        space,
    })
}

pub async fn space(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let page = space_page(&s, p, page_id(&id)?, q.get("date"), None).await?;
    let status = if page.date_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(status, &page)
}

#[derive(serde::Deserialize)]
pub struct BookForm {
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    hour: String,
    #[serde(default)]
    use_credit: String,
    #[serde(default)]
    waitlist: String,
}

#[derive(Template)]
#[template(path = "coworking/book_problem.html")]
struct BookProblemPage {
    p: Page,
    title: String,
    body: String,
    space_id: i64,
    /// The same request again, with the waitlist asked (when full).
    retry: Option<Vec<(&'static str, String)>>,
}

pub async fn book(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<BookForm>,
) -> Result<Response, PageError> {
    let space_id = page_id(&id)?;
    let Some(viewer) = p.viewer.clone() else {
        return Err(PageError::SignIn(format!("/coworking/spazi/{space_id}")));
    };
    let resource = s.db.resource(page_id(f.resource_id.trim())?).await?;
    if resource.space_id != space_id {
        return Err(PageError::NotFound);
    }
    let kind = resource.kind();
    let mut e = Invalid::default();
    let date = e.check(rules::parse_date("date", &f.date));
    let (period, hour) = if kind.is_desk() {
        match Period::parse(f.period.trim()).filter(|p| *p != Period::Hour) {
            Some(p) => (Some(p), None),
            None => {
                e.push("period", "error-choice");
                (None, None)
            }
        }
    } else {
        match f.hour.trim().parse::<u8>() {
            Ok(h) if h < 24 => (Some(Period::Hour), Some(h)),
            _ if f.hour.trim().is_empty() => {
                e.push("hour", "error-required");
                (None, None)
            }
            _ => {
                e.push("hour", "error-choice");
                (None, None)
            }
        }
    };
    let values = |f: &BookForm| {
        [
            ("date", f.date.clone()),
            ("period", f.period.clone()),
            ("hour", f.hour.clone()),
            ("use_credit", f.use_credit.clone()),
            ("waitlist", f.waitlist.clone()),
        ]
    };
    if let (Some(date), Some(period), true) = (date, period, e.is_empty()) {
        let req = BookingRequest {
            user_id: viewer.id(),
            resource_id: resource.id,
            date,
            period,
            hour,
            use_credit: !f.use_credit.is_empty() && kind.is_desk(),
            join_waitlist: !f.waitlist.is_empty(),
        };
        let problem = |p: Page, title: &str, body: &str, retry| -> Result<Response, PageError> {
            render_status(
                StatusCode::CONFLICT,
                &BookProblemPage {
                    title: p.t(title),
                    body: p.t(body),
                    p,
                    space_id,
                    retry,
                },
            )
        };
        match super::book(&s, &viewer, &req).await {
            Ok(BookingOutcome::Booked(b)) => {
                return Ok(
                    Redirect::to(&format!("/coworking/prenotazioni/{}?nuova=1", b.id))
                        .into_response(),
                )
            }
            Ok(BookingOutcome::Waitlisted(_)) => {
                return Ok(Redirect::to("/coworking/prenotazioni?attesa=1").into_response())
            }
            Err(Failure::Conflict("full")) => {
                let mut retry: Vec<(&'static str, String)> = vec![
                    ("resource_id", resource.id.to_string()),
                    ("date", rules::iso(date)),
                    ("period", f.period.clone()),
                    ("hour", f.hour.clone()),
                    ("waitlist", "1".into()),
                ];
                if !f.use_credit.is_empty() {
                    retry.push(("use_credit", "1".into()));
                }
                return problem(p, "cw-full-title", "cw-full-body", Some(retry));
            }
            Err(Failure::Conflict("already_booked")) => {
                return problem(p, "cw-already-booked-title", "cw-already-booked-body", None)
            }
            Err(Failure::Conflict("already_waiting")) => {
                return problem(
                    p,
                    "cw-already-waiting-title",
                    "cw-already-waiting-body",
                    None,
                )
            }
            Err(Failure::Conflict("too_many_bookings")) => {
                e.push("date", "error-too-many-bookings")
            }
            Err(Failure::Conflict("no_credit")) => e.push("use_credit", "error-no-credit"),
            Err(Failure::Conflict(_)) => e.push("date", "error-not-bookable"),
            Err(Failure::Invalid(i)) => e.0.extend(i.0),
            Err(other) => return Err(PageError::from(other)),
        }
    }
    let form = FormState::new(values(&f), e);
    let date_raw = f.date.clone();
    let page = space_page(
        &s,
        p,
        space_id,
        if rules::parse_date("date", &date_raw).is_ok() {
            &date_raw
        } else {
            ""
        },
        Some((resource.id, form)),
    )
    .await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
