//! The statute's clocks through the Arbitration API, in-process on the
//! PostgreSQL log transport, under a clock the tests move.

use crate::running;

use crate::running::{application, at, award, deadlines, form_tribunal, start_at, step, wages, wait_passed};
use chrono::{DateTime, TimeZone, Utc};
use dualnet_platform::{
    clock::Clock,
    timestamp::{from_proto, to_proto},
};
use dualnet_proto::arbitration::v1 as pb;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptance_is_due_five_working_days_later_across_the_national_day_holiday_and_silence_lets_the_claimant_sue() {
    // Wednesday 30 September 2026, 10:00 in Shenzhen.
    let mut s = start_at(at(2026, 9, 30, 2)).await;
    let case = s.client.apply_case(application(vec![wages(1_000_000)])).await.unwrap().into_inner();
    assert_eq!(case.status, pb::CaseStatus::Applied as i32);
    let due = from_proto(&case.clocks.as_ref().unwrap().acceptance_due.unwrap()).unwrap();
    // 1–7 October are holidays, Saturday 10 October is worked: Thu 8, Fri 9,
    // Sat 10, Mon 12, Tue 13; the period ends at 24:00 of the 13th, China
    // time (Civil Code Art. 203), 16:00 UTC.
    assert_eq!(due, at(2026, 10, 13, 16));

    // 23:59 on the 13th in Shenzhen: still in time.
    s.clock.advance(chrono::Duration::days(13) + chrono::Duration::minutes(13 * 60 + 59));
    let pending = deadlines(&s.client, &case.id).await;
    assert!(pending.iter().all(|d| d.state == pb::DeadlineState::Pending as i32), "in time all of the 13th");
    s.clock.advance(chrono::Duration::minutes(2));
    let passed = wait_passed(&s.client, &case.id, pb::DeadlineKind::Acceptance).await;
    assert!(passed.consequence.contains("may sue") && passed.consequence.contains("Art. 29"), "{}", passed.consequence);
    s.shutdown.cancel();
}

