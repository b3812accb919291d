//! complaints' database: requests, the residents' personal data (kept apart,
//! never in events), and the read model of the map.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_proto::complaints::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    OUTBOX,
    domain::complaint::{self, Channel, Complaint, Kind, Satisfaction, Status},
    wire,
};

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

/// A request to file, already validated.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub kind: Kind,
    pub category: String,
    pub channel: Channel,
    pub building_id: Option<Uuid>,
    pub description: String,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub enterprise_id: Option<Uuid>,
    pub workers: i32,
}

#[derive(Debug, Default)]
pub struct ComplaintFilter {
    pub building_id: Option<Uuid>,
    pub status: Option<Status>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    kind: String,
    category: String,
    channel: String,
    building_id: Option<Uuid>,
    grid_id: Option<Uuid>,
    community_id: Option<Uuid>,
    description: String,
    status: String,
    incident_id: Option<Uuid>,
    correlation_id: Uuid,
    reply: String,
    satisfaction: Option<String>,
    enterprise_id: Option<Uuid>,
    workers: i32,
    filed_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, kind, category, channel, building_id, grid_id, community_id, description, status, incident_id,
    correlation_id, reply, satisfaction, enterprise_id, workers, filed_at, deadline";

impl Row {
    fn into_complaint(self) -> Result<Complaint, sqlx::Error> {
        let bad = |what: &str| sqlx::Error::Protocol(format!("stored complaint {} has a bad {what}", self.id));
        Ok(Complaint {
            kind: Kind::parse(&self.kind).ok_or_else(|| bad("kind"))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| bad("channel"))?,
            status: Status::parse(&self.status).ok_or_else(|| bad("status"))?,
            satisfaction: self.satisfaction.as_deref().and_then(Satisfaction::parse),
            id: self.id,
            category: self.category,
            building_id: self.building_id,
            grid_id: self.grid_id,
            community_id: self.community_id,
            description: self.description,
            incident_id: self.incident_id,
            correlation_id: self.correlation_id,
            reply: self.reply,
            enterprise_id: self.enterprise_id,
            workers: self.workers,
            filed_at: self.filed_at,
            deadline: self.deadline,
        })
    }
}

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Complaint>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM complaints WHERE id = $1 {}",
        if lock { "FOR UPDATE" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Row::into_complaint).transpose()
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn file(
        &self,
        new: NewComplaint,
        chain: &Chain,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<Complaint, ApiError> {
        let mut tx = self.pool.begin().await?;
        // Resolve the building to its grid and community from the map we
        // have seen; an unknown building is still accepted (the subdistrict
        // fallback owner takes it).
        let (grid_id, community_id): (Option<Uuid>, Option<Uuid>) = match new.building_id {
            Some(b) => sqlx::query_as(
                "SELECT b.grid_id, g.community_id FROM known_buildings b LEFT JOIN known_grids g ON g.grid_id = b.grid_id
                 WHERE b.building_id = $1",
            )
            .bind(b)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((None, None)),
            None => (None, None),
        };
        let c = Complaint {
            id: Uuid::now_v7(),
            kind: new.kind,
            category: new.category,
            channel: new.channel,
            building_id: new.building_id,
            grid_id,
            community_id,
            description: new.description,
            status: Status::Filed,
            incident_id: None,
            correlation_id: chain.correlation_id,
            reply: String::new(),
            satisfaction: None,
            enterprise_id: new.enterprise_id,
            workers: new.workers,
            filed_at: now,
            deadline,
        };
        sqlx::query(
            "INSERT INTO complaints (id, kind, category, channel, building_id, grid_id, community_id, description, status,
                                     correlation_id, enterprise_id, workers, filed_at, deadline, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13)",
        )
        .bind(c.id)
        .bind(c.kind.as_str())
        .bind(&c.category)
        .bind(c.channel.as_str())
        .bind(c.building_id)
        .bind(c.grid_id)
        .bind(c.community_id)
        .bind(&c.description)
        .bind(c.status.as_str())
        .bind(c.correlation_id)
        .bind(c.enterprise_id)
        .bind(c.workers)
        .bind(now)
        .bind(deadline)
        .execute(&mut *tx)
        .await?;
        if new.resident_name.is_some() || new.resident_phone.is_some() {
            sqlx::query("INSERT INTO complaint_residents (complaint_id, name, phone) VALUES ($1, $2, $3)")
                .bind(c.id)
                .bind(&new.resident_name)
                .bind(&new.resident_phone)
                .execute(&mut *tx)
                .await?;
        }
        let text = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
        // No personal data in the event: ids and codes only.
        let event = pb::ComplaintFiled {
            complaint_id: c.id.to_string(),
            kind: wire::kind(c.kind) as i32,
            category: c.category.clone(),
            channel: wire::channel(c.channel) as i32,
            building_id: text(c.building_id),
            grid_id: text(c.grid_id),
            community_id: text(c.community_id),
            labour: complaint::is_labour(&c.category),
            enterprise_id: text(c.enterprise_id),
            workers: c.workers,
        };
        OUTBOX.append(&mut tx, c.id, &event, chain).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn get(&self, id: Uuid) -> Result<Complaint, ApiError> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id, false).await?.ok_or_else(|| ApiError::NotFound("complaint".into()))
    }

    pub async fn list(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>, ApiError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM complaints
             WHERE ($1::uuid IS NULL OR building_id = $1) AND ($2::text IS NULL OR status = $2)
             ORDER BY filed_at DESC, id LIMIT $3"
        ))
        .bind(filter.building_id)
        .bind(filter.status.map(Status::as_str))
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Row::into_complaint).collect::<Result<_, _>>()?)
    }

    pub async fn rate(
        &self,
        id: Uuid,
        satisfaction: Satisfaction,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<Complaint, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut c = load(&mut tx, id, true).await?.ok_or_else(|| ApiError::NotFound("complaint".into()))?;
        c.status = complaint::rate(c.status).map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        c.satisfaction = Some(satisfaction);
        sqlx::query(
            "UPDATE complaints SET status = $2, satisfaction = $3, rating_comment = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(c.status.as_str())
        .bind(satisfaction.as_str())
        .bind(comment)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event =
            pb::ComplaintRated { complaint_id: id.to_string(), satisfaction: wire::satisfaction(satisfaction) as i32 };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(c.correlation_id)).await?;
        tx.commit().await?;
        Ok(c)
    }
}

