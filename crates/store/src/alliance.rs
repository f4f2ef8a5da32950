//! The alliance: alliances, action lines, programmes, organisations, membership requests.

use mire_domain::alliance::NewOrganization;
use serde::Serialize;
use sqlx::FromRow;

use crate::{now, Db, Result, StoreError};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Alliance {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub territory: String,
    pub summary_it: String,
    pub summary_en: String,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ActionLine {
    pub id: i64,
    pub slug: String,
    pub position: i64,
    pub name_it: String,
    pub name_en: String,
    pub summary_it: String,
    pub summary_en: String,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Programme {
    pub id: i64,
    pub name: String,
    pub start_year: i64,
    pub end_year: Option<i64>,
    pub summary_it: String,
    pub summary_en: String,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub tax_code: String,
    pub size_class: Option<String>,
    pub sector: Option<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub nil_id: Option<i64>,
    pub municipio: Option<i64>,
    pub is_demo: i64,
    pub created_at: i64,
}

/// An organisation as a member of an alliance, as the directory lists it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Member {
    pub organization_id: i64,
    pub name: String,
    pub kind: String,
    pub size_class: Option<String>,
    pub sector: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub nil_id: Option<i64>,
    pub municipio: Option<i64>,
    pub is_demo: i64,
    pub role: String,
    pub joined_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct MembershipRequest {
    pub id: i64,
    pub alliance_id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub requested_by: Option<i64>,
    pub message: String,
    pub status: String,
    pub role: Option<String>,
    pub reason: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

/// Someone who works for or represents an organisation.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Person {
    pub user_id: i64,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
}

/// Filters of the member directory; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub kind: Option<String>,
    pub municipio: Option<i64>,
    pub action_line: Option<String>,
}

/// Headline numbers for the home page, counted live.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AllianceCounts {
    pub members: i64,
    pub companies: i64,
    pub coworking_operators: i64,
    pub welfare_providers: i64,
    pub municipi: i64,
}

/// Why a membership decision could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("the request is not pending")]
    NotPending,
    #[error(transparent)]
    Store(#[from] StoreError),
}

const ORG_COLUMNS: &str =
    "id, name, kind, tax_code, size_class, sector, address, lat, lon, nil_id, municipio, is_demo, created_at";
const REQUEST_COLUMNS: &str =
    "r.id, r.alliance_id, r.organization_id, o.name AS organization_name, r.requested_by, \
     r.message, r.status, r.role, r.reason, r.decided_at, r.created_at";

pub struct NewAlliance<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub territory: &'a str,
    pub summary_it: &'a str,
    pub summary_en: &'a str,
}

