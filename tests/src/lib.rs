//! The end-to-end harness: the four services started as separate OS
//! processes, each with a fresh database of its own, over the test broker
//! (in a namespace of their own, so tests can share the broker).

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod burst;
pub mod node;

use std::time::Duration;

use dualnet_proto::{
    arbitration::v1::arbitration_client::ArbitrationClient,
    complaints::v1::{Complaint, FileComplaintRequest, complaints_client::ComplaintsClient},
    governance::v1::governance_grid_client::GovernanceGridClient,
    partygrid::v1::{LinkageTask, ListLinkageTasksRequest, party_grid_client::PartyGridClient},
};
use dualnet_testkit::{ServiceProcess, admin_url, binary, fresh_database_on, kafka_bootstrap, unique};
use tonic::transport::Channel;

/// How long a chain of events may take before a test gives up.
pub const WAIT: Duration = Duration::from_secs(120);

pub struct System {
    pub namespace: String,
    /// The broker the services talk to.
    pub bootstrap: String,
    /// complaints' Open311 GeoReport v2 face.
    pub open311: std::net::SocketAddr,
    /// governance-grid's public feed of community notices.
    pub notices: std::net::SocketAddr,
    pub governance: ServiceProcess,
    pub party: ServiceProcess,
    pub complaints: ServiceProcess,
    pub arbitration: ServiceProcess,
    /// Database URLs by service name.
    pub databases: Vec<(&'static str, String)>,
    /// The settings each service was started with, by service name.
    settings: Vec<(&'static str, Vec<(String, String)>)>,
}

pub async fn channel(p: &ServiceProcess) -> Channel {
    Channel::from_shared(p.endpoint()).unwrap().connect().await.expect("connect")
}

impl System {
    pub async fn start() -> Self {
        Self::start_with(Vec::new()).await
    }

    /// Starts the system with extra settings for every service.
    pub async fn start_with(extra: Vec<(String, String)>) -> Self {
        Self::start_on(&kafka_bootstrap(), extra).await
    }

    /// Starts the system on the broker at `bootstrap` (a test's own broker).
    pub async fn start_on(bootstrap: &str, extra: Vec<(String, String)>) -> Self {
        Self::start_in(&admin_url(), bootstrap, extra).await
    }

    /// Starts the system with its databases on the PostgreSQL server of
    /// `admin` (a test's own server) and the broker at `bootstrap`.
    pub async fn start_in(admin: &str, bootstrap: &str, extra: Vec<(String, String)>) -> Self {
        Self::start_custom(admin, bootstrap, extra, Vec::new()).await
    }

    /// As [`start_in`](Self::start_in), with settings of its own for some
    /// services (`own`, by service name), which win over the rest.
    pub async fn start_custom(
        admin: &str,
        bootstrap: &str,
        extra: Vec<(String, String)>,
        own: Vec<(&str, Vec<(String, String)>)>,
    ) -> Self {
        let namespace = format!("{}.", unique("e2e"));
        let mut databases = Vec::new();
        let mut envs = Vec::new();
        for name in ["governance-grid", "party-grid", "complaints", "arbitration"] {
            let db = fresh_database_on(admin, &name.replace('-', "_")).await;
            envs.push(vec![
                ("DUALNET_DATABASE__URL".to_string(), db.clone()),
                ("DUALNET_TRANSPORT__KIND".to_string(), "kafka".to_string()),
                ("DUALNET_KAFKA__BOOTSTRAP_SERVERS".to_string(), bootstrap.to_string()),
                ("DUALNET_KAFKA__NAMESPACE".to_string(), namespace.clone()),
                ("DUALNET_TELEMETRY__LOG".to_string(), "info,sqlx::postgres::notice=warn".to_string()),
            ]);
            let env = envs.last_mut().expect("just pushed");
            env.extend(extra.iter().cloned());
            env.extend(own.iter().filter(|(n, _)| *n == name).flat_map(|(_, e)| e.iter().cloned()));
            databases.push((name, db));
        }
        envs[0].push(("DUALNET_NOTICES__LISTEN".to_string(), "127.0.0.1:0".to_string()));
        envs[2].push(("DUALNET_OPEN311__LISTEN".to_string(), "127.0.0.1:0".to_string()));
        let names = ["governance-grid", "party-grid", "complaints", "arbitration"];
        let settings: Vec<_> = names.into_iter().zip(envs.iter().cloned()).collect();
        let mut envs = envs.into_iter();
        let mut next = || envs.next().unwrap();
        let (g, p, c, a) = tokio::join!(
            ServiceProcess::start("governance-grid", next()),
            ServiceProcess::start("party-grid", next()),
            ServiceProcess::start("complaints", next()),
            ServiceProcess::start("arbitration", next()),
        );
        let complaints = c.expect("complaints starts");
        let open311 = complaints.bound("open311").expect("complaints reported its Open311 address");
        let governance = g.expect("governance-grid starts");
        let notices = governance.bound("notices").expect("governance-grid reported its notices address");
        Self {
            namespace,
            bootstrap: bootstrap.to_string(),
            open311,
            notices,
            governance,
            party: p.expect("party-grid starts"),
            complaints,
            arbitration: a.expect("arbitration starts"),
            databases,
            settings,
        }
    }

    /// Starts one more instance of `service` on the same database, consumer
    /// group and topics (a fleet of that service).
    pub async fn another(&self, service: &str) -> ServiceProcess {
        let env = self.settings.iter().find(|(n, _)| *n == service).expect("a service of the system").1.clone();
        ServiceProcess::start(service, env).await.unwrap_or_else(|e| panic!("another {service} starts: {e:#}"))
    }

    pub async fn governance(&self) -> GovernanceGridClient<Channel> {
        GovernanceGridClient::new(channel(&self.governance).await)
    }

    pub async fn party(&self) -> PartyGridClient<Channel> {
        PartyGridClient::new(channel(&self.party).await)
    }

    pub async fn complaints(&self) -> ComplaintsClient<Channel> {
        ComplaintsClient::new(channel(&self.complaints).await)
    }

    pub async fn arbitration(&self) -> ArbitrationClient<Channel> {
        ArbitrationClient::new(channel(&self.arbitration).await)
    }

    /// A channel to each service, by the protobuf package it serves.
    pub async fn channels(&self) -> std::collections::HashMap<&'static str, Channel> {
        let mut channels = std::collections::HashMap::new();
        for (package, service) in [
            ("dualnet.governance.v1", &self.governance),
            ("dualnet.partygrid.v1", &self.party),
            ("dualnet.complaints.v1", &self.complaints),
            ("dualnet.arbitration.v1", &self.arbitration),
        ] {
            channels.insert(package, channel(service).await);
        }
        channels
    }

    pub fn database(&self, service: &str) -> &str {
        &self.databases.iter().find(|(n, _)| *n == service).expect("service database").1
    }

    /// Runs the `dualnet` CLI against the system's broker namespace; the
    /// JSON lines it prints.
    pub fn dualnet(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let out = self.dualnet_output(args);
        assert!(out.status.success(), "dualnet {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// `dualnet <args>` against the system's broker, as it exited.
    pub fn dualnet_output(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(binary("dualnet"))
            .args(args)
            .env("DUALNET_KAFKA__BOOTSTRAP_SERVERS", &self.bootstrap)
            .env("DUALNET_KAFKA__NAMESPACE", &self.namespace)
            .env("DUALNET_TELEMETRY__LOG", "warn")
            .output()
            .expect("dualnet runs")
    }

    /// The dead letters waiting in the system's dead-letter topic.
    pub fn dead_letters(&self) -> Vec<serde_json::Value> {
        self.dualnet(&["deadletter", "list"])
    }
}

/// A grid with a building, the grid party branch bound to the grid and,
/// optionally, a building party group bound to the building.
pub struct Seed {
    pub subdistrict_id: String,
    pub community_id: String,
    /// The working committee, bound to the subdistrict.
    pub committee_id: String,
    /// The community party committee, bound to the community.
    pub community_org_id: String,
    pub grid_id: String,
    pub building_id: String,
    pub branch_id: String,
    pub group_id: Option<String>,
}

impl System {
    pub async fn seed(&self, with_group: bool) -> Seed {
        Seed::plant(self.governance().await, self.party().await, with_group).await
    }

    /// The incident governance-grid opened for complaint `complaint_id`,
    /// once it has.
    pub async fn incident_of(&self, complaint_id: &str) -> dualnet_proto::governance::v1::Incident {
        let g = self.governance().await;
        dualnet_testkit::wait_for("the incident", WAIT, || {
            let mut g = g.clone();
            let req = dualnet_proto::governance::v1::ListIncidentsRequest {
                complaint_id: complaint_id.to_string(),
                ..Default::default()
            };
            async move { g.list_incidents(req).await.unwrap().into_inner().incidents.into_iter().next() }
        })
        .await
    }

    /// Incident `id` once `until` holds of it (`what` names the wait).
    pub async fn incident_when(
        &self,
        id: &str,
        what: &str,
        until: impl Fn(&dualnet_proto::governance::v1::Incident) -> bool,
    ) -> dualnet_proto::governance::v1::Incident {
        let g = self.governance().await;
        dualnet_testkit::wait_for(what, WAIT, || {
            let (mut g, req) = (g.clone(), dualnet_proto::governance::v1::GetIncidentRequest { id: id.to_string() });
            let until = &until;
            async move { Some(g.get_incident(req).await.unwrap().into_inner()).filter(|i| until(i)) }
        })
        .await
    }

    /// Complaint `id` once `until` holds of it.
    pub async fn complaint_when(&self, id: &str, what: &str, until: impl Fn(&Complaint) -> bool) -> Complaint {
        let c = self.complaints().await;
        dualnet_testkit::wait_for(what, WAIT, || {
            let req = dualnet_proto::complaints::v1::GetComplaintRequest { id: id.to_string(), ..Default::default() };
            let (mut c, until) = (c.clone(), &until);
            async move { Some(c.get_complaint(req).await.unwrap().into_inner()).filter(|x| until(x)) }
        })
        .await
    }

    /// The linkage tasks party-grid holds for incident `incident_id`, once
    /// `until` holds of them.
    pub async fn tasks_of(
        &self,
        incident_id: &str,
        what: &str,
        until: impl Fn(&[LinkageTask]) -> bool,
    ) -> Vec<LinkageTask> {
        let p = self.party().await;
        dualnet_testkit::wait_for(what, WAIT, || {
            let req = ListLinkageTasksRequest { incident_id: incident_id.to_string(), ..Default::default() };
            let (mut p, until) = (p.clone(), &until);
            async move { Some(p.list_linkage_tasks(req).await.unwrap().into_inner().tasks).filter(|t| until(t)) }
        })
        .await
    }

    /// Files `request` at the seed's building once complaints knows it: the
    /// map reaches complaints as events, so the filing is repeated until the
    /// building resolves to its grid (each earlier one is filed too, on no
    /// grid). The complaint that reached a grid.
    pub async fn file_at(&self, seed: &Seed, request: FileComplaintRequest) -> Complaint {
        let complaints = self.complaints().await;
        let request = FileComplaintRequest { building_id: seed.building_id.clone(), ..request };
        dualnet_testkit::wait_for("the building to be known", WAIT, || {
            let (mut c, request) = (complaints.clone(), request.clone());
            async move {
                let filed = c.file_complaint(request).await.unwrap().into_inner();
                (!filed.grid_id.is_empty()).then_some(filed)
            }
        })
        .await
    }
}

impl Seed {
    /// Makes the seed through the two networks' APIs (of a system, or of one
    /// node).
    pub async fn plant(
        mut g: GovernanceGridClient<Channel>,
        mut p: PartyGridClient<Channel>,
        with_group: bool,
    ) -> Self {
        use dualnet_proto::{governance::v1 as gov, partygrid::v1 as party};
        let code = unique("bantian");
        let sub = g
            .create_subdistrict(gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() })
            .await
            .unwrap()
            .into_inner();
        let community = g
            .create_community(gov::CreateCommunityRequest {
                subdistrict_id: sub.id.clone(),
                code: format!("{code}-xjt"),
                name: "象角塘社区".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let grid = g
            .create_grid(gov::CreateGridRequest {
                community_id: community.id.clone(),
                code: format!("{code}-xjt-01"),
                name: "城市广场网格".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let building = g
            .create_building(gov::CreateBuildingRequest {
                grid_id: grid.id.clone(),
                code: format!("{code}-xjt-01-b1"),
                name: "城市广场1栋".into(),
                address: "坂田街道城市广场1栋".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let org = |kind: party::OrganisationKind, name: &str| party::CreateOrganisationRequest {
            parent_id: String::new(),
            kind: kind as i32,
            name: name.into(),
        };
        let creator = p.clone();
        let create = move |kind, name| {
            let mut p = creator.clone();
            let req = org(kind, name);
            async move { p.create_organisation(req).await.unwrap().into_inner().id }
        };
        let committee = create(party::OrganisationKind::WorkingCommittee, "坂田街道党工委").await;
        bind(&mut p, &committee, party::UnitKind::Subdistrict, &sub.id).await;
        let community_org = create(party::OrganisationKind::CommunityCommittee, "象角塘社区党委").await;
        bind(&mut p, &community_org, party::UnitKind::Community, &community.id).await;
        let branch = create(party::OrganisationKind::GridBranch, "城市广场党支部").await;
        bind(&mut p, &branch, party::UnitKind::Grid, &grid.id).await;
        let group = if with_group {
            let group = p
                .create_organisation(org(party::OrganisationKind::BuildingGroup, "城市广场1栋党小组"))
                .await
                .unwrap()
                .into_inner()
                .id;
            bind(&mut p, &group, party::UnitKind::Building, &building.id).await;
            Some(group)
        } else {
            None
        };
        // complaints resolves buildings from the same events; wait until it
        // has seen this one, or a complaint filed now would not know its grid.
        Seed {
            subdistrict_id: sub.id,
            community_id: community.id,
            committee_id: committee,
            community_org_id: community_org,
            grid_id: grid.id,
            building_id: building.id,
            branch_id: branch,
            group_id: group,
        }
    }
}

/// Binds once party-grid has learned of the unit from governance-grid's
/// events (NOT_FOUND until then).
pub async fn bind(
    p: &mut PartyGridClient<Channel>,
    org: &str,
    kind: dualnet_proto::partygrid::v1::UnitKind,
    unit: &str,
) {
    use dualnet_proto::partygrid::v1 as party;
    let req =
        party::BindOrganisationRequest { organisation_id: org.into(), unit_kind: kind as i32, unit_id: unit.into() };
    dualnet_testkit::wait_for("party-grid to learn the unit and accept the binding", WAIT, || {
        let mut p = p.clone();
        let req = req.clone();
        async move {
            match p.bind_organisation(req).await {
                Ok(_) => Some(()),
                Err(s) if s.code() == tonic::Code::NotFound => None,
                Err(s) => panic!("binding refused: {s}"),
            }
        }
    })
    .await
}
