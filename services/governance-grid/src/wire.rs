//! Domain values ↔ their protobuf enums, shared by the API and the events.

use dualnet_platform::Named;
use dualnet_proto::governance::v1 as pb;

use crate::domain::{
    deadline::Unit,
    escalation::Severity,
    incident::{Action, Level, Source, Status},
    map_import::Format,
    notice::NoticeKind,
    rental::{Category as RentalCategory, Grade, HazardSeverity},
    warning::{Kind as WarningKind, Scope},
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

/// The status a filter names (`UNSPECIFIED`: none).
pub fn status_from(s: pb::IncidentStatus) -> Option<Status> {
    Status::ALL.iter().copied().find(|v| status(*v) == s)
}

/// The level a filter names (`UNSPECIFIED`: none).
pub fn level_from(l: pb::IncidentLevel) -> Option<Level> {
    Level::ALL.iter().copied().find(|v| level(*v) == l)
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
        Source::Council => pb::IncidentSource::Council,
        Source::Patrol => pb::IncidentSource::Patrol,
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

pub fn rental_category(c: RentalCategory) -> pb::RentalCategory {
    match c {
        RentalCategory::UrbanVillageHouse => pb::RentalCategory::UrbanVillageHouse,
        RentalCategory::ResidentialEstate => pb::RentalCategory::ResidentialEstate,
        RentalCategory::Dormitory => pb::RentalCategory::Dormitory,
        RentalCategory::PublicRental => pb::RentalCategory::PublicRental,
        RentalCategory::Other => pb::RentalCategory::Other,
    }
}

pub fn rental_category_from(c: pb::RentalCategory) -> Option<RentalCategory> {
    RentalCategory::ALL.iter().copied().find(|v| rental_category(*v) == c)
}

pub fn rental_grade(g: Grade) -> pb::RentalGrade {
    match g {
        Grade::Green => pb::RentalGrade::Green,
        Grade::Yellow => pb::RentalGrade::Yellow,
        Grade::Orange => pb::RentalGrade::Orange,
        Grade::Red => pb::RentalGrade::Red,
    }
}

pub fn hazard_severity(s: HazardSeverity) -> pb::HazardSeverity {
    match s {
        HazardSeverity::Minor => pb::HazardSeverity::Minor,
        HazardSeverity::Major => pb::HazardSeverity::Major,
        HazardSeverity::Critical => pb::HazardSeverity::Critical,
    }
}

pub fn warning_kind_from(k: pb::WarningKind) -> Option<WarningKind> {
    match k {
        pb::WarningKind::Unspecified => None,
        pb::WarningKind::Rule => Some(WarningKind::Rule),
        pb::WarningKind::InspectionOverdue => Some(WarningKind::InspectionOverdue),
        pb::WarningKind::PatrolMissed => Some(WarningKind::PatrolMissed),
        pb::WarningKind::PatrolIncomplete => Some(WarningKind::PatrolIncomplete),
    }
}

pub fn warning_kind(k: WarningKind) -> pb::WarningKind {
    match k {
        WarningKind::Rule => pb::WarningKind::Rule,
        WarningKind::InspectionOverdue => pb::WarningKind::InspectionOverdue,
        WarningKind::PatrolMissed => pb::WarningKind::PatrolMissed,
        WarningKind::PatrolIncomplete => pb::WarningKind::PatrolIncomplete,
    }
}

pub fn warning_scope(s: Scope) -> pb::WarningScope {
    match s {
        Scope::Building => pb::WarningScope::Building,
        Scope::Enterprise => pb::WarningScope::Enterprise,
        Scope::Grid => pb::WarningScope::Grid,
    }
}

pub fn warning_scope_from(s: pb::WarningScope) -> Option<Scope> {
    [Scope::Building, Scope::Enterprise, Scope::Grid].into_iter().find(|v| warning_scope(*v) == s)
}

pub fn deadline_unit(u: Unit) -> pb::DeadlineUnit {
    match u {
        Unit::WorkingDays => pb::DeadlineUnit::WorkingDays,
        Unit::Hours => pb::DeadlineUnit::Hours,
    }
}

pub fn deadline_unit_from(u: pb::DeadlineUnit) -> Option<Unit> {
    [Unit::WorkingDays, Unit::Hours].into_iter().find(|v| deadline_unit(*v) == u)
}

pub fn map_format(f: pb::MapFormat) -> Option<Format> {
    match f {
        pb::MapFormat::Csv => Some(Format::Csv),
        pb::MapFormat::Json => Some(Format::Json),
        pb::MapFormat::Unspecified => None,
    }
}

pub fn notice_kind(k: NoticeKind) -> pb::NoticeKind {
    match k {
        NoticeKind::Resolution => pb::NoticeKind::Resolution,
        NoticeKind::Implementation => pb::NoticeKind::Implementation,
        NoticeKind::IncidentOutcome => pb::NoticeKind::IncidentOutcome,
        NoticeKind::PatrolCampaign => pb::NoticeKind::PatrolCampaign,
    }
}
