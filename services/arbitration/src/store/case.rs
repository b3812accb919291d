//! A case as stored: its row, and the views (parties, claims, deadlines,
//! representatives) read back with it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use dualnet_platform::Named;
use dualnet_platform::{
    ApiError,
    sealing::{Sealer, reveal_record},
};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{CaseView, deadlines};
use crate::domain::{
    award::{Claim, ClaimKind},
    award_clock::{AwardClock, Pause},
    case::{Case, Claimant, LimitationFacts, Status},
    clocks::Deadline,
    limitation::{Limitation, Suspension},
    procedure::Track,
};

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: Uuid,
    complaint_id: Option<Uuid>,
    enterprise_id: Option<Uuid>,
    respondent: String,
    category: String,
    status: String,
    claimant_count: i32,
    facts: String,
    correlation_id: Uuid,
    opened_at: DateTime<Utc>,
    applied_at: Option<DateTime<Utc>>,
    accepted_at: Option<DateTime<Utc>>,
    awarded_at: Option<DateTime<Utc>>,
    arbitrator: Option<String>,
    hearing_at: Option<DateTime<Utc>>,
    award_extension_days: i32,
    award_from: Option<DateTime<Utc>>,
    award_paused_days: i32,
    award_paused_since: Option<DateTime<Utc>>,
    award_paused_by: Option<String>,
    right_known_on: Option<NaiveDate>,
    employment_ended_on: Option<NaiveDate>,
    interruptions: Vec<NaiveDate>,
    suspensions_from: Vec<NaiveDate>,
    suspensions_to: Vec<NaiveDate>,
    mediation_started_on: Option<NaiveDate>,
    limitation_expires: Option<NaiveDate>,
    time_barred: bool,
    track: String,
}

pub(super) const COLUMNS: &str = "id, complaint_id, enterprise_id, respondent, category, status, claimant_count, facts,
    correlation_id, opened_at, applied_at, accepted_at, awarded_at, arbitrator, hearing_at, award_extension_days,
    award_from, award_paused_days, award_paused_since, award_paused_by, right_known_on,
    employment_ended_on, interruptions, suspensions_from, suspensions_to, mediation_started_on, limitation_expires,
    time_barred, track";

impl Row {
    pub(super) fn into_case(self) -> Result<(Case, Option<Limitation>, bool), sqlx::Error> {
        let status = Status::parse(&self.status)
            .ok_or_else(|| sqlx::Error::Protocol(format!("stored case status {:?}", self.status)))?;
        let suspensions =
            self.suspensions_from.iter().zip(&self.suspensions_to).map(|(f, t)| Suspension { from: *f, to: *t });
        // A case applied for has its limitation computed; a running one
        // without an expiry is wage arrears during the employment.
        let limitation = match (self.applied_at, self.limitation_expires) {
            (None, _) => None,
            (Some(_), Some(d)) => Some(Limitation::Expires(d)),
            (Some(_), None) => self.right_known_on.map(|_| Limitation::NotRunning),
        };
        let case = Case {
            id: self.id,
            complaint_id: self.complaint_id,
            enterprise_id: self.enterprise_id,
            respondent: self.respondent,
            category: self.category,
            status,
            claimant_count: self.claimant_count,
            claimants: Vec::new(),
            claims: Vec::new(),
            facts: self.facts,
            correlation_id: self.correlation_id,
            opened_at: self.opened_at,
            applied_at: self.applied_at,
            accepted_at: self.accepted_at,
            awarded_at: self.awarded_at,
            arbitrator: self.arbitrator,
            hearing_at: self.hearing_at,
            award_extension_days: u32::try_from(self.award_extension_days).unwrap_or(0),
            award_clock: AwardClock {
                from: self.award_from,
                paused_days: u32::try_from(self.award_paused_days).unwrap_or(0),
                paused: self.award_paused_by.as_deref().and_then(Pause::parse).zip(self.award_paused_since),
            },
            limitation: LimitationFacts {
                right_known_on: self.right_known_on,
                employment_ended_on: self.employment_ended_on,
                interruptions: self.interruptions,
                suspensions: suspensions.collect(),
            },
            mediation_started_on: self.mediation_started_on,
            track: Track::parse(&self.track)
                .ok_or_else(|| sqlx::Error::Protocol(format!("stored case track {:?}", self.track)))?,
        };
        Ok((case, limitation, self.time_barred))
    }
}

