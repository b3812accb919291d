//! Party members: added, transferred and listed, registered with the
//! community they live in (双报到); and the coverage of buildings and grids
//! they and their organisations give.

#[allow(clippy::wildcard_imports)]
use super::*;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;

pub(super) type MemberRow = (Uuid, Uuid, String, String, Option<Uuid>, Option<Uuid>);

pub(super) const MEMBER_COLUMNS: &str = "id, organisation_id, name, role, building_id, registered_community_id";

pub(super) fn member(row: MemberRow) -> Result<Member, ApiError> {
    let (id, organisation_id, name, role, building_id, registered_community_id) = row;
    let role = Role::parse(&role).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored role {role:?}")))?;
    Ok(Member { id, organisation_id, name, role, building_id, registered_community_id })
}

pub(super) async fn unit_known(conn: &mut PgConnection, unit: UnitKind, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM governance_units WHERE unit_kind = $1 AND unit_id = $2 AND retired_at IS NULL)",
    )
    .bind(unit.as_str())
    .bind(id)
    .fetch_one(conn)
    .await
}

impl Store {
    pub async fn add_member(
        &self,
        organisation_id: Uuid,
        name: &str,
        role: Role,
        building_id: Option<Uuid>,
        chain: &Chain,
    ) -> Result<Member, ApiError> {
        let mut tx = self.pool.begin().await?;
        load_organisation(&mut tx, organisation_id, true)
            .await?
            .ok_or_else(|| ApiError::NotFound("organisation".into()))?;
        if let Some(b) = building_id
            && !unit_known(&mut tx, UnitKind::Building, b).await?
        {
            return Err(ApiError::NotFound("building".into()));
        }
        let m = Member {
            id: Uuid::now_v7(),
            organisation_id,
            name: name.into(),
            role,
            building_id,
            registered_community_id: None,
        };
        sqlx::query("INSERT INTO members (id, organisation_id, name, role, building_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(m.id)
            .bind(organisation_id)
            .bind(&m.name)
            .bind(role.as_str())
            .bind(building_id)
            .execute(&mut *tx)
            .await?;
        let event = pb::MemberAdded {
            member_id: m.id.to_string(),
            organisation_id: organisation_id.to_string(),
            role: wire::role(role) as i32,
            building_id: id_text(building_id),
        };
        OUTBOX.append(&mut tx, m.id, &event, chain).await?;
        tx.commit().await?;
        Ok(m)
    }

    pub async fn transfer_member(&self, id: Uuid, to: Uuid, chain: &Chain) -> Result<Member, ApiError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<MemberRow> =
            sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1 FOR UPDATE"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut m = member(row.ok_or_else(|| ApiError::NotFound("member".into()))?)?;
        load_organisation(&mut tx, to, false).await?.ok_or_else(|| ApiError::NotFound("organisation".into()))?;
        if m.organisation_id == to {
            return Err(ApiError::FailedPrecondition("the member already belongs to that organisation".into()));
        }
        let from = m.organisation_id;
        sqlx::query("UPDATE members SET organisation_id = $2 WHERE id = $1")
            .bind(id)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        let event = pb::MemberTransferred {
            member_id: id.to_string(),
            from_organisation_id: from.to_string(),
            to_organisation_id: to.to_string(),
        };
        OUTBOX.append(&mut tx, id, &event, chain).await?;
        tx.commit().await?;
        m.organisation_id = to;
        Ok(m)
    }

    /// An organisation's members in the order they joined, each with the
    /// time it joined; after `after` (joined, id) when given.
    pub async fn members(
        &self,
        organisation_id: Uuid,
        limit: i64,
        after: Option<(DateTime<Utc>, Uuid)>,
    ) -> Result<Vec<(DateTime<Utc>, Member)>, ApiError> {
        type Joined = (DateTime<Utc>, Uuid, Uuid, String, String, Option<Uuid>, Option<Uuid>);
        let rows: Vec<Joined> = sqlx::query_as(&format!(
            "SELECT joined_at, {MEMBER_COLUMNS} FROM members WHERE organisation_id = $1
               AND ($3::timestamptz IS NULL OR (joined_at, id) > ($3, $4))
             ORDER BY joined_at, id LIMIT $2"
        ))
        .bind(organisation_id)
        .bind(limit)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|(joined, a, b, c, d, e, g)| Ok((joined, member((a, b, c, d, e, g))?))).collect()
    }

    /// Coverage over the map party-grid knows, or one community of it.
    pub async fn coverage(&self, community: Option<Uuid>) -> Result<Report, ApiError> {
        let buildings: Vec<(Uuid, Option<Uuid>, bool, bool)> = sqlx::query_as(
            "SELECT b.unit_id, g.parent_id,
                    EXISTS (SELECT 1 FROM bindings x WHERE x.unit_kind = 'building' AND x.unit_id = b.unit_id),
                    EXISTS (SELECT 1 FROM members m WHERE m.role = 'building_head' AND m.building_id = b.unit_id)
             FROM governance_units b
             LEFT JOIN governance_units g ON g.unit_kind = 'grid' AND g.unit_id = b.parent_id
             WHERE b.unit_kind = 'building' AND b.retired_at IS NULL AND ($1::uuid IS NULL OR g.parent_id = $1)
             ORDER BY b.unit_id",
        )
        .bind(community)
        .fetch_all(&self.pool)
        .await?;
        let grids: Vec<(Uuid, Option<Uuid>, bool)> = sqlx::query_as(
            "SELECT g.unit_id, g.parent_id,
                    EXISTS (SELECT 1 FROM bindings x WHERE x.unit_kind = 'grid' AND x.unit_id = g.unit_id)
             FROM governance_units g
             WHERE g.unit_kind = 'grid' AND g.retired_at IS NULL AND ($1::uuid IS NULL OR g.parent_id = $1)
             ORDER BY g.unit_id",
        )
        .bind(community)
        .fetch_all(&self.pool)
        .await?;
        let buildings: Vec<BuildingCover> = buildings
            .into_iter()
            .map(|(building, community, has_group, has_party_head)| BuildingCover {
                building,
                community,
                has_group,
                has_party_head,
            })
            .collect();
        let grids: Vec<GridCover> =
            grids.into_iter().map(|(grid, community, has_branch)| GridCover { grid, community, has_branch }).collect();
        Ok(coverage::count(&buildings, &grids))
    }
}

impl Store {
    /// 双报到: registers a member with the community they live in.
    pub async fn register_with_community(&self, id: Uuid, community: Uuid, chain: &Chain) -> Result<Member, ApiError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<MemberRow> =
            sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1 FOR UPDATE"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut m = member(row.ok_or_else(|| ApiError::NotFound("member".into()))?)?;
        if !unit_known(&mut tx, UnitKind::Community, community).await? {
            return Err(ApiError::NotFound("community".into()));
        }
        sqlx::query("UPDATE members SET registered_community_id = $2 WHERE id = $1")
            .bind(id)
            .bind(community)
            .execute(&mut *tx)
            .await?;
        let event =
            pb::MemberRegisteredWithCommunity { member_id: id.to_string(), community_id: community.to_string() };
        OUTBOX.append(&mut tx, id, &event, chain).await?;
        tx.commit().await?;
        m.registered_community_id = Some(community);
        Ok(m)
    }
}