/// LDMAL Art. 29 with Civil Code Arts 201 and 203: an application received
/// on Monday 2 November 2026 at 07:00 China time (Sunday 23:00 UTC) is
/// answered by the end of Monday 9 November, whatever the hour it came in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_at_seven_in_the_morning_china_time_counts_from_its_china_day() {
    let received = Utc.with_ymd_and_hms(2026, 11, 1, 23, 0, 0).unwrap();
    let s = start_at(received).await;
    let mut client = s.client.clone();
    let case = client.apply_case(application(vec![wages(1_000_000)])).await.unwrap().into_inner();
    let due = from_proto(&case.clocks.as_ref().unwrap().acceptance_due.unwrap()).unwrap();
    assert_eq!(due, at(2026, 11, 9, 16), "24:00 of Monday 9 November, China time");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_runs_its_course_under_the_statutes_rules() {
    // Monday 2 November 2026.
    let mut s = start_at(at(2026, 11, 2, 1)).await;
    let c = s.client.apply_case(application(vec![wages(1_000_000)])).await.unwrap().into_inner();
    let accepted = step(&mut s.client, &c.id, pb::CaseAction::Accept).await.unwrap();
    let clocks = accepted.clocks.unwrap();
    // Day 45 is Thursday 17 December; every period ends at 24:00 China time
    // of its last day (16:00 UTC).
    assert_eq!(from_proto(&clocks.award_due.unwrap()).unwrap(), at(2026, 12, 17, 16), "45 days (Art. 43)");
    assert_eq!(from_proto(&clocks.service_due.unwrap()).unwrap(), at(2026, 11, 9, 16), "5 working days (Art. 30)");
    assert_eq!(from_proto(&clocks.tribunal_notice_due.unwrap()).unwrap(), at(2026, 11, 9, 16), "Art. 32");
    let early = step(&mut s.client, &c.id, pb::CaseAction::Award).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "no award before a hearing");

    step(&mut s.client, &c.id, pb::CaseAction::Serve).await.unwrap();
    // The respondent stays silent; the tribunal is formed anyway.
    let no_arbitrator = step(&mut s.client, &c.id, pb::CaseAction::FormTribunal).await.unwrap_err();
    assert_eq!(no_arbitrator.code(), Code::InvalidArgument);
    form_tribunal(&mut s.client, &c.id).await;
    let hearing = |when: DateTime<Utc>, action: pb::CaseAction| pb::TransitionCaseRequest {
        id: c.id.clone(),
        action: action as i32,
        actor: "仲裁庭".into(),
        hearing_at: Some(to_proto(when)),
        ..Default::default()
    };
    // Four working days' notice is not enough (Art. 35); five is.
    let short = s.client.transition_case(hearing(at(2026, 11, 6, 1), pb::CaseAction::NoticeHearing)).await.unwrap_err();
    assert_eq!(short.code(), Code::FailedPrecondition);
    assert!(short.message().contains("Art. 35"), "{}", short.message());
    s.client.transition_case(hearing(at(2026, 11, 9, 1), pb::CaseAction::NoticeHearing)).await.unwrap();
    // Thursday 5th: fewer than three working days before Monday's hearing.
    s.clock.advance(chrono::Duration::days(3));
    let late =
        s.client.transition_case(hearing(at(2026, 11, 16, 1), pb::CaseAction::PostponeHearing)).await.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(late.message().contains("Art. 35") && late.message().contains("late_reason"), "{}", late.message());
    // The commission may still grant it, for a reason it states (kept in
    // the history); the hearing moves.
    let granted = pb::TransitionCaseRequest {
        late_reason: "the applicant is in hospital (certificate filed)".into(),
        ..hearing(at(2026, 11, 16, 1), pb::CaseAction::PostponeHearing)
    };
    let moved = s.client.transition_case(granted).await.unwrap().into_inner();
    assert_eq!(from_proto(&moved.clocks.unwrap().hearing_at.unwrap()).unwrap(), at(2026, 11, 16, 1));
    let history: String = sqlx::query_scalar(
        "SELECT note FROM case_history WHERE case_id = $1::uuid AND action = 'postpone_hearing' ORDER BY seq DESC LIMIT 1",
    )
    .bind(&c.id)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert!(history.contains("granted late by the commission: the applicant is in hospital"), "{history}");

    // The arbitrator's own list carries the reminder of the hearing.
    let mine = s
        .client
        .list_deadlines(pb::ListDeadlinesRequest { arbitrator: "王仲裁员".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .deadlines;
    assert!(mine.iter().all(|d| d.case_id == c.id && d.arbitrator == "王仲裁员"));
    assert!(mine.iter().any(|d| d.kind == pb::DeadlineKind::HearingSoon as i32));

    s.clock.advance(chrono::Duration::days(4));
    step(&mut s.client, &c.id, pb::CaseAction::HoldHearing).await.unwrap();
    let awarded = award(&mut s.client, &c.id, &[1_000_000]).await.unwrap();
    assert_eq!(awarded.status, pb::CaseStatus::Awarded as i32);
    let withdraw = step(&mut s.client, &c.id, pb::CaseAction::Withdraw).await.unwrap_err();
    assert_eq!(withdraw.code(), Code::FailedPrecondition, "an award stands");
    step(&mut s.client, &c.id, pb::CaseAction::Close).await.unwrap();
    let award =
        deadlines(&s.client, &c.id).await.into_iter().find(|d| d.kind == pb::DeadlineKind::Award as i32).unwrap();
    assert_eq!(award.state, pb::DeadlineState::Met as i32);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_award_period_is_extended_once_by_at_most_fifteen_days() {
    // Monday 12 October 2026 (day 60 lies in 2026, which the shipped holiday
    // calendar covers).
    let mut s = start_at(at(2026, 10, 12, 1)).await;
    let c = s.client.apply_case(application(vec![wages(1_000_000)])).await.unwrap().into_inner();
    let extend = |days: i32| pb::ExtendAwardPeriodRequest {
        id: c.id.clone(),
        days,
        actor: "仲裁委主任".into(),
        reason: "complex case".into(),
    };
    let not_yet = s.client.extend_award_period(extend(10)).await.unwrap_err();
    assert_eq!(not_yet.code(), Code::FailedPrecondition, "no award period before acceptance");
    step(&mut s.client, &c.id, pb::CaseAction::Accept).await.unwrap();
    let too_long = s.client.extend_award_period(extend(16)).await.unwrap_err();
    assert_eq!(too_long.code(), Code::InvalidArgument);
    let extended = s.client.extend_award_period(extend(15)).await.unwrap().into_inner();
    let clocks = extended.clocks.unwrap();
    assert_eq!(clocks.award_extension_days, 15);
    // Day 60 is Friday 11 December: due at its 24:00, China time.
    assert_eq!(from_proto(&clocks.award_due.unwrap()).unwrap(), at(2026, 12, 11, 16));
    let second = s.client.extend_award_period(extend(1)).await.unwrap_err();
    assert_eq!(second.code(), Code::FailedPrecondition);
    assert!(second.message().contains("once"), "{}", second.message());
    // Past the end of day 60 the award is overdue and a party may sue.
    s.clock.advance(chrono::Duration::days(60) + chrono::Duration::minutes(15 * 60 + 1));
    let passed = wait_passed(&s.client, &c.id, pb::DeadlineKind::Award).await;
    assert!(passed.consequence.contains("Art. 43"), "{}", passed.consequence);
    assert!(passed.consequence.contains("a party may sue"), "either party, not only the claimant");
    s.shutdown.cancel();
}

/// 2017 Arbitration Rules Art. 46: amended claims (para. 3) start the award
/// period afresh; a suspension (para. 6, Art. 47) stops it — its days are not
/// counted, and no award is announced overdue meanwhile; Art. 45 and 47: the
/// extension and the suspension are notified to both parties in writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amended_claims_restart_the_award_period_and_a_suspension_stops_it_with_notice_to_both_parties() {
    // Monday 2 March 2026, 10:00 China time.
    let mut s = start_at(at(2026, 3, 2, 2)).await;
    let accepted = |s: &running::Running| {
        let mut c = s.client.clone();
        async move {
            let case = c.apply_case(application(vec![wages(1_000_000)])).await.unwrap().into_inner();
            step(&mut c, &case.id, pb::CaseAction::Accept).await.unwrap()
        }
    };
    let a = accepted(&s).await;
    let first_due = a.clocks.unwrap().award_due_on;

    // Ten days on, the claimant's amended claims are accepted: the period
    // runs from today, as that of a case accepted today.
    s.clock.advance(chrono::Duration::days(10));
    let amended = step(&mut s.client, &a.id, pb::CaseAction::AmendClaims).await.unwrap().clocks.unwrap();
    let control = accepted(&s).await;
    assert_eq!(amended.award_due_on, control.clocks.unwrap().award_due_on, "afresh from the amendment");
    assert_ne!(amended.award_due_on, first_due);

    // Suspended the same day: no end while it stands still.
    let suspended = step(&mut s.client, &a.id, pb::CaseAction::Suspend).await.unwrap().clocks.unwrap();
    assert!(suspended.award_paused && suspended.award_due.is_none() && suspended.award_due_on.is_empty());
    let twice = step(&mut s.client, &a.id, pb::CaseAction::ServeByPublicNotice).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{}", twice.message());
    // Fifty days later the control case's award is overdue; the suspended
    // one is not announced, its deadline stands still.
    s.clock.advance(chrono::Duration::days(50));
    wait_passed(&s.client, &control.id, pb::DeadlineKind::Award).await;
    let standing = deadlines(&s.client, &a.id).await;
    let award = standing.iter().find(|d| d.kind == pb::DeadlineKind::Award as i32).unwrap();
    assert_eq!(award.state, pb::DeadlineState::Paused as i32, "{standing:?}");
    let resumed = step(&mut s.client, &a.id, pb::CaseAction::Resume).await.unwrap().clocks.unwrap();
    assert_eq!(resumed.award_days_not_counted, 50);
    assert!(!resumed.award_paused);
    let due = from_proto(&resumed.award_due.unwrap()).unwrap();
    assert!(due > s.clock.now(), "35 days of the period are left after the 50 not counted");
    let extend =
        pb::ExtendAwardPeriodRequest { id: a.id.clone(), days: 5, actor: "主任".into(), reason: "复杂".into() };
    s.client.extend_award_period(extend).await.unwrap();

    // Both written notices, each to both parties.
    let notices: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM event_outbox WHERE event_type = 'dualnet.arbitration.v1.PartiesNotified' AND record_key = $1
         ORDER BY seq",
    )
    .bind(&a.id)
    .fetch_all(&s.pool)
    .await
    .unwrap();
    let notices: Vec<pb::PartiesNotified> =
        notices.iter().map(|p| prost::Message::decode(p.as_slice()).unwrap()).collect();
    let kinds: Vec<&str> = notices.iter().map(|n| n.notice.as_str()).collect();
    assert_eq!(kinds, ["case_suspended", "award_period_extended"]);
    assert!(notices.iter().all(|n| n.to == ["applicant", "respondent"]), "{notices:?}");
    assert!(notices[1].article.contains("Art. 45") && notices[1].award_due.is_some());
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_limitation_period_keeps_a_late_claim_in_time() {
    // Monday 1 June 2026.
    let mut s = start_at(at(2026, 6, 1, 2)).await;
    let compensation =
        pb::Claim { kind: pb::ClaimKind::Compensation as i32, amount_fen: 500_000, ..Default::default() };
    let late = pb::ApplyCaseRequest {
        right_known_on: "2025-03-10".into(),
        employment_ended_on: String::new(),
        ..application(vec![compensation.clone()])
    };
    let barred = s.client.apply_case(late.clone()).await.unwrap().into_inner();
    let clocks = barred.clocks.unwrap();
    assert_eq!(clocks.limitation_expires, "2026-03-10");
    assert!(clocks.time_barred);
    // The worker pressed the employer for payment on 1 December 2025.
    let interrupted = pb::ApplyCaseRequest { interruptions: vec!["2025-12-01".into()], ..late };
    let in_time = s.client.apply_case(interrupted).await.unwrap().into_inner().clocks.unwrap();
    assert_eq!(in_time.limitation_expires, "2026-12-01");
    assert!(!in_time.time_barred);
    // Wage arrears while the job lasts are not time-barred at all.
    let employed = pb::ApplyCaseRequest {
        right_known_on: "2024-01-01".into(),
        employment_ended_on: String::new(),
        ..application(vec![wages(100_000)])
    };
    let running = s.client.apply_case(employed).await.unwrap().into_inner().clocks.unwrap();
    assert_eq!(running.limitation_expires, "");
    assert!(!running.time_barred);
    s.shutdown.cancel();
}

/// LDMAL Art. 27: para. 4 (wage arrears do not run while the employment
/// lasts) is the wage claim's own rule, whatever else the case claims; a
/// mediation organisation receiving the dispute is relief sought (para. 2),
/// which interrupts the period; and a last day on a rest day moves to the
/// next working day (Civil Code Art. 203).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_claim_runs_its_own_limitation_a_mediation_interrupts_it_and_a_sunday_last_day_moves_to_monday() {
    // Monday 1 June 2026; the worker is still employed.
    let mut s = start_at(at(2026, 6, 1, 2)).await;
    let compensation =
        pb::Claim { kind: pb::ClaimKind::Compensation as i32, amount_fen: 500_000, ..Default::default() };
    let mixed = pb::ApplyCaseRequest {
        right_known_on: "2025-03-10".into(),
        employment_ended_on: String::new(),
        ..application(vec![wages(100_000), compensation.clone()])
    };
    let case = s.client.apply_case(mixed.clone()).await.unwrap().into_inner();
    let (wage, other) = (&case.claims[0], &case.claims[1]);
    assert!(!wage.time_barred && wage.limitation_expires.is_empty(), "the wage claim does not run: {wage:?}");
    assert!(other.time_barred && other.limitation_expires == "2026-03-10", "compensation is out of time: {other:?}");
    let clocks = case.clocks.unwrap();
    assert!(!clocks.time_barred, "the case is in time while one of its claims is");
    assert_eq!(clocks.limitation_expires, "");

    // The dispute went to the people's mediation committee on 1 December 2025.
    let mediated =
        pb::ApplyCaseRequest { mediation_started_on: "2025-12-01".into(), ..application(vec![compensation.clone()]) };
    let mediated =
        pb::ApplyCaseRequest { right_known_on: "2025-03-10".into(), employment_ended_on: String::new(), ..mediated };
    let claim = s.client.apply_case(mediated).await.unwrap().into_inner().claims.remove(0);
    assert_eq!((claim.limitation_expires.as_str(), claim.time_barred), ("2026-12-01", false));

    // Known on 14 June 2025: one year on is Sunday 14 June 2026, so
    // the period runs to Monday 15 June, and an application that Monday at
    // 23:00 China time is in time.
    s.clock.advance(chrono::Duration::days(14) + chrono::Duration::hours(13));
    let sunday = pb::ApplyCaseRequest {
        right_known_on: "2025-06-14".into(),
        employment_ended_on: String::new(),
        ..application(vec![compensation])
    };
    let clocks = s.client.apply_case(sunday).await.unwrap().into_inner().clocks.unwrap();
    assert_eq!(clocks.limitation_expires, "2026-06-15");
    assert!(!clocks.time_barred, "applied on the Monday the period ran to");
    s.shutdown.cancel();
}

