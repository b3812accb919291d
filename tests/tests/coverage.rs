//! 红旗插在每个楼栋: coverage of the party network over a seeded map with
//! known gaps, and party members with their roles, over Kafka.

#![allow(clippy::too_many_lines)]

use dualnet_e2e::{System, WAIT, bind};
use dualnet_proto::{governance::v1 as gov, partygrid::v1 as party};
use dualnet_testkit::{unique, wait_for};
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_counts_match_a_map_with_known_gaps() {
    let system = System::start().await;
    let mut g = system.governance().await;
    let mut p = system.party().await;
    let code = unique("cov");
    let sub = g
        .create_subdistrict(gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() })
        .await
        .unwrap()
        .into_inner();
    let community = |c: &str| {
        let mut g = g.clone();
        let req =
            gov::CreateCommunityRequest { subdistrict_id: sub.id.clone(), code: format!("{code}-{c}"), name: c.into() };
        async move { g.create_community(req).await.unwrap().into_inner().id }
    };
    let (a, b) = (community("象角塘").await, community("五和").await);
    let grid = |community: &str, c: &str| {
        let mut g = g.clone();
        let req =
            gov::CreateGridRequest { community_id: community.into(), code: format!("{code}-{c}"), name: c.into() };
        async move { g.create_grid(req).await.unwrap().into_inner().id }
    };
    let (a1, a2, b1) = (grid(&a, "a1").await, grid(&a, "a2").await, grid(&b, "b1").await);
    let building = |grid: &str, c: &str| {
        let mut g = g.clone();
        let req = gov::CreateBuildingRequest {
            grid_id: grid.into(),
            code: format!("{code}-{c}"),
            name: c.into(),
            address: String::new(),
            ..Default::default()
        };
        async move { g.create_building(req).await.unwrap().into_inner().id }
    };
    let a1b1 = building(&a1, "a1b1").await;
    let a1b2 = building(&a1, "a1b2").await;
    let a2b1 = building(&a2, "a2b1").await;
    let b1b1 = building(&b1, "b1b1").await;

    let creator = p.clone();
    let org = |kind: party::OrganisationKind, name: &str| {
        let mut p = creator.clone();
        let req = party::CreateOrganisationRequest { parent_id: String::new(), kind: kind as i32, name: name.into() };
        async move { p.create_organisation(req).await.unwrap().into_inner().id }
    };
    // Branches for grids a1 and b1 (a2 left uncovered); groups for every
    // building but a2b1; party-member building heads for a1b1 and b1b1.
    for grid in [&a1, &b1] {
        let branch = org(party::OrganisationKind::GridBranch, "党支部").await;
        bind(&mut p, &branch, party::UnitKind::Grid, grid).await;
    }
    let mut groups = Vec::new();
    for building in [&a1b1, &a1b2, &b1b1] {
        let group = org(party::OrganisationKind::BuildingGroup, "党小组").await;
        bind(&mut p, &group, party::UnitKind::Building, building).await;
        groups.push(group);
    }
    // A unit takes one organisation, an organisation one unit.
    let second = org(party::OrganisationKind::BuildingGroup, "党小组").await;
    let taken = p
        .bind_organisation(party::BindOrganisationRequest {
            organisation_id: second,
            unit_kind: party::UnitKind::Building as i32,
            unit_id: a1b1.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists, "a building already bound");
    let twice = p
        .bind_organisation(party::BindOrganisationRequest {
            organisation_id: groups[0].clone(),
            unit_kind: party::UnitKind::Building as i32,
            unit_id: a2b1.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "an organisation already bound");
    for (group, building) in [(&groups[0], &a1b1), (&groups[2], &b1b1)] {
        p.add_member(party::AddMemberRequest {
            organisation_id: group.clone(),
            name: "楼栋长".into(),
            role: party::MemberRole::BuildingHead as i32,
            building_id: building.clone(),
        })
        .await
        .unwrap();
    }

    let cov = wait_for("party-grid to know the whole map", WAIT, || {
        let mut p = p.clone();
        async move {
            let c = p.get_coverage(party::GetCoverageRequest::default()).await.unwrap().into_inner();
            let t = c.total.unwrap_or_default();
            (t.buildings == 4 && t.grids == 3).then_some(c)
        }
    })
    .await;
    let total = cov.total.unwrap();
    assert_eq!(
        (total.buildings_with_group, total.buildings_with_party_head, total.grids_with_branch),
        (3, 2, 2),
        "{total:?}"
    );
    assert_eq!(total.group_share, 0.75);
    assert_eq!(total.party_head_share, 0.5);
    assert_eq!(cov.uncovered_buildings, vec![a2b1.clone()]);
    assert_eq!(cov.uncovered_grids, vec![a2.clone()]);
    let of = |c: &str| cov.communities.iter().find(|x| x.community_id == c).unwrap().figures.unwrap();
    let (fa, fb) = (of(&a), of(&b));
    assert_eq!((fa.buildings, fa.buildings_with_group, fa.buildings_with_party_head), (3, 2, 1));
    assert_eq!((fb.buildings, fb.buildings_with_group, fb.buildings_with_party_head), (1, 1, 1));
    let only_b = p.get_coverage(party::GetCoverageRequest { community_id: b.clone() }).await.unwrap().into_inner();
    assert_eq!(only_b.total.unwrap().buildings, 1);
    assert!(only_b.uncovered_buildings.is_empty());

    // The map changes under a binding: b1b1 is demolished. Its group's binding
    // is flagged and the building leaves the coverage count.
    let retired = g
        .retire_building(gov::RetireBuildingRequest {
            id: b1b1.clone(),
            reason: "demolished for the new metro line".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(retired.retired);
    let again =
        g.retire_building(gov::RetireBuildingRequest { id: b1b1.clone(), reason: "x".into() }).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    let flagged = wait_for("the binding to the retired building flagged", WAIT, || {
        let mut p = p.clone();
        async move {
            let list =
                p.list_flagged_bindings(party::ListFlaggedBindingsRequest::default()).await.unwrap().into_inner();
            list.bindings.into_iter().next()
        }
    })
    .await;
    assert_eq!(flagged.organisation_id, groups[2]);
    assert!(flagged.reason.contains("metro"), "{}", flagged.reason);
    let after = p.get_coverage(party::GetCoverageRequest::default()).await.unwrap().into_inner().total.unwrap();
    assert_eq!((after.buildings, after.buildings_with_group), (3, 2));
    let on_retired = g
        .report_incident(gov::ReportIncidentRequest {
            grid_id: b1.clone(),
            building_id: b1b1.clone(),
            category: "noise".into(),
            summary: "x".into(),
            reporter: "网格员".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(on_retired.code(), Code::FailedPrecondition, "no new incidents in a retired building");
    let rebind = p
        .bind_organisation(party::BindOrganisationRequest {
            organisation_id: org(party::OrganisationKind::BuildingGroup, "党小组").await,
            unit_kind: party::UnitKind::Building as i32,
            unit_id: b1b1.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(rebind.code(), Code::NotFound, "a retired building takes no new binding");

    // The party network of grid a1: its branch, both building groups, the head.
    let network = p.get_grid_network(party::GetGridNetworkRequest { grid_id: a1.clone() }).await.unwrap().into_inner();
    assert!(network.branch.is_some());
    let mut group_ids: Vec<String> = network.groups.iter().map(|o| o.id.clone()).collect();
    group_ids.sort();
    let mut expected = vec![groups[0].clone(), groups[1].clone()];
    expected.sort();
    assert_eq!(group_ids, expected);
    assert_eq!(network.members.len(), 1, "the building head of a1b1");
    let lonely = p.get_grid_network(party::GetGridNetworkRequest { grid_id: a2.clone() }).await.unwrap().into_inner();
    assert!(lonely.branch.is_none() && lonely.groups.is_empty());
    let unknown = party::GetGridNetworkRequest { grid_id: uuid::Uuid::now_v7().to_string() };
    assert_eq!(p.get_grid_network(unknown).await.unwrap_err().code(), Code::NotFound);

    // Members: roles are checked, and members move between organisations.
    let stray = p
        .add_member(party::AddMemberRequest {
            organisation_id: groups[1].clone(),
            name: "党员".into(),
            role: party::MemberRole::Member as i32,
            building_id: a1b2.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(stray.code(), Code::InvalidArgument, "only a building head names a building");
    let nowhere = p
        .add_member(party::AddMemberRequest {
            organisation_id: groups[1].clone(),
            name: "楼栋长".into(),
            role: party::MemberRole::BuildingHead as i32,
            building_id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(nowhere.code(), Code::NotFound, "a building head of a building that does not exist");
    let volunteer = p
        .add_member(party::AddMemberRequest {
            organisation_id: groups[1].clone(),
            name: "党员志愿者".into(),
            role: party::MemberRole::Volunteer as i32,
            building_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let moved = p
        .transfer_member(party::TransferMemberRequest {
            member_id: volunteer.id.clone(),
            to_organisation_id: groups[0].clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.organisation_id, groups[0]);
    let listed = p
        .list_members(party::ListMembersRequest { organisation_id: groups[0].clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .members;
    assert_eq!(listed.len(), 2, "the building head and the volunteer who moved in");
    // 双报到: the volunteer also registers with the community they live in.
    let registered = p
        .register_with_community(party::RegisterWithCommunityRequest {
            member_id: volunteer.id.clone(),
            community_id: b.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (registered.organisation_id.as_str(), registered.registered_community_id.as_str()),
        (groups[0].as_str(), b.as_str())
    );
    let nowhere = party::RegisterWithCommunityRequest {
        member_id: volunteer.id.clone(),
        community_id: uuid::Uuid::now_v7().to_string(),
    };
    assert_eq!(p.register_with_community(nowhere).await.unwrap_err().code(), Code::NotFound);
    let again = p
        .transfer_member(party::TransferMemberRequest {
            member_id: volunteer.id,
            to_organisation_id: groups[0].clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
}
