//! Residents' consultation councils and their members; members' names and
//! phones sealed at rest (`sealing`), opened only for an entitled reader.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::council::{Council, LiaisonRole, MemberKind, Quorum};
use dualnet_platform::sealing::{conceal, reveal_record};

/// The sealed columns of `council_members`.
const SEALED: [&str; 2] = ["name", "phone"];

/// A council member as stored: personal data opened, or why it could not be.
#[derive(Debug, Clone)]
pub struct CouncilMember {
    pub id: Uuid,
    pub council_id: Uuid,
    pub kind: MemberKind,
    pub liaison_role: Option<LiaisonRole>,
    pub name: String,
    pub phone: Option<String>,
    pub joined_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    joined_at: DateTime<Utc>,
    id: Uuid,
    kind: String,
    liaison_role: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    name_sealed: Option<Vec<u8>>,
    phone_sealed: Option<Vec<u8>>,
}

type CouncilRow = (Uuid, Uuid, String, Uuid, i32, i32, DateTime<Utc>, DateTime<Utc>, i64);

const COUNCIL_COLUMNS: &str = "c.id, c.community_id, c.name, c.convenor_organisation_id, c.quorum_numerator,
     c.quorum_denominator, c.term_start, c.term_end,
     (SELECT count(*) FROM council_members m WHERE m.council_id = c.id AND m.left_at IS NULL)";

fn council(row: CouncilRow) -> Council {
    let (id, community_id, name, convenor_organisation_id, numerator, denominator, term_start, term_end, members) = row;
    let quorum = Quorum { numerator: numerator.unsigned_abs(), denominator: denominator.unsigned_abs() };
    Council { id, community_id, name, convenor_organisation_id, quorum, term_start, term_end, members }
}

