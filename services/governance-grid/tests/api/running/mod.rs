//! governance-grid in-process (`dualnet_testkit::InProcess`) and what its
//! tests share: a grid, a report, a step.
#![allow(dead_code)]

use chrono::Utc;
use dualnet_platform::{clock::ManualClock, config::Config};
use dualnet_proto::governance::v1::{self as gov, governance_grid_client::GovernanceGridClient};
pub use dualnet_testkit::WAIT;
use dualnet_testkit::{InProcess, wait_for};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct Running {
    pub client: GovernanceGridClient<Channel>,
    /// The service's database.
    pub pool: sqlx::PgPool,
    pub clock: ManualClock,
    pub shutdown: CancellationToken,
    /// The event log it reads and writes (to feed it other services' events).
    pub log: std::sync::Arc<dualnet_events::pglog::PgLogTransport>,
}

pub async fn start() -> Running {
    start_at(Utc::now()).await
}

pub async fn start_at(now: chrono::DateTime<Utc>) -> Running {
    start_configured(now, |_| {}).await
}

/// Starts with the test settings, then `configure`'s changes to them.
pub async fn start_configured(now: chrono::DateTime<Utc>, configure: impl FnOnce(&mut Config)) -> Running {
    let s = InProcess::start(&governance_grid::DEFINITION, now, configure).await;
    let client = GovernanceGridClient::new(s.channel().await);
    Running { client, pool: s.pool, clock: s.clock, shutdown: s.shutdown, log: s.log }
}

pub async fn grid(client: &mut GovernanceGridClient<Channel>) -> String {
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

pub async fn report(client: &mut GovernanceGridClient<Channel>, grid: &str, severity: gov::Severity) -> gov::Incident {
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

pub async fn level_of(client: &GovernanceGridClient<Channel>, id: &str) -> i32 {
    let mut client = client.clone();
    client.get_incident(gov::GetIncidentRequest { id: id.into() }).await.unwrap().into_inner().level
}

pub async fn wait_level(client: &GovernanceGridClient<Channel>, id: &str, level: gov::IncidentLevel) {
    wait_for(&format!("incident at {level:?}"), WAIT, || async {
        (level_of(client, id).await == level as i32).then_some(())
    })
    .await
}

pub async fn step(
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
