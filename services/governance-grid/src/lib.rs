//! governance-grid — the comprehensive-governance grid network (综治网格).
//!
//! - Owns: the map (subdistrict → community → grid → building) and incidents
//!   with their lifecycle, history and the party response shown on them.
//! - Serves: `dualnet.governance.v1.GovernanceGrid`.
//! - Publishes to `dualnet.governance.v1`: map changes and the incident
//!   lifecycle (`IncidentOpened`, `IncidentTransitioned`, `IncidentEscalated`,
//!   `IncidentClosed`); overdue incidents escalate by themselves.
//! - Consumes: `dualnet.complaints.v1` (a filed complaint opens an incident,
//!   a rating rates it), `dualnet.partygrid.v1` (linkage-task progress) and
//!   `dualnet.arbitration.v1` (enterprise labour risk opens an incident).
//!
//! Layout: `domain/` pure rules, `store/` the database and `grpc/` the API,
//! a file per aggregate on each floor (incidents, escalation, whistles, the
//! map and its staff, rental housing, warnings, statistics, deadlines);
//! `wire.rs` the enums across the wire, `consumers.rs` the reactions,
//! `app.rs` the wiring.

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod app;
pub mod consumers;
pub mod domain;
mod grpc;
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
