//! Configuration: defaults ← optional TOML file ← `DUALNET_…` environment
//! variables (`DUALNET_KAFKA__BOOTSTRAP_SERVERS` sets `kafka.bootstrap_servers`),
//! validated at start. Secrets (database URLs) never print.

use std::{collections::BTreeMap, fmt, net::SocketAddr, path::Path};

use anyhow::{Context, bail};
use serde::Deserialize;

pub use notices::NoticesConfig;
pub use open311::Open311Config;
pub use retention::RetentionConfig;

/// A value that must not reach logs: `Debug` and `Display` print `***`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// gRPC listen address; each service has its own default port.
    pub listen: Option<SocketAddr>,
    /// Where the process writes the addresses it bound (`grpc=…`,
    /// `open311=…`, `metrics=…`), for a supervisor that starts it on port 0.
    pub address_file: Option<std::path::PathBuf>,
    pub database: DatabaseConfig,
    pub transport: TransportConfig,
    pub kafka: KafkaConfig,
    pub telemetry: TelemetryConfig,
    pub consumer: ConsumerConfig,
    pub relay: RelayConfig,
    pub retention: RetentionConfig,
    pub deadlines: DeadlineConfig,
    pub statistics: StatisticsConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub tls: TlsConfig,
    pub personal_data: PersonalDataConfig,
    pub calendar: CalendarConfig,
    pub arbitration: ArbitrationConfig,
    pub open311: Open311Config,
    pub notices: NoticesConfig,
    pub shutdown: ShutdownConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// After SIGTERM: how long in-flight work (requests, the event being
    /// applied, the outbox flush, the offset commit) may take before the
    /// process exits anyway. What is cut short is redone after restart.
    pub grace_ms: u64,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self { grace_ms: 10_000 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArbitrationConfig {
    /// The commission's city: its monthly minimum wage, at the figure in
    /// force on the day of an award, twelve times over, bounds a final award
    /// (LDMAL Art. 47).
    pub city: String,
    /// A table of minimum wages by city and date of effect replacing the
    /// shipped one (`crates/platform/data/minimum-wage-cn.toml`).
    pub minimum_wage_file: Option<std::path::PathBuf>,
}

impl Default for ArbitrationConfig {
    fn default() -> Self {
        Self { city: "Shenzhen".into(), minimum_wage_file: None }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// Holidays and swapped working days (format of the shipped
    /// `crates/platform/data/holidays-cn.toml`); the shipped PRC schedule
    /// when unset.
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The service's own database; created at start when missing and the
    /// role may create databases.
    pub url: Option<Secret>,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: None, max_connections: 10 }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    #[default]
    Kafka,
    /// The PostgreSQL log (one node, no broker).
    Pglog,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TransportConfig {
    pub kind: TransportKind,
    /// The log database of the `pglog` transport.
    pub log_database_url: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    pub bootstrap_servers: String,
    /// Partitions of topics this service creates.
    pub partitions: i32,
    pub replication: i32,
    /// Prefix of every topic and consumer group on the broker (e.g.
    /// `staging.`), for several deployments on one cluster. Empty by default.
    pub namespace: String,
    /// Any librdkafka property, passed through (SSL, SASL, tuning). From the
    /// environment: `DUALNET_KAFKA__PROPERTIES__SECURITY_PROTOCOL=ssl` sets
    /// `security.protocol`.
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            bootstrap_servers: "127.0.0.1:9092".into(),
            partitions: 3,
            replication: 1,
            namespace: String::new(),
            properties: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// OTLP/gRPC endpoint (e.g. `http://127.0.0.1:4317`); spans are exported
    /// only when set.
    pub otlp_endpoint: Option<String>,
    /// `tracing` filter directives.
    pub log: String,
    /// Log lines as JSON instead of text.
    pub json: bool,
    /// Serve Prometheus metrics on `GET /metrics` here; off when unset.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self { otlp_endpoint: None, log: "info,sqlx::postgres::notice=warn".into(), json: false, metrics_listen: None }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsumerConfig {
    /// Attempts of a failing event before it is dead-lettered.
    pub max_attempts: u32,
    pub backoff_ms: u64,
    /// The longest wait between attempts while the database is unreachable
    /// (an infrastructure fault is retried for as long as it lasts).
    pub max_backoff_ms: u64,
    /// Events applied in one transaction at most, when that many are
    /// waiting (1 applies each in its own).
    pub batch: usize,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self { max_attempts: 5, backoff_ms: 100, max_backoff_ms: 5_000, batch: 64 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayConfig {
    pub batch: i64,
    /// Fallback poll when no NOTIFY arrives.
    pub poll_ms: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self { batch: 500, poll_ms: 500 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineConfig {
    /// How often overdue incidents are looked for (and escalated).
    pub sweep_ms: u64,
}

impl Default for DeadlineConfig {
    fn default() -> Self {
        Self { sweep_ms: 30_000 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticsConfig {
    /// How often changes to incidents are folded into the monthly rollups
    /// (figures are exact either way; folding keeps queries fast).
    pub fold_ms: u64,
    /// Changes folded per transaction at most.
    pub fold_batch: i64,
}

impl Default for StatisticsConfig {
    fn default() -> Self {
        Self { fold_ms: 1_000, fold_batch: 20_000 }
    }
}

/// TLS on the gRPC server; off unless a certificate is configured. (The
/// Kafka client takes its TLS/SASL settings from `kafka.properties`.)
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain of the server.
    pub cert_file: Option<std::path::PathBuf>,
    /// PEM private key of the server.
    pub key_file: Option<std::path::PathBuf>,
    /// PEM CA certificates; when set, callers must present a client
    /// certificate signed by one of them (mutual TLS).
    pub client_ca_file: Option<std::path::PathBuf>,
    /// The name `--health-check` expects in the server's certificate
    /// (default `localhost`); the probe trusts the certificates of
    /// `cert_file` (include the root of a CA-issued chain) and, under
    /// mutual TLS, presents the server's own certificate.
    pub probe_name: Option<String>,
}

/// Keys that seal residents' and workers' personal data at rest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersonalDataConfig {
    /// AES-256 keys by id: base64 of 32 random bytes (`openssl rand -base64 32`).
    pub keys: BTreeMap<String, Secret>,
    /// The key new data is sealed with; older keys only open.
    pub current: Option<String>,
    /// Store personal data unsealed. Without keys a service that holds
    /// personal data refuses to start unless this is set (a throw-away
    /// test deployment).
    pub disabled: bool,
}

/// Size limits on what callers and producers may send.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// A gRPC request message, or an Open311 request body, at most (a map
    /// import is the largest request).
    pub max_request_bytes: usize,
    /// Request metadata (headers) at most.
    pub max_header_bytes: u32,
    /// An event (payload and headers) a consumer accepts; a larger one is
    /// dead-lettered unapplied.
    pub max_event_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self { max_request_bytes: 4 << 20, max_header_bytes: 16 << 10, max_event_bytes: 1 << 20 }
    }
}

/// Bearer-token authentication. A service needs keys, or `disabled` said
/// out loud, to start; `dualnet up` makes a key for its run when it has none.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    /// HMAC-SHA256 secrets (at least 32 bytes) by key id: tokens name the
    /// key they were signed with, so keys rotate by adding a new id first.
    pub keys: BTreeMap<String, Secret>,
    /// The key `dualnet token` signs with.
    pub signing_kid: Option<String>,
    /// Clock skew tolerated on expiry, issue and not-before times, in seconds.
    pub leeway_s: u64,
    /// The longest a token may live (`exp` − `iat`), in seconds: a token
    /// minted for longer is refused, however it was signed.
    pub max_lifetime_s: u64,
    /// Serve without authentication (a developer's machine, a trusted
    /// network). A service with no keys refuses to start unless this is set.
    pub disabled: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "dualnet".into(),
            audience: "dualnet".into(),
            keys: BTreeMap::new(),
            signing_kid: None,
            leeway_s: 30,
            max_lifetime_s: 24 * 3600,
            disabled: false,
        }
    }
}

const SECTIONS: &[&str] = &[
    "listen",
    "address_file",
    "database",
    "transport",
    "kafka",
    "telemetry",
    "consumer",
    "relay",
    "retention",
    "deadlines",
    "statistics",
    "auth",
    "limits",
    "tls",
    "personal_data",
    "calendar",
    "arbitration",
    "open311",
    "notices",
    "shutdown",
];
const ENV_PREFIX: &str = "DUALNET_";

impl Config {
    /// Loads defaults ← `file` ← the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_from(file, std::env::vars())
    }

    pub fn load_from(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                toml::from_str::<toml::Table>(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (key, value) in env {
            let Some(rest) = key.strip_prefix(ENV_PREFIX) else { continue };
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            if !SECTIONS.contains(&path[0].as_str()) {
                continue;
            }
            set(&mut table, &path, &value);
        }
        let config: Config = toml::Value::Table(table).try_into().context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.transport.kind == TransportKind::Kafka && self.kafka.bootstrap_servers.trim().is_empty() {
            bail!("kafka.bootstrap_servers must be set for the kafka transport");
        }
        if self.kafka.partitions < 1 || self.kafka.replication < 1 {
            bail!("kafka.partitions and kafka.replication must be at least 1");
        }
        if let Some(c) = self.open311.public_categories.iter().find(|c| c.starts_with("labour")) {
            bail!("open311.public_categories: {c} is a labour category, which is never public");
        }
        if self.database.max_connections < 2 {
            bail!("database.max_connections must be at least 2 (the relay and a consumer hold one each)");
        }
        if self.consumer.max_attempts < 1 {
            bail!("consumer.max_attempts must be at least 1");
        }
        if !(1..=10_000).contains(&self.consumer.batch) {
            bail!("consumer.batch must be between 1 and 10000");
        }
        if self.deadlines.sweep_ms < 1 {
            bail!("deadlines.sweep_ms must be at least 1");
        }
        if self.statistics.fold_ms < 1 || self.statistics.fold_batch < 1 {
            bail!("statistics.fold_ms and statistics.fold_batch must be at least 1");
        }
        crate::calendar::Calendar::load(self.calendar.file.as_deref()).context("calendar.file")?;
        crate::auth::Verifier::from_config(&self.auth)?;
        if let Some(kid) = self.open311.keys.keys().find(|k| self.auth.keys.contains_key(*k)) {
            bail!("open311.keys.{kid} has the id of a key in auth.keys: give Open311's keys ids of their own");
        }
        crate::auth::Verifier::from_config(&self.open311_auth())?;
        crate::sealing::Sealer::from_config(&self.personal_data)?;
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            bail!("tls.cert_file and tls.key_file go together");
        }
        if self.tls.client_ca_file.is_some() && self.tls.cert_file.is_none() {
            bail!("tls.client_ca_file needs tls.cert_file and tls.key_file");
        }
        let l = &self.limits;
        if l.max_request_bytes < 1024 || l.max_header_bytes < 1024 || l.max_event_bytes < 1024 {
            bail!("limits.max_request_bytes, max_header_bytes and max_event_bytes must be at least 1024");
        }
        crate::minimum_wage::MinimumWage::load(self.arbitration.minimum_wage_file.as_deref(), &self.arbitration.city)
            .context("arbitration.minimum_wage_file / arbitration.city")?;
        if self.relay.batch < 1 || self.relay.poll_ms < 1 {
            bail!("relay.batch and relay.poll_ms must be at least 1");
        }
        if self.retention.batch < 1 || self.retention.every_ms < 1 {
            bail!("retention.batch and retention.every_ms must be at least 1");
        }
        Ok(())
    }
}

/// Sets `path` in `table` to `raw`, read as a TOML value where it parses as
/// one (numbers, booleans) and as a string otherwise.
fn set(table: &mut toml::Table, path: &[String], raw: &str) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = table;
    for (i, p) in parents.iter().enumerate() {
        let entry = t.entry(p.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("table");
        if p == "properties" && i == parents.len() - 1 {
            // librdkafka property names use dots and are always strings.
            t.insert(last.replace('_', "."), toml::Value::String(raw.to_string()));
            return;
        }
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table())
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    t.insert(last.clone(), value);
}

mod notices;
mod open311;
mod retention;
#[cfg(test)]
mod tests;
