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
use mire_geo::territory::map::{Map, Marker};
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::alliance::Organization;
use mire_store::coworking::{
    Booking, BookingOutcome, BookingRequest, CreditError, DashboardDay, DecisionError, Offer,
    Space, SpaceSearch,
};

use super::{may_manage, Failure};
use crate::error::{page_id, PageError};
use crate::i18n::Lang;
use crate::pages::{render, render_status, FormState, Notice, Page};
use crate::request::{Form, Params, Viewer};
use crate::AppState;

const MAP_WIDTH_PX: u32 = 640;
/// Radii offered for "near a point", in kilometres.
const RADII_KM: [&str; 5] = ["1", "2", "3", "5", "10"];

fn failure(f: Failure) -> PageError {
    match f {
        Failure::Forbidden => PageError::Forbidden,
        Failure::NotFound => PageError::NotFound,
        Failure::Store(e) => e.into(),
        Failure::Invalid(_) | Failure::Conflict(_) => PageError::BadRequest,
    }
}

/// Every value of a repeated field of a form or query string, in order.
fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn first(pairs: &[(String, String)], name: &str) -> String {
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
fn money(lang: Lang, cents: i64) -> String {
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

fn number_field(field: &'static str, raw: &str, e: &mut Invalid) -> Option<serde_json::Number> {
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

fn cents_field(field: &'static str, raw: &str, e: &mut Invalid) -> Option<serde_json::Number> {
    match euros_to_cents(raw) {
        Ok(v) => v.map(serde_json::Number::from),
        Err(()) => {
            e.push(field, "error-euros");
            None
        }
    }
}

/// Renames the fields of domain errors to the names the page's inputs carry.
fn rename(errors: Invalid, map: &[(&str, &'static str)]) -> Invalid {
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

fn date_text(lang: Lang, iso: &str) -> String {
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

fn nil_name(id: i64) -> String {
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
    pub free: String,
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
    hits: Vec<Hit>,
    map: String,
    tools: Vec<(String, String)>,
}

/// Links to the coworking pages the viewer may use: their bookings, the spaces they run,
/// their firms' credits, the offers to decide.
fn tools(p: &Page) -> Vec<(String, String)> {
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

fn nil_choices(selected: &str) -> Vec<Choice> {
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
    let radius_km: f64 = match first(&q, "radius").trim() {
        "" => 3.0,
        v if RADII_KM.contains(&v) => v.parse().unwrap_or(3.0),
        _ => {
            e.push("radius", "error-choice");
            3.0
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
    let with_offers = matches!(first(&q, "offers").as_str(), "1" | "on");
    let hits = if e.is_empty() {
        s.db.search_spaces(&SpaceSearch {
            municipio,
            nil_id,
            date,
            period,
            amenities: Amenity::mask(&amenity_list),
            max_price_cents: max_price,
            with_offers,
            near: origin.map(|o| (o.lat, o.lon, radius_km * 1000.0)),
            only_demo: None,
            limit: 200,
            offset: 0,
        })
        .await?
    } else {
        vec![]
    };
    let mut markers: Vec<Marker> = hits
        .iter()
        .map(|h| {
            Marker::new(LatLon::new(h.lat, h.lon), h.name.clone(), "coworking")
                .with_href(format!("/coworking/spazi/{}", h.id))
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
        .map(|h| Hit {
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
                if r.is_empty() {
                    "3".into()
                } else {
                    r
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

fn offer_view(p: &Page, o: &Offer) -> OfferView {
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
            Err(other) => return Err(failure(other)),
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

// -------------------------------------------------------------------------------------------
// A booking, my bookings, cancelling
// -------------------------------------------------------------------------------------------

pub struct BookingView {
    pub id: i64,
    pub space_id: i64,
    pub space_name: String,
    pub address: String,
    pub resource: String,
    pub date: String,
    pub period: String,
    pub price: String,
    pub pricing: String,
    pub status: String,
    pub cancellable: bool,
    pub deadline: String,
    pub active: bool,
}

async fn booking_view(
    s: &AppState,
    p: &Page,
    b: &Booking,
    spaces: &mut HashMap<i64, Space>,
) -> Result<BookingView, PageError> {
    let space = match spaces.entry(b.space_id) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => e.insert(s.db.space(b.space_id).await?),
    };
    let (deadline, cancellable) = start_and_deadline(b, space)
        .map(|(d, c)| (datetime_text(p.lang, d), c))
        .unwrap_or_default();
    Ok(BookingView {
        id: b.id,
        space_id: b.space_id,
        space_name: b.space_name.clone(),
        address: b.space_address.clone(),
        resource: b.resource_name.clone(),
        date: date_text(p.lang, &b.date),
        period: period_text(p, &b.period, b.hour),
        price: money(p.lang, b.price_cents),
        pricing: p.label("pricing", &b.pricing),
        status: p.label("booking-status", &b.status),
        cancellable,
        deadline,
        active: b.status == "confirmed",
    })
}

#[derive(Template)]
#[template(path = "coworking/booking.html")]
struct BookingPage {
    p: Page,
    b: BookingView,
    just_booked: bool,
}

/// The viewer's own booking; anyone else's is "not found", so ids reveal nothing.
async fn own_booking(s: &AppState, v: &Viewer, raw: &str) -> Result<Booking, PageError> {
    let b = s.db.booking(page_id(raw)?).await?;
    if b.user_id != v.id() {
        return Err(PageError::NotFound);
    }
    Ok(b)
}

pub async fn booking(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let b = own_booking(&s, &v, &id).await?;
    let view = booking_view(&s, &p, &b, &mut HashMap::new()).await?;
    render(&BookingPage {
        p,
        b: view,
        just_booked: q.get("nuova") == "1",
    })
}

pub async fn booking_ics(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let b = own_booking(&s, &v, &id).await?;
    let space = s.db.space(b.space_id).await?;
    let body = super::ics(&b, &space, &s.config.base_url());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"prenotazione-{}.ics\"", b.id),
            ),
        ],
        body,
    )
        .into_response())
}

pub struct WaitView {
    pub id: i64,
    pub space_id: i64,
    pub space_name: String,
    pub resource: String,
    pub date: String,
    pub period: String,
    pub position: i64,
}

pub struct CreditView {
    pub space_id: i64,
    pub space_name: String,
    pub until: String,
    pub available: i64,
}

#[derive(Template)]
#[template(path = "coworking/my_bookings.html")]
struct MyBookingsPage {
    p: Page,
    upcoming: Vec<BookingView>,
    history: Vec<BookingView>,
    waitlist: Vec<WaitView>,
    credits: Vec<CreditView>,
    notice: String,
    tools: Vec<(String, String)>,
}

pub async fn my_bookings(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let (up, past) = s.db.bookings_of_user(v.id(), 100).await?;
    let mut spaces = HashMap::new();
    let mut upcoming = vec![];
    for b in &up {
        upcoming.push(booking_view(&s, &p, b, &mut spaces).await?);
    }
    let mut history = vec![];
    for b in &past {
        history.push(booking_view(&s, &p, b, &mut spaces).await?);
    }
    let waitlist =
        s.db.waitlist_of_user(v.id())
            .await?
            .into_iter()
            .map(|w| WaitView {
                period: period_text(&p, &w.period, Some(w.hour)),
                date: date_text(p.lang, &w.date),
                id: w.id,
                space_id: w.space_id,
                space_name: w.space_name,
                resource: w.resource_name,
                position: w.position,
            })
            .collect();
    let credits =
        s.db.credits_of_user(v.id())
            .await?
            .into_iter()
            .map(|c| CreditView {
                until: date_text(p.lang, &c.valid_until),
                space_id: c.space_id,
                space_name: c.space_name,
                available: c.available,
            })
            .collect();
    let notice = match () {
        _ if q.get("annullata") == "1" => p.t("cw-notice-cancelled"),
        _ if q.get("attesa") == "1" => p.t("cw-notice-waitlisted"),
        _ if q.get("uscito") == "1" => p.t("cw-notice-left"),
        _ => String::new(),
    };
    render(&MyBookingsPage {
        tools: tools(&p),
        p,
        upcoming,
        history,
        waitlist,
        credits,
        notice,
    })
}

#[derive(serde::Deserialize)]
pub struct Empty {}

pub async fn cancel(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let booking_id = page_id(&id)?;
    match super::cancel(&s, &v, booking_id).await {
        Ok(_) => Ok(Redirect::to("/coworking/prenotazioni?annullata=1").into_response()),
        Err(Failure::Conflict(code)) => {
            let body = if code == "too_late" {
                p.t("cw-too-late-body")
            } else {
                p.t("cw-not-active-body")
            };
            let title = p.t("cw-cancel-refused");
            let link = Some(("/coworking/prenotazioni".to_owned(), p.t("cw-my-bookings")));
            render_status(
                StatusCode::CONFLICT,
                &Notice {
                    p,
                    title,
                    body,
                    link,
                },
            )
        }
        Err(f) => Err(failure(f)),
    }
}

pub async fn leave_waitlist(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    s.db.leave_waitlist(page_id(&id)?, v.id()).await?;
    Ok(Redirect::to("/coworking/prenotazioni?uscito=1").into_response())
}

// -------------------------------------------------------------------------------------------
// A firm's credits
// -------------------------------------------------------------------------------------------

pub struct PackView {
    pub id: i64,
    pub space_name: String,
    pub days: i64,
    pub assigned: i64,
    pub spent: i64,
    pub until: String,
    pub price: String,
    pub label: String,
}

pub struct UseView {
    pub person: String,
    pub space_name: String,
    pub date: String,
    pub period: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "coworking/credits.html")]
struct CreditsPage {
    p: Page,
    org: Organization,
    packs: Vec<PackView>,
    employees: Vec<(String, i64, i64)>,
    uses: Vec<UseView>,
    workers: Vec<Choice>,
    pack_choices: Vec<Choice>,
    offers: Vec<OfferView>,
    form: FormState,
    notice: String,
}

/// Credit packs on offer in force, any space.
async fn packs_on_offer(s: &AppState, p: &Page) -> Result<Vec<OfferView>, PageError> {
    let spaces =
        s.db.search_spaces(&SpaceSearch {
            with_offers: true,
            limit: 200,
            ..Default::default()
        })
        .await?;
    let mut out = vec![];
    for h in spaces {
        for o in s.db.offers(h.id, true).await? {
            if o.kind == OfferKind::CreditPack.as_str() {
                out.push(offer_view(p, &o));
            }
        }
    }
    Ok(out)
}

async fn credits_page(
    s: &AppState,
    p: Page,
    org: Organization,
    form: FormState,
    notice: String,
) -> Result<CreditsPage, PageError> {
    let report = s.db.organization_credits(org.id).await?;
    let lang = p.lang;
    let workers =
        s.db.organization_people(org.id)
            .await?
            .into_iter()
            .filter(|x| x.role == "worker")
            .map(|x| Choice {
                checked: form.v("user_id") == x.user_id.to_string(),
                value: x.user_id.to_string(),
                label: x.display_name,
            })
            .collect();
    let packs: Vec<PackView> = report
        .packs
        .iter()
        .map(|k| PackView {
            id: k.id,
            space_name: k.space_name.clone(),
            days: k.days,
            assigned: k.assigned,
            spent: k.spent,
            until: date_text(lang, &k.valid_until),
            price: money(lang, k.price_cents),
            label: crate::I18N.t(
                lang,
                "cw-pack-choice",
                &[
                    ("space", k.space_name.clone().into()),
                    ("left", (k.days - k.assigned).into()),
                    ("date", date_text(lang, &k.valid_until).into()),
                ],
            ),
        })
        .collect();
    let pack_choices = packs
        .iter()
        .map(|k| Choice {
            value: k.id.to_string(),
            label: k.label.clone(),
            checked: form.v("pack_id") == k.id.to_string(),
        })
        .collect();
    let uses = report
        .uses
        .iter()
        .map(|u| UseView {
            person: u.display_name.clone(),
            space_name: u.space_name.clone(),
            date: date_text(lang, &u.date),
            period: p.label("period", &u.period),
            status: p.label("booking-status", &u.status),
        })
        .collect();
    Ok(CreditsPage {
        offers: packs_on_offer(s, &p).await?,
        employees: report
            .employees
            .iter()
            .map(|x| (x.display_name.clone(), x.assigned, x.spent))
            .collect(),
        p,
        org,
        packs,
        uses,
        workers,
        pack_choices,
        form,
        notice,
    })
}

pub async fn credits(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let org = crate::alliance::represented(&s, &p, &id).await?;
    let notice = match () {
        _ if q.get("assegnati") == "1" => p.t("cw-notice-assigned"),
        _ if q.get("acquistato") == "1" => p.t("cw-notice-purchased"),
        _ => String::new(),
    };
    let form = FormState::new([("count", "1".to_owned())], Invalid::default());
    render(&credits_page(&s, p, org, form, notice).await?)
}

#[derive(serde::Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pack_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    count: String,
}

pub async fn assign_credits(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    let org = crate::alliance::represented(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let pack = match f.pack_id.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            e.push("pack_id", "error-required");
            None
        }
    };
    let user = match f.user_id.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            e.push("user_id", "error-required");
            None
        }
    };
    let count = match f.count.trim().parse::<i64>() {
        Ok(n) if (1..=rules::PACK_DAYS_MAX).contains(&n) => Some(n),
        _ => {
            e.push("count", "error-number-range");
            None
        }
    };
    if let (Some(pack), Some(user), Some(count), true) = (pack, user, count, e.is_empty()) {
        match s.db.assign_credits(org.id, pack, user, count).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/organizzazioni/{}/crediti?assegnati=1", org.id))
                        .into_response(),
                )
            }
            Err(CreditError::NotEmployee) => e.push("user_id", "error-not-employee"),
            Err(CreditError::NotEnough) => e.push("count", "error-not-enough-credits"),
            Err(CreditError::NotFound) | Err(CreditError::NotAvailable) => {
                e.push("pack_id", "error-choice")
            }
            Err(CreditError::Store(err)) => return Err(err.into()),
        }
    }
    let form = FormState::new(
        [
            ("pack_id", f.pack_id),
            ("user_id", f.user_id),
            ("count", f.count),
        ],
        e,
    );
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &credits_page(&s, p, org, form, String::new()).await?,
    )
}

#[derive(serde::Deserialize)]
pub struct PurchaseForm {
    #[serde(default)]
    offer_id: String,
}

pub async fn purchase_pack(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<PurchaseForm>,
) -> Result<Response, PageError> {
    let org = crate::alliance::represented(&s, &p, &id).await?;
    let by = p.require()?.id();
    let offer = page_id(f.offer_id.trim())?;
    let mut e = Invalid::default();
    match s.db.purchase_credit_pack(offer, org.id, by).await {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/organizzazioni/{}/crediti?acquistato=1", org.id))
                    .into_response(),
            )
        }
        Err(CreditError::Store(err)) => return Err(err.into()),
        Err(_) => e.push("offer_id", "error-offer-not-available"),
    }
    let form = FormState::new([("count", "1".to_owned())], e);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &credits_page(&s, p, org, form, String::new()).await?,
    )
}