/// The incident for the complaint was opened: it is dispatched.
pub async fn dispatched(
    conn: &mut PgConnection,
    id: Uuid,
    incident_id: Uuid,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let Some(c) = load(conn, id, true).await? else { return Ok(false) };
    let status = complaint::dispatch(c.status).unwrap_or(c.status);
    sqlx::query("UPDATE complaints SET status = $2, incident_id = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(incident_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let event = pb::ComplaintDispatched { complaint_id: id.to_string(), incident_id: incident_id.to_string() };
    OUTBOX.append(conn, id, &event, chain).await?;
    Ok(true)
}

/// The incident for the complaint was closed: the resident is replied to.
pub async fn replied(
    conn: &mut PgConnection,
    id: Uuid,
    incident_id: Uuid,
    reply: &str,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let Some(c) = load(conn, id, true).await? else { return Ok(false) };
    let Some(status) = complaint::reply(c.status) else { return Ok(false) };
    sqlx::query("UPDATE complaints SET status = $2, incident_id = $3, reply = $4, updated_at = $5 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(incident_id)
        .bind(reply)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let event = pb::ComplaintReplied { complaint_id: id.to_string(), incident_id: incident_id.to_string() };
    OUTBOX.append(conn, id, &event, chain).await?;
    Ok(true)
}

pub async fn remember_grid(conn: &mut PgConnection, grid_id: Uuid, community_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_grids (grid_id, community_id) VALUES ($1, $2)
         ON CONFLICT (grid_id) DO UPDATE SET community_id = EXCLUDED.community_id",
    )
    .bind(grid_id)
    .bind(community_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remember_building(conn: &mut PgConnection, building_id: Uuid, grid_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_buildings (building_id, grid_id) VALUES ($1, $2)
         ON CONFLICT (building_id) DO UPDATE SET grid_id = EXCLUDED.grid_id",
    )
    .bind(building_id)
    .bind(grid_id)
    .execute(conn)
    .await?;
    Ok(())
}
