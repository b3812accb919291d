//! Coverage — 红旗插在每个楼栋: every building should have a party group
//! bound to it and a party member as its building head; every grid a branch.

use std::collections::BTreeMap;

use uuid::Uuid;

/// One building as the coverage count sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingCover {
    pub building: Uuid,
    pub community: Option<Uuid>,
    pub has_group: bool,
    pub has_party_head: bool,
}

/// One grid as the coverage count sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCover {
    pub grid: Uuid,
    pub community: Option<Uuid>,
    pub has_branch: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub buildings: u32,
    pub with_group: u32,
    pub with_party_head: u32,
    pub grids: u32,
    pub with_branch: u32,
}

impl Figures {
    fn share(part: u32, whole: u32) -> f64 {
        if whole == 0 { 0.0 } else { f64::from(part) / f64::from(whole) }
    }

    pub fn group_share(&self) -> f64 {
        Self::share(self.with_group, self.buildings)
    }

    pub fn party_head_share(&self) -> f64 {
        Self::share(self.with_party_head, self.buildings)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub total: Figures,
    pub communities: BTreeMap<Uuid, Figures>,
    /// Buildings without a bound party group.
    pub uncovered_buildings: Vec<Uuid>,
    /// Grids without a bound branch.
    pub uncovered_grids: Vec<Uuid>,
}

pub fn count(buildings: &[BuildingCover], grids: &[GridCover]) -> Report {
    let mut r = Report::default();
    for b in buildings {
        for f in std::iter::once(&mut r.total).chain(b.community.map(|c| r.communities.entry(c).or_default())) {
            f.buildings += 1;
            f.with_group += u32::from(b.has_group);
            f.with_party_head += u32::from(b.has_party_head);
        }
        if !b.has_group {
            r.uncovered_buildings.push(b.building);
        }
    }
    for g in grids {
        for f in std::iter::once(&mut r.total).chain(g.community.map(|c| r.communities.entry(c).or_default())) {
            f.grids += 1;
            f.with_branch += u32::from(g.has_branch);
        }
        if !g.has_branch {
            r.uncovered_grids.push(g.grid);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_count_groups_and_party_heads_per_community() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let building = |community, has_group, has_party_head| BuildingCover {
            building: Uuid::now_v7(),
            community: Some(community),
            has_group,
            has_party_head,
        };
        let buildings =
            [building(a, true, true), building(a, true, false), building(a, false, false), building(b, false, true)];
        let grids = [GridCover { grid: Uuid::now_v7(), community: Some(a), has_branch: true }];
        let r = count(&buildings, &grids);
        assert_eq!(r.total.buildings, 4);
        assert_eq!(r.total.group_share(), 0.5);
        assert_eq!(r.total.party_head_share(), 0.5);
        assert_eq!(r.communities[&a].group_share(), 2.0 / 3.0);
        assert_eq!(r.communities[&b].with_party_head, 1);
        assert_eq!(r.uncovered_buildings.len(), 2);
        assert!(r.uncovered_grids.is_empty());
    }

    #[test]
    fn nothing_to_cover_is_a_zero_share_not_a_division_by_zero() {
        let r = count(&[], &[]);
        assert_eq!(r.total.group_share(), 0.0);
    }
}
