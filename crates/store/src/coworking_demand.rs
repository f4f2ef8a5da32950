//! Coworking demand: demands with the NIL their desks are wanted in, operators' answers, and
//! the seats offered and asked per NIL.
//!
//! A demand and its NIL are written in one transaction. An operator answers a demand once
//! per space: the unique index `coworking_demand_answers(demand_id, space_id)` refuses a
//! second answer, and an answer is only inserted while the demand is open (the insert
//! selects the demand's row with `status = 'open'`). Closing is a conditional update.

use mire_domain::coworking::iso;
use mire_domain::coworking_demand::{Near, NewDemand};
use serde::Serialize;
use sqlx::FromRow;

use crate::{now, Db, Result, StoreError};

/// A demand as stored, with the firm's name when it is a firm's.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Demand {
    pub id: i64,
    pub alliance_id: i64,
    pub posted_by: i64,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub desks: i64,
    /// Bit mask, Monday bit 0 (see `mire_domain::coworking_demand::Weekdays`).
    pub weekdays: i64,
    pub from_date: String,
    pub near_staff_homes: i64,
    pub budget_cents: Option<i64>,
    pub note: Option<String>,
    pub status: String,
    pub is_demo: i64,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// Desks of a demand wanted in one NIL.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct DemandNil {
    pub demand_id: i64,
    pub nil_id: i64,
    pub desks: i64,
}

/// A demand with the NIL its desks are wanted in.
#[derive(Debug, Clone, Serialize)]
pub struct DemandWithNils {
    #[serde(flatten)]
    pub demand: Demand,
    pub nils: Vec<DemandNil>,
}

/// An operator's answer, with what the poster needs to see: the space and the offer's terms.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Answer {
    pub id: i64,
    pub demand_id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub space_id: i64,
    pub space_name: String,
    pub space_address: String,
    pub offer_id: Option<i64>,
    pub offer_kind: Option<String>,
    pub offer_title: Option<String>,
    pub discount_percent: Option<i64>,
    pub trial_days: Option<i64>,
    pub pack_days: Option<i64>,
    pub pack_price_cents: Option<i64>,
    pub valid_until: Option<String>,
    pub message: String,
    /// The operator's person who answered: kept for the record, not shown to the poster.
    #[serde(skip_serializing)]
    pub answered_by: Option<i64>,
    pub created_at: i64,
}

/// A demand to store: who posts it, for which firm, and the desks per NIL.
#[derive(Debug, Clone)]
pub struct DemandRecord<'a> {
    pub alliance_id: i64,
    pub posted_by: i64,
    pub organization_id: Option<i64>,
    pub demand: &'a NewDemand,
    /// (NIL id, desks), summing to the demand's desks.
    pub nils: &'a [(i64, i64)],
    pub is_demo: bool,
}

/// An answer to store.
#[derive(Debug, Clone)]
pub struct AnswerRecord<'a> {
    pub demand_id: i64,
    pub organization_id: i64,
    pub space_id: i64,
    pub offer_id: Option<i64>,
    pub message: &'a str,
    pub answered_by: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("no such demand")]
    NotFound,
    #[error("the demand is closed")]
    Closed,
    #[error("this space already answered the demand")]
    AlreadyAnswered,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Seats offered (desks of spaces located in the NIL) and asked (desks of open demands).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NilBalance {
    pub nil_id: i64,
    pub seats_offered: i64,
    pub seats_asked: i64,
}

const DEMAND_SELECT: &str = "SELECT d.id, d.alliance_id, d.posted_by, d.organization_id, o.name AS organization_name, \
    d.desks, d.weekdays, d.from_date, d.near_staff_homes, d.budget_cents, d.note, d.status, d.is_demo, \
    d.created_at, d.closed_at FROM coworking_demands d LEFT JOIN organizations o ON o.id = d.organization_id";

const ANSWER_SELECT: &str = "SELECT a.id, a.demand_id, a.organization_id, o.name AS organization_name, a.space_id, \
    s.name AS space_name, s.address AS space_address, a.offer_id, f.kind AS offer_kind, f.title AS offer_title, \
    f.discount_percent, f.trial_days, f.pack_days, f.pack_price_cents, f.valid_until, a.message, a.answered_by, \
    a.created_at FROM coworking_demand_answers a JOIN organizations o ON o.id = a.organization_id \
    JOIN coworking_spaces s ON s.id = a.space_id LEFT JOIN coworking_offers f ON f.id = a.offer_id";

