//! The load phase of `dualnet bench`: warming the system up, filing the
//! complaints at the asked rate or concurrency, and each one's timings.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use dualnet_proto::complaints::v1::{self as cpb, complaints_client::ComplaintsClient};

use super::{
    Args, Filed,
    observer::Observer,
    procs::{self, Sampler},
    progress, progress_line,
};
use crate::bearer::Authed;

/// Files a complaint per building until all of them have reached the party
/// network: every consumer is assigned and every read model current.
pub(super) async fn warm_up(
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
pub(super) struct Run {
    pub(super) filed: Vec<Filed>,
    pub(super) failed: usize,
    pub(super) first_error: Option<String>,
    pub(super) start: Instant,
    pub(super) usage: std::collections::BTreeMap<String, procs::Usage>,
}

/// The load phase: the complaints filed as `args` says, progress shown as
/// they reach both networks, the processes' CPU and memory sampled.
pub(super) async fn load(
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
pub(super) struct Timings {
    pub(super) filing: Vec<Duration>,
    pub(super) governance: Vec<Duration>,
    pub(super) linkage: Vec<Duration>,
    pub(super) last_linked: Instant,
    pub(super) last_returned: Instant,
}

impl Timings {
    pub(super) fn of(filed: &[Filed], observer: &Observer, start: Instant) -> Self {
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