/// A period that runs into a year the holiday file does not hold is counted
/// on weekends and the fixed-date statutory holidays and flagged
/// provisional (the shipped file ends with 2026); the due date is given
/// beside the due instant (Civil Code Art. 203 para. 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_counted_into_a_year_without_a_holiday_schedule_is_provisional_and_dated() {
    // Thursday 10 December 2026, 23:59 China time.
    let mut s = start_at(at(2026, 12, 10, 15) + chrono::Duration::minutes(59)).await;
    let c = s.client.apply_case(application(vec![wages(1_000_000)])).await.unwrap().into_inner();
    let clocks = c.clocks.clone().unwrap();
    assert_eq!(clocks.acceptance_due_on, "2026-12-17", "5 working days (Art. 29), the 10th not counted");
    assert_eq!(from_proto(&clocks.acceptance_due.unwrap()).unwrap(), at(2026, 12, 17, 16));
    assert!(!clocks.provisional, "inside 2026");
    // Accepted on Monday 14 December: the award's 45 days end on Thursday
    // 28 January 2027, past the file's last year.
    s.clock.advance(chrono::Duration::days(4));
    let accepted = step(&mut s.client, &c.id, pb::CaseAction::Accept).await.unwrap().clocks.unwrap();
    assert_eq!(accepted.award_due_on, "2027-01-28");
    assert!(accepted.provisional, "counted into 2027 without its schedule");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relocation_notice_raises_an_enterprise_risk_once_per_window() {
    let mut s = start_at(at(2026, 11, 2, 1)).await;
    let enterprise = s.enterprise_on_map().await.id;
    let notice = |note: &str| pb::ReportRelocationRequest { enterprise_id: enterprise.clone(), note: note.into() };
    let first = s.client.report_relocation(notice("moving to Huizhou in December")).await.unwrap().into_inner();
    assert!(first.raised);
    let again = s.client.report_relocation(notice("confirmed")).await.unwrap().into_inner();
    assert!(!again.raised, "one risk per enterprise per 30 days");
    s.clock.advance(chrono::Duration::days(31));
    assert!(s.client.report_relocation(notice("a second site")).await.unwrap().into_inner().raised);
    let bad = s.client.report_relocation(pb::ReportRelocationRequest::default()).await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    // An id no enterprise on the map has raises nothing.
    let unknown = pb::ReportRelocationRequest { enterprise_id: uuid::Uuid::now_v7().to_string(), note: "?".into() };
    assert_eq!(s.client.report_relocation(unknown).await.unwrap_err().code(), Code::NotFound);
    s.shutdown.cancel();
}

