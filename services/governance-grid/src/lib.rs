//! governance-grid — the comprehensive-governance grid network (综治网格).
//!
//! - Owns: the map (subdistrict → community → grid → building, enterprises),
//!   grid workers and building heads, rental housing with its grades and
//!   inspections, incidents with their lifecycle, history, escalation,
//!   whistles and the party response shown on them, early warnings,
//!   statistics, and community notices (信息公开).
//! - Serves: `dualnet.governance.v1.GovernanceGrid`, and the public notices
//!   feed over HTTP (`notices.rs`, `notices.listen`).
//! - Publishes to `dualnet.governance.v1`: map and staff changes, rental
//!   registrations and inspections, warnings, the incident lifecycle
//!   (`IncidentOpened`, `IncidentTransitioned`, `IncidentEscalated`,
//!   `WhistleBlown`, check-ins, `IncidentClosed`) and `NoticePublished`;
//!   overdue incidents escalate by themselves.
//! - Consumes: `dualnet.complaints.v1` (a filed complaint opens an incident,
//!   a rating rates it, a merge or reopening follows it),
//!   `dualnet.partygrid.v1` (linkage-task progress; a council's resolution
//!   opens the incident it hands out and becomes a notice, as does its
//!   implementation) and `dualnet.arbitration.v1` (enterprise labour risk
//!   opens an incident, case milestones are noted on it).
//!
//! Layout: `domain/` pure rules, `store/` the database and `grpc/` the API,
//! a file per aggregate on each floor (incidents, escalation, whistles, the
//! map and its staff, rental housing, warnings, statistics, deadlines,
//! notices); `wire.rs` the enums across the wire, `consumers.rs` the
//! reactions, `notices.rs` the public feed, `app.rs` the wiring.

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod app;
pub mod consumers;
pub mod domain;
mod grpc;
mod notices;
pub mod store;
mod wire;

use dualnet_events::outbox::Outbox;
use dualnet_platform::service::ServiceDef;

pub const SERVICE: &str = "governance-grid";

/// Where this service's events go.
pub(crate) const OUTBOX: Outbox =
    Outbox { source: "/dualnet/governance-grid", topic: dualnet_proto::topics::GOVERNANCE };

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub static DEFINITION: ServiceDef = ServiceDef {
    name: SERVICE,
    database: "dualnet_governance",
    default_port: 50051,
    migrator: &MIGRATOR,
    start: |deps, shutdown| Box::pin(app::start(deps, shutdown)),
};

/// The gRPC API alone over `pool`, on the system clock and default
/// calendar — no pipeline, no background work: what the fuzz targets
/// (`fuzz/`) drive with arbitrary requests.
pub fn bare_api(pool: sqlx::PgPool) -> tonic::service::Routes {
    let clock: std::sync::Arc<dyn dualnet_platform::clock::Clock> =
        std::sync::Arc::new(dualnet_platform::clock::SystemClock);
    let calendar =
        std::sync::Arc::new(dualnet_platform::calendar::Calendar::load(None).expect("the built-in calendar"));
    tonic::service::Routes::new(dualnet_proto::governance::v1::governance_grid_server::GovernanceGridServer::new(
        grpc::Api {
            store: store::Store::new(pool, calendar),
            pages: dualnet_platform::page::PageTokens::ephemeral(),
            clock,
        },
    ))
}
