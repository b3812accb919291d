//! Referrals to mediation and legal aid.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_platform::Named;
use dualnet_proto::complaints::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, load, note};
use crate::{
    OUTBOX,
    domain::referral::{self, Kind, Outcome, Referral},
    wire,
};

type Row = (Uuid, Uuid, String, String, DateTime<Utc>, Option<String>, String, Option<DateTime<Utc>>);

const COLUMNS: &str = "id, complaint_id, kind, note, referred_at, outcome, outcome_note, concluded_at";

fn from_row((id, complaint_id, kind, note, referred_at, outcome, outcome_note, concluded_at): Row) -> Option<Referral> {
    let outcome = match (outcome.as_deref().and_then(Outcome::parse), concluded_at) {
        (Some(o), Some(at)) => Some((o, outcome_note, at)),
        _ => None,
    };
    Some(Referral { id, complaint_id, kind: Kind::parse(&kind)?, note, referred_at, outcome })
}

pub async fn of_complaint(conn: &mut PgConnection, complaint_id: Uuid) -> Result<Vec<Referral>, sqlx::Error> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM referrals WHERE complaint_id = $1 ORDER BY referred_at, id"))
            .bind(complaint_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().filter_map(from_row).collect())
}

impl Store {
    pub async fn refer(
        &self,
        complaint_id: Uuid,
        kind: Kind,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Referral, ApiError> {
        let mut tx = self.pool.begin().await?;
        let c = load(&mut tx, complaint_id, true).await?.ok_or_else(|| ApiError::NotFound("complaint".into()))?;
        let r = Referral { id: Uuid::now_v7(), complaint_id, kind, note: text.into(), referred_at: now, outcome: None };
        sqlx::query("INSERT INTO referrals (id, complaint_id, kind, note, referred_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(r.id)
            .bind(complaint_id)
            .bind(kind.as_str())
            .bind(text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        note(&mut tx, complaint_id, c.status, &format!("referred to {}", kind.as_str().replace('_', " ")), now).await?;
        let event = pb::ComplaintReferred {
            complaint_id: complaint_id.to_string(),
            referral_id: r.id.to_string(),
            kind: wire::referral_kind(kind) as i32,
        };
        OUTBOX.append(&mut tx, complaint_id, &event, &Chain::start(c.correlation_id)).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn conclude_referral(
        &self,
        id: Uuid,
        outcome: Outcome,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Referral, ApiError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM referrals WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let mut r = row.and_then(from_row).ok_or_else(|| ApiError::NotFound("referral".into()))?;
        if r.outcome.is_some() {
            return Err(ApiError::FailedPrecondition("the referral's outcome is recorded already".into()));
        }
        if !referral::fits(r.kind, outcome) {
            let msg = format!("a {} referral cannot end {}", r.kind.as_str(), outcome.as_str());
            return Err(ApiError::field("outcome", msg));
        }
        sqlx::query("UPDATE referrals SET outcome = $2, outcome_note = $3, concluded_at = $4 WHERE id = $1")
            .bind(id)
            .bind(outcome.as_str())
            .bind(text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let c = load(&mut tx, r.complaint_id, true).await?.ok_or_else(|| ApiError::NotFound("complaint".into()))?;
        let line = format!("{}: {}", r.kind.as_str().replace('_', " "), outcome.as_str().replace('_', " "));
        note(&mut tx, r.complaint_id, c.status, &line, now).await?;
        let event = pb::ReferralConcluded {
            complaint_id: r.complaint_id.to_string(),
            referral_id: id.to_string(),
            kind: wire::referral_kind(r.kind) as i32,
            outcome: wire::referral_outcome(outcome) as i32,
        };
        OUTBOX.append(&mut tx, r.complaint_id, &event, &Chain::start(c.correlation_id)).await?;
        tx.commit().await?;
        r.outcome = Some((outcome, text.into(), now));
        Ok(r)
    }
}
