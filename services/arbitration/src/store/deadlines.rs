//! The statutory deadlines of each case (`case_deadlines`): set as the case
//! moves, met by the step they wait for, passed by the sweep — which
//! announces the breach or the right that opens.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_platform::{ApiError, timestamp::to_proto};
use dualnet_proto::arbitration::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Reach, Store};
use crate::{
    OUTBOX,
    domain::clocks::{Deadline, Kind, State},
    wire,
};

/// Starts (or moves) a deadline.
pub async fn set(conn: &mut PgConnection, case_id: Uuid, kind: Kind, due_at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_deadlines (case_id, kind, due_at, state) VALUES ($1, $2, $3, 'pending')
         ON CONFLICT (case_id, kind) DO UPDATE SET due_at = EXCLUDED.due_at, state = 'pending', passed_at = NULL",
    )
    .bind(case_id)
    .bind(kind.as_str())
    .bind(due_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks pending deadlines of these kinds met. One already passed stays
/// passed: the breach happened.
pub async fn meet(conn: &mut PgConnection, case_id: Uuid, kinds: &[Kind]) -> Result<(), sqlx::Error> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query(
        "UPDATE case_deadlines SET state = 'met' WHERE case_id = $1 AND kind = ANY($2) AND state IN ('pending', 'paused')",
    )
        .bind(case_id)
        .bind(&kinds)
        .execute(conn)
        .await?;
    Ok(())
}

/// The case ended: what was still pending no longer matters.
pub async fn cancel_pending(conn: &mut PgConnection, case_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE case_deadlines SET state = 'cancelled' WHERE case_id = $1 AND state IN ('pending', 'paused')")
        .bind(case_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the deadline of `kind` was met (the step it waited for done).
pub async fn is_met(conn: &mut PgConnection, case_id: Uuid, kind: Kind) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM case_deadlines WHERE case_id = $1 AND kind = $2 AND state IN ('met', 'passed'))",
    )
    .bind(case_id)
    .bind(kind.as_str())
    .fetch_one(conn)
    .await
}

/// The state of the deadline of `kind`, if the case has one.
pub async fn state_of(conn: &mut PgConnection, case_id: Uuid, kind: Kind) -> Result<Option<State>, sqlx::Error> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM case_deadlines WHERE case_id = $1 AND kind = $2")
        .bind(case_id)
        .bind(kind.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(state.as_deref().and_then(State::parse))
}

/// A pending deadline no longer applies (a defence period waived).
pub async fn cancel(conn: &mut PgConnection, case_id: Uuid, kind: Kind) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE case_deadlines SET state = 'cancelled' WHERE case_id = $1 AND kind = $2 AND state = 'pending'")
        .bind(case_id)
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// A pending deadline stands still (the award period during a suspension
/// or service by public notice): it cannot pass until it is set again.
pub async fn pause(conn: &mut PgConnection, case_id: Uuid, kind: Kind) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE case_deadlines SET state = 'paused' WHERE case_id = $1 AND kind = $2 AND state = 'pending'")
        .bind(case_id)
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a pending deadline (the award period extended).
pub async fn extend(
    conn: &mut PgConnection,
    case_id: Uuid,
    kind: Kind,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE case_deadlines SET due_at = $3 WHERE case_id = $1 AND kind = $2 AND state = 'pending'")
        .bind(case_id)
        .bind(kind.as_str())
        .bind(due_at)
        .execute(conn)
        .await?;
    Ok(())
}

type Row = (Uuid, String, DateTime<Utc>, String, Option<String>);

fn from_row((case_id, kind, due_at, state, arbitrator): Row) -> Option<Deadline> {
    Some(Deadline { case_id, kind: Kind::parse(&kind)?, due_at, state: State::parse(&state)?, arbitrator })
}

/// Every deadline of these cases, by due time.
pub async fn of_cases(conn: &mut PgConnection, case_ids: &[Uuid]) -> Result<Vec<Deadline>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.case_id, d.kind, d.due_at, d.state, c.arbitrator FROM case_deadlines d JOIN cases c ON c.id = d.case_id
         WHERE d.case_id = ANY($1) ORDER BY d.due_at",
    )
    .bind(case_ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(from_row).collect())
}

impl Store {
    /// Passes every pending deadline whose time came, announcing each.
    /// Returns how many passed.
    pub async fn pass_due_deadlines(&self, now: DateTime<Utc>, limit: i64) -> Result<usize, ApiError> {
        let mut tx = self.pool.begin().await?;
        type Due = (Uuid, String, DateTime<Utc>, Option<Uuid>, Option<String>, Uuid);
        let due: Vec<Due> = sqlx::query_as(
            "SELECT d.case_id, d.kind, d.due_at, c.enterprise_id, c.arbitrator, c.correlation_id
             FROM case_deadlines d JOIN cases c ON c.id = d.case_id
             WHERE d.state = 'pending' AND d.due_at < $1
             ORDER BY d.due_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for (case_id, kind, due_at, enterprise_id, arbitrator, correlation_id) in &due {
            let Some(kind) = Kind::parse(kind) else { continue };
            sqlx::query("UPDATE case_deadlines SET state = 'passed', passed_at = $3 WHERE case_id = $1 AND kind = $2")
                .bind(case_id)
                .bind(kind.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let event = pb::CaseDeadlinePassed {
                case_id: case_id.to_string(),
                enterprise_id: id_text(*enterprise_id),
                kind: wire::deadline_kind(kind) as i32,
                due_at: Some(to_proto(*due_at)),
                consequence: kind.consequence().into(),
                arbitrator: arbitrator.clone().unwrap_or_default(),
            };
            OUTBOX.append(&mut tx, *case_id, &event, &Chain::start(*correlation_id)).await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }

    /// The deadlines of one arbitrator's cases: passed ones first, then the
    /// pending by due time; of the cases within `reach`, when given; after
    /// `after` (pending, due, case, kind) when given.
    pub async fn deadlines_of_arbitrator(
        &self,
        arbitrator: &str,
        reach: Option<&Reach>,
        limit: i64,
        after: Option<&(bool, DateTime<Utc>, Uuid, String)>,
    ) -> Result<Vec<Deadline>, ApiError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT d.case_id, d.kind, d.due_at, d.state, c.arbitrator FROM case_deadlines d JOIN cases c ON c.id = d.case_id
             WHERE c.arbitrator = $1 AND d.state IN ('pending', 'passed')
               AND (NOT $3 OR d.case_id IN (SELECT case_id FROM case_representatives WHERE sub = $8))
               AND ($4::bool IS NULL OR (d.state = 'pending', d.due_at, d.case_id, d.kind) > ($4, $5, $6, $7))
             ORDER BY d.state = 'pending', d.due_at, d.case_id, d.kind LIMIT $2",
        )
        .bind(arbitrator)
        .bind(limit)
        .bind(reach.is_some())
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(after.map(|a| a.2))
        .bind(after.map(|a| a.3.as_str()))
        .bind(reach.and_then(|r| r.representative.as_deref()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(from_row).collect())
    }

    pub async fn deadlines_of_case(&self, case_id: Uuid) -> Result<Vec<Deadline>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)")
            .bind(case_id)
            .fetch_one(&mut *conn)
            .await?;
        if !exists {
            return Err(ApiError::NotFound("case".into()));
        }
        Ok(of_cases(&mut conn, &[case_id]).await?)
    }
}
