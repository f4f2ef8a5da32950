//! Coworking: spaces, resources, offers, bookings with their waitlist, company credits, the
//! operator's dashboard and search.
//!
//! # The no-oversell guarantee
//! Capacity lives in `coworking_slots`, one counter per resource, date and unit (desks: unit
//! 0 is the morning and 1 the afternoon, so a full day raises both; rooms: the hour). A
//! booking raises each of its units with `UPDATE ... SET taken = taken + 1 WHERE taken <
//! seats`; if any unit is full the transaction is rolled back. On SQLite every write runs in
//! `BEGIN IMMEDIATE` on the one writer connection; on PostgreSQL the conditional `UPDATE` takes
//! the row lock and re-checks the condition after any concurrent writer commits, and units are
//! always raised in ascending order so two bookings never wait on each other crosswise.
//! A person's bookings are serialised by a lock on their `users` row (PostgreSQL), so their
//! per-space limit and their credits are checked and spent one booking at a time.
//! Double bookings by one person are refused by the unique index on
//! `coworking_booking_units(resource_id, date, unit, user_id)`; a credit is spent by
//! `UPDATE coworking_credits SET booking_id = ... WHERE ... AND booking_id IS NULL`, with a
//! unique index on `booking_id`.
//!
//! # API for pages and handlers
//! Spaces: [`Db::create_space`], [`Db::update_space`], [`Db::space`], [`Db::spaces_of_organization`],
//! [`Db::search_spaces`] (by travel time: [`Db::space_points_near`], then
//! [`Db::search_spaces_among`]), [`Db::space_closures`], [`Db::workplace_points`] (for the
//! proximity reports). Resources: [`Db::add_resource`],
//! [`Db::resource`], [`Db::resources`], [`Db::availability`]. Offers: [`Db::create_offer`],
//! [`Db::offer`], [`Db::offers`], [`Db::pending_offers`], [`Db::decide_offer`].
//! Bookings: [`Db::book`], [`Db::cancel_booking`], [`Db::booking`], [`Db::bookings_of_user`],
//! [`Db::waitlist_of_user`], [`Db::leave_waitlist`], [`Db::space_bookings`],
//! [`Db::check_in`]. Credits: [`Db::purchase_credit_pack`], [`Db::assign_credits`],
//! [`Db::organization_credits`], [`Db::credits_of_user`]. Operator: [`Db::dashboard`].
//! Bulk history (imports, benchmarks): [`Db::import_past_bookings`].

use chrono::NaiveDate;
use mire_domain::coworking::{
    self as rules, BookingRules, NewOffer, NewResource, NewSpace, OfferKind, Period, Pricing,
    ResourceKind, WeeklyHours,
};
use mire_domain::coworking_import::ImportedSpace;
use serde::Serialize;
use sqlx::{FromRow, Row};

use crate::{now, Backend, Db, Result, StoreError, Tx};

/// A coworking space as stored.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Space {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub name: String,
    pub description_it: Option<String>,
    pub description_en: Option<String>,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub nil_id: i64,
    pub municipio: i64,
    /// See [`WeeklyHours::decode`].
    pub opening_hours: String,
    /// See [`rules::Amenity::from_mask`].
    pub amenities: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub price_day_cents: Option<i64>,
    pub price_half_day_cents: Option<i64>,
    pub price_month_cents: Option<i64>,
    pub horizon_days: i64,
    pub max_active_bookings: i64,
    pub cancel_hours: i64,
    pub is_demo: i64,
    pub created_at: i64,
}

impl Space {
    pub fn hours(&self) -> WeeklyHours {
        WeeklyHours::decode(&self.opening_hours)
    }

    pub fn rules(&self) -> BookingRules {
        BookingRules {
            horizon_days: self.horizon_days,
            max_active_bookings: self.max_active_bookings,
            cancel_hours: self.cancel_hours,
        }
    }

    pub fn amenity_list(&self) -> Vec<rules::Amenity> {
        rules::Amenity::from_mask(self.amenities)
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Resource {
    pub id: i64,
    pub space_id: i64,
    pub kind: String,
    pub name: String,
    pub seats: i64,
    pub price_cents: i64,
    pub half_day_price_cents: i64,
    pub created_at: i64,
}

impl Resource {
    pub fn kind(&self) -> ResourceKind {
        ResourceKind::parse(&self.kind).unwrap_or(ResourceKind::OpenDesk)
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Offer {
    pub id: i64,
    pub space_id: i64,
    pub space_name: String,
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    pub discount_percent: Option<i64>,
    pub trial_days: Option<i64>,
    pub pack_days: Option<i64>,
    pub pack_price_cents: Option<i64>,
    pub valid_until: Option<String>,
    pub status: String,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

/// A booking with the names a page or an e-mail shows.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Booking {
    pub id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub resource_kind: String,
    pub space_id: i64,
    pub space_name: String,
    pub space_address: String,
    pub user_id: i64,
    pub date: String,
    pub period: String,
    pub hour: Option<i64>,
    pub status: String,
    pub list_price_cents: i64,
    pub price_cents: i64,
    pub pricing: String,
    pub offer_id: Option<i64>,
    pub credit_id: Option<i64>,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
    pub checked_in_at: Option<i64>,
}

/// A place in a waitlist.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct WaitlistEntry {
    pub id: i64,
    pub resource_id: i64,
    pub resource_name: String,
    pub space_id: i64,
    pub space_name: String,
    pub user_id: i64,
    pub date: String,
    pub period: String,
    pub hour: i64,
    pub use_credit: i64,
    pub status: String,
    pub booking_id: Option<i64>,
    /// 1 for the first in line for this resource and date.
    pub position: i64,
    pub created_at: i64,
}

/// Seats taken and free in one unit of a resource on a date.
#[derive(Debug, Clone, Serialize)]
pub struct SlotUse {
    /// `morning`, `afternoon` (desks) or `HH:00` (rooms).
    pub label: String,
    pub unit: i64,
    pub taken: i64,
    pub free: i64,
}

/// What a search asks for; `None` and zero mean "any".
#[derive(Debug, Clone, Default)]
pub struct SpaceSearch {
    pub municipio: Option<i64>,
    pub nil_id: Option<i64>,
    /// Only spaces with a desk free on this date for `period` (default: full day), open then.
    pub date: Option<NaiveDate>,
    pub period: Option<Period>,
    /// Every amenity in this mask.
    pub amenities: i64,
    /// The cheapest desk's full-day price at most this.
    pub max_price_cents: Option<i64>,
    /// Only spaces with an approved offer in force.
    pub with_offers: bool,
    /// Only within `radius_m` metres of this point, nearest first.
    pub near: Option<(f64, f64, f64)>,
    pub only_demo: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

/// One space found by a search.
#[derive(Debug, Clone, Serialize)]
pub struct SpaceHit {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub nil_id: i64,
    pub municipio: i64,
    pub amenities: i64,
    pub opening_hours: String,
    pub is_demo: bool,
    /// The cheapest desk's full-day price.
    pub desk_price_cents: Option<i64>,
    pub desk_seats: i64,
    /// Desk seats free on the date searched for (all periods asked), if a date was given.
    pub free_seats: Option<i64>,
    /// An approved offer is in force (the badge).
    pub has_offer: bool,
    /// Great-circle distance from the point searched, if any.
    pub distance_m: Option<f64>,
}

/// A space as a place on the map, for the proximity reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkplacePoint {
    pub id: i64,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// A booking as asked.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub user_id: i64,
    pub resource_id: i64,
    pub date: NaiveDate,
    pub period: Period,
    pub hour: Option<u8>,
    pub use_credit: bool,
    /// When full, join the waitlist instead of failing.
    pub join_waitlist: bool,
}

#[derive(Debug)]
pub enum BookingOutcome {
    Booked(Booking),
    Waitlisted(WaitlistEntry),
}

/// Why a booking was refused.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("no such resource")]
    NotFound,
    /// A field of the request is not acceptable (field, Fluent message id).
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, &'static str),
    #[error("full")]
    Full,
    #[error("already booked")]
    AlreadyBooked,
    #[error("already on the waitlist")]
    AlreadyWaiting,
    #[error("too many active bookings")]
    TooManyActive,
    #[error("no credit available")]
    NoCredit,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a cancellation did: the booking, and who was promoted from the waitlist.
#[derive(Debug)]
pub struct Cancellation {
    pub booking: Booking,
    pub promoted: Vec<Booking>,
}

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such booking, or not the caller's.
    #[error("not found")]
    NotFound,
    #[error("past the cancellation deadline")]
    TooLate,
    #[error("not active")]
    NotActive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A coordinator's decision on an offer, or a check-in, could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("not found")]
    NotFound,
    #[error("already decided")]
    AlreadyDecided,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("not found")]
    NotFound,
    /// The offer is not an approved credit pack in force.
    #[error("offer not available")]
    NotAvailable,
    /// The person is not an employee (`worker`) of the organisation.
    #[error("not an employee")]
    NotEmployee,
    #[error("not enough credits left in the pack")]
    NotEnough,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CreditPack {
    pub id: i64,
    pub offer_id: i64,
    pub space_id: i64,
    pub space_name: String,
    pub organization_id: i64,
    pub days: i64,
    pub assigned: i64,
    pub spent: i64,
    pub valid_until: String,
    pub price_cents: i64,
    pub purchased_at: i64,
}

/// One employee's credits in a firm's report.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct EmployeeCredits {
    pub user_id: i64,
    pub display_name: String,
    pub assigned: i64,
    pub spent: i64,
}

/// A credit spent, for the firm's view of its staff's use.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CreditUse {
    pub credit_id: i64,
    pub pack_id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub booking_id: i64,
    pub space_name: String,
    pub date: String,
    pub period: String,
    pub status: String,
    pub spent_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreditReport {
    pub packs: Vec<CreditPack>,
    pub employees: Vec<EmployeeCredits>,
    pub uses: Vec<CreditUse>,
}

/// Credits a person holds, for their own page.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PersonCredits {
    pub space_id: i64,
    pub space_name: String,
    pub organization_id: i64,
    pub valid_until: String,
    pub available: i64,
}

