//! complaints — residents' requests (诉求服务).
//!
//! - Owns: requests with their category, deadline, status, reply and rating;
//!   residents' names and phones (in this database only, never in events).
//! - Serves: `dualnet.complaints.v1.Complaints`.
//! - Publishes to `dualnet.complaints.v1`: `ComplaintFiled`,
//!   `ComplaintDispatched`, `ComplaintReplied`, `ComplaintRated` — ids and
//!   codes only.
//! - Consumes: `dualnet.governance.v1` — grid and building changes (to
//!   resolve a building to its grid) and the incident lifecycle.
//!
//! Layout: `domain/` pure rules, `store.rs` the database, `grpc.rs` the API,
//! `consumers.rs` the reactions, `app.rs` the wiring.

pub mod app;
mod consumers;
pub mod domain;
mod grpc;
mod store;
mod wire;

use dualnet_events::outbox::Outbox;
use dualnet_platform::service::ServiceDef;

pub const SERVICE: &str = "complaints";

/// Where this service's events go.
pub(crate) const OUTBOX: Outbox = Outbox { source: "/dualnet/complaints", topic: dualnet_proto::topics::COMPLAINTS };

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub static DEFINITION: ServiceDef = ServiceDef {
    name: SERVICE,
    database: "dualnet_complaints",
    default_port: 50053,
    migrator: &MIGRATOR,
    start: |deps, shutdown| Box::pin(app::start(deps, shutdown)),
};
