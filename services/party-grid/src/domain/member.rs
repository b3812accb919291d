//! Party members and their roles in an organisation.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Secretary,
    CommitteeMember,
    Member,
    /// 楼栋长: heads a building.
    BuildingHead,
    Volunteer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub role: Role,
    pub building_id: Option<Uuid>,
    /// 双报到: the residential community the member registered with.
    pub registered_community_id: Option<Uuid>,
}

/// A building head names a building; nobody else does.
pub fn check_building(role: Role, building: Option<Uuid>) -> Result<(), &'static str> {
    match (role, building) {
        (Role::BuildingHead, None) => Err("a building head must name the building"),
        (Role::BuildingHead, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err("only a building head names a building"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_building_heads_name_a_building() {
        assert!(check_building(Role::BuildingHead, Some(Uuid::now_v7())).is_ok());
        assert!(check_building(Role::BuildingHead, None).is_err());
        assert!(check_building(Role::Member, Some(Uuid::now_v7())).is_err());
        assert!(check_building(Role::Volunteer, None).is_ok());
    }
}
