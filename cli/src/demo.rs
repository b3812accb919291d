//! `dualnet up --demo`: a small Bantian-like map (one subdistrict, three
//! communities, their grids and buildings) with the party tree bound to it,
//! seeded through the public APIs, and an example call to try.

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
        let branch =
            org(&mut p, &community_org, party::OrganisationKind::GridBranch, &format!("{g_name}党支部")).await?;
        bind(&mut p, &branch, party::UnitKind::Grid, &grid.id).await?;
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
            buildings.push((c_name.to_string(), g_name.to_string(), building.id, b_name.to_string()));
        }
    }
    Ok(Seeded { subdistrict: subdistrict.id, buildings })
}

#[allow(clippy::print_stdout)]
pub fn print_endpoints(addr: SocketAddr, open311: Option<SocketAddr>) {
    if let Some(o) = open311 {
        println!("Open311 GeoReport v2 (JSON over HTTP): http://{o}/open311/v2/services.json");
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
pub fn print(addr: SocketAddr, open311: Option<SocketAddr>, seeded: &Seeded, authenticated: bool) {
    let bearer = if authenticated { r#"-H "authorization: Bearer $DUALNET_TOKEN" "# } else { "" };
    let api_key = if authenticated { r#"-d "api_key=$DUALNET_TOKEN" "# } else { "" };
    print_endpoints(addr, open311);
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
        if let Some(o) = open311 {
            println!("Or file it as an Open311 client would:");
            println!(
                "  curl -s -d 'service_code=noise&address_id={id}&description=Construction+noise' {api_key}http://{o}/open311/v2/requests.json"
            );
        }
    }
}
