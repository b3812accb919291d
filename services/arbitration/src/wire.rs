//! Domain values ↔ their protobuf enums, shared by the API and the events.

use dualnet_platform::Named;
use dualnet_proto::arbitration::v1 as pb;

use crate::domain::{
    award::ClaimKind,
    case::{Action, Status},
    clocks::{Kind, State},
    procedure::{SimpleGround, Track},
};

/// The status a filter names (`UNSPECIFIED`: none).
pub fn status_from(s: pb::CaseStatus) -> Option<Status> {
    Status::ALL.iter().copied().find(|v| status(*v) == s)
}

pub fn status(s: Status) -> pb::CaseStatus {
    match s {
        Status::Draft => pb::CaseStatus::Draft,
        Status::Applied => pb::CaseStatus::Applied,
        Status::Accepted => pb::CaseStatus::Accepted,
        Status::Refused => pb::CaseStatus::Refused,
        Status::Served => pb::CaseStatus::Served,
        Status::DefenceReceived => pb::CaseStatus::DefenceReceived,
        Status::TribunalFormed => pb::CaseStatus::TribunalFormed,
        Status::HearingNoticed => pb::CaseStatus::HearingNoticed,
        Status::Heard => pb::CaseStatus::Heard,
        Status::Settled => pb::CaseStatus::Settled,
        Status::Awarded => pb::CaseStatus::Awarded,
        Status::Closed => pb::CaseStatus::Closed,
        Status::Withdrawn => pb::CaseStatus::Withdrawn,
    }
}

pub fn action(a: Action) -> pb::CaseAction {
    match a {
        // Applying is its own call; on the wire it is the step to APPLIED.
        Action::Apply => pb::CaseAction::Unspecified,
        Action::Accept => pb::CaseAction::Accept,
        Action::Refuse => pb::CaseAction::Refuse,
        Action::Serve => pb::CaseAction::Serve,
        Action::ReceiveDefence => pb::CaseAction::ReceiveDefence,
        Action::FormTribunal => pb::CaseAction::FormTribunal,
        Action::NoticeHearing => pb::CaseAction::NoticeHearing,
        Action::PostponeHearing => pb::CaseAction::PostponeHearing,
        Action::HoldHearing => pb::CaseAction::HoldHearing,
        Action::Settle => pb::CaseAction::Settle,
        Action::Award => pb::CaseAction::Award,
        Action::Close => pb::CaseAction::Close,
        Action::Withdraw => pb::CaseAction::Withdraw,
        Action::SupplementMaterials => pb::CaseAction::SupplementMaterials,
        Action::AddParty => pb::CaseAction::AddParty,
        Action::AmendClaims => pb::CaseAction::AmendClaims,
        Action::JoinCounterclaim => pb::CaseAction::JoinCounterclaim,
        Action::AcceptTransfer => pb::CaseAction::AcceptTransfer,
        Action::Suspend => pb::CaseAction::Suspend,
        Action::Resume => pb::CaseAction::Resume,
        Action::ServeByPublicNotice => pb::CaseAction::ServeByPublicNotice,
        Action::PublicNoticeServed => pb::CaseAction::PublicNoticeServed,
        Action::SendDefenceCopy => pb::CaseAction::SendDefenceCopy,
        Action::HandleSimply => pb::CaseAction::HandleSimply,
        Action::ShortenDefence => pb::CaseAction::ShortenDefence,
        Action::ConvertToOrdinary => pb::CaseAction::ConvertToOrdinary,
    }
}

pub fn track(t: Track) -> pb::CaseTrack {
    match t {
        Track::Ordinary => pb::CaseTrack::Ordinary,
        Track::Simple => pb::CaseTrack::Simple,
    }
}

pub fn simple_ground(g: SimpleGround) -> pb::SimpleGround {
    match g {
        SimpleGround::ClearFacts => pb::SimpleGround::ClearFacts,
        SimpleGround::SmallAmount => pb::SimpleGround::SmallAmount,
        SimpleGround::PartiesAgree => pb::SimpleGround::PartiesAgree,
    }
}

pub fn simple_ground_from(g: pb::SimpleGround) -> Option<SimpleGround> {
    SimpleGround::ALL.iter().copied().find(|v| simple_ground(*v) == g)
}

/// The action a caller asked for: any but applying, which is `ApplyCase`.
pub fn requested_action(a: pb::CaseAction) -> Option<Action> {
    Action::ALL.iter().copied().filter(|v| *v != Action::Apply).find(|v| action(*v) == a)
}

pub fn claim_kind(k: ClaimKind) -> pb::ClaimKind {
    match k {
        ClaimKind::Wages => pb::ClaimKind::Wages,
        ClaimKind::InjuryMedical => pb::ClaimKind::InjuryMedical,
        ClaimKind::Compensation => pb::ClaimKind::Compensation,
        ClaimKind::Damages => pb::ClaimKind::Damages,
        ClaimKind::LabourStandards => pb::ClaimKind::LabourStandards,
        ClaimKind::Other => pb::ClaimKind::Other,
    }
}

pub fn claim_kind_from(k: pb::ClaimKind) -> Option<ClaimKind> {
    ClaimKind::ALL.iter().copied().find(|v| claim_kind(*v) == k)
}

pub fn deadline_kind(k: Kind) -> pb::DeadlineKind {
    match k {
        Kind::MediationOver => pb::DeadlineKind::MediationOver,
        Kind::Acceptance => pb::DeadlineKind::Acceptance,
        Kind::Service => pb::DeadlineKind::Service,
        Kind::Defence => pb::DeadlineKind::Defence,
        Kind::TribunalNotice => pb::DeadlineKind::TribunalNotice,
        Kind::HearingSoon => pb::DeadlineKind::HearingSoon,
        Kind::Award => pb::DeadlineKind::Award,
        Kind::DefenceCopy => pb::DeadlineKind::DefenceCopy,
    }
}

pub fn deadline_state(s: State) -> pb::DeadlineState {
    match s {
        State::Pending => pb::DeadlineState::Pending,
        State::Met => pb::DeadlineState::Met,
        State::Passed => pb::DeadlineState::Passed,
        State::Cancelled => pb::DeadlineState::Cancelled,
        State::Paused => pb::DeadlineState::Paused,
    }
}
