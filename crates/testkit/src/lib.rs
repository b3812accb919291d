//! Test support. Tests talk to real servers: the PostgreSQL named by
//! `DUALNET_TEST_DATABASE_URL` and the Kafka-protocol broker named by
//! `DUALNET_TEST_KAFKA` (both started by `scripts/test`).

#![cfg_attr(test, allow(clippy::too_many_lines))]

use std::{
    future::Future,
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

pub mod broker;
pub mod in_process;
pub mod proxy;
pub mod tokens;

pub use broker::{Halt, KafkaBroker};
pub use in_process::{InProcess, ServingStatus, WAIT};
pub use proxy::TcpProxy;

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::process::{Child, Command};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Variable `name`, which `scripts/test` sets (`why` says how).
fn set_by_scripts(name: &str, why: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {why}"))
}

fn required_env(name: &str) -> String {
    set_by_scripts(name, "run the tests through scripts/test, which starts PostgreSQL and the broker")
}

/// The path of a tool `scripts/test` installs and names in `var` (grpcurl,
/// promtool, Jaeger, the example subscribers, …).
pub fn tool(var: &str) -> String {
    set_by_scripts(var, "scripts/test installs the tool and sets it")
}

/// The fields an `INVALID_ARGUMENT` answer names, in its order.
pub fn field_violations(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("a token is ASCII"));
    request
}

/// The URL of the test server's `postgres` database.
pub fn admin_url() -> String {
    required_env("DUALNET_TEST_DATABASE_URL")
}

/// The test broker's bootstrap servers.
pub fn kafka_bootstrap() -> String {
    required_env("DUALNET_TEST_KAFKA")
}

/// The URL of database `name` on the test server.
pub fn url_of(name: &str) -> String {
    database_on(&admin_url(), name)
}

/// `server` (a URL of any database on it, perhaps with a `?query` such as
/// a socket `host=`) with database `name` instead.
pub fn database_on(server: &str, name: &str) -> String {
    let (path, query) = server.split_once('?').map_or((server, None), |(p, q)| (p, Some(q)));
    let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Creates a new, empty database on the test server and returns its URL.
pub async fn fresh_database(prefix: &str) -> String {
    fresh_database_on(&admin_url(), prefix).await
}

/// Creates a new, empty database on the server of `admin` (a test's own
/// server) and returns its URL.
pub async fn fresh_database_on(admin: &str, prefix: &str) -> String {
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::connect(admin).await.expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.expect("create test database");
    database_on(admin, &name)
}

/// A pool on a new, empty database.
pub async fn fresh_pool(prefix: &str) -> PgPool {
    let url = fresh_database(prefix).await;
    sqlx::postgres::PgPoolOptions::new().max_connections(8).connect(&url).await.expect("connect to test database")
}

/// A unique name for topics and groups of one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// A file a child process writes the addresses it bound to
/// (`DUALNET_ADDRESS_FILE`, `name=host:port` lines; see
/// `dualnet_platform::addresses`): the child binds port 0, the test reads
/// what it got.
pub struct AddressFile(PathBuf);

impl AddressFile {
    /// A path in the temporary directory that no other test uses.
    pub fn new(what: &str) -> Self {
        Self(std::env::temp_dir().join(format!("dualnet-test-{what}-{}.addresses", uuid::Uuid::now_v7().simple())))
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }

    /// The address recorded last for listener `name`, if any yet.
    pub fn get(&self, name: &str) -> Option<std::net::SocketAddr> {
        addresses_in(&std::fs::read_to_string(&self.0).ok()?, name)
    }

    /// Waits until listener `name` is recorded.
    pub async fn wait(&self, name: &str, within: Duration) -> std::net::SocketAddr {
        wait_for(&format!("the {name} address in {}", self.0.display()), within, || async { self.get(name) }).await
    }

    /// Forgets what an earlier run of the child recorded.
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The last address recorded for listener `name` in the text of an address
/// file.
pub fn addresses_in(text: &str, name: &str) -> Option<std::net::SocketAddr> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(n, _)| *n == name)
        .filter_map(|(_, a)| a.parse().ok())
        .next_back()
}

/// Polls `check` until it yields a value or `within` passes.
pub async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every page of a list, in order: `fetch` is given each page token (empty
/// for the first) and answers the page's items and the next token. Fails
/// the test after `max_pages`, which no walk should need.
pub async fn walk<T, F, Fut>(max_pages: usize, mut fetch: F) -> Vec<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = (Vec<T>, String)>,
{
    let (mut pages, mut token) = (Vec::new(), String::new());
    loop {
        let (items, next) = fetch(token).await;
        pages.push(items);
        assert!(pages.len() <= max_pages, "more than {max_pages} pages");
        if next.is_empty() {
            return pages;
        }
        token = next;
    }
}

/// The path of a workspace binary built beside the running test.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: build the workspace binaries first (cargo build --bins)", path.display());
    path
}

/// A service running as its own OS process. It binds port 0 for every
/// listener and writes the addresses it got to a file (`address_file`),
/// which `start` waits for: no port is picked in advance.
/// The sealing key of the tests' personal data (base64 of 32 bytes), under
/// the key id `test`: services that hold personal data refuse to start
/// without one.
pub const SEALING_KEY: &str = "ZHVhbG5ldC10ZXN0LXNlYWxpbmcta2V5LTMyYnl0ZXM=";

pub struct ServiceProcess {
    pub name: String,
    /// The gRPC address of the running process (0 until it reported one).
    pub addr: std::net::SocketAddr,
    env: Vec<(String, String)>,
    addresses: AddressFile,
    log: PathBuf,
    child: Option<Child>,
}

