//! `dualnet bench`: drives a running system with complaints and measures how
//! fast each one reaches both networks, against the floor of the same broker
//! and database measured in the same run.
//!
//! - filing: the `FileComplaint` round trip;
//! - linkage: from `FileComplaint` returning to the party linkage task of
//!   that complaint's incident arriving on the event flow (observed through
//!   the events, never by polling a database);
//! - throughput: complaints that reached both networks per second;
//! - CPU seconds and RSS of each dualnet process, from `/proc`.

mod floor;
mod load;
mod observer;
mod procs;
mod report;
mod statistics;

use std::{
    io::IsTerminal,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use dualnet_platform::{
    config::{Config, TransportKind},
    service,
};
use dualnet_proto::complaints::v1::{self as cpb, complaints_client::ComplaintsClient};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use self::{
    load::{Timings, load, warm_up},
    observer::Observer,
    report::Latency,
};
use crate::bearer::Bearer;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    what: Option<What>,
    /// Complaints to file.
    #[arg(long, default_value_t = 1000)]
    complaints: usize,
    /// Complaints per second, open loop; 0 files as fast as `--concurrency`
    /// allows (closed loop).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Filings in flight at most.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// gRPC endpoint serving every API (`dualnet up`); the per-service
    /// options below take precedence.
    #[arg(long, default_value = "http://127.0.0.1:50050")]
    endpoint: String,
    #[arg(long)]
    governance: Option<String>,
    #[arg(long)]
    party: Option<String>,
    #[arg(long = "complaints-endpoint")]
    complaints_endpoint: Option<String>,
    /// A process to report CPU and memory of, as NAME=PID (repeatable);
    /// without it the dualnet processes of this machine are found in /proc.
    #[arg(long = "process")]
    processes: Vec<String>,
    /// Round trips measured for each floor.
    #[arg(long, default_value_t = 200)]
    floor_samples: usize,
    /// Give up on a complaint that has not reached both networks by then.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    /// Also write the results as JSON to this file (`-` for stdout).
    #[arg(long)]
    json: Option<String>,
    /// A name for this run, carried into the JSON.
    #[arg(long, default_value = "")]
    label: String,
    /// Bearer token for systems with authentication on (it needs the
    /// report, import and bind permissions, e.g. `admin`).
    #[arg(long, env = "DUALNET_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(clap::Subcommand)]
enum What {
    /// Load a year of incidents (1,000,000 by default) into governance-grid's
    /// database and time the statistics RPC over it.
    Statistics(statistics::Args),
}

/// Linkage after `FileComplaint` returns: relay → broker → governance-grid
/// (commit), relay → broker → party-grid (commit), relay → broker → the
/// observer. Three hops and two commits.
const HOPS: f64 = 3.0;
const COMMITS: f64 = 2.0;
/// Connections the filings are spread over.
const CHANNELS: usize = 4;

pub(super) struct Filed {
    id: String,
    started: Instant,
    returned: Instant,
}

pub async fn run(mut args: Args, config: Config) -> anyhow::Result<()> {
    if let Some(What::Statistics(statistics)) = args.what.take() {
        return statistics::run(statistics, config).await;
    }
    let wait = Duration::from_secs(args.timeout_secs);
    let governance = args.governance.clone().unwrap_or_else(|| args.endpoint.clone());
    let party = args.party.clone().unwrap_or_else(|| args.endpoint.clone());
    let complaints = args.complaints_endpoint.clone().unwrap_or_else(|| args.endpoint.clone());
    let transport = service::transport(&config).await.context("connecting to the system's transport")?;
    let stop = CancellationToken::new();
    let _stop = stop.clone().drop_guard();
    let observer = Observer::start(&*transport, stop.clone()).await?;
    let bearer = Bearer::new(args.token.as_deref())?;

    progress_line("seeding a map and party tree through the APIs");
    let seeded = crate::demo::seed(&governance, &party, &bearer).await.context("seeding")?;
    let buildings: Arc<Vec<String>> = Arc::new(seeded.buildings.iter().map(|b| b.2.clone()).collect());
    let mut clients = Vec::new();
    for _ in 0..CHANNELS {
        clients.push(ComplaintsClient::new(bearer.connect(&complaints).await.context("connecting to complaints")?));
    }
    let request = move |i: usize| cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::Hotline as i32,
        building_id: buildings[i % buildings.len()].clone(),
        description: format!("bench complaint {i}"),
        ..Default::default()
    };

    warm_up(&clients[0], &request, seeded.buildings.len(), &observer, wait).await?;

    let run = load(&args, clients, request, &observer, wait).await?;

    progress_line("measuring the floor: broker round trips and one-row commits");
    let hop = Latency::of(floor::broker(&*transport, args.floor_samples, wait).await?);
    let commit = match &config.database.url {
        Some(url) => Some(Latency::of(floor::commit(url.expose(), args.floor_samples).await?)),
        None => None,
    };

    let t = Timings::of(&run.filed, &observer, run.start);
    let linked = t.linkage.len();
    let results = Results {
        args: &args,
        transport: match config.transport.kind {
            TransportKind::Kafka => "kafka",
            TransportKind::Pglog => "pglog",
        },
        failed: run.failed,
        first_error: run.first_error,
        filed: run.filed.len(),
        linked,
        filing: Latency::of(t.filing),
        governance: Latency::of(t.governance),
        linkage: Latency::of(t.linkage),
        filed_per_s: run.filed.len() as f64 / (t.last_returned - run.start).as_secs_f64().max(1e-9),
        linked_per_s: if t.last_linked > run.start {
            linked as f64 / (t.last_linked - run.start).as_secs_f64()
        } else {
            0.0
        },
        hop,
        commit,
        usage: run.usage,
    };
    results.print(&args)
}

