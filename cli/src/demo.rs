//! `dualnet up --demo`: a small Bantian-like map (one subdistrict, three
//! communities, their grids and buildings) with the party tree bound to it,
//! 新雪社区's residents' council (with a liaison deputy) and security
//! committee (with a weekly patrol), seeded through the public APIs, and
//! example calls to try.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use dualnet_proto::{
    governance::v1::{self as gov, governance_grid_client::GovernanceGridClient},
    partygrid::v1::{self as party, party_grid_client::PartyGridClient},
};
use tonic::Code;

use crate::bearer::{Authed, Bearer};

/// What the demo created that a caller needs.
pub struct Seeded {
    pub subdistrict: String,
    /// (community, grid, building id, building name)
    pub buildings: Vec<(String, String, String, String)>,
    /// 新雪社区居民议事会: (community id, council id, liaison deputy's member id)
    pub council: Option<(String, String, String)>,
}

/// (community code, community, grid code, grid, [(building code, building)])
type CommunityEntry = (&'static str, &'static str, &'static str, &'static str, [(&'static str, &'static str); 2]);

/// Communities of Bantian, a grid in each, two buildings per grid.
const MAP: &[CommunityEntry] = &[
    (
        "xiangjiaotang",
        "象角塘社区",
        "xjt-01",
        "城市广场网格",
        [("xjt-01-b1", "城市广场1栋"), ("xjt-01-b2", "城市广场2栋")],
    ),
    ("xinxue", "新雪社区", "xx-01", "新雪平安网格", [("xx-01-b1", "新雪村3栋"), ("xx-01-b2", "新雪村5栋")]),
    ("wuhe", "五和社区", "wh-01", "五和新村网格", [("wh-01-b1", "五和新村12栋"), ("wh-01-b2", "五和新村15栋")]),
];

type Party = PartyGridClient<Authed>;
type Governance = GovernanceGridClient<Authed>;

async fn org(client: &mut Party, parent: &str, kind: party::OrganisationKind, name: &str) -> anyhow::Result<String> {
    let req = party::CreateOrganisationRequest { parent_id: parent.into(), kind: kind as i32, name: name.into() };
    Ok(client.create_organisation(req).await?.into_inner().id)
}

/// Binds, waiting for party-grid to learn of the unit from governance-grid's
/// events (its read model is eventually consistent).
async fn bind(client: &mut Party, org: &str, kind: party::UnitKind, unit: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let req = party::BindOrganisationRequest {
            organisation_id: org.into(),
            unit_kind: kind as i32,
            unit_id: unit.into(),
        };
        match client.bind_organisation(req).await {
            Ok(_) => return Ok(()),
            Err(s) if s.code() == Code::NotFound && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(s) => return Err(s).context("binding"),
        }
    }
}

/// 新雪社区居民议事会, convened by the community's party committee: a
/// people's congress deputy liaising with the community (两代表一委员),
/// residents and a migrant resident; a five-year term, half the members
/// for a quorum. The names are the demo's own.
async fn seed_council(p: &mut Party, community: &str, convenor: &str) -> anyhow::Result<(String, String, String)> {
    let now = chrono::Utc::now();
    let at = |t: chrono::DateTime<chrono::Utc>| prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 };
    let req = party::CreateCouncilRequest {
        community_id: community.into(),
        name: "新雪社区居民议事会".into(),
        convenor_organisation_id: convenor.into(),
        term_start: Some(at(now)),
        term_end: Some(at(now + chrono::Duration::days(5 * 365))),
        ..Default::default()
    };
    let council = p.create_council(req).await.context("the demo council")?.into_inner().id;
    let mut liaison = String::new();
    for (name, kind, role) in [
        ("陈建国", party::CouncilMemberKind::Liaison, party::LiaisonRole::PeoplesCongressDeputy),
        ("王芳", party::CouncilMemberKind::Resident, party::LiaisonRole::Unspecified),
        ("张伟", party::CouncilMemberKind::Resident, party::LiaisonRole::Unspecified),
        ("刘洋", party::CouncilMemberKind::MigrantResident, party::LiaisonRole::Unspecified),
    ] {
        let req = party::AddCouncilMemberRequest {
            council_id: council.clone(),
            name: name.into(),
            kind: kind as i32,
            liaison_role: role as i32,
            ..Default::default()
        };
        let id = p.add_council_member(req).await.context("a demo council member")?.into_inner().id;
        if kind == party::CouncilMemberKind::Liaison {
            liaison = id;
        }
    }
    Ok((community.to_string(), council, liaison))
}

