//! Community security committees (治保会) on patrol: members sealed, masked
//! and audited; a weekly plan over the community's buildings announced as a
//! campaign; a run that misses a building is incomplete and its finding
//! opens an incident; coverage counts the week; a run past due raises a
//! warning; other communities' staff see none of it.

use dualnet_platform::auth::Scope;
use dualnet_proto::governance::v1::{self as gov, governance_grid_client::GovernanceGridClient};
use dualnet_testkit::{InProcess, WAIT, bearer, field_violations, tokens, wait_for};
use tonic::{Code, transport::Channel};

struct Place {
    community: String,
    grid: String,
}

async fn community(g: &mut GovernanceGridClient<Channel>, token: &str, name: &str) -> Place {
    let code = dualnet_testkit::unique("sd");
    let sub = gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() };
    let sub = g.create_subdistrict(bearer(sub, token)).await.unwrap().into_inner().id;
    let c = gov::CreateCommunityRequest { subdistrict_id: sub, code: format!("{code}-c"), name: name.into() };
    let community = g.create_community(bearer(c, token)).await.unwrap().into_inner().id;
    let grid =
        gov::CreateGridRequest { community_id: community.clone(), code: format!("{code}-g"), name: "网格".into() };
    let grid = g.create_grid(bearer(grid, token)).await.unwrap().into_inner().id;
    Place { community, grid }
}

