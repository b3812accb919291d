//! The party network as seen from the map: one grid's organisations and
//! open tasks, and the bindings whose unit changed under them.

#[allow(clippy::wildcard_imports)]
use super::*;
use dualnet_platform::Named;

/// The party network of one grid.
pub struct GridNetwork {
    pub branch: Option<Organisation>,
    pub groups: Vec<Organisation>,
    pub members: Vec<Member>,
    pub open_tasks: Vec<LinkageTask>,
}

impl Store {
    pub async fn grid_network(&self, grid: Uuid) -> Result<GridNetwork, ApiError> {
        let mut conn = self.pool.acquire().await?;
        if !unit_known(&mut conn, UnitKind::Grid, grid).await? {
            return Err(ApiError::NotFound("grid".into()));
        }
        // The branch bound to the grid and the groups bound to its buildings.
        let rows: Vec<OrgRow> = sqlx::query_as(
            "SELECT o.id, o.parent_id, o.kind, o.name, b.unit_kind, b.unit_id
             FROM bindings b JOIN organisations o ON o.id = b.organisation_id
             WHERE (b.unit_kind = 'grid' AND b.unit_id = $1)
                OR (b.unit_kind = 'building' AND b.unit_id IN
                    (SELECT unit_id FROM governance_units WHERE unit_kind = 'building' AND parent_id = $1))
             ORDER BY o.id",
        )
        .bind(grid)
        .fetch_all(&mut *conn)
        .await?;
        let orgs: Vec<Organisation> = rows.into_iter().map(organisation).collect::<Result<_, _>>()?;
        let ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
        let (branches, groups): (Vec<_>, Vec<_>) =
            orgs.into_iter().partition(|o| o.binding.is_some_and(|(k, _)| k == UnitKind::Grid));
        let branch = branches.into_iter().next();
        let members: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE organisation_id = ANY($1) ORDER BY organisation_id, joined_at, id"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        let tasks: Vec<TaskRow> = sqlx::query_as(&format!(
            "SELECT {TASK_COLUMNS} FROM linkage_tasks WHERE organisation_id = ANY($1) AND status IN ('open', 'accepted')
             ORDER BY created_at, id"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        Ok(GridNetwork {
            branch,
            groups,
            members: members.into_iter().map(member).collect::<Result<_, _>>()?,
            open_tasks: tasks.into_iter().map(TaskRow::into_task).collect::<Result<_, _>>()?,
        })
    }
}

/// A binding whose unit changed under it.
pub struct Flagged {
    pub organisation_id: Uuid,
    pub unit: UnitKind,
    pub unit_id: Uuid,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Flagged bindings, of organisations in `area` when one is given.
    /// Oldest flag first; after `after` (flagged, organisation) when given.
    pub async fn flagged_bindings(
        &self,
        limit: i64,
        after: Option<(DateTime<Utc>, Uuid)>,
        area: Option<&[Uuid]>,
    ) -> Result<Vec<Flagged>, ApiError> {
        let rows: Vec<(Uuid, String, Uuid, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT organisation_id, unit_kind, unit_id, flagged_reason, flagged_at FROM bindings
             WHERE flagged_at IS NOT NULL AND ($2::uuid[] IS NULL OR organisation_in_area(organisation_id, $2))
               AND ($3::timestamptz IS NULL OR (flagged_at, organisation_id) > ($3, $4))
             ORDER BY flagged_at, organisation_id LIMIT $1",
        )
        .bind(limit)
        .bind(area)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(organisation_id, unit, unit_id, reason, at)| {
                let unit = UnitKind::parse(&unit)
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored unit kind {unit:?}")))?;
                Ok(Flagged { organisation_id, unit, unit_id, reason, at })
            })
            .collect()
    }
}