/// One day of the operator's dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardDay {
    pub date: String,
    pub bookings: i64,
    pub attended: i64,
    pub no_show: i64,
    /// Desk half-days booked over desk half-days offered, in percent (0 when none offered).
    pub occupancy_percent: f64,
    pub revenue_list_cents: i64,
    pub revenue_cents: i64,
}

/// A past booking to load in bulk (history from another system, benchmarks).
#[derive(Debug, Clone)]
pub struct PastBooking {
    pub resource_id: i64,
    pub space_id: i64,
    pub user_id: i64,
    pub date: NaiveDate,
    pub period: Period,
    pub status: rules::BookingStatus,
    pub list_price_cents: i64,
    pub price_cents: i64,
    pub created_at: i64,
}

const SPACE_COLUMNS: &str = "s.id, s.organization_id, o.name AS organization_name, s.name, s.description_it, \
    s.description_en, s.address, s.lat, s.lon, s.nil_id, s.municipio, s.opening_hours, s.amenities, s.email, \
    s.phone, s.website, s.price_day_cents, s.price_half_day_cents, s.price_month_cents, s.horizon_days, \
    s.max_active_bookings, s.cancel_hours, s.is_demo, s.created_at";
const RESOURCE_COLUMNS: &str =
    "id, space_id, kind, name, seats, price_cents, half_day_price_cents, created_at";
const OFFER_COLUMNS: &str = "f.id, f.space_id, s.name AS space_name, f.kind, f.title, f.description, \
    f.discount_percent, f.trial_days, f.pack_days, f.pack_price_cents, f.valid_until, f.status, f.decided_at, f.created_at";
const BOOKING_SELECT: &str = "SELECT b.id, b.resource_id, r.name AS resource_name, r.kind AS resource_kind, \
    b.space_id, s.name AS space_name, s.address AS space_address, b.user_id, b.date, b.period, b.hour, b.status, \
    b.list_price_cents, b.price_cents, b.pricing, b.offer_id, b.credit_id, b.created_at, b.cancelled_at, b.checked_in_at \
    FROM coworking_bookings b JOIN coworking_resources r ON r.id = b.resource_id \
    JOIN coworking_spaces s ON s.id = b.space_id";
const WAITLIST_SELECT: &str = "SELECT w.id, w.resource_id, r.name AS resource_name, w.space_id, s.name AS space_name, \
    w.user_id, w.date, w.period, w.hour, w.use_credit, w.status, w.booking_id, \
    CAST((SELECT COUNT(*) FROM coworking_waitlist q WHERE q.resource_id = w.resource_id AND q.date = w.date \
          AND q.status = 'waiting' AND q.id <= w.id) AS BIGINT) AS position, w.created_at \
    FROM coworking_waitlist w JOIN coworking_resources r ON r.id = w.resource_id \
    JOIN coworking_spaces s ON s.id = w.space_id";

/// An offer is in force on `date` when approved and not expired.
/// A value for a statement put together from parts (the search).
enum Bind {
    Int(i64),
    Float(f64),
    Text(String),
}

const OFFER_IN_FORCE: &str =
    "f.status = 'approved' AND (f.valid_until IS NULL OR f.valid_until >= $DATE)";

/// The label of a unit for people: `morning`, `afternoon`, `HH:00`.
fn unit_label(kind: ResourceKind, unit: i64) -> String {
    match (kind.is_desk(), unit) {
        (true, 0) => "morning".into(),
        (true, _) => "afternoon".into(),
        (false, h) => format!("{h:02}:00"),
    }
}

/// Today's date in Milan.
pub fn today() -> NaiveDate {
    rules::milan_time(now()).date()
}

/// True for PostgreSQL errors that mean "run the transaction again": deadlock detected and
/// serialization failure. They can only happen under contention and are retried.
fn is_retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Database(sqlx::Error::Database(d)) => {
            matches!(d.code().as_deref(), Some("40P01") | Some("40001"))
        }
        _ => false,
    }
}

impl Db {
    // -----------------------------------------------------------------------------------------
    // Spaces
    // -----------------------------------------------------------------------------------------

