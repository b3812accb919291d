//! The complaints service's rules, free of transport and storage.

pub mod catalogue;
pub mod complaint;
pub mod duplicate;
pub mod location;
pub mod publication;
pub mod referral;

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
        assert_eq!(names::<super::complaint::Kind>(), ["consultation", "help", "complaint", "report", "suggestion"]);
        assert_eq!(
            names::<super::complaint::Channel>(),
            ["hotline", "app", "walk_in", "letters_and_visits", "wechat_group", "on_behalf"]
        );
        assert_eq!(names::<super::complaint::Status>(), ["filed", "accepted", "dispatched", "replied", "rated"]);
        assert_eq!(names::<super::complaint::Resolution>(), ["solved", "partly_solved", "not_solved"]);
        assert_eq!(names::<super::complaint::Satisfaction>(), ["satisfied", "basically_satisfied", "dissatisfied"]);
        assert_eq!(names::<super::location::LocatedBy>(), ["building", "address", "coordinates", "none"]);
        assert_eq!(
            names::<super::referral::Kind>(),
            ["peoples_mediation", "administrative_mediation", "judicial_mediation", "legal_aid"]
        );
        assert_eq!(
            names::<super::referral::Outcome>(),
            ["settled", "not_settled", "aid_granted", "aid_refused", "withdrawn"]
        );
    }
}
