//! A labour dispute case and its lifecycle: applied → accepted or refused →
//! served on the respondent → defence received → tribunal formed → hearing
//! noticed and held → mediated settlement or award → closed; withdrawal at
//! any point before the end. A case opened from a labour complaint starts
//! as a draft application that the commission completes.

use chrono::{DateTime, NaiveDate, Utc};
use dualnet_platform::Named;
use uuid::Uuid;

use super::{award::Claim, limitation::Suspension, procedure::Track};

/// Ten or more workers with a common claim make a collective dispute (LDMAL
/// Art. 7; 2017 Arbitration Rules Art. 62), as does any dispute over the
/// performance of a collective contract; the commission registers and
/// hears it with priority (Rules Art. 5).
pub const COLLECTIVE_MIN_WORKERS: i32 = 10;

/// The category of a dispute over a collective contract's performance:
/// collective whatever the number of workers (Rules Arts 5, 62).
pub const COLLECTIVE_CONTRACT_CATEGORY: &str = "labour.collective_contract";

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Draft,
    Applied,
    Accepted,
    Refused,
    Served,
    DefenceReceived,
    TribunalFormed,
    HearingNoticed,
    Heard,
    Settled,
    Awarded,
    Closed,
    Withdrawn,
}

impl Status {
    /// Nothing moves the case any more.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Refused | Status::Closed | Status::Withdrawn)
    }

    /// Accepted and not yet decided: the award clock runs.
    pub fn awaiting_award(self) -> bool {
        matches!(
            self,
            Status::Accepted
                | Status::Served
                | Status::DefenceReceived
                | Status::TribunalFormed
                | Status::HearingNoticed
                | Status::Heard
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    /// A draft becomes an application.
    Apply,
    Accept,
    Refuse,
    Serve,
    ReceiveDefence,
    FormTribunal,
    NoticeHearing,
    PostponeHearing,
    HoldHearing,
    Settle,
    Award,
    Close,
    Withdraw,
    /// Rules Art. 46(2): the application counts as received on the day its
    /// missing materials arrive; the acceptance period runs from then.
    SupplementMaterials,
    /// Rules Art. 46(1): a party or third party added; the award period runs afresh.
    AddParty,
    /// Rules Art. 46(3): added or amended claims accepted; afresh.
    AmendClaims,
    /// Rules Art. 46(4): a counterclaim joined; afresh.
    JoinCounterclaim,
    /// Rules Art. 46(5): a case transferred here accepted; afresh.
    AcceptTransfer,
    /// Rules Art. 47: suspended with the director's approval; the award
    /// period stands still (Art. 46(6)).
    Suspend,
    Resume,
    /// Rules Art. 46(6): a document served by public notice; the period
    /// stands still until the notice period ends.
    ServeByPublicNotice,
    PublicNoticeServed,
    /// LDMAL Art. 30: the defence's copy served on the applicant.
    SendDefenceCopy,
    /// Rules Art. 56: the commission handles the case simply.
    HandleSimply,
    /// Rules Art. 58: the defence period shortened or waived with the
    /// respondent's consent (simple track only).
    ShortenDefence,
    /// Rules Art. 61: back to the ordinary procedure.
    ConvertToOrdinary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: Status,
    pub action: Action,
}

impl std::fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a case that is {} cannot {}", self.from.as_str(), self.action.as_str())
    }
}

