//! What other services' events write onto incidents: the party network's
//! response, arbitration's milestones, the resident's satisfaction, and the
//! incident of a complaint.

#[allow(clippy::wildcard_imports)]
use super::*;
use dualnet_platform::Named;

/// Records what a party organisation did about an incident. Unknown
/// incidents are ignored (the task came from another deployment's data).
pub async fn record_party_response(
    conn: &mut PgConnection,
    response: &PartyResponse,
    incident_id: Uuid,
    correlation_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO incident_party_responses (task_id, incident_id, organisation_id, status, note, correlation_id, updated_at)
         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM incidents WHERE id = $2)
         ON CONFLICT (task_id) DO UPDATE SET status = EXCLUDED.status,
             note = CASE WHEN EXCLUDED.note = '' THEN incident_party_responses.note ELSE EXCLUDED.note END,
             updated_at = EXCLUDED.updated_at",
    )
    .bind(response.task_id)
    .bind(incident_id)
    .bind(response.organisation_id)
    .bind(&response.status)
    .bind(&response.note)
    .bind(correlation_id)
    .bind(response.updated_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds a note to the history of the enterprise's most recent open
/// labour-risk incident; false when it has none.
pub async fn note_on_risk_incident(
    conn: &mut PgConnection,
    enterprise: Uuid,
    actor: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let open: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT id, status FROM incidents
         WHERE enterprise_id = $1 AND source = 'labour_risk' AND status NOT IN ('closed', 'rated', 'rejected')
         ORDER BY opened_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(enterprise)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, status)) = open else { return Ok(false) };
    let status = Status::parse(&status).unwrap_or(Status::Reported);
    history(conn, id, (status, status), actor, note, now).await?;
    Ok(true)
}

/// Keeps the resident's satisfaction with a rated incident for the statistics.
pub async fn record_satisfaction(conn: &mut PgConnection, id: Uuid, satisfaction: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE incidents SET satisfaction = $2 WHERE id = $1")
        .bind(id)
        .bind(satisfaction)
        .execute(conn)
        .await?;
    Ok(())
}

/// The latest incident opened for a complaint (a reopened one has several).
/// The incident a council topic's resolution handed out, if it was opened.
pub async fn incident_of_topic(conn: &mut PgConnection, topic_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM incidents WHERE topic_id = $1").bind(topic_id).fetch_optional(conn).await
}

pub async fn incident_of_complaint(conn: &mut PgConnection, complaint_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM incidents WHERE complaint_id = $1 ORDER BY opened_at DESC, id DESC LIMIT 1")
        .bind(complaint_id)
        .fetch_optional(conn)
        .await
}
