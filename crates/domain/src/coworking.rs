//! Coworking: spaces and their bookable resources, alliance offers (convenzioni), booking
//! periods, opening hours, the operator's booking rules and price arithmetic in integer cents.
//!
//! Everything here is pure: the store enforces capacity and credits, the web layer asks these
//! functions whether a date, a period or a submitted form is acceptable.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use crate::{identifiers, text, FieldError, Invalid};

identifiers! {
    /// What can be booked in a space: a pool of open desks (postazioni libere), a fixed desk
    /// (postazione fissa, one seat) or a meeting room (sala riunioni, booked by the hour).
    ResourceKind {
        OpenDesk = "open_desk",
        FixedDesk = "fixed_desk",
        MeetingRoom = "meeting_room",
    }
}

identifiers! {
    /// The part of a day a booking takes. Desks are booked by the full day, the morning or the
    /// afternoon; meeting rooms by the hour.
    Period {
        FullDay = "full_day",
        Morning = "morning",
        Afternoon = "afternoon",
        Hour = "hour",
    }
}

identifiers! {
    /// Services a space offers. The order is the order of the bits in the stored mask:
    /// append new amenities at the end, never reorder.
    Amenity {
        Wifi = "wifi",
        MeetingRooms = "meeting_rooms",
        Printing = "printing",
        Kitchen = "kitchen",
        PhoneBooths = "phone_booths",
        StepFreeAccess = "step_free_access",
        AccessibleToilet = "accessible_toilet",
        BikeParking = "bike_parking",
        Lockers = "lockers",
        AirConditioning = "air_conditioning",
        Showers = "showers",
        KidsArea = "kids_area",
        Coffee = "coffee",
        Terrace = "terrace",
        CarParking = "car_parking",
        EventSpace = "event_space",
    }
}

identifiers! {
    /// An alliance offer (convenzione): a percentage discount on list prices, free trial days
    /// for each worker of an alliance member, or packs of desk-day credits a firm buys.
    OfferKind {
        Discount = "discount",
        FreeTrial = "free_trial",
        CreditPack = "credit_pack",
    }
}

identifiers! {
    /// Where an offer stands: the coordinator approves it before it shows in search.
    OfferStatus {
        Proposed = "proposed",
        Approved = "approved",
        Rejected = "rejected",
    }
}

identifiers! {
    /// The life of a booking: confirmed, then cancelled by its holder, or checked in by the
    /// operator as attended or no-show.
    BookingStatus {
        Confirmed = "confirmed",
        Cancelled = "cancelled",
        Attended = "attended",
        NoShow = "no_show",
    }
}

identifiers! {
    /// What the operator records at check-in.
    CheckIn {
        Attended = "attended",
        NoShow = "no_show",
    }
}

identifiers! {
    /// How a booking was priced.
    Pricing {
        List = "list",
        Discount = "discount",
        Trial = "trial",
        Credit = "credit",
    }
}

identifiers! {
    /// A place in a waitlist (lista d'attesa).
    WaitlistStatus {
        Waiting = "waiting",
        Promoted = "promoted",
        Cancelled = "cancelled",
    }
}

pub const DESCRIPTION_MAX: usize = 4000;
pub const CONTACT_MAX: usize = 200;
pub const TITLE_MAX: usize = 200;
pub const RESOURCE_NAME_MAX: usize = 120;
/// Seats in one resource: a pool larger than this is a typing error.
pub const SEATS_MAX: i64 = 1000;
/// The largest list price accepted, 10,000 EUR.
pub const PRICE_MAX_CENTS: i64 = 1_000_000;
pub const HORIZON_MAX_DAYS: i64 = 365;
pub const ACTIVE_BOOKINGS_MAX: i64 = 100;
pub const CANCEL_HOURS_MAX: i64 = 168;
pub const CLOSURES_MAX: usize = 366;
pub const PACK_DAYS_MAX: i64 = 1000;
pub const TRIAL_DAYS_MAX: i64 = 30;
/// Morning ends and afternoon begins at 13:00 (minutes after midnight).
pub const HALF_DAY_SPLIT_MIN: u16 = 13 * 60;