// -------------------------------------------------------------------------------------------
// Operators: spaces, resources, offers
// -------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "coworking/manage.html")]
struct ManagePage {
    p: Page,
    operators: Vec<(Organization, Vec<Space>)>,
}

/// The coworking operators the viewer represents.
async fn operators_of(s: &AppState, v: &Viewer) -> Result<Vec<Organization>, PageError> {
    Ok(s.db
        .organizations_of(v.id())
        .await?
        .into_iter()
        .map(|(o, _)| o)
        .filter(|o| o.kind == OrgKind::CoworkingOperator.as_str() && v.represents(o.id))
        .collect())
}

pub async fn manage(State(s): State<AppState>, p: Page) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let mut operators = vec![];
    for org in operators_of(&s, &v).await? {
        let spaces = s.db.spaces_of_organization(org.id).await?;
        operators.push((org, spaces));
    }
    render(&ManagePage { p, operators })
}

/// A space the viewer runs; 403 for anyone else.
async fn managed(s: &AppState, p: &Page, raw: &str) -> Result<Space, PageError> {
    let v = p.require()?;
    let space = s.db.space(page_id(raw)?).await?;
    if !may_manage(v, &space) {
        return Err(PageError::Forbidden);
    }
    Ok(space)
}

#[derive(Template)]
#[template(path = "coworking/space_form.html")]
struct SpaceFormPage {
    p: Page,
    form: FormState,
    /// `/coworking/gestione/spazi/nuovo?org=N` or `/coworking/gestione/spazi/N/modifica`.
    action: String,
    title: String,
    org_name: String,
    weekdays: Vec<(String, String)>,
    amenities: Vec<Choice>,
}

