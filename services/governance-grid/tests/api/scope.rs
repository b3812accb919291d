//! Area scope: a caller's token names the grids, communities or
//! subdistricts it works in; incidents elsewhere do not exist for it
//! (`NOT_FOUND` on reads and changes alike, absent from lists). An admin is
//! not confined.

use crate::running::{Running, start_configured};
use chrono::Utc;
use dualnet_platform::auth::Scope;
use dualnet_proto::governance::v1 as gov;
use dualnet_testkit::{bearer, tokens};
use tonic::Code;

fn token(role: &str, scope: Scope) -> String {
    tokens::token(&format!("{role}-1"), "bantian", &[role], scope)
}

async fn get(s: &Running, token: &str, id: &str) -> Result<gov::Incident, tonic::Status> {
    s.client
        .clone()
        .get_incident(bearer(gov::GetIncidentRequest { id: id.into() }, token))
        .await
        .map(|r| r.into_inner())
}

async fn listed(s: &Running, token: &str) -> Vec<String> {
    let answer = s.client.clone().list_incidents(bearer(gov::ListIncidentsRequest::default(), token)).await.unwrap();
    let mut ids: Vec<String> = answer.into_inner().incidents.into_iter().map(|i| i.id).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_confined_to_an_area_finds_only_the_incidents_inside_it() {
    let s = start_configured(Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let admin = token("admin", Scope::default());
    let mut client = s.client.clone();
    let code = dualnet_testkit::unique("sd");
    let sub = client
        .create_subdistrict(bearer(
            gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut grids = Vec::new();
    let mut communities = Vec::new();
    for n in ["a", "b"] {
        let community = gov::CreateCommunityRequest {
            subdistrict_id: sub.id.clone(),
            code: format!("{code}-{n}"),
            name: format!("社区{n}"),
        };
        let community = client.create_community(bearer(community, &admin)).await.unwrap().into_inner();
        let grid = gov::CreateGridRequest {
            community_id: community.id.clone(),
            code: format!("{code}-{n}-g"),
            name: format!("网格{n}"),
        };
        grids.push(client.create_grid(bearer(grid, &admin)).await.unwrap().into_inner().id);
        communities.push(community.id);
    }
    let mut incidents = Vec::new();
    for grid in &grids {
        let report = gov::ReportIncidentRequest {
            grid_id: grid.clone(),
            category: "noise".into(),
            summary: "Karaoke after midnight".into(),
            reporter: "网格员".into(),
            severity: gov::Severity::Normal as i32,
            ..Default::default()
        };
        incidents.push(client.report_incident(bearer(report, &admin)).await.unwrap().into_inner().id);
    }
    let (in_a, in_b) = (incidents[0].clone(), incidents[1].clone());

    // A grid worker of grid a.
    let worker = token("grid_worker", Scope { grids: vec![grids[0].clone()], ..Scope::default() });
    assert_eq!(get(&s, &worker, &in_a).await.unwrap().id, in_a);
    let hidden = get(&s, &worker, &in_b).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound, "another grid's incident does not exist for it");
    assert_eq!(listed(&s, &worker).await, vec![in_a.clone()]);
    let step = gov::TransitionIncidentRequest {
        id: in_b.clone(),
        action: gov::IncidentAction::Accept as i32,
        actor: "网格员".into(),
        ..Default::default()
    };
    let refused = s.client.clone().transition_incident(bearer(step.clone(), &worker)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "nor can it change it");
    let escalate = gov::EscalateIncidentRequest { id: in_b.clone(), actor: "网格员".into(), reason: String::new() };
    // Escalating needs a dispatcher; one of grid a cannot reach grid b's incident either.
    assert_eq!(
        s.client.clone().escalate_incident(bearer(escalate.clone(), &worker)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let dispatcher_a = token("dispatcher", Scope { grids: vec![grids[0].clone()], ..Scope::default() });
    assert_eq!(
        s.client.clone().escalate_incident(bearer(escalate, &dispatcher_a)).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(get(&s, &admin, &in_b).await.unwrap().status, gov::IncidentStatus::Reported as i32, "nothing changed");

    // A dispatcher of community b; one of the whole subdistrict; an admin.
    let community_b = token("dispatcher", Scope { communities: vec![communities[1].clone()], ..Scope::default() });
    assert_eq!(listed(&s, &community_b).await, vec![in_b.clone()]);
    assert_eq!(get(&s, &community_b, &in_a).await.unwrap_err().code(), Code::NotFound);
    s.client.clone().transition_incident(bearer(step, &community_b)).await.expect("inside its community");
    let mut both = vec![in_a.clone(), in_b.clone()];
    both.sort();
    let subdistrict = token("dispatcher", Scope { subdistricts: vec![sub.id.clone()], ..Scope::default() });
    assert_eq!(listed(&s, &subdistrict).await, both);
    assert_eq!(listed(&s, &admin).await, both);
    // No scope at all: nothing.
    assert!(listed(&s, &token("grid_worker", Scope::default())).await.is_empty());

    // The map: grid a's worker reports and reads in grid a only; a map
    // keeper of community a changes community a only.
    let mut c = s.client.clone();
    let report = |grid: &str| gov::ReportIncidentRequest {
        grid_id: grid.into(),
        category: "noise".into(),
        summary: "Drilling".into(),
        ..Default::default()
    };
    assert_eq!(c.report_incident(bearer(report(&grids[1]), &worker)).await.unwrap_err().code(), Code::NotFound);
    c.report_incident(bearer(report(&grids[0]), &worker)).await.expect("in its own grid");
    let get_grid = |id: &str| gov::GetGridRequest { id: id.into() };
    assert_eq!(c.get_grid(bearer(get_grid(&grids[1]), &worker)).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(c.get_grid(bearer(get_grid(&grids[0]), &worker)).await.unwrap().into_inner().id, grids[0]);
    let keeper_a = token("map_keeper", Scope { communities: vec![communities[0].clone()], ..Scope::default() });
    let new_grid = |community: &str, n: &str| gov::CreateGridRequest {
        community_id: community.into(),
        code: format!("{code}-{n}"),
        name: n.into(),
    };
    assert_eq!(
        c.create_grid(bearer(new_grid(&communities[1], "x"), &keeper_a)).await.unwrap_err().code(),
        Code::NotFound
    );
    c.create_grid(bearer(new_grid(&communities[0], "y"), &keeper_a)).await.expect("in its own community");
    let export = gov::ExportMapRequest { format: gov::MapFormat::Json as i32 };
    assert_eq!(c.export_map(bearer(export, &keeper_a)).await.unwrap_err().code(), Code::PermissionDenied);
    c.export_map(bearer(
        export,
        &token("map_keeper", Scope { subdistricts: vec![sub.id.clone()], ..Scope::default() }),
    ))
    .await
    .expect("the whole map is the subdistrict's");

    // Statistics: one's own community, or the whole map for a subdistrict.
    let now = Utc::now();
    let figures = |community: Option<&str>| gov::GetStatisticsRequest {
        from: Some(dualnet_platform::timestamp::to_proto(now - chrono::Duration::days(30))),
        to: Some(dualnet_platform::timestamp::to_proto(now + chrono::Duration::days(1))),
        community_id: community.unwrap_or_default().into(),
        ..Default::default()
    };
    let total = |r: gov::Statistics| r.total.unwrap().incidents;
    let mine = c.get_statistics(bearer(figures(Some(&communities[1])), &community_b)).await.unwrap().into_inner();
    assert_eq!(total(mine), 1, "community b's one incident");
    assert_eq!(
        c.get_statistics(bearer(figures(Some(&communities[0])), &community_b)).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(c.get_statistics(bearer(figures(None), &community_b)).await.unwrap_err().code(), Code::PermissionDenied);
    let all = c.get_statistics(bearer(figures(None), &subdistrict)).await.unwrap().into_inner();
    assert_eq!(total(all), 3);

    // Staff: community a's map keeper cannot pull grid b's worker into grid a.
    let assign = |staff: &str, grid: &str| gov::AssignGridWorkerRequest {
        staff_code: staff.into(),
        grid_id: grid.into(),
        name: "王网格".into(),
    };
    c.assign_grid_worker(bearer(assign("gw-b", &grids[1]), &admin)).await.unwrap();
    let refused = c.assign_grid_worker(bearer(assign("gw-b", &grids[0]), &keeper_a)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{}", refused.message());
    let workers = |grid: &str| gov::ListGridWorkersRequest { grid_id: grid.into() };
    let b_workers = c.list_grid_workers(bearer(workers(&grids[1]), &admin)).await.unwrap().into_inner().workers;
    assert_eq!(b_workers.len(), 1, "gw-b still serves grid b");
    c.assign_grid_worker(bearer(assign("gw-a", &grids[0]), &keeper_a)).await.expect("a new worker for its own grid");
    s.shutdown.cancel();
}
