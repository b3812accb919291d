//! Deadlines per category and level (`category_deadlines`).

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use dualnet_platform::{ApiError, calendar::Calendar};
use sqlx::PgConnection;

use super::Store;
use crate::domain::{
    deadline::{CategoryDeadlines, Unit, lookup_order},
    incident::Level,
};

type Row = (String, String, i32, i32, i32);

fn from_row((category, unit, grid, community, subdistrict): Row) -> Result<CategoryDeadlines, sqlx::Error> {
    let unit = Unit::parse(&unit).ok_or_else(|| sqlx::Error::Protocol(format!("stored deadline unit {unit:?}")))?;
    let days = |n: i32| u32::try_from(n).unwrap_or(1);
    Ok(CategoryDeadlines {
        category,
        unit,
        grid: days(grid),
        community: days(community),
        subdistrict: days(subdistrict),
    })
}

/// The deadlines that apply to `category`: its own row, else its closest
/// prefix's, else the default row.
pub async fn for_category(conn: &mut PgConnection, category: &str) -> Result<CategoryDeadlines, sqlx::Error> {
    let keys = lookup_order(category);
    let row: Option<Row> = sqlx::query_as(
        "SELECT category, unit, grid, community, subdistrict FROM category_deadlines
         WHERE category = ANY($1) ORDER BY array_position($1, category) LIMIT 1",
    )
    .bind(&keys)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => from_row(row),
        // The migration seeds the default row; an operator cannot delete it.
        None => Err(sqlx::Error::Protocol("the default category deadlines row is missing".into())),
    }
}

/// When an incident of `category` reaching `level` at `now` is due.
pub async fn due(
    conn: &mut PgConnection,
    calendar: &Calendar,
    category: &str,
    level: Level,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, sqlx::Error> {
    Ok(for_category(conn, category).await?.due(level, now, calendar))
}

impl Store {
    pub async fn set_category_deadlines(&self, d: &CategoryDeadlines) -> Result<CategoryDeadlines, ApiError> {
        let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        sqlx::query(
            "INSERT INTO category_deadlines (category, unit, grid, community, subdistrict, updated_at)
             VALUES ($1, $2, $3, $4, $5, now())
             ON CONFLICT (category) DO UPDATE SET unit = EXCLUDED.unit, grid = EXCLUDED.grid,
                 community = EXCLUDED.community, subdistrict = EXCLUDED.subdistrict, updated_at = now()",
        )
        .bind(&d.category)
        .bind(d.unit.as_str())
        .bind(n(d.grid))
        .bind(n(d.community))
        .bind(n(d.subdistrict))
        .execute(&self.pool)
        .await?;
        Ok(d.clone())
    }

    pub async fn list_category_deadlines(&self) -> Result<Vec<CategoryDeadlines>, ApiError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT category, unit, grid, community, subdistrict FROM category_deadlines ORDER BY category",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
    }
}