fn space_form_page(
    p: Page,
    form: FormState,
    action: String,
    title: String,
    org_name: String,
    chosen: &[String],
) -> SpaceFormPage {
    let weekdays = WEEKDAY_KEYS
        .iter()
        .map(|k| (format!("hours_{k}"), p.t(&format!("weekday-{k}"))))
        .collect();
    let amenities = Amenity::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str().to_owned(),
            label: p.label("amenity", a.as_str()),
            checked: chosen.iter().any(|c| c == a.as_str()),
        })
        .collect();
    SpaceFormPage {
        p,
        form,
        action,
        title,
        org_name,
        weekdays,
        amenities,
    }
}

const SPACE_TEXT_FIELDS: [&str; 16] = [
    "space_name",
    "description_it",
    "description_en",
    "address",
    "lat",
    "lon",
    "closures",
    "email",
    "phone",
    "website",
    "price_day",
    "price_half_day",
    "price_month",
    "horizon_days",
    "max_active_bookings",
    "cancel_hours",
];

fn space_values(pairs: &[(String, String)]) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = SPACE_TEXT_FIELDS
        .iter()
        .map(|k| (*k, first(pairs, k)))
        .collect();
    for k in [
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
        "hours_sat",
        "hours_sun",
    ] {
        v.push((k, first(pairs, k)));
    }
    v
}

