//! One service started inside the test process: on a fresh database of its
//! own, the PostgreSQL log transport on another, a clock the test moves
//! instead of waiting, its gRPC API on port 0.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use dualnet_events::pglog::PgLogTransport;
use dualnet_platform::{
    clock::ManualClock,
    config::{Config, Secret},
    service::{Deps, ServiceDef, start_in_process_bound},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};
pub use tonic_health::pb::health_check_response::ServingStatus;

use crate::{SEALING_KEY, fresh_pool, wait_for};

/// How long a test waits for what the service does in the background.
pub const WAIT: Duration = Duration::from_secs(60);

pub struct InProcess {
    /// The gRPC API.
    pub addr: SocketAddr,
    /// The service's other listeners, by name (e.g. `open311`).
    pub bound: Vec<(&'static str, SocketAddr)>,
    /// The service's database.
    pub pool: PgPool,
    /// The event log it reads and writes (to feed it other services' events).
    pub log: Arc<PgLogTransport>,
    pub clock: ManualClock,
    pub shutdown: CancellationToken,
}

/// The settings in-process tests start from: personal data sealed (a
/// service holding it refuses to start otherwise) and sweeps every 20 ms.
pub fn test_config() -> Config {
    let mut config = Config::default();
    config.personal_data.keys.insert("test".into(), Secret::new(SEALING_KEY));
    config.personal_data.current = Some("test".into());
    config.deadlines.sweep_ms = 20;
    config
}

impl InProcess {
    /// Starts `def` at `now` with [`test_config`] and `configure`'s changes.
    pub async fn start(def: &'static ServiceDef, now: DateTime<Utc>, configure: impl FnOnce(&mut Config)) -> Self {
        Self::start_on(def, fresh_pool(def.database).await, now, configure).await
    }

    /// As [`InProcess::start`], on the database `pool` (e.g. one an earlier
    /// start used).
    pub async fn start_on(
        def: &'static ServiceDef,
        pool: PgPool,
        now: DateTime<Utc>,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let log = Arc::new(PgLogTransport::new(fresh_pool("log").await).await.expect("the log transport"));
        let clock = ManualClock::at(now);
        let mut config = test_config();
        configure(&mut config);
        let deps = Deps {
            pool: pool.clone(),
            transport: log.clone(),
            clock: Arc::new(clock.clone()),
            config: Arc::new(config),
            readiness: Default::default(),
        };
        let shutdown = CancellationToken::new();
        let (addr, bound) = start_in_process_bound(def, deps, shutdown.clone()).await.expect("the service starts");
        Self { addr, bound, pool, log, clock, shutdown }
    }

    /// The health the server reports for `service` ("" for the server as a
    /// whole) once it reports one.
    pub async fn health(&self, service: &str) -> ServingStatus {
        use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
        let client = HealthClient::new(self.channel().await);
        wait_for("a health status", WAIT, || {
            let (mut client, req) = (client.clone(), HealthCheckRequest { service: service.into() });
            async move { client.check(req).await.ok().map(|r| r.into_inner().status()) }
        })
        .await
    }

    /// A channel to the API, once it answers.
    pub async fn channel(&self) -> Channel {
        let endpoint = Endpoint::from_shared(format!("http://{}", self.addr)).expect("an address is a URI");
        wait_for("the API", WAIT, || async { endpoint.connect().await.ok() }).await
    }

    /// The address of the listener `name`.
    pub fn listener(&self, name: &str) -> SocketAddr {
        self.bound.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no {name} listener")).1
    }
}
