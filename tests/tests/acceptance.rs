//! The acceptance path of the linked dual network, over Kafka, with the four
//! services as separate processes: a noise complaint at a building opens an
//! incident in its grid, gives the bound party branch and building group
//! linkage tasks, shows their response on the incident, and closing the
//! incident replies to the complaint. And the residents' side: repeated
//! complaints at a building become a council topic, whose resolution hands
//! an incident to both networks and comes back as a public notice.

#![allow(clippy::too_many_lines)]

use std::collections::HashSet;

use dualnet_e2e::{System, WAIT};
use dualnet_events::{
    Event, Transport,
    kafka::{KafkaSettings, KafkaTransport},
};
use dualnet_proto::{
    arbitration::v1 as arb, complaints::v1 as cpb, governance::v1 as gov, partygrid::v1 as party, topics,
};
use dualnet_testkit::{kafka_bootstrap, unique, wait_for};
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_complaint_updates_both_networks_and_is_replied_when_the_incident_closes() {
    let system = System::start().await;
    let seed = system.seed(true).await;
    let group_id = seed.group_id.clone().unwrap();
    let mut complaints = system.complaints().await;
    let mut g = system.governance().await;
    let mut p = system.party().await;

    // complaints learns the building's grid from governance-grid's events.
    let noise = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::Hotline as i32,
        description: "Construction noise after 22:00 every night".into(),
        resident_name: "李女士".into(),
        resident_phone: "138-0013-8000".into(),
        ..Default::default()
    };
    let filed = system.file_at(&seed, noise).await;
    assert_eq!(filed.grid_id, seed.grid_id, "the building resolves to its grid");
    assert_eq!(filed.open311_status, "open");
    let correlation = filed.correlation_id.clone();

    // governance-grid opens the incident in the building's grid.
    let incident = system.incident_of(&filed.id).await;
    assert_eq!(incident.grid_id, seed.grid_id);
    assert_eq!(incident.building_id, seed.building_id);
    assert_eq!(incident.level, gov::IncidentLevel::Grid as i32);
    assert_eq!(incident.source, gov::IncidentSource::Complaint as i32);
    assert_eq!(incident.correlation_id, correlation);

    // party-grid gives the bound branch and the building's group a task each.
    let tasks = system.tasks_of(&incident.id, "linkage tasks for the branch and the group", |t| t.len() >= 2).await;
    let orgs: HashSet<&str> = tasks.iter().map(|t| t.organisation_id.as_str()).collect();
    assert_eq!(orgs, HashSet::from([seed.branch_id.as_str(), group_id.as_str()]));
    assert_eq!(tasks.len(), 2);
    assert!(tasks.iter().all(|t| t.correlation_id == correlation));

    // The grid's party network shows both open tasks.
    let network =
        p.get_grid_network(party::GetGridNetworkRequest { grid_id: seed.grid_id.clone() }).await.unwrap().into_inner();
    assert_eq!(network.branch.map(|b| b.id), Some(seed.branch_id.clone()));
    assert_eq!(network.open_tasks.len(), 2);

    // The branch accepts and reports back; the incident shows it.
    let branch_task = tasks.iter().find(|t| t.organisation_id == seed.branch_id).unwrap().id.clone();
    p.accept_linkage_task(party::AcceptLinkageTaskRequest { id: branch_task.clone(), actor: "支部书记".into() })
        .await
        .unwrap();
    // The branch hands the task to one of its members; not to someone else's.
    let member = |org: &str, name: &str| party::AddMemberRequest {
        organisation_id: org.into(),
        name: name.into(),
        role: party::MemberRole::Volunteer as i32,
        building_id: String::new(),
    };
    let volunteer = p.add_member(member(&seed.branch_id, "党员志愿者")).await.unwrap().into_inner();
    let outsider = p.add_member(member(&group_id, "党员")).await.unwrap().into_inner();
    let delegate = |member: &str| party::DelegateLinkageTaskRequest {
        id: branch_task.clone(),
        actor: "支部书记".into(),
        member_id: member.into(),
    };
    let refused = p.delegate_linkage_task(delegate(&outsider.id)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let delegated = p.delegate_linkage_task(delegate(&volunteer.id)).await.unwrap().into_inner();
    assert_eq!(delegated.delegated_to, volunteer.id);
    let delegated_shown =
        |i: &gov::Incident| i.party_responses.iter().any(|r| r.task_id == branch_task && r.status == "delegated");
    system.incident_when(&incident.id, "the delegation shown on the incident", delegated_shown).await;
    p.complete_linkage_task(party::CompleteLinkageTaskRequest {
        id: branch_task.clone(),
        actor: "支部书记".into(),
        note: "Met the site manager; no work after 22:00 from tonight".into(),
    })
    .await
    .unwrap();
    let completed = |i: &gov::Incident| {
        i.party_responses.iter().any(|r| r.task_id == branch_task && r.status == "completed")
            && i.party_responses.len() == 2
    };
    let shown = system.incident_when(&incident.id, "the party response on the incident", completed).await;
    assert!(shown.party_responses.iter().any(|r| r.note.contains("22:00")));

    let times = p
        .get_response_times(party::GetResponseTimesRequest { organisation_id: seed.branch_id.clone() })
        .await
        .unwrap()
        .into_inner()
        .organisations;
    assert_eq!(times.len(), 1);
    assert_eq!((times[0].tasks, times[0].accepted, times[0].completed), (1, 1, 1));
    assert!(times[0].median_seconds_to_complete >= times[0].median_seconds_to_accept);

    // Completing a task twice is an illegal transition.
    let again = p
        .complete_linkage_task(party::CompleteLinkageTaskRequest {
            id: branch_task,
            actor: "x".into(),
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    // Closing before verification is refused; the full lifecycle closes it.
    let early = g
        .transition_incident(gov::TransitionIncidentRequest {
            id: incident.id.clone(),
            action: gov::IncidentAction::Close as i32,
            actor: "网格员".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    for action in [
        gov::IncidentAction::Accept,
        gov::IncidentAction::Dispatch,
        gov::IncidentAction::Handle,
        gov::IncidentAction::Verify,
        gov::IncidentAction::Close,
    ] {
        g.transition_incident(gov::TransitionIncidentRequest {
            id: incident.id.clone(),
            action: action as i32,
            actor: "网格员".into(),
            note: format!("{action:?}"),
            ..Default::default()
        })
        .await
        .unwrap();
    }

    // The complaint is replied to, and can be rated; the rating reaches the incident.
    let replied = system
        .complaint_when(&filed.id, "the complaint to be replied", |c| c.status == cpb::ComplaintStatus::Replied as i32)
        .await;
    assert_eq!(replied.open311_status, "closed");
    assert_eq!(replied.incident_id, incident.id);
    complaints
        .rate_complaint(cpb::RateComplaintRequest {
            id: filed.id.clone(),
            satisfaction: cpb::Satisfaction::Satisfied as i32,
            comment: String::new(),
            resolution: cpb::Resolution::Solved as i32,
        })
        .await
        .unwrap();
    let rated = system
        .incident_when(&incident.id, "the incident to be rated", |i| i.status == gov::IncidentStatus::Rated as i32)
        .await;
    assert_eq!(rated.history.len(), 7, "reported, five transitions and the rating are all in the history");

    // The group's open task was closed with the incident.
    let none_open = |t: &[party::LinkageTask]| t.iter().all(|t| t.status != party::TaskStatus::Open as i32);
    let tasks = system.tasks_of(&incident.id, "the open task to close with the incident", none_open).await;
    let group_task = tasks.iter().find(|t| t.organisation_id == group_id).unwrap();
    assert_eq!(group_task.status, party::TaskStatus::Closed as i32);

    // Every event of the chain, as it went over the broker, carries the
    // complaint's correlation id — and no personal data.
    let ids: HashSet<String> =
        [filed.id.clone(), incident.id.clone()].into_iter().chain(tasks.iter().map(|t| t.id.clone())).collect();
    let mut settings = KafkaSettings::new(kafka_bootstrap());
    settings.namespace = system.namespace.clone();
    let kafka = KafkaTransport::new(settings).unwrap();
    let topics = [topics::COMPLAINTS, topics::GOVERNANCE, topics::PARTYGRID].map(String::from);
    let mut sub = kafka.subscribe(&unique("audit"), &topics).await.unwrap();
    let expected = [
        "dualnet.complaints.v1.ComplaintFiled",
        "dualnet.governance.v1.IncidentOpened",
        "dualnet.partygrid.v1.LinkageTaskCreated",
        "dualnet.complaints.v1.ComplaintDispatched",
        "dualnet.partygrid.v1.LinkageTaskAccepted",
        "dualnet.partygrid.v1.LinkageTaskCompleted",
        "dualnet.governance.v1.IncidentClosed",
        "dualnet.complaints.v1.ComplaintReplied",
        "dualnet.partygrid.v1.LinkageTaskClosed",
        "dualnet.complaints.v1.ComplaintRated",
    ];
    let mut seen: Vec<Event> = Vec::new();
    let mut types: HashSet<String> = HashSet::new();
    while !expected.iter().all(|t| types.contains(*t)) {
        let d = tokio::time::timeout(WAIT, sub.next()).await.expect("chain events on the broker").unwrap();
        let event = Event::parse(&d).expect("every event is a valid CloudEvent");
        if ids.contains(&event.envelope.subject) {
            types.insert(event.envelope.ty.clone());
            assert!(!String::from_utf8_lossy(&event.payload).contains("138-0013-8000"), "no phone in events");
            assert!(!String::from_utf8_lossy(&event.payload).contains("李女士"), "no name in events");
            seen.push(event);
        }
    }
    for e in &seen {
        assert_eq!(e.envelope.correlation_id.to_string(), correlation, "{} carries the correlation id", e.envelope.ty);
        assert!(e.envelope.traceparent.is_some(), "{} carries trace context", e.envelope.ty);
    }
    let opened = seen.iter().find(|e| e.envelope.ty.ends_with("IncidentOpened")).unwrap();
    let filed_event = seen.iter().find(|e| e.envelope.ty.ends_with("ComplaintFiled")).unwrap();
    assert_eq!(opened.envelope.causation_id, Some(filed_event.envelope.id), "the incident was caused by the filing");
    // One trace spans the chain the filing set off, across the services.
    let trace_id = |e: &Event| e.envelope.traceparent.as_deref().and_then(|t| t.split('-').nth(1)).map(str::to_string);
    let root = trace_id(filed_event).expect("a trace id");
    for ty in ["IncidentOpened", "LinkageTaskCreated", "ComplaintDispatched"] {
        for e in seen.iter().filter(|e| e.envelope.ty.ends_with(ty)) {
            assert_eq!(trace_id(e).as_deref(), Some(root.as_str()), "{ty} is in the filing's trace");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_at_the_edge_with_field_details() {
    let system = System::start().await;
    let mut complaints = system.complaints().await;
    let err = complaints
        .file_complaint(cpb::FileComplaintRequest {
            kind: 0,
            category: "Noise!".into(),
            channel: cpb::Channel::App as i32,
            building_id: "not-a-uuid".into(),
            description: "   ".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: HashSet<String> =
        err.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect();
    assert_eq!(fields, HashSet::from(["kind", "category", "building_id", "description"].map(String::from)));

    let mut g = system.governance().await;
    let missing = g.get_incident(gov::GetIncidentRequest { id: uuid::Uuid::now_v7().to_string() }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let orphan = g
        .create_grid(gov::CreateGridRequest {
            community_id: uuid::Uuid::now_v7().to_string(),
            code: "g-1".into(),
            name: "网格".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(orphan.code(), Code::NotFound, "a grid in an unknown community");
    let empty =
        g.create_subdistrict(gov::CreateSubdistrictRequest { code: "".into(), name: "".into() }).await.unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);

    let mut p = system.party().await;
    let branch = p
        .create_organisation(party::CreateOrganisationRequest {
            parent_id: String::new(),
            kind: party::OrganisationKind::GridBranch as i32,
            name: "支部".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let unknown_grid = p
        .bind_organisation(party::BindOrganisationRequest {
            organisation_id: branch.id.clone(),
            unit_kind: party::UnitKind::Grid as i32,
            unit_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown_grid.code(), Code::NotFound, "a binding to a grid that does not exist");
    let group = p
        .create_organisation(party::CreateOrganisationRequest {
            parent_id: branch.id.clone(),
            kind: party::OrganisationKind::BuildingGroup as i32,
            name: "党小组".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let missing_building = p
        .bind_organisation(party::BindOrganisationRequest {
            organisation_id: group.id,
            unit_kind: party::UnitKind::Building as i32,
            unit_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing_building.code(), Code::NotFound, "a binding to a building that does not exist");
    let misplaced = p
        .create_organisation(party::CreateOrganisationRequest {
            parent_id: branch.id.clone(),
            kind: party::OrganisationKind::CommunityCommittee as i32,
            name: "社区党委".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(misplaced.code(), Code::InvalidArgument, "a community committee under a grid branch");
    let wrong_kind = p
        .bind_organisation(party::BindOrganisationRequest {
            organisation_id: branch.id,
            unit_kind: party::UnitKind::Building as i32,
            unit_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong_kind.code(), Code::InvalidArgument, "a grid branch bound to a building");

    let mut a = system.arbitration().await;
    let bad = a.get_case(arb::GetCaseRequest { id: "x".into(), ..Default::default() }).await.unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labour_complaint_opens_an_arbitration_case() {
    let system = System::start().await;
    let mut complaints = system.complaints().await;
    let enterprise = uuid::Uuid::now_v7().to_string();
    let filed = complaints
        .file_complaint(cpb::FileComplaintRequest {
            kind: cpb::RequestKind::Complaint as i32,
            category: "labour.wage_arrears".into(),
            channel: cpb::Channel::WalkIn as i32,
            description: "Three months of wages unpaid since the factory moved".into(),
            enterprise_id: enterprise.clone(),
            workers: 12,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let a = system.arbitration().await;
    let case = wait_for("an arbitration case for the labour complaint", WAIT, || {
        let mut a = a.clone();
        let id = filed.id.clone();
        async move {
            let cases = a
                .list_cases(arb::ListCasesRequest { complaint_id: id, ..Default::default() })
                .await
                .unwrap()
                .into_inner()
                .cases;
            cases.into_iter().next()
        }
    })
    .await;
    assert_eq!(case.enterprise_id, enterprise);
    assert_eq!(case.claimants, 12);
    // Twelve workers declared by a complaint are not yet the commission's
    // count: collective (and priority) once it accepts the application.
    assert!(!case.collective, "a declared number makes no collective dispute");
    assert_eq!(case.correlation_id, filed.correlation_id);
    // A pre-filled draft: no statutory clock runs until the application is
    // complete.
    assert_eq!(case.status, arb::CaseStatus::Draft as i32);
    assert!(case.acceptance_due.is_none());
    let mut a = a.clone();
    let applied = a
        .apply_case(arb::ApplyCaseRequest {
            draft_id: case.id.clone(),
            respondent: "坂田电子厂".into(),
            claimants: vec![
                arb::Claimant { name: "李四".into(), representative: true, ..Default::default() },
                arb::Claimant { name: "王五".into(), representative: true, ..Default::default() },
            ],
            claims: vec![arb::Claim {
                kind: arb::ClaimKind::Wages as i32,
                amount_fen: 9_000_000,
                ..Default::default()
            }],
            facts: "Three months of wages unpaid since the factory moved".into(),
            right_known_on: "2026-08-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(applied.id, case.id);
    assert_eq!(applied.status, arb::CaseStatus::Applied as i32);
    assert_eq!(applied.claimants, 12, "two representatives of twelve workers");
    assert!(!applied.priority, "priority comes with the commission's acceptance");
    let at = dualnet_platform::timestamp::from_proto(&applied.applied_at.unwrap()).unwrap();
    let due = dualnet_platform::timestamp::from_proto(&applied.acceptance_due.unwrap()).unwrap();
    let calendar = dualnet_platform::calendar::Calendar::load(None).unwrap();
    assert_eq!(due, calendar.add_working_days(at, 5), "LDMAL Art. 29: five working days");
    let again = a.apply_case(arb::ApplyCaseRequest { draft_id: case.id.clone(), ..Default::default() }).await;
    assert_eq!(again.unwrap_err().code(), Code::InvalidArgument, "an application states its parties and claims");
    let accepted = a.transition_case(accept(&case.id)).await.unwrap().into_inner();
    assert!(accepted.collective && accepted.priority, "twelve workers counted by the commission: collective");
    // An address that resolves nowhere is still taken, by the subdistrict.
    let incident = system.incident_of(&filed.id).await;
    assert_eq!(incident.level, gov::IncidentLevel::Subdistrict as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labour_risk_at_an_enterprise_reaches_its_party_organisation() {
    let system = System::start().await;
    let seed = system.seed(false).await;
    let mut g = system.governance().await;
    let mut p = system.party().await;
    let enterprise = g
        .create_enterprise(gov::CreateEnterpriseRequest {
            grid_id: seed.grid_id.clone(),
            code: unique("91440300"),
            name: "坂田电子厂".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let org = p
        .create_organisation(party::CreateOrganisationRequest {
            parent_id: String::new(),
            kind: party::OrganisationKind::Enterprise as i32,
            name: "坂田电子厂党支部".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    dualnet_e2e::bind(&mut p, &org, party::UnitKind::Enterprise, &enterprise.id).await;

    // A wage complaint declaring twelve workers against the factory, then
    // two more: three cases within the window raise one (ordinary) risk.
    let mut complaints = system.complaints().await;
    for (i, workers) in [12, 1, 1].into_iter().enumerate() {
        complaints
            .file_complaint(cpb::FileComplaintRequest {
                kind: cpb::RequestKind::Complaint as i32,
                category: "labour.wage_arrears".into(),
                channel: cpb::Channel::Hotline as i32,
                description: format!("wages unpaid since the move, complaint {i}"),
                enterprise_id: enterprise.id.clone(),
                workers,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let incident = wait_for("a labour-risk incident at the enterprise", WAIT, || {
        let mut g = g.clone();
        let grid = seed.grid_id.clone();
        async move {
            let list = g
                .list_incidents(gov::ListIncidentsRequest { grid_id: grid, ..Default::default() })
                .await
                .unwrap()
                .into_inner()
                .incidents;
            list.into_iter().find(|i| i.source == gov::IncidentSource::LabourRisk as i32)
        }
    })
    .await;
    assert_eq!(incident.enterprise_id, enterprise.id);
    assert_eq!(incident.category, "labour.enterprise_risk");
    assert_eq!(incident.severity, gov::Severity::Normal as i32, "three cases, none yet counted collective");
    assert_eq!(incident.level, gov::IncidentLevel::Subdistrict as i32, "a subdistrict matter from the start");
    assert_eq!(incident.grid_id, seed.grid_id, "on the enterprise's grid");
    let both = |t: &[party::LinkageTask]| t.len() == 2;
    let tasks =
        system.tasks_of(&incident.id, "the enterprise's party organisation and the grid branch tasked", both).await;
    let orgs: HashSet<&str> = tasks.iter().map(|t| t.organisation_id.as_str()).collect();
    assert_eq!(orgs, HashSet::from([org.as_str(), seed.branch_id.as_str()]));
    let risks = g
        .list_incidents(gov::ListIncidentsRequest { grid_id: seed.grid_id.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .incidents
        .into_iter()
        .filter(|i| i.source == gov::IncidentSource::LabourRisk as i32)
        .count();
    assert_eq!(risks, 1, "three cases raise one risk");

    // The case's milestones show on the risk incident.
    let mut a = system.arbitration().await;
    let cases = a
        .list_cases(arb::ListCasesRequest { enterprise_id: enterprise.id.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .cases;
    let collective = cases.iter().find(|c| c.claimants == 12).expect("the twelve workers' case");
    a.apply_case(arb::ApplyCaseRequest {
        draft_id: collective.id.clone(),
        workers: 12,
        respondent: "坂田电子厂".into(),
        claimants: vec![arb::Claimant { name: "赵六".into(), representative: true, ..Default::default() }],
        claims: vec![arb::Claim { kind: arb::ClaimKind::Wages as i32, amount_fen: 20_000_000, ..Default::default() }],
        facts: "wages unpaid since the move".into(),
        right_known_on: "2026-08-01".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let accepted = a.transition_case(accept(&collective.id)).await.unwrap().into_inner();
    assert!(accepted.collective, "the commission's count: twelve workers, a collective dispute");
    // The collective dispute is not swallowed by the ordinary risk: a major
    // subdistrict incident.
    let major = wait_for("a major labour-risk incident for the collective dispute", WAIT, || {
        let mut g = g.clone();
        let grid = seed.grid_id.clone();
        async move {
            let list = g.list_incidents(gov::ListIncidentsRequest { grid_id: grid, ..Default::default() }).await;
            list.unwrap().into_inner().incidents.into_iter().find(|i| {
                i.source == gov::IncidentSource::LabourRisk as i32 && i.severity == gov::Severity::Major as i32
            })
        }
    })
    .await;
    // The milestone is noted on the enterprise's open risk incident (the
    // newest that governance-grid knew when the note arrived).
    wait_for("the case's acceptance noted on a risk incident", WAIT, || {
        let g = g.clone();
        let ids = [incident.id.clone(), major.id.clone()];
        let case = collective.id.clone();
        async move {
            for id in ids {
                let i = g.clone().get_incident(gov::GetIncidentRequest { id }).await.unwrap().into_inner();
                if i.history.iter().any(|h| h.note.contains(&case) && h.note.contains("applied → accepted")) {
                    return Some(());
                }
            }
            None
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open311_request_becomes_an_incident_and_no_record_on_any_topic_carries_personal_data() {
    let system = System::start().await;
    let seed = system.seed(false).await;
    let complaints = system.complaints().await;
    let get = |path: String| async move {
        dualnet_testkit::http_json(system.open311, "GET", &path, "application/json", b"").await.unwrap()
    };

    let (status, services) = get("/open311/v2/services.json".into()).await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = services.as_array().unwrap().iter().filter_map(|s| s["service_code"].as_str()).collect();
    assert!(codes.contains(&"noise") && codes.contains(&"labour.wage_arrears"), "{codes:?}");

    // Once complaints knows the seeded building (a resident phones in, with
    // name and phone), an Open311 client files by its address, written as
    // residents write it.
    wait_for("complaints to know the building", WAIT, || {
        let mut c = complaints.clone();
        let building = seed.building_id.clone();
        async move {
            let filed = c
                .file_complaint(cpb::FileComplaintRequest {
                    kind: cpb::RequestKind::Complaint as i32,
                    category: "noise".into(),
                    channel: cpb::Channel::Hotline as i32,
                    building_id: building,
                    description: "Drilling at night".into(),
                    resident_name: "李女士".into(),
                    resident_phone: "138-0013-8000".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            (!filed.grid_id.is_empty()).then_some(())
        }
    })
    .await;
    // A worker's labour case, with name, phone and ID number, accepted.
    let mut a = system.arbitration().await;
    let case = a
        .apply_case(arb::ApplyCaseRequest {
            respondent: "坂田电子厂".into(),
            claimants: vec![arb::Claimant {
                name: "周七".into(),
                phone: "137 6666 2222".into(),
                id_number: "11010519491231002X".into(),
                ..Default::default()
            }],
            claims: vec![arb::Claim { kind: arb::ClaimKind::Wages as i32, amount_fen: 500_000, ..Default::default() }],
            facts: "wages unpaid".into(),
            right_known_on: "2026-08-01".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    a.transition_case(accept(&case.id)).await.unwrap();
    let body = serde_json::json!({
        "service_code": "noise",
        "address_string": "坂田街道 城市广场１栋",
        "description": "Karaoke bar until 3 a.m.",
        "first_name": "小明",
        "last_name": "王",
        "phone": "139 0000 1111",
        "email": "wang.xiaoming@example.cn",
    });
    let (status, created) = dualnet_testkit::http_json(
        system.open311,
        "POST",
        "/open311/v2/requests.json",
        "application/json",
        body.to_string().as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{created}");
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    let (_, one) = get(format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(one[0]["status"], "open");
    assert_eq!(one[0]["address_id"], seed.building_id.as_str(), "the address resolved to the building");
    assert_eq!(one[0]["agency_responsible"], "urban-management", "noise is routed to urban management");

    let incident = system.incident_of(&id).await;
    assert_eq!(incident.grid_id, seed.grid_id);
    let dispatched = wait_for("the request to show its dispatch", WAIT, || {
        let path = format!("/open311/v2/requests/{id}.json");
        async move {
            let (_, one) = get(path).await;
            (one[0]["detailed_status"] == "dispatched").then_some(one)
        }
    })
    .await;
    assert_eq!(dispatched[0]["incident_id"], incident.id.as_str());
    assert!(dispatched[0]["notes"].as_array().unwrap().len() >= 2, "filed and dispatched notes");
    let (_, page) = get("/open311/v2/requests.json?service_code=noise&page_size=1".into()).await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    let (status, error) = dualnet_testkit::http_json(
        system.open311,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        b"service_code=noise&description=nowhere",
    )
    .await
    .unwrap();
    assert_eq!(status, 400, "a request needs a location");
    assert_eq!(error[0]["code"], 400);

    // Every record of every topic of this deployment, payload and headers:
    // no name, phone or e-mail of either resident, nor the worker's name,
    // phone or ID number.
    let personal = [
        "李女士",
        "138-0013-8000",
        "小明",
        "139 0000 1111",
        "wang.xiaoming@example.cn",
        "周七",
        "137 6666 2222",
        "13766662222",
        "11010519491231002X",
    ];
    let mut settings = KafkaSettings::new(kafka_bootstrap());
    settings.namespace = system.namespace.clone();
    let kafka = KafkaTransport::new(settings).unwrap();
    let all = [topics::COMPLAINTS, topics::GOVERNANCE, topics::PARTYGRID, topics::ARBITRATION]
        .map(String::from)
        .into_iter()
        .chain([dualnet_events::deadletter::TOPIC.to_string()])
        .collect::<Vec<_>>();
    let mut sub = kafka.subscribe(&unique("pii-audit"), &all).await.unwrap();
    let mut scanned = 0;
    let mut dispatched_seen = false;
    let mut case_seen = false;
    // Read until the Open311 request's dispatch went by and the topics have
    // been quiet for a while: everything published by then was read.
    loop {
        let quiet = if dispatched_seen && case_seen { std::time::Duration::from_secs(3) } else { WAIT };
        let Ok(d) = tokio::time::timeout(quiet, sub.next()).await else {
            assert!(dispatched_seen && case_seen, "the Open311 request's and the case's events reached the broker");
            break;
        };
        let d = d.unwrap();
        let mut bytes = d.record.payload.clone();
        for h in &d.record.headers {
            bytes.extend_from_slice(&h.value);
        }
        bytes.extend_from_slice(d.record.key.as_bytes());
        let text = String::from_utf8_lossy(&bytes);
        for p in personal {
            assert!(!text.contains(p), "{p:?} found in a record on {}", d.record.topic);
        }
        scanned += 1;
        if d.record.key == id && d.record.header("ce_type") == Some("dualnet.complaints.v1.ComplaintDispatched") {
            dispatched_seen = true;
        }
        if d.record.header("ce_type") == Some("dualnet.arbitration.v1.CaseTransitioned") {
            case_seen = true;
        }
    }
    assert!(scanned > 10, "scanned {scanned} records");

    // Nor any line the four services logged.
    for service in [&system.governance, &system.party, &system.complaints, &system.arbitration] {
        let log = std::fs::read_to_string(service.log_path()).unwrap();
        assert!(log.contains("serving"), "{} logged: {}", service.name, service.log_path().display());
        for p in personal {
            assert!(!log.contains(p), "{p:?} in the log of {}", service.name);
        }
    }
}

/// PostgreSQL cannot store a NUL character in text: a request carrying one
/// is the caller's mistake, answered `INVALID_ARGUMENT` naming the field,
/// never `INTERNAL`. Open311 answers a page number too large to reach as
/// a GeoReport 400, not a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_in_any_text_is_invalid_argument_naming_the_field() {
    let system = System::start().await;
    let seed = system.seed(false).await;
    let mut g = system.governance().await;
    let mut complaints = system.complaints().await;
    let field_of = |s: tonic::Status| {
        assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
        s.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect::<Vec<_>>()
    };
    let sub = g
        .create_subdistrict(gov::CreateSubdistrictRequest { code: unique("nul"), name: "坂田\0街道".into() })
        .await
        .unwrap_err();
    assert_eq!(field_of(sub), ["name"]);
    let grid = g
        .create_grid(gov::CreateGridRequest { community_id: String::new(), code: "g\0".into(), name: "网格".into() })
        .await
        .unwrap_err();
    assert!(field_of(grid).contains(&"code".to_string()));
    let filed = complaints
        .file_complaint(cpb::FileComplaintRequest {
            kind: cpb::RequestKind::Complaint as i32,
            category: "noise".into(),
            channel: cpb::Channel::App as i32,
            building_id: seed.building_id.clone(),
            description: "drilling\0at night".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(filed), ["description"]);
    let reads = complaints
        .list_personal_data_reads(cpb::ListPersonalDataReadsRequest { reader: "a\0b".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(field_of(reads), ["reader"]);
    let (status, body) = dualnet_testkit::http_json(
        system.open311,
        "GET",
        "/open311/v2/requests.json?page=4611686018427387905",
        "text/plain",
        b"",
    )
    .await
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body[0]["description"].as_str().is_some_and(|d| d.contains("page")), "{body}");
}

/// The commission accepts case `id`.
fn accept(id: &str) -> arb::TransitionCaseRequest {
    arb::TransitionCaseRequest {
        id: id.into(),
        action: arb::CaseAction::Accept as i32,
        actor: "仲裁委".into(),
        ..Default::default()
    }
}

/// 议事协商 end to end over Kafka: three noise complaints at one building
/// raise an early warning, which party-grid proposes to the community's
/// residents' council; the council deliberates and resolves it with a
/// hand-off; governance-grid opens the incident and party-grid tasks the
/// branch and group; closing it implements the topic; the resolution and
/// its implementation are public notices with no one's name or phone in
/// them — all on the third complaint's correlation id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recurring_complaints_become_a_council_resolution_an_incident_of_both_networks_and_a_notice() {
    let system = System::start().await;
    let seed = system.seed(true).await;
    let mut p = system.party().await;
    let mut g = system.governance().await;
    let now = chrono::Utc::now();
    let at = |t: chrono::DateTime<chrono::Utc>| prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 };
    let council = party::CreateCouncilRequest {
        community_id: seed.community_id.clone(),
        name: "象角塘社区居民议事会".into(),
        convenor_organisation_id: seed.community_org_id.clone(),
        term_start: Some(at(now - chrono::Duration::days(1))),
        term_end: Some(at(now + chrono::Duration::days(1800))),
        ..Default::default()
    };
    let council = p.create_council(council).await.unwrap().into_inner();
    let mut members = Vec::new();
    for (name, phone, kind, role) in [
        ("陈代表", "13711112222", party::CouncilMemberKind::Liaison, party::LiaisonRole::CppccMember),
        ("王芳", "13633334444", party::CouncilMemberKind::Resident, party::LiaisonRole::Unspecified),
    ] {
        let req = party::AddCouncilMemberRequest {
            council_id: council.id.clone(),
            name: name.into(),
            phone: phone.into(),
            kind: kind as i32,
            liaison_role: role as i32,
        };
        members.push(p.add_council_member(req).await.unwrap().into_inner().id);
    }

    // Three noise complaints at the building within a week.
    let noise = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::Hotline as i32,
        description: "Karaoke after midnight, call 13987654321".into(),
        resident_name: "李四".into(),
        resident_phone: "13987654321".into(),
        ..Default::default()
    };
    let mut filed = Vec::new();
    for _ in 0..3 {
        filed.push(system.file_at(&seed, noise.clone()).await);
    }
    let lister = p.clone();
    let topics = |status: party::TopicStatus| {
        let (p, council) = (lister.clone(), council.id.clone());
        async move {
            let mut p = p.clone();
            let req = party::ListTopicsRequest { council_id: council, status: status as i32, ..Default::default() };
            p.list_topics(req).await.unwrap().into_inner().topics
        }
    };
    let topic = wait_for("the recurring problem proposed to the council", WAIT, || async {
        topics(party::TopicStatus::Raised).await.into_iter().next()
    })
    .await;
    assert_eq!(topic.source, party::TopicSource::RecurringProblem as i32);
    let correlation = topic.correlation_id.clone();
    assert!(filed.iter().any(|c| c.correlation_id == correlation), "the warning's chain is a complaint's");

    let secretary = "议事会秘书";
    for action in [party::TopicAction::Accept, party::TopicAction::Schedule] {
        let req = party::MoveTopicRequest {
            id: topic.id.clone(),
            action: action as i32,
            actor: secretary.into(),
            ..Default::default()
        };
        p.move_topic(req).await.unwrap();
    }
    let hold = party::HoldMeetingRequest {
        council_id: council.id.clone(),
        attending_member_ids: members.clone(),
        minutes: "The property company and the karaoke bar agreed quiet hours".into(),
        agenda: vec![party::AgendaItem {
            topic_id: topic.id.clone(),
            in_favour: 2,
            resolution: "物业与经营者约定22点后停止营业噪音,网格员每周回访".into(),
            hand_off: Some(party::HandOff {
                building_id: seed.building_id.clone(),
                category: "noise.quiet_hours".into(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        actor: secretary.into(),
    };
    let meeting = p.hold_meeting(hold).await.unwrap().into_inner();
    assert_eq!(meeting.topics[0].status, party::TopicStatus::Resolved as i32);

    // Both networks take the resolution up, on the same chain.
    let incident = wait_for("the council's incident", WAIT, || {
        let (mut g, grid) = (g.clone(), seed.grid_id.clone());
        async move {
            let req =
                gov::ListIncidentsRequest { grid_id: grid, category: "noise.quiet_hours".into(), ..Default::default() };
            g.list_incidents(req).await.unwrap().into_inner().incidents.into_iter().next()
        }
    })
    .await;
    assert_eq!(
        (incident.source, incident.building_id.as_str()),
        (gov::IncidentSource::Council as i32, seed.building_id.as_str())
    );
    assert_eq!(incident.correlation_id, correlation);
    let tasks = system.tasks_of(&incident.id, "the branch's and the group's tasks", |t| t.len() >= 2).await;
    assert!(tasks.iter().all(|t| t.correlation_id == correlation), "{tasks:?}");
    use gov::IncidentAction as A;
    for action in [A::Accept, A::Dispatch, A::Handle, A::Verify, A::Close] {
        let step = gov::TransitionIncidentRequest {
            id: incident.id.clone(),
            action: action as i32,
            actor: "网格员".into(),
            assignee: "物业".into(),
            ..Default::default()
        };
        g.transition_incident(step).await.unwrap();
    }
    let implemented = wait_for("the topic implemented", WAIT, || async {
        topics(party::TopicStatus::Implemented).await.into_iter().next()
    })
    .await;
    assert_eq!(implemented.resolution.unwrap().incident_id, incident.id);

    // The public feed: both notices, nobody's name or phone.
    let path = format!("/notices/v1/communities/{}.json", seed.community_id);
    let feed = wait_for("the implementation notice", WAIT, || async {
        let (status, body) = dualnet_testkit::http(system.notices, "GET", &path, "application/json", b"").await.ok()?;
        (status == 200 && body.contains("\"implementation\"")).then_some(body)
    })
    .await;
    assert!(feed.contains("resolution") && feed.contains("22点后停止营业噪音"), "{feed}");
    for private in ["李四", "13987654321", "陈代表", "13711112222", "王芳", "13633334444"] {
        assert!(!feed.contains(private), "{private} in the public feed: {feed}");
    }
    let atom = path.replace(".json", ".atom");
    let (_, atom) = dualnet_testkit::http(system.notices, "GET", &atom, "text/plain", b"").await.unwrap();
    assert_eq!(atom.matches("<entry>").count(), 2, "{atom}");
}