fn space_values_of(lang: Lang, space: &Space, closures: &[String]) -> Vec<(&'static str, String)> {
    let hours = space.hours();
    let mut v = vec![
        ("space_name", space.name.clone()),
        (
            "description_it",
            space.description_it.clone().unwrap_or_default(),
        ),
        (
            "description_en",
            space.description_en.clone().unwrap_or_default(),
        ),
        ("address", space.address.clone()),
        ("lat", space.lat.to_string()),
        ("lon", space.lon.to_string()),
        ("closures", closures.join("\n")),
        ("email", space.email.clone().unwrap_or_default()),
        ("phone", space.phone.clone().unwrap_or_default()),
        ("website", space.website.clone().unwrap_or_default()),
        ("price_day", euro_field(lang, space.price_day_cents)),
        (
            "price_half_day",
            euro_field(lang, space.price_half_day_cents),
        ),
        ("price_month", euro_field(lang, space.price_month_cents)),
        ("horizon_days", space.horizon_days.to_string()),
        ("max_active_bookings", space.max_active_bookings.to_string()),
        ("cancel_hours", space.cancel_hours.to_string()),
    ];
    let keys = [
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
        "hours_sat",
        "hours_sun",
    ];
    for (k, d) in keys.iter().zip(hours.0.iter()) {
        v.push((
            k,
            d.map(|(o, c)| format!("{}-{}", rules::clock(o), rules::clock(c)))
                .unwrap_or_default(),
        ));
    }
    v
}

