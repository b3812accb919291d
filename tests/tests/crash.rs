//! Faults by killing processes: a consumer service is SIGKILLed in the middle
//! of a burst of complaints and restarted. Every complaint still ends with
//! exactly one incident and exactly one linkage task — none lost, none
//! doubled; stopped with SIGTERM instead, it drains and exits cleanly. (So
//! many noise complaints at one building also raise the
//! early warning: exactly once.)

#![allow(clippy::too_many_lines)]

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use dualnet_e2e::{
    System,
    burst::{check_exactly_once, file_all, until_filed},
};

const COMPLAINTS: usize = 200;

/// How the victim is stopped mid-burst.
#[derive(Clone, Copy, PartialEq)]
enum Stop {
    /// SIGKILL: no chance to finish anything.
    Kill,
    /// SIGTERM: it drains and exits cleanly.
    Terminate,
}

async fn burst_with_a_kill(victim: &str) {
    burst_with(victim, Stop::Kill).await
}

async fn burst_with(victim: &str, stop: Stop) {
    let mut system = System::start().await;
    // No building group: the branch of the grid is the only organisation
    // tasked, so "exactly one task" is exact.
    let seed = system.seed(false).await;
    let filed = Arc::new(AtomicUsize::new(0));
    let burst =
        tokio::spawn(file_all(vec![system.complaints().await], seed.building_id.clone(), COMPLAINTS, filed.clone()));
    // SIGKILL the victim a third of the way through the burst and restart it
    // while complaints keep arriving.
    until_filed(&filed, COMPLAINTS / 3).await;
    let process = match victim {
        "governance-grid" => &mut system.governance,
        "party-grid" => &mut system.party,
        other => panic!("unknown victim {other}"),
    };
    match stop {
        Stop::Kill => process.kill().await,
        Stop::Terminate => {
            let status = process.terminate().await.expect("the service stops on SIGTERM");
            assert!(status.success(), "a clean exit after draining: {status}");
        }
    }
    let killed_at = filed.load(Ordering::SeqCst);
    process.restart().await.expect("the killed service restarts");
    let ids = burst.await.expect("the burst completes");
    assert!(killed_at < COMPLAINTS, "the kill happened mid-burst ({killed_at} filed)");
    assert_eq!(ids.len(), COMPLAINTS);
    check_exactly_once(system.governance().await, system.party().await, &seed.branch_id, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_governance_grid_mid_burst_loses_and_doubles_nothing() {
    burst_with_a_kill("governance-grid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_party_grid_mid_burst_loses_and_doubles_nothing() {
    burst_with_a_kill("party-grid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_governance_grid_mid_burst_drains_and_loses_nothing() {
    burst_with("governance-grid", Stop::Terminate).await;
}
