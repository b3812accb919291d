//! The simple procedure (简易处理, 2017 Labour and Personnel Dispute
//! Arbitration Rules Arts 56-61) through the Arbitration API, under a clock
//! the tests move: the commission handles a case simply on a stated ground
//! (Art. 56), never a collective dispute nor one whose respondent is served
//! by public notice (Art. 57); the defence period is shortened or waived
//! only with the respondent's consent (Art. 58); the tribunal sets the
//! hearing date without Art. 35's five days' notice (Art. 60); and a case
//! may go back to the ordinary procedure before the award period ends, that
//! period still running from acceptance (Art. 61).

use crate::running::{application, at, deadlines, form_tribunal, start_at, step, wages};
use dualnet_platform::timestamp::{from_proto, to_proto};
use dualnet_proto::arbitration::v1 as pb;
use tonic::Code;

fn request(id: &str, action: pb::CaseAction) -> pb::TransitionCaseRequest {
    pb::TransitionCaseRequest { id: id.into(), action: action as i32, actor: "仲裁委".into(), ..Default::default() }
}

fn simply(id: &str, ground: pb::SimpleGround) -> pb::TransitionCaseRequest {
    pb::TransitionCaseRequest { simple_ground: ground as i32, ..request(id, pb::CaseAction::HandleSimply) }
}

fn shorten(id: &str, days: i32, consented: bool) -> pb::TransitionCaseRequest {
    pb::TransitionCaseRequest {
        defence_days: Some(days),
        respondent_consented: consented,
        ..request(id, pb::CaseAction::ShortenDefence)
    }
}

fn hearing(id: &str, at_utc: chrono::DateTime<chrono::Utc>) -> pb::TransitionCaseRequest {
    pb::TransitionCaseRequest { hearing_at: Some(to_proto(at_utc)), ..request(id, pb::CaseAction::NoticeHearing) }
}