/// A progress bar on a terminal; a line per second otherwise.
#[allow(clippy::print_stderr)]
fn progress(total: usize, filed: usize, failed: usize, linked: usize, elapsed: Duration, final_line: bool) {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let terminal = std::io::stderr().is_terminal();
    if !terminal && !final_line {
        let mut last = LAST.lock().unwrap();
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        *last = Some(Instant::now());
    }
    const WIDTH: usize = 30;
    let done = (linked * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let bar: String = "#".repeat(done.min(WIDTH)) + &".".repeat(WIDTH - done.min(WIDTH));
    let line = format!(
        "[{bar}] filed {filed}/{total}  failed {failed}  in both networks {linked}  {:.1}s",
        elapsed.as_secs_f64()
    );
    if terminal {
        eprint!("\r{line}");
        if final_line {
            eprintln!();
        }
    } else {
        eprintln!("{line}");
    }
}

#[allow(clippy::print_stderr)]
fn progress_line(what: &str) {
    eprintln!("bench: {what}");
}

struct Results<'a> {
    args: &'a Args,
    transport: &'static str,
    failed: usize,
    first_error: Option<String>,
    filed: usize,
    linked: usize,
    filing: Latency,
    governance: Latency,
    linkage: Latency,
    filed_per_s: f64,
    linked_per_s: f64,
    hop: Latency,
    commit: Option<Latency>,
    usage: std::collections::BTreeMap<String, procs::Usage>,
}

impl Results<'_> {
    fn floor(&self) -> Option<Latency> {
        self.commit.map(|c| self.hop.combine(HOPS, c, COMMITS))
    }

    fn json(&self) -> serde_json::Value {
        let a = self.args;
        let ratio = self.floor().map(|f| {
            let r = self.linkage.over(f);
            json!({"p50": report::round(r[0]), "p90": report::round(r[1]), "p99": report::round(r[2]), "max": report::round(r[3])})
        });
        let processes: Vec<_> = self
            .usage
            .iter()
            .map(|(name, u)| {
                json!({"name": name, "pids": u.pids, "cpu_seconds": report::round(u.cpu.as_secs_f64()),
                       "idle_rss_mib": report::round(mib(u.idle_rss)), "peak_rss_mib": report::round(mib(u.peak_rss))})
            })
            .collect();
        json!({
            "label": a.label,
            "transport": self.transport,
            "complaints": a.complaints,
            "rate_per_s": if a.rate > 0.0 { json!(a.rate) } else { json!(null) },
            "concurrency": a.concurrency,
            "filed": self.filed,
            "failed": self.failed,
            "first_error": self.first_error,
            "in_both_networks": self.linked,
            "not_in_both_networks": self.filed - self.linked,
            "filing": self.filing.json(),
            "incident_opened_after_filing": self.governance.json(),
            "linkage": self.linkage.json(),
            "throughput_per_s": {"filed": report::round(self.filed_per_s), "in_both_networks": report::round(self.linked_per_s)},
            "floor": {
                "broker_round_trip": self.hop.json(),
                "pg_commit": self.commit.map(|c| c.json()),
                "linkage_path": self.floor().map(|f| f.json()),
                "hops": HOPS, "commits": COMMITS, "payload_bytes": floor::PAYLOAD,
            },
            "linkage_over_floor": ratio,
            "processes": processes,
        })
    }

    #[allow(clippy::print_stdout)]
    fn print(&self, args: &Args) -> anyhow::Result<()> {
        let doc = self.json();
        if let Some(path) = &args.json
            && report::write_json(path, &doc)?
        {
            return Ok(());
        }
        let load = if args.rate > 0.0 {
            format!("{} complaints/s, at most {} in flight", args.rate, args.concurrency)
        } else {
            format!("closed loop, {} in flight", args.concurrency)
        };
        println!();
        println!(
            "dualnet bench {}— {} complaints, {load}, transport {}",
            label(&args.label),
            args.complaints,
            self.transport
        );
        println!("{}", report::header("ms"));
        println!("{}", self.filing.row("FileComplaint (gRPC, one commit)"));
        println!("{}", self.governance.row("filed → incident opened (governance)"));
        println!("{}", self.linkage.row("filed → party linkage task (linkage)"));
        println!("{}", self.hop.row("floor: broker produce→consume"));
        match (self.commit, self.floor()) {
            (Some(c), Some(f)) => {
                println!("{}", c.row("floor: PostgreSQL one-row commit"));
                println!("{}", f.row("floor: linkage path (3 hops + 2 commits)"));
                let r = self.linkage.over(f);
                println!("linkage / floor: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}", r[0], r[1], r[2], r[3]);
            }
            _ => println!("floor: PostgreSQL commit not measured (no database.url configured)"),
        }
        println!(
            "throughput: {:.1} filed/s, {:.1} in both networks/s; {} of {} filed reached both networks, {} filings failed",
            self.filed_per_s, self.linked_per_s, self.linked, self.filed, self.failed
        );
        if let Some(e) = &self.first_error {
            println!("first filing error: {e}");
        }
        if !self.usage.is_empty() {
            println!();
            println!("{:<20} {:>8} {:>12} {:>12} {:>10}", "process", "pids", "CPU s", "idle RSS MiB", "peak MiB");
            for (name, u) in &self.usage {
                println!(
                    "{name:<20} {:>8} {:>12.2} {:>12.1} {:>10.1}",
                    u.pids.len(),
                    u.cpu.as_secs_f64(),
                    mib(u.idle_rss),
                    mib(u.peak_rss)
                );
            }
        }
        Ok(())
    }
}

fn label(l: &str) -> String {
    if l.is_empty() { String::new() } else { format!("[{l}] ") }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
