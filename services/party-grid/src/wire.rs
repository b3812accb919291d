//! Domain values ↔ their protobuf enums, shared by the API and the events.

use dualnet_platform::Named;
use dualnet_proto::partygrid::v1 as pb;

use crate::domain::{
    binding::{OrgKind, UnitKind},
    council::{LiaisonRole, MemberKind},
    member::Role,
    task::TaskStatus,
    topic::{TopicSource, TopicStatus},
};

pub fn org_kind(k: OrgKind) -> pb::OrganisationKind {
    match k {
        OrgKind::WorkingCommittee => pb::OrganisationKind::WorkingCommittee,
        OrgKind::CommunityCommittee => pb::OrganisationKind::CommunityCommittee,
        OrgKind::GridBranch => pb::OrganisationKind::GridBranch,
        OrgKind::BuildingGroup => pb::OrganisationKind::BuildingGroup,
        OrgKind::Enterprise => pb::OrganisationKind::Enterprise,
        OrgKind::IndustrialPark => pb::OrganisationKind::IndustrialPark,
        OrgKind::BusinessDistrict => pb::OrganisationKind::BusinessDistrict,
    }
}

pub fn org_kind_from(k: pb::OrganisationKind) -> Option<OrgKind> {
    OrgKind::ALL.iter().copied().find(|d| org_kind(*d) == k)
}

pub fn unit_kind(k: UnitKind) -> pb::UnitKind {
    match k {
        UnitKind::Subdistrict => pb::UnitKind::Subdistrict,
        UnitKind::Community => pb::UnitKind::Community,
        UnitKind::Grid => pb::UnitKind::Grid,
        UnitKind::Building => pb::UnitKind::Building,
        UnitKind::Enterprise => pb::UnitKind::Enterprise,
    }
}

pub fn unit_kind_from(k: pb::UnitKind) -> Option<UnitKind> {
    UnitKind::ALL.iter().copied().find(|d| unit_kind(*d) == k)
}

/// The status a filter names (`UNSPECIFIED`: none).
pub fn task_status_from(s: pb::TaskStatus) -> Option<TaskStatus> {
    TaskStatus::ALL.iter().copied().find(|v| task_status(*v) == s)
}

pub fn task_status(s: TaskStatus) -> pb::TaskStatus {
    match s {
        TaskStatus::Open => pb::TaskStatus::Open,
        TaskStatus::Accepted => pb::TaskStatus::Accepted,
        TaskStatus::Completed => pb::TaskStatus::Completed,
        TaskStatus::Closed => pb::TaskStatus::Closed,
    }
}

pub fn role(r: Role) -> pb::MemberRole {
    match r {
        Role::Secretary => pb::MemberRole::Secretary,
        Role::CommitteeMember => pb::MemberRole::CommitteeMember,
        Role::Member => pb::MemberRole::Member,
        Role::BuildingHead => pb::MemberRole::BuildingHead,
        Role::Volunteer => pb::MemberRole::Volunteer,
    }
}

pub fn role_from(r: pb::MemberRole) -> Option<Role> {
    Role::ALL.iter().copied().find(|d| role(*d) == r)
}

pub fn member_kind(k: MemberKind) -> pb::CouncilMemberKind {
    match k {
        MemberKind::Resident => pb::CouncilMemberKind::Resident,
        MemberKind::MigrantResident => pb::CouncilMemberKind::MigrantResident,
        MemberKind::Liaison => pb::CouncilMemberKind::Liaison,
        MemberKind::Official => pb::CouncilMemberKind::Official,
        MemberKind::Stakeholder => pb::CouncilMemberKind::Stakeholder,
    }
}

pub fn member_kind_from(k: pb::CouncilMemberKind) -> Option<MemberKind> {
    MemberKind::ALL.iter().copied().find(|d| member_kind(*d) == k)
}

pub fn liaison_role(r: LiaisonRole) -> pb::LiaisonRole {
    match r {
        LiaisonRole::PeoplesCongressDeputy => pb::LiaisonRole::PeoplesCongressDeputy,
        LiaisonRole::PartyCongressDeputy => pb::LiaisonRole::PartyCongressDeputy,
        LiaisonRole::CppccMember => pb::LiaisonRole::CppccMember,
    }
}

pub fn liaison_role_from(r: pb::LiaisonRole) -> Option<LiaisonRole> {
    LiaisonRole::ALL.iter().copied().find(|d| liaison_role(*d) == r)
}

pub fn topic_status(s: TopicStatus) -> pb::TopicStatus {
    match s {
        TopicStatus::Raised => pb::TopicStatus::Raised,
        TopicStatus::Accepted => pb::TopicStatus::Accepted,
        TopicStatus::Declined => pb::TopicStatus::Declined,
        TopicStatus::Scheduled => pb::TopicStatus::Scheduled,
        TopicStatus::Deliberated => pb::TopicStatus::Deliberated,
        TopicStatus::Resolved => pb::TopicStatus::Resolved,
        TopicStatus::Implemented => pb::TopicStatus::Implemented,
        TopicStatus::Reviewed => pb::TopicStatus::Reviewed,
    }
}

/// The status a filter names (`UNSPECIFIED`: none).
pub fn topic_status_from(s: pb::TopicStatus) -> Option<TopicStatus> {
    TopicStatus::ALL.iter().copied().find(|v| topic_status(*v) == s)
}

pub fn topic_source(s: TopicSource) -> pb::TopicSource {
    match s {
        TopicSource::Resident => pb::TopicSource::Resident,
        TopicSource::Member => pb::TopicSource::Member,
        TopicSource::Liaison => pb::TopicSource::Liaison,
        TopicSource::RecurringProblem => pb::TopicSource::RecurringProblem,
    }
}

pub fn topic_source_from(s: pb::TopicSource) -> Option<TopicSource> {
    TopicSource::ALL.iter().copied().find(|v| topic_source(*v) == s)
}
