//! An incident as stored: its row and the columns read back.

#[allow(clippy::wildcard_imports)]
use super::*;
use dualnet_platform::Named;

#[derive(sqlx::FromRow)]
pub(super) struct IncidentRow {
    id: Uuid,
    grid_id: Option<Uuid>,
    building_id: Option<Uuid>,
    community_id: Option<Uuid>,
    category: String,
    summary: String,
    status: String,
    level: String,
    source: String,
    complaint_id: Option<Uuid>,
    correlation_id: Uuid,
    assignee: Option<String>,
    opened_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    severity: String,
    enterprise_id: Option<Uuid>,
    topic_id: Option<Uuid>,
}

impl TryFrom<IncidentRow> for Incident {
    type Error = ApiError;
    fn try_from(r: IncidentRow) -> Result<Self, ApiError> {
        let bad =
            |what: &str, v: &str| ApiError::Internal(anyhow::anyhow!("stored incident {} has {what} {v:?}", r.id));
        Ok(Incident {
            id: r.id,
            placement: Placement {
                grid_id: r.grid_id,
                building_id: r.building_id,
                community_id: r.community_id,
                level: Level::parse(&r.level).ok_or_else(|| bad("level", &r.level))?,
            },
            status: Status::parse(&r.status).ok_or_else(|| bad("status", &r.status))?,
            source: Source::parse(&r.source).ok_or_else(|| bad("source", &r.source))?,
            category: r.category,
            summary: r.summary,
            complaint_id: r.complaint_id,
            correlation_id: r.correlation_id,
            assignee: r.assignee,
            opened_at: r.opened_at,
            deadline: r.deadline,
            severity: Severity::parse(&r.severity).ok_or_else(|| bad("severity", &r.severity))?,
            enterprise_id: r.enterprise_id,
            topic_id: r.topic_id,
        })
    }
}

pub(super) const INCIDENT_COLUMNS: &str =
    "id, grid_id, building_id, community_id, category, summary, status, level, source,
    complaint_id, correlation_id, assignee, opened_at, deadline, severity, enterprise_id, topic_id";

/// One line of an incident's history: a move `(from, to)` (the same status
/// twice for an event that does not change it), who, why, when.
pub(super) async fn history(
    conn: &mut PgConnection,
    id: Uuid,
    (from, to): (Status, Status),
    actor: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO incident_history (incident_id, from_status, to_status, actor, note, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(actor)
    .bind(note)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Loads an incident and locks its row for the rest of the transaction: the
/// lock orders concurrent changes, and with them the incident's events.
pub(super) async fn lock_incident(conn: &mut PgConnection, id: Uuid) -> Result<Option<Incident>, sqlx::Error> {
    let row: Option<IncidentRow> =
        sqlx::query_as(&format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| Incident::try_from(r).map_err(|e| sqlx::Error::Protocol(e.to_string()))).transpose()
}
