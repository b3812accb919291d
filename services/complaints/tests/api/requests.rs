//! Residents' requests through the Complaints API and its Open311 face,
//! in-process on the PostgreSQL log transport, fed governance-grid's events
//! directly, under a clock the tests move.

use crate::running::{AT, noise, start_at};
use chrono::{TimeZone, Utc};
use dualnet_platform::timestamp::from_proto;
use dualnet_proto::complaints::v1 as pb;
use dualnet_testkit::http_json;
use tonic::Code;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_placed_by_building_address_or_coordinates_and_else_taken_by_the_fallback_owner() {
    let s = start_at(Utc::now()).await;
    let by_address = s.file(pb::FileComplaintRequest { address: "坂田街道 五和大道１２号".into(), ..noise() }).await;
    assert_eq!((by_address.located_by.as_str(), by_address.building_id.clone()), ("address", s.building.to_string()));
    assert_eq!(by_address.department, "urban-management", "noise is routed to urban management");
    // About 40 m north-east of the building.
    let near = pb::FileComplaintRequest { latitude: Some(AT.0 + 0.0003), longitude: Some(AT.1 + 0.0002), ..noise() };
    let near = s.file(near).await;
    assert_eq!((near.located_by.as_str(), near.grid_id.clone()), ("coordinates", s.grid.to_string()));
    // A kilometre away and an unknown address: still taken, by the subdistrict.
    let far = pb::FileComplaintRequest {
        latitude: Some(AT.0 + 0.01),
        longitude: Some(AT.1),
        address: "某某路999号".into(),
        ..noise()
    };
    let far = s.file(far).await;
    assert_eq!(far.located_by, "none");
    assert!(far.grid_id.is_empty());
    assert_eq!(far.department, "subdistrict-service-centre");
    assert_eq!(far.status, pb::ComplaintStatus::Filed as i32);
    // Without a building, duplicates are found by distance: ~33 m from the
    // first far request is a candidate, ~1 km away is not.
    let beside = pb::FileComplaintRequest { latitude: Some(AT.0 + 0.0103), longitude: Some(AT.1), ..noise() };
    let beside = s.file(beside).await;
    assert_eq!(beside.located_by, "none");
    assert_eq!(beside.duplicate_candidates, vec![far.id.clone()], "the request 33 m away");
    let elsewhere = pb::FileComplaintRequest { latitude: Some(AT.0 + 0.02), longitude: Some(AT.1), ..noise() };
    assert!(s.file(elsewhere).await.duplicate_candidates.is_empty(), "nothing within 100 m");

    let unknown =
        s.client.clone().file_complaint(pb::FileComplaintRequest { category: "ghosts".into(), ..noise() }).await;
    assert_eq!(unknown.unwrap_err().code(), Code::InvalidArgument, "categories come from the catalogue");
    let half = pb::FileComplaintRequest { latitude: Some(22.0), ..noise() };
    assert_eq!(s.client.clone().file_complaint(half).await.unwrap_err().code(), Code::InvalidArgument);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_count_working_days_across_a_holiday_and_a_dissatisfied_rating_restarts_the_clock() {
    // Wednesday 30 September 2026, before the National Day holiday.
    let s = start_at(Utc.with_ymd_and_hms(2026, 9, 30, 1, 0, 0).unwrap()).await;
    let consultation = pb::FileComplaintRequest {
        kind: pb::RequestKind::Consultation as i32,
        category: "policy".into(),
        building_id: s.building.to_string(),
        ..noise()
    };
    let c = s.file(consultation).await;
    // Two working days: Thursday 8 and Friday 9 October, to 24:00 of the 9th
    // China time (Civil Code Art. 203; 16:00 UTC).
    assert_eq!(from_proto(&c.deadline.unwrap()).unwrap(), Utc.with_ymd_and_hms(2026, 10, 9, 16, 0, 0).unwrap());

    let c = s.file(pb::FileComplaintRequest { building_id: s.building.to_string(), ..noise() }).await;
    let first = s.incident(&c.id).await;
    s.wait(&c.id, "dispatched", |c| c.status == pb::ComplaintStatus::Dispatched as i32).await;
    s.close(first, &c.id).await;
    s.wait(&c.id, "replied", |c| c.status == pb::ComplaintStatus::Replied as i32).await;
    s.clock.advance(chrono::Duration::days(20));
    let rate = pb::RateComplaintRequest {
        id: c.id.clone(),
        satisfaction: pb::Satisfaction::Dissatisfied as i32,
        resolution: pb::Resolution::NotSolved as i32,
        comment: "still loud".into(),
    };
    let reopened = s.client.clone().rate_complaint(rate).await.unwrap().into_inner();
    assert_eq!(reopened.status, pb::ComplaintStatus::Accepted as i32, "back with its lead department");
    assert_eq!(reopened.reopened, 1);
    assert_eq!(reopened.resolution, pb::Resolution::NotSolved as i32);
    assert!(reopened.incident_id.is_empty(), "waiting for a new incident");
    let restarted = from_proto(&reopened.deadline.unwrap()).unwrap();
    // Fifteen working days from Tuesday 20 October 2026.
    let cal = dualnet_platform::calendar::Calendar::load(None).unwrap();
    assert_eq!(restarted, cal.add_working_days(Utc.with_ymd_and_hms(2026, 10, 20, 1, 0, 0).unwrap(), 15));
    let second = s.incident(&c.id).await;
    let again = s.wait(&c.id, "dispatched again", |c| c.status == pb::ComplaintStatus::Dispatched as i32).await;
    assert_eq!(again.incident_id, second.to_string());
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_duplicate_is_answered_with_the_request_it_joined() {
    let s = start_at(Utc::now()).await;
    let at_building = || pb::FileComplaintRequest { building_id: s.building.to_string(), ..noise() };
    let first = s.file(at_building()).await;
    let second = s.file(at_building()).await;
    assert!(second.duplicate_candidates.contains(&first.id), "suggested at filing");
    let merged = s
        .client
        .clone()
        .merge_complaint(pb::MergeComplaintRequest { id: second.id.clone(), into_id: first.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(merged.merged_into, first.id);
    let self_merge = pb::MergeComplaintRequest { id: first.id.clone(), into_id: first.id.clone() };
    assert_eq!(s.client.clone().merge_complaint(self_merge).await.unwrap_err().code(), Code::InvalidArgument);

    let incident = s.incident(&first.id).await;
    let follows = s.wait(&second.id, "the duplicate follows the incident", |c| !c.incident_id.is_empty()).await;
    assert_eq!(follows.incident_id, incident.to_string());
    s.close(incident, &first.id).await;
    for id in [&first.id, &second.id] {
        s.wait(id, "every reporter replied", |c| c.status == pb::ComplaintStatus::Replied as i32).await;
        let rate = pb::RateComplaintRequest {
            id: id.to_string(),
            satisfaction: pb::Satisfaction::Satisfied as i32,
            resolution: pb::Resolution::Solved as i32,
            comment: String::new(),
        };
        let rated = s.client.clone().rate_complaint(rate).await.unwrap().into_inner();
        assert_eq!(rated.status, pb::ComplaintStatus::Rated as i32);
        assert_eq!(rated.open311_status, "closed");
    }
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_receiver_leads_until_it_hands_over_and_overdue_requests_are_supervised() {
    let s = start_at(Utc::now()).await;
    let c = s.file(pb::FileComplaintRequest { building_id: s.building.to_string(), ..noise() }).await;
    let accept = |department: &str| pb::AcceptComplaintRequest {
        id: c.id.clone(),
        department: department.into(),
        actor: "值班员".into(),
    };
    let wrong = s.client.clone().accept_complaint(accept("fire-safety")).await.unwrap_err();
    assert_eq!(wrong.code(), Code::FailedPrecondition);
    assert!(wrong.message().contains("urban-management"), "{}", wrong.message());
    let handover = pb::HandOverComplaintRequest {
        id: c.id.clone(),
        from_department: "urban-management".into(),
        to_department: "environment-bureau".into(),
        actor: "城管".into(),
        note: "industrial noise".into(),
    };
    s.client.clone().hand_over_complaint(handover.clone()).await.unwrap();
    let again = s.client.clone().hand_over_complaint(handover).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "only the lead hands over");
    let accepted = s.client.clone().accept_complaint(accept("environment-bureau")).await.unwrap().into_inner();
    assert_eq!(accepted.status, pb::ComplaintStatus::Accepted as i32);

    // Fifteen working days pass without a reply.
    s.clock.advance(chrono::Duration::days(30));
    s.wait(&c.id, "flagged overdue", |c| c.overdue).await;
    let overdue = s
        .client
        .clone()
        .list_complaints(pb::ListComplaintsRequest { overdue_only: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .complaints;
    assert!(overdue.iter().any(|o| o.id == c.id));
    let supervise =
        pb::SuperviseComplaintRequest { id: c.id.clone(), supervisor: "街道督办室".into(), note: String::new() };
    let supervised = s.client.clone().supervise_complaint(supervise).await.unwrap().into_inner();
    assert_eq!(supervised.supervised_by, "街道督办室");
    let notes: Vec<&str> = supervised.status_notes.iter().map(|n| n.note.as_str()).collect();
    assert!(
        notes.iter().any(|n| n.contains("handed over")) && notes.iter().any(|n| n.contains("overdue")),
        "{notes:?}"
    );
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrals_record_their_outcome_once() {
    let s = start_at(Utc::now()).await;
    let c = s.file(pb::FileComplaintRequest { category: "labour.wage_arrears".into(), ..noise() }).await;
    let refer = pb::ReferComplaintRequest {
        id: c.id.clone(),
        kind: pb::ReferralKind::LegalAid as i32,
        note: "worker cannot afford a lawyer".into(),
    };
    let r = s.client.clone().refer_complaint(refer).await.unwrap().into_inner();
    let outcome = |o: pb::ReferralOutcome| pb::RecordReferralOutcomeRequest {
        referral_id: r.id.clone(),
        outcome: o as i32,
        note: String::new(),
    };
    let wrong = s.client.clone().record_referral_outcome(outcome(pb::ReferralOutcome::Settled)).await.unwrap_err();
    assert_eq!(wrong.code(), Code::InvalidArgument, "legal aid is granted or refused, not settled");
    let done = s.client.clone().record_referral_outcome(outcome(pb::ReferralOutcome::AidGranted)).await.unwrap();
    assert_eq!(done.into_inner().outcome, pb::ReferralOutcome::AidGranted as i32);
    let twice = s.client.clone().record_referral_outcome(outcome(pb::ReferralOutcome::AidRefused)).await.unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    let shown = s.get(&c.id).await;
    assert_eq!(shown.referrals.len(), 1);
    assert_eq!(shown.referrals[0].outcome, pb::ReferralOutcome::AidGranted as i32);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_clients_file_and_follow_requests() {
    let s = start_at(Utc::now()).await;
    let form = format!(
        "service_code=refuse&description=bins+overflowing&lat={}&long={}&first_name=Ann&phone=13800000000",
        AT.0, AT.1
    );
    let (status, created) =
        http_json(s.open311, "POST", "/open311/v2/requests.json", "application/x-www-form-urlencoded", form.as_bytes())
            .await
            .unwrap();
    assert_eq!(status, 201, "{created}");
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    let (status, one) = http_json(s.open311, "GET", &format!("/open311/v2/requests/{id}.json"), "", b"").await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(one[0]["service_code"], "refuse");
    assert_eq!(one[0]["status"], "open");
    assert_eq!(one[0]["address_id"], s.building.to_string().as_str());
    assert!(one[0].get("phone").is_none() && !one.to_string().contains("13800000000"), "no personal data");

    let since = (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let path = format!("/open311/v2/requests.json?updated_after={}&page_size=2&page=1", since.replace('+', "%2B"));
    let (status, page) = http_json(s.open311, "GET", &path, "", b"").await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.as_array().unwrap().len(), 2);
    let (status, missing) =
        http_json(s.open311, "GET", &format!("/open311/v2/requests/{}.json", Uuid::now_v7()), "", b"").await.unwrap();
    assert_eq!((status, missing[0]["code"].as_u64()), (404, Some(404)));
    let (status, unknown) = http_json(
        s.open311,
        "POST",
        "/open311/v2/requests.json",
        "application/json",
        br#"{"service_code":"ghosts","description":"x","lat":22.6,"long":114.0}"#,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert!(unknown[0]["description"].as_str().unwrap().contains("catalogue"), "{unknown}");
    let (_, services) = http_json(s.open311, "GET", "/open311/v2/services.json", "", b"").await.unwrap();
    let gas = services.as_array().unwrap().iter().find(|s| s["service_code"] == "emergency.gas_leak").unwrap();
    assert_eq!(gas["type"], "realtime");

    // Malformed and oversized input is answered as GeoReport errors too.
    let (status, bad_query) =
        http_json(s.open311, "GET", "/open311/v2/requests.json?page=%FF%FE", "", b"").await.unwrap();
    assert_eq!((status, bad_query[0]["code"].as_u64()), (400, Some(400)), "{bad_query}");
    let (status, bad_path) = http_json(s.open311, "GET", "/open311/v2/requests/%FF%FE.json", "", b"").await.unwrap();
    assert_eq!((status, bad_path[0]["code"].as_u64()), (400, Some(400)), "{bad_path}");
    let huge = vec![b'a'; 5 << 20];
    let (status, too_big) =
        http_json(s.open311, "POST", "/open311/v2/requests.json", "application/x-www-form-urlencoded", &huge)
            .await
            .unwrap();
    assert_eq!((status, too_big[0]["code"].as_u64()), (413, Some(413)), "{too_big}");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_page_newest_first_by_category_and_filing_time() {
    let s = start_at(Utc::now()).await;
    let mut noisy = Vec::new();
    for n in 0..7 {
        noisy.push(s.file(noise()).await.id);
        if n == 3 {
            s.clock.advance(chrono::Duration::minutes(1));
        }
    }
    let policy = s.file(pb::FileComplaintRequest { category: "policy".into(), ..noise() }).await;
    let list = |token: String, filed_from| pb::ListComplaintsRequest {
        category: "noise".into(),
        page_size: 3,
        page_token: token,
        filed_from,
        ..Default::default()
    };
    let pages = dualnet_testkit::walk(10, |token| {
        let mut client = s.client.clone();
        let req = list(token, None);
        async move {
            let page = client.list_complaints(req).await.unwrap().into_inner();
            (page.complaints.into_iter().map(|c| c.id).collect::<Vec<_>>(), page.next_page_token)
        }
    })
    .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    let walked: Vec<String> = pages.concat();
    assert_eq!(walked, noisy.iter().rev().cloned().collect::<Vec<_>>(), "newest first, each once, none of policy");
    assert!(!walked.contains(&policy.id));
    // The last minute's three alone.
    let since = Some(dualnet_platform::timestamp::to_proto(dualnet_platform::clock::Clock::now(&s.clock)));
    let recent = s.client.clone().list_complaints(list(String::new(), since)).await.unwrap().into_inner();
    assert_eq!(recent.complaints.len(), 3);
    assert_eq!(recent.next_page_token, "", "three fit one page");
    // A token of one filter is refused for another.
    let first = s.client.clone().list_complaints(list(String::new(), None)).await.unwrap().into_inner();
    let other = pb::ListComplaintsRequest { category: "policy".into(), ..list(first.next_page_token, None) };
    let e = s.client.clone().list_complaints(other).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("page_token:"), "{e:?}");
    s.shutdown.cancel();
}

/// The calendar never guesses a year it lacks (the shipped schedule ends with
/// 2026): a deadline counted into 2027 is counted on weekends and the
/// fixed-date holidays (1 January) alone and says it is provisional.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_counted_into_a_year_without_a_holiday_schedule_is_provisional() {
    // Wednesday 16 December 2026, 23:59 China time.
    let s = start_at(Utc.with_ymd_and_hms(2026, 12, 16, 15, 59, 0).unwrap()).await;
    let consultation = pb::FileComplaintRequest {
        kind: pb::RequestKind::Consultation as i32,
        category: "policy".into(),
        building_id: s.building.to_string(),
        ..noise()
    };
    let short = s.file(consultation).await;
    // Two working days: Thursday 17 and Friday 18 December, inside 2026.
    assert_eq!(from_proto(&short.deadline.unwrap()).unwrap(), Utc.with_ymd_and_hms(2026, 12, 18, 16, 0, 0).unwrap());
    assert!(!short.deadline_provisional, "inside the schedule's last year");
    let complaint = s.file(pb::FileComplaintRequest { building_id: s.building.to_string(), ..noise() }).await;
    // Fifteen working days from the 17th: 11 in December, then 1 January
    // (fixed holiday) and the weekend are skipped: Thursday 7 January 2027.
    assert_eq!(from_proto(&complaint.deadline.unwrap()).unwrap(), Utc.with_ymd_and_hms(2027, 1, 7, 16, 0, 0).unwrap());
    assert!(complaint.deadline_provisional, "counted into 2027 without its schedule");
    let read = pb::GetComplaintRequest { id: complaint.id.clone(), ..Default::default() };
    let read = s.client.clone().get_complaint(read).await.unwrap().into_inner();
    assert!(read.deadline_provisional, "and says so when read");
    s.shutdown.cancel();
}