async fn building(g: &mut GovernanceGridClient<Channel>, token: &str, grid: &str, name: &str) -> String {
    let req = gov::CreateBuildingRequest {
        grid_id: grid.into(),
        code: dualnet_testkit::unique("b"),
        name: name.into(),
        ..Default::default()
    };
    g.create_building(bearer(req, token)).await.unwrap().into_inner().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_committee_patrols_its_buildings_and_a_missed_patrol_raises_a_warning() {
    let service =
        InProcess::start(&governance_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let mut g = GovernanceGridClient::new(service.channel().await);
    let admin = tokens::token("centre-1", "bantian", &["admin"], Scope::default());
    let xinxue = community(&mut g, &admin, "新雪社区").await;
    let elsewhere = community(&mut g, &admin, "五和社区").await;
    let (b1, b2) = (
        building(&mut g, &admin, &xinxue.grid, "新雪村3栋").await,
        building(&mut g, &admin, &xinxue.grid, "新雪村5栋").await,
    );
    let foreign = building(&mut g, &admin, &elsewhere.grid, "五和新村12栋").await;

    let req = gov::CreateSecurityCommitteeRequest {
        community_id: xinxue.community.clone(),
        name: "新雪社区治保会".into(),
    };
    let committee = g.create_security_committee(bearer(req, &admin)).await.unwrap().into_inner();
    let add = |name: &str| gov::AddPatrolMemberRequest {
        committee_id: committee.id.clone(),
        name: name.into(),
        phone: "13612345678".into(),
    };
    let m1 = g.add_patrol_member(bearer(add("赵六"), &admin)).await.unwrap().into_inner().id;
    let m2 = g.add_patrol_member(bearer(add("钱七"), &admin)).await.unwrap().into_inner().id;
    let stored: (Option<String>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT name, name_sealed FROM patrol_members WHERE id = $1::uuid")
            .bind(&m1)
            .fetch_one(&service.pool)
            .await
            .unwrap();
    assert!(stored.0.is_none() && stored.1.is_some(), "names are sealed at rest");
    let here = Scope { communities: vec![xinxue.community.clone()], ..Default::default() };
    let worker = tokens::token("gw-1", "xinxue", &["grid_worker"], here.clone());
    let list = |token: String, purpose: &str| {
        let req = gov::ListPatrolMembersRequest {
            committee_id: committee.id.clone(),
            purpose: purpose.into(),
            ..Default::default()
        };
        let mut g = g.clone();
        async move { g.list_patrol_members(bearer(req, &token)).await.unwrap().into_inner().members }
    };
    let masked = list(worker.clone(), "patrol roster").await;
    assert_eq!((masked[0].name.as_str(), masked[0].phone.as_str()), ("赵*", "136****5678"));
    let dispatcher = tokens::token("dispatcher-1", "centre", &["dispatcher"], here);
    let unmasked = list(dispatcher, "calling the patrol team").await;
    assert_eq!(unmasked[1].name, "钱七");
    let auditor = tokens::token("auditor-1", "discipline", &["auditor"], Scope::default());
    let reads = gov::ListPersonalDataReadsRequest { committee_id: committee.id.clone(), ..Default::default() };
    let reads = g.list_personal_data_reads(bearer(reads, &auditor)).await.unwrap().into_inner().reads;
    assert_eq!((reads.len(), reads[0].purpose.as_str()), (1, "calling the patrol team"));

    // A plan keeps to the community's buildings and the committee's members.
    let plan = gov::CreatePatrolPlanRequest {
        committee_id: committee.id.clone(),
        name: "平安新雪周巡".into(),
        building_ids: vec![b1.clone(), b2.clone()],
        every_days: 7,
        team_member_ids: vec![m1.clone(), m2.clone()],
        campaign: true,
        public_text: "本周治保会夜间巡逻,提醒居民关好门窗、电动车勿入楼道".into(),
        grid_ids: vec![],
    };
    let outside = gov::CreatePatrolPlanRequest { building_ids: vec![b1.clone(), foreign], ..plan.clone() };
    let refused = g.create_patrol_plan(bearer(outside, &admin)).await.unwrap_err();
    assert_eq!(field_violations(&refused), ["building_ids"]);
    let by_grid = gov::CreatePatrolPlanRequest {
        name: "网格巡".into(),
        building_ids: vec![b2.clone()],
        grid_ids: vec![xinxue.grid.clone()],
        campaign: false,
        public_text: String::new(),
        ..plan.clone()
    };
    let by_grid = g.create_patrol_plan(bearer(by_grid, &admin)).await.unwrap().into_inner();
    assert_eq!(by_grid.building_ids, [b2.clone(), b1.clone()], "the grid's buildings after those named, once each");
    let plan = g.create_patrol_plan(bearer(plan, &admin)).await.unwrap().into_inner();
    let notices = gov::ListNoticesRequest { community_id: xinxue.community.clone(), ..Default::default() };
    let notices = g.list_notices(bearer(notices, &admin)).await.unwrap().into_inner().notices;
    assert_eq!(notices[0].title, "治保会巡逻 · 平安新雪周巡", "the campaign is a public notice");

    // A run checks in at one building of two; its finding opens an incident.
    let check_in = |building: &str, member: &str| gov::PatrolCheckIn {
        building_id: building.into(),
        member_id: member.into(),
        at: None,
    };
    let finding = gov::PatrolFinding {
        building_id: b1.clone(),
        category: "fire_safety".into(),
        summary: "Bicycles charging in the stairwell".into(),
        ..Default::default()
    };
    let stranger = gov::RecordPatrolRunRequest {
        plan_id: plan.id.clone(),
        check_ins: vec![check_in(&b1, &committee.id)],
        ..Default::default()
    };
    let refused = g.record_patrol_run(bearer(stranger, &admin)).await.unwrap_err();
    assert_eq!(field_violations(&refused), ["check_ins[0].member_id"]);
    // A rental unit at the building, where the patrol finds e-bikes charging.
    let unit = gov::RegisterRentalUnitRequest {
        building_id: b1.clone(),
        code: dualnet_testkit::unique("r"),
        category: gov::RentalCategory::UrbanVillageHouse as i32,
    };
    let unit = g.register_rental_unit(bearer(unit, &admin)).await.unwrap().into_inner().id;
    let hazard = gov::PatrolFinding {
        building_id: b1.clone(),
        summary: "E-bikes charging in the corridor".into(),
        rental_unit_id: unit.clone(),
        hazard_kinds: vec!["ebike_charging_indoors".into()],
        ..Default::default()
    };
    let unknown = gov::PatrolFinding { hazard_kinds: vec!["dragons".into()], ..hazard.clone() };
    let bad = gov::RecordPatrolRunRequest {
        plan_id: plan.id.clone(),
        check_ins: vec![check_in(&b1, &m1)],
        findings: vec![unknown],
        ..Default::default()
    };
    let refused = g.record_patrol_run(bearer(bad, &admin)).await.unwrap_err();
    assert_eq!(field_violations(&refused), ["findings[0].hazard_kinds[0].kind"]);
    let run = gov::RecordPatrolRunRequest {
        plan_id: plan.id.clone(),
        check_ins: vec![check_in(&b1, &m1)],
        findings: vec![finding, hazard],
        ..Default::default()
    };
    let run = g.record_patrol_run(bearer(run, &worker)).await.unwrap().into_inner();
    assert!(!run.complete);
    assert_eq!(run.missed_building_ids, std::slice::from_ref(&b2));
    let graded = g.get_rental_unit(bearer(gov::GetRentalUnitRequest { id: unit }, &admin)).await.unwrap().into_inner();
    assert_eq!(graded.grade, gov::RentalGrade::Orange as i32, "the patrol's hazard regraded the unit");
    // The incomplete run is warned about at once.
    let incomplete = gov::ListWarningsRequest {
        grid_id: xinxue.grid.clone(),
        kind: gov::WarningKind::PatrolIncomplete as i32,
        ..Default::default()
    };
    let incomplete = g.list_warnings(bearer(incomplete, &admin)).await.unwrap().into_inner().warnings;
    assert_eq!((incomplete.len(), incomplete[0].subject_id.as_str(), incomplete[0].count), (1, plan.id.as_str(), 1));
    let incident = gov::GetIncidentRequest { id: run.findings[0].incident_id.clone() };
    let incident = g.get_incident(bearer(incident, &admin)).await.unwrap().into_inner();
    assert_eq!((incident.building_id.as_str(), incident.source), (b1.as_str(), gov::IncidentSource::Patrol as i32));
    let coverage = gov::GetPatrolCoverageRequest { committee_id: committee.id.clone(), ..Default::default() };
    let week = g.get_patrol_coverage(bearer(coverage.clone(), &admin)).await.unwrap().into_inner();
    let c = &week.committees[0];
    assert_eq!((c.buildings_on_routes, c.buildings_patrolled, c.runs, c.complete_runs), (2, 1, 1, 0));

    // Eight days on, no run: the plan's patrol is missed and warned about.
    service.clock.advance(chrono::Duration::days(8));
    let warnings = wait_for("the missed-patrol warning", WAIT, || {
        let (mut g, admin) = (g.clone(), admin.clone());
        let req = gov::ListWarningsRequest {
            grid_id: xinxue.grid.clone(),
            kind: gov::WarningKind::PatrolMissed as i32,
            ..Default::default()
        };
        async move {
            Some(g.list_warnings(bearer(req, &admin)).await.unwrap().into_inner().warnings).filter(|w| !w.is_empty())
        }
    })
    .await;
    assert_eq!(warnings[0].subject_id, plan.id);
    // One warning per missed due time, however many sweeps pass: a second,
    // daily plan made now is warned about two days on, and by then the
    // weekly plan still has its one.
    let daily = gov::CreatePatrolPlanRequest {
        committee_id: committee.id.clone(),
        name: "daily".into(),
        building_ids: vec![b2.clone()],
        every_days: 1,
        team_member_ids: vec![m2.clone()],
        ..Default::default()
    };
    let daily = g.create_patrol_plan(bearer(daily, &admin)).await.unwrap().into_inner();
    service.clock.advance(chrono::Duration::days(2));
    let warnings = wait_for("the daily plan's warning", WAIT, || {
        let (mut g, admin, daily) = (g.clone(), admin.clone(), daily.id.clone());
        let req = gov::ListWarningsRequest {
            grid_id: xinxue.grid.clone(),
            kind: gov::WarningKind::PatrolMissed as i32,
            ..Default::default()
        };
        async move {
            let all = g.list_warnings(bearer(req, &admin)).await.unwrap().into_inner().warnings;
            all.iter().any(|w| w.subject_id == daily).then_some(all)
        }
    })
    .await;
    assert_eq!(warnings.iter().filter(|w| w.subject_id == plan.id).count(), 1, "one warning per missed run");
    let late = g.get_patrol_coverage(bearer(coverage, &admin)).await.unwrap().into_inner();
    assert_eq!(
        (late.committees[0].plans_overdue, late.committees[0].runs),
        (3, 0),
        "last week's run is out of this week"
    );

    // Another community's staff do not see the committee.
    let there = Scope { communities: vec![elsewhere.community.clone()], ..Default::default() };
    let outsider = tokens::token("gw-9", "wuhe", &["grid_worker"], there);
    let req = gov::ListPatrolMembersRequest { committee_id: committee.id.clone(), ..Default::default() };
    assert_eq!(g.list_patrol_members(bearer(req, &outsider)).await.unwrap_err().code(), Code::NotFound);
    service.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_patrol_and_notice_rpc_keeps_to_the_callers_area_and_roles() {
    let service =
        InProcess::start(&governance_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let mut g = GovernanceGridClient::new(service.channel().await);
    let admin = tokens::token("centre-1", "bantian", &["admin"], Scope::default());
    let xinxue = community(&mut g, &admin, "新雪社区").await;
    let elsewhere = community(&mut g, &admin, "五和社区").await;
    let b = building(&mut g, &admin, &xinxue.grid, "新雪村3栋").await;
    let req = gov::CreateSecurityCommitteeRequest { community_id: xinxue.community.clone(), name: "治保会".into() };
    let committee = g.create_security_committee(bearer(req, &admin)).await.unwrap().into_inner().id;
    let add =
        gov::AddPatrolMemberRequest { committee_id: committee.clone(), name: "赵六".into(), ..Default::default() };
    let member = g.add_patrol_member(bearer(add.clone(), &admin)).await.unwrap().into_inner().id;
    let plan = gov::CreatePatrolPlanRequest {
        committee_id: committee.clone(),
        name: "weekly".into(),
        building_ids: vec![b.clone()],
        every_days: 7,
        team_member_ids: vec![member.clone()],
        ..Default::default()
    };
    let plan_id = g.create_patrol_plan(bearer(plan.clone(), &admin)).await.unwrap().into_inner().id;
    let report = gov::ReportIncidentRequest {
        grid_id: xinxue.grid.clone(),
        category: "noise".into(),
        summary: "Karaoke after midnight".into(),
        ..Default::default()
    };
    let incident = g.report_incident(bearer(report, &admin)).await.unwrap().into_inner().id;

    let there = Scope { communities: vec![elsewhere.community.clone()], ..Default::default() };
    let who = tokens::token("dispatcher-9", "wuhe", &["dispatcher", "map_keeper"], there);
    let run = gov::RecordPatrolRunRequest {
        plan_id,
        check_ins: vec![gov::PatrolCheckIn { building_id: b, member_id: member, at: None }],
        ..Default::default()
    };
    let create = gov::CreateSecurityCommitteeRequest { community_id: xinxue.community.clone(), name: "x".into() };
    let list = gov::ListPatrolMembersRequest { committee_id: committee.clone(), ..Default::default() };
    let coverage = gov::GetPatrolCoverageRequest { committee_id: committee.clone(), ..Default::default() };
    let outcome = gov::PublishIncidentOutcomeRequest { incident_id: incident, text: "done".into() };
    let notices = gov::ListNoticesRequest { community_id: xinxue.community.clone(), ..Default::default() };
    let answers = vec![
        ("CreateSecurityCommittee", g.create_security_committee(bearer(create, &who)).await.map(|_| ())),
        ("AddPatrolMember", g.add_patrol_member(bearer(add, &who)).await.map(|_| ())),
        ("ListPatrolMembers", g.list_patrol_members(bearer(list, &who)).await.map(|_| ())),
        ("CreatePatrolPlan", g.create_patrol_plan(bearer(plan.clone(), &who)).await.map(|_| ())),
        ("RecordPatrolRun", g.record_patrol_run(bearer(run, &who)).await.map(|_| ())),
        ("GetPatrolCoverage", g.get_patrol_coverage(bearer(coverage, &who)).await.map(|_| ())),
        ("PublishIncidentOutcome", g.publish_incident_outcome(bearer(outcome, &who)).await.map(|_| ())),
        ("ListNotices", g.list_notices(bearer(notices, &who)).await.map(|_| ())),
    ];
    for (rpc, answer) in answers {
        assert_eq!(answer.map_err(|s| s.code()), Err(Code::NotFound), "{rpc} outside the caller's area");
    }
    // Roles: a grid worker plans no patrol; only auditors read the log.
    let here = Scope { communities: vec![xinxue.community.clone()], ..Default::default() };
    let worker = tokens::token("gw-1", "xinxue", &["grid_worker"], here);
    assert_eq!(g.create_patrol_plan(bearer(plan, &worker)).await.unwrap_err().code(), Code::PermissionDenied);
    let reads = gov::ListPersonalDataReadsRequest::default();
    assert_eq!(g.list_personal_data_reads(bearer(reads, &worker)).await.unwrap_err().code(), Code::PermissionDenied);
    service.shutdown.cancel();
}