/// An ordinary risk (a relocation notice) within the window must not hide a
/// collective dispute that follows: the risk is raised again, collective.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collective_dispute_after_an_ordinary_risk_is_raised_again_as_collective() {
    let mut s = start_at(at(2026, 11, 2, 1)).await;
    let enterprise = s.enterprise_on_map().await.id;
    let notice = pb::ReportRelocationRequest { enterprise_id: enterprise.clone(), note: "moving".into() };
    assert!(s.client.report_relocation(notice).await.unwrap().into_inner().raised);
    let collective =
        pb::ApplyCaseRequest { enterprise_id: enterprise.clone(), workers: 12, ..application(vec![wages(1_000_000)]) };
    let case = s.client.apply_case(collective).await.unwrap().into_inner();
    assert!(!case.collective, "declared, not yet the commission's count");
    // The commission accepts the application of twelve workers.
    let case = step(&mut s.client, &case.id, pb::CaseAction::Accept).await.unwrap();
    assert!(case.collective && case.priority);
    let risks: Vec<(bool, String)> = sqlx::query_as(
        "SELECT collective, reason FROM enterprise_risks WHERE enterprise_id = $1::uuid ORDER BY raised_at, id",
    )
    .bind(&enterprise)
    .fetch_all(&s.pool)
    .await
    .unwrap();
    assert_eq!(risks.len(), 2, "{risks:?}");
    assert!(!risks[0].0 && risks[1].0, "the second risk is the collective one: {risks:?}");
    // A third, ordinary, case in the window raises nothing more.
    let ordinary = pb::ApplyCaseRequest { enterprise_id: enterprise.clone(), ..application(vec![wages(1_000)]) };
    s.client.apply_case(ordinary).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM enterprise_risks WHERE enterprise_id = $1::uuid")
        .bind(&enterprise)
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
    s.shutdown.cancel();
}