impl Amenity {
    /// The bit of this amenity in the stored mask.
    pub fn bit(self) -> i64 {
        let i = Amenity::ALL
            .iter()
            .position(|a| *a == self)
            .expect("every amenity is in ALL");
        1 << i
    }

    pub fn mask(list: &[Amenity]) -> i64 {
        list.iter().fold(0, |m, a| m | a.bit())
    }

    pub fn from_mask(mask: i64) -> Vec<Amenity> {
        Amenity::ALL
            .iter()
            .copied()
            .filter(|a| mask & a.bit() != 0)
            .collect()
    }

    /// Parses identifiers; `Err` names the first unknown one.
    pub fn parse_list(field: &'static str, raw: &[String]) -> Result<Vec<Amenity>, FieldError> {
        let mut out = Vec::new();
        for r in raw {
            let a = Amenity::parse(r.trim()).ok_or(FieldError::new(field, "error-choice"))?;
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl ResourceKind {
    pub fn is_desk(self) -> bool {
        !matches!(self, ResourceKind::MeetingRoom)
    }
}

/// The capacity units a booking occupies in a resource. Desks: unit 0 is the morning, unit 1
/// the afternoon, so a full day holds both. Rooms: the unit is the hour (9 = 09:00-10:00).
pub fn units(period: Period, hour: Option<u8>) -> Vec<i64> {
    match period {
        Period::FullDay => vec![0, 1],
        Period::Morning => vec![0],
        Period::Afternoon => vec![1],
        Period::Hour => vec![i64::from(hour.unwrap_or(0))],
    }
}

/// Opening hours for each weekday, Monday first, in minutes after midnight; `None` = closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyHours(pub [Option<(u16, u16)>; 7]);

pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Default for WeeklyHours {
    /// Monday to Friday, 09:00 to 18:00.
    fn default() -> Self {
        let d = Some((9 * 60, 18 * 60));
        WeeklyHours([d, d, d, d, d, None, None])
    }
}

impl WeeklyHours {
    /// Parses `HH:MM-HH:MM` (or empty/`closed`) for one day.
    pub fn parse_day(raw: &str) -> Option<Option<(u16, u16)>> {
        let v = raw.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("closed") || v.eq_ignore_ascii_case("chiuso") {
            return Some(None);
        }
        let (a, b) = v.split_once('-')?;
        let (open, close) = (parse_clock(a)?, parse_clock(b)?);
        (open < close).then_some(Some((open, close)))
    }

    /// The stored form: seven `HH:MM-HH:MM` entries (empty when closed), comma-separated.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|d| match d {
                Some((o, c)) => format!("{}-{}", clock(*o), clock(*c)),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the stored form; anything unreadable counts as closed.
    pub fn decode(s: &str) -> WeeklyHours {
        let mut days = [None; 7];
        for (i, part) in s.split(',').take(7).enumerate() {
            days[i] = WeeklyHours::parse_day(part).flatten();
        }
        WeeklyHours(days)
    }

    pub fn on(&self, date: NaiveDate) -> Option<(u16, u16)> {
        self.0[date.weekday().num_days_from_monday() as usize]
    }

    /// The weekday keys (`mon`...) with their hours, for JSON.
    pub fn as_pairs(&self) -> Vec<(&'static str, Option<String>)> {
        WEEKDAY_KEYS
            .iter()
            .zip(self.0.iter())
            .map(|(k, d)| (*k, d.map(|(o, c)| format!("{}-{}", clock(o), clock(c)))))
            .collect()
    }
}

fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// `HH:MM` from minutes after midnight.
pub fn clock(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// When a period takes place on a day with these opening hours, as minutes after midnight;
/// `None` when the space is not open for it (a morning in a space opening at 14:00, an hour
/// outside the opening hours).
pub fn period_window(hours: (u16, u16), period: Period, hour: Option<u8>) -> Option<(u16, u16)> {
    let (open, close) = hours;
    let split = HALF_DAY_SPLIT_MIN;
    match period {
        Period::FullDay => (open < split && close > split).then_some((open, close)),
        Period::Morning => (open < split).then_some((open, close.min(split))),
        Period::Afternoon => (close > split).then_some((open.max(split), close)),
        Period::Hour => {
            let start = u16::from(hour?) * 60;
            (start >= open && start + 60 <= close).then_some((start, start + 60))
        }
    }
}

/// The operator's booking rules for a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRules {
    /// Bookings open this many days ahead (today counts as day 0).
    pub horizon_days: i64,
    /// Upcoming bookings (and waitlist places) one person may hold in the space.
    pub max_active_bookings: i64,
    /// Cancellation is possible up to this many hours before the start of the period.
    pub cancel_hours: i64,
}

impl Default for BookingRules {
    fn default() -> Self {
        BookingRules {
            horizon_days: 30,
            max_active_bookings: 5,
            cancel_hours: 24,
        }
    }
}

/// Why a date and period cannot be booked; each is a Fluent message id.
pub fn check_bookable(
    now: NaiveDateTime,
    date: NaiveDate,
    rules: &BookingRules,
    hours: &WeeklyHours,
    closed_that_day: bool,
    period: Period,
    hour: Option<u8>,
) -> Result<(u16, u16), FieldError> {
    let today = now.date();
    if date < today {
        return Err(FieldError::new("date", "error-date-past"));
    }
    if date > today + Duration::days(rules.horizon_days) {
        return Err(FieldError::new("date", "error-date-horizon"));
    }
    if closed_that_day {
        return Err(FieldError::new("date", "error-space-closed"));
    }
    let Some(day) = hours.on(date) else {
        return Err(FieldError::new("date", "error-space-closed"));
    };
    let field = if period == Period::Hour {
        "hour"
    } else {
        "period"
    };
    let window =
        period_window(day, period, hour).ok_or(FieldError::new(field, "error-period-closed"))?;
    if date == today && minutes_of(now) >= window.1 {
        return Err(FieldError::new(field, "error-date-past"));
    }
    Ok(window)
}

fn minutes_of(t: NaiveDateTime) -> u16 {
    use chrono::Timelike;
    (t.hour() * 60 + t.minute()) as u16
}

/// True when a booking starting at `start` (local time) may still be cancelled at `now`.
pub fn cancellable(now: NaiveDateTime, start: NaiveDateTime, cancel_hours: i64) -> bool {
    now + Duration::hours(cancel_hours) <= start
}

/// The local date and time at the start of a period.
pub fn start_of(date: NaiveDate, window: (u16, u16)) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::minutes(i64::from(window.0))
}

// ---------------------------------------------------------------------------------------------
// Milan's clock: CET (UTC+1), CEST (UTC+2) from the last Sunday of March to the last Sunday
// of October, changing at 01:00 UTC (EU Directive 2000/84/EC).
// ---------------------------------------------------------------------------------------------

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid month");
    let last = first_next - Duration::days(1);
    last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
}

/// Milan's offset from UTC, in seconds, at the instant `epoch`.
pub fn milan_offset_secs(epoch: i64) -> i64 {
    let Some(t) = DateTime::from_timestamp(epoch, 0).map(|d| d.naive_utc()) else {
        return 3600;
    };
    let y = t.year();
    let start = last_sunday(y, 3).and_hms_opt(1, 0, 0).expect("01:00");
    let end = last_sunday(y, 10).and_hms_opt(1, 0, 0).expect("01:00");
    if t >= start && t < end {
        7200
    } else {
        3600
    }
}

/// The local time in Milan at the instant `epoch` (seconds, UTC).
pub fn milan_time(epoch: i64) -> NaiveDateTime {
    DateTime::from_timestamp(epoch + milan_offset_secs(epoch), 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// The instant (seconds, UTC) of a local time in Milan.
pub fn milan_epoch(local: NaiveDateTime) -> i64 {
    let naive = local.and_utc().timestamp();
    naive - milan_offset_secs(naive - 3600)
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "error-required"));
    }
    if v.len() != 10 {
        return Err(FieldError::new(field, "error-date"));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| FieldError::new(field, "error-date"))
}