/// The lifecycle. A respondent's silence does not stop the case (Art. 30):
/// the tribunal may be formed once the copy was served, defence or not —
/// or before, since Art. 32 gives five days from acceptance to notify its
/// composition, the same five Art. 30 gives for service: the copy is then
/// served, and the defence received, while the tribunal stands (the store
/// holds the hearing notice back until the respondent was served).
pub fn transition(from: Status, action: Action) -> Result<Status, IllegalTransition> {
    use Action as A;
    use Status as S;
    let to = match (from, action) {
        (S::Draft, A::Apply) => S::Applied,
        (S::Applied, A::Accept) => S::Accepted,
        (S::Applied, A::Refuse) => S::Refused,
        (S::Accepted, A::Serve) => S::Served,
        (S::Served, A::ReceiveDefence) => S::DefenceReceived,
        (S::Accepted | S::Served | S::DefenceReceived, A::FormTribunal) => S::TribunalFormed,
        (S::TribunalFormed, A::Serve) => S::TribunalFormed,
        (S::TribunalFormed | S::HearingNoticed, A::ReceiveDefence) => from,
        // Art. 30: the defence's copy to the applicant, once it was received.
        (S::DefenceReceived | S::TribunalFormed | S::HearingNoticed | S::Heard, A::SendDefenceCopy) => from,
        (S::TribunalFormed | S::Heard, A::NoticeHearing) => S::HearingNoticed,
        (S::HearingNoticed, A::PostponeHearing) => S::HearingNoticed,
        (S::HearingNoticed, A::HoldHearing) => S::Heard,
        (S::TribunalFormed | S::HearingNoticed | S::Heard, A::Settle) => S::Settled,
        (S::Heard, A::Award) => S::Awarded,
        (S::Settled | S::Awarded, A::Close) => S::Closed,
        (s, A::Withdraw) if !s.is_final() && !matches!(s, S::Settled | S::Awarded) => S::Withdrawn,
        // What moves the clocks, not the case: the status stays.
        (S::Applied, A::SupplementMaterials) => S::Applied,
        (
            s,
            A::AddParty
            | A::AmendClaims
            | A::JoinCounterclaim
            | A::AcceptTransfer
            | A::Suspend
            | A::Resume
            | A::ServeByPublicNotice
            | A::PublicNoticeServed,
        ) if s.awaiting_award() => s,
        // Rules Arts 56, 61: the track is chosen before the hearing, and left
        // before the award; Art. 58: the defence shortened before it is in.
        (S::Accepted | S::Served | S::DefenceReceived | S::TribunalFormed, A::HandleSimply) => from,
        (S::Accepted | S::Served | S::TribunalFormed, A::ShortenDefence) => from,
        (s, A::ConvertToOrdinary) if s.awaiting_award() => s,
        _ => return Err(IllegalTransition { from, action }),
    };
    Ok(to)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimant {
    pub name: String,
    pub phone: Option<String>,
    /// Resident identity card number.
    pub id_number: Option<String>,
    pub representative: bool,
    /// Why the sealed personal data cannot be opened (a retired key), when
    /// it cannot; name, phone and ID number are then empty.
    pub unreadable: Option<String>,
}

/// What the applicant states about when the right was infringed, for the
/// limitation period (Art. 27).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitationFacts {
    pub right_known_on: Option<NaiveDate>,
    pub employment_ended_on: Option<NaiveDate>,
    pub interruptions: Vec<NaiveDate>,
    pub suspensions: Vec<Suspension>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: Uuid,
    pub complaint_id: Option<Uuid>,
    pub enterprise_id: Option<Uuid>,
    pub respondent: String,
    pub category: String,
    pub status: Status,
    /// How many workers claim.
    pub claimant_count: i32,
    pub claimants: Vec<Claimant>,
    pub claims: Vec<Claim>,
    pub facts: String,
    pub correlation_id: Uuid,
    pub opened_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// When the award was made (Art. 47 is judged on that day's figures).
    pub awarded_at: Option<DateTime<Utc>>,
    pub arbitrator: Option<String>,
    pub hearing_at: Option<DateTime<Utc>>,
    pub award_extension_days: u32,
    /// The award period's start, pauses and days not counted (Rules Art. 46).
    pub award_clock: super::award_clock::AwardClock,
    pub limitation: LimitationFacts,
    pub mediation_started_on: Option<NaiveDate>,
    pub track: Track,
}

impl Case {
    /// A collective dispute (ten or more workers with a common claim, handled
    /// with priority) by the commission's count: the workers of an
    /// application the commission has accepted. The number a complaint or an
    /// application declares is not enough — anyone holding `report` could
    /// declare it, and a collective dispute opens a major incident at the
    /// subdistrict and takes the enterprise's risk.
    pub fn collective(&self) -> bool {
        self.accepted_at.is_some()
            && (self.claimant_count >= COLLECTIVE_MIN_WORKERS || self.category == COLLECTIVE_CONTRACT_CATEGORY)
    }
}

