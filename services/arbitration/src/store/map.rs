//! What arbitration knows of the map (governance-grid's events): the
//! enterprises, their grids, and the grids' communities and subdistricts.

use sqlx::PgConnection;
use uuid::Uuid;

use super::Store;
use dualnet_platform::ApiError;

/// Where an enterprise is: its grid, the grid's community and subdistrict
/// (as far as the events told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterprisePlace {
    pub grid: Uuid,
    pub community: Option<Uuid>,
    pub subdistrict: Option<Uuid>,
}

impl EnterprisePlace {
    /// Whether a caller confined to these grids, communities and
    /// subdistricts reaches the enterprise.
    pub fn within(&self, grids: &[Uuid], communities: &[Uuid], subdistricts: &[Uuid]) -> bool {
        grids.contains(&self.grid)
            || self.community.is_some_and(|c| communities.contains(&c))
            || self.subdistrict.is_some_and(|s| subdistricts.contains(&s))
    }
}

pub async fn remember_community(
    conn: &mut PgConnection,
    community: Uuid,
    subdistrict: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_communities (community_id, subdistrict_id) VALUES ($1, $2)
         ON CONFLICT (community_id) DO UPDATE SET subdistrict_id = EXCLUDED.subdistrict_id",
    )
    .bind(community)
    .bind(subdistrict)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remember_grid(conn: &mut PgConnection, grid: Uuid, community: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_grids (grid_id, community_id) VALUES ($1, $2)
         ON CONFLICT (grid_id) DO UPDATE SET community_id = EXCLUDED.community_id",
    )
    .bind(grid)
    .bind(community)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remember_enterprise(conn: &mut PgConnection, enterprise: Uuid, grid: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_enterprises (enterprise_id, grid_id) VALUES ($1, $2)
         ON CONFLICT (enterprise_id) DO UPDATE SET grid_id = EXCLUDED.grid_id",
    )
    .bind(enterprise)
    .bind(grid)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Where enterprise `id` is; `NotFound` when the map has no such
    /// enterprise.
    pub async fn enterprise_place(&self, id: Uuid) -> Result<EnterprisePlace, ApiError> {
        let row: Option<(Uuid, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
            "SELECT e.grid_id, g.community_id, c.subdistrict_id FROM known_enterprises e
             LEFT JOIN known_grids g ON g.grid_id = e.grid_id
             LEFT JOIN known_communities c ON c.community_id = g.community_id
             WHERE e.enterprise_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let (grid, community, subdistrict) =
            row.ok_or_else(|| ApiError::NotFound("enterprise (none such on the map)".into()))?;
        Ok(EnterprisePlace { grid, community, subdistrict })
    }
}
