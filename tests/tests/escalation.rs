//! 大事全网联动 over Kafka: an incident escalated from grid to community to
//! subdistrict mobilises the party organisations of each level, each exactly
//! once; a major incident mobilises the community at once.

#![allow(clippy::too_many_lines)]

use std::collections::HashMap;

use dualnet_e2e::{System, WAIT};
use dualnet_proto::{complaints::v1 as cpb, governance::v1 as gov, partygrid::v1 as party};
use dualnet_testkit::wait_for;
use tonic::{Code, transport::Channel};

async fn tasks_by_org(
    p: &party::party_grid_client::PartyGridClient<Channel>,
    incident: &str,
) -> HashMap<String, usize> {
    let mut p = p.clone();
    let req = party::ListLinkageTasksRequest { incident_id: incident.into(), ..Default::default() };
    let mut counts = HashMap::new();
    for t in p.list_linkage_tasks(req).await.unwrap().into_inner().tasks {
        *counts.entry(t.organisation_id).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_mobilises_each_level_of_the_party_network_once() {
    let system = System::start().await;
    let seed = system.seed(true).await;
    let group = seed.group_id.clone().unwrap();
    let complaints = system.complaints().await;
    let mut g = system.governance().await;
    let p = system.party().await;
    let filed = wait_for("a complaint that resolves to its grid", WAIT, || {
        let mut c = complaints.clone();
        let building = seed.building_id.clone();
        async move {
            let req = cpb::FileComplaintRequest {
                kind: cpb::RequestKind::Complaint as i32,
                category: "refuse".into(),
                channel: cpb::Channel::WechatGroup as i32,
                building_id: building,
                description: "Refuse piling up behind the building for a week".into(),
                ..Default::default()
            };
            let c = c.file_complaint(req).await.unwrap().into_inner();
            (!c.grid_id.is_empty()).then_some(c)
        }
    })
    .await;
    let incident = system.incident_of(&filed.id).await;
    wait_for("grid-level tasks", WAIT, || async { (tasks_by_org(&p, &incident.id).await.len() == 2).then_some(()) })
        .await;

    let escalate = |actor: &str| gov::EscalateIncidentRequest {
        id: incident.id.clone(),
        actor: actor.into(),
        reason: "residents blocked the road".into(),
    };
    let up = g.escalate_incident(escalate("网格员")).await.unwrap().into_inner();
    assert_eq!(up.level, gov::IncidentLevel::Community as i32);
    wait_for("the community committee mobilised", WAIT, || async {
        tasks_by_org(&p, &incident.id).await.contains_key(&seed.community_org_id).then_some(())
    })
    .await;
    let up = g.escalate_incident(escalate("社区书记")).await.unwrap().into_inner();
    assert_eq!(up.level, gov::IncidentLevel::Subdistrict as i32);
    assert!(up.history.iter().any(|h| h.note.contains("escalated from community to subdistrict")));
    let counts = wait_for("the working committee mobilised", WAIT, || async {
        let counts = tasks_by_org(&p, &incident.id).await;
        counts.contains_key(&seed.committee_id).then_some(counts)
    })
    .await;
    let expected: HashMap<String, usize> = [&seed.branch_id, &group, &seed.community_org_id, &seed.committee_id]
        .into_iter()
        .map(|o| (o.clone(), 1))
        .collect();
    assert_eq!(counts, expected, "every level tasked exactly once");

    let top = g.escalate_incident(escalate("街道")).await.unwrap_err();
    assert_eq!(top.code(), Code::FailedPrecondition, "nothing above the subdistrict");
    // The party response of all four levels shows on the incident.
    wait_for("four party responses on the incident", WAIT, || {
        let mut g = g.clone();
        let id = incident.id.clone();
        async move {
            let i = g.get_incident(gov::GetIncidentRequest { id }).await.unwrap().into_inner();
            (i.party_responses.len() == 4).then_some(())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_major_incident_mobilises_the_community_at_once() {
    let system = System::start().await;
    let seed = system.seed(false).await;
    let mut g = system.governance().await;
    let p = system.party().await;
    let opened = g
        .report_incident(gov::ReportIncidentRequest {
            grid_id: seed.grid_id.clone(),
            building_id: seed.building_id.clone(),
            category: "fire_hazard".into(),
            summary: "Electric bikes charging in the stairwell of a dormitory".into(),
            reporter: "网格员".into(),
            severity: gov::Severity::Major as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(opened.level, gov::IncidentLevel::Community as i32);
    assert_eq!(opened.severity, gov::Severity::Major as i32);
    let counts = wait_for("branch and community committee tasked", WAIT, || async {
        let counts = tasks_by_org(&p, &opened.id).await;
        (counts.len() == 2).then_some(counts)
    })
    .await;
    assert_eq!(counts.get(&seed.branch_id), Some(&1));
    assert_eq!(counts.get(&seed.community_org_id), Some(&1));

    // The mobilised community committee calls for volunteers: two needed.
    let mut p = p.clone();
    let call = |org: &str| party::CallVolunteersRequest {
        incident_id: opened.id.clone(),
        organisation_id: org.into(),
        needed: 2,
        purpose: "move the bikes out and guard the stairwell overnight".into(),
    };
    let untasked = p.call_volunteers(call(&seed.committee_id)).await.unwrap_err();
    assert_eq!(untasked.code(), Code::FailedPrecondition, "the working committee has no task for it");
    let c = p.call_volunteers(call(&seed.community_org_id)).await.unwrap().into_inner();
    let mut volunteers = Vec::new();
    for name in ["党员志愿者", "楼栋长", "社工"] {
        let req = party::AddMemberRequest {
            organisation_id: seed.branch_id.clone(),
            name: name.into(),
            role: party::MemberRole::Volunteer as i32,
            building_id: String::new(),
        };
        volunteers.push(p.add_member(req).await.unwrap().into_inner().id);
    }
    let v = |member: &str| party::VolunteerRequest { call_id: c.id.clone(), member_id: member.into() };
    let early = p.record_show_up(v(&volunteers[0])).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "sign up first");
    p.sign_up_volunteer(v(&volunteers[0])).await.unwrap();
    p.sign_up_volunteer(v(&volunteers[1])).await.unwrap();
    let full = p.sign_up_volunteer(v(&volunteers[2])).await.unwrap_err();
    assert_eq!(full.code(), Code::FailedPrecondition, "two were needed");
    p.record_show_up(v(&volunteers[0])).await.unwrap();
    let state = p.get_volunteer_call(party::GetVolunteerCallRequest { id: c.id.clone() }).await.unwrap().into_inner();
    assert_eq!(state.signed_up, volunteers[..2].to_vec());
    assert_eq!(state.showed_up, vec![volunteers[0].clone()]);
    let bad = party::CallVolunteersRequest { needed: 0, ..call(&seed.community_org_id) };
    assert_eq!(p.call_volunteers(bad).await.unwrap_err().code(), Code::InvalidArgument);
}
