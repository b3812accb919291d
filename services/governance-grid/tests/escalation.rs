//! The escalation ladder and the whistle, through the API of governance-grid
//! in-process on the PostgreSQL log transport; deadlines under a clock that
//! the tests move instead of waiting.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use dualnet_events::pglog::PgLogTransport;
use dualnet_platform::{clock::ManualClock, config::Config, db, grpc_server, service::Deps};
use dualnet_proto::governance::v1::{self as gov, governance_grid_client::GovernanceGridClient};
use dualnet_testkit::{fresh_pool, wait_for};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const WAIT: Duration = Duration::from_secs(60);

struct Running {
    client: GovernanceGridClient<Channel>,
    clock: ManualClock,
    shutdown: CancellationToken,
}

async fn start() -> Running {
    let pool = fresh_pool("governance").await;
    db::migrate(&pool, &governance_grid::MIGRATOR).await.unwrap();
    let transport = Arc::new(PgLogTransport::new(fresh_pool("log").await).await.unwrap());
    let clock = ManualClock::at(Utc::now());
    let mut config = Config::default();
    config.deadlines.sweep_ms = 20;
    let deps = Deps { pool, transport, clock: Arc::new(clock.clone()), config: Arc::new(config) };
    let shutdown = CancellationToken::new();
    let started = governance_grid::app::start(deps, shutdown.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = shutdown.clone();
    tokio::spawn(async move { grpc_server::serve(listener, vec![started.register], &[started.health], stop).await });
    let client =
        wait_for("the API", WAIT, || async { GovernanceGridClient::connect(format!("http://{addr}")).await.ok() })
            .await;
    Running { client, clock, shutdown }
}

async fn grid(client: &mut GovernanceGridClient<Channel>) -> String {
    let code = dualnet_testkit::unique("sd");
    let sub = client
        .create_subdistrict(gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() })
        .await
        .unwrap()
        .into_inner();
    let community = client
        .create_community(gov::CreateCommunityRequest {
            subdistrict_id: sub.id,
            code: format!("{code}-c"),
            name: "新雪社区".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let req =
        gov::CreateGridRequest { community_id: community.id, code: format!("{code}-g"), name: "新雪网格".into() };
    client.create_grid(req).await.unwrap().into_inner().id
}

async fn report(client: &mut GovernanceGridClient<Channel>, grid: &str, severity: gov::Severity) -> gov::Incident {
    let req = gov::ReportIncidentRequest {
        grid_id: grid.into(),
        category: "noise".into(),
        summary: "Karaoke after midnight".into(),
        reporter: "网格员".into(),
        severity: severity as i32,
        ..Default::default()
    };
    client.report_incident(req).await.unwrap().into_inner()
}

async fn level_of(client: &GovernanceGridClient<Channel>, id: &str) -> i32 {
    let mut client = client.clone();
    client.get_incident(gov::GetIncidentRequest { id: id.into() }).await.unwrap().into_inner().level
}

async fn wait_level(client: &GovernanceGridClient<Channel>, id: &str, level: gov::IncidentLevel) {
    wait_for(&format!("incident at {level:?}"), WAIT, || async {
        (level_of(client, id).await == level as i32).then_some(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_left_unresolved_escalates_one_tier_per_passed_deadline() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    let open = report(&mut s.client, &grid, gov::Severity::Normal).await;
    let closed = report(&mut s.client, &grid, gov::Severity::Normal).await;
    assert_eq!(open.level, gov::IncidentLevel::Grid as i32);
    for action in [
        gov::IncidentAction::Accept,
        gov::IncidentAction::Dispatch,
        gov::IncidentAction::Handle,
        gov::IncidentAction::Verify,
        gov::IncidentAction::Close,
    ] {
        let req = gov::TransitionIncidentRequest {
            id: closed.id.clone(),
            action: action as i32,
            actor: "网格员".into(),
            ..Default::default()
        };
        s.client.transition_incident(req).await.unwrap();
    }

    // Within its three days at the grid nothing moves.
    s.clock.advance(chrono::Duration::days(2));
    let probe = report(&mut s.client, &grid, gov::Severity::Normal).await;
    s.clock.advance(chrono::Duration::days(1) + chrono::Duration::minutes(1));
    // Past the grid deadline: up to the community, with its own deadline.
    wait_level(&s.client, &open.id, gov::IncidentLevel::Community).await;
    // The sweep that moved `open` saw the closed one too, and left it.
    assert_eq!(level_of(&s.client, &closed.id).await, gov::IncidentLevel::Grid as i32, "closed incidents stay put");
    assert_eq!(level_of(&s.client, &probe.id).await, gov::IncidentLevel::Grid as i32, "not yet due");

    s.clock.advance(chrono::Duration::days(5) + chrono::Duration::minutes(1));
    wait_level(&s.client, &open.id, gov::IncidentLevel::Subdistrict).await;
    let i = s.client.get_incident(gov::GetIncidentRequest { id: open.id.clone() }).await.unwrap().into_inner();
    let escalations: Vec<&str> =
        i.history.iter().filter(|h| h.note.contains("deadline_passed")).map(|h| h.note.as_str()).collect();
    assert_eq!(escalations.len(), 2, "{escalations:?}");
    // Far past every deadline it stays at the top tier.
    s.clock.advance(chrono::Duration::days(30));
    wait_level(&s.client, &probe.id, gov::IncidentLevel::Subdistrict).await;
    assert_eq!(level_of(&s.client, &open.id).await, gov::IncidentLevel::Subdistrict as i32);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_major_incident_starts_a_tier_up() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    let major = report(&mut s.client, &grid, gov::Severity::Major).await;
    assert_eq!(major.level, gov::IncidentLevel::Community as i32);
    let bad = s
        .client
        .report_incident(gov::ReportIncidentRequest {
            grid_id: grid.clone(),
            category: "noise".into(),
            summary: "x".into(),
            reporter: "网格员".into(),
            severity: 99,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    s.shutdown.cancel();
}

async fn step(
    client: &mut GovernanceGridClient<Channel>,
    id: &str,
    action: gov::IncidentAction,
) -> Result<(), tonic::Status> {
    let req = gov::TransitionIncidentRequest {
        id: id.into(),
        action: action as i32,
        actor: "街道".into(),
        ..Default::default()
    };
    client.transition_incident(req).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whistled_incident_closes_only_when_every_summoned_department_is_done() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    let incident = report(&mut s.client, &grid, gov::Severity::Major).await;
    let whistle = |departments: &[&str]| gov::BlowWhistleRequest {
        id: incident.id.clone(),
        actor: "街道办".into(),
        departments: departments.iter().map(|d| d.to_string()).collect(),
    };
    let early = s.client.blow_whistle(whistle(&["城管"])).await.unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition, "only at subdistrict level");
    let req = gov::EscalateIncidentRequest { id: incident.id.clone(), actor: "社区".into(), reason: String::new() };
    s.client.escalate_incident(req).await.unwrap();
    let empty = s.client.blow_whistle(whistle(&[])).await.unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);
    let blown = s.client.blow_whistle(whistle(&["城管", "消防"])).await.unwrap().into_inner();
    assert_eq!(blown.summons.len(), 2);

    for action in [
        gov::IncidentAction::Accept,
        gov::IncidentAction::Dispatch,
        gov::IncidentAction::Handle,
        gov::IncidentAction::Verify,
    ] {
        step(&mut s.client, &incident.id, action).await.unwrap();
    }
    let refused = step(&mut s.client, &incident.id, gov::IncidentAction::Close).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(refused.message().contains("城管") && refused.message().contains("消防"), "{}", refused.message());

    let answer = |department: &str| gov::ReportDepartmentDoneRequest {
        id: incident.id.clone(),
        department: department.into(),
        note: "cleared the stairwell".into(),
    };
    let not_in = s.client.report_department_done(answer("城管")).await.unwrap_err();
    assert_eq!(not_in.code(), tonic::Code::FailedPrecondition, "check in first");
    let stranger = gov::CheckInRequest { id: incident.id.clone(), department: "税务".into() };
    assert_eq!(s.client.check_in(stranger).await.unwrap_err().code(), tonic::Code::FailedPrecondition);
    for d in ["城管", "消防"] {
        s.client.check_in(gov::CheckInRequest { id: incident.id.clone(), department: d.into() }).await.unwrap();
    }
    s.client.report_department_done(answer("城管")).await.unwrap();
    let still = step(&mut s.client, &incident.id, gov::IncidentAction::Close).await.unwrap_err();
    assert!(still.message().contains("消防") && !still.message().contains("城管"), "{}", still.message());
    let done = s.client.report_department_done(answer("消防")).await.unwrap().into_inner();
    assert!(done.summons.iter().all(|m| m.checked_in_at.is_some() && m.done_at.is_some()));
    step(&mut s.client, &incident.id, gov::IncidentAction::Close).await.expect("closes once every department is done");
    s.shutdown.cancel();
}
