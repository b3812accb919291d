//! Community security committees and their members, names and phones
//! sealed at rest (`sealing`) and opened only for an entitled reader; plans
//! and runs in `patrol/run.rs`.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::patrol::Committee;
use dualnet_platform::sealing::{conceal, reveal_record};

mod run;

pub use run::{Coverage, NewPlan};

/// The sealed columns of `patrol_members`.
const SEALED: [&str; 2] = ["name", "phone"];

/// A patrol member as stored, personal data opened.
#[derive(Debug, Clone)]
pub struct PatrolMember {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub joined_at: DateTime<Utc>,
}

type CommitteeRow = (Uuid, Uuid, String, i64);

pub(super) async fn load_committee(conn: &mut PgConnection, id: Uuid) -> Result<Committee, ApiError> {
    let row: Option<CommitteeRow> = sqlx::query_as(
        "SELECT c.id, c.community_id, c.name, (SELECT count(*) FROM patrol_members m WHERE m.committee_id = c.id)
         FROM security_committees c WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let (id, community_id, name, members) = row.ok_or_else(|| ApiError::NotFound("security committee".into()))?;
    Ok(Committee { id, community_id, name, members })
}

impl Store {
    pub async fn create_committee(
        &self,
        community_id: Uuid,
        name: &str,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<Committee, ApiError> {
        let mut tx = self.pool.begin().await?;
        let id = Uuid::now_v7();
        sqlx::query("INSERT INTO security_committees (id, community_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(community_id)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => ApiError::NotFound("community".into()),
                sqlx::Error::Database(db) if db.constraint() == Some("security_committees_name_in_community") => {
                    ApiError::AlreadyExists("the community already has a committee of that name".into())
                }
                _ => e.into(),
            })?;
        let event =
            pb::SecurityCommitteeFormed { committee_id: id.to_string(), community_id: community_id.to_string() };
        OUTBOX.append(&mut tx, id, &event, chain).await?;
        tx.commit().await?;
        Ok(Committee { id, community_id, name: name.into(), members: 0 })
    }

    pub async fn committee(&self, id: Uuid) -> Result<Committee, ApiError> {
        load_committee(&mut *self.pool.acquire().await?, id).await
    }

    pub async fn add_patrol_member(
        &self,
        committee_id: Uuid,
        (name, phone): (&str, Option<&str>),
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<PatrolMember, ApiError> {
        let mut tx = self.pool.begin().await?;
        load_committee(&mut tx, committee_id).await?;
        let id = Uuid::now_v7();
        let (name_plain, name_sealed) = conceal(self.sealer.as_deref(), Some(name));
        let (phone_plain, phone_sealed) = conceal(self.sealer.as_deref(), phone);
        sqlx::query(
            "INSERT INTO patrol_members (id, committee_id, name, phone, name_sealed, phone_sealed, joined_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(committee_id)
        .bind(name_plain)
        .bind(phone_plain)
        .bind(name_sealed)
        .bind(phone_sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = pb::PatrolMemberJoined { committee_id: committee_id.to_string(), member_id: id.to_string() };
        OUTBOX.append(&mut tx, committee_id, &event, chain).await?;
        tx.commit().await?;
        let (name, phone) = (name.to_string(), phone.map(str::to_string));
        Ok(PatrolMember { id, committee_id, name, phone, joined_at: now })
    }

    /// A committee's members in the order they joined; after `after`. A
    /// member whose sealed data cannot be opened is answered with an empty
    /// name (and logged), the others as usual.
    pub async fn patrol_members(
        &self,
        committee_id: Uuid,
        limit: i64,
        after: Option<(DateTime<Utc>, Uuid)>,
    ) -> Result<Vec<PatrolMember>, ApiError> {
        type Row = (DateTime<Utc>, Uuid, Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT joined_at, id, name, phone, name_sealed, phone_sealed FROM patrol_members
             WHERE committee_id = $1 AND ($3::timestamptz IS NULL OR (joined_at, id) > ($3, $4))
             ORDER BY joined_at, id LIMIT $2",
        )
        .bind(committee_id)
        .bind(limit)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(joined_at, id, name, phone, name_sealed, phone_sealed)| {
                let (name, phone) =
                    match reveal_record(self.sealer.as_deref(), [(name, name_sealed), (phone, phone_sealed)]) {
                        Ok([name, phone]) => (name.unwrap_or_default(), phone),
                        Err(why) => {
                            tracing::error!(member_id = %id, reason = %why, "a patrol member's sealed data cannot be opened");
                            (String::new(), None)
                        }
                    };
                PatrolMember { id, committee_id, name, phone, joined_at }
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
    pub async fn seal_plaintext_patrol_members(&self) -> Result<usize, sqlx::Error> {
        let Some(sealer) = self.sealer.as_deref() else { return Ok(0) };
        dualnet_platform::personal_data::seal_plaintext(&self.pool, sealer, "patrol_members", &SEALED).await
    }

    /// Seals again under the current key what a retired key sealed.
    pub async fn reseal_patrol_members(&self) -> Result<usize, sqlx::Error> {
        let Some(sealer) = self.sealer.as_deref() else { return Ok(0) };
        dualnet_platform::personal_data::reseal_retired(&self.pool, sealer, "patrol_members", &SEALED).await
    }
}
