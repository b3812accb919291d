//! complaints in-process (`dualnet_testkit::InProcess`) with its Open311
//! face on port 0, fed governance-grid's events directly; what its tests
//! share: a building on the map, a filing, the incident of a request.
#![allow(dead_code)]

use std::{net::SocketAddr, sync::Arc};

use chrono::{DateTime, Utc};
use dualnet_events::{Record, Transport, pglog::PgLogTransport};
use dualnet_platform::{clock::ManualClock, config::Config};
use dualnet_proto::{
    complaints::v1::{self as pb, complaints_client::ComplaintsClient},
    governance::v1 as gov,
    topics,
};
pub use dualnet_testkit::WAIT;
use dualnet_testkit::{InProcess, bearer, wait_for};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use uuid::Uuid;

pub struct Running {
    pub client: ComplaintsClient<Channel>,
    pub clock: ManualClock,
    pub log: Arc<PgLogTransport>,
    pub open311: SocketAddr,
    pub shutdown: CancellationToken,
    /// The seeded building: its id, grid and community.
    pub building: Uuid,
    pub grid: Uuid,
    /// The token every helper call carries, when authentication is on.
    pub admin: Option<String>,
}

pub const ADDRESS: &str = "坂田街道五和大道12号";
pub const AT: (f64, f64) = (22.6560, 114.0620);

impl Running {
    pub async fn publish<M: prost::Name>(&self, subject: Uuid, message: &M) {
        let record =
            Record::of_message(topics::GOVERNANCE, "/dualnet/governance-grid", Uuid::now_v7(), subject, message);
        self.log.publisher().publish(&[record]).await.unwrap();
    }

    pub async fn file(&self, req: pb::FileComplaintRequest) -> pb::Complaint {
        self.client.clone().file_complaint(self.as_admin(req)).await.unwrap().into_inner()
    }

    /// `message` as a request, with the admin token when authentication is on.
    pub fn as_admin<T>(&self, message: T) -> tonic::Request<T> {
        match &self.admin {
            Some(token) => bearer(message, token),
            None => tonic::Request::new(message),
        }
    }

    pub async fn get(&self, id: &str) -> pb::Complaint {
        self.client
            .clone()
            .get_complaint(self.as_admin(pb::GetComplaintRequest { id: id.into(), ..Default::default() }))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn wait(&self, id: &str, what: &str, ok: impl Fn(&pb::Complaint) -> bool) -> pb::Complaint {
        wait_for(what, WAIT, || async {
            let c = self.get(id).await;
            ok(&c).then_some(c)
        })
        .await
    }

    /// governance-grid opens an incident for the request, then closes it.
    pub async fn incident(&self, complaint: &str) -> Uuid {
        let incident = Uuid::now_v7();
        let opened = gov::IncidentOpened {
            incident_id: incident.to_string(),
            complaint_id: complaint.into(),
            grid_id: self.grid.to_string(),
            ..Default::default()
        };
        self.publish(incident, &opened).await;
        incident
    }

    pub async fn close(&self, incident: Uuid, complaint: &str) {
        let closed = gov::IncidentClosed {
            incident_id: incident.to_string(),
            complaint_id: complaint.into(),
            grid_id: self.grid.to_string(),
        };
        self.publish(incident, &closed).await;
    }
}

pub fn noise() -> pb::FileComplaintRequest {
    pb::FileComplaintRequest {
        kind: pb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: pb::Channel::Hotline as i32,
        description: "Karaoke after midnight".into(),
        ..Default::default()
    }
}

pub async fn start_at(now: DateTime<Utc>) -> Running {
    start_configured(now, |_| {}, None).await
}

/// Starts with the test settings and `configure`'s changes; `admin` is the
/// token the helpers call with (needed once `configure` turns auth on).
pub async fn start_configured(
    now: DateTime<Utc>,
    configure: impl FnOnce(&mut Config),
    admin: Option<String>,
) -> Running {
    let configure = |c: &mut Config| {
        c.open311.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        configure(c)
    };
    let started = InProcess::start(&complaints::DEFINITION, now, configure).await;
    let client = ComplaintsClient::new(started.channel().await);
    let open311 = started.listener("open311");
    let InProcess { clock, log, shutdown, .. } = started;
    let (community, grid, building) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let s = Running { client, clock, log, open311, shutdown, building, grid, admin };
    s.publish(
        grid,
        &gov::GridCreated { grid_id: grid.to_string(), community_id: community.to_string(), ..Default::default() },
    )
    .await;
    let b = gov::BuildingCreated {
        building_id: building.to_string(),
        grid_id: grid.to_string(),
        address: ADDRESS.into(),
        latitude: Some(AT.0),
        longitude: Some(AT.1),
        ..Default::default()
    };
    s.publish(building, &b).await;
    // The map is known once a request at the building resolves to its grid.
    wait_for("complaints to learn the map", WAIT, || async {
        let c = s
            .file(pb::FileComplaintRequest { category: "policy".into(), building_id: building.to_string(), ..noise() })
            .await;
        (c.grid_id == grid.to_string()).then_some(())
    })
    .await;
    s
}
