//! A private Apache Kafka broker for the tests that stop and start one
//! (one KRaft node, from the jars `scripts/test` fetched, named by
//! `DUALNET_TEST_KAFKA_LIB`). Its client listener binds port 0 on the first
//! start and the same port again on a restart, so clients reconnect to the
//! address they know; its log directory survives restarts.

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

pub struct KafkaBroker {
    dir: PathBuf,
    lib: String,
    port: u16,
    child: Option<Child>,
    side: Option<Side>,
}

/// A second client listener whose clients are told to reach the broker at
/// another address (a test's proxy): cutting the proxy cuts them alone.
struct Side {
    advertised: std::net::SocketAddr,
    port: u16,
}

/// How a broker is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// SIGTERM: a controlled shutdown.
    Terminate,
    /// SIGKILL: the log is recovered at the next start.
    Kill,
}

impl KafkaBroker {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(None).await
    }

    /// A broker with a second listener for clients behind `proxy` (see
    /// [`crate::TcpProxy`]): they bootstrap through the proxy and are told
    /// to keep using it; [`side_listener`](Self::side_listener) is where
    /// the proxy forwards to.
    pub async fn start_behind(proxy: std::net::SocketAddr) -> anyhow::Result<Self> {
        Self::start_with(Some(Side { advertised: proxy, port: 0 })).await
    }

    async fn start_with(side: Option<Side>) -> anyhow::Result<Self> {
        let lib = std::env::var("DUALNET_TEST_KAFKA_LIB")
            .context("DUALNET_TEST_KAFKA_LIB is not set: run the tests through scripts/test")?;
        let dir = std::env::temp_dir().join(format!("dualnet-test-kafka-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let mut broker = Self { dir, lib: format!("{lib}/*"), port: 0, child: None, side };
        broker.spawn().await?;
        Ok(broker)
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The second listener's own address (to forward the proxy to).
    pub fn side_listener(&self) -> Option<std::net::SocketAddr> {
        self.side.as_ref().map(|s| ([127, 0, 0, 1], s.port).into())
    }

    pub async fn stop(&mut self, how: Halt) -> anyhow::Result<()> {
        let mut child = self.child.take().context("not running")?;
        let pid = child.id().context("no pid")?.to_string();
        let signal = if how == Halt::Kill { "-KILL" } else { "-TERM" };
        Command::new("kill").args([signal, &pid]).status().await?;
        tokio::time::timeout(Duration::from_secs(60), child.wait()).await.context("the broker did not stop")??;
        Ok(())
    }

    /// Starts the stopped broker again on its port, with its log.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        self.spawn().await
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        // The controller listener is the node's own: a random port below the
        // ephemeral range, and another one if that was taken.
        let mut last = String::new();
        let first_start = self.port == 0;
        for attempt in 0..5u16 {
            let pick = |n: u16| {
                let seed = uuid::Uuid::now_v7().as_u128() as u16;
                20_000 + (seed.wrapping_add(attempt * 977).wrapping_add(n * 3_001)) % 12_000
            };
            let controller = pick(0);
            // With a second listener the advertised addresses are written
            // out, so the broker's own ports are picked too (once: a restart
            // keeps them).
            if first_start && let Some(side) = self.side.as_mut() {
                self.port = pick(1);
                side.port = pick(2);
            }
            let log = self.dir.join("kafka.log");
            let props = self.dir.join("server.properties");
            std::fs::write(&props, self.properties(controller))?;
            if !self.dir.join("data/meta.properties").exists() {
                let out = Command::new("java")
                    .args(["-cp", &self.lib, "kafka.tools.StorageTool", "format", "-t", &cluster_id(), "-c"])
                    .arg(&props)
                    .output()
                    .await
                    .context("formatting the broker's log directory")?;
                if !out.status.success() {
                    bail!("kafka-storage format failed: {}", String::from_utf8_lossy(&out.stderr));
                }
            }
            // The broker logs (slf4j-simple) on stderr.
            let stderr = std::fs::File::create(&log)?;
            let mut child = Command::new("java")
                .args(["-Xms128m", "-Xmx512m", "-cp", &self.lib, "kafka.Kafka"])
                .arg(&props)
                .stdout(Stdio::null())
                .stderr(stderr)
                .kill_on_drop(true)
                .spawn()
                .context("starting the broker")?;
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains("Kafka Server started") {
                    let bound = text
                        .lines()
                        .filter_map(|l| l.split("Awaiting socket connections on 127.0.0.1:").nth(1))
                        .filter_map(|p| p.trim_end_matches('.').parse::<u16>().ok())
                        .rfind(|p| *p != controller)
                        .context("the broker named no client port")?;
                    if self.side.is_none() {
                        self.port = bound;
                    }
                    self.child = Some(child);
                    return Ok(());
                }
                if let Some(status) = child.try_wait()? {
                    last = format!("the broker exited with {status}: {}", tail(&text));
                    break;
                }
                if Instant::now() > deadline {
                    bail!("the broker did not start in 120 s: {}", tail(&text));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if !last.contains("Address already in use") || !first_start {
                bail!(last);
            }
        }
        bail!(last)
    }

    fn properties(&self, controller: u16) -> String {
        let mut props = PROPERTIES
            .replace("@PORT@", &self.port.to_string())
            .replace("@CONTROLLER@", &controller.to_string())
            .replace("@DATA@", &self.dir.join("data").display().to_string());
        if let Some(side) = &self.side {
            let listeners = format!("listeners=PLAINTEXT://127.0.0.1:{},", self.port);
            props = props
                .replace(&listeners, &format!("{listeners}SIDE://127.0.0.1:{},", side.port))
                .replace("CONTROLLER:PLAINTEXT", "CONTROLLER:PLAINTEXT,SIDE:PLAINTEXT");
            props.push_str(&format!(
                "advertised.listeners=PLAINTEXT://127.0.0.1:{},SIDE://{}\n",
                self.port, side.advertised
            ));
        }
        props
    }
}

/// The same broker settings `scripts/test` starts its broker with.
const PROPERTIES: &str = include_str!("../../../scripts/lib/kafka.properties");

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A KRaft cluster id: a random UUID in unpadded URL-safe base64.
fn cluster_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = uuid::Uuid::now_v7().into_bytes();
    let mut bits = 0u32;
    let mut held = 0;
    let mut out = String::with_capacity(22);
    for b in bytes {
        bits = (bits << 8) | u32::from(b);
        held += 8;
        while held >= 6 {
            held -= 6;
            out.push(ALPHABET[((bits >> held) & 63) as usize] as char);
        }
    }
    if held > 0 {
        out.push(ALPHABET[((bits << (6 - held)) & 63) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cluster_id_is_22_characters_of_url_safe_base64() {
        let id = super::cluster_id();
        assert_eq!(id.len(), 22);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{id}");
    }
}
