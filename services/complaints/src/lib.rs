//! complaints — residents' requests (诉求服务).
//!
//! - Owns: requests with their category, deadline, lead department, status
//!   notes, reply, rating, duplicates and referrals; the category catalogue
//!   and routing table; residents' names, phones and e-mail (in this
//!   database only, never in events or logs).
//! - Serves: `dualnet.complaints.v1.Complaints` over gRPC, and Open311
//!   GeoReport v2 (JSON over HTTP) when `open311.listen` is set.
//! - Publishes to `dualnet.complaints.v1`: the request lifecycle
//!   (`ComplaintFiled`, `…Accepted`, `…HandedOver`, `…Dispatched`,
//!   `…Replied`, `…Rated`, `…Reopened`, `…Merged`, `…Overdue`,
//!   `…Supervised`, `…Referred`, `ReferralConcluded`) — ids and codes only.
//! - Consumes: `dualnet.governance.v1` — grid and building changes (to place
//!   requests on the map) and the incident lifecycle.
//!
//! Layout: `domain/` pure rules, `store/` the database, `grpc/` and
//! `open311/` the APIs — `grpc/` a file per aggregate (requests, referrals,
//! the catalogue, the reads log); `wire.rs` the enums across the wire,
//! `consumers.rs` the reactions, `app.rs` the wiring.

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod app;
pub mod consumers;
pub mod domain;
mod grpc;
mod open311;
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

/// The gRPC API and the Open311 face alone over `pool`, on the system
/// clock and default calendar — no pipeline, no background work, no
/// authentication: what the fuzz targets (`fuzz/`) drive with arbitrary
/// requests.
pub fn bare_api(pool: sqlx::PgPool) -> tonic::service::Routes {
    let (store, clock) = bare_parts(pool);
    tonic::service::Routes::new(dualnet_proto::complaints::v1::complaints_server::ComplaintsServer::new(grpc::Api {
        store,
        pages: dualnet_platform::page::PageTokens::ephemeral(),
        clock,
    }))
}

/// The Open311 GeoReport v2 face, as `bare_api`.
pub fn bare_open311(pool: sqlx::PgPool) -> axum::Router {
    let (store, clock) = bare_parts(pool);
    let limits = dualnet_platform::config::LimitsConfig::default();
    open311::router(open311::Open311 {
        store,
        clock,
        max_body_bytes: limits.max_request_bytes,
        jurisdiction_id: String::new(),
        verifier: None,
        public_reads: false,
        public_categories: Vec::new(),
    })
}

fn bare_parts(pool: sqlx::PgPool) -> (store::Store, std::sync::Arc<dyn dualnet_platform::clock::Clock>) {
    let calendar =
        std::sync::Arc::new(dualnet_platform::calendar::Calendar::load(None).expect("the built-in calendar"));
    (store::Store::new(pool, calendar), std::sync::Arc::new(dualnet_platform::clock::SystemClock))
}
