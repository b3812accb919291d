//! Domain values ↔ their protobuf enums, shared by the API and the events.

use dualnet_proto::governance::v1 as pb;

use crate::domain::{
    escalation::Severity,
    incident::{Action, Level, Source, Status},
};

pub fn status(s: Status) -> pb::IncidentStatus {
    match s {
        Status::Reported => pb::IncidentStatus::Reported,
        Status::Accepted => pb::IncidentStatus::Accepted,
        Status::Dispatched => pb::IncidentStatus::Dispatched,
        Status::Handled => pb::IncidentStatus::Handled,
        Status::Verified => pb::IncidentStatus::Verified,
        Status::Closed => pb::IncidentStatus::Closed,
        Status::Rated => pb::IncidentStatus::Rated,
        Status::Rejected => pb::IncidentStatus::Rejected,
    }
}

pub fn level(l: Level) -> pb::IncidentLevel {
    match l {
        Level::Grid => pb::IncidentLevel::Grid,
        Level::Community => pb::IncidentLevel::Community,
        Level::Subdistrict => pb::IncidentLevel::Subdistrict,
    }
}

pub fn source(s: Source) -> pb::IncidentSource {
    match s {
        Source::GridWorker => pb::IncidentSource::GridWorker,
        Source::Complaint => pb::IncidentSource::Complaint,
        Source::LabourRisk => pb::IncidentSource::LabourRisk,
        Source::EarlyWarning => pb::IncidentSource::EarlyWarning,
        Source::PartyReport => pb::IncidentSource::PartyReport,
    }
}

pub fn action(a: Action) -> pb::IncidentAction {
    match a {
        Action::Accept => pb::IncidentAction::Accept,
        Action::Dispatch => pb::IncidentAction::Dispatch,
        Action::Handle => pb::IncidentAction::Handle,
        Action::Verify => pb::IncidentAction::Verify,
        Action::Close => pb::IncidentAction::Close,
        Action::Reject => pb::IncidentAction::Reject,
        Action::SendBack => pb::IncidentAction::SendBack,
        // Rating comes from the complaint, never from this API; on the wire
        // it is the transition to RATED.
        Action::Rate => pb::IncidentAction::Unspecified,
    }
}

/// The action a caller asked for; `Rate` is not one a caller may ask for.
pub fn requested_action(a: pb::IncidentAction) -> Option<Action> {
    Some(match a {
        pb::IncidentAction::Accept => Action::Accept,
        pb::IncidentAction::Dispatch => Action::Dispatch,
        pb::IncidentAction::Handle => Action::Handle,
        pb::IncidentAction::Verify => Action::Verify,
        pb::IncidentAction::Close => Action::Close,
        pb::IncidentAction::Reject => Action::Reject,
        pb::IncidentAction::SendBack => Action::SendBack,
        pb::IncidentAction::Unspecified => return None,
    })
}

pub fn severity(s: Severity) -> pb::Severity {
    match s {
        Severity::Normal => pb::Severity::Normal,
        Severity::Major => pb::Severity::Major,
    }
}

/// A requested severity; unspecified means normal.
pub fn severity_from(s: pb::Severity) -> Severity {
    match s {
        pb::Severity::Major => Severity::Major,
        pb::Severity::Normal | pb::Severity::Unspecified => Severity::Normal,
    }
}
