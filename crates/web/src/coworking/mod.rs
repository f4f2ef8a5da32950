//! Coworking: the directory of spaces, their resources and alliance offers, booking with a
//! waitlist, company credits, check-in and the operator's dashboard.
//!
//! The JSON API lives in `api.rs`. What pages and API share is here: the checks of who may
//! do what ([`may_manage`], [`firm_of`]), the paths that create records ([`create_space`],
//! [`book`], [`cancel`]), the e-mails and the `.ics` and CSV renderings.

pub(crate) mod api;
pub(crate) mod demand;
mod pages;
pub(crate) mod travel;

use axum::routing::{get, post};
use axum::Router;
use mire_domain::alliance::OrgKind;
use mire_domain::coworking::{self as rules, NewSpace, Period};
use mire_domain::Invalid;
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::coworking::{
    Booking, BookingError, BookingOutcome, BookingRequest, CancelError, Cancellation, DashboardDay,
    Space,
};
use mire_store::StoreError;

use crate::error::{ApiError, PageError};
use crate::mail::Message;
use crate::request::Viewer;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(page_routes())
        .merge(demand::routes())
        .route(
            "/api/v1/coworking/spaces",
            get(api::search).post(api::create_space),
        )
        .route(
            "/api/v1/coworking/spaces/{id}",
            get(api::space).put(api::update_space),
        )
        .route(
            "/api/v1/coworking/spaces/{id}/resources",
            post(api::add_resource),
        )
        .route(
            "/api/v1/coworking/spaces/{id}/offers",
            post(api::create_offer),
        )
        .route(
            "/api/v1/coworking/spaces/{id}/bookings",
            get(api::space_bookings),
        )
        .route(
            "/api/v1/coworking/spaces/{id}/dashboard",
            get(api::dashboard),
        )
        .route(
            "/api/v1/coworking/resources/{id}/availability",
            get(api::availability),
        )
        .route("/api/v1/coworking/offers", get(api::pending_offers))
        .route(
            "/api/v1/coworking/offers/{id}/approve",
            post(api::approve_offer),
        )
        .route(
            "/api/v1/coworking/offers/{id}/reject",
            post(api::reject_offer),
        )
        .route(
            "/api/v1/coworking/offers/{id}/purchase",
            post(api::purchase_pack),
        )
        .route("/api/v1/coworking/bookings", post(api::create_booking))
        .route(
            "/api/v1/coworking/bookings/{id}",
            get(api::booking).delete(api::cancel_booking),
        )
        .route("/api/v1/coworking/bookings/{id}/ics", get(api::booking_ics))
        .route(
            "/api/v1/coworking/bookings/{id}/check-in",
            post(api::check_in),
        )
        .route(
            "/api/v1/coworking/waitlist/{id}",
            axum::routing::delete(api::leave_waitlist),
        )
        .route("/api/v1/me/bookings", get(api::my_bookings))
        .route(
            "/api/v1/organizations/{id}/credits",
            get(api::organization_credits).post(api::assign_credits),
        )
}

/// The HTML pages (see `pages.rs`).
fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/coworking", get(pages::search))
        .route("/coworking/spazi/{id}", get(pages::space))
        .route("/coworking/spazi/{id}/prenota", post(pages::book))
        .route("/coworking/prenotazioni", get(pages::person::my_bookings))
        .route("/coworking/prenotazioni/{id}", get(pages::person::booking))
        .route(
            "/coworking/prenotazioni/{id}/calendario.ics",
            get(pages::person::booking_ics),
        )
        .route(
            "/coworking/prenotazioni/{id}/annulla",
            post(pages::person::cancel),
        )
        .route(
            "/coworking/attesa/{id}/lascia",
            post(pages::person::leave_waitlist),
        )
        .route(
            "/organizzazioni/{id}/crediti",
            get(pages::firm::credits).post(pages::firm::assign_credits),
        )
        .route(
            "/organizzazioni/{id}/crediti/acquista",
            post(pages::firm::purchase_pack),
        )
        .route("/coworking/gestione", get(pages::operator::manage))
        .route(
            "/coworking/gestione/spazi/nuovo",
            get(pages::operator::new_space_form).post(pages::operator::create_space),
        )
        .route(
            "/coworking/gestione/spazi/{id}",
            get(pages::operator::manage_space),
        )
        .route(
            "/coworking/gestione/spazi/{id}/modifica",
            get(pages::operator::edit_space_form).post(pages::operator::update_space),
        )
        .route(
            "/coworking/gestione/spazi/{id}/risorse",
            post(pages::operator::add_resource),
        )
        .route(
            "/coworking/gestione/spazi/{id}/offerte",
            post(pages::operator::create_offer),
        )
        .route(
            "/coworking/gestione/spazi/{id}/oggi",
            get(pages::operations::today),
        )
        .route(
            "/coworking/gestione/spazi/{id}/cruscotto",
            get(pages::operations::dashboard),
        )
        .route(
            "/coworking/gestione/prenotazioni/{id}/presenza",
            post(pages::operations::check_in),
        )
        .route(
            "/coordinamento/convenzioni",
            get(pages::coordinator::offers),
        )
        .route(
            "/coordinamento/convenzioni/{id}/approva",
            post(pages::coordinator::approve_offer),
        )
        .route(
            "/coordinamento/convenzioni/{id}/rifiuta",
            post(pages::coordinator::reject_offer),
        )
}

