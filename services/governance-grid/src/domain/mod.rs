//! The governance network's rules, free of transport and storage.

pub mod deadline;
pub mod escalation;
pub mod incident;
pub mod map;
pub mod map_import;
pub mod notice;
pub mod patrol;
pub mod rental;
pub mod statistics;
pub mod warning;
pub mod whistle;

#[cfg(test)]
mod stored_names {
    //! The names each enum is stored and sent under, in declaration order:
    //! renaming one would strand stored rows and break subscribers.

    use dualnet_platform::Named;

    #[test]
    fn every_enum_keeps_its_stored_names() {
        assert_eq!(super::deadline::Unit::names(), ["working_days", "hours"]);
        assert_eq!(super::escalation::Reason::names(), ["deadline_passed", "major", "requested"]);
        assert_eq!(super::escalation::Severity::names(), ["normal", "major"]);
        assert_eq!(
            super::incident::Status::names(),
            ["reported", "accepted", "dispatched", "handled", "verified", "closed", "rated", "rejected"]
        );
        assert_eq!(
            super::incident::Action::names(),
            ["accept", "dispatch", "handle", "verify", "close", "reject", "send back", "rate"]
        );
        assert_eq!(super::incident::Level::names(), ["grid", "community", "subdistrict"]);
        assert_eq!(
            super::incident::Source::names(),
            ["grid_worker", "complaint", "labour_risk", "early_warning", "party_report", "council", "patrol"]
        );
        assert_eq!(
            super::notice::NoticeKind::names(),
            ["resolution", "implementation", "incident_outcome", "patrol_campaign"]
        );
        assert_eq!(super::map_import::Kind::names(), ["subdistrict", "community", "grid", "building", "enterprise"]);
        assert_eq!(
            super::rental::Category::names(),
            ["urban_village_house", "residential_estate", "dormitory", "public_rental", "other"]
        );
        assert_eq!(super::rental::Grade::names(), ["green", "yellow", "orange", "red"]);
        assert_eq!(super::rental::HazardSeverity::names(), ["minor", "major", "critical"]);
        assert_eq!(super::warning::Scope::names(), ["building", "enterprise", "grid"]);
        assert_eq!(super::warning::Kind::names(), ["rule", "inspection_overdue", "patrol_missed", "patrol_incomplete"]);
    }
}
