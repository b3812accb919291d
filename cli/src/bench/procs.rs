//! CPU time and memory of the system's processes, read from `/proc`.

use std::{collections::BTreeMap, path::Path, time::Duration};

/// Linux reports CPU time in clock ticks of 1/100 s on every platform the
/// services are built for (`getconf CLK_TCK`).
const TICKS_PER_SECOND: f64 = 100.0;

/// One watched process.
#[derive(Debug, Clone)]
pub struct Watched {
    pub name: String,
    pub pid: u32,
}

/// The dualnet processes of this machine: the four services, `dualnet up`,
/// and for context the broker and the database server.
pub fn discover() -> Vec<Watched> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == std::process::id() {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let Some(program) = args.first().map(|a| Path::new(a).file_name().map(|f| f.to_string_lossy().into_owned()))
        else {
            continue;
        };
        let name = match program.as_deref() {
            Some(p @ ("governance-grid" | "party-grid" | "complaints" | "arbitration")) => p.to_string(),
            Some("dualnet") if args.get(1).is_some_and(|a| a == "up") => "dualnet up".to_string(),
            Some("tansu") => "broker (tansu)".to_string(),
            Some("java") if args.iter().any(|a| a == "kafka.Kafka") => "broker (kafka)".to_string(),
            // The server's main process; its backends are its children.
            Some("postgres") if !parent_is_postgres(pid) => "postgresql".to_string(),
            _ => continue,
        };
        found.push(Watched { name, pid });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.pid.cmp(&b.pid)));
    found
}

fn parent_is_postgres(pid: u32) -> bool {
    let Some((ppid, _)) = stat(pid) else { return false };
    std::fs::read_to_string(format!("/proc/{ppid}/comm")).is_ok_and(|c| c.trim() == "postgres")
}

/// `name=pid` as given on the command line.
pub fn parse(spec: &str) -> Result<Watched, String> {
    let (name, pid) = spec.split_once('=').ok_or_else(|| format!("expected NAME=PID, got {spec:?}"))?;
    let pid = pid.parse().map_err(|_| format!("not a process id: {pid:?}"))?;
    Ok(Watched { name: name.to_string(), pid })
}

/// `(parent pid, CPU ticks of the process and of its reaped children)`.
fn stat(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields count from after its `)`.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let ppid = fields.get(1)?.parse().ok()?;
    // utime, stime, cutime, cstime
    let ticks = (11..=14).map(|i| fields.get(i).and_then(|f| f.parse::<u64>().ok())).sum::<Option<u64>>()?;
    Some((ppid, ticks))
}

/// The live children of `pid` (a database server's backends).
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|c| stat(*c).is_some_and(|(ppid, _)| ppid == pid))
        .collect()
}

/// CPU time used so far by the process and its children, live or reaped.
pub fn cpu(pid: u32) -> Option<Duration> {
    let (_, own) = stat(pid)?;
    let live: u64 = children(pid).into_iter().filter_map(stat).map(|(_, t)| t).sum();
    Some(Duration::from_secs_f64((own + live) as f64 / TICKS_PER_SECOND))
}

/// Resident memory now, in bytes: the process's RSS plus the private memory
/// of its children (their shared memory is the parent's, counted once).
pub fn rss(pid: u32) -> Option<u64> {
    let own = status_kb(pid, "VmRSS:")?;
    let private: u64 = children(pid).into_iter().filter_map(|c| status_kb(c, "RssAnon:")).sum();
    Some((own + private) * 1024)
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Per name (processes of one name summed): CPU at the start, RSS before the
/// load, and the highest RSS sampled while it ran.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    pub pids: Vec<u32>,
    pub cpu_start: Duration,
    pub cpu: Duration,
    pub idle_rss: u64,
    pub peak_rss: u64,
}

pub struct Sampler {
    watched: Vec<Watched>,
    pub usage: BTreeMap<String, Usage>,
}

impl Sampler {
    pub fn start(watched: Vec<Watched>) -> Self {
        let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
        for w in &watched {
            let u = usage.entry(w.name.clone()).or_default();
            u.pids.push(w.pid);
            u.cpu_start += cpu(w.pid).unwrap_or_default();
            u.idle_rss += rss(w.pid).unwrap_or_default();
        }
        for u in usage.values_mut() {
            u.peak_rss = u.idle_rss;
        }
        Self { watched, usage }
    }

    /// One sample of memory; call it every 100 ms or so while the load runs.
    pub fn sample(&mut self) {
        for (name, u) in &mut self.usage {
            let now: u64 = self.watched.iter().filter(|w| &w.name == name).filter_map(|w| rss(w.pid)).sum();
            u.peak_rss = u.peak_rss.max(now);
        }
    }

    /// Ends the measurement: CPU used since `start`.
    pub fn finish(&mut self) {
        for (name, u) in &mut self.usage {
            let now: Duration = self.watched.iter().filter(|w| &w.name == name).filter_map(|w| cpu(w.pid)).sum();
            u.cpu = now.saturating_sub(u.cpu_start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let me = std::process::id();
        // Burn a little CPU so the tick counter moves.
        let mut x = 0u64;
        let t = std::time::Instant::now();
        while t.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        assert!(x != 1);
        assert!(cpu(me).is_some());
        assert!(rss(me).unwrap() > 1024 * 1024);
    }

    #[test]
    fn process_specs_name_a_pid() {
        let w = parse("complaints=42").unwrap();
        assert_eq!((w.name.as_str(), w.pid), ("complaints", 42));
        assert!(parse("complaints").is_err());
        assert!(parse("complaints=x").is_err());
    }
}
