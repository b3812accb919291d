//! arbitration — labour dispute arbitration (劳动仲裁).
//!
//! - Owns: labour cases — parties, claims, the lifecycle — and their
//!   statutory clocks (LDMAL), final awards, enterprise risk.
//! - Serves: `dualnet.arbitration.v1.Arbitration`.
//! - Publishes to `dualnet.arbitration.v1`: `CaseOpened`, `CaseTransitioned`,
//!   `AwardPeriodExtended`, `CaseDeadlinePassed`, `EnterpriseRiskRaised`.
//! - Consumes: `dualnet.complaints.v1` — complaints in labour categories open
//!   draft applications; `dualnet.governance.v1` — communities, grids and
//!   enterprises, where a relocation notice may come from.
//!
//! Layout: `domain/` pure rules, `store/` the database, `grpc/` the API,
//! `consumers.rs` the reactions, `app.rs` the wiring.

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod app;
pub mod consumers;
pub mod domain;
mod grpc;
mod store;
mod wire;

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

/// The gRPC API alone over `pool`, on the system clock and default
/// calendar — no pipeline, no background work: what the fuzz targets
/// (`fuzz/`) drive with arbitrary requests.
pub fn bare_api(pool: sqlx::PgPool) -> tonic::service::Routes {
    let clock: std::sync::Arc<dyn dualnet_platform::clock::Clock> =
        std::sync::Arc::new(dualnet_platform::clock::SystemClock);
    let calendar =
        std::sync::Arc::new(dualnet_platform::calendar::Calendar::load(None).expect("the built-in calendar"));
    tonic::service::Routes::new(dualnet_proto::arbitration::v1::arbitration_server::ArbitrationServer::new(grpc::Api {
        store: store::Store::new(pool, calendar),
        pages: dualnet_platform::page::PageTokens::ephemeral(),
        clock,
        minimum_wage: std::sync::Arc::new(
            dualnet_platform::minimum_wage::MinimumWage::load(None, "Shenzhen").expect("the shipped table"),
        ),
    }))
}
