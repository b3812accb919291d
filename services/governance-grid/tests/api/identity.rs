//! Who acted is the token's subject, as an attacker with a grid worker's
//! token would test it: a name in the body does not make someone else the
//! actor, a summoned department answers a whistle only with its own token,
//! and a dispatcher recording for someone else leaves both names behind.

use crate::running::{Running, start_configured};
use chrono::Utc;
use dualnet_platform::auth::Scope;
use dualnet_proto::governance::v1 as gov;
use dualnet_testkit::{bearer, tokens};
use tonic::Code;

/// A token of `sub` in `department` with `role`, working in subdistrict `area`.
fn token(sub: &str, department: &str, role: &str, area: &str) -> String {
    tokens::token(sub, department, &[role], Scope { subdistricts: vec![area.into()], ..Scope::default() })
}

/// A major incident in a new subdistrict's grid, and the subdistrict's id.
async fn incident(s: &Running, admin: &str) -> (gov::Incident, String) {
    let mut client = s.client.clone();
    let code = dualnet_testkit::unique("sd");
    let req = gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() };
    let sub = client.create_subdistrict(bearer(req, admin)).await.unwrap().into_inner();
    let req = gov::CreateCommunityRequest {
        subdistrict_id: sub.id.clone(),
        code: format!("{code}-c"),
        name: "新雪社区".into(),
    };
    let community = client.create_community(bearer(req, admin)).await.unwrap().into_inner();
    let req =
        gov::CreateGridRequest { community_id: community.id, code: format!("{code}-g"), name: "新雪网格".into() };
    let grid = client.create_grid(bearer(req, admin)).await.unwrap().into_inner().id;
    let report = gov::ReportIncidentRequest {
        grid_id: grid,
        category: "noise".into(),
        summary: "Karaoke after midnight".into(),
        severity: gov::Severity::Major as i32,
        ..Default::default()
    };
    (client.report_incident(bearer(report, admin)).await.unwrap().into_inner(), sub.id)
}

fn step(id: &str, action: gov::IncidentAction, actor: &str) -> gov::TransitionIncidentRequest {
    gov::TransitionIncidentRequest { id: id.into(), action: action as i32, actor: actor.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_subject_acts_and_a_body_name_makes_no_one_else_the_actor() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let admin = token("admin-1", "centre", "admin", "");
    let mut client = s.client.clone();
    let (i, area) = incident(&s, &admin).await;
    let worker = token("gw-0001", "grid-office", "grid_worker", &area);
    let dispatcher = token("dispatch-07", "centre", "dispatcher", &area);
    let got = client.get_incident(bearer(gov::GetIncidentRequest { id: i.id.clone() }, &admin)).await.unwrap();
    assert_eq!(got.into_inner().history[0].actor, "admin-1", "the reporter is the token's subject");

    // A grid worker naming a department head as the actor is refused …
    let forged = client.transition_incident(bearer(step(&i.id, gov::IncidentAction::Accept, "街道主任"), &worker));
    let forged = forged.await.unwrap_err();
    assert_eq!(forged.code(), Code::PermissionDenied, "{}", forged.message());
    // … and acting without a name records the token's subject.
    let accepted = client.transition_incident(bearer(step(&i.id, gov::IncidentAction::Accept, ""), &worker));
    let accepted = accepted.await.unwrap().into_inner();
    assert_eq!(accepted.history.last().unwrap().actor, "gw-0001");
    // Naming oneself is the same as naming no one.
    let same = step(&i.id, gov::IncidentAction::Dispatch, "gw-0001");
    let dispatched = client.transition_incident(bearer(same, &worker)).await.unwrap().into_inner();
    assert_eq!(dispatched.history.last().unwrap().actor, "gw-0001");
    // The command centre recording a field worker's report by phone names both.
    let for_worker = step(&i.id, gov::IncidentAction::Handle, "gw-0002");
    let handled = client.transition_incident(bearer(for_worker, &dispatcher)).await.unwrap().into_inner();
    assert_eq!(handled.history.last().unwrap().actor, "dispatch-07 (for gw-0002)");
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summoned_department_checks_in_and_reports_done_only_with_its_own_token() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let admin = token("admin-1", "centre", "admin", "");
    let mut client = s.client.clone();
    let (i, area) = incident(&s, &admin).await;
    let dispatcher = token("dispatch-07", "centre", "dispatcher", &area);
    let (worker, urban, fire) = (
        token("gw-0001", "grid-office", "grid_worker", &area),
        token("cg-0001", "城管", "department", &area),
        token("xf-0001", "消防", "department", &area),
    );
    // A major incident opens at community level: one tier up to the subdistrict.
    assert_eq!(i.level, gov::IncidentLevel::Community as i32);
    let up = gov::EscalateIncidentRequest { id: i.id.clone(), ..Default::default() };
    client.escalate_incident(bearer(up, &dispatcher)).await.unwrap();
    let whistle = gov::BlowWhistleRequest {
        id: i.id.clone(),
        departments: vec!["城管".into(), "消防".into()],
        ..Default::default()
    };
    client.blow_whistle(bearer(whistle, &dispatcher)).await.unwrap();

    let check_in = |department: &str| gov::CheckInRequest { id: i.id.clone(), department: department.into() };
    // A grid worker (the case the review found: one token answering for two
    // departments) and even a dispatcher cannot answer for 城管.
    for impostor in [&worker, &dispatcher, &fire] {
        let refused = client.check_in(bearer(check_in("城管"), impostor)).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{}", refused.message());
    }
    let done = |department: &str| gov::ReportDepartmentDoneRequest {
        id: i.id.clone(),
        department: department.into(),
        note: "cleared".into(),
    };
    assert_eq!(
        client.report_department_done(bearer(done("消防"), &urban)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    // 城管's own token, naming itself or no one.
    let checked = client.check_in(bearer(check_in(""), &urban)).await.unwrap().into_inner();
    let summons = |inc: &gov::Incident, d: &str| inc.summons.iter().find(|m| m.department == d).cloned().unwrap();
    assert!(summons(&checked, "城管").checked_in_at.is_some());
    assert!(summons(&checked, "消防").checked_in_at.is_none(), "消防 has not answered");
    let answered = client.report_department_done(bearer(done("城管"), &urban)).await.unwrap().into_inner();
    assert!(summons(&answered, "城管").done_at.is_some());
    // A department never summoned is refused on the state, not on identity.
    let tax = token("sw-0001", "税务", "department", &area);
    assert_eq!(client.check_in(bearer(check_in(""), &tax)).await.unwrap_err().code(), Code::FailedPrecondition);
    s.shutdown.cancel();
}
