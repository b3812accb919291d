//! arbitration in-process on the PostgreSQL log transport, served on port
//! 0, under a clock the tests move instead of waiting.
#![allow(dead_code)]

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use dualnet_events::pglog::PgLogTransport;
use dualnet_platform::{
    clock::ManualClock,
    config::Config,
    service::{Deps, start_in_process},
};
use dualnet_proto::arbitration::v1::arbitration_client::ArbitrationClient;
use dualnet_testkit::{fresh_pool, wait_for};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub const WAIT: Duration = Duration::from_secs(60);

pub struct Running {
    pub client: ArbitrationClient<Channel>,
    /// The service's database.
    pub pool: sqlx::PgPool,
    pub clock: ManualClock,
    pub shutdown: CancellationToken,
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
    let transport = Arc::new(PgLogTransport::new(fresh_pool("log").await).await.unwrap());
    let clock = ManualClock::at(now);
    let mut config = Config::default();
    // Sealed, as a service holding personal data must be (or it refuses to start).
    config
        .personal_data
        .keys
        .insert("test".into(), dualnet_platform::config::Secret::new(dualnet_testkit::SEALING_KEY));
    config.personal_data.current = Some("test".into());
    config.deadlines.sweep_ms = 20;
    configure(&mut config);
    let deps = Deps {
        pool: pool.clone(),
        transport,
        clock: Arc::new(clock.clone()),
        config: Arc::new(config),
        readiness: Default::default(),
    };
    let shutdown = CancellationToken::new();
    let addr = start_in_process(&arbitration::DEFINITION, deps, shutdown.clone()).await.unwrap();
    let client =
        wait_for("the API", WAIT, || async { ArbitrationClient::connect(format!("http://{addr}")).await.ok() }).await;
    Running { client, pool, clock, shutdown }
}
