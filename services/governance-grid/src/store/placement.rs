//! Where things stand on the map for an incident (a building's or an
//! enterprise's grid and community), and buildings taken off it.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The grid and community of a building, when the map knows it.
pub async fn building_placement(conn: &mut PgConnection, building_id: Uuid) -> Result<Option<Placement>, sqlx::Error> {
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT b.grid_id, g.community_id FROM buildings b JOIN grids g ON g.id = b.grid_id WHERE b.id = $1",
    )
    .bind(building_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(grid, community)| Placement::new(Some(grid), Some(building_id), Some(community))))
}

/// A grid and its community, when the map knows it.
pub async fn grid_placement(conn: &mut PgConnection, grid_id: Uuid) -> Result<Option<Placement>, sqlx::Error> {
    let community: Option<Uuid> =
        sqlx::query_scalar("SELECT community_id FROM grids WHERE id = $1").bind(grid_id).fetch_optional(conn).await?;
    Ok(community.map(|c| Placement::new(Some(grid_id), None, Some(c))))
}

impl Store {
    pub async fn retire_building(&self, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Building, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut building = staff::lock_building(&mut tx, id).await?;
        if building.retired {
            return Err(ApiError::FailedPrecondition("the building is already retired".into()));
        }
        sqlx::query("UPDATE buildings SET retired_at = $2, retired_reason = $3 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        let event = pb::BuildingRetired {
            building_id: id.to_string(),
            grid_id: building.grid_id.to_string(),
            reason: reason.into(),
        };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(Uuid::now_v7())).await?;
        tx.commit().await?;
        building.retired = true;
        Ok(building)
    }
}

/// The grid and community of an enterprise, when the map knows it.
pub async fn enterprise_placement(conn: &mut PgConnection, enterprise: Uuid) -> Result<Option<Placement>, sqlx::Error> {
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT e.grid_id, g.community_id FROM enterprises e JOIN grids g ON g.id = e.grid_id WHERE e.id = $1",
    )
    .bind(enterprise)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(grid, community)| Placement::new(Some(grid), None, Some(community))))
}