impl Db {
    pub async fn create_alliance(&self, a: &NewAlliance<'_>) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO alliances (slug, name, territory, summary_it, summary_en, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(a.slug)
        .bind(a.name)
        .bind(a.territory)
        .bind(a.summary_it)
        .bind(a.summary_en)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_action_line(&self, alliance_id: i64, l: &ActionLine) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO action_lines (alliance_id, slug, position, name_it, name_en, summary_it, summary_en) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(alliance_id)
        .bind(&l.slug)
        .bind(l.position)
        .bind(&l.name_it)
        .bind(&l.name_en)
        .bind(&l.summary_it)
        .bind(&l.summary_en)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_programme(&self, alliance_id: i64, p: &Programme) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO programmes (alliance_id, name, start_year, end_year, summary_it, summary_en) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(alliance_id)
        .bind(&p.name)
        .bind(p.start_year)
        .bind(p.end_year)
        .bind(&p.summary_it)
        .bind(&p.summary_en)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn alliances(&self) -> Result<Vec<Alliance>> {
        Ok(sqlx::query_as(
            "SELECT id, slug, name, territory, summary_it, summary_en FROM alliances ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?)
    }

    /// The alliance the portal shows when none is named: the first one created.
    pub async fn default_alliance(&self) -> Result<Alliance> {
        Ok(sqlx::query_as("SELECT id, slug, name, territory, summary_it, summary_en FROM alliances ORDER BY id LIMIT 1")
            .fetch_one(self.reader())
            .await?)
    }

    /// The alliance with this slug, or the default one when `slug` is empty.
    pub async fn alliance(&self, slug: &str) -> Result<Alliance> {
        let slug = slug.trim();
        if slug.is_empty() {
            return self.default_alliance().await;
        }
        Ok(sqlx::query_as(
            "SELECT id, slug, name, territory, summary_it, summary_en FROM alliances WHERE slug = $1",
        )
        .bind(slug)
        .fetch_one(self.reader())
        .await?)
    }

    /// The alliances an organisation belongs to or has asked to join: whose coordinators
    /// may see its private details.
    pub async fn alliances_of_organization(&self, organization_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT alliance_id FROM alliance_members WHERE organization_id = $1 \
             UNION SELECT alliance_id FROM membership_requests WHERE organization_id = $1",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn action_lines(&self, alliance_id: i64) -> Result<Vec<ActionLine>> {
        Ok(sqlx::query_as(
            "SELECT id, slug, position, name_it, name_en, summary_it, summary_en FROM action_lines \
             WHERE alliance_id = $1 ORDER BY position",
        )
        .bind(alliance_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn programmes(&self, alliance_id: i64) -> Result<Vec<Programme>> {
        Ok(sqlx::query_as(
            "SELECT id, name, start_year, end_year, summary_it, summary_en FROM programmes \
             WHERE alliance_id = $1 ORDER BY start_year",
        )
        .bind(alliance_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Registers an organisation; its creator becomes its representative with `role`.
    /// `Conflict` when the tax code is already registered.
    pub async fn create_organization(
        &self,
        o: &NewOrganization,
        place: Option<(i64, i64)>,
        created_by: Option<i64>,
        representative_role: &str,
        is_demo: bool,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organizations (name, kind, tax_code, size_class, sector, address, lat, lon, nil_id, municipio, \
             is_demo, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(&o.name)
        .bind(o.kind.as_str())
        .bind(o.tax_code.as_str())
        .bind(o.size_class.map(|s| s.as_str()))
        .bind(o.sector.as_deref())
        .bind(&o.address)
        .bind(o.lat)
        .bind(o.lon)
        .bind(place.map(|p| p.0))
        .bind(place.map(|p| p.1))
        .bind(i64::from(is_demo))
        .bind(created_by)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        if let Some(user_id) = created_by {
            sqlx::query("INSERT INTO organization_members (user_id, organization_id, role) VALUES ($1, $2, $3)")
                .bind(user_id)
                .bind(id)
                .bind(representative_role)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn organization(&self, id: i64) -> Result<Organization> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    pub async fn organizations(&self, limit: i64, offset: i64) -> Result<Vec<Organization>> {
        let sql =
            format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY name, id LIMIT $1 OFFSET $2");
        Ok(sqlx::query_as(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?)
    }

    /// The organisations a user represents or works for, with the role held in each.
    pub async fn organizations_of(&self, user_id: i64) -> Result<Vec<(Organization, String)>> {
        let sql = format!(
            "SELECT {}, m.role FROM organizations o JOIN organization_members m ON m.organization_id = o.id \
             WHERE m.user_id = $1 ORDER BY o.name",
            ORG_COLUMNS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                Ok((Organization::from_row(r)?, r.try_get::<String, _>("role")?))
            })
            .collect()
    }

    /// The user's role in the organisation, if any: the basis of every per-record check.
    pub async fn organization_role(
        &self,
        user_id: i64,
        organization_id: i64,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT role FROM organization_members WHERE user_id = $1 AND organization_id = $2",
        )
        .bind(user_id)
        .bind(organization_id)
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn is_alliance_staff(
        &self,
        user_id: i64,
        alliance_id: i64,
        role: &str,
    ) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM alliance_staff WHERE user_id = $1 AND alliance_id = $2 AND role = $3",
        )
        .bind(user_id)
        .bind(alliance_id)
        .bind(role)
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }

    /// The people of an organisation. Private to it and its alliances' coordinators.
    pub async fn organization_people(&self, organization_id: i64) -> Result<Vec<Person>> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.display_name, u.email, m.role FROM users u \
             JOIN organization_members m ON m.user_id = u.id \
             WHERE m.organization_id = $1 AND u.deleted_at IS NULL ORDER BY u.display_name",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// The e-mail addresses of an organisation's people, to tell them of a decision.
    pub async fn organization_emails(&self, organization_id: i64) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT u.email, u.locale FROM users u JOIN organization_members m ON m.user_id = u.id \
             WHERE m.organization_id = $1 AND u.email IS NOT NULL AND m.role <> 'worker'",
        )
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn member_role(
        &self,
        alliance_id: i64,
        organization_id: i64,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT role FROM alliance_members WHERE alliance_id = $1 AND organization_id = $2",
        )
        .bind(alliance_id)
        .bind(organization_id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Files a request to join. `Conflict` when one is already pending or the organisation is
    /// already a member (checked inside the write transaction, so two clicks file one request).
    pub async fn create_membership_request(
        &self,
        alliance_id: i64,
        organization_id: i64,
        requested_by: Option<i64>,
        message: &str,
        action_line_ids: &[i64],
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let member: Option<String> = sqlx::query_scalar(
            "SELECT role FROM alliance_members WHERE alliance_id = $1 AND organization_id = $2",
        )
        .bind(alliance_id)
        .bind(organization_id)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(StoreError::Conflict("already_member".into()));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO membership_requests (alliance_id, organization_id, requested_by, message, status, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
        )
        .bind(alliance_id)
        .bind(organization_id)
        .bind(requested_by)
        .bind(message)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        for line in action_line_ids {
            sqlx::query(
                "INSERT INTO request_action_lines (request_id, action_line_id) \
                 SELECT $1, id FROM action_lines WHERE id = $2 AND alliance_id = $3",
            )
            .bind(id)
            .bind(line)
            .bind(alliance_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn membership_request(&self, id: i64) -> Result<MembershipRequest> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM membership_requests r JOIN organizations o ON o.id = r.organization_id WHERE r.id = $1"
        );
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await?)
    }

    /// Requests of an alliance, newest first; only pending ones when `pending_only`.
    pub async fn membership_requests(
        &self,
        alliance_id: i64,
        pending_only: bool,
    ) -> Result<Vec<MembershipRequest>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM membership_requests r JOIN organizations o ON o.id = r.organization_id \
             WHERE r.alliance_id = $1 AND ($2 = 0 OR r.status = 'pending') ORDER BY r.id DESC"
        );
        Ok(sqlx::query_as(&sql)
            .bind(alliance_id)
            .bind(i64::from(pending_only))
            .fetch_all(self.reader())
            .await?)
    }

    pub async fn membership_requests_of(
        &self,
        organization_id: i64,
    ) -> Result<Vec<MembershipRequest>> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM membership_requests r JOIN organizations o ON o.id = r.organization_id \
             WHERE r.organization_id = $1 ORDER BY r.id DESC"
        );
        Ok(sqlx::query_as(&sql)
            .bind(organization_id)
            .fetch_all(self.reader())
            .await?)
    }

    /// Approves a pending request: the organisation joins with `role` and the action lines
    /// it asked for. Only the first decision on a request counts.
    pub async fn approve_membership(
        &self,
        request_id: i64,
        role: &str,
        decided_by: i64,
    ) -> Result<(), DecisionError> {
        let mut tx = self.begin().await?;
        let t = now();
        let row: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE membership_requests SET status = 'approved', role = $1, decided_by = $2, decided_at = $3 \
             WHERE id = $4 AND status = 'pending' RETURNING alliance_id, organization_id",
        )
        .bind(role)
        .bind(decided_by)
        .bind(t)
        .bind(request_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let (alliance_id, organization_id) = row.ok_or(DecisionError::NotPending)?;
        sqlx::query(
            "INSERT INTO alliance_members (alliance_id, organization_id, role, joined_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (alliance_id, organization_id) DO UPDATE SET role = excluded.role",
        )
        .bind(alliance_id)
        .bind(organization_id)
        .bind(role)
        .bind(t)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        sqlx::query(
            "INSERT INTO member_action_lines (alliance_id, organization_id, action_line_id) \
             SELECT $1, $2, action_line_id FROM request_action_lines WHERE request_id = $3 ON CONFLICT DO NOTHING",
        )
        .bind(alliance_id)
        .bind(organization_id)
        .bind(request_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    pub async fn reject_membership(
        &self,
        request_id: i64,
        reason: &str,
        decided_by: i64,
    ) -> Result<(), DecisionError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE membership_requests SET status = 'rejected', reason = $1, decided_by = $2, decided_at = $3 \
             WHERE id = $4 AND status = 'pending'",
        )
        .bind(reason)
        .bind(decided_by)
        .bind(now())
        .bind(request_id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() == 0 {
            return Err(DecisionError::NotPending);
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Adds an organisation straight to the alliance (the demo seed and the lead partner).
    pub async fn add_member(
        &self,
        alliance_id: i64,
        organization_id: i64,
        role: &str,
        lines: &[i64],
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO alliance_members (alliance_id, organization_id, role, joined_at) VALUES ($1, $2, $3, $4)")
            .bind(alliance_id)
            .bind(organization_id)
            .bind(role)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        for line in lines {
            sqlx::query("INSERT INTO member_action_lines (alliance_id, organization_id, action_line_id) VALUES ($1, $2, $3)")
                .bind(alliance_id)
                .bind(organization_id)
                .bind(line)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx.commit().await?)
    }

    pub async fn members(&self, alliance_id: i64, f: &MemberFilter) -> Result<Vec<Member>> {
        Ok(sqlx::query_as(
            "SELECT o.id AS organization_id, o.name, o.kind, o.size_class, o.sector, o.lat, o.lon, o.nil_id, \
                    o.municipio, o.is_demo, m.role, m.joined_at \
               FROM alliance_members m JOIN organizations o ON o.id = m.organization_id \
              WHERE m.alliance_id = $1 \
                AND ($2 = '' OR o.kind = $2) \
                AND ($3 = 0 OR o.municipio = $3) \
                AND ($4 = '' OR EXISTS (SELECT 1 FROM member_action_lines ml JOIN action_lines l ON l.id = ml.action_line_id \
                     WHERE ml.alliance_id = m.alliance_id AND ml.organization_id = o.id AND l.slug = $4)) \
              ORDER BY CASE m.role WHEN 'lead_partner' THEN 0 WHEN 'partner' THEN 1 ELSE 2 END, o.name",
        )
        .bind(alliance_id)
        .bind(f.kind.clone().unwrap_or_default())
        .bind(f.municipio.unwrap_or(0))
        .bind(f.action_line.clone().unwrap_or_default())
        .fetch_all(self.reader())
        .await?)
    }

    /// The action-line slugs each member of the alliance takes part in.
    pub async fn member_action_lines(
        &self,
        alliance_id: i64,
        organization_id: i64,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT l.slug FROM member_action_lines ml JOIN action_lines l ON l.id = ml.action_line_id \
             WHERE ml.alliance_id = $1 AND ml.organization_id = $2 ORDER BY l.position",
        )
        .bind(alliance_id)
        .bind(organization_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn alliance_counts(&self, alliance_id: i64) -> Result<AllianceCounts> {
        let (members, companies, coworking_operators, welfare_providers, municipi): (i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT COUNT(*), \
                        COALESCE(SUM(CASE WHEN o.kind = 'company' THEN 1 ELSE 0 END), 0), \
                        COALESCE(SUM(CASE WHEN o.kind = 'coworking_operator' THEN 1 ELSE 0 END), 0), \
                        COALESCE(SUM(CASE WHEN o.kind IN ('welfare_provider', 'cooperative', 'association') THEN 1 ELSE 0 END), 0), \
                        COUNT(DISTINCT o.municipio) \
                   FROM alliance_members m JOIN organizations o ON o.id = m.organization_id WHERE m.alliance_id = $1",
            )
            .bind(alliance_id)
            .fetch_one(self.reader())
            .await?;
        Ok(AllianceCounts {
            members,
            companies,
            coworking_operators,
            welfare_providers,
            municipi,
        })
    }

    /// True when the database holds no alliance yet (a fresh install, ready for the demo seed).
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alliances")
            .fetch_one(self.reader())
            .await?;
        Ok(n == 0)
    }
}
