//! arbitration in-process (`dualnet_testkit::InProcess`) and what its tests
//! share: an enterprise on the map, an application, a step, the deadlines.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use dualnet_events::pglog::PgLogTransport;
use dualnet_platform::{clock::ManualClock, config::Config};
use dualnet_proto::arbitration::v1::{self as pb, arbitration_client::ArbitrationClient};
pub use dualnet_testkit::WAIT;
use dualnet_testkit::{InProcess, fresh_pool, wait_for};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct Running {
    pub client: ArbitrationClient<Channel>,
    /// The service's database.
    pub pool: sqlx::PgPool,
    pub clock: ManualClock,
    pub shutdown: CancellationToken,
    /// The event log it reads (to feed it other services' events).
    pub log: Arc<PgLogTransport>,
}

/// An enterprise governance-grid put on the map, and where.
pub struct Enterprise {
    pub id: String,
    pub grid: String,
    pub community: String,
    pub subdistrict: String,
}

impl Running {
    /// Publishes a subdistrict's community, grid and enterprise as
    /// governance-grid would, and waits until arbitration knows them.
    pub async fn enterprise_on_map(&self) -> Enterprise {
        use dualnet_events::{Record, Transport};
        use dualnet_proto::{governance::v1 as gov, topics};
        let (id, grid, community, subdistrict) =
            (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let records = vec![
            Record::of_message(
                topics::GOVERNANCE,
                "/dualnet/governance-grid",
                uuid::Uuid::now_v7(),
                community,
                &gov::CommunityCreated {
                    community_id: community.to_string(),
                    subdistrict_id: subdistrict.to_string(),
                    ..Default::default()
                },
            ),
            Record::of_message(
                topics::GOVERNANCE,
                "/dualnet/governance-grid",
                uuid::Uuid::now_v7(),
                grid,
                &gov::GridCreated {
                    grid_id: grid.to_string(),
                    community_id: community.to_string(),
                    ..Default::default()
                },
            ),
            Record::of_message(
                topics::GOVERNANCE,
                "/dualnet/governance-grid",
                uuid::Uuid::now_v7(),
                id,
                &gov::EnterpriseCreated {
                    enterprise_id: id.to_string(),
                    grid_id: grid.to_string(),
                    ..Default::default()
                },
            ),
        ];
        self.log.publisher().publish(&records).await.unwrap();
        let pool = self.pool.clone();
        wait_for("arbitration to know the enterprise", WAIT, || {
            let pool = pool.clone();
            async move {
                let known: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM known_enterprises e JOIN known_grids g USING (grid_id)
                     JOIN known_communities c USING (community_id) WHERE e.enterprise_id = $1)",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .ok()?;
                known.then_some(())
            }
        })
        .await;
        Enterprise {
            id: id.to_string(),
            grid: grid.to_string(),
            community: community.to_string(),
            subdistrict: subdistrict.to_string(),
        }
    }
}

pub async fn start_at(now: DateTime<Utc>) -> Running {
    start_configured(now, |_| {}).await
}

/// Starts with the test settings, then `configure`'s changes to them.
pub async fn start_configured(now: DateTime<Utc>, configure: impl FnOnce(&mut Config)) -> Running {
    start_on(fresh_pool("arbitration").await, now, configure).await
}

/// Starts on the database `pool` (e.g. one an earlier start used).
pub async fn start_on(pool: sqlx::PgPool, now: DateTime<Utc>, configure: impl FnOnce(&mut Config)) -> Running {
    let s = InProcess::start_on(&arbitration::DEFINITION, pool, now, configure).await;
    let client = ArbitrationClient::new(s.channel().await);
    Running { client, pool: s.pool, clock: s.clock, shutdown: s.shutdown, log: s.log }
}

// What the clock tests share: an application, a step, the deadlines.

pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

pub fn wages(fen: i64) -> pb::Claim {
    pb::Claim { kind: pb::ClaimKind::Wages as i32, amount_fen: fen, ..Default::default() }
}

pub fn application(claims: Vec<pb::Claim>) -> pb::ApplyCaseRequest {
    pb::ApplyCaseRequest {
        respondent: "坂田电子厂".into(),
        claimants: vec![pb::Claimant { name: "张三".into(), ..Default::default() }],
        claims,
        facts: "Three months of wages unpaid".into(),
        category: "labour.wage_arrears".into(),
        right_known_on: "2026-08-01".into(),
        employment_ended_on: "2026-08-31".into(),
        ..Default::default()
    }
}

pub async fn step(
    c: &mut ArbitrationClient<Channel>,
    id: &str,
    action: pb::CaseAction,
) -> Result<pb::Case, tonic::Status> {
    let req = pb::TransitionCaseRequest {
        id: id.into(),
        action: action as i32,
        actor: "仲裁委".into(),
        ..Default::default()
    };
    c.transition_case(req).await.map(|r| r.into_inner())
}

/// The tribunal's award, granting `amounts` on the case's claims in order.
pub async fn award(c: &mut ArbitrationClient<Channel>, id: &str, amounts: &[i64]) -> Result<pb::Case, tonic::Status> {
    let req = pb::TransitionCaseRequest {
        id: id.into(),
        action: pb::CaseAction::Award as i32,
        actor: "仲裁庭".into(),
        awarded_fen: amounts.to_vec(),
        ..Default::default()
    };
    c.transition_case(req).await.map(|r| r.into_inner())
}

/// The commission forms the tribunal, 王仲裁员 presiding.
pub async fn form_tribunal(c: &mut ArbitrationClient<Channel>, id: &str) {
    let form = pb::TransitionCaseRequest {
        id: id.into(),
        action: pb::CaseAction::FormTribunal as i32,
        actor: "仲裁委".into(),
        arbitrator: "王仲裁员".into(),
        ..Default::default()
    };
    c.transition_case(form).await.unwrap();
}

pub async fn deadlines(c: &ArbitrationClient<Channel>, case: &str) -> Vec<pb::Deadline> {
    let mut c = c.clone();
    let req = pb::ListDeadlinesRequest { case_id: case.into(), ..Default::default() };
    c.list_deadlines(req).await.unwrap().into_inner().deadlines
}

pub async fn wait_passed(c: &ArbitrationClient<Channel>, case: &str, kind: pb::DeadlineKind) -> pb::Deadline {
    wait_for(&format!("{kind:?} passed"), WAIT, || async {
        deadlines(c, case)
            .await
            .into_iter()
            .find(|d| d.kind == kind as i32 && d.state == pb::DeadlineState::Passed as i32)
    })
    .await
}
