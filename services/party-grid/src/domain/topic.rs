//! The topics (议题) a residents' consultation council takes up, and how a
//! deliberation meeting decides them.
//!
//! A topic's life: raised → accepted (or declined, with a reason) → scheduled
//! on a meeting's agenda → deliberated at a quorate meeting (with the vote
//! deferred it waits for a later agenda) → resolved when the vote carried
//! (declined when it did not) → implemented once the work it handed out
//! reports back → reviewed by the council. Each step is one line of the
//! topic's history.

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use uuid::Uuid;

use super::council::Quorum;

/// A topic as the council keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: Uuid,
    pub council_id: Uuid,
    pub community_id: Uuid,
    pub title: String,
    pub description: String,
    pub source: TopicSource,
    pub status: TopicStatus,
    pub complaint_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub warning_id: Option<Uuid>,
    pub resolution: Option<Resolution>,
    pub history: Vec<TopicStep>,
    pub correlation_id: Uuid,
    pub raised_at: DateTime<Utc>,
}

/// What a carried vote adopted (决议).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub text: String,
    pub meeting_id: Uuid,
    pub in_favour: u32,
    pub against: u32,
    pub abstaining: u32,
    pub hand_off: Option<HandOff>,
    /// The incident the governance network opened for the hand-off.
    pub incident_id: Option<Uuid>,
    pub adopted_at: DateTime<Utc>,
}

/// Work a resolution hands to the governance network: an incident at a
/// building or grid of the council's community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOff {
    pub building_id: Option<Uuid>,
    pub grid_id: Option<Uuid>,
    pub category: String,
}

/// One line of a topic's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStep {
    pub at: DateTime<Utc>,
    pub from: TopicStatus,
    pub to: TopicStatus,
    pub actor: String,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TopicStatus {
    Raised,
    Accepted,
    /// Not taken up, or the vote did not carry; the reason is in the history.
    Declined,
    /// On a meeting's agenda.
    Scheduled,
    /// Discussed at a quorate meeting with the vote deferred (议而未决): it
    /// goes on a later agenda, or is declined.
    Deliberated,
    Resolved,
    /// The work the resolution handed out has reported back.
    Implemented,
    /// The council has looked back at the outcome: the end.
    Reviewed,
}

/// Where a topic came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TopicSource {
    /// A resident, through the complaints channels.
    Resident,
    /// A member of the council.
    Member,
    /// A people's congress deputy, party congress deputy or CPPCC member
    /// liaising with the community (两代表一委员).
    Liaison,
    /// Proposed from a recurring problem (an early warning, repeated
    /// requests of one category at one estate).
    RecurringProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicAction {
    Accept,
    Decline {
        reason: String,
    },
    Schedule,
    /// The meeting that took the topic up, and how it went.
    Deliberate(Deliberation),
    Implement,
    Review,
}

impl TopicAction {
    fn verb(&self) -> &'static str {
        match self {
            TopicAction::Accept => "accept",
            TopicAction::Decline { .. } => "decline",
            TopicAction::Schedule => "schedule",
            TopicAction::Deliberate(_) => "deliberate",
            TopicAction::Implement => "implement",
            TopicAction::Review => "review",
        }
    }
}

/// A meeting's attendance and vote on one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deliberation {
    pub members: u32,
    pub attending: u32,
    pub quorum: Quorum,
    pub in_favour: u32,
    pub against: u32,
    pub abstaining: u32,
}

impl Deliberation {
    pub fn votes(&self) -> u64 {
        u64::from(self.in_favour) + u64::from(self.against) + u64::from(self.abstaining)
    }

    /// Votes can only come from those present.
    pub fn check(&self) -> Result<(), String> {
        if self.attending > self.members {
            return Err(format!("{} attending of {} members", self.attending, self.members));
        }
        let votes = self.votes();
        if votes > u64::from(self.attending) {
            return Err(format!("{votes} votes from {} attending", self.attending));
        }
        Ok(())
    }

