//! A burst of noise complaints at one building, and the check that every one
//! reached both networks exactly once: the faults tests (a killed service,
//! a fleet losing members, a restarted broker) share them.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use dualnet_proto::{
    complaints::v1::{self as cpb, complaints_client::ComplaintsClient},
    governance::v1::{self as gov, governance_grid_client::GovernanceGridClient},
    partygrid::v1::{self as party, party_grid_client::PartyGridClient},
};
use dualnet_testkit::wait_for;
use tonic::transport::Channel;

use crate::WAIT;

/// Files `count` noise complaints at `building` one after another, counting
/// them in `filed`; their ids. A filing the service refuses is retried, so a
/// client that loses its instance may move to another (`clients` in turn).
pub async fn file_all(
    clients: Vec<ComplaintsClient<Channel>>,
    building: String,
    count: usize,
    filed: Arc<AtomicUsize>,
) -> Vec<String> {
    file_through(clients, building, count, filed, None).await
}

/// As [`file_all`], and a filing answered `UNAVAILABLE` (the service's
/// database is away) is tried again until it is taken, each refusal counted
/// in `refused`: a client's view of an outage. Any other refusal fails the
/// test.
pub async fn file_through(
    clients: Vec<ComplaintsClient<Channel>>,
    building: String,
    count: usize,
    filed: Arc<AtomicUsize>,
    refused: Option<Arc<AtomicUsize>>,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    let mut at = 0;
    for i in 0..count {
        let request = cpb::FileComplaintRequest {
            kind: cpb::RequestKind::Complaint as i32,
            category: "noise".into(),
            channel: cpb::Channel::App as i32,
            building_id: building.clone(),
            description: format!("noise report {i}"),
            ..Default::default()
        };
        let mut refusals = 0;
        let id = loop {
            match clients[at % clients.len()].clone().file_complaint(request.clone()).await {
                Ok(c) => break c.into_inner().id,
                Err(e) if e.code() == tonic::Code::Unavailable && refused.is_some() => {
                    refused.as_ref().expect("counting").fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) if clients.len() > 1 && refusals < 20 => {
                    // Only a transport failure moves on: the filing may not
                    // have happened, and another instance takes it.
                    assert!(
                        matches!(e.code(), tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled),
                        "filing refused: {e}"
                    );
                    refusals += 1;
                    at += 1;
                }
                Err(e) => panic!("complaints stays up: {e}"),
            }
        };
        ids.push(id);
        filed.fetch_add(1, Ordering::SeqCst);
    }
    ids
}

/// Waits until `filed` reaches `n`.
pub async fn until_filed(filed: &Arc<AtomicUsize>, n: usize) {
    wait_for("the burst to reach its mark", WAIT, || {
        let filed = filed.clone();
        async move { (filed.load(Ordering::SeqCst) >= n).then_some(()) }
    })
    .await;
}

/// Every complaint of `ids` has exactly one incident, every incident (the one
/// early warning the repeated noise raises included) exactly one linkage task
/// of `branch`, and nothing else was made.
pub async fn check_exactly_once(
    g: GovernanceGridClient<Channel>,
    p: PartyGridClient<Channel>,
    branch: &str,
    ids: &[String],
) {
    let count = ids.len();
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
            (from_complaints >= count).then_some(list)
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
            (tasks.len() > count).then_some(tasks)
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
    assert_eq!(incidents.len(), count, "no incident without a complaint of this burst");
    let mut per_incident: HashMap<&str, usize> = HashMap::new();
    for t in &tasks {
        *per_incident.entry(t.incident_id.as_str()).or_default() += 1;
    }
    for i in &all {
        assert_eq!(per_incident.get(i.id.as_str()), Some(&1), "incident {} has exactly one linkage task", i.id);
    }
    assert_eq!(tasks.len(), count + 1);
}
