//! Proximity: a worker's commute profile (il mio tragitto) and the coworking booking days the
//! time-regained sums are made of.
//!
//! The profile is personal data: optional, read only by its owner, included in "download my
//! data" and erased by "delete my account". Aggregates over other people never leave this
//! module as rows about one person of another firm: the web layer sums them.

use serde::Serialize;
use sqlx::FromRow;

use crate::{now, Db, Result};

/// Where a worker lives and works, and how they would go to the office.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct CommuteProfile {
    pub user_id: i64,
    pub home_lat: f64,
    pub home_lon: f64,
    /// The NIL chosen from the list (home is then its centre); `None` for typed coordinates.
    pub home_nil_id: Option<i64>,
    /// The Municipio of residence, located from the home point.
    pub home_municipio: i64,
    pub office_lat: f64,
    pub office_lon: f64,
    pub office_nil_id: Option<i64>,
    /// `car` or `transit`.
    pub mode: String,
    pub updated_at: i64,
}

/// A profile to save (insert or replace).
#[derive(Debug, Clone)]
pub struct NewCommuteProfile<'a> {
    pub home: (f64, f64),
    pub home_nil_id: Option<i64>,
    pub home_municipio: i64,
    pub office: (f64, f64),
    pub office_nil_id: Option<i64>,
    pub mode: &'a str,
}

/// A coworking booking of a person with a commute profile, in a status that counts for the
/// time regained (`confirmed` or `attended`), with the space's location.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CommuteBooking {
    pub booking_id: i64,
    pub user_id: i64,
    pub date: String,
    pub period: String,
    pub status: String,
    pub space_id: i64,
    pub space_name: String,
    pub space_lat: f64,
    pub space_lon: f64,
}

const PROFILE_COLUMNS: &str = "user_id, home_lat, home_lon, home_nil_id, home_municipio, \
    office_lat, office_lon, office_nil_id, mode, updated_at";

const COUNTED_BOOKINGS: &str = "SELECT b.id AS booking_id, b.user_id, b.date, b.period, b.status, \
    s.id AS space_id, s.name AS space_name, s.lat AS space_lat, s.lon AS space_lon \
    FROM coworking_bookings b JOIN coworking_spaces s ON s.id = b.space_id \
    JOIN commute_profiles c ON c.user_id = b.user_id \
    WHERE b.status IN ('confirmed', 'attended')";

impl Db {
    /// Saves a person's commute profile, replacing the one they had.
    pub async fn save_commute_profile(
        &self,
        user_id: i64,
        p: &NewCommuteProfile<'_>,
    ) -> Result<CommuteProfile> {
        let mut tx = self.begin().await?;
        let saved = sqlx::query_as(&format!(
            "INSERT INTO commute_profiles (user_id, home_lat, home_lon, home_nil_id, home_municipio, \
             office_lat, office_lon, office_nil_id, mode, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (user_id) DO UPDATE SET home_lat = excluded.home_lat, \
             home_lon = excluded.home_lon, home_nil_id = excluded.home_nil_id, \
             home_municipio = excluded.home_municipio, office_lat = excluded.office_lat, \
             office_lon = excluded.office_lon, office_nil_id = excluded.office_nil_id, \
             mode = excluded.mode, updated_at = excluded.updated_at \
             RETURNING {PROFILE_COLUMNS}"
        ))
        .bind(user_id)
        .bind(p.home.0)
        .bind(p.home.1)
        .bind(p.home_nil_id)
        .bind(p.home_municipio)
        .bind(p.office.0)
        .bind(p.office.1)
        .bind(p.office_nil_id)
        .bind(p.mode)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// A person's commute profile, if they gave one.
    pub async fn commute_profile(&self, user_id: i64) -> Result<Option<CommuteProfile>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PROFILE_COLUMNS} FROM commute_profiles WHERE user_id = $1"
        ))
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Forgets a person's commute profile; `true` when there was one.
    pub async fn delete_commute_profile(&self, user_id: i64) -> Result<bool> {
        let gone = self
            .write(sqlx::query("DELETE FROM commute_profiles WHERE user_id = $1").bind(user_id))
            .await?
            .rows_affected();
        Ok(gone > 0)
    }

    /// The counted bookings of one person (empty without a commute profile), oldest first.
    pub async fn commute_bookings_of_user(&self, user_id: i64) -> Result<Vec<CommuteBooking>> {
        Ok(sqlx::query_as(&format!(
            "{COUNTED_BOOKINGS} AND b.user_id = $1 ORDER BY b.date, b.id"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The commute profiles of an organisation's employees (role `worker`).
    pub async fn commute_profiles_of_organization(
        &self,
        organization_id: i64,
    ) -> Result<Vec<CommuteProfile>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PROFILE_COLUMNS} FROM commute_profiles WHERE user_id IN \
             (SELECT user_id FROM organization_members WHERE organization_id = $1 AND role = 'worker') \
             ORDER BY user_id"
        ))
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The counted bookings of an organisation's employees (role `worker`), oldest first.
    pub async fn commute_bookings_of_organization(
        &self,
        organization_id: i64,
    ) -> Result<Vec<CommuteBooking>> {
        Ok(sqlx::query_as(&format!(
            "{COUNTED_BOOKINGS} AND b.user_id IN \
             (SELECT user_id FROM organization_members WHERE organization_id = $1 AND role = 'worker') \
             ORDER BY b.user_id, b.date, b.id"
        ))
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Every commute profile, for the public aggregates per Municipio.
    pub async fn commute_profiles(&self) -> Result<Vec<CommuteProfile>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PROFILE_COLUMNS} FROM commute_profiles ORDER BY user_id"
        ))
        .fetch_all(self.reader())
        .await?)
    }

    /// Every counted booking of people with a commute profile, oldest first.
    pub async fn commute_bookings(&self) -> Result<Vec<CommuteBooking>> {
        Ok(sqlx::query_as(&format!(
            "{COUNTED_BOOKINGS} ORDER BY b.user_id, b.date, b.id"
        ))
        .fetch_all(self.reader())
        .await?)
    }
}