/// Loads cases with their parties, claims and deadlines, in the order of
/// `rows`.
pub(super) async fn views(
    conn: &mut PgConnection,
    sealer: Option<&Sealer>,
    rows: Vec<Row>,
) -> Result<Vec<CaseView>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    type Party =
        (Uuid, bool, Option<String>, Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
    let claimants: Vec<Party> = sqlx::query_as(
        "SELECT case_id, representative, name, phone, id_number, name_sealed, phone_sealed, id_number_sealed
         FROM case_claimants WHERE case_id = ANY($1) ORDER BY case_id, seq",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let representatives: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT case_id, sub FROM case_representatives WHERE case_id = ANY($1) ORDER BY case_id, sub")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?;
    type StoredClaim = (Uuid, String, i64, String, Option<NaiveDate>, bool, Option<i64>);
    let claims: Vec<StoredClaim> = sqlx::query_as(
        "SELECT case_id, kind, amount_fen, description, limitation_expires, time_barred, awarded_fen
         FROM case_claims WHERE case_id = ANY($1) ORDER BY case_id, seq",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_case_claimants: HashMap<Uuid, Vec<Claimant>> = HashMap::new();
    for (id, representative, name, phone, id_number, name_sealed, phone_sealed, id_number_sealed) in claimants {
        let columns = [(name, name_sealed), (phone, phone_sealed), (id_number, id_number_sealed)];
        let claimant = match reveal_record(sealer, columns) {
            Ok([name, phone, id_number]) => {
                Claimant { name: name.unwrap_or_default(), phone, id_number, representative, unreadable: None }
            }
            // One claimant whose key is gone is answered as unreadable; the
            // rest of the case, and every other case, as usual.
            Err(why) => {
                tracing::error!(case_id = %id, reason = %why, "a claimant's sealed personal data cannot be opened");
                Claimant { name: String::new(), phone: None, id_number: None, representative, unreadable: Some(why) }
            }
        };
        by_case_claimants.entry(id).or_default().push(claimant);
    }
    let mut by_case_representatives: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (id, sub) in representatives {
        by_case_representatives.entry(id).or_default().push(sub);
    }
    let mut by_case_claims: HashMap<Uuid, Vec<Claim>> = HashMap::new();
    for (id, kind, amount_fen, description, limitation_expires, time_barred, awarded_fen) in claims {
        let Some(kind) = ClaimKind::parse(&kind) else { continue };
        let claim = Claim { kind, amount_fen, description, limitation_expires, time_barred, awarded_fen };
        by_case_claims.entry(id).or_default().push(claim);
    }
    let mut by_case_deadlines: HashMap<Uuid, Vec<Deadline>> = HashMap::new();
    for d in deadlines::of_cases(conn, &ids).await? {
        by_case_deadlines.entry(d.case_id).or_default().push(d);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (mut case, limitation, time_barred) = row.into_case()?;
        case.claimants = by_case_claimants.remove(&case.id).unwrap_or_default();
        case.claims = by_case_claims.remove(&case.id).unwrap_or_default();
        let deadlines = by_case_deadlines.remove(&case.id).unwrap_or_default();
        let representatives = by_case_representatives.remove(&case.id).unwrap_or_default();
        out.push(CaseView { case, deadlines, limitation, time_barred, representatives });
    }
    Ok(out)
}

pub(super) async fn lock_case(conn: &mut PgConnection, id: Uuid) -> Result<Case, ApiError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or_else(|| ApiError::NotFound("case".into()))?;
    Ok(row.into_case()?.0)
}
