//! MIRE's persistence: one [`Db`] over SQLite (the embedded default) and PostgreSQL.
//!
//! SQL is written once, with `$1` placeholders and `RETURNING`, and runs unchanged on both
//! backends through sqlx's `Any` driver. Only DDL differs, so migrations come in one file per
//! backend. Instants are epoch seconds (UTC), money integer cents.

pub mod accounts;
pub mod alliance;
pub mod coworking;
pub mod coworking_demand;
mod db;
mod migrations;
pub mod proximity;

pub use db::{Backend, Db, Tx};

/// What went wrong talking to the database, in the terms callers act upon.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule of the schema refused the write (someone got there first).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(
                d.constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| d.message().to_owned()),
            ),
            _ => StoreError::Database(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The current instant as epoch seconds, the one clock the store writes.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
