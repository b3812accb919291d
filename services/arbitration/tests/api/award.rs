//! Art. 47: which awards are final for the employer — judged claim by
//! claim at twelve months of the local minimum wage in force on the day of
//! the award, on the amount the award grants (SPC Interpretation (I) on
//! labour disputes, 2020, Art. 19); before the award, provisionally, on the
//! amount claimed.

use dualnet_platform::timestamp::to_proto;
use dualnet_proto::arbitration::v1 as pb;
use tonic::Code;

use crate::running::{Running, application, at, award, form_tribunal, start_at, step, wages};

/// An applied case accepted, served, its tribunal formed and its hearing
/// held at `hearing` (the clock moved there): ready for the award.
async fn heard(s: &mut Running, id: &str, hearing: chrono::DateTime<chrono::Utc>) {
    step(&mut s.client, id, pb::CaseAction::Accept).await.unwrap();
    step(&mut s.client, id, pb::CaseAction::Serve).await.unwrap();
    form_tribunal(&mut s.client, id).await;
    let notice = pb::TransitionCaseRequest {
        id: id.into(),
        action: pb::CaseAction::NoticeHearing as i32,
        actor: "仲裁庭".into(),
        hearing_at: Some(to_proto(hearing)),
        ..Default::default()
    };
    s.client.transition_case(notice).await.unwrap();
    s.clock.advance(hearing - dualnet_platform::clock::Clock::now(&s.clock));
    step(&mut s.client, id, pb::CaseAction::HoldHearing).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_awards_are_flagged_at_and_below_twelve_months_minimum_wage_and_not_above() {
    // Monday 2 November 2026: Shenzhen's figure is 2,520 yuan a month since
    // 1 March 2025 (the 2025 Guangdong notice), so 30,240 yuan (LDMAL Art. 47).
    let mut s = start_at(at(2026, 11, 2, 1)).await;
    let limit = 3_024_000;
    let case = s.client.apply_case(application(vec![wages(limit - 1), wages(limit), wages(limit + 1)])).await.unwrap();
    let case = case.into_inner();
    let flags: Vec<bool> = case.claims.iter().map(|c| c.final_award).collect();
    assert_eq!(flags, [true, true, false]);
    assert_eq!((case.minimum_wage_fen, case.minimum_wage_on.as_str()), (252_000, "2026-11-02"));
    assert!(case.final_award_provisional, "before the award the flag is provisional");
    let all_final = s.client.apply_case(application(vec![wages(limit)])).await.unwrap().into_inner();
    assert!(all_final.final_award);
    let bad = pb::ApplyCaseRequest {
        claimants: vec![],
        claims: vec![pb::Claim { kind: 0, amount_fen: -1, ..Default::default() }],
        right_known_on: "yesterday".into(),
        ..application(vec![])
    };
    let status = s.client.apply_case(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    for field in ["claimants", "claims[0].kind", "claims[0].amount_fen", "right_known_on"] {
        assert!(status.message().contains(field), "{field} in {}", status.message());
    }
    s.shutdown.cancel();
}

/// Art. 47 judged on the figures of the award day: a claim of 30,000 yuan
/// is above twelve months of Shenzhen's 2,360 yuan (28,320) in February 2025
/// and within twelve months of the 2,520 yuan in force from 1 March 2025
/// (30,240); once awarded, the flag is fixed at the award day's figure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_is_judged_at_the_minimum_wage_in_force_on_the_day_of_the_award() {
    // Thursday 20 February 2025.
    let mut s = start_at(at(2025, 2, 20, 1)).await;
    let c = s.client.apply_case(application(vec![wages(3_000_000)])).await.unwrap().into_inner();
    assert!(!c.claims[0].final_award && c.final_award_provisional);
    assert_eq!(c.minimum_wage_fen, 236_000);
    // The hearing on Tuesday 4 March, the award the same day: 2,520 yuan.
    heard(&mut s, &c.id, at(2025, 3, 4, 1)).await;
    let awarded = award(&mut s.client, &c.id, &[3_000_000]).await.unwrap();
    assert!(awarded.claims[0].final_award, "within 12 × 2,520 yuan on the award day");
    assert!(awarded.final_award && !awarded.final_award_provisional);
    assert_eq!((awarded.minimum_wage_fen, awarded.minimum_wage_on.as_str()), (252_000, "2025-03-04"));
    // Years on, the award is still judged on its own day's figure.
    s.clock.advance(chrono::Duration::days(700));
    let later = s.client.get_case(pb::GetCaseRequest { id: c.id.clone(), ..Default::default() }).await.unwrap();
    assert_eq!(later.into_inner().minimum_wage_on, "2025-03-04");
    s.shutdown.cancel();
}

/// A claim of 40,000 yuan is above twelve months of 2,520 yuan (30,240);
/// awarded 20,000 yuan, the award on it is final. The award states one
/// amount per claim, none above what was claimed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_is_judged_on_the_amount_awarded_not_the_amount_claimed() {
    // Monday 2 November 2026.
    let mut s = start_at(at(2026, 11, 2, 1)).await;
    let c = s.client.apply_case(application(vec![wages(4_000_000), wages(1_000_000)])).await.unwrap().into_inner();
    assert_eq!(c.claims.iter().map(|k| k.final_award).collect::<Vec<_>>(), [false, true], "on the claims");
    heard(&mut s, &c.id, at(2026, 11, 12, 1)).await;
    for (amounts, why) in
        [(vec![], "no amounts"), (vec![2_000_000], "one claim short"), (vec![2_000_000, 1_000_001], "above the claim")]
    {
        let refused = award(&mut s.client, &c.id, &amounts).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{why}");
        assert!(refused.message().starts_with("awarded_fen:"), "{why}: {}", refused.message());
    }
    let notice_with_amounts = pb::TransitionCaseRequest {
        id: c.id.clone(),
        action: pb::CaseAction::Close as i32,
        awarded_fen: vec![1],
        ..Default::default()
    };
    let e = s.client.transition_case(notice_with_amounts).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "only an award states amounts");
    let awarded = award(&mut s.client, &c.id, &[2_000_000, 0]).await.unwrap();
    assert_eq!(awarded.claims.iter().map(|k| k.awarded_fen).collect::<Vec<_>>(), [Some(2_000_000), Some(0)]);
    assert_eq!(awarded.claims.iter().map(|k| k.final_award).collect::<Vec<_>>(), [true, true], "on the awards");
    assert!(awarded.final_award && !awarded.final_award_provisional);
    s.shutdown.cancel();
}
