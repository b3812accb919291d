//! A private PostgreSQL server started from the machine's own server
//! binaries, for one-node runs without a configured database. PostgreSQL
//! refuses to run as root, so as root the cluster runs as the `postgres`
//! user. Stopped when dropped.
//!
//! The server listens on no TCP port at all, only on a Unix socket inside its
//! own directory (mode 0700, owned by the server's user): no other local
//! account can reach it, and no port has to be picked that another process
//! might take first. Even through the socket every role signs in with its
//! password (scram-sha-256): the superuser's is generated on the first start
//! and kept in `superuser.password` (mode 0600, the starting account's, not
//! the server user's), and the services get roles of their own
//! (`crate::db::provision`), never the superuser.

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
    /// The superuser's password.
    password: String,
}

/// Who may connect, and how: the socket only, every role with its password.
const HBA: &str = "# dualnet: the Unix socket only; every role signs in with its password\n\
                   local all all scram-sha-256\n";

/// A fresh password: 64 hex digits from the system's random source.
pub fn generate_password() -> String {
    use aes_gcm::aead::{OsRng, rand_core::RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        let password = superuser_password(&dir)?;
        let mut pg = Self { bin, dir, temporary, run_as, password };
        if !pg.dir.join("data/PG_VERSION").exists() {
            let data = pg.dir.join("data");
            pg.run("initdb", &["-D", path(&data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])?;
        }
        if let Err(e) = pg.launch().and_then(|()| pg.require_passwords()) {
            pg.temporary = false;
            return Err(e);
        }
        Ok(pg)
    }

    /// Turns password sign-in on, once per cluster: while `pg_hba.conf` is
    /// not yet ours (a new cluster, or one made before passwords), the
    /// superuser's password is set through the still-trusted socket, then
    /// the rules are replaced and the server reloads them.
    fn require_passwords(&self) -> anyhow::Result<()> {
        let hba = self.dir.join("data/pg_hba.conf");
        if std::fs::read_to_string(&hba).unwrap_or_default() == HBA {
            return Ok(());
        }
        // The statement goes through a file only the server's user reads,
        // so the password is never on a command line.
        let script = self.dir.join("data/.dualnet-password.sql");
        std::fs::write(&script, format!("ALTER ROLE postgres PASSWORD '{}';\n", self.password))?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o600))?;
        if let Some(user) = &self.run_as {
            Command::new("chown").arg(user).arg(&script).status()?;
        }
        let socket = path(&self.dir).to_string();
        let port = SOCKET_PORT.to_string();
        let set = self.run(
            "psql",
            &[
                "-h",
                &socket,
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-f",
                path(&script),
            ],
        );
        let _ = std::fs::remove_file(&script);
        set.context("setting the superuser's password")?;
        std::fs::write(&hba, HBA).with_context(|| format!("writing {}", hba.display()))?;
        self.run("pg_ctl", &["-D", path(&self.dir.join("data")), "reload"])
    }

    /// Where the superuser's password is kept.
    pub fn password_file(&self) -> PathBuf {
        self.dir.join("superuser.password")
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
        format!("postgres://postgres:{}@localhost:{SOCKET_PORT}/{db}?host={socket}", self.password)
    }

    /// A URL of database `db` for `role` signing in with `password`.
    pub fn url_for(&self, role: &str, password: &str, db: &str) -> String {
        self.url(db).replacen(&format!("postgres:{}@", self.password), &format!("{role}:{password}@"), 1)
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

/// The superuser's password kept in `dir`, made (mode 0600) on the first start.
fn superuser_password(dir: &Path) -> anyhow::Result<String> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let file = dir.join("superuser.password");
    match std::fs::read_to_string(&file) {
        Ok(p) if !p.trim().is_empty() => return Ok(p.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("reading {}", file.display()));
        }
        Err(_) => {}
    }
    let password = generate_password();
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&file)
        .with_context(|| format!("creating {}", file.display()))?;
    writeln!(out, "{password}")?;
    Ok(password)
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