/// The council, locked for the rest of the transaction when `lock`.
pub(super) async fn load_council(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Council, ApiError> {
    let row: Option<CouncilRow> = sqlx::query_as(&format!(
        "SELECT {COUNCIL_COLUMNS} FROM councils c WHERE c.id = $1 {}",
        if lock { "FOR UPDATE" } else { "" }
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(council).ok_or_else(|| ApiError::NotFound("council".into()))
}

/// The kinds of the council's serving members, by id.
pub(super) async fn serving_members(
    conn: &mut PgConnection,
    council_id: Uuid,
) -> Result<Vec<(Uuid, MemberKind)>, ApiError> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, kind FROM council_members WHERE council_id = $1 AND left_at IS NULL")
            .bind(council_id)
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|(id, kind)| {
            let kind = MemberKind::parse(&kind)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored member kind {kind:?}")))?;
            Ok((id, kind))
        })
        .collect()
}

/// How one liaison member takes part in the council.
pub struct Participation {
    pub member_id: Uuid,
    pub liaison_role: Option<LiaisonRole>,
    pub meetings_held: i64,
    pub meetings_attended: i64,
    pub topics_raised: i64,
    pub topics_resolved: i64,
    pub median_seconds_to_resolve: f64,
}

/// What a new council is.
pub struct NewCouncil {
    pub community_id: Uuid,
    pub name: String,
    pub convenor_organisation_id: Uuid,
    pub quorum: Quorum,
    pub term: (DateTime<Utc>, DateTime<Utc>),
}

impl Store {
    pub async fn create_council(
        &self,
        new: NewCouncil,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<Council, ApiError> {
        let mut tx = self.pool.begin().await?;
        if !unit_known(&mut tx, UnitKind::Community, new.community_id).await? {
            return Err(ApiError::NotFound("community".into()));
        }
        load_organisation(&mut tx, new.convenor_organisation_id, false)
            .await?
            .ok_or_else(|| ApiError::NotFound("convenor organisation".into()))?;
        let c = Council {
            id: Uuid::now_v7(),
            community_id: new.community_id,
            name: new.name,
            convenor_organisation_id: new.convenor_organisation_id,
            quorum: new.quorum,
            term_start: new.term.0,
            term_end: new.term.1,
            members: 0,
        };
        sqlx::query(
            "INSERT INTO councils (id, community_id, name, convenor_organisation_id, quorum_numerator,
                 quorum_denominator, term_start, term_end, correlation_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.id)
        .bind(c.community_id)
        .bind(&c.name)
        .bind(c.convenor_organisation_id)
        .bind(i32::try_from(c.quorum.numerator).unwrap_or(i32::MAX))
        .bind(i32::try_from(c.quorum.denominator).unwrap_or(i32::MAX))
        .bind(c.term_start)
        .bind(c.term_end)
        .bind(chain.correlation_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.constraint() == Some("councils_name_in_community") => {
                ApiError::AlreadyExists("the community already has a council of that name".into())
            }
            _ => e.into(),
        })?;
        let event = pb::CouncilFormed {
            council_id: c.id.to_string(),
            community_id: c.community_id.to_string(),
            convenor_organisation_id: c.convenor_organisation_id.to_string(),
        };
        OUTBOX.append(&mut tx, c.id, &event, chain).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn council(&self, id: Uuid) -> Result<Council, ApiError> {
        load_council(&mut *self.pool.acquire().await?, id, false).await
    }

    pub async fn add_council_member(
        &self,
        council_id: Uuid,
        (kind, liaison_role): (MemberKind, Option<LiaisonRole>),
        (name, phone): (&str, Option<&str>),
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<CouncilMember, ApiError> {
        let mut tx = self.pool.begin().await?;
        load_council(&mut tx, council_id, true).await?;
        let id = Uuid::now_v7();
        let sealer = self.sealer.as_deref();
        let (name_plain, name_sealed) = conceal(sealer, Some(name));
        let (phone_plain, phone_sealed) = conceal(sealer, phone);
        sqlx::query(
            "INSERT INTO council_members (id, council_id, kind, liaison_role, name, phone, name_sealed, phone_sealed,
                 joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(council_id)
        .bind(kind.as_str())
        .bind(liaison_role.map(LiaisonRole::as_str))
        .bind(name_plain)
        .bind(phone_plain)
        .bind(name_sealed)
        .bind(phone_sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = pb::CouncilMemberJoined {
            council_id: council_id.to_string(),
            member_id: id.to_string(),
            kind: wire::member_kind(kind) as i32,
            liaison_role: liaison_role.map_or(0, |r| wire::liaison_role(r) as i32),
        };
        OUTBOX.append(&mut tx, council_id, &event, chain).await?;
        tx.commit().await?;
        let (name, phone) = (name.to_string(), phone.map(str::to_string));
        Ok(CouncilMember { id, council_id, kind, liaison_role, name, phone, joined_at: now })
    }

    /// A council's serving members in the order they joined; after `after`
    /// (joined, id) when given. A member whose sealed data cannot be opened
    /// is answered with an empty name (and logged), the others as usual.
    pub async fn council_members(
        &self,
        council_id: Uuid,
        limit: i64,
        after: Option<(DateTime<Utc>, Uuid)>,
    ) -> Result<Vec<CouncilMember>, ApiError> {
        let rows: Vec<MemberRow> = sqlx::query_as(
            "SELECT joined_at, id, kind, liaison_role, name, phone, name_sealed, phone_sealed FROM council_members
             WHERE council_id = $1 AND left_at IS NULL AND ($3::timestamptz IS NULL OR (joined_at, id) > ($3, $4))
             ORDER BY joined_at, id LIMIT $2",
        )
        .bind(council_id)
        .bind(limit)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for MemberRow { joined_at, id, kind, liaison_role, name, phone, name_sealed, phone_sealed } in rows {
            let kind = MemberKind::parse(&kind)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored member kind {kind:?}")))?;
            let liaison_role = liaison_role.as_deref().and_then(LiaisonRole::parse);
            let columns = [(name, name_sealed), (phone, phone_sealed)];
            let (name, phone) = match reveal_record(self.sealer.as_deref(), columns) {
                Ok([name, phone]) => (name.unwrap_or_default(), phone),
                Err(why) => {
                    tracing::error!(member_id = %id, reason = %why, "a council member's sealed data cannot be opened");
                    (String::new(), None)
                }
            };
            out.push(CouncilMember { id, council_id, kind, liaison_role, name, phone, joined_at });
        }
        Ok(out)
    }

    /// Each serving liaison member's meetings and topics, in the order they
    /// joined.
    pub async fn liaison_participation(&self, council_id: Uuid) -> Result<Vec<Participation>, ApiError> {
        type Row = (Uuid, Option<String>, i64, i64, i64, i64, Option<f64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT m.id, m.liaison_role,
                 (SELECT count(*) FROM council_meetings g WHERE g.council_id = m.council_id AND g.held_at >= m.joined_at),
                 (SELECT count(*) FROM council_meetings g WHERE g.council_id = m.council_id AND m.id = ANY(g.attending)),
                 (SELECT count(*) FROM council_topics t WHERE t.member_id = m.id),
                 (SELECT count(*) FROM council_topics t WHERE t.member_id = m.id AND t.adopted_at IS NOT NULL),
                 (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.adopted_at - t.raised_at))
                    FROM council_topics t WHERE t.member_id = m.id AND t.adopted_at IS NOT NULL)
             FROM council_members m
             WHERE m.council_id = $1 AND m.kind = 'liaison' AND m.left_at IS NULL ORDER BY m.joined_at, m.id",
        )
        .bind(council_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(member_id, role, held, attended, raised, resolved, median)| Participation {
                member_id,
                liaison_role: role.as_deref().and_then(LiaisonRole::parse),
                meetings_held: held,
                meetings_attended: attended,
                topics_raised: raised,
                topics_resolved: resolved,
                median_seconds_to_resolve: median.unwrap_or(0.0),
            })
            .collect())
    }

    /// Records an unmasked read; the data goes out only once it is in.
    pub async fn record_read(&self, read: &dualnet_platform::personal_data::Read) -> Result<(), ApiError> {
        Ok(read.record(&self.pool).await?)
    }

    /// Recorded unmasked reads, newest first, each with its place in the log.
    pub async fn reads(
        &self,
        filter: &dualnet_platform::personal_data::ReadsFilter,
    ) -> Result<Vec<(i64, dualnet_platform::personal_data::Read)>, ApiError> {
        Ok(dualnet_platform::personal_data::Read::list(&self.pool, filter).await?)
    }

    /// Seals what was stored while no key was configured.
    pub async fn seal_plaintext_council_members(&self) -> Result<usize, sqlx::Error> {
        let Some(sealer) = self.sealer.as_deref() else { return Ok(0) };
        dualnet_platform::personal_data::seal_plaintext(&self.pool, sealer, "council_members", &SEALED).await
    }

    /// Seals again under the current key what a retired key sealed.
    pub async fn reseal_council_members(&self) -> Result<usize, sqlx::Error> {
        let Some(sealer) = self.sealer.as_deref() else { return Ok(0) };
        dualnet_platform::personal_data::reseal_retired(&self.pool, sealer, "council_members", &SEALED).await
    }
}
