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

    #[test]
    fn every_enum_keeps_its_stored_names() {
        assert_eq!(
            super::award::ClaimKind::names(),
            ["wages", "injury_medical", "compensation", "damages", "labour_standards", "other"]
        );
        assert_eq!(super::award_clock::Pause::names(), ["suspension", "public_notice"]);
        assert_eq!(
            super::case::Status::names(),
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
            super::case::Action::names(),
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
            super::clocks::Kind::names(),
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
        assert_eq!(super::clocks::State::names(), ["pending", "met", "passed", "cancelled", "paused"]);
        assert_eq!(super::procedure::Track::names(), ["ordinary", "simple"]);
    }
}