/// ISO form of a date, as stored.
pub fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------------------------------------
// Money: integer cents, rounding half up.
// ---------------------------------------------------------------------------------------------

/// The list price of a period of a resource: `price_cents` is the full-day price of a desk or
/// the hourly price of a room; half days cost `half_day_cents`.
pub fn list_price(
    kind: ResourceKind,
    period: Period,
    price_cents: i64,
    half_day_cents: i64,
) -> i64 {
    match (kind, period) {
        (ResourceKind::MeetingRoom, _) => price_cents,
        (_, Period::FullDay) => price_cents,
        _ => half_day_cents,
    }
}

/// A price after a percentage discount, rounded to the nearest cent (halves up).
pub fn discounted(cents: i64, percent: i64) -> i64 {
    let percent = percent.clamp(0, 100);
    (cents * (100 - percent) + 50) / 100
}

/// The default half-day price: half the full day, rounded up to the cent.
pub fn half_of(cents: i64) -> i64 {
    (cents + 1) / 2
}

/// `12,50 €` style display for e-mails and CSV.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// A whole number in a range, from a JSON number; `None` stays `None`.
fn bounded_int(
    field: &'static str,
    v: Option<&serde_json::Number>,
    min: i64,
    max: i64,
    errors: &mut Invalid,
) -> Option<i64> {
    let n = v?;
    match n.as_i64() {
        Some(i) if (min..=max).contains(&i) => Some(i),
        _ => {
            errors.push(field, "error-number-range");
            None
        }
    }
}

