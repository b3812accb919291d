//! complaints' database: requests and their status notes, the residents'
//! personal data (kept apart, never in events), the catalogue and routing
//! table, referrals, and the read model of the map.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use dualnet_platform::{ApiError, calendar::Calendar, sealing::Sealer};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{
    complaint::{self, Channel, Complaint, Kind, Resolution, Satisfaction, Status},
    location::LocatedBy,
    referral::Referral,
};

mod catalogue;
mod filing;
mod lifecycle;

pub use lifecycle::{Rater, Rating, dispatched, replied};
mod map;
mod personal_data;
mod referrals;

use filing::duplicates_of;

pub use map::{remember_building, remember_grid};

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    calendar: Arc<Calendar>,
    /// Seals residents' contacts at rest, when keys are configured.
    sealer: Option<Arc<Sealer>>,
}

/// A request to file, already validated.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub kind: Kind,
    pub category: String,
    pub channel: Channel,
    pub building_id: Option<Uuid>,
    pub address: String,
    pub location: Option<(f64, f64)>,
    pub description: String,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub resident_email: Option<String>,
    pub enterprise_id: Option<Uuid>,
    pub workers: i32,
    pub filed_by: Option<String>,
    /// The token subject that filed it (none while authentication is off).
    pub filed_with: Option<String>,
}

#[derive(Debug, Default)]
pub struct ComplaintFilter {
    pub building_id: Option<Uuid>,
    pub status: Option<Status>,
    pub department: Option<String>,
    pub overdue_only: bool,
    pub category: Option<String>,
    /// Open311: still waiting for a reply (`Some(true)`) or not.
    pub open: Option<bool>,
    pub filed_from: Option<DateTime<Utc>>,
    pub filed_to: Option<DateTime<Utc>>,
    pub updated_after: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
    /// Only requests after this (filing time, id) in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Only requests within this reach, when set.
    pub reach: Option<Reach>,
    /// Only what may be public, of these categories, when set (see
    /// `domain::publication`, which says the same for one request).
    pub public: Option<Vec<String>>,
}

/// One step of a request, as residents see it.
#[derive(Debug, Clone)]
pub struct StatusNote {
    pub at: DateTime<Utc>,
    pub status: String,
    pub note: String,
}

