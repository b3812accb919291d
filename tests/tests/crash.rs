//! Faults by killing processes: a consumer service is SIGKILLed in the middle
//! of a burst of complaints and restarted. Every complaint still ends with
//! exactly one incident and exactly one linkage task — none lost, none
//! doubled; stopped with SIGTERM instead, it drains and exits cleanly. (So
//! many noise complaints at one building also raise the
//! early warning: exactly once.)

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use dualnet_e2e::{System, WAIT};
use dualnet_proto::{
    complaints::v1::{self as cpb, complaints_client::ComplaintsClient},
    governance::v1 as gov,
    partygrid::v1 as party,
};
use dualnet_testkit::wait_for;
use tonic::transport::Channel;

const COMPLAINTS: usize = 200;

async fn file_all(mut client: ComplaintsClient<Channel>, building: String, filed: Arc<AtomicUsize>) -> Vec<String> {
    let mut ids = Vec::with_capacity(COMPLAINTS);
    for i in 0..COMPLAINTS {
        let c = client
            .file_complaint(cpb::FileComplaintRequest {
                kind: cpb::RequestKind::Complaint as i32,
                category: "noise".into(),
                channel: cpb::Channel::App as i32,
                building_id: building.clone(),
                description: format!("noise report {i}"),
                ..Default::default()
            })
            .await
            .expect("complaints stays up")
            .into_inner();
        ids.push(c.id);
        filed.fetch_add(1, Ordering::SeqCst);
    }
    ids
}

async fn check_exactly_once(system: &System, branch: &str, ids: &[String]) {
    let g = system.governance().await;
    let p = system.party().await;
    // Wait until the whole chain has run for every complaint: every one is
    // dispatched (its incident exists) and the branch holds as many tasks.
    let all = wait_for("an incident for every complaint", WAIT, || {
        let mut g = g.clone();
        async move {
            let list = g
                .list_incidents(gov::ListIncidentsRequest { page_size: 1000, ..Default::default() })
                .await
                .ok()?
                .into_inner()
                .incidents;
            let from_complaints = list.iter().filter(|i| i.source == gov::IncidentSource::Complaint as i32).count();
            (from_complaints >= COMPLAINTS).then_some(list)
        }
    })
    .await;
    let (incidents, warned): (Vec<_>, Vec<_>) =
        all.iter().partition(|i| i.source == gov::IncidentSource::Complaint as i32);
    assert_eq!(warned.len(), 1, "one early-warning incident for the repeated noise");
    assert_eq!(warned[0].source, gov::IncidentSource::EarlyWarning as i32);
    let tasks = wait_for("a linkage task for every incident", WAIT, || {
        let mut p = p.clone();
        let branch = branch.to_string();
        async move {
            let tasks = p
                .list_linkage_tasks(party::ListLinkageTasksRequest {
                    organisation_id: branch,
                    page_size: 1000,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .tasks;
            (tasks.len() > COMPLAINTS).then_some(tasks)
        }
    })
    .await;
    let mut per_complaint: HashMap<&str, usize> = HashMap::new();
    for i in &incidents {
        *per_complaint.entry(i.complaint_id.as_str()).or_default() += 1;
    }
    for id in ids {
        assert_eq!(per_complaint.get(id.as_str()), Some(&1), "complaint {id} has exactly one incident");
    }
    assert_eq!(incidents.len(), COMPLAINTS, "no incident without a complaint of this burst");
    let mut per_incident: HashMap<&str, usize> = HashMap::new();
    for t in &tasks {
        *per_incident.entry(t.incident_id.as_str()).or_default() += 1;
    }
    for i in &all {
        assert_eq!(per_incident.get(i.id.as_str()), Some(&1), "incident {} has exactly one linkage task", i.id);
    }
    assert_eq!(tasks.len(), COMPLAINTS + 1);
}

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
    let burst = tokio::spawn(file_all(system.complaints().await, seed.building_id.clone(), filed.clone()));
    // SIGKILL the victim a third of the way through the burst and restart it
    // while complaints keep arriving.
    wait_for("a third of the burst to be filed", WAIT, || {
        let filed = filed.clone();
        async move { (filed.load(Ordering::SeqCst) >= COMPLAINTS / 3).then_some(()) }
    })
    .await;
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
    check_exactly_once(&system, &seed.branch_id, &ids).await;
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
