//! Volunteer calls (党员志愿者): a call for an incident, sign-ups and show-ups.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::volunteers;

/// What a volunteer does on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolunteerStep {
    SignUp,
    ShowUp,
}

pub(super) async fn load_call(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<(Call, Uuid)>, sqlx::Error> {
    let row: Option<(Uuid, Uuid, Uuid, i32, String, Uuid)> = sqlx::query_as(&format!(
        "SELECT id, incident_id, organisation_id, needed, purpose, correlation_id FROM volunteer_calls WHERE id = $1 {}",
        if lock { "FOR UPDATE" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, incident_id, organisation_id, needed, purpose, correlation_id)) = row else { return Ok(None) };
    let signups: Vec<(Uuid, bool)> = sqlx::query_as(
        "SELECT member_id, showed_at IS NOT NULL FROM volunteer_signups WHERE call_id = $1 ORDER BY signed_at, member_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let signed_up = signups.iter().map(|(m, _)| *m).collect();
    let showed_up = signups.iter().filter(|(_, showed)| *showed).map(|(m, _)| *m).collect();
    Ok(Some((Call { id, incident_id, organisation_id, needed, purpose, signed_up, showed_up }, correlation_id)))
}

impl Store {
    pub async fn call_volunteers(
        &self,
        incident_id: Uuid,
        organisation_id: Uuid,
        needed: i32,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Call, ApiError> {
        let mut tx = self.pool.begin().await?;
        load_organisation(&mut tx, organisation_id, false)
            .await?
            .ok_or_else(|| ApiError::NotFound("organisation".into()))?;
        let correlation: Option<Uuid> = sqlx::query_scalar(
            "SELECT correlation_id FROM linkage_tasks WHERE organisation_id = $1 AND incident_id = $2",
        )
        .bind(organisation_id)
        .bind(incident_id)
        .fetch_optional(&mut *tx)
        .await?;
        let correlation = correlation.ok_or_else(|| {
            ApiError::FailedPrecondition("the organisation has no linkage task for this incident".into())
        })?;
        let call = Call {
            id: Uuid::now_v7(),
            incident_id,
            organisation_id,
            needed,
            purpose: purpose.into(),
            signed_up: vec![],
            showed_up: vec![],
        };
        sqlx::query(
            "INSERT INTO volunteer_calls (id, incident_id, organisation_id, needed, purpose, correlation_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(call.id)
        .bind(incident_id)
        .bind(organisation_id)
        .bind(needed)
        .bind(purpose)
        .bind(correlation)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = pb::VolunteersCalled {
            call_id: call.id.to_string(),
            incident_id: incident_id.to_string(),
            organisation_id: organisation_id.to_string(),
            needed,
        };
        OUTBOX.append(&mut tx, call.id, &event, &Chain::start(correlation)).await?;
        tx.commit().await?;
        Ok(call)
    }

    pub async fn volunteer_call(&self, id: Uuid) -> Result<Call, ApiError> {
        let mut conn = self.pool.acquire().await?;
        Ok(load_call(&mut conn, id, false).await?.ok_or_else(|| ApiError::NotFound("volunteer call".into()))?.0)
    }

    pub async fn volunteer(
        &self,
        call_id: Uuid,
        member_id: Uuid,
        step: VolunteerStep,
        now: DateTime<Utc>,
    ) -> Result<Call, ApiError> {
        let mut tx = self.pool.begin().await?;
        let (mut call, correlation) =
            load_call(&mut tx, call_id, true).await?.ok_or_else(|| ApiError::NotFound("volunteer call".into()))?;
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE id = $1)")
            .bind(member_id)
            .fetch_one(&mut *tx)
            .await?;
        if !known {
            return Err(ApiError::NotFound("member".into()));
        }
        let chain = Chain::start(correlation);
        let (c, m) = (call_id.to_string(), member_id.to_string());
        match step {
            VolunteerStep::SignUp => {
                volunteers::sign_up(&call, member_id).map_err(ApiError::FailedPrecondition)?;
                sqlx::query("INSERT INTO volunteer_signups (call_id, member_id, signed_at) VALUES ($1, $2, $3)")
                    .bind(call_id)
                    .bind(member_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                OUTBOX.append(&mut tx, call_id, &pb::VolunteerSignedUp { call_id: c, member_id: m }, &chain).await?;
                call.signed_up.push(member_id);
            }
            VolunteerStep::ShowUp => {
                volunteers::show_up(&call, member_id).map_err(ApiError::FailedPrecondition)?;
                sqlx::query("UPDATE volunteer_signups SET showed_at = $3 WHERE call_id = $1 AND member_id = $2")
                    .bind(call_id)
                    .bind(member_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                OUTBOX.append(&mut tx, call_id, &pb::VolunteerShowedUp { call_id: c, member_id: m }, &chain).await?;
                call.showed_up.push(member_id);
            }
        }
        tx.commit().await?;
        Ok(call)
    }
}
