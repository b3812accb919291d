//! A fleet: several instances of a service on one database and one consumer
//! group, over Apache Kafka. Members that die are not restarted; the ones
//! left take over their partitions (and the outbox relay), and every
//! complaint still reaches both networks exactly once.

#![allow(clippy::too_many_lines)]

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use dualnet_e2e::{
    System,
    burst::{check_exactly_once, file_all, until_filed},
    channel,
};
use dualnet_proto::{
    complaints::v1::complaints_client::ComplaintsClient, governance::v1::governance_grid_client::GovernanceGridClient,
    partygrid::v1::party_grid_client::PartyGridClient,
};
use dualnet_testkit::{Halt, KafkaBroker};

const COMPLAINTS: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_of_each_network_lose_one_each_mid_burst_and_nothing_is_lost_or_doubled() {
    let mut system = System::start().await;
    let seed = system.seed(false).await;
    // A twin of each on the same database and group: it serves once it holds
    // its share of the partitions.
    let governance_twin = system.another("governance-grid").await;
    let party_twin = system.another("party-grid").await;
    let filed = Arc::new(AtomicUsize::new(0));
    let burst =
        tokio::spawn(file_all(vec![system.complaints().await], seed.building_id.clone(), COMPLAINTS, filed.clone()));
    until_filed(&filed, COMPLAINTS / 3).await;
    // One member of each group dies and stays dead.
    system.governance.kill().await;
    system.party.kill().await;
    let killed_at = filed.load(Ordering::SeqCst);
    let ids = burst.await.expect("the burst completes");
    assert!(killed_at < COMPLAINTS, "the kills happened mid-burst ({killed_at} filed)");
    let g = GovernanceGridClient::new(channel(&governance_twin).await);
    let p = PartyGridClient::new(channel(&party_twin).await);
    check_exactly_once(g, p, &seed.branch_id, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_of_a_killed_complaints_instance_is_taken_over_and_every_committed_complaint_arrives_once() {
    let mut system = System::start().await;
    let seed = system.seed(false).await;
    // Both instances' relays compete for the outbox; complaints are filed
    // through the twin, while the first instance is killed mid-burst.
    let twin = system.another("complaints").await;
    let filed = Arc::new(AtomicUsize::new(0));
    let client = ComplaintsClient::new(channel(&twin).await);
    let burst = tokio::spawn(file_all(vec![client], seed.building_id.clone(), COMPLAINTS, filed.clone()));
    until_filed(&filed, COMPLAINTS / 3).await;
    system.complaints.kill().await;
    let killed_at = filed.load(Ordering::SeqCst);
    let ids = burst.await.expect("the burst completes");
    assert!(killed_at < COMPLAINTS, "the kill happened mid-burst ({killed_at} filed)");
    check_exactly_once(system.governance().await, system.party().await, &seed.branch_id, &ids).await;
}

/// The broker is stopped mid-burst (`how`) and started again with its log:
/// producers and consumers reconnect, nothing is lost or doubled.
async fn burst_across_a_broker_restart(how: Halt) {
    let mut broker = KafkaBroker::start().await.expect("a private broker starts");
    let system = System::start_on(&broker.bootstrap(), Vec::new()).await;
    let seed = system.seed(false).await;
    let filed = Arc::new(AtomicUsize::new(0));
    let burst =
        tokio::spawn(file_all(vec![system.complaints().await], seed.building_id.clone(), COMPLAINTS, filed.clone()));
    until_filed(&filed, COMPLAINTS / 3).await;
    broker.stop(how).await.expect("the broker stops");
    let stopped_at = filed.load(Ordering::SeqCst);
    // Filing goes on while the broker is away: the outbox keeps the events.
    until_filed(&filed, (stopped_at + 20).min(COMPLAINTS)).await;
    broker.start_again().await.expect("the broker starts again");
    let ids = burst.await.expect("the burst completes");
    assert!(stopped_at < COMPLAINTS, "the broker stopped mid-burst ({stopped_at} filed)");
    check_exactly_once(system.governance().await, system.party().await, &seed.branch_id, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_stopped_with_sigterm_mid_burst_and_started_again_loses_and_doubles_nothing() {
    burst_across_a_broker_restart(Halt::Terminate).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_mid_burst_and_started_again_loses_and_doubles_nothing() {
    burst_across_a_broker_restart(Halt::Kill).await;
}

/// The most complaints one rolling restart files (the checks list at most
/// 1,000 incidents in one page).
const ROLLING_MAX: usize = 950;
/// The steady load of the rolling restart, complaints per second.
const ROLLING_RATE: u64 = 50;

/// Two instances of every service, each SIGTERMed and started again in turn
/// (as an upgrade rolls through a fleet) under a steady 50 complaints/s filed
/// through whichever complaints instance answers: nothing lost or doubled,
/// and no filing refused for longer than one instance's drain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_every_instance_under_steady_load_loses_and_doubles_nothing() {
    use std::{
        sync::RwLock,
        time::{Duration, Instant},
    };

    use dualnet_proto::complaints::v1 as cpb;
    use tokio::sync::Notify;

    let mut system = System::start().await;
    let seed = system.seed(false).await;
    let mut twins = Vec::new();
    for service in ["governance-grid", "party-grid", "complaints", "arbitration"] {
        twins.push(system.another(service).await);
    }
    // The complaints endpoints the filer may use; an instance being restarted
    // is replaced by its new address once it serves again.
    let endpoints = Arc::new(RwLock::new(vec![system.complaints.endpoint(), twins[2].endpoint()]));
    let done = Arc::new(Notify::new());
    let filer = {
        let (endpoints, done, building) = (endpoints.clone(), done.clone(), seed.building_id.clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut longest_refusal = Duration::ZERO;
            let mut ticks = tokio::time::interval(Duration::from_millis(1000 / ROLLING_RATE));
            let stop = done.notified();
            tokio::pin!(stop);
            let mut at = 0usize;
            while ids.len() < ROLLING_MAX {
                tokio::select! {
                    _ = &mut stop => break,
                    _ = ticks.tick() => {}
                }
                let request = cpb::FileComplaintRequest {
                    kind: cpb::RequestKind::Complaint as i32,
                    category: "noise".into(),
                    channel: cpb::Channel::App as i32,
                    building_id: building.clone(),
                    description: format!("noise report {}", ids.len()),
                    ..Default::default()
                };
                let refused_since = Instant::now();
                let id = loop {
                    let endpoint = endpoints.read().unwrap()[at % 2].clone();
                    let answer = match ComplaintsClient::connect(endpoint).await {
                        Ok(mut c) => c.file_complaint(request.clone()).await.map(|r| r.into_inner().id),
                        Err(e) => Err(tonic::Status::unavailable(e.to_string())),
                    };
                    match answer {
                        Ok(id) => break id,
                        Err(e) => {
                            // A GOAWAY that reaches the client before its
                            // stream was taken (the instance began its
                            // graceful stop just then) is the client's own
                            // transport error — tonic says INTERNAL — and
                            // the request was not processed.
                            let transport = std::error::Error::source(&e)
                                .is_some_and(|s| s.downcast_ref::<tonic::transport::Error>().is_some());
                            assert!(
                                transport
                                    || matches!(
                                        e.code(),
                                        tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
                                    ),
                                "filing refused: {e}"
                            );
                            at += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                };
                longest_refusal = longest_refusal.max(refused_since.elapsed());
                ids.push(id);
            }
            (ids, longest_refusal)
        })
    };
    let started = Instant::now();
    // One instance at a time, every service, first the originals, then the twins.
    for (index, process) in [&mut system.governance, &mut system.party, &mut system.complaints, &mut system.arbitration]
        .into_iter()
        .chain(twins.iter_mut())
        .enumerate()
    {
        let status = process.restart_gracefully().await.expect("the instance restarts");
        assert!(status.success(), "{} drained and exited cleanly: {status}", process.name);
        if process.name == "complaints" {
            endpoints.write().unwrap()[usize::from(index >= 4)] = process.endpoint();
        }
    }
    let rolled_in = started.elapsed();
    eprintln!("rolling restart of 8 instances took {rolled_in:?}");
    done.notify_one();
    let (ids, longest_refusal) = filer.await.expect("the filer completes");
    assert!(ids.len() >= 100, "a steady load ran through the restarts ({} filed in {rolled_in:?})", ids.len());
    // The grace period of a drain (shutdown.grace_ms) bounds how long one
    // instance may keep its callers waiting.
    assert!(longest_refusal < Duration::from_secs(10), "a filing waited {longest_refusal:?}");
    let g = GovernanceGridClient::new(channel(&system.governance).await);
    let p = PartyGridClient::new(channel(&system.party).await);
    check_exactly_once(g, p, &seed.branch_id, &ids).await;
}
