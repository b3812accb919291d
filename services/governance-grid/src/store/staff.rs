//! Grid workers and building heads on the map.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_proto::governance::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, parent_missing};
use crate::{
    OUTBOX,
    domain::map::{Building, GridWorker},
};

type BuildingRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
);

/// Loads a building and locks its row for the rest of the transaction.
pub async fn lock_building(conn: &mut PgConnection, id: Uuid) -> Result<Building, ApiError> {
    let row: Option<BuildingRow> = sqlx::query_as(
        "SELECT id, grid_id, code, name, address, retired_at, head_staff_code, head_name, latitude, longitude
         FROM buildings WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let (id, grid_id, code, name, address, retired_at, head_code, head_name, lat, lon) =
        row.ok_or_else(|| ApiError::NotFound("building".into()))?;
    Ok(Building {
        id,
        grid_id,
        code,
        name,
        address,
        retired: retired_at.is_some(),
        head: head_code.zip(head_name),
        location: lat.zip(lon),
    })
}

impl Store {
    pub async fn assign_grid_worker(
        &self,
        staff_code: &str,
        grid_id: Uuid,
        name: &str,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<GridWorker, ApiError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO grid_workers (staff_code, grid_id, name, assigned_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (staff_code) DO UPDATE SET grid_id = EXCLUDED.grid_id, name = EXCLUDED.name,
                 assigned_at = EXCLUDED.assigned_at",
        )
        .bind(staff_code)
        .bind(grid_id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| parent_missing(e, "grid"))?;
        let event = pb::GridWorkerAssigned { staff_code: staff_code.into(), grid_id: grid_id.to_string() };
        OUTBOX.append(&mut tx, grid_id, &event, chain).await?;
        tx.commit().await?;
        Ok(GridWorker { staff_code: staff_code.into(), grid_id, name: name.into(), assigned_at: now })
    }

    pub async fn grid_workers(&self, grid_id: Uuid) -> Result<Vec<GridWorker>, ApiError> {
        let rows: Vec<(String, Uuid, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT staff_code, grid_id, name, assigned_at FROM grid_workers WHERE grid_id = $1 ORDER BY staff_code",
        )
        .bind(grid_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(staff_code, grid_id, name, assigned_at)| GridWorker { staff_code, grid_id, name, assigned_at })
            .collect())
    }

    /// The grid a worker serves.
    pub async fn grid_of_worker(&self, staff_code: &str) -> Result<Uuid, ApiError> {
        sqlx::query_scalar("SELECT grid_id FROM grid_workers WHERE staff_code = $1")
            .bind(staff_code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound("grid worker".into()))
    }

    pub async fn assign_building_head(
        &self,
        building_id: Uuid,
        staff_code: &str,
        name: &str,
        chain: &Chain,
    ) -> Result<Building, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut building = lock_building(&mut tx, building_id).await?;
        if building.retired {
            return Err(ApiError::FailedPrecondition("the building is retired".into()));
        }
        sqlx::query("UPDATE buildings SET head_staff_code = $2, head_name = $3 WHERE id = $1")
            .bind(building_id)
            .bind(staff_code)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let event = pb::BuildingHeadAssigned {
            building_id: building_id.to_string(),
            grid_id: building.grid_id.to_string(),
            staff_code: staff_code.into(),
        };
        OUTBOX.append(&mut tx, building_id, &event, chain).await?;
        tx.commit().await?;
        building.head = Some((staff_code.into(), name.into()));
        Ok(building)
    }
}
