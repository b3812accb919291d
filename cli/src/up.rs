//! `dualnet up`: the four services in one process, one gRPC port, the
//! PostgreSQL log as transport; a private PostgreSQL when none is configured.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;
use dualnet_platform::{
    clock::SystemClock,
    config::{Config, Secret, TransportKind},
    db,
    embedded_pg::EmbeddedPostgres,
    grpc_server, metrics,
    service::{self, Deps, ServiceDef},
    telemetry,
};
use tokio::net::TcpListener;

#[derive(clap::Args)]
pub struct Args {
    /// gRPC address for all four APIs.
    #[arg(long, default_value = "127.0.0.1:50050")]
    listen: SocketAddr,
    /// complaints' Open311 GeoReport v2 face (HTTP, JSON); `open311.listen`
    /// in the configuration takes precedence.
    #[arg(long, default_value = "127.0.0.1:8311")]
    open311: SocketAddr,
    /// governance-grid's public feed of community notices (HTTP: JSON and
    /// Atom, no token); `notices.listen` in the configuration takes precedence.
    #[arg(long, default_value = "127.0.0.1:8320")]
    notices: SocketAddr,
    /// Seed a small Bantian-like map and party tree, then print an example call.
    #[arg(long)]
    demo: bool,
    /// Keep the private PostgreSQL's data here across runs (default: a
    /// temporary directory removed on exit).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// The database of the PostgreSQL log transport.
const LOG_DATABASE: &str = "dualnet_log";

/// Where the services' databases live: a configured server (its URL used
/// as given), or the private one, where each service signs in as a role of
/// its own named after its database, with a password made for this run.
struct Databases {
    server: String,
    /// The private server's service roles' passwords, by database.
    roles: Option<std::collections::HashMap<String, String>>,
}

impl Databases {
    async fn private(pg: &EmbeddedPostgres) -> anyhow::Result<Self> {
        let admin = pg.url("postgres");
        let mut roles = std::collections::HashMap::new();
        for db in SERVICES.iter().map(|d| d.database).chain([LOG_DATABASE]) {
            let password = dualnet_platform::embedded_pg::generate_password();
            db::provision(&admin, db, db, &password).await.with_context(|| format!("provisioning {db}"))?;
            roles.insert(db.to_string(), pg.url_for(db, &password, db));
        }
        Ok(Self { server: admin, roles: Some(roles) })
    }

    /// The URL a service uses for `database`.
    fn url(&self, database: &str) -> String {
        match self.roles.as_ref().and_then(|r| r.get(database)) {
            Some(url) => url.clone(),
            None => db::with_database(&self.server, database),
        }
    }

    /// On the private server, hands the audit tables to the superuser once
    /// the service's migrations ran; a configured server is its operator's.
    async fn lock_audit(&self, database: &str) -> anyhow::Result<()> {
        if self.roles.is_none() {
            return Ok(());
        }
        db::lock_audit_tables(&db::with_database(&self.server, database), database).await
    }
}

/// The key id of a key made for one run.
const SESSION_KID: &str = "up";

/// How long the admin token printed for a run's own key lasts.
const SESSION_TOKEN_TTL_S: i64 = 3600;

pub const SERVICES: [&ServiceDef; 4] =
    [&governance_grid::DEFINITION, &party_grid::DEFINITION, &complaints::DEFINITION, &arbitration::DEFINITION];

/// The sealing key kept in `dir` (`sealing.key`, mode 0600), made on the
/// first run: the same data directory opens what earlier runs sealed.
fn sealing_key_in(dir: &std::path::Path) -> anyhow::Result<String> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let file = dir.join("sealing.key");
    match std::fs::read_to_string(&file) {
        Ok(key) => return Ok(key.trim().to_string()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("reading {}", file.display()));
        }
        Err(_) => {}
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = dualnet_platform::auth::generate_key();
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .with_context(|| format!("creating {}", file.display()))?;
    writeln!(out, "{key}").with_context(|| format!("writing {}", file.display()))?;
    Ok(key)
}

