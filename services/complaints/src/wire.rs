//! Domain values ↔ their protobuf enums, shared by the API and the events.

use dualnet_platform::Named;
use dualnet_proto::complaints::v1 as pb;

use crate::domain::{
    complaint::{Channel, Kind, Resolution, Satisfaction, Status},
    referral,
};

pub fn kind(k: Kind) -> pb::RequestKind {
    match k {
        Kind::Consultation => pb::RequestKind::Consultation,
        Kind::Help => pb::RequestKind::Help,
        Kind::Complaint => pb::RequestKind::Complaint,
        Kind::Report => pb::RequestKind::Report,
        Kind::Suggestion => pb::RequestKind::Suggestion,
    }
}

pub fn kind_from(k: pb::RequestKind) -> Option<Kind> {
    Kind::ALL.iter().copied().find(|d| kind(*d) == k)
}

pub fn channel(c: Channel) -> pb::Channel {
    match c {
        Channel::Hotline => pb::Channel::Hotline,
        Channel::App => pb::Channel::App,
        Channel::WalkIn => pb::Channel::WalkIn,
        Channel::LettersAndVisits => pb::Channel::LettersAndVisits,
        Channel::WechatGroup => pb::Channel::WechatGroup,
        Channel::OnBehalf => pb::Channel::OnBehalf,
    }
}

pub fn channel_from(c: pb::Channel) -> Option<Channel> {
    Channel::ALL.iter().copied().find(|d| channel(*d) == c)
}

pub fn status(s: Status) -> pb::ComplaintStatus {
    match s {
        Status::Filed => pb::ComplaintStatus::Filed,
        Status::Accepted => pb::ComplaintStatus::Accepted,
        Status::Dispatched => pb::ComplaintStatus::Dispatched,
        Status::Replied => pb::ComplaintStatus::Replied,
        Status::Rated => pb::ComplaintStatus::Rated,
    }
}

pub fn status_from(s: pb::ComplaintStatus) -> Option<Status> {
    Status::ALL.iter().copied().find(|d| status(*d) == s)
}

pub fn satisfaction(s: Satisfaction) -> pb::Satisfaction {
    match s {
        Satisfaction::Satisfied => pb::Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied => pb::Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied => pb::Satisfaction::Dissatisfied,
    }
}

pub fn satisfaction_from(s: pb::Satisfaction) -> Option<Satisfaction> {
    Satisfaction::ALL.iter().copied().find(|d| satisfaction(*d) == s)
}

pub fn resolution(r: Resolution) -> pb::Resolution {
    match r {
        Resolution::Solved => pb::Resolution::Solved,
        Resolution::PartlySolved => pb::Resolution::PartlySolved,
        Resolution::NotSolved => pb::Resolution::NotSolved,
    }
}

pub fn resolution_from(r: pb::Resolution) -> Option<Resolution> {
    Resolution::ALL.iter().copied().find(|d| resolution(*d) == r)
}

pub fn referral_kind(k: referral::Kind) -> pb::ReferralKind {
    match k {
        referral::Kind::PeoplesMediation => pb::ReferralKind::PeoplesMediation,
        referral::Kind::AdministrativeMediation => pb::ReferralKind::AdministrativeMediation,
        referral::Kind::JudicialMediation => pb::ReferralKind::JudicialMediation,
        referral::Kind::LegalAid => pb::ReferralKind::LegalAid,
    }
}

pub fn referral_kind_from(k: pb::ReferralKind) -> Option<referral::Kind> {
    referral::Kind::ALL.iter().copied().find(|d| referral_kind(*d) == k)
}

pub fn referral_outcome(o: referral::Outcome) -> pb::ReferralOutcome {
    match o {
        referral::Outcome::Settled => pb::ReferralOutcome::Settled,
        referral::Outcome::NotSettled => pb::ReferralOutcome::NotSettled,
        referral::Outcome::AidGranted => pb::ReferralOutcome::AidGranted,
        referral::Outcome::AidRefused => pb::ReferralOutcome::AidRefused,
        referral::Outcome::Withdrawn => pb::ReferralOutcome::Withdrawn,
    }
}

pub fn referral_outcome_from(o: pb::ReferralOutcome) -> Option<referral::Outcome> {
    referral::Outcome::ALL.iter().copied().find(|d| referral_outcome(*d) == o)
}