/// Raw fields of a space form or API body.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SpaceInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description_it: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// Weekday key (`mon`..`sun`) to `HH:MM-HH:MM`; missing days are closed. Absent: Monday
    /// to Friday 09:00-18:00.
    #[serde(default)]
    pub opening_hours: Option<std::collections::BTreeMap<String, String>>,
    /// Dates the space is closed (`YYYY-MM-DD`).
    #[serde(default)]
    pub closures: Vec<String>,
    #[serde(default)]
    pub amenities: Vec<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub price_day_cents: Option<serde_json::Number>,
    #[serde(default)]
    pub price_half_day_cents: Option<serde_json::Number>,
    #[serde(default)]
    pub price_month_cents: Option<serde_json::Number>,
    #[serde(default)]
    pub horizon_days: Option<serde_json::Number>,
    #[serde(default)]
    pub max_active_bookings: Option<serde_json::Number>,
    #[serde(default)]
    pub cancel_hours: Option<serde_json::Number>,
}

/// A space as validated, before it is placed and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSpace {
    pub name: String,
    pub description_it: Option<String>,
    pub description_en: Option<String>,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub hours: WeeklyHours,
    pub closures: Vec<NaiveDate>,
    pub amenities: Vec<Amenity>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub price_day_cents: Option<i64>,
    pub price_half_day_cents: Option<i64>,
    pub price_month_cents: Option<i64>,
    pub rules: BookingRules,
}

