//! Who sees a case, and how much of its claimants: the commission and the
//! parties' representatives named on the case see it, nobody else does
//! (`NOT_FOUND`, absent from lists); names, phones and ID numbers are
//! masked unless a caller holding the personal-data permission states a
//! purpose, and each such read is in the append-only audit log. At rest
//! they are sealed.

use crate::running::start_configured;
use chrono::Utc;
use dualnet_platform::{
    auth::Scope,
    config::{PersonalDataConfig, Secret},
};
use dualnet_proto::arbitration::v1::{self as pb, arbitration_client::ArbitrationClient};
use dualnet_testkit::{bearer, tokens};
use tonic::{Code, transport::Channel};

/// base64 of 32 bytes.
const SEAL: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const PHONE: &str = "13912345678";
const ID_NUMBER: &str = "440307199001011232";

fn token(sub: &str, role: &str) -> String {
    tokens::token(sub, "labour-bureau", &[role], Scope::default())
}

fn application(representatives: &[&str]) -> pb::ApplyCaseRequest {
    pb::ApplyCaseRequest {
        respondent: "坂田电子厂".into(),
        claimants: vec![
            pb::Claimant {
                name: "张三".into(),
                phone: PHONE.into(),
                id_number: ID_NUMBER.into(),
                ..Default::default()
            },
            pb::Claimant { name: "李四".into(), ..Default::default() },
        ],
        claims: vec![pb::Claim { kind: pb::ClaimKind::Wages as i32, amount_fen: 900_000, ..Default::default() }],
        facts: "Three months of wages unpaid".into(),
        category: "labour.wage_arrears".into(),
        right_known_on: "2026-08-01".into(),
        representatives: representatives.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    }
}

async fn get(c: &ArbitrationClient<Channel>, who: &str, id: &str, purpose: &str) -> Result<pb::Case, tonic::Status> {
    let req = pb::GetCaseRequest { id: id.into(), purpose: purpose.into() };
    c.clone().get_case(bearer(req, who)).await.map(|r| r.into_inner())
}

async fn listed(c: &ArbitrationClient<Channel>, who: &str) -> Vec<String> {
    let answer = c.clone().list_cases(bearer(pb::ListCasesRequest::default(), who)).await.unwrap().into_inner();
    answer.cases.into_iter().map(|c| c.id).collect()
}

