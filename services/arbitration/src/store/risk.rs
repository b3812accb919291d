//! Enterprise labour risk, raised at most once per enterprise per window.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_proto::arbitration::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{OUTBOX, domain::risk};

/// Why a risk is being considered.
pub enum Trigger {
    /// A case was opened against the enterprise (collective or not).
    Case { collective: bool },
    /// The enterprise announced relocation or closure.
    Relocation { note: String },
}

/// Raises an enterprise risk when the rule says so and none was raised
/// within the window already. Returns whether one was raised.
pub async fn raise_if_due(
    conn: &mut PgConnection,
    enterprise: Uuid,
    trigger: Trigger,
    now: DateTime<Utc>,
    chain: &Chain,
) -> Result<bool, sqlx::Error> {
    // Serialises risk decisions per enterprise.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind(enterprise.to_string())
        .execute(&mut *conn)
        .await?;
    let since = now - chrono::Duration::days(risk::RISK_WINDOW_DAYS);
    let recent: i64 = sqlx::query_scalar("SELECT count(*) FROM cases WHERE enterprise_id = $1 AND opened_at > $2")
        .bind(enterprise)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    let (collective, reason) = match trigger {
        Trigger::Case { collective } => (collective, risk::assess(recent, collective)),
        Trigger::Relocation { note } => (false, Some(risk::relocation(&note))),
    };
    let Some(reason) = reason else { return Ok(false) };
    // One risk per window, except that a collective dispute is never
    // swallowed by an earlier ordinary risk (a relocation notice, a count of
    // cases): it is raised again, as collective, so the networks see the
    // bigger matter.
    let raised: Option<bool> = sqlx::query_scalar(
        "SELECT bool_or(collective) FROM enterprise_risks WHERE enterprise_id = $1 AND raised_at > $2",
    )
    .bind(enterprise)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let reason = match raised {
        None => reason,
        Some(false) if collective => format!("{reason}, after an ordinary risk within the window"),
        Some(_) => return Ok(false),
    };
    let recent = i32::try_from(recent).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO enterprise_risks (id, enterprise_id, recent_cases, collective, reason, raised_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(enterprise)
    .bind(recent)
    .bind(collective)
    .bind(&reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let event =
        pb::EnterpriseRiskRaised { enterprise_id: enterprise.to_string(), recent_cases: recent, collective, reason };
    OUTBOX.append(conn, enterprise, &event, chain).await?;
    Ok(true)
}
