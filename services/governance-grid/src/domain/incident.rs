//! The incident lifecycle (上报 → 受理 → 派遣 → 处置 → 核查 → 结案 → 评价) as
//! an explicit state machine, with the reject and send-back paths.

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Reported,
    Accepted,
    Dispatched,
    Handled,
    Verified,
    Closed,
    Rated,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    Accept,
    Dispatch,
    Handle,
    Verify,
    Close,
    Reject,
    #[strum(serialize = "send back")]
    SendBack,
    /// The resident rated the outcome (from the complaint's rating).
    Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Level {
    Grid,
    Community,
    Subdistrict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Source {
    GridWorker,
    Complaint,
    LabourRisk,
    EarlyWarning,
    PartyReport,
    /// A residents' consultation council's resolution (party-grid).
    Council,
    /// A security committee's patrol found it.
    Patrol,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: Status,
    pub action: Action,
}

impl std::fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot {} an incident that is {}", self.action.as_str(), self.from.as_str())
    }
}

impl std::error::Error for IllegalTransition {}

/// The one place that says which action is allowed in which state.
pub fn transition(from: Status, action: Action) -> Result<Status, IllegalTransition> {
    use Action as A;
    use Status as S;
    let to = match (from, action) {
        (S::Reported, A::Accept) => S::Accepted,
        (S::Reported | S::Accepted, A::Reject) => S::Rejected,
        (S::Accepted, A::Dispatch) => S::Dispatched,
        (S::Dispatched, A::Handle) => S::Handled,
        // The assignee cannot take it: back to the dispatcher.
        (S::Dispatched, A::SendBack) => S::Accepted,
        (S::Handled, A::Verify) => S::Verified,
        // Handling not good enough: back to the assignee.
        (S::Handled | S::Verified, A::SendBack) => S::Dispatched,
        (S::Verified, A::Close) => S::Closed,
        (S::Closed, A::Rate) => S::Rated,
        _ => return Err(IllegalTransition { from, action }),
    };
    Ok(to)
}

impl Status {
    /// Closed for good: nothing is left to do but rate it.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Rated | Status::Rejected)
    }
}

/// Where a new incident belongs: the grid of its building when the map knows
/// it, the subdistrict (the fallback owner) otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub grid_id: Option<Uuid>,
    pub building_id: Option<Uuid>,
    pub community_id: Option<Uuid>,
    pub level: Level,
}

impl Placement {
    pub fn new(grid_id: Option<Uuid>, building_id: Option<Uuid>, community_id: Option<Uuid>) -> Self {
        let level = match (grid_id, community_id) {
            (Some(_), _) => Level::Grid,
            (None, Some(_)) => Level::Community,
            (None, None) => Level::Subdistrict,
        };
        Self { grid_id, building_id, community_id, level }
    }
}

#[derive(Debug, Clone)]
pub struct Incident {
    pub id: Uuid,
    pub placement: Placement,
    pub category: String,
    pub summary: String,
    pub status: Status,
    pub source: Source,
    pub complaint_id: Option<Uuid>,
    pub correlation_id: Uuid,
    pub assignee: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub severity: super::escalation::Severity,
    /// For labour-risk incidents: the enterprise at risk.
    pub enterprise_id: Option<Uuid>,
    /// For an incident a residents' council handed out: the topic.
    pub topic_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub from: Status,
    pub to: Status,
    pub actor: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct PartyResponse {
    pub task_id: Uuid,
    pub organisation_id: Uuid,
    pub status: String,
    pub note: String,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: &[Action] = Action::ALL;

    /// Whether an end (closed, rated or rejected) can still be reached.
    fn can_finish(from: Status) -> bool {
        let mut seen = vec![from];
        let mut i = 0;
        while i < seen.len() {
            if seen[i].is_final() {
                return true;
            }
            for &a in ACTIONS {
                if let Ok(to) = transition(seen[i], a)
                    && !seen.contains(&to)
                {
                    seen.push(to);
                }
            }
            i += 1;
        }
        false
    }

    #[test]
    fn no_sequence_of_actions_closes_an_unverified_incident_or_revives_a_finished_one() {
        // 20,000 random walks of 40 actions each (legal or not), from a fixed
        // seed so a failure replays.
        let mut random = dualnet_testkit::Xorshift::seeded(0x9e37_79b9_7f4a_7c15);
        for walk in 0..20_000 {
            let mut status = Status::Reported;
            // Handled, then verified, since the incident last went to an assignee.
            let (mut handled, mut verified) = (false, false);
            for step in 0..40 {
                let action = ACTIONS[random.below(ACTIONS.len())];
                let Ok(to) = transition(status, action) else { continue };
                let at = format!("walk {walk}, step {step}: {status:?} --{action:?}--> {to:?}");
                assert!(!matches!(status, Status::Rejected | Status::Rated), "a finished incident moved ({at})");
                assert!(
                    status != Status::Closed || to == Status::Rated,
                    "a closed incident did more than get rated ({at})"
                );
                assert_ne!(to, Status::Reported, "back to reported ({at})");
                match to {
                    Status::Dispatched => (handled, verified) = (false, false),
                    Status::Handled => handled = true,
                    Status::Verified => {
                        assert!(handled, "verified without being handled ({at})");
                        verified = true;
                    }
                    Status::Closed => assert!(handled && verified, "closed without handling and verification ({at})"),
                    _ => {}
                }
                assert!(can_finish(to), "no way to an end from {to:?} ({at})");
                status = to;
            }
        }
    }

    #[test]
    fn the_happy_path_runs_from_reported_to_rated() {
        let mut s = Status::Reported;
        for a in [Action::Accept, Action::Dispatch, Action::Handle, Action::Verify, Action::Close, Action::Rate] {
            s = transition(s, a).unwrap();
        }
        assert_eq!(s, Status::Rated);
    }

    #[test]
    fn an_incident_cannot_be_closed_before_it_is_verified() {
        for from in [Status::Reported, Status::Accepted, Status::Dispatched, Status::Handled] {
            assert_eq!(transition(from, Action::Close), Err(IllegalTransition { from, action: Action::Close }));
        }
    }

    #[test]
    fn failed_verification_sends_the_incident_back_to_the_assignee() {
        assert_eq!(transition(Status::Verified, Action::SendBack), Ok(Status::Dispatched));
        assert_eq!(transition(Status::Dispatched, Action::SendBack), Ok(Status::Accepted));
    }

    #[test]
    fn nothing_moves_a_rejected_or_rated_incident() {
        let actions = Action::ALL;
        for from in [Status::Rejected, Status::Rated] {
            for &a in actions {
                assert!(transition(from, a).is_err(), "{a:?} moved a {from:?} incident");
            }
        }
    }

    #[test]
    fn every_status_round_trips_through_its_name() {
        for &s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn an_unknown_building_leaves_the_incident_with_the_subdistrict() {
        assert_eq!(Placement::new(None, None, None).level, Level::Subdistrict);
        assert_eq!(Placement::new(Some(Uuid::now_v7()), None, None).level, Level::Grid);
    }
}