    /// Carried: a quorate meeting, and more than half of those present in
    /// favour (abstentions count as present, not for).
    pub fn carried(&self) -> bool {
        self.quorum.met(self.attending, self.members) && u64::from(self.in_favour) * 2 > u64::from(self.attending)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicRefused {
    Illegal {
        from: TopicStatus,
        action: &'static str,
    },
    /// A meeting short of its quorum decides nothing; the topic stays scheduled.
    NotQuorate {
        attending: u32,
        members: u32,
    },
    InvalidVote(String),
    /// A decline needs its reason.
    NoReason,
    /// A resolution that handed an incident to the governance network is
    /// implemented when that incident closes, not by hand before.
    HandedOff,
    /// A carried vote adopts a resolution: its text is required.
    NoResolution,
}

impl std::fmt::Display for TopicRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TopicRefused::Illegal { from, action } => write!(f, "cannot {action} a topic that is {}", from.as_str()),
            TopicRefused::NotQuorate { attending, members } => {
                write!(f, "{attending} of {members} members attending: short of the council's quorum")
            }
            TopicRefused::InvalidVote(why) => write!(f, "invalid vote: {why}"),
            TopicRefused::NoReason => write!(f, "a declined topic needs a reason"),
            TopicRefused::HandedOff => {
                write!(f, "the resolution handed an incident out: the topic is implemented when the incident closes")
            }
            TopicRefused::NoResolution => write!(f, "the vote carried: the resolution's text is required"),
        }
    }
}

/// The status `action` moves a topic in `from` to.
pub fn transition(from: TopicStatus, action: &TopicAction) -> Result<TopicStatus, TopicRefused> {
    use TopicStatus as S;
    let illegal = || TopicRefused::Illegal { from, action: action.verb() };
    match (from, action) {
        (S::Raised, TopicAction::Accept) => Ok(S::Accepted),
        (S::Raised | S::Accepted | S::Deliberated, TopicAction::Decline { reason }) => {
            if reason.trim().is_empty() {
                Err(TopicRefused::NoReason)
            } else {
                Ok(S::Declined)
            }
        }
        (S::Accepted | S::Deliberated, TopicAction::Schedule) => Ok(S::Scheduled),
        (S::Scheduled, TopicAction::Deliberate(d)) => {
            d.check().map_err(TopicRefused::InvalidVote)?;
            if !d.quorum.met(d.attending, d.members) {
                return Err(TopicRefused::NotQuorate { attending: d.attending, members: d.members });
            }
            // A resolution (决议) is what a carried vote makes; a vote that
            // did not carry ends the topic as declined; no vote at all defers it.
            Ok(if d.votes() == 0 {
                S::Deliberated
            } else if d.carried() {
                S::Resolved
            } else {
                S::Declined
            })
        }
        (S::Resolved, TopicAction::Implement) => Ok(S::Implemented),
        (S::Implemented, TopicAction::Review) => Ok(S::Reviewed),
        _ => Err(illegal()),
    }
}

/// Implementing a resolved topic by hand: refused while the incident its
/// resolution handed out is still open (`incident_open`).
pub fn implement_by_hand(status: TopicStatus, incident_open: bool) -> Result<TopicStatus, TopicRefused> {
    let to = transition(status, &TopicAction::Implement)?;
    if incident_open {
        return Err(TopicRefused::HandedOff);
    }
    Ok(to)
}

