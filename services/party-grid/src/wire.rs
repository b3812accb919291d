//! Domain values ↔ their protobuf enums, shared by the API and the events.

use dualnet_platform::Named;
use dualnet_proto::partygrid::v1 as pb;

use crate::domain::{
    binding::{OrgKind, UnitKind},
    member::Role,
    task::TaskStatus,
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
