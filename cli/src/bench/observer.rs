//! Watches the linkage path on the event flow itself: when each complaint's
//! incident opened in the governance network and when its first party
//! linkage task was created, stamped as the events arrive.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Instant,
};

use dualnet_events::{Event, Transport};
use dualnet_proto::{governance::v1 as gov, partygrid::v1 as party, topics};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Seen {
    /// complaint id → incident id
    incident_of: HashMap<String, String>,
    /// incident id → when its `IncidentOpened` arrived
    opened: HashMap<String, Instant>,
    /// incident id → when its first `LinkageTaskCreated` arrived
    linked: HashMap<String, Instant>,
}

#[derive(Clone)]
pub struct Observer {
    seen: Arc<Mutex<Seen>>,
}

/// When a complaint reached each network.
#[derive(Debug, Clone, Copy)]
pub struct Reached {
    pub governance: Instant,
    pub party: Option<Instant>,
}

impl Observer {
    /// Subscribes in a consumer group of its own and records until `stop`.
    pub async fn start(transport: &dyn Transport, stop: CancellationToken) -> anyhow::Result<Self> {
        let group = format!("dualnet-bench-{}", uuid::Uuid::now_v7().simple());
        let mut sub =
            transport.subscribe(&group, &[topics::GOVERNANCE.to_string(), topics::PARTYGRID.to_string()]).await?;
        let observer = Self { seen: Arc::default() };
        let seen = observer.seen.clone();
        tokio::spawn(async move {
            loop {
                let delivery = tokio::select! {
                    _ = stop.cancelled() => return,
                    d = sub.next() => d,
                };
                let Ok(delivery) = delivery else { continue };
                let at = Instant::now();
                let Ok(event) = Event::parse(&delivery) else { continue };
                if event.is::<gov::IncidentOpened>() {
                    let Ok(o) = event.decode::<gov::IncidentOpened>() else { continue };
                    if o.complaint_id.is_empty() {
                        continue;
                    }
                    let mut seen = seen.lock().unwrap();
                    seen.opened.insert(o.incident_id.clone(), at);
                    seen.incident_of.insert(o.complaint_id, o.incident_id);
                } else if event.is::<party::LinkageTaskCreated>() {
                    let Ok(t) = event.decode::<party::LinkageTaskCreated>() else { continue };
                    seen.lock().unwrap().linked.entry(t.incident_id).or_insert(at);
                }
            }
        });
        Ok(observer)
    }

    pub fn reached(&self, complaint: &str) -> Option<Reached> {
        let seen = self.seen.lock().unwrap();
        let incident = seen.incident_of.get(complaint)?;
        Some(Reached { governance: *seen.opened.get(incident)?, party: seen.linked.get(incident).copied() })
    }

    /// How many of `complaints` have reached both networks.
    pub fn linked(&self, complaints: &[String]) -> usize {
        complaints.iter().filter(|c| self.reached(c).is_some_and(|r| r.party.is_some())).count()
    }
}