impl Db {
    /// Stores a demand and the NIL its desks are wanted in.
    pub async fn create_demand(&self, r: &DemandRecord<'_>) -> Result<i64> {
        let d = r.demand;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO coworking_demands (alliance_id, posted_by, organization_id, desks, weekdays, from_date, \
             near_staff_homes, budget_cents, note, status, is_demo, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11) RETURNING id",
        )
        .bind(r.alliance_id)
        .bind(r.posted_by)
        .bind(r.organization_id)
        .bind(d.desks)
        .bind(d.weekdays.0)
        .bind(iso(d.from_date))
        .bind(i64::from(d.near == Near::StaffHomes))
        .bind(d.budget_cents)
        .bind(d.note.as_deref())
        .bind(i64::from(r.is_demo))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        for (nil, desks) in r.nils {
            sqlx::query(
                "INSERT INTO coworking_demand_nils (demand_id, nil_id, desks) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(nil)
            .bind(desks)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn demand(&self, id: i64) -> Result<Demand> {
        Ok(sqlx::query_as(&format!("{DEMAND_SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// The NIL of one demand, by NIL id.
    pub async fn demand_nils(&self, demand_id: i64) -> Result<Vec<DemandNil>> {
        Ok(sqlx::query_as(
            "SELECT demand_id, nil_id, desks FROM coworking_demand_nils WHERE demand_id = $1 ORDER BY nil_id",
        )
        .bind(demand_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The demands a person posted and those of the firms they represent (any role but
    /// `worker`), newest first.
    pub async fn demands_of_user(&self, user_id: i64) -> Result<Vec<Demand>> {
        Ok(sqlx::query_as(&format!(
            "{DEMAND_SELECT} WHERE d.posted_by = $1 OR d.organization_id IN \
             (SELECT organization_id FROM organization_members WHERE user_id = $1 AND role <> 'worker') \
             ORDER BY d.id DESC"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The open demands of an alliance, oldest first.
    pub async fn open_demands(&self, alliance_id: i64) -> Result<Vec<Demand>> {
        Ok(sqlx::query_as(&format!(
            "{DEMAND_SELECT} WHERE d.alliance_id = $1 AND d.status = 'open' ORDER BY d.id"
        ))
        .bind(alliance_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The NIL of every open demand of an alliance.
    pub async fn open_demand_nils(&self, alliance_id: i64) -> Result<Vec<DemandNil>> {
        Ok(sqlx::query_as(
            "SELECT n.demand_id, n.nil_id, n.desks FROM coworking_demand_nils n \
             JOIN coworking_demands d ON d.id = n.demand_id \
             WHERE d.alliance_id = $1 AND d.status = 'open' ORDER BY n.demand_id, n.nil_id",
        )
        .bind(alliance_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Closes an open demand; `false` when it was already closed.
    pub async fn close_demand(&self, id: i64) -> Result<bool> {
        let done = self
            .write(
                sqlx::query(
                    "UPDATE coworking_demands SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'open'",
                )
                .bind(now())
                .bind(id),
            )
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The demands a person posted, with their NIL, for "download my data".
    pub async fn demands_posted_by(&self, user_id: i64) -> Result<Vec<DemandWithNils>> {
        let demands: Vec<Demand> = sqlx::query_as(&format!(
            "{DEMAND_SELECT} WHERE d.posted_by = $1 ORDER BY d.id"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(demands.len());
        for d in demands {
            let nils = self.demand_nils(d.id).await?;
            out.push(DemandWithNils { demand: d, nils });
        }
        Ok(out)
    }

    /// Files an operator's answer to an open demand, once per space.
    pub async fn answer_demand(&self, a: &AnswerRecord<'_>) -> Result<i64, AnswerError> {
        let mut tx = self.begin().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO coworking_demand_answers (demand_id, organization_id, space_id, offer_id, message, \
             answered_by, created_at) SELECT d.id, $2, $3, $4, $5, $6, $7 FROM coworking_demands d \
             WHERE d.id = $1 AND d.status = 'open' RETURNING id",
        )
        .bind(a.demand_id)
        .bind(a.organization_id)
        .bind(a.space_id)
        .bind(a.offer_id)
        .bind(a.message)
        .bind(a.answered_by)
        .bind(now())
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => AnswerError::AlreadyAnswered,
            e => AnswerError::Store(e),
        })?;
        let Some(id) = inserted else {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM coworking_demands WHERE id = $1")
                    .bind(a.demand_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
            return Err(match status {
                Some(_) => AnswerError::Closed,
                None => AnswerError::NotFound,
            });
        };
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// The answers to a demand, oldest first.
    pub async fn answers_of_demand(&self, demand_id: i64) -> Result<Vec<Answer>> {
        Ok(sqlx::query_as(&format!(
            "{ANSWER_SELECT} WHERE a.demand_id = $1 ORDER BY a.id"
        ))
        .bind(demand_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn answer(&self, id: i64) -> Result<Answer> {
        Ok(sqlx::query_as(&format!("{ANSWER_SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// (demand, space) pairs an operator organisation has answered.
    pub async fn answered_by_organization(&self, organization_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT demand_id, space_id FROM coworking_demand_answers WHERE organization_id = $1 ORDER BY id",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Per NIL with any supply or demand: seats of the open and fixed desks of the spaces
    /// located there (meeting rooms excluded) and desks of the alliance's open demands.
    pub async fn supply_and_demand(&self, alliance_id: i64) -> Result<Vec<NilBalance>> {
        let offered: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT nil_id, CAST(SUM(desk_seats) AS BIGINT) FROM coworking_spaces \
             WHERE desk_seats > 0 GROUP BY nil_id",
        )
        .fetch_all(self.reader())
        .await?;
        let asked: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT n.nil_id, CAST(SUM(n.desks) AS BIGINT) FROM coworking_demand_nils n \
             JOIN coworking_demands d ON d.id = n.demand_id \
             WHERE d.alliance_id = $1 AND d.status = 'open' GROUP BY n.nil_id",
        )
        .bind(alliance_id)
        .fetch_all(self.reader())
        .await?;
        let mut by_nil: std::collections::BTreeMap<i64, NilBalance> = Default::default();
        for (nil, seats) in offered {
            by_nil.entry(nil).or_default().seats_offered = seats;
        }
        for (nil, desks) in asked {
            by_nil.entry(nil).or_default().seats_asked = desks;
        }
        Ok(by_nil
            .into_iter()
            .map(|(nil_id, b)| NilBalance { nil_id, ..b })
            .collect())
    }
}
