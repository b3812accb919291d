//! The whistle (吹哨报到): departments summoned to a subdistrict incident,
//! their check-ins and their reports of work done.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::whistle;

pub(super) async fn load_summons(conn: &mut PgConnection, incident_id: Uuid) -> Result<Vec<Summons>, sqlx::Error> {
    type Row = (String, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT department, summoned_at, checked_in_at, done_at, note FROM incident_summons
         WHERE incident_id = $1 ORDER BY summoned_at, department",
    )
    .bind(incident_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(department, summoned_at, checked_in_at, done_at, note)| Summons {
            department,
            summoned_at,
            checked_in_at,
            done_at,
            note,
        })
        .collect())
}

/// What a department does after the whistle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    CheckIn,
    Done,
}

impl Store {
    async fn locked(&self, tx: &mut PgConnection, id: Uuid) -> Result<Incident, ApiError> {
        lock_incident(tx, id).await?.ok_or_else(|| ApiError::NotFound("incident".into()))
    }

    pub async fn blow_whistle(
        &self,
        id: Uuid,
        actor: &str,
        departments: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut tx = self.pool.begin().await?;
        let incident = self.locked(&mut tx, id).await?;
        whistle::can_blow(&incident).map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        sqlx::query(
            "INSERT INTO incident_summons (incident_id, department, summoned_at)
             SELECT $1, UNNEST($2::text[]), $3 ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(departments)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let line = format!("whistle blown: {}", departments.join(", "));
        history(&mut tx, id, (incident.status, incident.status), actor, &line, now).await?;
        let event = pb::WhistleBlown { incident_id: id.to_string(), departments: departments.to_vec() };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(incident.correlation_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn answer_whistle(
        &self,
        id: Uuid,
        department: &str,
        answer: Answer,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut tx = self.pool.begin().await?;
        let incident = self.locked(&mut tx, id).await?;
        let summons = load_summons(&mut tx, id).await?;
        let mine = summons.iter().find(|s| s.department == department);
        let refused = |e: WhistleError| ApiError::FailedPrecondition(e.to_string());
        let chain = Chain::start(incident.correlation_id);
        let (incident_id, dept) = (id.to_string(), department.to_string());
        match answer {
            Answer::CheckIn => {
                whistle::check_in(mine, department).map_err(refused)?;
                sqlx::query(
                    "UPDATE incident_summons SET checked_in_at = $3 WHERE incident_id = $1 AND department = $2",
                )
                .bind(id)
                .bind(department)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let event = pb::DepartmentCheckedIn { incident_id, department: dept };
                OUTBOX.append(&mut tx, id, &event, &chain).await?;
            }
            Answer::Done => {
                whistle::report_done(mine, department).map_err(refused)?;
                sqlx::query(
                    "UPDATE incident_summons SET done_at = $3, note = $4 WHERE incident_id = $1 AND department = $2",
                )
                .bind(id)
                .bind(department)
                .bind(now)
                .bind(note)
                .execute(&mut *tx)
                .await?;
                let event = pb::DepartmentReportedDone { incident_id, department: dept };
                OUTBOX.append(&mut tx, id, &event, &chain).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