pub async fn run(args: Args, mut config: Config) -> anyhow::Result<()> {
    if let Some(path) = &config.address_file {
        dualnet_platform::addresses::record_to(path.clone());
    }
    let _telemetry = telemetry::init("dualnet", &config.telemetry)?;
    // Authentication is on unless disabled: a node without keys makes one
    // for this run and prints an admin token.
    let session_key = config.auth.keys.is_empty() && !config.auth.disabled;
    if session_key {
        config.auth.keys.insert(SESSION_KID.into(), Secret::new(dualnet_platform::auth::generate_key()));
        config.auth.signing_kid = Some(SESSION_KID.into());
    }
    // Personal data is sealed unless disabled: a key kept under --data-dir
    // (made on the first run, readable by this account only), or for a
    // throw-away run one made for the run.
    if config.personal_data.keys.is_empty() && !config.personal_data.disabled {
        let key = match &args.data_dir {
            Some(dir) => sealing_key_in(dir)?,
            None => dualnet_platform::auth::generate_key(),
        };
        config.personal_data.keys.insert(SESSION_KID.into(), Secret::new(key));
        config.personal_data.current = Some(SESSION_KID.into());
    }
    let metrics = metrics::init("dualnet", &config.telemetry)?;
    // The private server lives as long as this function; dropping it stops it.
    let mut private = None;
    let databases = match &config.database.url {
        Some(url) => Databases { server: url.expose().to_string(), roles: None },
        None => {
            let pg = EmbeddedPostgres::start(args.data_dir.as_deref()).context("starting a private PostgreSQL")?;
            tracing::info!("private PostgreSQL started");
            let databases = Databases::private(&pg).await.context("the private PostgreSQL's roles")?;
            private = Some(Arc::new(pg));
            databases
        }
    };
    config.transport.kind = TransportKind::Pglog;
    config.open311.listen = config.open311.listen.or(Some(args.open311));
    config.notices.listen = config.notices.listen.or(Some(args.notices));
    config.transport.log_database_url = Some(Secret::new(databases.url(LOG_DATABASE)));
    // How to benchmark this node: the superuser's URL, its password read
    // from the file rather than printed.
    let bench_hint = private
        .as_ref()
        .map(|pg| pg.url_for("postgres", &format!("$(cat {})", pg.password_file().display()), "postgres"));
    let shutdown = service::shutdown_on_signal();
    // A private server that dies is started again; one that cannot be
    // stops the node, with the reason as its exit.
    let watch = private.clone().map(|pg| {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let kept = pg.keep_running(shutdown.clone()).await;
            shutdown.cancel();
            kept
        })
    });
    let result = serve(args, config, session_key, &databases, bench_hint, metrics, shutdown.clone()).await;
    shutdown.cancel();
    if let Some(watch) = watch {
        watch.await??;
    }
    drop(private);
    result
}

