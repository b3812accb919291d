//! The category catalogue and the routing table.

use dualnet_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Store;
use crate::domain::{
    catalogue::{Category, route_keys},
    complaint::CategoryDeadline,
    location::FALLBACK_OWNER,
};

type Row = (String, String, String, Option<String>, Option<i32>, String, bool);

const COLUMNS: &str = "code, name, description, deadline_unit, deadline, grp, active";

fn from_row((code, name, description, unit, deadline, group, active): Row) -> Category {
    let n = deadline.and_then(|d| u32::try_from(d).ok());
    let deadline = match (unit.as_deref(), n) {
        (Some("working_days"), Some(n)) => Some(CategoryDeadline::WorkingDays(n)),
        (Some("hours"), Some(n)) => Some(CategoryDeadline::Hours(n)),
        _ => None,
    };
    Category { code, name, description, deadline, group, active }
}

/// An active category of the catalogue.
pub async fn active(conn: &mut PgConnection, code: &str) -> Result<Option<Category>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM categories WHERE code = $1 AND active"))
        .bind(code)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(from_row))
}

/// The lead department for a request: the most specific route for its
/// category, in its community before any community.
pub async fn route(conn: &mut PgConnection, category: &str, community: Option<Uuid>) -> Result<String, sqlx::Error> {
    let keys = route_keys(category);
    let department: Option<String> = sqlx::query_scalar(
        "SELECT department FROM routes
         WHERE category = ANY($1) AND (community_id = $2 OR community_id = '00000000-0000-0000-0000-000000000000')
         ORDER BY array_position($1, category), community_id = '00000000-0000-0000-0000-000000000000' LIMIT 1",
    )
    .bind(&keys)
    .bind(community.unwrap_or_default())
    .fetch_optional(conn)
    .await?;
    Ok(department.unwrap_or_else(|| FALLBACK_OWNER.into()))
}

impl Store {
    pub async fn set_category(&self, c: &Category) -> Result<Category, ApiError> {
        let (unit, n) = match c.deadline {
            Some(CategoryDeadline::WorkingDays(n)) => (Some("working_days"), Some(n)),
            Some(CategoryDeadline::Hours(n)) => (Some("hours"), Some(n)),
            None => (None, None),
        };
        sqlx::query(
            "INSERT INTO categories (code, name, description, deadline_unit, deadline, grp, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
                 deadline_unit = EXCLUDED.deadline_unit, deadline = EXCLUDED.deadline, grp = EXCLUDED.grp,
                 active = EXCLUDED.active",
        )
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.description)
        .bind(unit)
        .bind(n.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
        .bind(&c.group)
        .bind(c.active)
        .execute(&self.pool)
        .await?;
        Ok(c.clone())
    }

    pub async fn categories(&self, active_only: bool) -> Result<Vec<Category>, ApiError> {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM categories WHERE active OR NOT $1 ORDER BY code"))
                .bind(active_only)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    pub async fn category(&self, code: &str) -> Result<Category, ApiError> {
        let mut conn = self.pool.acquire().await?;
        active(&mut conn, code).await?.ok_or_else(|| ApiError::NotFound("category".into()))
    }

    pub async fn set_route(&self, category: &str, community: Option<Uuid>, department: &str) -> Result<(), ApiError> {
        sqlx::query(
            "INSERT INTO routes (category, community_id, department) VALUES ($1, $2, $3)
             ON CONFLICT (category, community_id) DO UPDATE SET department = EXCLUDED.department",
        )
        .bind(category)
        .bind(community.unwrap_or_default())
        .bind(department)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn routes(&self) -> Result<Vec<(String, Option<Uuid>, String)>, ApiError> {
        let rows: Vec<(String, Uuid, String)> =
            sqlx::query_as("SELECT category, community_id, department FROM routes ORDER BY category, community_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(c, id, d)| (c, Some(id).filter(|i| !i.is_nil()), d)).collect())
    }
}
