//! People: users, their roles, sessions, API tokens and password resets.
//! Secrets (session ids, tokens, reset links) are stored only as SHA-256 hashes.

use serde::Serialize;
use sqlx::FromRow;

use crate::{now, Db, Result, StoreError};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct User {
    pub id: i64,
    pub email: Option<String>,
    pub display_name: String,
    pub locale: String,
    pub is_demo: i64,
    pub created_at: i64,
}

/// A role held in an organisation (`company`, `worker`, ...) or in an alliance (`coordinator`).
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct RoleGrant {
    pub role: String,
    pub organization_id: Option<i64>,
    pub alliance_id: Option<i64>,
    /// The organisation's or alliance's name, for display.
    pub scope_name: String,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const USER_COLUMNS: &str = "id, email, display_name, locale, is_demo, created_at";

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub locale: &'a str,
    pub is_demo: bool,
    /// Accounts made by operators (CLI, seed) are trusted; sign-ups confirm by e-mail.
    pub verified: bool,
}

impl Db {
    /// Creates a user; `Conflict` when the e-mail address is taken.
    pub async fn create_user(&self, u: &NewUser<'_>) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, display_name, locale, is_demo, email_verified_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(u.email)
        .bind(u.password_hash)
        .bind(u.display_name)
        .bind(u.locale)
        .bind(i64::from(u.is_demo))
        .bind(u.verified.then(now))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// The user and password hash for a login attempt: only confirmed, live accounts.
    pub async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email = $1 AND deleted_at IS NULL AND password_hash IS NOT NULL \
             AND email_verified_at IS NOT NULL"
        );
        let Some(user) = sqlx::query_as::<_, User>(&sql)
            .bind(email)
            .fetch_optional(self.reader())
            .await?
        else {
            return Ok(None);
        };
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(self.reader())
            .await?;
        Ok(Some((user, hash)))
    }

    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL")
                .bind(email)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    pub async fn update_profile(
        &self,
        user_id: i64,
        display_name: &str,
        locale: &str,
    ) -> Result<()> {
        self.write(
            sqlx::query("UPDATE users SET display_name = $1, locale = $2 WHERE id = $3")
                .bind(display_name)
                .bind(locale)
                .bind(user_id),
        )
        .await?;
        Ok(())
    }

    /// Sets a new password and ends every session and pending reset of the user, so a
    /// stolen session does not survive a password change.
    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL AND purpose = 'reset'")
            .bind(now())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }

    pub async fn grant_alliance_role(
        &self,
        user_id: i64,
        alliance_id: i64,
        role: &str,
    ) -> Result<()> {
        self.write(sqlx::query(
            "INSERT INTO alliance_staff (user_id, alliance_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(alliance_id)
        .bind(role)
        )
        .await?;
        Ok(())
    }

    /// Gives the user a role in an organisation, replacing any earlier role there.
    pub async fn grant_organization_role(
        &self,
        user_id: i64,
        organization_id: i64,
        role: &str,
    ) -> Result<()> {
        self.write(sqlx::query(
            "INSERT INTO organization_members (user_id, organization_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, organization_id) DO UPDATE SET role = excluded.role",
        )
        .bind(user_id)
        .bind(organization_id)
        .bind(role)
        )
        .await?;
        Ok(())
    }

    pub async fn roles(&self, user_id: i64) -> Result<Vec<RoleGrant>> {
        Ok(sqlx::query_as(
            "SELECT m.role, m.organization_id, CAST(NULL AS BIGINT) AS alliance_id, o.name AS scope_name \
               FROM organization_members m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 \
             UNION ALL \
             SELECT s.role, CAST(NULL AS BIGINT), s.alliance_id, a.name \
               FROM alliance_staff s JOIN alliances a ON a.id = s.alliance_id WHERE s.user_id = $1 \
             ORDER BY scope_name, role",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        ttl_secs: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let t = now();
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at < $2")
            .bind(user_id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(t)
        .bind(t + ttl_secs)
        .execute(&mut *tx)
        .await?;
        Ok(tx.commit().await?)
    }

    /// The user behind a live session, in one query: every page request asks it.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE deleted_at IS NULL AND id = \
             (SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2)"
        );
        Ok(sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(now())
            .fetch_optional(self.reader())
            .await?)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.write(sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash))
            .await?;
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(prefix)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as(
            "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Revokes one of the user's own tokens; `NotFound` for anyone else's.
    pub async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<()> {
        let done = self.write(sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now())
            .bind(token_id)
            .bind(user_id)
        )
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The user behind a live API token, in one query: every API request asks it.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE deleted_at IS NULL AND id = \
             (SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL)"
        );
        Ok(sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?)
    }

    /// Files a single-use e-mail link (`purpose` is `verify` or `reset`).
    pub async fn create_email_token(
        &self,
        user_id: i64,
        purpose: &str,
        token_hash: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        let t = now();
        self.write(
            sqlx::query(
                "INSERT INTO email_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(purpose)
            .bind(user_id)
            .bind(t)
            .bind(t + ttl_secs),
        )
        .await?;
        Ok(())
    }

    /// Spends an e-mail link: at most once, only before it expires, only for its purpose.
    /// Spending a `verify` link confirms the address.
    pub async fn consume_email_token(
        &self,
        token_hash: &str,
        purpose: &str,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let t = now();
        let user_id: Option<i64> = sqlx::query_scalar(
            "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
             AND expires_at > $1 RETURNING user_id",
        )
        .bind(t)
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&mut *tx)
        .await?;
        if let (Some(id), "verify") = (user_id, purpose) {
            sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL")
                .bind(t)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(user_id)
    }

    /// Everything the platform holds about a person, for "download my data" (GDPR art. 15/20).
    pub async fn export_user_data(&self, user_id: i64) -> Result<serde_json::Value> {
        let user = self.user(user_id).await?;
        let roles = self.roles(user_id).await?;
        let tokens = self.api_tokens(user_id).await?;
        let requests: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, organization_id, message, status, created_at FROM membership_requests WHERE requested_by = $1",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.reader())
            .await?;
        let commute_profile = self.commute_profile(user_id).await?;
        let (upcoming, history) = self.bookings_of_user(user_id, i64::MAX).await?;
        let coworking = serde_json::json!({
            "upcoming_bookings": upcoming,
            "past_and_cancelled_bookings": history,
            "waitlist": self.waitlist_of_user(user_id).await?,
            "credits": self.credits_of_user(user_id).await?,
            "demands": self.demands_posted_by(user_id).await?,
        });
        Ok(serde_json::json!({
            "user": user,
            "commute_profile": commute_profile,
            "coworking": coworking,
            "roles": roles,
            "api_tokens": tokens,
            "active_sessions": sessions,
            "membership_requests": requests.into_iter().map(|(id, org, message, status, created_at)| serde_json::json!({
                "id": id, "organization_id": org, "message": message, "status": status, "created_at": created_at,
            })).collect::<Vec<_>>(),
        }))
    }

    /// Erases a person's data. The user row stays, emptied, so that records others depend on
    /// (an organisation they registered, a request they filed) keep pointing somewhere.
    pub async fn delete_user(&self, user_id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in [
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM api_tokens WHERE user_id = $1",
            "DELETE FROM email_tokens WHERE user_id = $1",
            "DELETE FROM organization_members WHERE user_id = $1",
            "DELETE FROM alliance_staff WHERE user_id = $1",
            "DELETE FROM commute_profiles WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
        }
        // A demand a person posted for themselves has no one left to answer: it closes and its
        // note goes. A firm's demand stays the firm's.
        sqlx::query(
            "UPDATE coworking_demands SET note = NULL, status = 'closed', closed_at = COALESCE(closed_at, $1) \
             WHERE posted_by = $2 AND organization_id IS NULL",
        )
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET email = NULL, password_hash = NULL, display_name = '', deleted_at = $1 WHERE id = $2",
        )
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        Ok(tx.commit().await?)
    }
}