async fn reads(c: &ArbitrationClient<Channel>, who: &str) -> Result<Vec<pb::PersonalDataRead>, tonic::Status> {
    let req = pb::ListPersonalDataReadsRequest::default();
    c.clone().list_personal_data_reads(bearer(req, who)).await.map(|r| r.into_inner().reads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_commission_and_the_cases_representatives_see_a_case() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let c = &s.client;
    let commission = token("arb-01", "arbitrator");
    let (counsel, other_counsel) = (token("lawyer-zhang", "representative"), token("lawyer-wang", "representative"));
    let worker = token("gw-1", "grid_worker");
    let department = token("hr-1", "department");

    let case = c.clone().apply_case(bearer(application(&["lawyer-zhang"]), &commission)).await.unwrap().into_inner();
    assert_eq!(case.representatives, vec!["lawyer-zhang".to_string()]);
    // A representative's own application names them.
    let own = c.clone().apply_case(bearer(application(&[]), &other_counsel)).await.unwrap().into_inner();
    assert_eq!(own.representatives, vec!["lawyer-wang".to_string()]);

    assert_eq!(get(c, &counsel, &case.id, "").await.unwrap().id, case.id);
    assert_eq!(listed(c, &counsel).await, vec![case.id.clone()]);
    assert_eq!(listed(c, &other_counsel).await, vec![own.id.clone()]);
    let mut all = listed(c, &commission).await;
    all.sort();
    let mut both = vec![case.id.clone(), own.id.clone()];
    both.sort();
    assert_eq!(all, both, "the commission sees every case");

    for (who, name) in
        [(&other_counsel, "another party's representative"), (&worker, "a grid worker"), (&department, "a department")]
    {
        assert_eq!(get(c, who, &case.id, "").await.unwrap_err().code(), Code::NotFound, "{name}");
        let deadlines = pb::ListDeadlinesRequest { case_id: case.id.clone(), ..Default::default() };
        let refused = c.clone().list_deadlines(bearer(deadlines, who)).await.unwrap_err();
        assert_eq!(refused.code(), Code::NotFound, "{name}: deadlines");
    }
    assert!(listed(c, &worker).await.is_empty());
    assert!(listed(c, &department).await.is_empty());

    // The commission names another representative and removes the first.
    let set = |add: &[&str], remove: &[&str], who: &str| {
        let req = pb::SetRepresentativesRequest {
            case_id: case.id.clone(),
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
        };
        let (mut c, req) = (c.clone(), bearer(req, who));
        async move { c.set_representatives(req).await.map(|r| r.into_inner()) }
    };
    assert_eq!(set(&["lawyer-wang"], &[], &counsel).await.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(set(&["lawyer-wang"], &[], &worker).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(set(&[], &[], &commission).await.unwrap_err().code(), Code::InvalidArgument);
    let named = set(&["lawyer-wang"], &["lawyer-zhang"], &commission).await.unwrap();
    assert_eq!(named.representatives, vec!["lawyer-wang".to_string()]);
    assert_eq!(get(c, &counsel, &case.id, "").await.unwrap_err().code(), Code::NotFound, "removed");
    assert_eq!(get(c, &other_counsel, &case.id, "").await.unwrap().id, case.id, "named");
    set(&["lawyer-zhang"], &[], &commission).await.unwrap();

    // A grid worker may transition incidents, not cases it cannot see; a
    // representative may not transition at all.
    let accept = |who: &str| {
        let req = pb::TransitionCaseRequest {
            id: case.id.clone(),
            action: pb::CaseAction::Accept as i32,
            ..Default::default()
        };
        let mut c = c.clone();
        let req = bearer(req, who);
        async move { c.transition_case(req).await.map(|r| r.into_inner()) }
    };
    assert_eq!(accept(&worker).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(accept(&counsel).await.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(accept(&commission).await.unwrap().status, pb::CaseStatus::Accepted as i32);

    // Deadlines of an arbitrator: a representative sees those of its cases only.
    for id in [&case.id, &own.id] {
        for (action, arbitrator) in
            [(pb::CaseAction::Accept, ""), (pb::CaseAction::Serve, ""), (pb::CaseAction::FormTribunal, "arb-01")]
        {
            if id == &case.id && action == pb::CaseAction::Accept {
                continue;
            }
            let req = pb::TransitionCaseRequest {
                id: id.clone(),
                action: action as i32,
                arbitrator: arbitrator.into(),
                ..Default::default()
            };
            c.clone().transition_case(bearer(req, &commission)).await.unwrap();
        }
    }
    let of_arbitrator = |who: &str| {
        let req = pb::ListDeadlinesRequest { arbitrator: "arb-01".into(), ..Default::default() };
        let (mut c, req) = (c.clone(), bearer(req, who));
        async move {
            let mut cases: Vec<String> =
                c.list_deadlines(req).await.unwrap().into_inner().deadlines.into_iter().map(|d| d.case_id).collect();
            cases.sort();
            cases.dedup();
            cases
        }
    };
    assert_eq!(of_arbitrator(&commission).await, both);
    assert_eq!(of_arbitrator(&counsel).await, vec![case.id.clone()]);
    assert!(of_arbitrator(&worker).await.is_empty());
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claimants_are_masked_unless_entitled_with_a_purpose_and_sealed_at_rest() {
    let s = start_configured(Utc::now(), |c| {
        c.auth = tokens::auth_config();
        c.personal_data = PersonalDataConfig {
            keys: [("p1".to_string(), Secret::new(SEAL))].into_iter().collect(),
            current: Some("p1".into()),
            disabled: false,
        };
    })
    .await;
    let c = &s.client;
    let commission = token("arb-01", "arbitrator");
    let counsel = token("lawyer-zhang", "representative");
    let auditor = token("aud-1", "auditor");

    let case = c.clone().apply_case(bearer(application(&["lawyer-zhang"]), &commission)).await.unwrap().into_inner();
    let masked = &case.claimant_list[0];
    assert_eq!(
        (masked.name.as_str(), masked.phone.as_str(), masked.id_number.as_str(), masked.masked),
        ("张*", "139****5678", "440***********1232", true),
        "the application's answer is masked"
    );

    let unmasked = get(c, &commission, &case.id, "hearing preparation").await.unwrap();
    let first = &unmasked.claimant_list[0];
    assert_eq!(
        (first.name.as_str(), first.phone.as_str(), first.id_number.as_str(), first.masked),
        ("张三", PHONE, ID_NUMBER, false)
    );
    assert_eq!(unmasked.claimant_list[1].name, "李四");
    let no_purpose = get(c, &commission, &case.id, "").await.unwrap();
    assert!(no_purpose.claimant_list.iter().all(|p| p.masked), "no purpose, masked");
    let not_entitled = get(c, &counsel, &case.id, "preparing the defence").await.unwrap();
    assert_eq!(
        not_entitled.claimant_list[0].phone, "139****5678",
        "a representative holds no personal-data permission"
    );
    let listed = c.clone().list_cases(bearer(pb::ListCasesRequest::default(), &commission)).await.unwrap().into_inner();
    assert!(listed.cases[0].claimant_list.iter().all(|p| p.masked), "lists are masked");

    let log = reads(c, &auditor).await.unwrap();
    assert_eq!(log.len(), 1, "one unmasked read, one row: {log:?}");
    assert_eq!((log[0].reader.as_str(), log[0].department.as_str()), ("arb-01", "labour-bureau"));
    assert_eq!(log[0].case_id, case.id);
    assert_eq!(log[0].fields, vec!["name".to_string(), "phone".into(), "id_number".into()]);
    assert_eq!(log[0].purpose, "hearing preparation");
    assert_eq!(reads(c, &commission).await.unwrap_err().code(), Code::PermissionDenied);

    // Bad personal data is refused field by field.
    let mut bad = application(&[]);
    bad.claimants[0].id_number = "440307199001011237".into();
    bad.claimants[1].phone = "call me".into();
    let refused = c.clone().apply_case(bearer(bad, &commission)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    for field in ["claimants[0].id_number", "claimants[1].phone"] {
        assert!(refused.message().contains(field), "{field}: {}", refused.message());
    }

    // At rest: no plaintext, and the sealed bytes do not hold the values.
    type Stored = (Option<String>, Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
    let (name, phone, id_number, name_sealed, phone_sealed, id_sealed): Stored = sqlx::query_as(
        "SELECT name, phone, id_number, name_sealed, phone_sealed, id_number_sealed FROM case_claimants
         WHERE case_id = $1::uuid AND seq = 1",
    )
    .bind(&case.id)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!((name, phone, id_number), (None, None, None), "no plaintext at rest");
    let contains =
        |sealed: Option<Vec<u8>>, value: &str| sealed.unwrap().windows(value.len()).any(|w| w == value.as_bytes());
    assert!(!contains(name_sealed, "张三") && !contains(phone_sealed, PHONE) && !contains(id_sealed, ID_NUMBER));

    for statement in ["UPDATE personal_data_reads SET purpose = 'nothing'", "DELETE FROM personal_data_reads"] {
        let e = sqlx::query(statement).execute(&s.pool).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{statement}: {e}");
    }
    s.shutdown.cancel();
}

/// A relocation notice raises an enterprise's labour risk at once and holds
/// its window: a resident channel, a grid worker or a representative giving
/// one could hide the real dispute that follows. Only labour inspection and
/// the commission may.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_labour_inspection_and_the_commission_report_a_relocation() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let notice =
        |enterprise: &str| pb::ReportRelocationRequest { enterprise_id: enterprise.into(), note: "moving".into() };
    let (here, elsewhere) = (s.enterprise_on_map().await, s.enterprise_on_map().await);
    for role in ["resident_channel", "grid_worker", "representative", "department"] {
        let refused = s.client.clone().report_relocation(bearer(notice(&here.id), &token("x", role))).await;
        assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied, "{role} raises no labour risk");
    }
    // Labour inspection of the enterprise's subdistrict: not of another's.
    let inspector_of = |subdistrict: &str| {
        let scope = Scope { subdistricts: vec![subdistrict.to_string()], ..Scope::default() };
        tokens::token("inspector-1", "labour-bureau", &["labour_inspector"], scope)
    };
    let mut c = s.client.clone();
    let stranger = c.report_relocation(bearer(notice(&here.id), &inspector_of(&elsewhere.subdistrict))).await;
    assert_eq!(stranger.unwrap_err().code(), Code::NotFound, "another subdistrict's enterprise");
    let unknown = notice(&uuid::Uuid::now_v7().to_string());
    let refused = s.client.clone().report_relocation(bearer(unknown, &inspector_of(&here.subdistrict))).await;
    assert_eq!(refused.unwrap_err().code(), Code::NotFound, "no such enterprise on the map");
    let inspector = inspector_of(&here.subdistrict);
    let raised = s.client.clone().report_relocation(bearer(notice(&here.id), &inspector)).await.unwrap();
    assert!(raised.into_inner().raised, "the first notice the window sees, from labour inspection");
    // The commission (not confined to an area) for any enterprise on the map.
    let commission = c.report_relocation(bearer(notice(&elsewhere.id), &token("arb-01", "arbitrator"))).await;
    assert!(commission.unwrap().into_inner().raised);
    s.shutdown.cancel();
}

/// 2017 Arbitration Rules Art. 45 and 47: extending the award period and
/// suspending a case need the commission director's approval — not any
/// arbitrator's, whose role moves the case along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_commission_director_extends_the_award_period_or_suspends_a_case() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let (arbitrator, director) = (token("arb-01", "arbitrator"), token("director-1", "commission_director"));
    let case = s.client.clone().apply_case(bearer(application(&[]), &arbitrator)).await.unwrap().into_inner();
    let step = |action: pb::CaseAction| pb::TransitionCaseRequest {
        id: case.id.clone(),
        action: action as i32,
        note: "劳动者住院".into(),
        ..Default::default()
    };
    s.client.clone().transition_case(bearer(step(pb::CaseAction::Accept), &arbitrator)).await.unwrap();
    let extend =
        pb::ExtendAwardPeriodRequest {
            id: case.id.clone(), days: 10, reason: "案情复杂".into(), ..Default::default()
        };
    let refused = s.client.clone().extend_award_period(bearer(extend.clone(), &arbitrator)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{}", refused.message());
    let refused = s.client.clone().transition_case(bearer(step(pb::CaseAction::Suspend), &arbitrator)).await;
    assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied);
    let extended = s.client.clone().extend_award_period(bearer(extend, &director)).await.unwrap().into_inner();
    assert_eq!(extended.clocks.unwrap().award_extension_days, 10);
    let suspended = s.client.clone().transition_case(bearer(step(pb::CaseAction::Suspend), &director)).await;
    assert!(suspended.unwrap().into_inner().clocks.unwrap().award_paused);
    // The arbitrator resumes when the cause is gone.
    let resumed = s.client.clone().transition_case(bearer(step(pb::CaseAction::Resume), &arbitrator)).await;
    assert!(!resumed.unwrap().into_inner().clocks.unwrap().award_paused);
    s.shutdown.cancel();
}

/// Cases and the reads log page newest first; a status filter narrows the
/// cases; a page token serves only its own list and filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_and_the_reads_log_page_newest_first() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let c = &s.client;
    let commission = token("arb-01", "arbitrator");
    let auditor = token("aud-1", "auditor");
    let mut applied = Vec::new();
    for _ in 0..5 {
        applied.push(c.clone().apply_case(bearer(application(&[]), &commission)).await.unwrap().into_inner().id);
    }
    let accept = |id: &str| pb::TransitionCaseRequest {
        id: id.into(),
        action: pb::CaseAction::Accept as i32,
        ..Default::default()
    };
    for id in &applied[1..3] {
        c.clone().transition_case(bearer(accept(id), &commission)).await.unwrap();
    }
    for id in &applied {
        get(c, &commission, id, "hearing preparation").await.unwrap();
    }
    let cases = |req: pb::ListCasesRequest| {
        let c = c.clone();
        let who = commission.clone();
        dualnet_testkit::walk(10, move |page_token| {
            let (mut c, who) = (c.clone(), who.clone());
            let req = pb::ListCasesRequest { page_size: 2, page_token, ..req.clone() };
            async move {
                let page = c.list_cases(bearer(req, &who)).await.unwrap().into_inner();
                (page.cases.into_iter().map(|c| c.id).collect::<Vec<_>>(), page.next_page_token)
            }
        })
    };
    let all = cases(pb::ListCasesRequest::default()).await;
    assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(all.concat(), applied.iter().rev().cloned().collect::<Vec<_>>(), "newest first, each once");
    let accepted = cases(pb::ListCasesRequest { status: pb::CaseStatus::Accepted as i32, ..Default::default() }).await;
    assert_eq!(accepted.concat(), [applied[2].clone(), applied[1].clone()]);

    let log = dualnet_testkit::walk(10, |page_token| {
        let mut c = c.clone();
        let req = pb::ListPersonalDataReadsRequest { page_size: 3, page_token, ..Default::default() };
        let who = auditor.clone();
        async move {
            let page = c.list_personal_data_reads(bearer(req, &who)).await.unwrap().into_inner();
            (page.reads.into_iter().map(|r| r.case_id).collect::<Vec<_>>(), page.next_page_token)
        }
    })
    .await;
    assert_eq!(log.iter().map(Vec::len).collect::<Vec<_>>(), [3, 2]);
    assert_eq!(log.concat(), applied.iter().rev().cloned().collect::<Vec<_>>(), "the newest read first");

    // A cases token is no reads token.
    let first = c
        .clone()
        .list_cases(bearer(pb::ListCasesRequest { page_size: 2, ..Default::default() }, &commission))
        .await
        .unwrap()
        .into_inner();
    let req = pb::ListPersonalDataReadsRequest { page_token: first.next_page_token, ..Default::default() };
    let e = c.clone().list_personal_data_reads(bearer(req, &auditor)).await.unwrap_err();
    assert!(e.code() == Code::InvalidArgument && e.message().starts_with("page_token:"), "{e:?}");
    s.shutdown.cancel();
}
