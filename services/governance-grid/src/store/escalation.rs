//! Escalation (小事不出村,大事不出镇): an incident raised one tier, by hand
//! or when its deadline passes unresolved.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::escalation;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;

impl Store {
    pub async fn escalate(&self, id: Uuid, actor: &str, note: &str, now: DateTime<Utc>) -> Result<Incident, ApiError> {
        let mut tx = self.pool.begin().await?;
        let incident = escalate_incident(&mut tx, &self.calendar, id, Reason::Requested, actor, note, None, now)
            .await?
            .ok_or_else(|| ApiError::NotFound("incident".into()))?
            .map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Escalates every incident whose deadline passed unresolved, one tier
    /// each, one transaction each. Returns how many went up.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>, limit: i64) -> Result<usize, sqlx::Error> {
        let due: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM incidents
             WHERE deadline < $1 AND status NOT IN ('closed', 'rated', 'rejected') AND level <> 'subdistrict'
             ORDER BY deadline LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut escalated = 0;
        for id in due {
            let mut tx = self.pool.begin().await?;
            // `escalate_incident` re-checks the deadline under the row lock:
            // a concurrent close or escalation wins.
            if let Some(Ok(_)) =
                escalate_incident(&mut tx, &self.calendar, id, Reason::DeadlinePassed, "deadline", "", None, now)
                    .await?
            {
                escalated += 1;
            }
            tx.commit().await?;
        }
        Ok(escalated)
    }
}

/// Raises an incident one tier inside the caller's transaction and announces
/// it. `None` when the incident does not exist.
#[allow(clippy::too_many_arguments)]
pub async fn escalate_incident(
    conn: &mut PgConnection,
    calendar: &Calendar,
    id: Uuid,
    reason: Reason,
    actor: &str,
    note: &str,
    causation_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<Result<Incident, CannotEscalate>>, sqlx::Error> {
    let Some(mut incident) = lock_incident(conn, id).await? else { return Ok(None) };
    if reason == Reason::DeadlinePassed && !escalation::is_overdue(&incident, now) {
        return Ok(Some(Err(CannotEscalate::NotDue)));
    }
    let from = incident.placement.level;
    let to = match escalation::escalate(&incident) {
        Ok(to) => to,
        Err(e) => return Ok(Some(Err(e))),
    };
    incident.placement.level = to;
    incident.deadline = deadlines::due(conn, calendar, &incident.category, to, now).await?;
    sqlx::query(
        "UPDATE incidents SET level = $2, deadline = $3, updated_at = $4, missed_deadline = missed_deadline OR $5
         WHERE id = $1",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(incident.deadline)
    .bind(now)
    .bind(reason == Reason::DeadlinePassed)
    .execute(&mut *conn)
    .await?;
    let line = match note {
        "" => format!("escalated from {} to {} ({})", from.as_str(), to.as_str(), reason.as_str()),
        note => format!("escalated from {} to {} ({}): {note}", from.as_str(), to.as_str(), reason.as_str()),
    };
    history(conn, id, (incident.status, incident.status), actor, &line, now).await?;
    let subdistrict: Option<Uuid> = match incident.placement.community_id {
        Some(c) => {
            sqlx::query_scalar("SELECT subdistrict_id FROM communities WHERE id = $1")
                .bind(c)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let event = pb::IncidentEscalated {
        incident_id: id.to_string(),
        from_level: wire::level(from) as i32,
        to_level: wire::level(to) as i32,
        grid_id: id_text(incident.placement.grid_id),
        community_id: id_text(incident.placement.community_id),
        subdistrict_id: id_text(subdistrict),
        reason: reason.as_str().to_string(),
        complaint_id: id_text(incident.complaint_id),
    };
    let chain = Chain { correlation_id: incident.correlation_id, causation_id };
    OUTBOX.append(conn, id, &event, &chain).await?;
    Ok(Some(Ok(incident)))
}