/// Reads the space form into the domain's input; number problems are reported by field.
fn space_input(pairs: &[(String, String)], e: &mut Invalid) -> SpaceInput {
    let coord = |field: &'static str, e: &mut Invalid| -> Option<f64> {
        let raw = first(pairs, field).trim().replace(',', ".");
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                e.push(field, "error-number");
                None
            }
        }
    };
    let lat = coord("lat", e);
    let lon = coord("lon", e);
    let mut hours = std::collections::BTreeMap::new();
    for k in WEEKDAY_KEYS {
        let v = first(pairs, &format!("hours_{k}"));
        if !v.trim().is_empty() {
            hours.insert(k.to_owned(), v);
        }
    }
    SpaceInput {
        name: first(pairs, "space_name"),
        description_it: first(pairs, "description_it"),
        description_en: first(pairs, "description_en"),
        address: first(pairs, "address"),
        lat,
        lon,
        opening_hours: Some(hours),
        closures: first(pairs, "closures")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        amenities: all(pairs, "amenity"),
        email: first(pairs, "email"),
        phone: first(pairs, "phone"),
        website: first(pairs, "website"),
        price_day_cents: cents_field("price_day", &first(pairs, "price_day"), e),
        price_half_day_cents: cents_field("price_half_day", &first(pairs, "price_half_day"), e),
        price_month_cents: cents_field("price_month", &first(pairs, "price_month"), e),
        horizon_days: number_field("horizon_days", &first(pairs, "horizon_days"), e),
        max_active_bookings: number_field(
            "max_active_bookings",
            &first(pairs, "max_active_bookings"),
            e,
        ),
        cancel_hours: number_field("cancel_hours", &first(pairs, "cancel_hours"), e),
    }
}

const SPACE_FIELD_NAMES: [(&str, &str); 5] = [
    ("name", "space_name"),
    ("price_day_cents", "price_day"),
    ("price_half_day_cents", "price_half_day"),
    ("price_month_cents", "price_month"),
    ("opening_hours", "hours_mon"),
];

async fn operator_org(s: &AppState, p: &Page, raw: &str) -> Result<Organization, PageError> {
    let v = p.require()?;
    let org = s.db.organization(page_id(raw)?).await?;
    if !v.represents(org.id) || org.kind != OrgKind::CoworkingOperator.as_str() {
        return Err(PageError::Forbidden);
    }
    Ok(org)
}

pub async fn new_space_form(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let org = operator_org(&s, &p, q.get("org")).await?;
    let d = rules::BookingRules::default();
    let mut values = vec![
        ("horizon_days", d.horizon_days.to_string()),
        ("max_active_bookings", d.max_active_bookings.to_string()),
        ("cancel_hours", d.cancel_hours.to_string()),
    ];
    for k in [
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
    ] {
        values.push((k, "09:00-18:00".to_owned()));
    }
    let title = p.t("cw-new-space");
    render(&space_form_page(
        p,
        FormState::new(values, Invalid::default()),
        format!("/coworking/gestione/spazi/nuovo?org={}", org.id),
        title,
        org.name,
        &[],
    ))
}

pub async fn create_space(
    State(s): State<AppState>,
    p: Page,
    q: Params,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let org = operator_org(&s, &p, q.get("org")).await?;
    let v = p.require()?.clone();
    let mut e = Invalid::default();
    let input = space_input(&pairs, &mut e);
    let errors = match input.validate() {
        Ok(new) if e.is_empty() => match super::create_space(&s, &v, org.id, &new).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/coworking/gestione/spazi/{id}")).into_response())
            }
            Err(Failure::Invalid(i)) => i,
            Err(f) => return Err(failure(f)),
        },
        Ok(_) => e,
        Err(i) => i.overridden_by(e),
    };
    let form = FormState::new(space_values(&pairs), rename(errors, &SPACE_FIELD_NAMES));
    let title = p.t("cw-new-space");
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &space_form_page(
            p,
            form,
            format!("/coworking/gestione/spazi/nuovo?org={}", org.id),
            title,
            org.name,
            &all(&pairs, "amenity"),
        ),
    )
}

pub async fn edit_space_form(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let closures =
        s.db.space_closures(space.id, mire_store::coworking::today())
            .await?;
    let chosen: Vec<String> = space
        .amenity_list()
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    let title = p.t1("cw-edit-space", "name", &space.name);
    let form = FormState::new(
        space_values_of(p.lang, &space, &closures),
        Invalid::default(),
    );
    render(&space_form_page(
        p,
        form,
        format!("/coworking/gestione/spazi/{}/modifica", space.id),
        title,
        space.organization_name.clone(),
        &chosen,
    ))
}

pub async fn update_space(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let input = space_input(&pairs, &mut e);
    let errors = match input.validate() {
        Ok(new) if e.is_empty() => match super::locate(new.lat, new.lon) {
            Ok(place) => {
                s.db.update_space(space.id, &new, place).await?;
                return Ok(Redirect::to(&format!(
                    "/coworking/gestione/spazi/{}?salvato=1",
                    space.id
                ))
                .into_response());
            }
            Err(i) => i,
        },
        Ok(_) => e,
        Err(i) => i.overridden_by(e),
    };
    let form = FormState::new(space_values(&pairs), rename(errors, &SPACE_FIELD_NAMES));
    let title = p.t1("cw-edit-space", "name", &space.name);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &space_form_page(
            p,
            form,
            format!("/coworking/gestione/spazi/{}/modifica", space.id),
            title,
            space.organization_name.clone(),
            &all(&pairs, "amenity"),
        ),
    )
}

#[derive(Template)]
#[template(path = "coworking/manage_space.html")]
struct ManageSpacePage {
    p: Page,
    space: Space,
    place: String,
    resources: Vec<(String, String, i64, String)>,
    offers: Vec<OfferView>,
    resource_form: FormState,
    offer_form: FormState,
    resource_kinds: Vec<&'static str>,
    offer_kinds: Vec<&'static str>,
    notice: String,
}