/// A meeting's decision on one scheduled topic: the status it leaves the
/// topic in; a carried vote needs the resolution's text.
pub fn decide(status: TopicStatus, deliberation: Deliberation, resolution: &str) -> Result<TopicStatus, TopicRefused> {
    let to = transition(status, &TopicAction::Deliberate(deliberation))?;
    if to == TopicStatus::Resolved && resolution.trim().is_empty() {
        return Err(TopicRefused::NoResolution);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting(members: u32, attending: u32, in_favour: u32) -> Deliberation {
        Deliberation { members, attending, quorum: Quorum::default(), in_favour, against: 0, abstaining: 0 }
    }

    #[test]
    fn a_topic_runs_from_raised_to_reviewed_through_a_carried_vote() {
        let steps = [
            TopicAction::Accept,
            TopicAction::Schedule,
            TopicAction::Deliberate(meeting(11, 7, 5)),
            TopicAction::Implement,
            TopicAction::Review,
        ];
        let mut status = TopicStatus::Raised;
        for step in &steps {
            status = transition(status, step).unwrap();
        }
        assert_eq!(status, TopicStatus::Reviewed);
    }

    #[test]
    fn a_deliberation_without_a_vote_defers_the_topic_to_a_later_agenda() {
        let deferred = transition(TopicStatus::Scheduled, &TopicAction::Deliberate(meeting(11, 7, 0)));
        assert_eq!(deferred, Ok(TopicStatus::Deliberated));
        assert_eq!(transition(TopicStatus::Deliberated, &TopicAction::Schedule), Ok(TopicStatus::Scheduled));
        assert!(transition(TopicStatus::Deliberated, &TopicAction::Implement).is_err());
    }

    #[test]
    fn a_meeting_short_of_its_quorum_decides_nothing() {
        let short = transition(TopicStatus::Scheduled, &TopicAction::Deliberate(meeting(11, 5, 5)));
        assert_eq!(short, Err(TopicRefused::NotQuorate { attending: 5, members: 11 }));
        let two_thirds = Deliberation { quorum: Quorum::new(2, 3).unwrap(), ..meeting(12, 7, 7) };
        assert!(!two_thirds.quorum.met(7, 12) && two_thirds.quorum.met(8, 12));
    }

    #[test]
    fn a_vote_needs_more_than_half_of_those_present_and_a_lost_vote_declines() {
        // 6 present, 3 for, 3 abstaining: not more than half.
        let tied = Deliberation { abstaining: 3, ..meeting(10, 6, 3) };
        assert!(!tied.carried());
        assert_eq!(transition(TopicStatus::Scheduled, &TopicAction::Deliberate(tied)), Ok(TopicStatus::Declined));
        assert!(meeting(10, 6, 4).carried());
    }

    #[test]
    fn votes_cannot_outnumber_those_present() {
        let stuffed = Deliberation { against: 2, ..meeting(10, 6, 5) };
        assert!(matches!(
            transition(TopicStatus::Scheduled, &TopicAction::Deliberate(stuffed)),
            Err(TopicRefused::InvalidVote(_))
        ));
        assert!(meeting(5, 6, 1).check().is_err(), "more attending than members");
    }

    #[test]
    fn a_resolution_that_handed_out_an_incident_waits_for_it_to_close() {
        assert_eq!(implement_by_hand(TopicStatus::Resolved, true), Err(TopicRefused::HandedOff));
        assert_eq!(implement_by_hand(TopicStatus::Resolved, false), Ok(TopicStatus::Implemented));
        assert!(matches!(implement_by_hand(TopicStatus::Scheduled, false), Err(TopicRefused::Illegal { .. })));
    }

    #[test]
    fn a_carried_vote_needs_the_resolutions_text() {
        assert_eq!(decide(TopicStatus::Scheduled, meeting(9, 6, 4), " "), Err(TopicRefused::NoResolution));
        assert_eq!(decide(TopicStatus::Scheduled, meeting(9, 6, 4), "repave the lane"), Ok(TopicStatus::Resolved));
        assert_eq!(decide(TopicStatus::Scheduled, meeting(9, 6, 0), ""), Ok(TopicStatus::Deliberated));
    }

    #[test]
    fn a_decline_needs_a_reason_and_ends_the_topic() {
        let no_reason = TopicAction::Decline { reason: "  ".into() };
        assert_eq!(transition(TopicStatus::Raised, &no_reason), Err(TopicRefused::NoReason));
        let reason = TopicAction::Decline { reason: "a matter for the property company".into() };
        assert_eq!(transition(TopicStatus::Accepted, &reason), Ok(TopicStatus::Declined));
        for action in [TopicAction::Accept, TopicAction::Schedule, TopicAction::Implement, TopicAction::Review] {
            assert!(transition(TopicStatus::Declined, &action).is_err(), "{action:?} moved a declined topic");
        }
    }

    #[test]
    fn no_sequence_of_actions_implements_a_topic_without_a_carried_vote() {
        // 20,000 random walks of 12 actions (legal or not) from a raised topic.
        let mut random = dualnet_testkit::Xorshift::seeded(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let (mut status, mut carried) = (TopicStatus::Raised, false);
            for _ in 0..12 {
                let n = random.below(11);
                let action = match n {
                    0 => TopicAction::Accept,
                    1 => TopicAction::Decline { reason: "r".into() },
                    2 => TopicAction::Schedule,
                    3 => TopicAction::Implement,
                    4 => TopicAction::Review,
                    _ => {
                        let (members, attending) = (1 + random.below(20) as u32, random.below(22) as u32);
                        TopicAction::Deliberate(meeting(members, attending, random.below(22) as u32))
                    }
                };
                if let Ok(next) = transition(status, &action) {
                    if let TopicAction::Deliberate(d) = &action {
                        carried = d.carried();
                    }
                    if next == TopicStatus::Implemented {
                        assert!(carried, "implemented without a carried vote");
                    }
                    status = next;
                }
            }
        }
    }
}