/// 新雪社区治保会 with two members and a weekly patrol over the
/// community's buildings.
async fn seed_patrol(g: &mut Governance, community: &str, buildings: Vec<String>) -> anyhow::Result<String> {
    let req =
        gov::CreateSecurityCommitteeRequest { community_id: community.into(), name: "新雪社区治保会".into() };
    let committee = g.create_security_committee(req).await.context("the demo security committee")?.into_inner().id;
    let mut team = Vec::new();
    for name in ["赵卫东", "孙丽"] {
        let req =
            gov::AddPatrolMemberRequest { committee_id: committee.clone(), name: name.into(), ..Default::default() };
        team.push(g.add_patrol_member(req).await.context("a demo patrol member")?.into_inner().id);
    }
    let req = gov::CreatePatrolPlanRequest {
        committee_id: committee.clone(),
        name: "新雪村夜间巡逻".into(),
        building_ids: buildings,
        every_days: 7,
        team_member_ids: team,
        ..Default::default()
    };
    g.create_patrol_plan(req).await.context("the demo patrol plan")?;
    Ok(committee)
}

/// Seeds through governance-grid at `governance` and party-grid at `party`
/// (the same endpoint on one node), e.g. `http://127.0.0.1:50050`, with the
/// caller's token where authentication is on (it needs the import and bind
/// permissions).
pub async fn seed(governance: &str, party: &str, bearer: &Bearer) -> anyhow::Result<Seeded> {
    let mut g = GovernanceGridClient::new(bearer.connect(governance).await?);
    let mut p = PartyGridClient::new(bearer.connect(party).await?);
    // Codes unique per run, so seeding twice into one system never collides.
    let code = format!("bantian-{}", uuid::Uuid::now_v7().simple());
    let subdistrict = g
        .create_subdistrict(gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() })
        .await?
        .into_inner();
    let committee = org(&mut p, "", party::OrganisationKind::WorkingCommittee, "坂田街道党工委").await?;
    bind(&mut p, &committee, party::UnitKind::Subdistrict, &subdistrict.id).await?;
    let mut buildings = Vec::new();
    let mut council = None;
    for (c_code, c_name, g_code, g_name, bs) in MAP {
        let suffix = |c: &str| format!("{code}-{c}");
        let community = g
            .create_community(gov::CreateCommunityRequest {
                subdistrict_id: subdistrict.id.clone(),
                code: suffix(c_code),
                name: (*c_name).into(),
            })
            .await?
            .into_inner();
        let grid = g
            .create_grid(gov::CreateGridRequest {
                community_id: community.id.clone(),
                code: suffix(g_code),
                name: (*g_name).into(),
            })
            .await?
            .into_inner();
        let community_org =
            org(&mut p, &committee, party::OrganisationKind::CommunityCommittee, &format!("{c_name}党委")).await?;
        bind(&mut p, &community_org, party::UnitKind::Community, &community.id).await?;
        if *c_code == "xinxue" {
            council = Some(seed_council(&mut p, &community.id, &community_org).await?);
        }
        let branch =
            org(&mut p, &community_org, party::OrganisationKind::GridBranch, &format!("{g_name}党支部")).await?;
        bind(&mut p, &branch, party::UnitKind::Grid, &grid.id).await?;
        let mut ids = Vec::new();
        for (b_code, b_name) in bs {
            let building = g
                .create_building(gov::CreateBuildingRequest {
                    grid_id: grid.id.clone(),
                    code: suffix(b_code),
                    name: (*b_name).into(),
                    address: format!("深圳市龙岗区坂田街道{b_name}"),
                    ..Default::default()
                })
                .await?
                .into_inner();
            let group =
                org(&mut p, &branch, party::OrganisationKind::BuildingGroup, &format!("{b_name}党小组")).await?;
            bind(&mut p, &group, party::UnitKind::Building, &building.id).await?;
            ids.push(building.id.clone());
            buildings.push((c_name.to_string(), g_name.to_string(), building.id, b_name.to_string()));
        }
        if *c_code == "xinxue" {
            seed_patrol(&mut g, &community.id, ids).await?;
        }
    }
    Ok(Seeded { subdistrict: subdistrict.id, buildings, council })
}