async fn manage_space_page(
    s: &AppState,
    p: Page,
    space: Space,
    resource_form: FormState,
    offer_form: FormState,
    notice: String,
) -> Result<ManageSpacePage, PageError> {
    let lang = p.lang;
    let resources =
        s.db.resources(space.id)
            .await?
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    p.label("resource-kind", &r.kind),
                    r.seats,
                    money(lang, r.price_cents),
                )
            })
            .collect();
    let offers =
        s.db.offers(space.id, false)
            .await?
            .iter()
            .map(|o| offer_view(&p, o))
            .collect();
    Ok(ManageSpacePage {
        place: format!("{} · Municipio {}", nil_name(space.nil_id), space.municipio),
        p,
        space,
        resources,
        offers,
        resource_form,
        offer_form,
        resource_kinds: ResourceKind::ALL.iter().map(|k| k.as_str()).collect(),
        offer_kinds: OfferKind::ALL.iter().map(|k| k.as_str()).collect(),
        notice,
    })
}

pub async fn manage_space(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let notice = match () {
        _ if q.get("salvato") == "1" => p.t("cw-notice-saved"),
        _ if q.get("risorsa") == "1" => p.t("cw-notice-resource"),
        _ if q.get("offerta") == "1" => p.t("cw-notice-offer"),
        _ => String::new(),
    };
    render(
        &manage_space_page(
            &s,
            p,
            space,
            FormState::default(),
            FormState::default(),
            notice,
        )
        .await?,
    )
}

#[derive(serde::Deserialize)]
pub struct ResourceForm {
    #[serde(default)]
    resource_kind: String,
    #[serde(default)]
    resource_name: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    half_price: String,
}

pub async fn add_resource(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<ResourceForm>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let input = ResourceInput {
        kind: f.resource_kind.clone(),
        name: f.resource_name.clone(),
        seats: number_field("seats", &f.seats, &mut e),
        price_cents: cents_field("price", &f.price, &mut e),
        half_day_price_cents: cents_field("half_price", &f.half_price, &mut e),
    };
    let errors = match input.validate() {
        Ok(new) if e.is_empty() => {
            s.db.add_resource(space.id, &new).await?;
            return Ok(
                Redirect::to(&format!("/coworking/gestione/spazi/{}?risorsa=1", space.id))
                    .into_response(),
            );
        }
        Ok(_) => e,
        // A number typed wrong is reported once, by the page's own message.
        Err(i) => i.overridden_by(e),
    };
    let errors = rename(
        errors,
        &[
            ("kind", "resource_kind"),
            ("name", "resource_name"),
            ("price_cents", "price"),
            ("half_day_price_cents", "half_price"),
        ],
    );
    let form = FormState::new(
        [
            ("resource_kind", f.resource_kind),
            ("resource_name", f.resource_name),
            ("seats", f.seats),
            ("price", f.price),
            ("half_price", f.half_price),
        ],
        errors,
    );
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &manage_space_page(&s, p, space, form, FormState::default(), String::new()).await?,
    )
}

#[derive(serde::Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    offer_kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    discount_percent: String,
    #[serde(default)]
    trial_days: String,
    #[serde(default)]
    pack_days: String,
    #[serde(default)]
    pack_price: String,
    #[serde(default)]
    valid_until: String,
}

pub async fn create_offer(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<OfferForm>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let by = p.require()?.id();
    let mut e = Invalid::default();
    let input = OfferInput {
        kind: f.offer_kind.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        discount_percent: number_field("discount_percent", &f.discount_percent, &mut e),
        trial_days: number_field("trial_days", &f.trial_days, &mut e),
        pack_days: number_field("pack_days", &f.pack_days, &mut e),
        pack_price_cents: cents_field("pack_price", &f.pack_price, &mut e),
        valid_until: f.valid_until.clone(),
    };
    let errors = match input.validate(mire_store::coworking::today()) {
        Ok(new) if e.is_empty() => {
            s.db.create_offer(space.id, &new, Some(by)).await?;
            return Ok(
                Redirect::to(&format!("/coworking/gestione/spazi/{}?offerta=1", space.id))
                    .into_response(),
            );
        }
        Ok(_) => e,
        Err(i) => i.overridden_by(e),
    };
    let errors = rename(
        errors,
        &[("kind", "offer_kind"), ("pack_price_cents", "pack_price")],
    );
    let form = FormState::new(
        [
            ("offer_kind", f.offer_kind),
            ("title", f.title),
            ("description", f.description),
            ("discount_percent", f.discount_percent),
            ("trial_days", f.trial_days),
            ("pack_days", f.pack_days),
            ("pack_price", f.pack_price),
            ("valid_until", f.valid_until),
        ],
        errors,
    );
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &manage_space_page(&s, p, space, FormState::default(), form, String::new()).await?,
    )
}

// -------------------------------------------------------------------------------------------
// Operators: today's bookings and check-in, dashboard
// -------------------------------------------------------------------------------------------

pub struct DayBooking {
    pub id: i64,
    pub resource: String,
    pub period: String,
    pub person: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "coworking/today.html")]
struct TodayPage {
    p: Page,
    space: Space,
    date: String,
    bookings: Vec<DayBooking>,
}

