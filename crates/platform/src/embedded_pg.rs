//! A private PostgreSQL server started from the machine's own server
//! binaries, for one-node runs without a configured database. PostgreSQL
//! refuses to run as root, so as root the cluster runs as the `postgres`
//! user. Stopped when dropped.
//!
//! The server listens on no TCP port at all, only on a Unix socket inside its
//! own directory (mode 0700, owned by the server's user): no other local
//! account can reach it, and no port has to be picked that another process
//! might take first.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use tokio_util::sync::CancellationToken;

pub struct EmbeddedPostgres {
    bin: PathBuf,
    dir: PathBuf,
    /// Remove `dir` on stop (a throwaway cluster).
    temporary: bool,
    run_as: Option<String>,
}

/// Names the socket file (`.s.PGSQL.5432`); no TCP port is opened.
const SOCKET_PORT: u16 = 5432;

/// The directory with `initdb` and `pg_ctl`: `DUALNET_PG_BIN`, then the
/// newest `/usr/lib/postgresql/*/bin`, then `pg_config --bindir`.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("DUALNET_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Ok(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().context("no PostgreSQL server binaries found")?;
    let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !bin.join("initdb").exists() {
        bail!("no PostgreSQL server binaries found (install postgresql, or set DUALNET_PG_BIN)");
    }
    Ok(bin)
}

fn is_root() -> bool {
    // The effective uid, without libc: /proc/self/status "Uid: real effective …".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

impl EmbeddedPostgres {
    /// Starts a cluster in `data_dir` (kept across runs), or in a new
    /// temporary directory removed on stop.
    pub fn start(data_dir: Option<&Path>) -> anyhow::Result<Self> {
        let bin = find_bin_dir()?;
        let (dir, temporary) = match data_dir {
            Some(d) => (d.to_path_buf(), false),
            None => (std::env::temp_dir().join(format!("dualnet-pg-{}", uuid::Uuid::now_v7())), true),
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", dir.display()))?;
        let run_as = is_root().then(|| "postgres".to_string());
        // The server's user gets the directory and the cluster, not what
        // else lives beside them (`dualnet up`'s sealing key stays root's).
        if let Some(user) = &run_as {
            let mut chown = Command::new("chown");
            chown.arg(user).arg(&dir);
            let data = dir.join("data");
            let status = if data.exists() {
                let own_dir = chown.status()?;
                if own_dir.success() { Command::new("chown").arg("-R").arg(user).arg(&data).status()? } else { own_dir }
            } else {
                chown.status()?
            };
            if !status.success() {
                bail!("cannot hand {} to the {user} user", dir.display());
            }
        }
        let mut pg = Self { bin, dir, temporary, run_as };
        if !pg.dir.join("data/PG_VERSION").exists() {
            let data = pg.dir.join("data");
            pg.run("initdb", &["-D", path(&data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])?;
        }
        if let Err(e) = pg.launch() {
            pg.temporary = false;
            return Err(e);
        }
        Ok(pg)
    }

    /// Starts the server of an existing cluster and waits until it accepts
    /// connections (after a crash, once it has recovered from its WAL).
    pub fn launch(&self) -> anyhow::Result<()> {
        let options =
            format!("-p {SOCKET_PORT} -k {} -c listen_addresses= -c unix_socket_permissions=0700", self.dir.display());
        let (data, log) = (self.dir.join("data"), self.dir.join("log"));
        self.run("pg_ctl", &["-D", path(&data), "-l", path(&log), "-o", &options, "-w", "-t", "120", "start"])
            .map_err(|e| e.context(format!("see {}", log.display())))
    }

    /// The process id of the running server (its postmaster), if it runs.
    pub fn pid(&self) -> Option<u32> {
        // postmaster.pid's first line; the file outlives a killed server, so
        // the process itself must still be there.
        let text = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).ok()?;
        let pid: u32 = text.lines().next()?.trim().parse().ok()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let zombie = status.lines().any(|l| l.starts_with("State:") && l.contains('Z'));
        (!zombie && status.lines().any(|l| l.starts_with("Name:") && l.contains("postgres"))).then_some(pid)
    }

    /// Whether the server runs.
    pub fn is_running(&self) -> bool {
        self.pid().is_some()
    }

    /// Stops the server: `mode` is `pg_ctl`'s (`fast`, `immediate`: no
    /// checkpoint, as a crash leaves it).
    pub fn stop(&self, mode: &str) -> anyhow::Result<()> {
        let data = self.dir.join("data");
        self.run("pg_ctl", &["-D", path(&data), "-m", mode, "-w", "stop"])
    }

    /// A URL of database `db` on this server, through its socket.
    pub fn url(&self, db: &str) -> String {
        let socket: String = path(&self.dir)
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("postgres://postgres@localhost:{SOCKET_PORT}/{db}?host={socket}")
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd.args(args).current_dir(&self.dir).output().with_context(|| format!("running {tool}"))?;
        if !out.status.success() {
            bail!("{tool} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }
}

/// How often the watch looks at the server, and how many starts in a row
/// may fail before the node gives up.
const WATCH_EVERY: Duration = Duration::from_secs(1);
const STARTS_BEFORE_GIVING_UP: u32 = 5;

impl EmbeddedPostgres {
    /// Keeps the server running until `shutdown`: a server that died (killed,
    /// crashed, stopped by hand) is started again on its data directory,
    /// which recovers every committed change from the WAL. Meanwhile the
    /// services' consumers and relays wait on the database (an
    /// infrastructure fault, never a dead letter). Fails when the server
    /// cannot be started `STARTS_BEFORE_GIVING_UP` times in a row: the node
    /// must then stop rather than serve without its database.
    pub async fn keep_running(self: Arc<Self>, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut failed = 0;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(WATCH_EVERY) => {}
            }
            if self.is_running() {
                failed = 0;
                continue;
            }
            tracing::warn!(dir = %self.dir.display(), "the private PostgreSQL is not running; starting it again");
            let pg = self.clone();
            match tokio::task::spawn_blocking(move || pg.launch()).await? {
                Ok(()) => {
                    failed = 0;
                    tracing::info!("the private PostgreSQL runs again");
                }
                Err(e) => {
                    failed += 1;
                    tracing::error!(error = %format!("{e:#}"), failed, "the private PostgreSQL did not start");
                    if failed >= STARTS_BEFORE_GIVING_UP {
                        return Err(e.context(format!(
                            "the private PostgreSQL in {} stopped and could not be started again",
                            self.dir.display()
                        )));
                    }
                }
            }
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if self.is_running()
            && let Err(e) = self.stop("fast")
        {
            tracing::warn!(error = %e, "stopping the private PostgreSQL");
        }
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