impl ServiceProcess {
    /// Starts binary `name` with `env` (its gRPC API on port 0) and waits
    /// until its gRPC health check answers SERVING. Without any
    /// `DUALNET_AUTH__…` setting in `env` it runs with authentication
    /// disabled (as a service must be told explicitly); tests of
    /// authentication give keys. Without any `DUALNET_PERSONAL_DATA__…`
    /// setting it seals personal data with [`SEALING_KEY`].
    pub async fn start(name: &str, mut env: Vec<(String, String)>) -> anyhow::Result<Self> {
        if !env.iter().any(|(k, _)| k.starts_with("DUALNET_AUTH__")) {
            env.push(("DUALNET_AUTH__DISABLED".into(), "true".into()));
        }
        if !env.iter().any(|(k, _)| k.starts_with("DUALNET_PERSONAL_DATA__")) {
            env.push(("DUALNET_PERSONAL_DATA__KEYS__TEST".into(), SEALING_KEY.into()));
            env.push(("DUALNET_PERSONAL_DATA__CURRENT".into(), "test".into()));
        }
        let addresses = AddressFile::new(name);
        let log = addresses.path().with_extension("log");
        let mut p = Self { name: name.to_string(), addr: ([127, 0, 0, 1], 0).into(), env, addresses, log, child: None };
        p.spawn().await?;
        Ok(p)
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the running process bound for listener `name` (`grpc`,
    /// `open311`, `metrics`).
    pub fn bound(&self, name: &str) -> Option<std::net::SocketAddr> {
        self.addresses.get(name)
    }

    /// Where the process writes its log (stderr).
    pub fn log_path(&self) -> PathBuf {
        self.log.clone()
    }

    /// The OS process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|c| c.id())
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = self.log_path();
        // A restarted process reports afresh.
        self.addresses.clear();
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let child = Command::new(binary(&self.name))
            .envs(self.env.iter().cloned())
            .env("DUALNET_LISTEN", "127.0.0.1:0")
            .env("DUALNET_ADDRESS_FILE", self.addresses.path())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.name))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(addr) = self.bound("grpc") {
                self.addr = addr;
                if self.serving().await {
                    return Ok(());
                }
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("{} exited with {status} (log: {})", self.name, log.display());
            }
            if Instant::now() > deadline {
                bail!("{} not serving after 60 s (log: {})", self.name, log.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn serving(&self) -> bool {
        let Ok(endpoint) = tonic::transport::Channel::from_shared(self.endpoint()) else { return false };
        let Ok(channel) = endpoint.connect().await else { return false };
        let mut client = HealthClient::new(channel);
        client
            .check(HealthCheckRequest { service: String::new() })
            .await
            .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// SIGTERM, then waits for the process to drain and exit; its status.
    pub async fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let mut child = self.child.take().context("not running")?;
        let pid = child.id().context("no pid")?;
        let sent = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await?;
        anyhow::ensure!(sent.success(), "kill -TERM {pid} failed");
        Ok(tokio::time::timeout(Duration::from_secs(60), child.wait()).await.context("no exit within 60 s")??)
    }

    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill().await;
        self.spawn().await
    }

    /// As an upgrade does it: SIGTERM, wait for the drained exit, start the
    /// process again (on a new port) and wait until it serves. The exit
    /// status of the stopped process.
    pub async fn restart_gracefully(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let status = self.terminate().await?;
        self.spawn().await?;
        Ok(status)
    }
}

/// One HTTP/1.1 exchange with a JSON answer, on a fresh connection: the
/// status code and the body (`null` when empty). Enough for the Open311
/// face; no client library needed.
pub async fn http_json(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<(u16, serde_json::Value)> {
    let (status, body) = http(addr, method, path, content_type, body).await?;
    let value = if body.trim().is_empty() { serde_json::Value::Null } else { serde_json::from_str(&body)? };
    Ok((status, value))
}

/// One HTTP/1.1 exchange on a fresh connection: the status code and the body.
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw)?;
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(|| anyhow::anyhow!("no header end in {text:?}"))?;
    let status: u16 = head.split_whitespace().nth(1).ok_or_else(|| anyhow::anyhow!("no status"))?.parse()?;
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        unchunk(rest)?
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn unchunk(mut rest: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").ok_or_else(|| anyhow::anyhow!("bad chunk"))?;
        let n = usize::from_str_radix(size.trim(), 16)?;
        if n == 0 {
            return Ok(out);
        }
        out.push_str(after.get(..n).ok_or_else(|| anyhow::anyhow!("short chunk"))?);
        rest = after.get(n + 2..).unwrap_or("");
    }
}

/// A small seeded pseudo-random sequence (xorshift64) for property tests
/// that walk state machines: the same seed replays the same walk.
pub struct Xorshift(u64);

impl Xorshift {
    pub fn seeded(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_database_on_a_server_keeps_its_host_and_query() {
        assert_eq!(database_on("postgres://u@127.0.0.1:5432/postgres", "x"), "postgres://u@127.0.0.1:5432/x");
        assert_eq!(
            database_on("postgres://postgres@localhost:5432/postgres?host=/tmp/pg-1", "x"),
            "postgres://postgres@localhost:5432/x?host=/tmp/pg-1"
        );
    }

    #[test]
    fn the_last_address_recorded_for_a_listener_is_found() {
        let text = "grpc=127.0.0.1:4000\nopen311=127.0.0.1:4001\ngrpc=127.0.0.1:4002\n";
        assert_eq!(addresses_in(text, "grpc"), Some("127.0.0.1:4002".parse().unwrap()));
        assert_eq!(addresses_in(text, "open311"), Some("127.0.0.1:4001".parse().unwrap()));
        assert_eq!(addresses_in(text, "metrics"), None);
    }
}
