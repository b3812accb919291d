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
mod observer;
mod procs;
mod report;
mod statistics;

use std::{
    io::IsTerminal,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
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

use self::{observer::Observer, procs::Sampler, report::Latency};
use crate::bearer::{Authed, Bearer};

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

struct Filed {
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

/// Files a complaint per building until all of them have reached the party
/// network: every consumer is assigned and every read model current.
async fn warm_up(
    client: &ComplaintsClient<Authed>,
    request: &impl Fn(usize) -> cpb::FileComplaintRequest,
    buildings: usize,
    observer: &Observer,
    wait: Duration,
) -> anyhow::Result<()> {
    progress_line("warming up: a complaint per building through both networks");
    let warm_until = Instant::now() + wait;
    loop {
        let mut ids = Vec::new();
        for i in 0..buildings {
            ids.push(client.clone().file_complaint(request(i)).await?.into_inner().id);
        }
        let settle = Instant::now() + Duration::from_secs(10);
        while observer.linked(&ids) < ids.len() && Instant::now() < settle {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if observer.linked(&ids) == ids.len() {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < warm_until, "no complaint reached the party network: is the system up?");
    }
}

/// What the load phase filed, and what it cost.
struct Run {
    filed: Vec<Filed>,
    failed: usize,
    first_error: Option<String>,
    start: Instant,
    usage: std::collections::BTreeMap<String, procs::Usage>,
}

/// The load phase: the complaints filed as `args` says, progress shown as
/// they reach both networks, the processes' CPU and memory sampled.
async fn load(
    args: &Args,
    clients: Vec<ComplaintsClient<Authed>>,
    request: impl Fn(usize) -> cpb::FileComplaintRequest + Clone + Send + Sync + 'static,
    observer: &Observer,
    wait: Duration,
) -> anyhow::Result<Run> {
    let watched = if args.processes.is_empty() {
        procs::discover()
    } else {
        args.processes.iter().map(|p| procs::parse(p)).collect::<Result<_, _>>().map_err(anyhow::Error::msg)?
    };
    let sampler = Arc::new(Mutex::new(Sampler::start(watched)));
    let filed: Arc<Mutex<Vec<Filed>>> = Arc::new(Mutex::new(Vec::with_capacity(args.complaints)));
    let failed = Arc::new(AtomicUsize::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let start = Instant::now();
    let filing = {
        let (filed, failed, first_error) = (filed.clone(), failed.clone(), first_error.clone());
        let file = move |i: usize, mut client: ComplaintsClient<Authed>| {
            let (filed, failed, first_error) = (filed.clone(), failed.clone(), first_error.clone());
            let req = request(i);
            async move {
                let started = Instant::now();
                match client.file_complaint(req).await {
                    Ok(r) => {
                        let returned = Instant::now();
                        filed.lock().unwrap().push(Filed { id: r.into_inner().id, started, returned });
                    }
                    Err(status) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        first_error.lock().unwrap().get_or_insert_with(|| status.to_string());
                    }
                }
            }
        };
        drive(args.complaints, args.rate, args.concurrency, clients, file)
    };
    let total = args.complaints;
    let show = {
        let (filed, failed, observer, sampler) = (filed.clone(), failed.clone(), observer.clone(), sampler.clone());
        move |final_line: bool| {
            let ids: Vec<String> = filed.lock().unwrap().iter().map(|f| f.id.clone()).collect();
            let linked = observer.linked(&ids);
            sampler.lock().unwrap().sample();
            progress(total, ids.len(), failed.load(Ordering::Relaxed), linked, start.elapsed(), final_line);
            linked
        }
    };
    tokio::pin!(filing);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = &mut filing => break,
            _ = tick.tick() => { show(false); }
        }
    }
    let all_filed = filed.lock().unwrap().len();
    let give_up = Instant::now() + wait;
    while show(false) < all_filed && Instant::now() < give_up {
        tick.tick().await;
    }
    show(true);
    sampler.lock().unwrap().finish();
    let filed = std::mem::take(&mut *filed.lock().unwrap());
    let first_error = first_error.lock().unwrap().clone();
    let usage = sampler.lock().unwrap().usage.clone();
    Ok(Run { filed, failed: failed.load(Ordering::Relaxed), first_error, start, usage })
}

/// Each complaint's times: filing, to governance-grid, to both networks.
struct Timings {
    filing: Vec<Duration>,
    governance: Vec<Duration>,
    linkage: Vec<Duration>,
    last_linked: Instant,
    last_returned: Instant,
}

impl Timings {
    fn of(filed: &[Filed], observer: &Observer, start: Instant) -> Self {
        let mut t = Timings {
            filing: Vec::new(),
            governance: Vec::new(),
            linkage: Vec::new(),
            last_linked: start,
            last_returned: start,
        };
        for f in filed {
            t.filing.push(f.returned - f.started);
            t.last_returned = t.last_returned.max(f.returned);
            if let Some(r) = observer.reached(&f.id) {
                t.governance.push(r.governance.saturating_duration_since(f.returned));
                if let Some(at) = r.party {
                    t.linkage.push(at.saturating_duration_since(f.returned));
                    t.last_linked = t.last_linked.max(at);
                }
            }
        }
        t
    }
}

/// Files `n` complaints: at `rate` per second with at most `concurrency` in
/// flight, or, with no rate, as fast as `concurrency` workers go.
async fn drive<F, Fut>(n: usize, rate: f64, concurrency: usize, clients: Vec<ComplaintsClient<Authed>>, file: F)
where
    F: Fn(usize, ComplaintsClient<Authed>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let concurrency = concurrency.max(1);
    let mut tasks = tokio::task::JoinSet::new();
    if rate > 0.0 {
        let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let start = tokio::time::Instant::now();
        for i in 0..n {
            tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
            let permit = gate.clone().acquire_owned().await.expect("the gate is never closed");
            let fut = file(i, clients[i % clients.len()].clone());
            tasks.spawn(async move {
                fut.await;
                drop(permit);
            });
        }
    } else {
        let next = Arc::new(AtomicUsize::new(0));
        for w in 0..concurrency {
            let (next, file, client) = (next.clone(), file.clone(), clients[w % clients.len()].clone());
            tasks.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    file(i, client.clone()).await;
                }
            });
        }
    }
    while tasks.join_next().await.is_some() {}
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
