//! Party organisations and the dual-network binding (两网合一): which kind
//! of organisation mirrors which kind of governance unit.

use dualnet_platform::Named;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum OrgKind {
    /// 街道党工委
    WorkingCommittee,
    /// 社区党委
    CommunityCommittee,
    /// 网格党支部
    GridBranch,
    /// 楼栋党小组
    BuildingGroup,
    Enterprise,
    IndustrialPark,
    BusinessDistrict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum UnitKind {
    Subdistrict,
    Community,
    Grid,
    Building,
    Enterprise,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: OrgKind,
    pub name: String,
    pub binding: Option<(UnitKind, Uuid)>,
}

impl OrgKind {
    /// The governance unit this kind of organisation binds to, if any.
    pub fn binds_to(self) -> Option<UnitKind> {
        match self {
            OrgKind::WorkingCommittee => Some(UnitKind::Subdistrict),
            OrgKind::CommunityCommittee => Some(UnitKind::Community),
            OrgKind::GridBranch => Some(UnitKind::Grid),
            OrgKind::BuildingGroup => Some(UnitKind::Building),
            OrgKind::Enterprise => Some(UnitKind::Enterprise),
            _ => None,
        }
    }
}

impl OrgKind {
    /// May an organisation of this kind sit under a parent of kind `parent`?
    /// The tree runs working committee → community committee → grid branch →
    /// building group; enterprise, industrial-park and business-district
    /// organisations sit under the working committee or a community committee.
    pub fn fits_under(self, parent: OrgKind) -> bool {
        use OrgKind as K;
        match self {
            K::WorkingCommittee => false,
            K::CommunityCommittee => parent == K::WorkingCommittee,
            K::GridBranch => parent == K::CommunityCommittee,
            K::BuildingGroup => parent == K::GridBranch,
            K::Enterprise | K::IndustrialPark | K::BusinessDistrict => {
                matches!(parent, K::WorkingCommittee | K::CommunityCommittee)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingError {
    /// This kind of organisation does not mirror this kind of unit.
    WrongKind {
        org: OrgKind,
        unit: UnitKind,
    },
    AlreadyBound,
}

impl std::fmt::Display for BindingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindingError::WrongKind { org, unit } => {
                write!(f, "a {} cannot be bound to a {}", org.as_str().replace('_', " "), unit.as_str())
            }
            BindingError::AlreadyBound => write!(f, "the organisation is already bound"),
        }
    }
}

/// Checks that `org` may be bound to a unit of kind `unit`.
pub fn check_binding(org: &Organisation, unit: UnitKind) -> Result<(), BindingError> {
    if org.binding.is_some() {
        return Err(BindingError::AlreadyBound);
    }
    if org.kind.binds_to() != Some(unit) {
        return Err(BindingError::WrongKind { org: org.kind, unit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(kind: OrgKind) -> Organisation {
        Organisation { id: Uuid::now_v7(), parent_id: None, kind, name: "x".into(), binding: None }
    }

    #[test]
    fn a_grid_branch_binds_to_a_grid_and_a_building_group_to_a_building() {
        assert!(check_binding(&org(OrgKind::GridBranch), UnitKind::Grid).is_ok());
        assert!(check_binding(&org(OrgKind::BuildingGroup), UnitKind::Building).is_ok());
    }

    #[test]
    fn a_branch_cannot_be_bound_to_a_building() {
        assert_eq!(
            check_binding(&org(OrgKind::GridBranch), UnitKind::Building),
            Err(BindingError::WrongKind { org: OrgKind::GridBranch, unit: UnitKind::Building })
        );
        assert!(check_binding(&org(OrgKind::WorkingCommittee), UnitKind::Grid).is_err());
        assert!(check_binding(&org(OrgKind::Enterprise), UnitKind::Building).is_err());
        assert!(check_binding(&org(OrgKind::Enterprise), UnitKind::Enterprise).is_ok());
    }

    #[test]
    fn the_committees_bind_to_their_community_and_subdistrict() {
        assert!(check_binding(&org(OrgKind::CommunityCommittee), UnitKind::Community).is_ok());
        assert!(check_binding(&org(OrgKind::WorkingCommittee), UnitKind::Subdistrict).is_ok());
    }

    #[test]
    fn the_tree_runs_committee_community_branch_group() {
        assert!(OrgKind::CommunityCommittee.fits_under(OrgKind::WorkingCommittee));
        assert!(OrgKind::GridBranch.fits_under(OrgKind::CommunityCommittee));
        assert!(OrgKind::BuildingGroup.fits_under(OrgKind::GridBranch));
        assert!(OrgKind::Enterprise.fits_under(OrgKind::CommunityCommittee));
        assert!(!OrgKind::BuildingGroup.fits_under(OrgKind::WorkingCommittee));
        assert!(!OrgKind::WorkingCommittee.fits_under(OrgKind::WorkingCommittee));
    }

    #[test]
    fn an_organisation_is_bound_once() {
        let mut o = org(OrgKind::GridBranch);
        o.binding = Some((UnitKind::Grid, Uuid::now_v7()));
        assert_eq!(check_binding(&o, UnitKind::Grid), Err(BindingError::AlreadyBound));
    }
}
