//! Labour arbitration's rules, free of transport and storage.

pub mod award;
pub mod award_clock;
pub mod case;
pub mod clocks;
pub mod limitation;
pub mod procedure;
pub mod risk;

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
        assert_eq!(
            names::<super::award::ClaimKind>(),
            ["wages", "injury_medical", "compensation", "damages", "labour_standards", "other"]
        );
        assert_eq!(names::<super::award_clock::Pause>(), ["suspension", "public_notice"]);
        assert_eq!(
            names::<super::case::Status>(),
            [
                "draft",
                "applied",
                "accepted",
                "refused",
                "served",
                "defence_received",
                "tribunal_formed",
                "hearing_noticed",
                "heard",
                "settled",
                "awarded",
                "closed",
                "withdrawn"
            ]
        );
        assert_eq!(
            names::<super::case::Action>(),
            [
                "apply",
                "accept",
                "refuse",
                "serve",
                "receive_defence",
                "form_tribunal",
                "notice_hearing",
                "postpone_hearing",
                "hold_hearing",
                "settle",
                "award",
                "close",
                "withdraw",
                "supplement_materials",
                "add_party",
                "amend_claims",
                "join_counterclaim",
                "accept_transfer",
                "suspend",
                "resume",
                "serve_by_public_notice",
                "public_notice_served",
                "send_defence_copy",
                "handle_simply",
                "shorten_defence",
                "convert_to_ordinary"
            ]
        );
        assert_eq!(
            names::<super::clocks::Kind>(),
            [
                "mediation_over",
                "acceptance",
                "service",
                "defence",
                "tribunal_notice",
                "hearing_soon",
                "award",
                "defence_copy"
            ]
        );
        assert_eq!(names::<super::clocks::State>(), ["pending", "met", "passed", "cancelled", "paused"]);
        assert_eq!(names::<super::procedure::Track>(), ["ordinary", "simple"]);
    }
}