/// Why a coworking action failed, for the API and the pages alike.
#[derive(Debug)]
pub enum Failure {
    Invalid(Invalid),
    Forbidden,
    NotFound,
    /// A stable code: `full`, `already_booked`, `already_waiting`, `too_many_bookings`,
    /// `no_credit`, `too_late`, `not_active`, ...
    Conflict(&'static str),
    Store(StoreError),
    /// The proximity engine failed in its worker thread (a bug, never the user's input).
    Internal(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Failure::NotFound,
            e => Failure::Store(e),
        }
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Invalid(i) => ApiError::Invalid(i),
            Failure::Forbidden => ApiError::Forbidden,
            Failure::NotFound => ApiError::NotFound,
            Failure::Conflict(c) => ApiError::Conflict(c),
            Failure::Store(e) => e.into(),
            Failure::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// A page answers a refused form itself (with its fields); what reaches here is a plain 400.
impl From<Failure> for PageError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Forbidden => PageError::Forbidden,
            Failure::NotFound => PageError::NotFound,
            Failure::Store(e) => e.into(),
            Failure::Internal(cause) => PageError::Internal(cause),
            Failure::Invalid(_) | Failure::Conflict(_) => PageError::BadRequest,
        }
    }
}

fn invalid(field: &'static str, message: &'static str) -> Failure {
    let mut i = Invalid::default();
    i.push(field, message);
    Failure::Invalid(i)
}

/// True when the viewer represents the operator organisation that runs the space.
pub fn may_manage(viewer: &Viewer, space: &Space) -> bool {
    viewer.represents(space.organization_id)
}

/// Places a space in its NIL and Municipio; coordinates outside Milan are refused.
pub fn locate(lat: f64, lon: f64) -> Result<(i64, i64), Invalid> {
    match Territory::milan().locate(LatLon::new(lat, lon)) {
        Some(p) => Ok((i64::from(p.nil_id), i64::from(p.municipio))),
        None => {
            let mut e = Invalid::default();
            e.push("lat", "error-outside-city");
            Err(e)
        }
    }
}

/// Creates a space for an operator organisation the viewer represents.
pub async fn create_space(
    s: &AppState,
    viewer: &Viewer,
    organization_id: i64,
    space: &NewSpace,
) -> Result<i64, Failure> {
    let org = s.db.organization(organization_id).await?;
    if !viewer.represents(org.id) {
        return Err(Failure::Forbidden);
    }
    if org.kind != OrgKind::CoworkingOperator.as_str() {
        return Err(invalid("organization_id", "error-not-operator"));
    }
    let place = locate(space.lat, space.lon).map_err(Failure::Invalid)?;
    Ok(s.db
        .create_space(org.id, space, place, Some(viewer.id()), false)
        .await?)
}

/// Books for the viewer and sends the confirmation e-mail (with the `.ics`).
pub async fn book(
    s: &AppState,
    viewer: &Viewer,
    req: &BookingRequest,
) -> Result<BookingOutcome, Failure> {
    let outcome = s.db.book(req).await.map_err(|e| match e {
        BookingError::NotFound => Failure::NotFound,
        BookingError::Invalid(f, m) => invalid(f, m),
        BookingError::Full => Failure::Conflict("full"),
        BookingError::AlreadyBooked => Failure::Conflict("already_booked"),
        BookingError::AlreadyWaiting => Failure::Conflict("already_waiting"),
        BookingError::TooManyActive => Failure::Conflict("too_many_bookings"),
        BookingError::NoCredit => Failure::Conflict("no_credit"),
        BookingError::Store(e) => e.into(),
    })?;
    if let BookingOutcome::Booked(b) = &outcome {
        if let (Some(email), Ok(space)) = (&viewer.user.email, s.db.space(b.space_id).await) {
            send_booking_mail(s, email, &viewer.user.locale, b, &space, "mail-booking").await;
        }
    }
    Ok(outcome)
}

/// Cancels the viewer's booking; e-mails whoever the waitlist promoted.
pub async fn cancel(
    s: &AppState,
    viewer: &Viewer,
    booking_id: i64,
) -> Result<Cancellation, Failure> {
    let c =
        s.db.cancel_booking(booking_id, viewer.id())
            .await
            .map_err(|e| match e {
                CancelError::NotFound => Failure::NotFound,
                CancelError::TooLate => Failure::Conflict("too_late"),
                CancelError::NotActive => Failure::Conflict("not_active"),
                CancelError::Store(e) => e.into(),
            })?;
    for b in &c.promoted {
        let (Ok(user), Ok(space)) = (s.db.user(b.user_id).await, s.db.space(b.space_id).await)
        else {
            continue;
        };
        if let Some(email) = &user.email {
            send_booking_mail(s, email, &user.locale, b, &space, "mail-promoted").await;
        }
    }
    Ok(c)
}

