//! How a dualnet service starts: its definition, what it is given, and the
//! event pipeline (relay and consumer) every service runs beside its API.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use dualnet_events::{
    Consumer, ConsumerSettings, Handler, Producer, Producers, Relay, RelaySettings, Transport, deadletter,
    kafka::{KafkaSettings, KafkaTransport},
    pglog::PgLogTransport,
};
use futures::future::BoxFuture;
use sqlx::{PgPool, migrate::Migrator};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    clock::{Clock, SystemClock},
    config::{Config, TransportKind},
    db, grpc_server, metrics, telemetry,
};

/// What a service is given at start.
#[derive(Clone)]
pub struct Deps {
    pub pool: PgPool,
    pub transport: Arc<dyn Transport>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// What must be true before the service reports SERVING.
    pub readiness: Readiness,
}

impl Deps {
    /// The sealer of the personal data named `what`. Sealing fails closed,
    /// as authentication does: without keys the service does not start,
    /// unless `personal_data.disabled` says to store it unsealed.
    pub fn sealer(&self, what: &str) -> anyhow::Result<Option<Arc<crate::sealing::Sealer>>> {
        let sealer = crate::sealing::Sealer::from_config(&self.config.personal_data)?.map(Arc::new);
        if sealer.is_none() {
            if !self.config.personal_data.disabled {
                anyhow::bail!(
                    "personal_data.keys is empty: {what} would be stored unsealed. Configure a sealing key \
                     (DUALNET_PERSONAL_DATA__KEYS__<ID>: base64 of 32 random bytes, `openssl rand -base64 32`; \
                     see docs/operations.md), or set personal_data.disabled = true \
                     (DUALNET_PERSONAL_DATA__DISABLED=true) for a throw-away deployment"
                );
            }
            tracing::warn!("personal_data.disabled: {what} are stored unsealed");
        }
        Ok(sealer)
    }

    /// The working-day calendar (`calendar.file`, else the shipped one),
    /// watched until `shutdown`: `dualnet.calendar.remaining_seconds` says how long
    /// until its last year ends, and from `calendar::WARN_DAYS` before then
    /// the service warns every day that next year's schedule is missing.
    pub fn calendar(&self, shutdown: &CancellationToken) -> anyhow::Result<Arc<crate::calendar::Calendar>> {
        let calendar = Arc::new(crate::calendar::Calendar::load(self.config.calendar.file.as_deref())?);
        let (watched, clock, shutdown) = (calendar.clone(), self.clock.clone(), shutdown.clone());
        let covered = Arc::new(AtomicBool::new(!calendar.ends_soon(crate::calendar::china_date(self.clock.now()))));
        self.readiness.advise(CALENDAR_HEALTH, covered.clone());
        tokio::spawn(async move {
            loop {
                let today = crate::calendar::china_date(clock.now());
                if let Some(left) = watched.days_left(today) {
                    metrics::calendar_days_left(left);
                    let soon = watched.ends_soon(today);
                    covered.store(!soon, Ordering::Relaxed);
                    if soon {
                        tracing::warn!(
                            days_left = left,
                            "the holiday calendar ends in {left} days: load next year's schedule (calendar.file); \
                             deadlines past it are counted on weekends and fixed holidays only and flagged provisional"
                        );
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(CALENDAR_CHECK_EVERY) => {}
                }
            }
        });
        Ok(calendar)
    }
}

/// The health name that is NOT_SERVING from `calendar::WARN_DAYS` before the
/// holiday calendar's last year ends (the server itself keeps serving).
pub const CALENDAR_HEALTH: &str = "dualnet.calendar";

/// How often the calendar's coverage is looked at.
const CALENDAR_CHECK_EVERY: Duration = Duration::from_secs(24 * 3600);

pub use crate::readiness::Readiness;

/// A started service: its gRPC APIs and its background tasks.
pub struct Started {
    pub register: grpc_server::Register,
    /// The gRPC service name reported by health checks.
    pub health: &'static str,
    pub tasks: Vec<JoinHandle<()>>,
    /// Listeners of its own the service bound besides the gRPC API (e.g.
    /// `open311`), with the addresses they got.
    pub bound: Vec<(&'static str, SocketAddr)>,
}

pub type StartFn = fn(Deps, CancellationToken) -> BoxFuture<'static, anyhow::Result<Started>>;

/// One deployable service.
pub struct ServiceDef {
    /// e.g. `governance-grid`; also its consumer group and `ce_source` suffix.
    pub name: &'static str,
    /// Database name when several services share one server (`dualnet up`).
    pub database: &'static str,
    pub default_port: u16,
    pub migrator: &'static Migrator,
    pub start: StartFn,
}

/// The event pipeline of one service.
pub struct Pipeline<'a> {
    pub service: &'a str,
    /// The topic this service publishes to.
    pub topic: &'a str,
    /// Topics of other services this one reacts to.
    pub subscribes: &'a [&'a str],
    pub handler: Arc<dyn Handler>,
}