impl SpaceInput {
    pub fn validate(&self) -> Result<NewSpace, Invalid> {
        let mut e = Invalid::default();
        let name = e.check(text::required(
            "name",
            &self.name,
            crate::alliance::NAME_MAX,
        ));
        let description_it = e
            .check(text::optional(
                "description_it",
                &self.description_it,
                DESCRIPTION_MAX,
            ))
            .flatten();
        let description_en = e
            .check(text::optional(
                "description_en",
                &self.description_en,
                DESCRIPTION_MAX,
            ))
            .flatten();
        let address = e.check(text::required(
            "address",
            &self.address,
            crate::alliance::ADDRESS_MAX,
        ));
        let coords = crate::alliance::coordinates(self.lat, self.lon, &mut e);
        if coords.is_none() && !e.0.iter().any(|x| x.field == "lat") {
            e.push("lat", "error-required");
        }
        let hours = match &self.opening_hours {
            None => WeeklyHours::default(),
            Some(map) => {
                let mut days = [None; 7];
                for (k, v) in map {
                    match WEEKDAY_KEYS.iter().position(|w| w == &k.trim()) {
                        Some(i) => match WeeklyHours::parse_day(v) {
                            Some(d) => days[i] = d,
                            None => e.push("opening_hours", "error-opening-hours"),
                        },
                        None => e.push("opening_hours", "error-opening-hours"),
                    }
                }
                WeeklyHours(days)
            }
        };
        let mut closures = Vec::new();
        if self.closures.len() > CLOSURES_MAX {
            e.push("closures", "error-too-long");
        } else {
            for c in &self.closures {
                match parse_date("closures", c) {
                    Ok(d) if !closures.contains(&d) => closures.push(d),
                    Ok(_) => {}
                    Err(err) => {
                        e.0.push(err);
                        break;
                    }
                }
            }
        }
        closures.sort();
        let amenities = e
            .check(Amenity::parse_list("amenities", &self.amenities))
            .unwrap_or_default();
        let email = e
            .check(text::optional("email", &self.email, CONTACT_MAX))
            .flatten();
        if let Some(m) = &email {
            if crate::accounts::Email::parse(m).is_err() {
                e.push("email", "error-email");
            }
        }
        let phone = e
            .check(text::optional("phone", &self.phone, CONTACT_MAX))
            .flatten();
        let website = e
            .check(text::optional("website", &self.website, CONTACT_MAX))
            .flatten();
        if let Some(w) = &website {
            if !(w.starts_with("https://") || w.starts_with("http://")) || w.contains(' ') {
                e.push("website", "error-website");
            }
        }
        let price_day_cents = bounded_int(
            "price_day_cents",
            self.price_day_cents.as_ref(),
            0,
            PRICE_MAX_CENTS,
            &mut e,
        );
        let price_half_day_cents = bounded_int(
            "price_half_day_cents",
            self.price_half_day_cents.as_ref(),
            0,
            PRICE_MAX_CENTS,
            &mut e,
        );
        let price_month_cents = bounded_int(
            "price_month_cents",
            self.price_month_cents.as_ref(),
            0,
            PRICE_MAX_CENTS * 10,
            &mut e,
        );
        let d = BookingRules::default();
        let rules = BookingRules {
            horizon_days: bounded_int(
                "horizon_days",
                self.horizon_days.as_ref(),
                0,
                HORIZON_MAX_DAYS,
                &mut e,
            )
            .unwrap_or(d.horizon_days),
            max_active_bookings: bounded_int(
                "max_active_bookings",
                self.max_active_bookings.as_ref(),
                1,
                ACTIVE_BOOKINGS_MAX,
                &mut e,
            )
            .unwrap_or(d.max_active_bookings),
            cancel_hours: bounded_int(
                "cancel_hours",
                self.cancel_hours.as_ref(),
                0,
                CANCEL_HOURS_MAX,
                &mut e,
            )
            .unwrap_or(d.cancel_hours),
        };
        if !e.is_empty() {
            return Err(e);
        }
        let (lat, lon) = coords.expect("checked above");
        Ok(NewSpace {
            name: name.unwrap_or_default(),
            description_it,
            description_en,
            address: address.unwrap_or_default(),
            lat,
            lon,
            hours,
            closures,
            amenities,
            email,
            phone,
            website,
            price_day_cents,
            price_half_day_cents,
            price_month_cents,
            rules,
        })
    }
}

/// Raw fields of a resource.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ResourceInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub seats: Option<serde_json::Number>,
    /// Full-day price of a desk, hourly price of a room.
    #[serde(default)]
    pub price_cents: Option<serde_json::Number>,
    /// Half-day price of a desk; half the full day when absent.
    #[serde(default)]
    pub half_day_price_cents: Option<serde_json::Number>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResource {
    pub kind: ResourceKind,
    pub name: String,
    pub seats: i64,
    pub price_cents: i64,
    pub half_day_price_cents: i64,
}

