//! A labour dispute case and the clocks the PRC Labour Dispute Mediation and
//! Arbitration Law (LDMAL) sets on it.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// LDMAL Art. 29: the commission decides to accept or refuse within five
/// days of receiving the application.
pub const ACCEPTANCE_DAYS: i64 = 5;

/// Ten or more workers with a common claim make a collective dispute, which
/// is handled with priority.
pub const COLLECTIVE_MIN_WORKERS: i32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Applied,
    Accepted,
    Refused,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] =
        [CaseStatus::Applied, CaseStatus::Accepted, CaseStatus::Refused, CaseStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Applied => "applied",
            CaseStatus::Accepted => "accepted",
            CaseStatus::Refused => "refused",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: Uuid,
    pub complaint_id: Option<Uuid>,
    pub enterprise_id: Option<Uuid>,
    pub category: String,
    pub claimants: i32,
    pub status: CaseStatus,
    pub collective: bool,
    pub correlation_id: Uuid,
    pub applied_at: DateTime<Utc>,
    pub acceptance_due: DateTime<Utc>,
}

/// A case record opened from a labour complaint; a complaint that names no
/// workers counts its resident as the one claimant.
pub fn open(
    complaint_id: Uuid,
    enterprise_id: Option<Uuid>,
    category: &str,
    workers: i32,
    correlation_id: Uuid,
    now: DateTime<Utc>,
) -> Case {
    let claimants = workers.max(1);
    Case {
        id: Uuid::now_v7(),
        complaint_id: Some(complaint_id),
        enterprise_id,
        category: category.to_string(),
        claimants,
        status: CaseStatus::Applied,
        collective: claimants >= COLLECTIVE_MIN_WORKERS,
        correlation_id,
        applied_at: now,
        acceptance_due: now + Duration::days(ACCEPTANCE_DAYS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptance_is_due_five_days_after_the_application() {
        let now = Utc::now();
        let c = open(Uuid::now_v7(), None, "labour.wage_arrears", 1, Uuid::now_v7(), now);
        assert_eq!(c.acceptance_due - c.applied_at, Duration::days(5));
        assert_eq!(c.status, CaseStatus::Applied);
    }

    #[test]
    fn ten_workers_make_a_collective_dispute_and_nine_do_not() {
        let now = Utc::now();
        assert!(open(Uuid::now_v7(), None, "labour.wage_arrears", 10, Uuid::now_v7(), now).collective);
        assert!(!open(Uuid::now_v7(), None, "labour.wage_arrears", 9, Uuid::now_v7(), now).collective);
    }

    #[test]
    fn a_complaint_naming_no_workers_has_one_claimant() {
        assert_eq!(open(Uuid::now_v7(), None, "labour.other", 0, Uuid::now_v7(), Utc::now()).claimants, 1);
    }
}