/// The confirmation (`mail-booking`) or promotion (`mail-promoted`) e-mail, with the
/// calendar entry in the text.
async fn send_booking_mail(
    s: &AppState,
    to: &str,
    locale: &str,
    b: &Booking,
    space: &Space,
    kind: &str,
) {
    let lang = crate::i18n::Lang::parse(locale).unwrap_or_default();
    let t = |id: &str| crate::I18N.t(lang, id, &[]);
    let body = format!(
        "{}\n\n{}\n{}: {}\n{}: {}\n{}: {} EUR\n\n{}/coworking/prenotazioni/{}\n\n{}\n\n{}",
        t(&format!("{kind}-body")),
        space.name,
        t("coworking-when"),
        when(b),
        t("coworking-where"),
        space.address,
        t("coworking-price"),
        rules::euros(b.price_cents),
        s.config.base_url(),
        b.id,
        ics(b, space, &s.config.base_url()),
        t("mail-signature"),
    );
    s.mailer
        .send(Message {
            to: to.to_owned(),
            subject: format!("{} – {}", t(&format!("{kind}-subject")), space.name),
            body,
        })
        .await;
}

/// `2026-03-02 full_day` / `2026-03-02 10:00` for e-mails.
fn when(b: &Booking) -> String {
    match b.hour {
        Some(h) if b.period == Period::Hour.as_str() => {
            format!("{} {:02}:00-{:02}:00", b.date, h, h + 1)
        }
        _ => format!("{} {}", b.date, b.period),
    }
}

/// The local start and end of a booking, from the space's opening hours that day.
fn local_window(
    b: &Booking,
    space: &Space,
) -> Option<(chrono::NaiveDateTime, chrono::NaiveDateTime)> {
    let date = rules::parse_date("date", &b.date).ok()?;
    let period = Period::parse(&b.period)?;
    let hours = space.hours().on(date).unwrap_or((9 * 60, 18 * 60));
    let (start, end) = rules::period_window(hours, period, b.hour.map(|h| h as u8))?;
    Some((
        rules::start_of(date, (start, end)),
        rules::start_of(date, (end, end)),
    ))
}

/// An iCalendar (RFC 5545) file with the booking, times in UTC.
pub fn ics(b: &Booking, space: &Space, base_url: &str) -> String {
    let stamp = |local: chrono::NaiveDateTime| {
        chrono::DateTime::from_timestamp(rules::milan_epoch(local), 0)
            .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_default()
    };
    let now = chrono::DateTime::from_timestamp(mire_store::now(), 0)
        .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default();
    let (start, end) = local_window(b, space).unwrap_or_default();
    let host = base_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or("mire");
    let status = if b.status == "cancelled" {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".into(),
        "PRODID:-//MIRE Milano in Rete//Coworking//IT".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:coworking-booking-{}@{}", b.id, host),
        format!("DTSTAMP:{now}"),
        format!("DTSTART:{}", stamp(start)),
        format!("DTEND:{}", stamp(end)),
        format!(
            "SUMMARY:{}",
            ics_text(&format!("{} – {}", space.name, b.resource_name))
        ),
        format!("LOCATION:{}", ics_text(&space.address)),
        format!("GEO:{:.6};{:.6}", space.lat, space.lon),
        format!("STATUS:{status}"),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    lines
        .iter()
        .map(|l| fold(l))
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

/// RFC 5545 text escaping.
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace(['\n', '\r'], "\\n")
}

/// Folds a content line at 75 octets, never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if len + n > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += n;
    }
    out
}

/// The dashboard as CSV (comma-separated, amounts in euros with a dot).
pub fn dashboard_csv(days: &[DashboardDay]) -> String {
    let mut out = String::from(
        "date,bookings,attended,no_show,occupancy_percent,revenue_list_eur,revenue_eur\r\n",
    );
    for d in days {
        out.push_str(&format!(
            "{},{},{},{},{:.1},{},{}\r\n",
            d.date,
            d.bookings,
            d.attended,
            d.no_show,
            d.occupancy_percent,
            rules::euros(d.revenue_list_cents),
            rules::euros(d.revenue_cents)
        ));
    }
    out
}

/// The organisation, if the viewer represents it (a firm's private coworking data).
pub async fn firm_of(s: &AppState, viewer: &Viewer, organization_id: i64) -> Result<i64, Failure> {
    let org = s.db.organization(organization_id).await?;
    if !viewer.represents(org.id) {
        return Err(Failure::Forbidden);
    }
    Ok(org.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ics_lines_are_escaped_and_folded() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let long = "x".repeat(200);
        let folded = fold(&long);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), long);
        let accents = "è".repeat(60);
        assert!(fold(&accents).split("\r\n").all(|l| l.len() <= 75));
    }
}
