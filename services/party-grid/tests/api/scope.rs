//! Area scope in the party network: a caller confined to grids,
//! communities or a subdistrict reaches the organisations bound in them (and
//! the organisations below those), their linkage tasks and members; the rest
//! of the network does not exist for it — nor do the ids a request body
//! names there (a building, a member). Network-wide figures need every
//! subdistrict the network knows.

use dualnet_events::{Record, Transport};
use dualnet_platform::auth::Scope;
use dualnet_proto::{
    governance::v1 as gov,
    partygrid::v1::{self as party, party_grid_client::PartyGridClient},
    topics,
};
use dualnet_testkit::{InProcess, WAIT, bearer, tokens, wait_for};
use tonic::{Code, transport::Channel};
use uuid::Uuid;

fn token(role: &str, scope: Scope) -> String {
    tokens::token(&format!("{role}-1"), "bantian", &[role], scope)
}

fn record<M: prost::Name>(subject: Uuid, message: &M) -> Record {
    Record::of_message(topics::GOVERNANCE, "/dualnet/governance-grid", Uuid::now_v7(), subject, message)
}

async fn tasks(p: &PartyGridClient<Channel>, who: &str) -> Vec<String> {
    let answer = p.clone().list_linkage_tasks(bearer(party::ListLinkageTasksRequest::default(), who)).await.unwrap();
    answer.into_inner().tasks.into_iter().map(|t| t.organisation_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_confined_to_an_area_reaches_only_the_party_organisations_bound_in_it() {
    let service =
        InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let (log, shutdown) = (service.log.clone(), service.shutdown.clone());
    let p = PartyGridClient::new(service.channel().await);

    // Subdistrict S; community A with grid a, community B with grid b.
    let (s, ca, cb, ga, gb) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    // A building in grid b, and a second subdistrict elsewhere.
    let (building_b, elsewhere) = (Uuid::now_v7(), Uuid::now_v7());
    let community = |c: Uuid| gov::CommunityCreated {
        community_id: c.to_string(),
        subdistrict_id: s.to_string(),
        ..Default::default()
    };
    let grid = |g: Uuid, c: Uuid| gov::GridCreated {
        grid_id: g.to_string(),
        community_id: c.to_string(),
        ..Default::default()
    };
    log.publisher()
        .publish(&[
            record(s, &gov::SubdistrictCreated { subdistrict_id: s.to_string(), ..Default::default() }),
            record(ca, &community(ca)),
            record(cb, &community(cb)),
            record(ga, &grid(ga, ca)),
            record(gb, &grid(gb, cb)),
            record(
                building_b,
                &gov::BuildingCreated {
                    building_id: building_b.to_string(),
                    grid_id: gb.to_string(),
                    ..Default::default()
                },
            ),
            record(elsewhere, &gov::SubdistrictCreated { subdistrict_id: elsewhere.to_string(), ..Default::default() }),
        ])
        .await
        .unwrap();

    let admin = token("admin", Scope::default());
    let organise = |parent: Option<&str>, kind: party::OrganisationKind, unit: Option<(party::UnitKind, Uuid)>| {
        let (p, admin, parent) = (p.clone(), admin.clone(), parent.unwrap_or_default().to_string());
        async move {
            let req = party::CreateOrganisationRequest { parent_id: parent, kind: kind as i32, name: "组织".into() };
            let id = p.clone().create_organisation(bearer(req, &admin)).await.unwrap().into_inner().id;
            if let Some((unit_kind, unit)) = unit {
                let bind = party::BindOrganisationRequest {
                    organisation_id: id.clone(),
                    unit_kind: unit_kind as i32,
                    unit_id: unit.to_string(),
                };
                wait_for("the unit in the read model", WAIT, || {
                    let (mut p, bind, admin) = (p.clone(), bind.clone(), admin.clone());
                    async move { p.bind_organisation(bearer(bind, &admin)).await.ok() }
                })
                .await;
            }
            id
        }
    };
    use party::{OrganisationKind as K, UnitKind as U};
    let committee_a = organise(None, K::CommunityCommittee, Some((U::Community, ca))).await;
    let branch_a = organise(Some(&committee_a), K::GridBranch, Some((U::Grid, ga))).await;
    let branch_b = organise(None, K::GridBranch, Some((U::Grid, gb))).await;
    // Unbound, under branch a: reached through it.
    let group_a = organise(Some(&branch_a), K::BuildingGroup, None).await;

    // An incident in each grid gives each branch a task.
    let (incident_a, incident_b) = (Uuid::now_v7(), Uuid::now_v7());
    let opened = |g: Uuid, c: Uuid| gov::IncidentOpened {
        incident_id: if g == ga { incident_a } else { incident_b }.to_string(),
        grid_id: g.to_string(),
        community_id: c.to_string(),
        level: gov::IncidentLevel::Grid as i32,
        ..Default::default()
    };
    log.publisher().publish(&[record(ga, &opened(ga, ca)), record(gb, &opened(gb, cb))]).await.unwrap();
    let mut all = wait_for("both tasks", WAIT, || async {
        let t = tasks(&p, &admin).await;
        (t.len() == 2).then_some(t)
    })
    .await;
    all.sort();

    let worker_a = token("party_organiser", Scope { grids: vec![ga.to_string()], ..Scope::default() });
    let community_b = token("party_organiser", Scope { communities: vec![cb.to_string()], ..Scope::default() });
    let subdistrict = token("party_organiser", Scope { subdistricts: vec![s.to_string()], ..Scope::default() });
    let nowhere = token("party_organiser", Scope::default());

    assert_eq!(tasks(&p, &worker_a).await, vec![branch_a.clone()]);
    assert_eq!(tasks(&p, &community_b).await, vec![branch_b.clone()]);
    let mut wide = tasks(&p, &subdistrict).await;
    wide.sort();
    assert_eq!(wide, all);
    assert!(tasks(&p, &nowhere).await.is_empty());

    let get = |who: &str, id: &str| {
        let (mut p, req) = (p.clone(), bearer(party::GetOrganisationRequest { id: id.into() }, who));
        async move { p.get_organisation(req).await.map(|r| r.into_inner().id) }
    };
    assert_eq!(get(&worker_a, &branch_a).await.unwrap(), branch_a);
    assert_eq!(get(&worker_a, &group_a).await.unwrap(), group_a, "an unbound group under a's branch");
    for (who, id) in
        [(&worker_a, &branch_b), (&worker_a, &committee_a), (&community_b, &branch_a), (&nowhere, &branch_a)]
    {
        assert_eq!(get(who, id).await.unwrap_err().code(), Code::NotFound, "{id}");
    }
    assert_eq!(get(&subdistrict, &branch_b).await.unwrap(), branch_b);

    // Acting on another area's task, or adding a member to its branch.
    let b_task = p
        .clone()
        .list_linkage_tasks(bearer(party::ListLinkageTasksRequest::default(), &community_b))
        .await
        .unwrap()
        .into_inner()
        .tasks
        .remove(0);
    let accept = |who: &str| {
        let req = party::AcceptLinkageTaskRequest { id: b_task.id.clone(), actor: String::new() };
        let (mut p, req) = (p.clone(), bearer(req, who));
        async move { p.accept_linkage_task(req).await.map(|r| r.into_inner()) }
    };
    assert_eq!(accept(&worker_a).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(accept(&community_b).await.unwrap().status, party::TaskStatus::Accepted as i32);
    let add = party::AddMemberRequest {
        organisation_id: branch_b.clone(),
        name: "王五".into(),
        role: party::MemberRole::Member as i32,
        ..Default::default()
    };
    assert_eq!(p.clone().add_member(bearer(add, &worker_a)).await.unwrap_err().code(), Code::NotFound);
    let network = party::GetGridNetworkRequest { grid_id: gb.to_string() };
    assert_eq!(p.clone().get_grid_network(bearer(network, &worker_a)).await.unwrap_err().code(), Code::NotFound);

    // Network-wide figures: a subdistrict in scope, or a community of one's own.
    let coverage = |who: &str, community: Option<Uuid>| {
        let req = party::GetCoverageRequest { community_id: community.map(|c| c.to_string()).unwrap_or_default() };
        let (mut p, req) = (p.clone(), bearer(req, who));
        async move { p.get_coverage(req).await.map(|r| r.into_inner()) }
    };
    assert_eq!(coverage(&community_b, None).await.unwrap_err().code(), Code::PermissionDenied);
    assert!(coverage(&community_b, Some(cb)).await.is_ok());
    assert_eq!(coverage(&community_b, Some(ca)).await.unwrap_err().code(), Code::NotFound);
    // One of the two subdistricts in scope is not the whole network: the
    // figures would show the other one's organisations too.
    assert_eq!(coverage(&subdistrict, None).await.unwrap_err().code(), Code::PermissionDenied);
    let both = token(
        "party_organiser",
        Scope { subdistricts: vec![s.to_string(), elsewhere.to_string()], ..Scope::default() },
    );
    assert!(coverage(&both, None).await.is_ok());
    let times = |who: &str| {
        let (mut p, req) = (p.clone(), bearer(party::GetResponseTimesRequest::default(), who));
        async move { p.get_response_times(req).await.map(|r| r.into_inner()) }
    };
    assert_eq!(times(&subdistrict).await.unwrap_err().code(), Code::PermissionDenied);
    assert!(times(&both).await.is_ok());

    // Ids named in a body: grid a's organiser may not make someone the head
    // of grid b's building, nor sign up or mark present grid b's member.
    let head = party::AddMemberRequest {
        organisation_id: branch_a.clone(),
        name: "赵六".into(),
        role: party::MemberRole::BuildingHead as i32,
        building_id: building_b.to_string(),
    };
    let refused = p.clone().add_member(bearer(head.clone(), &worker_a)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "another grid's building: {}", refused.message());
    let of_b =
        party::AddMemberRequest { organisation_id: branch_b.clone(), building_id: building_b.to_string(), ..head };
    let member_b = wait_for("grid b's building in the read model", WAIT, || {
        let (mut p, req) = (p.clone(), bearer(of_b.clone(), &admin));
        async move { p.add_member(req).await.ok().map(|m| m.into_inner().id) }
    })
    .await;
    let call = party::CallVolunteersRequest {
        incident_id: incident_a.to_string(),
        organisation_id: branch_a.clone(),
        needed: 2,
        purpose: "清理楼道".into(),
    };
    let call = p.clone().call_volunteers(bearer(call, &admin)).await.unwrap().into_inner().id;
    let volunteer = party::VolunteerRequest { call_id: call, member_id: member_b };
    let refused = p.clone().sign_up_volunteer(bearer(volunteer.clone(), &worker_a)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "another area's member: {}", refused.message());
    let refused = p.clone().record_show_up(bearer(volunteer, &worker_a)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    shutdown.cancel();
}