/// Starts the outbox relay and, if the service reacts to anything, its
/// inbox consumer.
pub async fn start_pipeline(
    deps: &Deps,
    pipeline: Pipeline<'_>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut topics: Vec<String> = pipeline.subscribes.iter().map(|t| t.to_string()).collect();
    topics.push(pipeline.topic.to_string());
    topics.push(deadletter::TOPIC.to_string());
    deps.transport.ensure_topics(&topics).await.context("creating topics")?;
    let relay = Relay::new(
        deps.pool.clone(),
        deps.transport.publisher(),
        RelaySettings {
            batch: deps.config.relay.batch,
            poll: Duration::from_millis(deps.config.relay.poll_ms),
            ..RelaySettings::default()
        },
    );
    let mut tasks = vec![tokio::spawn(relay.run(shutdown.clone()))];
    let retention = deps.config.retention.settings();
    tasks.push(tokio::spawn(dualnet_events::retention::run(
        deps.pool.clone(),
        deps.transport.clone(),
        retention,
        shutdown.clone(),
    )));
    let (reachable, probe) = watch_database(pipeline.service, deps.pool.clone(), shutdown.clone());
    deps.readiness.add(reachable);
    tasks.push(probe);
    if !pipeline.subscribes.is_empty() {
        let subscribes: Vec<String> = pipeline.subscribes.iter().map(|t| t.to_string()).collect();
        let mut producers = Vec::new();
        for topic in &subscribes {
            let source = dualnet_proto::topics::producer(topic).with_context(|| format!("no producer of {topic}"))?;
            producers.push(Producer { topic: topic.clone(), source: source.into(), types: format!("{topic}.") });
        }
        let subscription = deps.transport.subscribe(pipeline.service, &subscribes).await.context("subscribing")?;
        deps.readiness.add(subscription.ready());
        let consumer = Consumer::new(
            pipeline.service,
            deps.pool.clone(),
            pipeline.handler,
            deps.transport.publisher(),
            ConsumerSettings {
                max_attempts: deps.config.consumer.max_attempts,
                backoff: Duration::from_millis(deps.config.consumer.backoff_ms),
                max_backoff: Duration::from_millis(deps.config.consumer.max_backoff_ms),
                batch: deps.config.consumer.batch,
                max_event_bytes: deps.config.limits.max_event_bytes,
                producers: Producers::new(producers),
            },
        );
        deps.readiness.add(consumer.healthy());
        tasks.push(tokio::spawn(consumer.run(subscription, shutdown.clone())));
    }
    Ok(tasks)
}

/// How often a service asks its database whether it answers, and how long
/// it waits for the answer.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A readiness condition that holds while `service`'s database answers: a
/// service that cannot reach it reports NOT_SERVING (so balancers and
/// orchestrators look elsewhere) and SERVING again once it answers, with no
/// restart. The database answered at start (the migrations ran).
pub fn watch_database(service: &str, pool: PgPool, shutdown: CancellationToken) -> (Arc<AtomicBool>, JoinHandle<()>) {
    let reachable = Arc::new(AtomicBool::new(true));
    let flag = reachable.clone();
    let service = service.to_string();
    let task = tokio::spawn(async move {
        loop {
            let answered =
                matches!(tokio::time::timeout(PROBE_TIMEOUT, sqlx::query("SELECT 1").execute(&pool)).await, Ok(Ok(_)));
            if flag.swap(answered, Ordering::Relaxed) != answered {
                if answered {
                    tracing::info!(%service, "the database answers again");
                } else {
                    tracing::warn!(%service, "the database does not answer; not ready until it does");
                }
            }
            crate::metrics::database_reachable(&service, answered);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(PROBE_EVERY) => {}
            }
        }
    });
    (reachable, task)
}