/// A request with everything shown beside it.
pub struct ComplaintView {
    pub complaint: Complaint,
    pub referrals: Vec<Referral>,
    pub notes: Vec<StatusNote>,
    pub duplicates: Vec<Uuid>,
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
    address: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    located_by: String,
    department: String,
    overdue: bool,
    supervised_by: Option<String>,
    resolution: Option<String>,
    merged_into: Option<Uuid>,
    reopened: i32,
    filed_by: Option<String>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, kind, category, channel, building_id, grid_id, community_id, description, status, incident_id,
    correlation_id, reply, satisfaction, enterprise_id, workers, filed_at, deadline, address, latitude, longitude,
    located_by, department, overdue, supervised_by, resolution, merged_into, reopened, filed_by, updated_at";

impl Row {
    fn into_complaint(self) -> Result<Complaint, sqlx::Error> {
        let bad = |what: &str| sqlx::Error::Protocol(format!("stored complaint {} has a bad {what}", self.id));
        Ok(Complaint {
            kind: Kind::parse(&self.kind).ok_or_else(|| bad("kind"))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| bad("channel"))?,
            status: Status::parse(&self.status).ok_or_else(|| bad("status"))?,
            located_by: LocatedBy::parse(&self.located_by).ok_or_else(|| bad("location"))?,
            satisfaction: self.satisfaction.as_deref().and_then(Satisfaction::parse),
            resolution: self.resolution.as_deref().and_then(Resolution::parse),
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
            address: self.address,
            location: self.latitude.zip(self.longitude),
            department: self.department,
            overdue: self.overdue,
            supervised_by: self.supervised_by,
            merged_into: self.merged_into,
            reopened: self.reopened,
            filed_by: self.filed_by,
            updated_at: self.updated_at,
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

/// Records a step in the request's status notes and touches `updated_at`.
async fn note(
    conn: &mut PgConnection,
    id: Uuid,
    status: Status,
    text: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // One round trip; a row already touched at `now` (just filed) is left as is.
    sqlx::query(
        "WITH noted AS (INSERT INTO complaint_notes (complaint_id, status, note, at) VALUES ($1, $2, $3, $4))
         UPDATE complaints SET updated_at = $4 WHERE id = $1 AND updated_at IS DISTINCT FROM $4",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(text)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which requests a confined caller reaches: those led by its department
/// (for the `department` role), and those placed in its grids or
/// communities.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub department: Option<String>,
    pub grids: Vec<Uuid>,
    pub communities: Vec<Uuid>,
}

/// `complaints` rows (aliased `c`) within the reach bound at `$n`..`$n+2`.
fn within(n: usize) -> String {
    format!(
        "((${n}::text IS NOT NULL AND c.department = ${n}) OR c.grid_id = ANY(${}) OR c.community_id = ANY(${}))",
        n + 1,
        n + 2
    )
}

impl Store {
    /// The working-day calendar deadlines are counted on.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    pub fn new(pool: PgPool, calendar: Arc<Calendar>) -> Self {
        Self { pool, calendar, sealer: None }
    }

    /// Seals residents' contacts with `sealer` from now on.
    pub fn sealing(mut self, sealer: Option<Arc<Sealer>>) -> Self {
        self.sealer = sealer;
        self
    }

    pub async fn get(&self, id: Uuid) -> Result<ComplaintView, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let c = load(&mut conn, id, false).await?.ok_or_else(|| ApiError::NotFound("complaint".into()))?;
        view(&mut conn, c).await
    }

    pub async fn list(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>, ApiError> {
        let reach = filter.reach.clone().unwrap_or_default();
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM complaints c
             WHERE (NOT $12 OR {within}) AND ($1::uuid IS NULL OR building_id = $1) AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR department = $3) AND (NOT $4 OR overdue)
               AND ($5::text IS NULL OR category = $5)
               AND ($6::bool IS NULL OR (status IN ('filed', 'accepted', 'dispatched')) = $6)
               AND ($7::timestamptz IS NULL OR filed_at >= $7) AND ($8::timestamptz IS NULL OR filed_at < $8)
               AND ($9::timestamptz IS NULL OR updated_at > $9)
               AND ($16::text[] IS NULL OR (category = ANY($16) AND kind <> 'report'
                    AND channel NOT IN ('letters_and_visits', 'on_behalf') AND category NOT LIKE 'labour%'))
               AND ($17::timestamptz IS NULL OR (filed_at, id) < ($17, $18))
             ORDER BY filed_at DESC, id DESC LIMIT $10 OFFSET $11",
            within = within(13)
        ))
        .bind(filter.building_id)
        .bind(filter.status.map(Status::as_str))
        .bind(&filter.department)
        .bind(filter.overdue_only)
        .bind(&filter.category)
        .bind(filter.open)
        .bind(filter.filed_from)
        .bind(filter.filed_to)
        .bind(filter.updated_after)
        .bind(filter.limit)
        .bind(filter.offset)
        .bind(filter.reach.is_some())
        .bind(&reach.department)
        .bind(&reach.grids)
        .bind(&reach.communities)
        .bind(&filter.public)
        .bind(filter.after.map(|a| a.0))
        .bind(filter.after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Row::into_complaint).collect::<Result<_, _>>()?)
    }

    /// Whether the request lies within `reach` (false for no such request).
    pub async fn complaint_in_reach(&self, id: Uuid, reach: &Reach) -> Result<bool, ApiError> {
        self.exists_in_reach("SELECT 1 FROM complaints c WHERE c.id = $1", id, reach).await
    }

    /// Whether the referral's request lies within `reach`.
    pub async fn referral_in_reach(&self, id: Uuid, reach: &Reach) -> Result<bool, ApiError> {
        let from = "SELECT 1 FROM referrals r JOIN complaints c ON c.id = r.complaint_id WHERE r.id = $1";
        self.exists_in_reach(from, id, reach).await
    }

    async fn exists_in_reach(&self, select: &str, id: Uuid, reach: &Reach) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar(&format!("SELECT EXISTS ({select} AND {})", within(2)))
            .bind(id)
            .bind(&reach.department)
            .bind(&reach.grids)
            .bind(&reach.communities)
            .fetch_one(&self.pool)
            .await?)
    }
}

async fn notes_of(conn: &mut PgConnection, id: Uuid) -> Result<Vec<StatusNote>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, String, String)> =
        sqlx::query_as("SELECT at, status, note FROM complaint_notes WHERE complaint_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(at, status, note)| StatusNote { at, status, note }).collect())
}

async fn view(conn: &mut PgConnection, c: Complaint) -> Result<ComplaintView, ApiError> {
    let referrals = referrals::of_complaint(conn, c.id).await?;
    let notes = notes_of(conn, c.id).await?;
    let duplicates =
        if complaint::is_open(c.status) && c.merged_into.is_none() { duplicates_of(conn, &c).await? } else { vec![] };
    Ok(ComplaintView { complaint: c, referrals, notes, duplicates })
}
