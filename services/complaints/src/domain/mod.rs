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

    #[test]
    fn every_enum_keeps_its_stored_names() {
        assert_eq!(super::complaint::Kind::names(), ["consultation", "help", "complaint", "report", "suggestion"]);
        assert_eq!(
            super::complaint::Channel::names(),
            ["hotline", "app", "walk_in", "letters_and_visits", "wechat_group", "on_behalf"]
        );
        assert_eq!(super::complaint::Status::names(), ["filed", "accepted", "dispatched", "replied", "rated"]);
        assert_eq!(super::complaint::Resolution::names(), ["solved", "partly_solved", "not_solved"]);
        assert_eq!(super::complaint::Satisfaction::names(), ["satisfied", "basically_satisfied", "dissatisfied"]);
        assert_eq!(super::location::LocatedBy::names(), ["building", "address", "coordinates", "none"]);
        assert_eq!(
            super::referral::Kind::names(),
            ["peoples_mediation", "administrative_mediation", "judicial_mediation", "legal_aid"]
        );
        assert_eq!(
            super::referral::Outcome::names(),
            ["settled", "not_settled", "aid_granted", "aid_refused", "withdrawn"]
        );
    }
}