/// The transport the configuration names.
pub async fn transport(config: &Config) -> anyhow::Result<Arc<dyn Transport>> {
    Ok(match config.transport.kind {
        TransportKind::Kafka => {
            let mut settings = KafkaSettings::new(&config.kafka.bootstrap_servers);
            settings.partitions = config.kafka.partitions;
            settings.replication = config.kafka.replication;
            settings.namespace = config.kafka.namespace.clone();
            settings.extra = config.kafka.properties.clone().into_iter().collect();
            Arc::new(KafkaTransport::new(settings)?)
        }
        TransportKind::Pglog => {
            let url = config
                .transport
                .log_database_url
                .as_ref()
                .context("transport.log_database_url must be set for the pglog transport")?;
            db::ensure_database(url.expose()).await?;
            let pool = db::connect(url.expose(), config.database.max_connections).await?;
            Arc::new(PgLogTransport::new(pool).await?)
        }
    })
}

/// Cancelled on SIGINT or SIGTERM.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
        }
        tracing::info!("shutting down");
        t.cancel();
    });
    token
}

/// Connects to (creating if needed) and migrates a service's database.
pub async fn open_database(url: &str, max_connections: u32, migrator: &'static Migrator) -> anyhow::Result<PgPool> {
    if let Err(e) = db::ensure_database(url).await {
        tracing::warn!(error = format!("{e:#}"), "could not ensure the database exists; trying to use it");
    }
    let pool = db::connect(url, max_connections).await?;
    db::migrate(&pool, migrator).await?;
    Ok(pool)
}

/// A service binary's flags; every setting comes from the configuration.
#[derive(clap::Parser)]
#[command(about = "A dualnet service. Settings come from defaults, then --config's file, then DUALNET_* \
                   variables (docs/operations.md).")]
struct Args {
    /// A TOML file of settings.
    #[arg(long, value_name = "FILE", env = "DUALNET_CONFIG")]
    config: Option<PathBuf>,
    /// Ask the instance at the configured listen address for its gRPC health
    /// instead of starting one (container health checks).
    #[arg(long)]
    health_check: bool,
}

/// The `main` of a service binary.
pub fn main(def: &'static ServiceDef) -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let config = Config::load(args.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.health_check {
        return runtime.block_on(health_check(def, &config));
    }
    runtime.block_on(run(def, config))
}

fn listen_addr(def: &ServiceDef, config: &Config) -> SocketAddr {
    config.listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], def.default_port)))
}

async fn health_check(def: &ServiceDef, config: &Config) -> anyhow::Result<()> {
    let mut addr = listen_addr(def, config);
    if addr.ip().is_unspecified() {
        addr.set_ip([127, 0, 0, 1].into());
    }
    crate::grpc_server::probe(addr, &config.tls).await.with_context(|| format!("{} at {addr}", def.name))
}

