//! 大事全网联动 under redelivery: party-grid in-process on the PostgreSQL log
//! transport, fed governance-grid's events directly — each escalation
//! delivered twice — mobilises every level exactly once.

use dualnet_events::{Record, Transport};
use dualnet_proto::{
    governance::v1 as gov,
    partygrid::v1::{self as party, party_grid_client::PartyGridClient},
    topics,
};
use dualnet_testkit::{InProcess, WAIT, wait_for};
use tonic::transport::Channel;
use uuid::Uuid;

/// A governance-grid event as it would arrive, with a given event id.
fn record<M: prost::Name>(event_id: Uuid, subject: Uuid, message: &M) -> Record {
    Record::of_message(topics::GOVERNANCE, "/dualnet/governance-grid", event_id, subject, message)
}

async fn tasks(p: &PartyGridClient<Channel>, incident: Uuid) -> Vec<String> {
    let mut p = p.clone();
    let req = party::ListLinkageTasksRequest { incident_id: incident.to_string(), ..Default::default() };
    let mut orgs: Vec<String> =
        p.list_linkage_tasks(req).await.unwrap().into_inner().tasks.into_iter().map(|t| t.organisation_id).collect();
    orgs.sort();
    orgs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_escalations_mobilise_each_level_exactly_once() {
    let service = InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |_| {}).await;
    let (log, shutdown) = (service.log.clone(), service.shutdown.clone());
    let p = PartyGridClient::new(service.channel().await);

    // The map, as governance-grid announces it.
    let (sub, community, grid) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let publisher = log.publisher();
    publisher
        .publish(&[
            record(
                Uuid::now_v7(),
                sub,
                &gov::SubdistrictCreated { subdistrict_id: sub.to_string(), ..Default::default() },
            ),
            record(
                Uuid::now_v7(),
                community,
                &gov::CommunityCreated {
                    community_id: community.to_string(),
                    subdistrict_id: sub.to_string(),
                    ..Default::default()
                },
            ),
            record(
                Uuid::now_v7(),
                grid,
                &gov::GridCreated {
                    grid_id: grid.to_string(),
                    community_id: community.to_string(),
                    ..Default::default()
                },
            ),
        ])
        .await
        .unwrap();
    let mut orgs = Vec::new();
    for (kind, unit_kind, unit) in [
        (party::OrganisationKind::WorkingCommittee, party::UnitKind::Subdistrict, sub),
        (party::OrganisationKind::CommunityCommittee, party::UnitKind::Community, community),
        (party::OrganisationKind::GridBranch, party::UnitKind::Grid, grid),
    ] {
        let mut client = p.clone();
        let req =
            party::CreateOrganisationRequest { parent_id: String::new(), kind: kind as i32, name: "组织".into() };
        let id = client.create_organisation(req).await.unwrap().into_inner().id;
        let bind = party::BindOrganisationRequest {
            organisation_id: id.clone(),
            unit_kind: unit_kind as i32,
            unit_id: unit.to_string(),
        };
        wait_for("the unit in the read model", WAIT, || {
            let mut client = p.clone();
            let bind = bind.clone();
            async move { client.bind_organisation(bind).await.ok() }
        })
        .await;
        orgs.push(id);
    }

    // One incident, opened and escalated twice — every event delivered twice.
    let incident = Uuid::now_v7();
    let escalated = |from: gov::IncidentLevel, to: gov::IncidentLevel| gov::IncidentEscalated {
        incident_id: incident.to_string(),
        from_level: from as i32,
        to_level: to as i32,
        grid_id: grid.to_string(),
        community_id: community.to_string(),
        subdistrict_id: sub.to_string(),
        reason: "deadline_passed".into(),
        complaint_id: String::new(),
    };
    let opened = record(
        Uuid::now_v7(),
        incident,
        &gov::IncidentOpened {
            incident_id: incident.to_string(),
            grid_id: grid.to_string(),
            community_id: community.to_string(),
            level: gov::IncidentLevel::Grid as i32,
            ..Default::default()
        },
    );
    let to_community =
        record(Uuid::now_v7(), incident, &escalated(gov::IncidentLevel::Grid, gov::IncidentLevel::Community));
    let to_subdistrict =
        record(Uuid::now_v7(), incident, &escalated(gov::IncidentLevel::Community, gov::IncidentLevel::Subdistrict));
    // A marker incident published last: once its task exists, everything
    // before it on the log has been applied.
    let marker = Uuid::now_v7();
    let marker_opened = record(
        Uuid::now_v7(),
        marker,
        &gov::IncidentOpened { incident_id: marker.to_string(), grid_id: grid.to_string(), ..Default::default() },
    );
    publisher
        .publish(&[
            opened.clone(),
            opened,
            to_community.clone(),
            to_community,
            to_subdistrict.clone(),
            to_subdistrict,
            marker_opened,
        ])
        .await
        .unwrap();
    wait_for("the marker incident's task", WAIT, || async { (!tasks(&p, marker).await.is_empty()).then_some(()) })
        .await;
    let mut expected = orgs.clone();
    expected.sort();
    assert_eq!(tasks(&p, incident).await, expected, "branch, community committee and working committee, once each");
    // A page at a time, oldest first, the same three; open ones alone, too.
    let paged = |status: party::TaskStatus| {
        let p = p.clone();
        dualnet_testkit::walk(5, move |page_token| {
            let mut p = p.clone();
            let req = party::ListLinkageTasksRequest {
                incident_id: incident.to_string(),
                page_size: 1,
                page_token,
                status: status as i32,
                ..Default::default()
            };
            async move {
                let page = p.list_linkage_tasks(req).await.unwrap().into_inner();
                (page.tasks.into_iter().map(|t| t.organisation_id).collect::<Vec<_>>(), page.next_page_token)
            }
        })
    };
    let mut walked = paged(party::TaskStatus::Unspecified).await.concat();
    walked.sort();
    assert_eq!(walked, expected);
    assert_eq!(paged(party::TaskStatus::Open).await.concat().len(), 3, "none accepted yet");
    assert!(paged(party::TaskStatus::Completed).await.concat().is_empty());
    shutdown.cancel();
}
