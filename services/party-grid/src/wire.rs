//! Domain values ↔ their protobuf enums and messages, shared by the API and
//! the events: the one place that builds a message from what the service
//! holds.

use dualnet_platform::{Named, fields::id_text, personal_data, timestamp::to_proto};
use dualnet_proto::partygrid::v1 as pb;

use crate::{
    domain::{
        binding::{OrgKind, Organisation, UnitKind},
        council::{Council, LiaisonRole, MemberKind},
        coverage::{Figures, Report},
        member::{Member, Role},
        task::{LinkageTask, TaskStatus},
        topic::{Topic, TopicSource, TopicStatus},
        volunteers::Call,
    },
    store::{CouncilMember, Meeting},
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

pub fn council(c: Council) -> pb::Council {
    pb::Council {
        id: c.id.to_string(),
        community_id: c.community_id.to_string(),
        name: c.name,
        convenor_organisation_id: c.convenor_organisation_id.to_string(),
        quorum_numerator: c.quorum.numerator,
        quorum_denominator: c.quorum.denominator,
        term_start: Some(to_proto(c.term_start)),
        term_end: Some(to_proto(c.term_end)),
        members: i32::try_from(c.members).unwrap_or(i32::MAX),
    }
}

pub fn council_member(m: CouncilMember, unmasked: bool) -> pb::CouncilMember {
    let (name, phone) = personal_data::shown_contact(m.name, m.phone, unmasked);
    pb::CouncilMember {
        id: m.id.to_string(),
        council_id: m.council_id.to_string(),
        name,
        phone,
        kind: member_kind(m.kind) as i32,
        liaison_role: m.liaison_role.map_or(0, |r| liaison_role(r) as i32),
        joined_at: Some(to_proto(m.joined_at)),
        unmasked,
    }
}

pub fn member(m: Member) -> pb::Member {
    pb::Member {
        id: m.id.to_string(),
        organisation_id: m.organisation_id.to_string(),
        name: m.name,
        role: role(m.role) as i32,
        building_id: id_text(m.building_id),
        registered_community_id: id_text(m.registered_community_id),
    }
}

pub fn figures(f: &Figures) -> pb::CoverageFigures {
    let n = |x: u32| i32::try_from(x).unwrap_or(i32::MAX);
    pb::CoverageFigures {
        buildings: n(f.buildings),
        buildings_with_group: n(f.with_group),
        buildings_with_party_head: n(f.with_party_head),
        grids: n(f.grids),
        grids_with_branch: n(f.with_branch),
        group_share: f.group_share(),
        party_head_share: f.party_head_share(),
    }
}

pub fn coverage(r: Report) -> pb::Coverage {
    pb::Coverage {
        total: Some(figures(&r.total)),
        communities: r
            .communities
            .iter()
            .map(|(id, f)| pb::CommunityCoverage { community_id: id.to_string(), figures: Some(figures(f)) })
            .collect(),
        uncovered_buildings: r.uncovered_buildings.iter().map(ToString::to_string).collect(),
        uncovered_grids: r.uncovered_grids.iter().map(ToString::to_string).collect(),
    }
}

pub fn organisation(o: Organisation) -> pb::Organisation {
    pb::Organisation {
        id: o.id.to_string(),
        parent_id: id_text(o.parent_id),
        kind: org_kind(o.kind) as i32,
        name: o.name,
        binding: o.binding.map(|(kind, id)| pb::Binding { unit_kind: unit_kind(kind) as i32, unit_id: id.to_string() }),
    }
}

pub fn task(t: LinkageTask) -> pb::LinkageTask {
    pb::LinkageTask {
        id: t.id.to_string(),
        organisation_id: t.organisation_id.to_string(),
        incident_id: t.incident_id.to_string(),
        status: task_status(t.status) as i32,
        note: t.note,
        correlation_id: t.correlation_id.to_string(),
        created_at: Some(to_proto(t.created_at)),
        updated_at: Some(to_proto(t.updated_at)),
        delegated_to: id_text(t.delegated_to),
    }
}

pub fn topic(t: Topic) -> pb::Topic {
    pb::Topic {
        id: t.id.to_string(),
        council_id: t.council_id.to_string(),
        community_id: t.community_id.to_string(),
        title: t.title,
        description: t.description,
        source: topic_source(t.source) as i32,
        status: topic_status(t.status) as i32,
        complaint_id: id_text(t.complaint_id),
        member_id: id_text(t.member_id),
        warning_id: id_text(t.warning_id),
        resolution: t.resolution.map(|r| pb::Resolution {
            text: r.text,
            meeting_id: r.meeting_id.to_string(),
            in_favour: r.in_favour,
            against: r.against,
            abstaining: r.abstaining,
            hand_off: r.hand_off.map(|h| pb::HandOff {
                building_id: id_text(h.building_id),
                grid_id: id_text(h.grid_id),
                category: h.category,
            }),
            incident_id: id_text(r.incident_id),
            adopted_at: Some(to_proto(r.adopted_at)),
        }),
        history: t
            .history
            .into_iter()
            .map(|s| pb::TopicStep {
                at: Some(to_proto(s.at)),
                from_status: topic_status(s.from) as i32,
                to_status: topic_status(s.to) as i32,
                actor: s.actor,
                note: s.note,
            })
            .collect(),
        correlation_id: t.correlation_id.to_string(),
        raised_at: Some(to_proto(t.raised_at)),
    }
}

pub fn meeting(m: Meeting) -> pb::Meeting {
    pb::Meeting {
        id: m.id.to_string(),
        council_id: m.council_id.to_string(),
        held_at: Some(to_proto(m.held_at)),
        members: i32::try_from(m.members).unwrap_or(i32::MAX),
        attending: i32::try_from(m.attending).unwrap_or(i32::MAX),
        quorate: m.quorate,
        minutes: m.minutes,
        topics: m.topics.into_iter().map(topic).collect(),
    }
}

pub fn volunteer_call(c: Call) -> pb::VolunteerCall {
    pb::VolunteerCall {
        id: c.id.to_string(),
        incident_id: c.incident_id.to_string(),
        organisation_id: c.organisation_id.to_string(),
        needed: c.needed,
        purpose: c.purpose,
        signed_up: c.signed_up.iter().map(ToString::to_string).collect(),
        showed_up: c.showed_up.iter().map(ToString::to_string).collect(),
    }
}