impl ResourceInput {
    pub fn validate(&self) -> Result<NewResource, Invalid> {
        let mut e = Invalid::default();
        let kind = e.check(
            ResourceKind::parse(self.kind.trim()).ok_or(FieldError::new("kind", "error-choice")),
        );
        let name = e.check(text::required("name", &self.name, RESOURCE_NAME_MAX));
        let seats = match kind {
            // A fixed desk is one seat, whatever was sent.
            Some(ResourceKind::FixedDesk) if self.seats.is_none() => Some(1),
            _ => {
                if self.seats.is_none() {
                    e.push("seats", "error-required");
                }
                bounded_int("seats", self.seats.as_ref(), 1, SEATS_MAX, &mut e)
            }
        };
        if kind == Some(ResourceKind::FixedDesk) && seats.is_some_and(|s| s != 1) {
            e.push("seats", "error-fixed-desk-seats");
        }
        if self.price_cents.is_none() {
            e.push("price_cents", "error-required");
        }
        let price = bounded_int(
            "price_cents",
            self.price_cents.as_ref(),
            0,
            PRICE_MAX_CENTS,
            &mut e,
        );
        let half = bounded_int(
            "half_day_price_cents",
            self.half_day_price_cents.as_ref(),
            0,
            PRICE_MAX_CENTS,
            &mut e,
        );
        if !e.is_empty() {
            return Err(e);
        }
        let price = price.unwrap_or(0);
        Ok(NewResource {
            kind: kind.expect("checked"),
            name: name.unwrap_or_default(),
            seats: seats.unwrap_or(1),
            price_cents: price,
            half_day_price_cents: half.unwrap_or_else(|| half_of(price)),
        })
    }
}

/// Raw fields of an offer.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OfferInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Discount offers: 1 to 100.
    #[serde(default)]
    pub discount_percent: Option<serde_json::Number>,
    /// Free-trial offers: free days per worker.
    #[serde(default)]
    pub trial_days: Option<serde_json::Number>,
    /// Credit packs: desk-days in a pack and its price.
    #[serde(default)]
    pub pack_days: Option<serde_json::Number>,
    #[serde(default)]
    pub pack_price_cents: Option<serde_json::Number>,
    /// Last day the offer (and the credits bought with it) can be used; required for packs.
    #[serde(default)]
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOffer {
    pub kind: OfferKind,
    pub title: String,
    pub description: Option<String>,
    pub discount_percent: Option<i64>,
    pub trial_days: Option<i64>,
    pub pack_days: Option<i64>,
    pub pack_price_cents: Option<i64>,
    pub valid_until: Option<NaiveDate>,
}

impl OfferInput {
    /// Validates the fields the offer's kind needs; `today` refuses offers already expired.
    pub fn validate(&self, today: NaiveDate) -> Result<NewOffer, Invalid> {
        let mut e = Invalid::default();
        let kind = e.check(
            OfferKind::parse(self.kind.trim()).ok_or(FieldError::new("kind", "error-choice")),
        );
        let title = e.check(text::required("title", &self.title, TITLE_MAX));
        let description = e
            .check(text::optional(
                "description",
                &self.description,
                DESCRIPTION_MAX,
            ))
            .flatten();
        let valid_until = if self.valid_until.trim().is_empty() {
            None
        } else {
            e.check(parse_date("valid_until", &self.valid_until))
        };
        if valid_until.is_some_and(|d| d < today) {
            e.push("valid_until", "error-date-past");
        }
        let mut need = |field: &'static str, v: Option<&serde_json::Number>, min, max| {
            if v.is_none() {
                e.push(field, "error-required");
                None
            } else {
                bounded_int(field, v, min, max, &mut e)
            }
        };
        let (mut discount_percent, mut trial_days, mut pack_days, mut pack_price_cents) =
            (None, None, None, None);
        match kind {
            Some(OfferKind::Discount) => {
                discount_percent = need("discount_percent", self.discount_percent.as_ref(), 1, 100)
            }
            Some(OfferKind::FreeTrial) => {
                trial_days = need("trial_days", self.trial_days.as_ref(), 1, TRIAL_DAYS_MAX)
            }
            Some(OfferKind::CreditPack) => {
                pack_days = need("pack_days", self.pack_days.as_ref(), 1, PACK_DAYS_MAX);
                pack_price_cents = need(
                    "pack_price_cents",
                    self.pack_price_cents.as_ref(),
                    0,
                    PRICE_MAX_CENTS * 100,
                );
                if valid_until.is_none() && !e.0.iter().any(|x| x.field == "valid_until") {
                    e.push("valid_until", "error-required");
                }
            }
            None => {}
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(NewOffer {
            kind: kind.expect("checked"),
            title: title.unwrap_or_default(),
            description,
            discount_percent,
            trial_days,
            pack_days,
            pack_price_cents,
            valid_until,
        })
    }
}

