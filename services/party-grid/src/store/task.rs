//! Linkage tasks delegated to a member, and how fast organisations respond.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Response times of one organisation's linkage tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseTimes {
    pub organisation_id: Uuid,
    pub tasks: i64,
    pub accepted: i64,
    pub completed: i64,
    pub median_seconds_to_accept: Option<f64>,
    pub median_seconds_to_complete: Option<f64>,
}

impl Store {
    pub async fn delegate(
        &self,
        id: Uuid,
        actor: &str,
        member_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<LinkageTask, ApiError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<TaskRow> =
            sqlx::query_as(&format!("SELECT {TASK_COLUMNS} FROM linkage_tasks WHERE id = $1 FOR UPDATE"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut task = row.ok_or_else(|| ApiError::NotFound("linkage task".into()))?.into_task()?;
        can_delegate(task.status).map_err(ApiError::FailedPrecondition)?;
        let member_org: Option<Uuid> = sqlx::query_scalar("SELECT organisation_id FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(&mut *tx)
            .await?;
        match member_org {
            None => return Err(ApiError::NotFound("member".into())),
            Some(o) if o != task.organisation_id => {
                return Err(ApiError::FailedPrecondition("the member belongs to another organisation".into()));
            }
            Some(_) => {}
        }
        sqlx::query("UPDATE linkage_tasks SET delegated_to = $2, updated_at = $3, updated_by = $4 WHERE id = $1")
            .bind(id)
            .bind(member_id)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
        task.delegated_to = Some(member_id);
        task.updated_at = now;
        let event = pb::LinkageTaskDelegated {
            task_id: id.to_string(),
            organisation_id: task.organisation_id.to_string(),
            incident_id: task.incident_id.to_string(),
            member_id: member_id.to_string(),
        };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(task.correlation_id)).await?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn response_times(&self, organisation: Option<Uuid>) -> Result<Vec<ResponseTimes>, ApiError> {
        type Row = (Uuid, i64, i64, i64, Option<f64>, Option<f64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT organisation_id, count(*), count(accepted_at), count(completed_at),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - created_at)::float8),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)::float8)
             FROM linkage_tasks WHERE ($1::uuid IS NULL OR organisation_id = $1)
             GROUP BY organisation_id ORDER BY organisation_id",
        )
        .bind(organisation)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(organisation_id, tasks, accepted, completed, accept, complete)| ResponseTimes {
                organisation_id,
                tasks,
                accepted,
                completed,
                median_seconds_to_accept: accept,
                median_seconds_to_complete: complete,
            })
            .collect())
    }
}
