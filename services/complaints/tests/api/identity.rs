//! Who acted is the token's subject, tried as the review's attacker did: a
//! department accepts or hands over only as itself, and the staff whose
//! work is rated cannot rate it — the resident rates through the channel
//! that filed the request, or a dispatcher records the resident's rating
//! on their behalf and the record says so.

use crate::running::{Running, noise, start_configured};
use chrono::Utc;
use dualnet_platform::auth::Scope;
use dualnet_proto::complaints::v1 as pb;
use dualnet_testkit::{bearer, tokens};
use tonic::Code;

fn token(sub: &str, department: &str, role: &str, grids: &[String]) -> String {
    tokens::token(sub, department, &[role], Scope { grids: grids.to_vec(), ..Scope::default() })
}

async fn start() -> Running {
    let admin = token("admin-1", "centre", "admin", &[]);
    start_configured(Utc::now(), |c| c.auth = tokens::auth_config(), Some(admin)).await
}

/// Files a noise complaint at the seeded building with `channel`'s token,
/// and has governance-grid open and close its incident: replied, ready to rate.
async fn replied(s: &Running, channel: &str) -> pb::Complaint {
    let req =
        pb::FileComplaintRequest { building_id: s.building.to_string(), channel: pb::Channel::App as i32, ..noise() };
    let c = s.client.clone().file_complaint(bearer(req, channel)).await.unwrap().into_inner();
    let incident = s.incident(&c.id).await;
    s.close(incident, &c.id).await;
    s.wait(&c.id, "replied", |c| c.status == pb::ComplaintStatus::Replied as i32).await
}

fn rating(id: &str) -> pb::RateComplaintRequest {
    pb::RateComplaintRequest { id: id.into(), satisfaction: pb::Satisfaction::Satisfied as i32, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_resident_rates_through_the_channel_that_filed_or_a_dispatcher_on_their_behalf() {
    let s = start().await;
    let grid = [s.grid.to_string()];
    let (app, other_app) =
        (token("app-1", "app", "resident_channel", &[]), token("app-2", "app", "resident_channel", &[]));
    let c = replied(&s, &app).await;
    let worker = token("gw-0001", "grid-office", "grid_worker", &grid);
    let lead = token("dept-1", &c.department, "department", &grid);
    let mut client = s.client.clone();
    // The staff whose work is rated: refused by the permission matrix.
    for staff in [&worker, &lead] {
        let refused = client.rate_complaint(bearer(rating(&c.id), staff)).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{}", refused.message());
    }
    // Another resident channel does not see the request at all.
    assert_eq!(client.rate_complaint(bearer(rating(&c.id), &other_app)).await.unwrap_err().code(), Code::NotFound);
    let rated = client.rate_complaint(bearer(rating(&c.id), &app)).await.unwrap().into_inner();
    assert_eq!(rated.status, pb::ComplaintStatus::Rated as i32);

    // A rating taken by phone is recorded as the dispatcher's, for the resident.
    let by_phone = replied(&s, &app).await;
    let dispatcher = token("dispatch-07", "centre", "dispatcher", &grid);
    client.rate_complaint(bearer(rating(&by_phone.id), &dispatcher)).await.unwrap();
    let shown = s.get(&by_phone.id).await;
    let note = &shown.status_notes.last().unwrap().note;
    assert!(note.contains("on the resident's behalf") && note.contains("dispatch-07"), "{note}");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_accepts_and_hands_over_only_as_itself() {
    let s = start().await;
    let grid = [s.grid.to_string()];
    let c = s.file(pb::FileComplaintRequest { building_id: s.building.to_string(), ..noise() }).await;
    let worker = token("gw-0001", "grid-office", "grid_worker", &grid);
    let lead = token("dept-1", &c.department, "department", &grid);
    let mut client = s.client.clone();
    let accept = |department: &str, actor: &str| pb::AcceptComplaintRequest {
        id: c.id.clone(),
        department: department.into(),
        actor: actor.into(),
    };
    // A grid worker of the grid reaches the request but is not its department.
    let forged = client.accept_complaint(bearer(accept(&c.department, ""), &worker)).await.unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied, "{}", forged.message());
    let forged = client.accept_complaint(bearer(accept("", "科长"), &lead)).await.unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied, "naming another actor: {}", forged.message());
    let accepted = client.accept_complaint(bearer(accept("", ""), &lead)).await.unwrap().into_inner();
    let note = &accepted.status_notes.last().unwrap().note;
    assert!(note.contains(&c.department) && note.contains("dept-1"), "{note}");

    let hand_over = |from: &str| pb::HandOverComplaintRequest {
        id: c.id.clone(),
        from_department: from.into(),
        to_department: "housing-bureau".into(),
        ..Default::default()
    };
    let forged = client.hand_over_complaint(bearer(hand_over(&c.department), &worker)).await.unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied);
    let handed = client.hand_over_complaint(bearer(hand_over(""), &lead)).await.unwrap().into_inner();
    assert_eq!(handed.department, "housing-bureau");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_sees_the_residents_of_the_requests_it_leads_and_the_others_masked() {
    let s = start().await;
    let grid = [s.grid.to_string()];
    let req = pb::FileComplaintRequest {
        building_id: s.building.to_string(),
        resident_name: "李四".into(),
        resident_phone: "13800138000".into(),
        ..noise()
    };
    let c = s.file(req).await;
    // Both departments reach the request through the grid in their scope;
    // only the one leading it is entitled to the resident.
    let lead = token("dept-1", &c.department, "department", &grid);
    let other = token("dept-2", "housing-bureau", "department", &grid);
    let read = |who: &str| {
        let req = pb::GetComplaintRequest { id: c.id.clone(), purpose: "call the resident back".into() };
        let (mut client, req) = (s.client.clone(), bearer(req, who));
        async move { client.get_complaint(req).await.unwrap().into_inner().resident.unwrap() }
    };
    let seen = read(&other).await;
    assert!(seen.masked && seen.phone != "13800138000", "another department's request: {seen:?}");
    let seen = read(&lead).await;
    assert!(!seen.masked && seen.phone == "13800138000", "its own request: {seen:?}");
    s.shutdown.cancel();
}
