//! What lies in a confined caller's area: the ids of the subdistricts,
//! communities and grids its token names. Organisations are in it through
//! their binding (or the nearest bound organisation above them); tasks,
//! volunteer calls and members through their organisation; map units
//! through their lineage; councils and their topics through their community.

use dualnet_platform::ApiError;
use uuid::Uuid;

use super::Store;

/// Something a call names, to be found in the caller's area.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Organisation(Uuid),
    Task(Uuid),
    VolunteerCall(Uuid),
    Member(Uuid),
    /// A governance unit: subdistrict, community, grid, building, enterprise.
    Unit(Uuid),
    /// A residents' council, in its community's area; its topics with it.
    Council(Uuid),
    Topic(Uuid),
}

impl Store {
    /// Whether `target` lies in `area`.
    pub async fn in_area(&self, target: Target, area: &[Uuid]) -> Result<bool, ApiError> {
        let (sql, id) = match target {
            Target::Organisation(id) => ("SELECT organisation_in_area($1, $2)", id),
            Target::Task(id) => {
                ("SELECT organisation_in_area((SELECT organisation_id FROM linkage_tasks WHERE id = $1), $2)", id)
            }
            Target::VolunteerCall(id) => {
                ("SELECT organisation_in_area((SELECT organisation_id FROM volunteer_calls WHERE id = $1), $2)", id)
            }
            Target::Member(id) => {
                ("SELECT organisation_in_area((SELECT organisation_id FROM members WHERE id = $1), $2)", id)
            }
            Target::Unit(id) => ("SELECT unit_lineage($1) && $2", id),
            Target::Council(id) => ("SELECT council_in_area($1, $2)", id),
            Target::Topic(id) => {
                ("SELECT council_in_area((SELECT council_id FROM council_topics WHERE id = $1), $2)", id)
            }
        };
        Ok(sqlx::query_scalar::<_, Option<bool>>(sql).bind(id).bind(area).fetch_one(&self.pool).await?.unwrap_or(false))
    }

    /// Whether `area` takes in a whole subdistrict: what the network-wide
    /// figures and top-level organisations need.
    pub async fn area_has_subdistrict(&self, area: &[Uuid]) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM governance_units WHERE unit_kind = 'subdistrict' AND unit_id = ANY($1))",
        )
        .bind(area)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Whether `area` takes in every subdistrict known (and at least one):
    /// what the network-wide figures need, since they cover them all.
    pub async fn area_covers_network(&self, area: &[Uuid]) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM governance_units WHERE unit_kind = 'subdistrict' AND unit_id = ANY($1))
                AND NOT EXISTS (SELECT 1 FROM governance_units
                                 WHERE unit_kind = 'subdistrict' AND NOT unit_id = ANY($1))",
        )
        .bind(area)
        .fetch_one(&self.pool)
        .await?)
    }
}