pub async fn today(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let date = mire_store::coworking::today();
    let mut bookings = vec![];
    for b in s.db.space_bookings(space.id, date).await? {
        let person =
            s.db.user(b.user_id)
                .await
                .map(|u| u.display_name)
                .unwrap_or_default();
        bookings.push(DayBooking {
            id: b.id,
            resource: b.resource_name.clone(),
            period: period_text(&p, &b.period, b.hour),
            person,
            status: p.label("booking-status", &b.status),
        });
    }
    render(&TodayPage {
        date: date_text(p.lang, &rules::iso(date)),
        p,
        space,
        bookings,
    })
}

#[derive(serde::Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    status: String,
}

pub async fn check_in(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<CheckInForm>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let b = s.db.booking(page_id(&id)?).await?;
    let space = s.db.space(b.space_id).await?;
    if !may_manage(&v, &space) {
        return Err(PageError::Forbidden);
    }
    let status = CheckIn::parse(f.status.trim()).ok_or(PageError::BadRequest)?;
    match s.db.check_in(b.id, status, v.id()).await {
        Ok(()) | Err(DecisionError::AlreadyDecided) => {}
        Err(DecisionError::NotFound) => return Err(PageError::NotFound),
        Err(DecisionError::Store(e)) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/coworking/gestione/spazi/{}/oggi", space.id)).into_response())
}

pub struct DayRow {
    pub date: String,
    pub bookings: i64,
    pub attended: i64,
    pub no_show: i64,
    pub occupancy: String,
    pub list: String,
    pub revenue: String,
}

#[derive(Template)]
#[template(path = "coworking/dashboard.html")]
struct DashboardPage {
    p: Page,
    space: Space,
    form: FormState,
    days: Vec<DayRow>,
    weeks: Vec<DayRow>,
    totals: DayRow,
    chart: String,
    csv_href: String,
}

fn percent_text(lang: Lang, v: f64) -> String {
    let t = format!("{v:.1} %");
    match lang {
        Lang::It => t.replace('.', ","),
        Lang::En => t,
    }
}

fn row(lang: Lang, label: String, days: &[&DashboardDay]) -> DayRow {
    let n = days.len().max(1) as f64;
    DayRow {
        date: label,
        bookings: days.iter().map(|d| d.bookings).sum(),
        attended: days.iter().map(|d| d.attended).sum(),
        no_show: days.iter().map(|d| d.no_show).sum(),
        occupancy: percent_text(
            lang,
            days.iter().map(|d| d.occupancy_percent).sum::<f64>() / n,
        ),
        list: money(lang, days.iter().map(|d| d.revenue_list_cents).sum()),
        revenue: money(lang, days.iter().map(|d| d.revenue_cents).sum()),
    }
}

/// Occupancy per day as an SVG bar chart; the table next to it carries the same numbers.
fn occupancy_chart(p: &Page, days: &[DashboardDay]) -> String {
    let (w, h, top, bottom, left) = (640.0, 220.0, 10.0, 30.0, 36.0);
    let plot_h = h - top - bottom;
    let n = days.len().max(1) as f64;
    let bw = (w - left - 10.0) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\">\
         <title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>",
        askama_escape(&p.t("cw-chart-title")),
        askama_escape(&p.t("cw-chart-desc")),
    );
    for pct in [0, 50, 100] {
        let y = top + plot_h * (1.0 - f64::from(pct) / 100.0);
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"chart-grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">{pct}%</text>",
            w - 10.0,
            left - 4.0,
            y + 4.0
        ));
    }
    for (i, d) in days.iter().enumerate() {
        let v = d.occupancy_percent.clamp(0.0, 100.0);
        let bh = plot_h * v / 100.0;
        let x = left + bw * i as f64 + bw * 0.15;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" class=\"chart-bar\"><title>{}: {}</title></rect>",
            top + plot_h - bh,
            (bw * 0.7).max(1.0),
            askama_escape(&date_text(p.lang, &d.date)),
            percent_text(p.lang, v)
        ));
        if i % 7 == 0 {
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" class=\"chart-label\">{}</text>",
                h - 10.0,
                askama_escape(&d.date[5..])
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn dashboard_range(q: &Params, e: &mut Invalid) -> (NaiveDate, NaiveDate) {
    let today = mire_store::coworking::today();
    let read = |name: &'static str, e: &mut Invalid| match q.get(name).trim() {
        "" => None,
        v => e.check(rules::parse_date(name, v)),
    };
    let to = read("date_to", e).unwrap_or(today + Duration::days(7));
    let from = read("date_from", e).unwrap_or(to - Duration::days(34));
    if from > to {
        e.push("date_from", "error-date-order");
    } else if (to - from).num_days() > 366 {
        e.push("date_to", "error-date-range");
    }
    if e.is_empty() {
        (from, to)
    } else {
        (today - Duration::days(27), today + Duration::days(7))
    }
}