    /// Stores a space of an operator organisation, placed in its NIL and Municipio
    /// (`place` = (nil_id, municipio)), with its closure days.
    pub async fn create_space(
        &self,
        organization_id: i64,
        s: &NewSpace,
        place: (i64, i64),
        created_by: Option<i64>,
        is_demo: bool,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let insert = sqlx::query(
            "INSERT INTO coworking_spaces (organization_id, name, description_it, description_en, address, lat, lon, \
             nil_id, municipio, opening_hours, amenities, email, phone, website, price_day_cents, price_half_day_cents, \
             price_month_cents, horizon_days, max_active_bookings, cancel_hours, is_demo, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
             RETURNING id",
        )
        .bind(organization_id);
        let id: i64 = bind_space_details(insert, s, place)
            .bind(i64::from(is_demo))
            .bind(created_by)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        set_closures(&mut tx, id, &s.closures).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a space's details, rules and closure days (bookings already made stay).
    pub async fn update_space(&self, id: i64, s: &NewSpace, place: (i64, i64)) -> Result<()> {
        let mut tx = self.begin().await?;
        let update = sqlx::query(
            "UPDATE coworking_spaces SET name = $1, description_it = $2, description_en = $3, address = $4, lat = $5, \
             lon = $6, nil_id = $7, municipio = $8, opening_hours = $9, amenities = $10, email = $11, phone = $12, \
             website = $13, price_day_cents = $14, price_half_day_cents = $15, price_month_cents = $16, \
             horizon_days = $17, max_active_bookings = $18, cancel_hours = $19 WHERE id = $20",
        );
        let done = bind_space_details(update, s, place)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM coworking_closures WHERE space_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        set_closures(&mut tx, id, &s.closures).await?;
        Ok(tx.commit().await?)
    }

    pub async fn space(&self, id: i64) -> Result<Space> {
        let sql = format!(
            "SELECT {SPACE_COLUMNS} FROM coworking_spaces s JOIN organizations o ON o.id = s.organization_id WHERE s.id = $1"
        );
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// The spaces an operator organisation manages.
    pub async fn spaces_of_organization(&self, organization_id: i64) -> Result<Vec<Space>> {
        let sql = format!(
            "SELECT {SPACE_COLUMNS} FROM coworking_spaces s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.organization_id = $1 ORDER BY s.name, s.id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(organization_id)
            .fetch_all(self.reader())
            .await?)
    }

    /// Closure days of a space from `from` on, in order.
    pub async fn space_closures(&self, space_id: i64, from: NaiveDate) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT date FROM coworking_closures WHERE space_id = $1 AND date >= $2 ORDER BY date",
        )
        .bind(space_id)
        .bind(rules::iso(from))
        .fetch_all(self.reader())
        .await?)
    }

    async fn is_closed(&self, space_id: i64, date: NaiveDate) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM coworking_closures WHERE space_id = $1 AND date = $2",
        )
        .bind(space_id)
        .bind(rules::iso(date))
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }

    /// Searches spaces. Past bookings play no part: availability reads only the capacity
    /// counters of the date asked, through their primary key.
    pub async fn search_spaces(&self, q: &SpaceSearch) -> Result<Vec<SpaceHit>> {
        self.search_spaces_in(q, None).await
    }

    /// Searches among the spaces of `ids` only (the ones a travel-time search found
    /// reachable), so the per-space figures are computed for those alone.
    pub async fn search_spaces_among(&self, q: &SpaceSearch, ids: &[i64]) -> Result<Vec<SpaceHit>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        self.search_spaces_in(q, Some(ids)).await
    }

    /// Ids and coordinates of the spaces within `radius_m` of a point: the cheap first step of
    /// a search by travel time.
    pub async fn space_points_near(
        &self,
        lat: f64,
        lon: f64,
        radius_m: f64,
    ) -> Result<Vec<(i64, f64, f64)>> {
        let (la0, la1, lo0, lo1) = bounding_box(lat, lon, radius_m);
        let rows: Vec<(i64, f64, f64)> = sqlx::query_as(
            "SELECT id, lat, lon FROM coworking_spaces \
             WHERE lat BETWEEN $1 AND $2 AND lon BETWEEN $3 AND $4 ORDER BY id",
        )
        .bind(la0)
        .bind(la1)
        .bind(lo0)
        .bind(lo1)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, la, lo)| haversine_m(lat, lon, *la, *lo) <= radius_m)
            .collect())
    }

    async fn search_spaces_in(
        &self,
        q: &SpaceSearch,
        ids: Option<&[i64]>,
    ) -> Result<Vec<SpaceHit>> {
        // The statement names only the filters given, so each combination is prepared once
        // and its plan reused: with every filter always present as `($n = 0 OR ...)`,
        // PostgreSQL found a fresh plan for each search cheaper than the prepared one and
        // planned every search anew. For the same reason the filters that need a subquery
        // (free seats, a closure, an offer in force) are computed in the select list and
        // applied below. $1 is the date (today when none) and, when a date is asked, $2 and
        // $3 the period's units, for the two columns only such a search selects.
        let period = q.period.unwrap_or(Period::FullDay);
        let mut binds = vec![Bind::Text(rules::iso(q.date.unwrap_or_else(today)))];
        let mut on_date = "";
        if q.date.is_some() {
            let units = rules::units(period, None);
            let (u0, u1) = (units[0], *units.last().unwrap_or(&units[0]));
            binds.extend([Bind::Int(u0), Bind::Int(u1)]);
            on_date = ", s.desk_seats - (SELECT CAST(COALESCE(SUM(t.taken), 0) AS BIGINT) FROM \
                 (SELECT MAX(sl.taken) AS taken FROM coworking_slots sl \
                  WHERE sl.desk_space_id = s.id AND sl.date = $1 AND sl.unit IN ($2, $3) \
                  GROUP BY sl.resource_id) t) AS free_seats, \
               CASE WHEN EXISTS (SELECT 1 FROM coworking_closures c WHERE c.space_id = s.id AND c.date = $1) \
                 THEN 1 ELSE 0 END AS closed";
        }
        let wheres = space_filters(q, ids, &mut binds);
        let sql = format!(
            "SELECT s.id, s.name, s.address, s.lat, s.lon, s.nil_id, s.municipio, s.amenities, s.opening_hours, s.is_demo, \
               s.desk_price_cents, s.desk_seats, \
               CASE WHEN EXISTS (SELECT 1 FROM coworking_offers f WHERE f.space_id = s.id AND {}) THEN 1 ELSE 0 END AS has_offer \
               {on_date} \
             FROM coworking_spaces s WHERE {} ORDER BY s.name, s.id",
            OFFER_IN_FORCE.replace("$DATE", "$1"),
            wheres.join(" AND ")
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = match b {
                Bind::Int(v) => query.bind(v),
                Bind::Float(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(self.reader()).await?;
        let mut hits = Vec::with_capacity(rows.len());
        for r in &rows {
            let hit = SpaceHit {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                address: r.try_get("address")?,
                lat: r.try_get("lat")?,
                lon: r.try_get("lon")?,
                nil_id: r.try_get("nil_id")?,
                municipio: r.try_get("municipio")?,
                amenities: r.try_get("amenities")?,
                opening_hours: r.try_get("opening_hours")?,
                is_demo: r.try_get::<i64, _>("is_demo")? != 0,
                desk_price_cents: r.try_get("desk_price_cents")?,
                desk_seats: r.try_get("desk_seats")?,
                free_seats: q
                    .date
                    .map(|_| r.try_get::<i64, _>("free_seats"))
                    .transpose()?,
                has_offer: r.try_get::<i64, _>("has_offer")? != 0,
                distance_m: None,
            };
            if let Some(date) = q.date {
                let closed: i64 = r.try_get("closed")?;
                let open = WeeklyHours::decode(&hit.opening_hours)
                    .on(date)
                    .and_then(|h| rules::period_window(h, period, None))
                    .is_some();
                if closed != 0 || !open || hit.free_seats.unwrap_or(0) <= 0 {
                    continue;
                }
            }
            if q.with_offers && !hit.has_offer {
                continue;
            }
            hits.push(hit);
        }
        if let Some((lat, lon, radius)) = q.near {
            for h in &mut hits {
                h.distance_m = Some(haversine_m(lat, lon, h.lat, h.lon));
            }
            hits.retain(|h| h.distance_m.unwrap_or(f64::MAX) <= radius);
            hits.sort_by(|a, b| {
                a.distance_m
                    .partial_cmp(&b.distance_m)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.id.cmp(&b.id))
            });
        }
        let offset = q.offset.max(0) as usize;
        let limit = if q.limit <= 0 { 50 } else { q.limit } as usize;
        Ok(hits.into_iter().skip(offset).take(limit).collect())
    }

    /// Where people can go to work for a day: real spaces (not demo) with at least one desk
    /// resource, by id. The proximity reports count them; a space with only meeting rooms,
    /// or imported without seats, is not such a place yet.
    pub async fn workplace_points(&self) -> Result<Vec<WorkplacePoint>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.lat, s.lon FROM coworking_spaces s \
             WHERE s.is_demo = 0 AND s.desk_seats > 0 ORDER BY s.id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WorkplacePoint {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    lat: r.try_get("lat")?,
                    lon: r.try_get("lon")?,
                })
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------------
    // Resources
    // -----------------------------------------------------------------------------------------

    pub async fn add_resource(&self, space_id: i64, r: &NewResource) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO coworking_resources (space_id, kind, name, seats, price_cents, half_day_price_cents, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(space_id)
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(r.seats)
        .bind(r.price_cents)
        .bind(r.half_day_price_cents)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        refresh_desk_figures(&mut tx, space_id).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn resource(&self, id: i64) -> Result<Resource> {
        let sql = format!("SELECT {RESOURCE_COLUMNS} FROM coworking_resources WHERE id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn resources(&self, space_id: i64) -> Result<Vec<Resource>> {
        let sql = format!(
            "SELECT {RESOURCE_COLUMNS} FROM coworking_resources WHERE space_id = $1 ORDER BY kind, name, id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(space_id)
            .fetch_all(self.reader())
            .await?)
    }

    /// Seats taken and free in each unit of a resource on a date: the morning and afternoon
    /// of a desk, every opening hour of a room (none when the space is closed that day).
    pub async fn availability(
        &self,
        resource: &Resource,
        space: &Space,
        date: NaiveDate,
    ) -> Result<Vec<SlotUse>> {
        let kind = resource.kind();
        let closed = self.is_closed(space.id, date).await?;
        let units: Vec<i64> = match space.hours().on(date) {
            _ if closed => vec![],
            None => vec![],
            Some(h) if kind.is_desk() => [(Period::Morning, 0), (Period::Afternoon, 1)]
                .iter()
                .filter(|(p, _)| rules::period_window(h, *p, None).is_some())
                .map(|(_, u)| *u)
                .collect(),
            Some((open, close)) => (open.div_ceil(60)..close / 60).map(i64::from).collect(),
        };
        let taken: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT unit, taken FROM coworking_slots WHERE resource_id = $1 AND date = $2",
        )
        .bind(resource.id)
        .bind(rules::iso(date))
        .fetch_all(self.reader())
        .await?;
        Ok(units
            .into_iter()
            .map(|u| {
                let t = taken
                    .iter()
                    .find(|(x, _)| *x == u)
                    .map(|x| x.1)
                    .unwrap_or(0);
                SlotUse {
                    label: unit_label(kind, u),
                    unit: u,
                    taken: t,
                    free: (resource.seats - t).max(0),
                }
            })
            .collect())
    }

    // -----------------------------------------------------------------------------------------
    // Offers
    // -----------------------------------------------------------------------------------------

    /// Files an offer, to be approved by a coordinator.
    pub async fn create_offer(
        &self,
        space_id: i64,
        o: &NewOffer,
        created_by: Option<i64>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO coworking_offers (space_id, kind, title, description, discount_percent, trial_days, pack_days, \
             pack_price_cents, valid_until, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'proposed', $10, $11) RETURNING id",
        )
        .bind(space_id)
        .bind(o.kind.as_str())
        .bind(&o.title)
        .bind(o.description.as_deref())
        .bind(o.discount_percent)
        .bind(o.trial_days)
        .bind(o.pack_days)
        .bind(o.pack_price_cents)
        .bind(o.valid_until.map(rules::iso))
        .bind(created_by)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn offer(&self, id: i64) -> Result<Offer> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM coworking_offers f JOIN coworking_spaces s ON s.id = f.space_id WHERE f.id = $1"
        );
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// Offers of a space; only those approved and in force when `in_force_only`.
    pub async fn offers(&self, space_id: i64, in_force_only: bool) -> Result<Vec<Offer>> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM coworking_offers f JOIN coworking_spaces s ON s.id = f.space_id \
             WHERE f.space_id = $1 AND ($2 = 0 OR ({})) ORDER BY f.id",
            OFFER_IN_FORCE.replace("$DATE", "$3")
        );
        Ok(sqlx::query_as(&sql)
            .bind(space_id)
            .bind(i64::from(in_force_only))
            .bind(rules::iso(today()))
            .fetch_all(self.reader())
            .await?)
    }

    /// Offers waiting for a coordinator's decision, oldest first.
    pub async fn pending_offers(&self) -> Result<Vec<Offer>> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM coworking_offers f JOIN coworking_spaces s ON s.id = f.space_id \
             WHERE f.status = 'proposed' ORDER BY f.id"
        );
        Ok(sqlx::query_as(&sql).fetch_all(self.reader()).await?)
    }

    /// Approves (`approve`) or rejects a proposed offer; only the first decision counts.
    pub async fn decide_offer(
        &self,
        id: i64,
        approve: bool,
        decided_by: i64,
    ) -> Result<(), DecisionError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE coworking_offers SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'proposed'",
        )
        .bind(if approve { "approved" } else { "rejected" })
        .bind(decided_by)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM coworking_offers WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
            return Err(if exists.is_some() {
                DecisionError::AlreadyDecided
            } else {
                DecisionError::NotFound
            });
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Bookings
    // -----------------------------------------------------------------------------------------

    /// Books a seat (or a room hour), or joins the waitlist when full and asked to. Checks
    /// the date against the space's rules and opening hours, the person's limit of active
    /// bookings, and spends one of their credits when `use_credit`. Retried on PostgreSQL
    /// deadlocks, which contention can cause and which change nothing.
    pub async fn book(&self, req: &BookingRequest) -> Result<BookingOutcome, BookingError> {
        let resource = match self.resource(req.resource_id).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Err(BookingError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let space = self.space(resource.space_id).await?;
        let kind = resource.kind();
        match (kind.is_desk(), req.period) {
            (true, Period::Hour) => {
                return Err(BookingError::Invalid("period", "error-period-desk"))
            }
            (false, p) if p != Period::Hour => {
                return Err(BookingError::Invalid("period", "error-period-room"))
            }
            (false, _) if req.hour.is_none() => {
                return Err(BookingError::Invalid("hour", "error-required"))
            }
            _ => {}
        }
        if req.use_credit && !kind.is_desk() {
            return Err(BookingError::Invalid("use_credit", "error-credit-room"));
        }
        let closed = self.is_closed(space.id, req.date).await?;
        rules::check_bookable(
            rules::milan_time(now()),
            req.date,
            &space.rules(),
            &space.hours(),
            closed,
            req.period,
            req.hour,
        )
        .map_err(|e| BookingError::Invalid(e.field, e.message))?;
        let mut attempt = 0;
        loop {
            match self.book_once(req, &resource, &space).await {
                Err(BookingError::Store(e)) if is_retryable(&e) && attempt < 5 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn book_once(
        &self,
        req: &BookingRequest,
        resource: &Resource,
        space: &Space,
    ) -> Result<BookingOutcome, BookingError> {
        let date = rules::iso(req.date);
        let units = rules::units(req.period, req.hour);
        let t = now();
        let mut tx = self.begin().await?;
        self.lock_person(&mut tx, req.user_id).await?;
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM coworking_booking_units WHERE resource_id = $1 AND date = $2 AND user_id = $3 \
             AND unit >= $4 AND unit <= $5",
        )
        .bind(resource.id)
        .bind(&date)
        .bind(req.user_id)
        .bind(units[0])
        .bind(units[units.len() - 1])
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if held > 0 {
            return Err(BookingError::AlreadyBooked);
        }
        let active = active_count(&mut tx, req.user_id, space.id, &rules::iso(today())).await?;
        if active >= space.max_active_bookings {
            return Err(BookingError::TooManyActive);
        }
        if !take_units(&mut tx, resource, &date, &units).await? {
            if !req.join_waitlist {
                return Err(BookingError::Full);
            }
            let id: std::result::Result<i64, StoreError> = sqlx::query_scalar(
                "INSERT INTO coworking_waitlist (resource_id, space_id, user_id, date, period, hour, use_credit, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8) RETURNING id",
            )
            .bind(resource.id)
            .bind(space.id)
            .bind(req.user_id)
            .bind(&date)
            .bind(req.period.as_str())
            .bind(i64::from(req.hour.unwrap_or(0)))
            .bind(i64::from(req.use_credit))
            .bind(t)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from);
            let id = match id {
                Ok(id) => id,
                Err(StoreError::Conflict(_)) => return Err(BookingError::AlreadyWaiting),
                Err(e) => return Err(e.into()),
            };
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(BookingOutcome::Waitlisted(self.waitlist_entry(id).await?));
        }
        let id = insert_booking(
            &mut tx,
            resource,
            space,
            req.user_id,
            req.date,
            req.period,
            req.hour,
            req.use_credit,
            t,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(BookingOutcome::Booked(self.booking(id).await?))
    }

    /// On PostgreSQL, locks the person's row so their bookings run one at a time (SQLite
    /// runs every write transaction alone anyway).
    async fn lock_person(&self, tx: &mut Tx, user_id: i64) -> Result<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub async fn booking(&self, id: i64) -> Result<Booking> {
        Ok(sqlx::query_as(&format!("{BOOKING_SELECT} WHERE b.id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// A person's bookings: upcoming ones (today on, soonest first) and history (most recent
    /// first, at most `history_limit`).
    pub async fn bookings_of_user(
        &self,
        user_id: i64,
        history_limit: i64,
    ) -> Result<(Vec<Booking>, Vec<Booking>)> {
        let today = rules::iso(today());
        let upcoming = sqlx::query_as(&format!(
            "{BOOKING_SELECT} WHERE b.user_id = $1 AND b.date >= $2 AND b.status <> 'cancelled' ORDER BY b.date, b.hour, b.id"
        ))
        .bind(user_id)
        .bind(&today)
        .fetch_all(self.reader())
        .await?;
        let history = sqlx::query_as(&format!(
            "{BOOKING_SELECT} WHERE b.user_id = $1 AND (b.date < $2 OR b.status = 'cancelled') \
             ORDER BY b.date DESC, b.id DESC LIMIT $3"
        ))
        .bind(user_id)
        .bind(&today)
        .bind(history_limit)
        .fetch_all(self.reader())
        .await?;
        Ok((upcoming, history))
    }

    pub async fn waitlist_entry(&self, id: i64) -> Result<WaitlistEntry> {
        Ok(
            sqlx::query_as(&format!("{WAITLIST_SELECT} WHERE w.id = $1"))
                .bind(id)
                .fetch_one(self.reader())
                .await?,
        )
    }

    /// The waitlist places a person holds (waiting ones only).
    pub async fn waitlist_of_user(&self, user_id: i64) -> Result<Vec<WaitlistEntry>> {
        Ok(sqlx::query_as(&format!(
            "{WAITLIST_SELECT} WHERE w.user_id = $1 AND w.status = 'waiting' ORDER BY w.date, w.id"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Leaves a waitlist; `NotFound` unless it is the person's and still waiting.
    pub async fn leave_waitlist(&self, id: i64, user_id: i64) -> Result<()> {
        let done = self
            .write(
                sqlx::query(
                    "UPDATE coworking_waitlist SET status = 'cancelled', decided_at = $1 WHERE id = $2 AND user_id = $3 AND status = 'waiting'",
                )
                .bind(now())
                .bind(id)
                .bind(user_id),
            )
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Cancels the person's own booking before the space's deadline, gives back its credit,
    /// and in the same transaction promotes the first waitlist entries that now fit.
    pub async fn cancel_booking(&self, id: i64, user_id: i64) -> Result<Cancellation, CancelError> {
        let booking = match self.booking(id).await {
            Ok(b) if b.user_id == user_id => b,
            Ok(_) | Err(StoreError::NotFound) => return Err(CancelError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if booking.status != "confirmed" {
            return Err(CancelError::NotActive);
        }
        let space = self.space(booking.space_id).await?;
        let resource = self.resource(booking.resource_id).await?;
        let date = rules::parse_date("date", &booking.date).map_err(|_| CancelError::NotActive)?;
        let period = Period::parse(&booking.period).unwrap_or(Period::FullDay);
        let hour = booking.hour.map(|h| h as u8);
        let start = space
            .hours()
            .on(date)
            .and_then(|h| rules::period_window(h, period, hour))
            .map(|w| rules::start_of(date, w))
            .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).expect("midnight"));
        if !rules::cancellable(rules::milan_time(now()), start, space.cancel_hours) {
            return Err(CancelError::TooLate);
        }
        let mut attempt = 0;
        let promoted = loop {
            match self
                .cancel_once(&booking, &resource, &space, date, period, hour)
                .await
            {
                Err(CancelError::Store(e)) if is_retryable(&e) && attempt < 5 => attempt += 1,
                Err(e) => return Err(e),
                Ok(p) => break p,
            }
        };
        let mut promoted_bookings = Vec::new();
        for b in promoted {
            promoted_bookings.push(self.booking(b).await?);
        }
        Ok(Cancellation {
            booking: self.booking(id).await?,
            promoted: promoted_bookings,
        })
    }

    async fn cancel_once(
        &self,
        booking: &Booking,
        resource: &Resource,
        space: &Space,
        date: NaiveDate,
        period: Period,
        hour: Option<u8>,
    ) -> Result<Vec<i64>, CancelError> {
        let t = now();
        let day = rules::iso(date);
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE coworking_bookings SET status = 'cancelled', cancelled_at = $1 WHERE id = $2 AND user_id = $3 AND status = 'confirmed'",
        )
        .bind(t)
        .bind(booking.id)
        .bind(booking.user_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            return Err(CancelError::NotActive);
        }
        sqlx::query("DELETE FROM coworking_booking_units WHERE booking_id = $1")
            .bind(booking.id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        release_units(&mut tx, resource.id, &day, &rules::units(period, hour)).await?;
        sqlx::query(
            "UPDATE coworking_credits SET booking_id = NULL, spent_at = NULL WHERE booking_id = $1",
        )
        .bind(booking.id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        // The queue, first come first served; an entry that does not fit (a full day when
        // only the morning was freed) lets the next one through.
        let queue: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, user_id, period, hour, use_credit FROM coworking_waitlist \
             WHERE resource_id = $1 AND date = $2 AND status = 'waiting' ORDER BY id",
        )
        .bind(resource.id)
        .bind(&day)
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let mut promoted = Vec::new();
        for (entry, user, period, hour, use_credit) in queue {
            let Some(p) = Period::parse(&period) else {
                continue;
            };
            let hour = (p == Period::Hour).then_some(hour as u8);
            let units = rules::units(p, hour);
            let held: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM coworking_booking_units WHERE resource_id = $1 AND date = $2 AND user_id = $3 \
                 AND unit >= $4 AND unit <= $5",
            )
            .bind(resource.id)
            .bind(&day)
            .bind(user)
            .bind(units[0])
            .bind(units[units.len() - 1])
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            if held > 0 || !take_units(&mut tx, resource, &day, &units).await? {
                continue;
            }
            if use_credit != 0 && !credit_available(&mut tx, user, space.id, &day).await? {
                release_units(&mut tx, resource.id, &day, &units).await?;
                continue;
            }
            let id = match insert_booking(
                &mut tx,
                resource,
                space,
                user,
                date,
                p,
                hour,
                use_credit != 0,
                t,
            )
            .await
            {
                Ok(id) => id,
                Err(BookingError::Store(e)) => return Err(e.into()),
                Err(_) => {
                    release_units(&mut tx, resource.id, &day, &units).await?;
                    continue;
                }
            };
            sqlx::query(
                "UPDATE coworking_waitlist SET status = 'promoted', booking_id = $1, decided_at = $2 WHERE id = $3",
            )
            .bind(id)
            .bind(t)
            .bind(entry)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            promoted.push(id);
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(promoted)
    }

    /// The bookings of a space on a date (the operator's day list), by resource.
    pub async fn space_bookings(&self, space_id: i64, date: NaiveDate) -> Result<Vec<Booking>> {
        Ok(sqlx::query_as(&format!(
            "{BOOKING_SELECT} WHERE b.space_id = $1 AND b.date = $2 AND b.status <> 'cancelled' ORDER BY r.name, b.hour, b.id"
        ))
        .bind(space_id)
        .bind(rules::iso(date))
        .fetch_all(self.reader())
        .await?)
    }

    /// Records the operator's check-in (attended or no-show) on a confirmed or already
    /// checked-in booking; a cancelled booking cannot be checked in.
    pub async fn check_in(
        &self,
        booking_id: i64,
        status: rules::CheckIn,
        by: i64,
    ) -> Result<(), DecisionError> {
        let done = self
            .write(
                sqlx::query(
                    "UPDATE coworking_bookings SET status = $1, checked_in_at = $2, checked_in_by = $3 \
                     WHERE id = $4 AND status <> 'cancelled'",
                )
                .bind(status.as_str())
                .bind(now())
                .bind(by)
                .bind(booking_id),
            )
            .await?;
        if done.rows_affected() == 0 {
            return Err(DecisionError::AlreadyDecided);
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Credits
    // -----------------------------------------------------------------------------------------

    /// A firm buys one pack of an approved credit-pack offer: `pack_days` credits for the
    /// offer's space, valid until the offer's last day.
    pub async fn purchase_credit_pack(
        &self,
        offer_id: i64,
        organization_id: i64,
        by: i64,
    ) -> Result<i64, CreditError> {
        let offer = match self.offer(offer_id).await {
            Ok(o) => o,
            Err(StoreError::NotFound) => return Err(CreditError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let today = rules::iso(today());
        let in_force = offer.status == "approved"
            && offer.kind == OfferKind::CreditPack.as_str()
            && offer
                .valid_until
                .as_deref()
                .is_some_and(|v| v >= today.as_str());
        let (Some(days), Some(valid_until), true) =
            (offer.pack_days, offer.valid_until.clone(), in_force)
        else {
            return Err(CreditError::NotAvailable);
        };
        let mut tx = self.begin().await?;
        let pack: i64 = sqlx::query_scalar(
            "INSERT INTO coworking_credit_packs (offer_id, space_id, organization_id, days, valid_until, price_cents, \
             purchased_by, purchased_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(offer.id)
        .bind(offer.space_id)
        .bind(organization_id)
        .bind(days)
        .bind(&valid_until)
        .bind(offer.pack_price_cents.unwrap_or(0))
        .bind(by)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        for chunk in (0..days).collect::<Vec<_>>().chunks(200) {
            let values = (0..chunk.len())
                .map(|_| "($1, $2, $3, $4)")
                .collect::<Vec<_>>()
                .join(", ");
            sqlx::query(&format!(
                "INSERT INTO coworking_credits (pack_id, organization_id, space_id, valid_until) VALUES {values}"
            ))
            .bind(pack)
            .bind(organization_id)
            .bind(offer.space_id)
            .bind(&valid_until)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(pack)
    }

    /// Assigns `count` unassigned credits of the firm's pack to one of its employees (a
    /// `worker` of the organisation). The pack's counter refuses to go beyond its days.
    pub async fn assign_credits(
        &self,
        organization_id: i64,
        pack_id: i64,
        user_id: i64,
        count: i64,
    ) -> Result<i64, CreditError> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM organization_members WHERE user_id = $1 AND organization_id = $2",
        )
        .bind(user_id)
        .bind(organization_id)
        .fetch_optional(self.reader())
        .await
        .map_err(StoreError::from)?;
        if role.as_deref() != Some("worker") {
            return Err(CreditError::NotEmployee);
        }
        let mut tx = self.begin().await?;
        let raised = sqlx::query(
            "UPDATE coworking_credit_packs SET assigned = assigned + $1 WHERE id = $2 AND organization_id = $3 \
             AND assigned + $1 <= days",
        )
        .bind(count)
        .bind(pack_id)
        .bind(organization_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if raised.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM coworking_credit_packs WHERE id = $1 AND organization_id = $2",
            )
            .bind(pack_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            return Err(if exists.is_some() {
                CreditError::NotEnough
            } else {
                CreditError::NotFound
            });
        }
        // The pack's row is locked by the update above, so these credits are ours alone.
        let done = sqlx::query(
            "UPDATE coworking_credits SET user_id = $1, assigned_at = $2 WHERE id IN \
             (SELECT id FROM coworking_credits WHERE pack_id = $3 AND user_id IS NULL ORDER BY id LIMIT $4)",
        )
        .bind(user_id)
        .bind(now())
        .bind(pack_id)
        .bind(count)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() as i64 != count {
            return Err(CreditError::NotEnough);
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(count)
    }

    /// A firm's packs, each employee's credits and every credit spent. Only for the firm.
    pub async fn organization_credits(&self, organization_id: i64) -> Result<CreditReport> {
        let packs = sqlx::query_as(
            "SELECT p.id, p.offer_id, p.space_id, s.name AS space_name, p.organization_id, p.days, p.assigned, \
               CAST((SELECT COUNT(*) FROM coworking_credits c WHERE c.pack_id = p.id AND c.booking_id IS NOT NULL) AS BIGINT) AS spent, \
               p.valid_until, p.price_cents, p.purchased_at \
             FROM coworking_credit_packs p JOIN coworking_spaces s ON s.id = p.space_id \
             WHERE p.organization_id = $1 ORDER BY p.id",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?;
        let employees = sqlx::query_as(
            "SELECT c.user_id, u.display_name, CAST(COUNT(*) AS BIGINT) AS assigned, \
               CAST(SUM(CASE WHEN c.booking_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS spent \
             FROM coworking_credits c JOIN users u ON u.id = c.user_id \
             WHERE c.organization_id = $1 GROUP BY c.user_id, u.display_name ORDER BY u.display_name, c.user_id",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?;
        let uses = sqlx::query_as(
            "SELECT c.id AS credit_id, c.pack_id, c.user_id, u.display_name, b.id AS booking_id, s.name AS space_name, \
               b.date, b.period, b.status, c.spent_at \
             FROM coworking_credits c JOIN users u ON u.id = c.user_id \
             JOIN coworking_bookings b ON b.id = c.booking_id JOIN coworking_spaces s ON s.id = b.space_id \
             WHERE c.organization_id = $1 ORDER BY b.date DESC, b.id DESC",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?;
        Ok(CreditReport {
            packs,
            employees,
            uses,
        })
    }

    /// The credits a person may still spend, by space and expiry.
    pub async fn credits_of_user(&self, user_id: i64) -> Result<Vec<PersonCredits>> {
        Ok(sqlx::query_as(
            "SELECT c.space_id, s.name AS space_name, c.organization_id, c.valid_until, CAST(COUNT(*) AS BIGINT) AS available \
             FROM coworking_credits c JOIN coworking_spaces s ON s.id = c.space_id \
             WHERE c.user_id = $1 AND c.booking_id IS NULL AND c.valid_until >= $2 \
             GROUP BY c.space_id, s.name, c.organization_id, c.valid_until ORDER BY c.valid_until, c.space_id",
        )
        .bind(user_id)
        .bind(rules::iso(today()))
        .fetch_all(self.reader())
        .await?)
    }

    // -----------------------------------------------------------------------------------------
    // Operator dashboard
    // -----------------------------------------------------------------------------------------

    /// Bookings, check-ins, desk occupancy and revenue (list price and charged) per day of
    /// `from..=to`, every day listed even when empty.
    pub async fn dashboard(
        &self,
        space_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DashboardDay>> {
        let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT b.date, CAST(COUNT(*) AS BIGINT), \
               CAST(SUM(CASE WHEN b.status = 'attended' THEN 1 ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN b.status = 'no_show' THEN 1 ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN r.kind = 'meeting_room' THEN 0 WHEN b.period = 'full_day' THEN 2 ELSE 1 END) AS BIGINT), \
               CAST(SUM(b.list_price_cents) AS BIGINT), CAST(SUM(b.price_cents) AS BIGINT) \
             FROM coworking_bookings b JOIN coworking_resources r ON r.id = b.resource_id \
             WHERE b.space_id = $1 AND b.date >= $2 AND b.date <= $3 AND b.status <> 'cancelled' \
             GROUP BY b.date ORDER BY b.date",
        )
        .bind(space_id)
        .bind(rules::iso(from))
        .bind(rules::iso(to))
        .fetch_all(self.reader())
        .await?;
        let desk_seats: i64 =
            sqlx::query_scalar("SELECT desk_seats FROM coworking_spaces WHERE id = $1")
                .bind(space_id)
                .fetch_one(self.reader())
                .await?;
        let space = self.space(space_id).await?;
        let hours = space.hours();
        let closures = self.space_closures(space_id, from).await?;
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            let key = rules::iso(d);
            let row = rows.iter().find(|r| r.0 == key);
            let halves_offered = match hours.on(d) {
                _ if closures.contains(&key) => 0,
                Some(h) => {
                    let n = [Period::Morning, Period::Afternoon]
                        .iter()
                        .filter(|p| rules::period_window(h, **p, None).is_some())
                        .count() as i64;
                    n * desk_seats
                }
                None => 0,
            };
            let halves_booked = row.map(|r| r.4).unwrap_or(0);
            out.push(DashboardDay {
                date: key,
                bookings: row.map(|r| r.1).unwrap_or(0),
                attended: row.map(|r| r.2).unwrap_or(0),
                no_show: row.map(|r| r.3).unwrap_or(0),
                occupancy_percent: if halves_offered > 0 {
                    (halves_booked as f64 * 1000.0 / halves_offered as f64).round() / 10.0
                } else {
                    0.0
                },
                revenue_list_cents: row.map(|r| r.5).unwrap_or(0),
                revenue_cents: row.map(|r| r.6).unwrap_or(0),
            });
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------
    // Bulk history
    // -----------------------------------------------------------------------------------------

    /// Loads past bookings in bulk (multi-row INSERTs, one transaction per 50,000 rows), with
    /// the capacity counters they would have raised when booked, so the tables a search
    /// reads are as large as a real history makes them. They count for history and
    /// dashboards; their dates are gone, so no booking can compete with them.
    pub async fn import_past_bookings(&self, rows: &[PastBooking]) -> Result<usize> {
        const PER_STATEMENT: usize = 500;
        for tx_rows in rows.chunks(50_000) {
            let mut tx = self.begin().await?;
            add_past_counters(&mut tx, tx_rows).await?;
            for chunk in tx_rows.chunks(PER_STATEMENT) {
                let mut sql = String::from(
                    "INSERT INTO coworking_bookings (resource_id, space_id, user_id, date, period, status, \
                     list_price_cents, price_cents, pricing, created_at) VALUES ",
                );
                for (i, _) in chunk.iter().enumerate() {
                    let b = i * 9;
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'list', ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9
                    ));
                }
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q
                        .bind(r.resource_id)
                        .bind(r.space_id)
                        .bind(r.user_id)
                        .bind(rules::iso(r.date))
                        .bind(r.period.as_str())
                        .bind(r.status.as_str())
                        .bind(r.list_price_cents)
                        .bind(r.price_cents)
                        .bind(r.created_at);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(rows.len())
    }

    // -----------------------------------------------------------------------------------------
    // Import of the Comune di Milano's list of qualified coworking spaces
    // -----------------------------------------------------------------------------------------

    /// Writes the spaces of a validated list in ONE transaction: all or nothing. Each row comes
    /// with its place (nil_id, municipio). The spaces belong to `operator_id`, or, when `None`,
    /// to the organisation [`IMPORT_OPERATOR_NAME`] (created on the first import). A space with
    /// the same name and address (ignoring case) under that operator is updated, not duplicated;
    /// a new space gets default hours and rules and, when seats are given, one open-desk
    /// resource (an existing open-desk resource takes the new number of seats).
    pub async fn import_spaces(
        &self,
        operator_id: Option<i64>,
        rows: &[(ImportedSpace, (i64, i64))],
    ) -> Result<ImportSummary> {
        let mut tx = self.begin().await?;
        let operator_id = match operator_id {
            Some(id) => id,
            None => {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM organizations WHERE tax_code = $1")
                        .bind(IMPORT_OPERATOR_TAX_CODE)
                        .fetch_optional(&mut *tx)
                        .await?;
                match found {
                    Some(id) => id,
                    None => {
                        sqlx::query_scalar(
                            "INSERT INTO organizations (name, kind, tax_code, address, is_demo, created_at) \
                             VALUES ($1, 'coworking_operator', $2, $3, 0, $4) RETURNING id",
                        )
                        .bind(IMPORT_OPERATOR_NAME)
                        .bind(IMPORT_OPERATOR_TAX_CODE)
                        .bind("Piazza della Scala 2, 20121 Milano")
                        .bind(now())
                        .fetch_one(&mut *tx)
                        .await?
                    }
                }
            }
        };
        let mut summary = ImportSummary {
            operator_id,
            ..ImportSummary::default()
        };
        let hours = WeeklyHours::default().encode();
        let rules = BookingRules::default();
        for (r, place) in rows {
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM coworking_spaces WHERE organization_id = $1 AND lower(name) = lower($2) \
                 AND lower(address) = lower($3) ORDER BY id LIMIT 1",
            )
            .bind(operator_id)
            .bind(&r.name)
            .bind(&r.address)
            .fetch_optional(&mut *tx)
            .await?;
            let space_id = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE coworking_spaces SET name = $1, address = $2, lat = $3, lon = $4, nil_id = $5, \
                         municipio = $6, email = $7, phone = $8, website = $9 WHERE id = $10",
                    )
                    .bind(&r.name)
                    .bind(&r.address)
                    .bind(r.lat)
                    .bind(r.lon)
                    .bind(place.0)
                    .bind(place.1)
                    .bind(r.email.as_deref())
                    .bind(r.phone.as_deref())
                    .bind(r.website.as_deref())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += 1;
                    id
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO coworking_spaces (organization_id, name, address, lat, lon, nil_id, municipio, \
                         opening_hours, amenities, email, phone, website, horizon_days, max_active_bookings, \
                         cancel_hours, is_demo, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, $14, 0, $15) RETURNING id",
                    )
                    .bind(operator_id)
                    .bind(&r.name)
                    .bind(&r.address)
                    .bind(r.lat)
                    .bind(r.lon)
                    .bind(place.0)
                    .bind(place.1)
                    .bind(&hours)
                    .bind(r.email.as_deref())
                    .bind(r.phone.as_deref())
                    .bind(r.website.as_deref())
                    .bind(rules.horizon_days)
                    .bind(rules.max_active_bookings)
                    .bind(rules.cancel_hours)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await?;
                    summary.created += 1;
                    id
                }
            };
            if let Some(seats) = r.seats {
                let desk: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM coworking_resources WHERE space_id = $1 AND kind = $2 ORDER BY id LIMIT 1",
                )
                .bind(space_id)
                .bind(ResourceKind::OpenDesk.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                match desk {
                    Some(id) => {
                        sqlx::query("UPDATE coworking_resources SET seats = $1 WHERE id = $2")
                            .bind(seats)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO coworking_resources (space_id, kind, name, seats, price_cents, \
                             half_day_price_cents, created_at) VALUES ($1, $2, $3, $4, 0, 0, $5)",
                        )
                        .bind(space_id)
                        .bind(ResourceKind::OpenDesk.as_str())
                        .bind(IMPORT_RESOURCE_NAME)
                        .bind(seats)
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                        summary.resources_created += 1;
                    }
                }
                refresh_desk_figures(&mut tx, space_id).await?;
            }
        }
        tx.commit().await?;
        Ok(summary)
    }
}

/// Raises the capacity counters of past bookings (cancelled ones hold none), as one
/// multi-row upsert per 500 counters. Hourly bookings carry no hour here, so they are not
/// counted.
async fn add_past_counters(tx: &mut Tx, rows: &[PastBooking]) -> Result<()> {
    let mut counters: std::collections::BTreeMap<(i64, NaiveDate, i64), (i64, i64)> =
        Default::default();
    for b in rows {
        if b.status == rules::BookingStatus::Cancelled || b.period == Period::Hour {
            continue;
        }
        for unit in rules::units(b.period, None) {
            counters
                .entry((b.resource_id, b.date, unit))
                .or_insert((0, b.space_id))
                .0 += 1;
        }
    }
    let counters: Vec<_> = counters.into_iter().collect();
    for chunk in counters.chunks(500) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO coworking_slots (resource_id, date, unit, taken, desk_space_id) VALUES {} \
             ON CONFLICT (resource_id, date, unit) DO UPDATE SET taken = coworking_slots.taken + excluded.taken",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for ((resource_id, date, unit), (taken, space_id)) in chunk {
            q = q
                .bind(*resource_id)
                .bind(rules::iso(*date))
                .bind(*unit)
                .bind(*taken)
                .bind(*space_id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The conditions on the space row for the filters `q` gives (and the ids of a travel-time
/// search), numbering their values after those already in `binds`.
fn space_filters(q: &SpaceSearch, ids: Option<&[i64]>, binds: &mut Vec<Bind>) -> Vec<String> {
    let mut filter = |sql: &str, values: Vec<Bind>| {
        let mut sql = sql.to_owned();
        for (i, v) in values.into_iter().enumerate() {
            sql = sql.replace(&format!("?{i}"), &format!("${}", binds.len() + 1));
            binds.push(v);
        }
        sql
    };
    let mut wheres = vec![filter(
        "(s.amenities & ?0) = ?0",
        vec![Bind::Int(q.amenities)],
    )];
    if let Some(m) = q.municipio {
        wheres.push(filter("s.municipio = ?0", vec![Bind::Int(m)]));
    }
    if let Some(n) = q.nil_id {
        wheres.push(filter("s.nil_id = ?0", vec![Bind::Int(n)]));
    }
    if let Some((la0, la1, lo0, lo1)) = q.near.map(|(lat, lon, r)| bounding_box(lat, lon, r)) {
        wheres.push(filter(
            "s.lat BETWEEN ?0 AND ?1 AND s.lon BETWEEN ?2 AND ?3",
            vec![
                Bind::Float(la0),
                Bind::Float(la1),
                Bind::Float(lo0),
                Bind::Float(lo1),
            ],
        ));
    }
    if let Some(demo) = q.only_demo {
        wheres.push(filter("s.is_demo = ?0", vec![Bind::Int(i64::from(demo))]));
    }
    if let Some(ids) = ids {
        // No list placeholder works on both backends, and ids written into the SQL
        // would make a new statement on every search: one text parameter ",3,17,".
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        wheres.push(filter(
            "?0 LIKE ('%,' || CAST(s.id AS TEXT) || ',%')",
            vec![Bind::Text(format!(",{},", list.join(",")))],
        ));
    }
    if let Some(max) = q.max_price_cents {
        wheres.push(filter("s.desk_price_cents <= ?0", vec![Bind::Int(max)]));
    }
    wheres
}

/// Recomputes a space's desk seats and cheapest desk price from its resources, in the
/// transaction that changed them: searches read these columns (migration 0005) instead of
/// aggregating every listed space's resources.
async fn refresh_desk_figures(tx: &mut Tx, space_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE coworking_spaces SET \
           desk_seats = (SELECT CAST(COALESCE(SUM(r.seats), 0) AS BIGINT) FROM coworking_resources r \
                         WHERE r.space_id = $1 AND r.kind <> 'meeting_room'), \
           desk_price_cents = (SELECT MIN(r.price_cents) FROM coworking_resources r \
                               WHERE r.space_id = $1 AND r.kind <> 'meeting_room') \
         WHERE id = $1",
    )
    .bind(space_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_closures(tx: &mut Tx, space_id: i64, closures: &[NaiveDate]) -> Result<()> {
    for d in closures {
        sqlx::query("INSERT INTO coworking_closures (space_id, date) VALUES ($1, $2)")
            .bind(space_id)
            .bind(rules::iso(*d))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Upcoming bookings and waitlist places a person holds in a space.
async fn active_count(
    tx: &mut Tx,
    user_id: i64,
    space_id: i64,
    today: &str,
) -> Result<i64, BookingError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST((SELECT COUNT(*) FROM coworking_bookings WHERE user_id = $1 AND space_id = $2 AND date >= $3 \
           AND status = 'confirmed') + (SELECT COUNT(*) FROM coworking_waitlist WHERE user_id = $1 AND space_id = $2 \
           AND date >= $3 AND status = 'waiting') AS BIGINT)",
    )
    .bind(user_id)
    .bind(space_id)
    .bind(today)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    Ok(n)
}

/// Raises the counters of `units` (ascending) by one where a seat is left; `false`, with
/// nothing changed, when any unit is full.
async fn take_units(
    tx: &mut Tx,
    resource: &Resource,
    date: &str,
    units: &[i64],
) -> Result<bool, StoreError> {
    let mut raised: Vec<i64> = Vec::new();
    for &unit in units {
        sqlx::query(
            "INSERT INTO coworking_slots (resource_id, date, unit, taken, desk_space_id) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (resource_id, date, unit) DO NOTHING",
        )
        .bind(resource.id)
        .bind(date)
        .bind(unit)
        .bind((resource.kind != ResourceKind::MeetingRoom.as_str()).then_some(resource.space_id))
        .execute(&mut **tx)
        .await?;
        let done = sqlx::query(
            "UPDATE coworking_slots SET taken = taken + 1 \
             WHERE resource_id = $1 AND date = $2 AND unit = $3 AND taken < $4",
        )
        .bind(resource.id)
        .bind(date)
        .bind(unit)
        .bind(resource.seats)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            release_units(tx, resource.id, date, &raised).await?;
            return Ok(false);
        }
        raised.push(unit);
    }
    Ok(true)
}

async fn release_units(
    tx: &mut Tx,
    resource_id: i64,
    date: &str,
    units: &[i64],
) -> Result<(), StoreError> {
    for &unit in units {
        sqlx::query(
            "UPDATE coworking_slots SET taken = taken - 1 WHERE resource_id = $1 AND date = $2 AND unit = $3 AND taken > 0",
        )
        .bind(resource_id)
        .bind(date)
        .bind(unit)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn credit_available(
    tx: &mut Tx,
    user_id: i64,
    space_id: i64,
    date: &str,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM coworking_credits WHERE user_id = $1 AND space_id = $2 AND booking_id IS NULL AND valid_until >= $3",
    )
    .bind(user_id)
    .bind(space_id)
    .bind(date)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// Inserts a booking whose capacity is already taken: prices it (credit, free trial,
/// discount or list price), records its units (the unique index refuses a double booking)
/// and spends a credit when asked.
#[allow(clippy::too_many_arguments)]
async fn insert_booking(
    tx: &mut Tx,
    resource: &Resource,
    space: &Space,
    user_id: i64,
    date: NaiveDate,
    period: Period,
    hour: Option<u8>,
    use_credit: bool,
    t: i64,
) -> Result<i64, BookingError> {
    let day = rules::iso(date);
    let list = rules::list_price(
        resource.kind(),
        period,
        resource.price_cents,
        resource.half_day_price_cents,
    );
    let (pricing, price, offer) = if use_credit {
        (Pricing::Credit, 0, None)
    } else {
        price_for(tx, space.id, user_id, &day, list).await?
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO coworking_bookings (resource_id, space_id, user_id, date, period, hour, status, list_price_cents, \
         price_cents, pricing, offer_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'confirmed', $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(resource.id)
    .bind(space.id)
    .bind(user_id)
    .bind(&day)
    .bind(period.as_str())
    .bind(hour.map(i64::from))
    .bind(list)
    .bind(price)
    .bind(pricing.as_str())
    .bind(offer)
    .bind(t)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    for unit in rules::units(period, hour) {
        let r = sqlx::query(
            "INSERT INTO coworking_booking_units (booking_id, resource_id, date, unit, user_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(resource.id)
        .bind(&day)
        .bind(unit)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from);
        match r {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Err(BookingError::AlreadyBooked),
            Err(e) => return Err(e.into()),
        }
    }
    if use_credit {
        let credit: Option<i64> = sqlx::query_scalar(
            "UPDATE coworking_credits SET booking_id = $1, spent_at = $2 WHERE id = \
             (SELECT id FROM coworking_credits WHERE user_id = $3 AND space_id = $4 AND booking_id IS NULL \
              AND valid_until >= $5 ORDER BY valid_until, id LIMIT 1) AND booking_id IS NULL RETURNING id",
        )
        .bind(id)
        .bind(t)
        .bind(user_id)
        .bind(space.id)
        .bind(&day)
        .fetch_optional(&mut **tx)
        .await
        .map_err(StoreError::from)?;
        let Some(credit) = credit else {
            return Err(BookingError::NoCredit);
        };
        sqlx::query("UPDATE coworking_bookings SET credit_id = $1 WHERE id = $2")
            .bind(credit)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(id)
}

/// The price a person pays: a free trial day while they have some left, else the best
/// discount in force, else the list price. Offers are for people of alliance members.
async fn price_for(
    tx: &mut Tx,
    space_id: i64,
    user_id: i64,
    day: &str,
    list: i64,
) -> Result<(Pricing, i64, Option<i64>), BookingError> {
    let offers: Vec<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT f.id, f.kind, f.discount_percent, f.trial_days FROM coworking_offers f \
         WHERE f.space_id = $1 AND f.kind IN ('discount', 'free_trial') AND {} \
           AND EXISTS (SELECT 1 FROM organization_members m JOIN alliance_members a ON a.organization_id = m.organization_id \
                       WHERE m.user_id = $3) ORDER BY f.id",
        OFFER_IN_FORCE.replace("$DATE", "$2")
    ))
    .bind(space_id)
    .bind(day)
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    if offers.is_empty() || list == 0 {
        return Ok((Pricing::List, list, None));
    }
    for (id, kind, _, trial_days) in &offers {
        if kind == "free_trial" {
            let used: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM coworking_bookings WHERE user_id = $1 AND space_id = $2 AND pricing = 'trial' \
                 AND status <> 'cancelled'",
            )
            .bind(user_id)
            .bind(space_id)
            .fetch_one(&mut **tx)
            .await
            .map_err(StoreError::from)?;
            if used < trial_days.unwrap_or(0) {
                return Ok((Pricing::Trial, 0, Some(*id)));
            }
        }
    }
    let best = offers
        .iter()
        .filter(|o| o.1 == "discount")
        .max_by_key(|o| o.2.unwrap_or(0));
    Ok(match best {
        Some((id, _, Some(p), _)) => (Pricing::Discount, rules::discounted(list, *p), Some(*id)),
        _ => (Pricing::List, list, None),
    })
}

/// The latitude and longitude ranges that hold a circle of `r` metres around a point.
fn bounding_box(lat: f64, lon: f64, r: f64) -> (f64, f64, f64, f64) {
    let dlat = r / 111_000.0;
    let dlon = r / (111_000.0 * lat.to_radians().cos().max(0.1));
    (lat - dlat, lat + dlat, lon - dlon, lon + dlon)
}

fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// The organisation that owns imported spaces when no operator is given.
pub const IMPORT_OPERATOR_NAME: &str =
    "Elenco coworking qualificati – Comune di Milano (importazione)";
/// Its identifier in `organizations.tax_code` (unique), so it is found again on re-import.
pub const IMPORT_OPERATOR_TAX_CODE: &str = "IMPORT-COWORKING-COMUNE-MILANO";
/// The name of the open-desk resource an imported space gets when the list gives its seats.
pub const IMPORT_RESOURCE_NAME: &str = "Open space";

/// What [`Db::import_spaces`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub operator_id: i64,
    pub created: usize,
    pub updated: usize,
    pub resources_created: usize,
}

/// Binds a space's details in the one column order that both its INSERT and its UPDATE use.
fn bind_space_details<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    s: &'q NewSpace,
    place: (i64, i64),
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&s.name)
        .bind(s.description_it.as_deref())
        .bind(s.description_en.as_deref())
        .bind(&s.address)
        .bind(s.lat)
        .bind(s.lon)
        .bind(place.0)
        .bind(place.1)
        .bind(s.hours.encode())
        .bind(rules::Amenity::mask(&s.amenities))
        .bind(s.email.as_deref())
        .bind(s.phone.as_deref())
        .bind(s.website.as_deref())
        .bind(s.price_day_cents)
        .bind(s.price_half_day_cents)
        .bind(s.price_month_cents)
        .bind(s.rules.horizon_days)
        .bind(s.rules.max_active_bookings)
        .bind(s.rules.cancel_hours)
}
