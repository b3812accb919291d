//! The read model of governance-grid's map, and where a request lies on it.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::location::{LocatedBy, NEAR_METRES, normalise_address};

/// Where a request lies: its building, grid and community when found.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub building_id: Option<Uuid>,
    pub grid_id: Option<Uuid>,
    pub community_id: Option<Uuid>,
    pub located_by: LocatedBy,
}

impl Place {
    fn nowhere() -> Self {
        Self { building_id: None, grid_id: None, community_id: None, located_by: LocatedBy::None }
    }
}

/// Resolves a building, else an address, else coordinates. A building the
/// map does not (yet) know is kept as given, without grid and community.
pub async fn resolve(
    conn: &mut PgConnection,
    building: Option<Uuid>,
    address: &str,
    location: Option<(f64, f64)>,
) -> Result<Place, sqlx::Error> {
    if let Some(b) = building {
        let found: Option<(Uuid, Option<Uuid>)> = sqlx::query_as(
            "SELECT b.grid_id, g.community_id FROM known_buildings b LEFT JOIN known_grids g ON g.grid_id = b.grid_id
             WHERE b.building_id = $1",
        )
        .bind(b)
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(Place {
            building_id: Some(b),
            grid_id: found.map(|f| f.0),
            community_id: found.and_then(|f| f.1),
            located_by: if found.is_some() { LocatedBy::Building } else { LocatedBy::None },
        });
    }
    let key = normalise_address(address);
    if !key.is_empty() {
        let found: Option<(Uuid, Uuid, Option<Uuid>)> = sqlx::query_as(
            "SELECT b.building_id, b.grid_id, g.community_id FROM known_buildings b
             LEFT JOIN known_grids g ON g.grid_id = b.grid_id WHERE b.address_key = $1 LIMIT 1",
        )
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((b, g, c)) = found {
            return Ok(Place {
                building_id: Some(b),
                grid_id: Some(g),
                community_id: c,
                located_by: LocatedBy::Address,
            });
        }
    }
    if let Some((lat, lon)) = location {
        // A box of about 100 m first (cheap on the index), then the true
        // distance; the nearest building wins.
        let dlat = NEAR_METRES / 111_320.0;
        let dlon = dlat / lat.to_radians().cos().max(0.01);
        let near: Vec<(Uuid, Uuid, Option<Uuid>, f64, f64)> = sqlx::query_as(
            "SELECT b.building_id, b.grid_id, g.community_id, b.latitude, b.longitude FROM known_buildings b
             LEFT JOIN known_grids g ON g.grid_id = b.grid_id
             WHERE b.latitude BETWEEN $1 AND $2 AND b.longitude BETWEEN $3 AND $4",
        )
        .bind(lat - dlat)
        .bind(lat + dlat)
        .bind(lon - dlon)
        .bind(lon + dlon)
        .fetch_all(&mut *conn)
        .await?;
        let nearest = near
            .into_iter()
            .map(|(b, g, c, blat, blon)| (crate::domain::location::distance_metres((lat, lon), (blat, blon)), b, g, c))
            .filter(|(d, ..)| *d <= NEAR_METRES)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, b, g, c)) = nearest {
            return Ok(Place {
                building_id: Some(b),
                grid_id: Some(g),
                community_id: c,
                located_by: LocatedBy::Coordinates,
            });
        }
    }
    Ok(Place::nowhere())
}

pub async fn remember_grid(conn: &mut PgConnection, grid_id: Uuid, community_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_grids (grid_id, community_id) VALUES ($1, $2)
         ON CONFLICT (grid_id) DO UPDATE SET community_id = EXCLUDED.community_id",
    )
    .bind(grid_id)
    .bind(community_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remember_building(
    conn: &mut PgConnection,
    building_id: Uuid,
    grid_id: Uuid,
    address: &str,
    location: Option<(f64, f64)>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_buildings (building_id, grid_id, address_key, latitude, longitude) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (building_id) DO UPDATE SET grid_id = EXCLUDED.grid_id, address_key = EXCLUDED.address_key,
             latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude",
    )
    .bind(building_id)
    .bind(grid_id)
    .bind(normalise_address(address))
    .bind(location.map(|l| l.0))
    .bind(location.map(|l| l.1))
    .execute(conn)
    .await?;
    Ok(())
}
