//! A fleet: several instances of a service on one database and one consumer
//! group, over Apache Kafka. Members that die are not restarted; the ones
//! left take over their partitions (and the outbox relay), and every
//! complaint still reaches both networks exactly once.

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
