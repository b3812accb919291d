//! party-grid — the Party-building grid network (党建网格).
//!
//! - Owns: party organisations, their binding to governance units (两网合一:
//!   branch ↔ grid, group ↔ building), members and volunteers, linkage
//!   tasks (联动任务), and residents' consultation councils (议事协商) with
//!   their members (names sealed), topics, meetings and resolutions.
//! - Serves: `dualnet.partygrid.v1.PartyGrid`.
//! - Publishes to `dualnet.partygrid.v1`: organisation, binding and member
//!   changes, the linkage-task lifecycle, volunteer calls, councils, council
//!   members, topics, meetings and resolutions (`ResolutionAdopted` hands
//!   work to governance-grid).
//! - Consumes: `dualnet.governance.v1` — grid and building changes (its read
//!   model of the map), the incident lifecycle (tasks opened and closed; a
//!   council's incident closing implements its topic) and early warnings
//!   (proposed to the community's councils as topics).
//!
//! Layout: `domain/` pure rules, `store/` the database and `grpc/` the API,
//! a file per aggregate on each floor (organisations and bindings, tasks,
//! members, volunteers, the network and its coverage, councils, topics —
//! meetings under `store/topic/`); `wire.rs` every enum and message across
//! the wire, `consumers.rs` the reactions, `app.rs` the wiring.

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod app;
pub mod consumers;
pub mod domain;
mod grpc;
mod store;
mod wire;

use dualnet_events::outbox::Outbox;
use dualnet_platform::service::ServiceDef;

pub const SERVICE: &str = "party-grid";

/// Where this service's events go.
pub(crate) const OUTBOX: Outbox = Outbox { source: "/dualnet/party-grid", topic: dualnet_proto::topics::PARTYGRID };

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub static DEFINITION: ServiceDef = ServiceDef {
    name: SERVICE,
    database: "dualnet_partygrid",
    default_port: 50052,
    migrator: &MIGRATOR,
    start: |deps, shutdown| Box::pin(app::start(deps, shutdown)),
};

/// The gRPC API alone over `pool`, on the system clock and default
/// calendar — no pipeline, no background work: what the fuzz targets
/// (`fuzz/`) drive with arbitrary requests.
pub fn bare_api(pool: sqlx::PgPool) -> tonic::service::Routes {
    let clock: std::sync::Arc<dyn dualnet_platform::clock::Clock> =
        std::sync::Arc::new(dualnet_platform::clock::SystemClock);
    tonic::service::Routes::new(dualnet_proto::partygrid::v1::party_grid_server::PartyGridServer::new(grpc::Api {
        store: store::Store::new(pool),
        pages: dualnet_platform::page::PageTokens::ephemeral(),
        clock,
    }))
}
