//! The party network's rules, free of transport and storage.

pub mod binding;
pub mod council;
pub mod coverage;
pub mod member;
pub mod task;
pub mod topic;
pub mod volunteers;

#[cfg(test)]
mod stored_names {
    //! The names each enum is stored and sent under, in declaration order:
    //! renaming one would strand stored rows and break subscribers.

    use dualnet_platform::Named;

    #[test]
    fn every_enum_keeps_its_stored_names() {
        assert_eq!(
            super::binding::OrgKind::names(),
            [
                "working_committee",
                "community_committee",
                "grid_branch",
                "building_group",
                "enterprise",
                "industrial_park",
                "business_district"
            ]
        );
        assert_eq!(super::binding::UnitKind::names(), ["subdistrict", "community", "grid", "building", "enterprise"]);
        assert_eq!(
            super::member::Role::names(),
            ["secretary", "committee_member", "member", "building_head", "volunteer"]
        );
        assert_eq!(super::task::TaskStatus::names(), ["open", "accepted", "completed", "closed"]);
        assert_eq!(
            super::topic::TopicStatus::names(),
            ["raised", "accepted", "declined", "scheduled", "deliberated", "resolved", "implemented", "reviewed"]
        );
        assert_eq!(super::topic::TopicSource::names(), ["resident", "member", "liaison", "recurring_problem"]);
        assert_eq!(
            super::council::MemberKind::names(),
            ["resident", "migrant_resident", "liaison", "official", "stakeholder"]
        );
        assert_eq!(
            super::council::LiaisonRole::names(),
            ["peoples_congress_deputy", "party_congress_deputy", "cppcc_member"]
        );
    }
}