/// The node's HTTP faces, as bound.
#[derive(Clone, Copy)]
pub struct Http {
    pub open311: Option<SocketAddr>,
    pub notices: Option<SocketAddr>,
}

#[allow(clippy::print_stdout)]
pub fn print_endpoints(addr: SocketAddr, http: Http) {
    if let Some(o) = http.open311 {
        println!("Open311 GeoReport v2 (JSON over HTTP): http://{o}/open311/v2/services.json");
    }
    if let Some(n) = http.notices {
        println!("Community notices (public, JSON and Atom): http://{n}/notices/v1/communities/<community_id>.atom");
    }
    println!("dualnet is serving on {addr} (gRPC, plaintext):");
    for service in [
        "dualnet.governance.v1.GovernanceGrid",
        "dualnet.partygrid.v1.PartyGrid",
        "dualnet.complaints.v1.Complaints",
        "dualnet.arbitration.v1.Arbitration",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection (and v1alpha)",
    ] {
        println!("  {service}");
    }
}

/// The example call, as `grpcurl` arguments: the method and the JSON body.
pub fn example(building_id: &str) -> (String, String) {
    let body = format!(
        r#"{{"kind":"REQUEST_KIND_COMPLAINT","category":"noise","channel":"CHANNEL_HOTLINE","building_id":"{building_id}","description":"Construction noise after 22:00"}}"#
    );
    ("dualnet.complaints.v1.Complaints/FileComplaint".to_string(), body)
}

#[allow(clippy::print_stdout)]
pub fn print(addr: SocketAddr, http: Http, seeded: &Seeded, authenticated: bool) {
    let bearer = if authenticated { r#"-H "authorization: Bearer $DUALNET_TOKEN" "# } else { "" };
    let api_key = if authenticated { r#"-d "api_key=$DUALNET_TOKEN" "# } else { "" };
    print_endpoints(addr, http);
    println!();
    println!("Demo map: subdistrict 坂田街道 ({})", seeded.subdistrict);
    for (community, grid, id, name) in &seeded.buildings {
        println!("  {community} / {grid} / {name}  building_id={id}");
    }
    if let Some((_, _, id, name)) = seeded.buildings.first() {
        let (method, body) = example(id);
        println!();
        println!(
            "File a noise complaint at {name}; an incident opens in its grid and the bound party branch and group get linkage tasks:"
        );
        println!("  grpcurl -plaintext {bearer}-d '{body}' {addr} {method}");
        println!("Then list the incidents of the grid:");
        println!("  grpcurl -plaintext {bearer}-d '{{}}' {addr} dualnet.governance.v1.GovernanceGrid/ListIncidents");
        if let Some((community, council, liaison)) = &seeded.council {
            println!("新雪社区居民议事会 (council {council}): its liaison deputy raises a topic for the next meeting:");
            let body = format!(
                r#"{{"council_id":"{council}","title":"楼道堆放杂物","source":"TOPIC_SOURCE_LIAISON","member_id":"{liaison}","actor":"陈建国"}}"#
            );
            println!("  grpcurl -plaintext {bearer}-d '{body}' {addr} dualnet.partygrid.v1.PartyGrid/RaiseTopic");
            if let Some(n) = http.notices {
                println!(
                    "What its residents can read, without a token: http://{n}/notices/v1/communities/{community}.atom"
                );
            }
        }
        if let Some(o) = http.open311 {
            println!("Or file it as an Open311 client would:");
            println!(
                "  curl -s -d 'service_code=noise&address_id={id}&description=Construction+noise' {api_key}http://{o}/open311/v2/requests.json"
            );
        }
    }
}
