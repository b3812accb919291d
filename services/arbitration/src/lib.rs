//! arbitration — labour dispute arbitration (劳动仲裁).
//!
//! - Owns: labour cases and their statutory clocks (LDMAL).
//! - Serves: `dualnet.arbitration.v1.Arbitration`.
//! - Publishes to `dualnet.arbitration.v1`: `CaseOpened`, `EnterpriseRiskRaised`.
//! - Consumes: `dualnet.complaints.v1` — complaints in labour categories.
//!
//! Layout: `domain/` pure rules, `store.rs` the database, `grpc.rs` the API,
//! `consumers.rs` the reactions, `app.rs` the wiring.

pub mod app;
mod consumers;
pub mod domain;
mod grpc;
mod store;

use dualnet_events::outbox::Outbox;
use dualnet_platform::service::ServiceDef;

pub const SERVICE: &str = "arbitration";

/// Where this service's events go.
pub(crate) const OUTBOX: Outbox = Outbox { source: "/dualnet/arbitration", topic: dualnet_proto::topics::ARBITRATION };

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub static DEFINITION: ServiceDef = ServiceDef {
    name: SERVICE,
    database: "dualnet_arbitration",
    default_port: 50054,
    migrator: &MIGRATOR,
    start: |deps, shutdown| Box::pin(app::start(deps, shutdown)),
};