async fn serve(
    args: Args,
    config: Config,
    session_key: bool,
    databases: &Databases,
    bench_hint: Option<String>,
    metrics: Arc<dualnet_platform::metrics::Metrics>,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let transport = service::transport(&config).await?;
    let config = Arc::new(config);
    if let Some(at) = config.telemetry.metrics_listen {
        tokio::spawn(metrics::serve(at, metrics, shutdown.clone()));
    }
    let readiness = service::Readiness::default();
    let mut registers = Vec::new();
    let mut health = Vec::new();
    let mut tasks = Vec::new();
    for def in SERVICES {
        let url = databases.url(def.database);
        let pool = service::open_database(&url, config.database.max_connections, def.migrator)
            .await
            .with_context(|| format!("database of {}", def.name))?;
        databases.lock_audit(def.database).await.with_context(|| format!("the audit tables of {}", def.name))?;
        let deps = Deps {
            pool,
            transport: transport.clone(),
            clock: Arc::new(SystemClock),
            config: config.clone(),
            readiness: readiness.clone(),
        };
        let started = (def.start)(deps, shutdown.clone()).await.with_context(|| format!("starting {}", def.name))?;
        registers.push(started.register);
        health.push(started.health);
        tasks.extend(started.tasks);
    }
    let listener = TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    dualnet_platform::addresses::bound("grpc", addr);
    tracing::info!(%addr, "dualnet is serving all four APIs");
    // The Open311 face as bound (its configured port may be 0).
    let open311 = dualnet_platform::addresses::of("open311").or(config.open311.listen);
    let notices = dualnet_platform::addresses::of("notices").or(config.notices.listen);
    let http = crate::demo::Http { open311, notices };
    let stop = shutdown.clone();
    let admission = service::admission(&config)?;
    let authenticated = !config.auth.keys.is_empty();
    print_authentication(&config, session_key)?;
    let server =
        tokio::spawn(async move { grpc_server::serve(listener, registers, &health, readiness, admission, stop).await });
    if args.demo {
        let endpoint = format!("http://{addr}");
        let bearer = crate::bearer::Bearer::new(demo_token(&config)?.as_deref())?;
        match crate::demo::seed(&endpoint, &endpoint, &bearer).await {
            Ok(seeded) => crate::demo::print(addr, http, &seeded, authenticated),
            Err(e) => {
                shutdown.cancel();
                return Err(e.context("seeding the demo"));
            }
        }
    } else {
        crate::demo::print_endpoints(addr, http);
    }
    if let Some(url) = bench_hint {
        print_bench_hint(addr, &url);
    }
    let served = server.await?;
    shutdown.cancel();
    for task in tasks {
        let _ = task.await;
    }
    served
}

/// With authentication on, the demo seeds as an admin, with a token minted
/// from the configured signing key for a few minutes.
fn demo_token(config: &Config) -> anyhow::Result<Option<String>> {
    if config.auth.keys.is_empty() {
        return Ok(None);
    }
    let claims = dualnet_platform::auth::Claims::issue(
        &config.auth,
        "dualnet-demo",
        "demo",
        vec!["admin".into()],
        Default::default(),
        300,
    );
    Ok(Some(dualnet_platform::auth::mint(&config.auth, &claims).context("minting the demo's token")?))
}

/// Says whether callers need a token and, for a key made for this run,
/// prints an admin token to use.
#[allow(clippy::print_stdout)]
fn print_authentication(config: &Config, session_key: bool) -> anyhow::Result<()> {
    if config.auth.keys.is_empty() {
        println!("Authentication is off (auth.disabled): every caller may do anything.");
    } else if session_key {
        let claims = dualnet_platform::auth::Claims::issue(
            &config.auth,
            "dualnet-up",
            "local",
            vec!["admin".into()],
            Default::default(),
            SESSION_TOKEN_TTL_S,
        );
        let token = dualnet_platform::auth::mint(&config.auth, &claims).context("minting the admin token")?;
        println!("Authentication is on, with a signing key made for this run (configure auth.keys to keep one, or set");
        println!("auth.disabled = true to serve without). An admin token for one hour (`dualnet token` mints more):");
        println!("  export DUALNET_TOKEN={token}");
    } else {
        println!("Authentication is on (auth.keys): send tokens your issuer mints, or `dualnet token …`.");
    }
    println!();
    Ok(())
}

/// How to point `dualnet bench` at this node: it observes the linkage on
/// the node's PostgreSQL log.
#[allow(clippy::print_stdout)]
fn print_bench_hint(addr: SocketAddr, server_url: &str) {
    println!();
    println!("Benchmark this node (the event log lives on its private PostgreSQL):");
    println!(
        "  DUALNET_TRANSPORT__KIND=pglog DUALNET_TRANSPORT__LOG_DATABASE_URL={} DUALNET_DATABASE__URL={server_url} \\\n    dualnet bench --endpoint http://{addr} --complaints 1000 --rate 100",
        db::with_database(server_url, LOG_DATABASE)
    );
}

#[cfg(test)]
mod tests {
    use dualnet_platform::db::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(with_database("postgres://u:p@h:5432/postgres", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(with_database("postgres://h/db?sslmode=require", "x"), "postgres://h/x?sslmode=require");
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