fn deadline(list: &[pb::Deadline], kind: pb::DeadlineKind) -> pb::Deadline {
    list.iter().find(|d| d.kind == kind as i32).cloned().unwrap_or_else(|| panic!("{kind:?} in {list:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_handled_simply_has_its_defence_shortened_by_consent_and_its_hearing_dated_by_the_tribunal() {
    // Monday 2 November 2026, 10:00 China time.
    let mut s = start_at(at(2026, 11, 2, 2)).await;
    let case = s.client.apply_case(application(vec![wages(800_000)])).await.unwrap().into_inner();
    let ordinary = s.client.apply_case(application(vec![wages(800_000)])).await.unwrap().into_inner();
    for id in [&case.id, &ordinary.id] {
        step(&mut s.client, id, pb::CaseAction::Accept).await.unwrap();
        step(&mut s.client, id, pb::CaseAction::Serve).await.unwrap();
    }
    assert_eq!(case.track, pb::CaseTrack::Ordinary as i32, "every case starts on the ordinary procedure");

    // Art. 58 belongs to the simple procedure.
    let refused = s.client.transition_case(shorten(&case.id, 0, true)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("Art. 58"), "{}", refused.message());
    // Art. 56: the commission states its ground.
    let no_ground = s.client.transition_case(request(&case.id, pb::CaseAction::HandleSimply)).await.unwrap_err();
    assert_eq!(no_ground.code(), Code::InvalidArgument);
    assert!(no_ground.message().contains("simple_ground"), "{}", no_ground.message());
    let simple = s.client.transition_case(simply(&case.id, pb::SimpleGround::ClearFacts)).await.unwrap().into_inner();
    assert_eq!(simple.track, pb::CaseTrack::Simple as i32);
    assert_eq!(simple.status, pb::CaseStatus::Served as i32, "the track changes, not the stage");

    // Art. 58: only with the respondent's consent.
    let unconsented = s.client.transition_case(shorten(&case.id, 3, false)).await.unwrap_err();
    assert_eq!(unconsented.code(), Code::InvalidArgument);
    assert!(unconsented.message().contains("respondent_consented"), "{}", unconsented.message());
    let too_long = s.client.transition_case(shorten(&case.id, 10, true)).await.unwrap_err();
    assert_eq!(too_long.code(), Code::InvalidArgument, "ten working days is no shortening");
    s.client.transition_case(shorten(&case.id, 3, true)).await.unwrap();
    let defence = deadline(&deadlines(&s.client, &case.id).await, pb::DeadlineKind::Defence);
    // Three working days from service on Monday 2 November: the end of
    // Thursday 5 November, China time (instead of Monday 16 November).
    assert_eq!(from_proto(&defence.due_at.unwrap()).unwrap(), at(2026, 11, 5, 16));
    assert_eq!(defence.state, pb::DeadlineState::Pending as i32);
    s.client.transition_case(shorten(&case.id, 0, true)).await.unwrap();
    let waived = deadline(&deadlines(&s.client, &case.id).await, pb::DeadlineKind::Defence);
    assert_eq!(waived.state, pb::DeadlineState::Cancelled as i32, "waived: the period no longer runs");
    let again = s.client.transition_case(shorten(&case.id, 2, true)).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "a waived period is not shortened again");

    // Art. 60: a hearing on Wednesday 4 November, two days' notice, is the
    // tribunal's to set; the ordinary case needs Art. 35's five working days.
    form_tribunal(&mut s.client, &case.id).await;
    form_tribunal(&mut s.client, &ordinary.id).await;
    let wednesday = at(2026, 11, 4, 2);
    let dated = s.client.transition_case(hearing(&case.id, wednesday)).await.unwrap().into_inner();
    assert_eq!(dated.status, pb::CaseStatus::HearingNoticed as i32);
    let short_notice = s.client.transition_case(hearing(&ordinary.id, wednesday)).await.unwrap_err();
    assert_eq!(short_notice.code(), Code::FailedPrecondition, "{}", short_notice.message());
    let back = pb::TransitionCaseRequest {
        action: pb::CaseAction::PostponeHearing as i32,
        ..hearing(&case.id, at(2026, 11, 1, 2))
    };
    let past = s.client.transition_case(back).await.unwrap_err();
    assert_eq!(past.code(), Code::InvalidArgument, "no hearing in the past, on any track");

    // Both parties are told in writing how the case is heard (Art. 56).
    let notices: Vec<String> =
        sqlx::query_scalar("SELECT note FROM case_history WHERE case_id = $1::uuid ORDER BY seq")
            .bind(&case.id)
            .fetch_all(&s.pool)
            .await
            .unwrap();
    assert!(notices.iter().any(|n| n.contains("Art. 56") && n.contains("clear facts")), "{notices:?}");
    assert!(notices.iter().any(|n| n.contains("waived")), "{notices:?}");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collective_dispute_is_never_handled_simply_and_a_simple_case_goes_back_to_the_ordinary_procedure() {
    let mut s = start_at(at(2026, 11, 2, 2)).await;
    // Art. 57: ten workers with a common claim are a collective dispute.
    let collective = pb::ApplyCaseRequest { workers: 10, ..application(vec![wages(300_000)]) };
    let collective = s.client.apply_case(collective).await.unwrap().into_inner();
    step(&mut s.client, &collective.id, pb::CaseAction::Accept).await.unwrap();
    let barred = s.client.transition_case(simply(&collective.id, pb::SimpleGround::PartiesAgree)).await.unwrap_err();
    assert_eq!(barred.code(), Code::FailedPrecondition);
    assert!(barred.message().contains("collective"), "{}", barred.message());

    let case = s.client.apply_case(application(vec![wages(300_000)])).await.unwrap().into_inner();
    step(&mut s.client, &case.id, pb::CaseAction::Accept).await.unwrap();
    let award_due = deadline(&deadlines(&s.client, &case.id).await, pb::DeadlineKind::Award);
    s.client.transition_case(simply(&case.id, pb::SimpleGround::PartiesAgree)).await.unwrap();
    let again = s.client.transition_case(simply(&case.id, pb::SimpleGround::ClearFacts)).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "handled simply once");
    // Art. 57(3): a respondent who must be served by public notice cannot be
    // found; the case goes back to the ordinary procedure first.
    let notice = s.client.transition_case(request(&case.id, pb::CaseAction::ServeByPublicNotice)).await.unwrap_err();
    assert_eq!(notice.code(), Code::FailedPrecondition);
    assert!(notice.message().contains("57(3)"), "{}", notice.message());

    // Art. 61: converted before the award period ends; that period still
    // counts from acceptance.
    s.clock.advance(chrono::Duration::days(10));
    let converted =
        s.client.transition_case(request(&case.id, pb::CaseAction::ConvertToOrdinary)).await.unwrap().into_inner();
    assert_eq!(converted.track, pb::CaseTrack::Ordinary as i32);
    let award = deadline(&deadlines(&s.client, &case.id).await, pb::DeadlineKind::Award);
    assert_eq!(award.due_at, award_due.due_at, "the award period is not restarted (Art. 61)");
    let twice = s.client.transition_case(request(&case.id, pb::CaseAction::ConvertToOrdinary)).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    // Back on the ordinary procedure, public notice is open again.
    s.client.transition_case(request(&case.id, pb::CaseAction::ServeByPublicNotice)).await.unwrap();
    s.shutdown.cancel();
}
