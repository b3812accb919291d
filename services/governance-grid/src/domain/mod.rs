//! The governance network's rules, free of transport and storage.

pub mod deadline;
pub mod escalation;
pub mod incident;
pub mod map;
pub mod map_import;
pub mod rental;
pub mod statistics;
pub mod warning;
pub mod whistle;

#[cfg(test)]
mod stored_names {
    //! The names each enum is stored and sent under, in declaration order:
    //! renaming one would strand stored rows and break subscribers.

    use dualnet_platform::Named;

    fn names<T: Named>() -> Vec<&'static str> {
        T::ALL.iter().map(|v| v.as_str()).collect()
    }

    #[test]
    fn every_enum_keeps_its_stored_names() {
        assert_eq!(names::<super::deadline::Unit>(), ["working_days", "hours"]);
        assert_eq!(names::<super::escalation::Reason>(), ["deadline_passed", "major", "requested"]);
        assert_eq!(names::<super::escalation::Severity>(), ["normal", "major"]);
        assert_eq!(
            names::<super::incident::Status>(),
            ["reported", "accepted", "dispatched", "handled", "verified", "closed", "rated", "rejected"]
        );
        assert_eq!(
            names::<super::incident::Action>(),
            ["accept", "dispatch", "handle", "verify", "close", "reject", "send back", "rate"]
        );
        assert_eq!(names::<super::incident::Level>(), ["grid", "community", "subdistrict"]);
        assert_eq!(
            names::<super::incident::Source>(),
            ["grid_worker", "complaint", "labour_risk", "early_warning", "party_report"]
        );
        assert_eq!(names::<super::map_import::Kind>(), ["subdistrict", "community", "grid", "building", "enterprise"]);
        assert_eq!(
            names::<super::rental::Category>(),
            ["urban_village_house", "residential_estate", "dormitory", "public_rental", "other"]
        );
        assert_eq!(names::<super::rental::Grade>(), ["green", "yellow", "orange", "red"]);
        assert_eq!(names::<super::rental::HazardSeverity>(), ["minor", "major", "critical"]);
        assert_eq!(names::<super::warning::Scope>(), ["building", "enterprise", "grid"]);
        assert_eq!(names::<super::warning::Kind>(), ["rule", "inspection_overdue"]);
    }
}
