use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions, AnyQueryResult};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Transaction};

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A write transaction; dropping it without `commit` rolls back.
pub type Tx = Transaction<'static, Any>;

/// The database. On SQLite, reads share a pool while every write goes through a single
/// connection: SQLite admits one writer at a time anyway, and queueing writers in the pool
/// rather than in SQLite's lock means no `SQLITE_BUSY` under load. On PostgreSQL both are the
/// same pool and scarce resources are guarded by row locks and constraints.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
}

impl Db {
    /// Opens `url` (`sqlite://path` or `postgres://...`), creating a SQLite file if missing.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(quiet(url)?)
                .await?;
            return Ok(Db {
                backend: Backend::Postgres,
                read: pool.clone(),
                write: pool,
            });
        }
        let url = sqlite_url(url);
        let write = sqlite_pool(&url, 1).await?;
        // The writer is opened first so that WAL mode is set before readers attach.
        let read = sqlite_pool(&url, 8).await?;
        Ok(Db {
            backend: Backend::Sqlite,
            read,
            write,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for queries that only read.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write inside it can never be overtaken.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// Runs one writing statement in a transaction of its own, so that on SQLite it goes
    /// through the writer's lock like every other write.
    pub async fn write<'q>(
        &self,
        statement: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<AnyQueryResult> {
        let mut tx = self.begin().await?;
        let done = statement.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Applies the migrations this database has not seen yet.
    pub async fn migrate(&self) -> Result<usize> {
        crate::migrations::apply(self).await
    }

    /// A round trip to the database, for `/health`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn quiet(url: &str) -> Result<AnyConnectOptions> {
    // Statements are logged by our own tracing at debug level; sqlx's per-statement info
    // logs would drown the server log (and could carry personal data).
    Ok(AnyConnectOptions::from_str(url)?.disable_statement_logging())
}

/// Accepts `sqlite://file.db`, `sqlite:file.db` or a bare path; always create-if-missing.
fn sqlite_url(url: &str) -> String {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let query = if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    format!("sqlite://{path}?{query}")
}

async fn sqlite_pool(url: &str, size: u32) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(quiet(url)?)
        .await?)
}