/// LDMAL Art. 32 gives five days from acceptance to notify the tribunal,
/// Art. 30 the same five to serve the respondent: the tribunal may be formed
/// first, and the hearing waits for service. Art. 30 also gives the copy of
/// the defence to the applicant a deadline of its own; and a dispute over a
/// collective contract is collective whatever its number of workers (2017
/// Arbitration Rules Arts 5 and 62).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tribunal_may_stand_before_service_the_defence_copy_has_its_own_deadline_and_a_collective_contract_is_collective()
 {
    // Monday 2 November 2026, 10:00 China time.
    let mut s = start_at(at(2026, 11, 2, 2)).await;
    let contract =
        pb::ApplyCaseRequest { category: "labour.collective_contract".into(), ..application(vec![wages(1_000)]) };
    let c = s.client.apply_case(contract).await.unwrap().into_inner();
    let accepted = step(&mut s.client, &c.id, pb::CaseAction::Accept).await.unwrap();
    assert!(accepted.collective, "a collective contract's dispute, with one claimant");
    form_tribunal(&mut s.client, &c.id).await;
    let hearing = |at_utc| pb::TransitionCaseRequest {
        id: c.id.clone(),
        action: pb::CaseAction::NoticeHearing as i32,
        actor: "仲裁委".into(),
        hearing_at: Some(to_proto(at_utc)),
        ..Default::default()
    };
    let early = s.client.transition_case(hearing(at(2026, 11, 20, 2))).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert!(early.message().contains("served"), "{}", early.message());
    let served = step(&mut s.client, &c.id, pb::CaseAction::Serve).await.unwrap();
    assert_eq!(served.status, pb::CaseStatus::TribunalFormed as i32, "served while the tribunal stands");
    step(&mut s.client, &c.id, pb::CaseAction::ReceiveDefence).await.unwrap();
    let copy = |list: Vec<pb::Deadline>| list.into_iter().find(|d| d.kind == pb::DeadlineKind::DefenceCopy as i32);
    let pending = copy(deadlines(&s.client, &c.id).await).expect("the defence copy's deadline");
    assert_eq!(pending.state, pb::DeadlineState::Pending as i32);
    // Five working days from Monday 2 November: the end of Monday 9 November.
    assert_eq!(from_proto(&pending.due_at.unwrap()).unwrap(), at(2026, 11, 9, 16));
    step(&mut s.client, &c.id, pb::CaseAction::SendDefenceCopy).await.unwrap();
    let met = copy(deadlines(&s.client, &c.id).await).unwrap();
    assert_eq!(met.state, pb::DeadlineState::Met as i32);
    s.client.transition_case(hearing(at(2026, 11, 20, 2))).await.expect("noticed once served");
    s.shutdown.cancel();
}

/// From 60 days before the holiday file's last year ends (the shipped one
/// ends with 2026) the health of `dualnet.calendar` is NOT_SERVING, while the
/// server as a whole keeps serving: a probe can warn the operator to load
/// next year's State Council schedule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_health_warns_from_sixty_days_before_the_schedule_runs_out() {
    use dualnet_platform::service::CALENDAR_HEALTH;
    use dualnet_testkit::{InProcess, ServingStatus, wait_for};
    // 1 October 2026: 91 days left.
    let early = InProcess::start(&arbitration::DEFINITION, at(2026, 10, 1, 2), |_| {}).await;
    assert_eq!(early.health(CALENDAR_HEALTH).await, ServingStatus::Serving);
    early.shutdown.cancel();
    // 10 December 2026: 21 days left.
    let late = InProcess::start(&arbitration::DEFINITION, at(2026, 12, 10, 2), |_| {}).await;
    assert_eq!(late.health(CALENDAR_HEALTH).await, ServingStatus::NotServing);
    let serving = || async { (late.health("").await == ServingStatus::Serving).then_some(()) };
    wait_for("the server itself to serve", dualnet_testkit::WAIT, serving).await;
    late.shutdown.cancel();
}