pub async fn dashboard(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let (from, to) = dashboard_range(&q, &mut e);
    let days = s.db.dashboard(space.id, from, to).await?;
    if q.get("format") == "csv" && e.is_empty() {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"coworking-{}-{}-{}.csv\"",
                        space.id,
                        rules::iso(from),
                        rules::iso(to)
                    ),
                ),
            ],
            super::dashboard_csv(&days),
        )
            .into_response());
    }
    let lang = p.lang;
    let rows = days
        .iter()
        .map(|d| row(lang, date_text(lang, &d.date), &[d]))
        .collect();
    let mut weeks: Vec<DayRow> = vec![];
    let mut current: Vec<&DashboardDay> = vec![];
    let mut week_key: Option<chrono::IsoWeek> = None;
    for d in &days {
        let date = rules::parse_date("date", &d.date).unwrap_or(from);
        let key = date.iso_week();
        if week_key.is_some_and(|k| k != key) {
            let w = week_key.expect("set");
            weeks.push(row(
                lang,
                p.t1("cw-week", "week", format!("{}/{}", w.week(), w.year())),
                &current,
            ));
            current.clear();
        }
        week_key = Some(key);
        current.push(d);
    }
    if let Some(w) = week_key {
        weeks.push(row(
            lang,
            p.t1("cw-week", "week", format!("{}/{}", w.week(), w.year())),
            &current,
        ));
    }
    let all_days: Vec<&DashboardDay> = days.iter().collect();
    let totals = row(lang, p.t("cw-total"), &all_days);
    let chart = occupancy_chart(&p, &days);
    let csv_href = format!(
        "/coworking/gestione/spazi/{}/cruscotto?date_from={}&date_to={}&format=csv",
        space.id,
        rules::iso(from),
        rules::iso(to)
    );
    let status = if e.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = FormState::new(
        [
            (
                "date_from",
                if e.is_empty() {
                    rules::iso(from)
                } else {
                    q.get("date_from").to_owned()
                },
            ),
            (
                "date_to",
                if e.is_empty() {
                    rules::iso(to)
                } else {
                    q.get("date_to").to_owned()
                },
            ),
        ],
        e,
    );
    render_status(
        status,
        &DashboardPage {
            p,
            space,
            form,
            days: rows,
            weeks,
            totals,
            chart,
            csv_href,
        },
    )
}

// -------------------------------------------------------------------------------------------
// Coordinator: offers
// -------------------------------------------------------------------------------------------

/// True when the viewer coordinates the default alliance or one the space's operator is in.
async fn coordinates_space(s: &AppState, v: &Viewer, space_id: i64) -> Result<bool, PageError> {
    let default = s.db.default_alliance().await?;
    if v.is_coordinator(default.id) {
        return Ok(true);
    }
    let space = s.db.space(space_id).await?;
    let alliances =
        s.db.alliances_of_organization(space.organization_id)
            .await?;
    Ok(alliances.iter().any(|a| v.is_coordinator(*a)))
}

#[derive(Template)]
#[template(path = "coworking/offers.html")]
struct OffersPage {
    p: Page,
    offers: Vec<OfferView>,
    notice: String,
}

pub async fn offers(State(s): State<AppState>, p: Page, q: Params) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    if !v.roles.iter().any(|r| r.role == "coordinator") {
        return Err(PageError::Forbidden);
    }
    let mut offers = vec![];
    for o in s.db.pending_offers().await? {
        if coordinates_space(&s, &v, o.space_id).await? {
            offers.push(offer_view(&p, &o));
        }
    }
    let notice = match q.get("decisa") {
        "approvata" => p.t("cw-notice-approved"),
        "respinta" => p.t("cw-notice-rejected"),
        "gia" => p.t("cw-notice-already-decided"),
        _ => String::new(),
    };
    render(&OffersPage { p, offers, notice })
}

async fn decide(s: AppState, p: Page, raw: String, approve: bool) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let offer = s.db.offer(page_id(&raw)?).await?;
    if !coordinates_space(&s, &v, offer.space_id).await? {
        return Err(PageError::Forbidden);
    }
    let outcome = match s.db.decide_offer(offer.id, approve, v.id()).await {
        Ok(()) if approve => "approvata",
        Ok(()) => "respinta",
        Err(DecisionError::AlreadyDecided) => "gia",
        Err(DecisionError::NotFound) => return Err(PageError::NotFound),
        Err(DecisionError::Store(e)) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/coordinamento/convenzioni?decisa={outcome}")).into_response())
}

pub async fn approve_offer(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    decide(s, p, id, true).await
}

pub async fn reject_offer(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    decide(s, p, id, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_become_cents() {
        assert_eq!(euros_to_cents(""), Ok(None));
        assert_eq!(euros_to_cents("25"), Ok(Some(2500)));
        assert_eq!(euros_to_cents("25,5"), Ok(Some(2550)));
        assert_eq!(euros_to_cents("0.99"), Ok(Some(99)));
        assert_eq!(euros_to_cents("-3"), Err(()));
        assert_eq!(euros_to_cents("1,234"), Err(()));
        assert_eq!(euros_to_cents("abc"), Err(()));
    }

    #[test]
    fn points_in_both_notations() {
        assert_eq!(parse_point("45.4642, 9.19"), Some((45.4642, 9.19)));
        assert_eq!(parse_point("45,4642; 9,19"), Some((45.4642, 9.19)));
        assert_eq!(parse_point("45,4642, 9,19"), Some((45.4642, 9.19)));
        assert_eq!(parse_point("nord"), None);
    }
}
