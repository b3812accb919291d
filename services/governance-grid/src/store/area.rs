//! Where a place of the map lies, for callers confined to an area: a place
//! is inside when its grid, its community or its subdistrict is listed.

use dualnet_platform::ApiError;
use uuid::Uuid;

use super::{Area, Store};

/// A place of the map a call names.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    Subdistrict(Uuid),
    Community(Uuid),
    Grid(Uuid),
    Building(Uuid),
    Enterprise(Uuid),
    RentalUnit(Uuid),
}

impl Place {
    /// What a caller outside it is told does not exist.
    pub fn noun(self) -> &'static str {
        match self {
            Place::Subdistrict(_) => "subdistrict",
            Place::Community(_) => "community",
            Place::Grid(_) => "grid",
            Place::Building(_) => "building",
            Place::Enterprise(_) => "enterprise",
            Place::RentalUnit(_) => "rental unit",
        }
    }
}

impl Store {
    /// Whether `place` lies in `area`.
    pub async fn place_in_area(&self, place: Place, area: &Area) -> Result<bool, ApiError> {
        // (grid, community, subdistrict) of the place.
        let (lineage, id) = match place {
            Place::Subdistrict(id) => ("SELECT NULL::uuid, NULL::uuid, s.id FROM subdistricts s WHERE s.id = $1", id),
            Place::Community(id) => {
                ("SELECT NULL::uuid, c.id, c.subdistrict_id FROM communities c WHERE c.id = $1", id)
            }
            Place::Grid(id) => (
                "SELECT g.id, c.id, c.subdistrict_id FROM grids g JOIN communities c ON c.id = g.community_id
                 WHERE g.id = $1",
                id,
            ),
            Place::Building(id) => (
                "SELECT g.id, c.id, c.subdistrict_id FROM buildings b JOIN grids g ON g.id = b.grid_id
                 JOIN communities c ON c.id = g.community_id WHERE b.id = $1",
                id,
            ),
            Place::Enterprise(id) => (
                "SELECT g.id, c.id, c.subdistrict_id FROM enterprises e JOIN grids g ON g.id = e.grid_id
                 JOIN communities c ON c.id = g.community_id WHERE e.id = $1",
                id,
            ),
            Place::RentalUnit(id) => (
                "SELECT g.id, c.id, c.subdistrict_id FROM rental_units r JOIN buildings b ON b.id = r.building_id
                 JOIN grids g ON g.id = b.grid_id JOIN communities c ON c.id = g.community_id WHERE r.id = $1",
                id,
            ),
        };
        Ok(sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM ({lineage}) l (grid, community, subdistrict)
             WHERE l.grid = ANY($2) OR l.community = ANY($3) OR l.subdistrict = ANY($4))"
        ))
        .bind(id)
        .bind(&area.grids)
        .bind(&area.communities)
        .bind(&area.subdistricts)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Whether every community of the map lies in `area`'s subdistricts:
    /// what map-wide answers and changes need.
    pub async fn area_covers_map(&self, area: &Area) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM communities WHERE subdistrict_id <> ALL($1))
                AND NOT EXISTS (SELECT 1 FROM subdistricts WHERE id <> ALL($1))",
        )
        .bind(&area.subdistricts)
        .fetch_one(&self.pool)
        .await?)
    }
}