/// A draft application opened from a labour complaint; a complaint that
/// names no workers counts its resident as the one claimant.
pub fn draft(
    complaint_id: Uuid,
    enterprise_id: Option<Uuid>,
    category: &str,
    workers: i32,
    correlation_id: Uuid,
    now: DateTime<Utc>,
) -> Case {
    Case {
        id: Uuid::now_v7(),
        complaint_id: Some(complaint_id),
        enterprise_id,
        respondent: String::new(),
        category: category.to_string(),
        status: Status::Draft,
        claimant_count: workers.max(1),
        claimants: Vec::new(),
        claims: Vec::new(),
        facts: String::new(),
        correlation_id,
        opened_at: now,
        applied_at: None,
        accepted_at: None,
        awarded_at: None,
        arbitrator: None,
        hearing_at: None,
        award_extension_days: 0,
        award_clock: Default::default(),
        limitation: LimitationFacts::default(),
        mediation_started_on: None,
        track: Track::Ordinary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: &[Action] = Action::ALL;

    #[test]
    fn no_sequence_of_actions_awards_without_a_hearing_or_reopens_an_ended_case() {
        // 20,000 random walks of 40 actions (legal or not) from a draft.
        let mut random = dualnet_testkit::Xorshift::seeded(0x2545_f491_4f6c_dd1d);
        for walk in 0..20_000 {
            let mut status = Status::Draft;
            // A tribunal may stand before the copy is served (LDMAL Art. 32);
            // that the hearing waits for service is the store's rule, tested
            // through the API.
            let (mut tribunal, mut heard) = (false, false);
            for step in 0..40 {
                let action = ACTIONS[random.below(ACTIONS.len())];
                let Ok(to) = transition(status, action) else { continue };
                let at = format!("walk {walk}, step {step}: {status:?} --{action:?}--> {to:?}");
                assert!(
                    !matches!(status, Status::Closed | Status::Withdrawn | Status::Refused),
                    "an ended case moved ({at})"
                );
                match to {
                    Status::TribunalFormed => tribunal = true,
                    Status::Heard => {
                        assert!(tribunal, "a hearing without a tribunal ({at})");
                        heard = true;
                    }
                    Status::Awarded => assert!(heard, "an award without a hearing ({at})"),
                    Status::Settled => assert!(tribunal, "a settlement before the tribunal ({at})"),
                    Status::Closed => assert!(
                        matches!(status, Status::Settled | Status::Awarded),
                        "closed without an award or settlement ({at})"
                    ),
                    Status::Withdrawn => {
                        assert!(
                            !matches!(status, Status::Settled | Status::Awarded),
                            "withdrawn after the outcome ({at})"
                        )
                    }
                    _ => {}
                }
                status = to;
            }
        }
    }

    #[test]
    fn the_full_path_runs_from_draft_to_closed() {
        let path = [
            (Action::Apply, Status::Applied),
            (Action::Accept, Status::Accepted),
            (Action::Serve, Status::Served),
            (Action::ReceiveDefence, Status::DefenceReceived),
            (Action::FormTribunal, Status::TribunalFormed),
            (Action::NoticeHearing, Status::HearingNoticed),
            (Action::PostponeHearing, Status::HearingNoticed),
            (Action::HoldHearing, Status::Heard),
            (Action::Award, Status::Awarded),
            (Action::Close, Status::Closed),
        ];
        let mut s = Status::Draft;
        for (action, expected) in path {
            s = transition(s, action).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn a_silent_respondent_does_not_stop_the_case() {
        assert_eq!(transition(Status::Served, Action::FormTribunal), Ok(Status::TribunalFormed));
    }

    #[test]
    fn the_tribunal_may_be_formed_before_service_which_then_follows() {
        // LDMAL Arts 30 and 32 both run five days from acceptance.
        assert_eq!(transition(Status::Accepted, Action::FormTribunal), Ok(Status::TribunalFormed));
        assert_eq!(transition(Status::TribunalFormed, Action::Serve), Ok(Status::TribunalFormed));
        assert_eq!(transition(Status::TribunalFormed, Action::ReceiveDefence), Ok(Status::TribunalFormed));
        assert!(transition(Status::Served, Action::SendDefenceCopy).is_err(), "no defence yet");
        assert_eq!(transition(Status::DefenceReceived, Action::SendDefenceCopy), Ok(Status::DefenceReceived));
    }

    #[test]
    fn nothing_is_awarded_before_a_hearing_and_nothing_moves_a_finished_case() {
        assert!(transition(Status::TribunalFormed, Action::Award).is_err());
        assert!(transition(Status::Applied, Action::Serve).is_err());
        for s in [Status::Refused, Status::Closed, Status::Withdrawn] {
            assert!(transition(s, Action::Withdraw).is_err());
            assert!(transition(s, Action::Accept).is_err());
        }
        assert!(transition(Status::Awarded, Action::Withdraw).is_err(), "an award stands");
    }

    #[test]
    fn a_case_may_be_withdrawn_at_any_point_before_it_is_decided() {
        for s in [Status::Draft, Status::Applied, Status::Accepted, Status::HearingNoticed, Status::Heard] {
            assert_eq!(transition(s, Action::Withdraw), Ok(Status::Withdrawn));
        }
    }

    #[test]
    fn ten_workers_of_an_accepted_application_make_a_collective_dispute_and_nine_or_a_declared_ten_do_not() {
        let now = Utc::now();
        let accepted = |workers| Case {
            accepted_at: Some(now),
            ..draft(Uuid::now_v7(), None, "labour.wage_arrears", workers, Uuid::now_v7(), now)
        };
        assert!(accepted(10).collective());
        assert!(!accepted(9).collective());
        // Declared, not yet counted by the commission.
        assert!(!draft(Uuid::now_v7(), None, "labour.wage_arrears", 12, Uuid::now_v7(), now).collective());
        assert_eq!(draft(Uuid::now_v7(), None, "labour.other", 0, Uuid::now_v7(), now).claimant_count, 1);
        // A dispute over a collective contract, whatever the count (Rules Art. 5).
        let contract = Case {
            accepted_at: Some(now),
            ..draft(Uuid::now_v7(), None, COLLECTIVE_CONTRACT_CATEGORY, 3, Uuid::now_v7(), now)
        };
        assert!(contract.collective());
    }
}
