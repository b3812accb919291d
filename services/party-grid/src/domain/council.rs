//! Residents' consultation councils (居民议事会, 议事协商): one per community
//! or estate, convened by a party organisation, with residents (migrant
//! residents too), liaison deputies (两代表一委员), officials and
//! stakeholders as members, serving a term.
//!
//! The party committee convenes co-governance (一核多元协同共治), so councils
//! live with the party network; what a resolution hands to the governance
//! network (an incident) follows it through events, and the incident's
//! closing comes back to the council as the topic's implementation
//! (`topic.rs` holds the topics' rules).

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use uuid::Uuid;

use super::topic::TopicSource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum MemberKind {
    Resident,
    /// 流动人口: a resident registered elsewhere.
    MigrantResident,
    /// 两代表一委员: names a liaison role.
    Liaison,
    Official,
    /// The property company, an enterprise, a social organisation.
    Stakeholder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum LiaisonRole {
    PeoplesCongressDeputy,
    PartyCongressDeputy,
    CppccMember,
}

/// How many of a council's members must attend for a meeting to decide:
/// at least `numerator / denominator` of them (a council sets its own rule;
/// half, by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    pub numerator: u32,
    pub denominator: u32,
}

impl Default for Quorum {
    fn default() -> Self {
        Self { numerator: 1, denominator: 2 }
    }
}

impl Quorum {
    /// A rule between 1/100 and all members.
    pub fn new(numerator: u32, denominator: u32) -> Result<Self, String> {
        if denominator == 0 || numerator == 0 || numerator > denominator || denominator > 100 {
            return Err("a quorum is a fraction of the members between 1/100 and 1".into());
        }
        Ok(Self { numerator, denominator })
    }

    pub fn met(self, attending: u32, members: u32) -> bool {
        members > 0
            && u64::from(attending) * u64::from(self.denominator) >= u64::from(members) * u64::from(self.numerator)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Council {
    pub id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    pub convenor_organisation_id: Uuid,
    pub quorum: Quorum,
    pub term_start: DateTime<Utc>,
    pub term_end: DateTime<Utc>,
    pub members: i64,
}

/// A term runs forward, and for at most ten years (a residents' committee
/// serves five).
pub fn check_term(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), String> {
    if end <= start {
        return Err("the term must end after it starts".into());
    }
    if end - start > chrono::Duration::days(3653) {
        return Err("a term lasts at most ten years".into());
    }
    Ok(())
}

/// A liaison member names their role; nobody else has one.
pub fn check_liaison(kind: MemberKind, role: Option<LiaisonRole>) -> Result<(), String> {
    match (kind, role) {
        (MemberKind::Liaison, None) => Err("a liaison member names a liaison role".into()),
        (MemberKind::Liaison, Some(_)) | (_, None) => Ok(()),
        (other, Some(_)) => Err(format!("a {} member has no liaison role", other.as_str())),
    }
}

/// What each source of a topic names: a resident's request, a member of
/// the council (a liaison member for a liaison), an early warning.
pub fn check_source(
    source: TopicSource,
    complaint: Option<Uuid>,
    member: Option<MemberKind>,
    warning: Option<Uuid>,
) -> Result<(), (&'static str, String)> {
    match source {
        TopicSource::Resident if complaint.is_none() => {
            Err(("complaint_id", "a resident's topic names the request it came through".into()))
        }
        TopicSource::Member if member.is_none() => Err(("member_id", "a member's topic names the member".into())),
        TopicSource::Liaison if member != Some(MemberKind::Liaison) => {
            Err(("member_id", "a liaison's topic names a liaison member of the council".into()))
        }
        TopicSource::RecurringProblem if warning.is_none() => {
            Err(("source", "recurring problems are proposed from early warnings, not raised by hand".into()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_rules_are_fractions_of_the_members() {
        assert!(Quorum::new(0, 2).is_err() && Quorum::new(3, 2).is_err() && Quorum::new(1, 0).is_err());
        assert!(Quorum::new(1, 1).unwrap().met(5, 5) && !Quorum::new(1, 1).unwrap().met(4, 5));
        assert!(!Quorum::default().met(0, 0), "a council without members decides nothing");
    }

    #[test]
    fn a_term_runs_forward_for_at_most_ten_years() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00+08:00").unwrap().to_utc();
        assert!(check_term(start, start).is_err());
        assert!(check_term(start, start + chrono::Duration::days(5 * 365)).is_ok());
        assert!(check_term(start, start + chrono::Duration::days(11 * 365)).is_err());
    }

    #[test]
    fn only_liaison_members_have_a_liaison_role() {
        assert!(check_liaison(MemberKind::Liaison, None).is_err());
        assert!(check_liaison(MemberKind::Liaison, Some(LiaisonRole::CppccMember)).is_ok());
        assert!(check_liaison(MemberKind::Resident, Some(LiaisonRole::CppccMember)).is_err());
        assert!(check_liaison(MemberKind::MigrantResident, None).is_ok());
    }

    #[test]
    fn each_source_names_where_the_topic_came_from() {
        let id = Some(Uuid::now_v7());
        assert_eq!(check_source(TopicSource::Resident, None, None, None).unwrap_err().0, "complaint_id");
        assert!(check_source(TopicSource::Resident, id, None, None).is_ok());
        assert!(check_source(TopicSource::Member, None, Some(MemberKind::Official), None).is_ok());
        assert!(check_source(TopicSource::Liaison, None, Some(MemberKind::Resident), None).is_err());
        assert!(check_source(TopicSource::Liaison, None, Some(MemberKind::Liaison), None).is_ok());
        assert!(check_source(TopicSource::RecurringProblem, None, None, None).is_err());
        assert!(check_source(TopicSource::RecurringProblem, None, None, id).is_ok());
    }
}