/// Days of the week as Weekday, for callers that need chrono's type.
pub fn weekday_index(w: Weekday) -> usize {
    w.num_days_from_monday() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn full_day_occupies_both_halves() {
        assert_eq!(units(Period::FullDay, None), [0, 1]);
        assert_eq!(units(Period::Morning, None), [0]);
        assert_eq!(units(Period::Afternoon, None), [1]);
        assert_eq!(units(Period::Hour, Some(10)), [10]);
    }

    #[test]
    fn opening_hours_round_trip() {
        let h = WeeklyHours::default();
        assert_eq!(WeeklyHours::decode(&h.encode()), h);
        assert_eq!(
            WeeklyHours::parse_day("08:30-19:00"),
            Some(Some((510, 1140)))
        );
        assert_eq!(WeeklyHours::parse_day(""), Some(None));
        assert_eq!(WeeklyHours::parse_day("19:00-08:30"), None);
        assert_eq!(WeeklyHours::parse_day("25:00-26:00"), None);
        assert_eq!(WeeklyHours::parse_day("9-18"), None);
        // 2026-03-02 is a Monday, 2026-03-07 a Saturday.
        assert_eq!(h.on(d("2026-03-02")), Some((540, 1080)));
        assert_eq!(h.on(d("2026-03-07")), None);
    }

    #[test]
    fn periods_inside_opening_hours() {
        assert_eq!(
            period_window((540, 1080), Period::Morning, None),
            Some((540, 780))
        );
        assert_eq!(
            period_window((540, 1080), Period::Afternoon, None),
            Some((780, 1080))
        );
        assert_eq!(period_window((840, 1200), Period::Morning, None), None);
        assert_eq!(period_window((840, 1200), Period::FullDay, None), None);
        assert_eq!(
            period_window((540, 1080), Period::Hour, Some(17)),
            Some((1020, 1080))
        );
        assert_eq!(period_window((540, 1080), Period::Hour, Some(18)), None);
        assert_eq!(period_window((540, 1080), Period::Hour, Some(8)), None);
    }

    #[test]
    fn bookable_dates() {
        let rules = BookingRules {
            horizon_days: 14,
            max_active_bookings: 3,
            cancel_hours: 24,
        };
        let h = WeeklyHours::default();
        let now = at("2026-03-02 10:00");
        let check = |date: &str, closed, p| {
            check_bookable(now, d(date), &rules, &h, closed, p, None).map_err(|e| e.message)
        };
        assert_eq!(
            check("2026-03-01", false, Period::FullDay),
            Err("error-date-past")
        );
        assert_eq!(check("2026-03-02", false, Period::Morning), Ok((540, 780)));
        assert_eq!(check("2026-03-16", false, Period::FullDay), Ok((540, 1080)));
        assert_eq!(
            check("2026-03-17", false, Period::FullDay),
            Err("error-date-horizon")
        );
        assert_eq!(
            check("2026-03-07", false, Period::FullDay),
            Err("error-space-closed")
        );
        assert_eq!(
            check("2026-03-03", true, Period::FullDay),
            Err("error-space-closed")
        );
        let late = at("2026-03-02 13:30");
        assert_eq!(
            check_bookable(
                late,
                d("2026-03-02"),
                &rules,
                &h,
                false,
                Period::Morning,
                None
            )
            .unwrap_err()
            .message,
            "error-date-past"
        );
    }

    #[test]
    fn cancellation_deadline() {
        let start = start_of(d("2026-03-03"), (540, 1080));
        assert!(cancellable(at("2026-03-02 09:00"), start, 24));
        assert!(!cancellable(at("2026-03-02 09:01"), start, 24));
        assert!(cancellable(at("2026-03-03 08:59"), start, 0));
    }

    #[test]
    fn milan_clock_follows_summer_time() {
        // 2026: summer time from 29 March to 25 October.
        let winter = NaiveDate::from_ymd_opt(2026, 1, 15)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let summer = NaiveDate::from_ymd_opt(2026, 7, 15)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(milan_offset_secs(winter.and_utc().timestamp()), 3600);
        assert_eq!(milan_offset_secs(summer.and_utc().timestamp()), 7200);
        assert_eq!(
            milan_time(summer.and_utc().timestamp()).to_string(),
            "2026-07-15 14:00:00"
        );
        let local = at("2026-07-15 09:00");
        assert_eq!(milan_time(milan_epoch(local)), local);
        let local = at("2026-12-01 09:00");
        assert_eq!(milan_time(milan_epoch(local)), local);
    }

    #[test]
    fn money_in_cents() {
        assert_eq!(discounted(2000, 20), 1600);
        assert_eq!(discounted(999, 15), 849); // 849.15
        assert_eq!(discounted(1001, 50), 501); // 500.5 rounds up
        assert_eq!(discounted(1000, 100), 0);
        assert_eq!(half_of(1501), 751);
        assert_eq!(
            list_price(ResourceKind::OpenDesk, Period::Morning, 2000, 1200),
            1200
        );
        assert_eq!(
            list_price(ResourceKind::OpenDesk, Period::FullDay, 2000, 1200),
            2000
        );
        assert_eq!(
            list_price(ResourceKind::MeetingRoom, Period::Hour, 3000, 0),
            3000
        );
        assert_eq!(euros(1234), "12.34");
    }

    #[test]
    fn amenity_masks() {
        let list = Amenity::parse_list("amenities", &["wifi".into(), "kitchen".into()]).unwrap();
        let m = Amenity::mask(&list);
        assert_eq!(Amenity::from_mask(m), list);
        assert!(Amenity::parse_list("amenities", &["jacuzzi".into()]).is_err());
    }

    #[test]
    fn inputs_report_every_problem() {
        let s = SpaceInput {
            name: " ".into(),
            lat: Some(45.46),
            lon: Some(9.19),
            amenities: vec!["sauna".into()],
            horizon_days: Some(serde_json::Number::from(9999)),
            ..Default::default()
        };
        let fields: Vec<&str> = s
            .validate()
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "address", "amenities", "horizon_days"]);
        let r = ResourceInput {
            kind: "open_desk".into(),
            name: "Sala".into(),
            seats: Some(serde_json::Number::from(-3)),
            price_cents: Some(serde_json::Number::from(1500)),
            ..Default::default()
        };
        assert_eq!(r.validate().unwrap_err().0[0].field, "seats");
        let ok = ResourceInput {
            seats: Some(serde_json::Number::from(10)),
            ..r
        };
        assert_eq!(ok.validate().unwrap().half_day_price_cents, 750);
        let o = OfferInput {
            kind: "credit_pack".into(),
            title: "Pacchetto 10".into(),
            pack_days: Some(serde_json::Number::from(10)),
            ..Default::default()
        };
        let fields: Vec<&str> = o
            .validate(d("2026-01-01"))
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["pack_price_cents", "valid_until"]);
    }
}