async fn run(def: &'static ServiceDef, config: Config) -> anyhow::Result<()> {
    if let Some(reason) = crate::auth::refusal(&config.auth) {
        anyhow::bail!(reason);
    }
    if let Some(path) = &config.address_file {
        crate::addresses::record_to(path.clone());
    }
    let _telemetry = telemetry::init(def.name, &config.telemetry)?;
    let metrics = metrics::init(def.name, &config.telemetry)?;
    let url = config.database.url.clone().context("database.url must be set (DUALNET_DATABASE__URL)")?;
    let pool = open_database(url.expose(), config.database.max_connections, def.migrator).await?;
    let transport = transport(&config).await?;
    let addr = listen_addr(def, &config);
    let shutdown = shutdown_on_signal();
    if let Some(at) = config.telemetry.metrics_listen {
        tokio::spawn(metrics::serve(at, metrics.clone(), shutdown.clone()));
    }
    let grace = Duration::from_millis(config.shutdown.grace_ms);
    let readiness = Readiness::default();
    let deps =
        Deps { pool, transport, clock: Arc::new(SystemClock), config: Arc::new(config), readiness: readiness.clone() };
    let admission = admission(&deps.config)?;
    let started = (def.start)(deps, shutdown.clone()).await?;
    let listener = TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    crate::addresses::bound("grpc", listener.local_addr()?);
    tracing::info!(service = def.name, addr = %listener.local_addr()?, "serving");
    let served =
        grpc_server::serve(listener, vec![started.register], &[started.health], readiness, admission, shutdown.clone())
            .await;
    shutdown.cancel();
    // The API stopped taking requests; the relay flushes the outbox and the
    // consumer finishes its event and commits, within the grace period.
    let drained = async {
        for task in started.tasks {
            let _ = task.await;
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(grace_ms = grace.as_millis() as u64, "grace period over; exiting with work unfinished");
    } else {
        tracing::info!("drained");
    }
    served
}

/// Runs one service inside this process on `deps` — migrations, pipeline,
/// background tasks and its gRPC API on a port the system picks — until
/// `shutdown`. For tests and embedding; returns the API's address.
pub async fn start_in_process(def: &ServiceDef, deps: Deps, shutdown: CancellationToken) -> anyhow::Result<SocketAddr> {
    Ok(start_in_process_bound(def, deps, shutdown).await?.0)
}

/// `start_in_process`, answering the addresses of the service's other
/// listeners too (see `Started::bound`).
pub async fn start_in_process_bound(
    def: &ServiceDef,
    deps: Deps,
    shutdown: CancellationToken,
) -> anyhow::Result<(SocketAddr, Vec<(&'static str, SocketAddr)>)> {
    db::migrate(&deps.pool, def.migrator).await?;
    let readiness = deps.readiness.clone();
    let admission = admission(&deps.config)?;
    let started = (def.start)(deps, shutdown.clone()).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let bound = started.bound;
    tokio::spawn(async move {
        let health = [started.health];
        grpc_server::serve(listener, vec![started.register], &health, readiness, admission, shutdown).await
    });
    Ok((addr, bound))
}

/// Who the gRPC server lets in, from the configuration: the token verifier
/// (without keys none, and a warning that the APIs are open) and the
/// metadata limit.
pub fn admission(config: &Config) -> anyhow::Result<grpc_server::Admission> {
    let verifier = crate::auth::Verifier::from_config(&config.auth)?;
    if verifier.is_none() {
        tracing::warn!(
            "authentication is off: the APIs accept calls without a token; configure auth.keys in production"
        );
    }
    Ok(grpc_server::Admission {
        auth: verifier.map(Arc::new),
        max_header_bytes: config.limits.max_header_bytes,
        tls: grpc_server::Admission::tls(&config.tls)?,
    })
}

/// Runs `work` once, in the background: tried again every 5 s while it
/// fails (the database away), until it succeeds or `shutdown` — re-sealing
/// personal data under a new key, which need not hold up the start.
pub async fn once_in_background<F, Fut, E>(what: &'static str, shutdown: CancellationToken, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, E>>,
    E: std::fmt::Display,
{
    loop {
        match work().await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(count = n, "{what}");
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "failed, trying again: {what}"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

/// Runs a sweep now and then every `every` until `shutdown` — the deadline
/// timers (escalation, overdue requests, statutory clocks). `sweep` answers
/// how many items it handled; they are logged as `what`, failures warned
/// about and tried again at the next tick. Time inside a sweep comes from
/// the business clock, so tests move time instead of waiting.
pub async fn sweep_every<F, Fut, E>(what: &'static str, every: Duration, shutdown: CancellationToken, mut sweep: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, E>>,
    E: std::fmt::Display,
{
    loop {
        match sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "{what}"),
            Err(e) => tracing::warn!(error = %e, "sweep failed: {what}"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
