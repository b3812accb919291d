//! governance-grid's database: the map, incidents and their history, and the
//! party responses learned from party-grid. Every change is written together
//! with its outbox event.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_platform::{ApiError, calendar::Calendar};
use dualnet_proto::governance::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    OUTBOX,
    domain::{
        escalation::{CannotEscalate, Reason, Severity},
        incident::{
            Action, HistoryEntry, IllegalTransition, Incident, Level, PartyResponse, Placement, Source, Status,
            transition,
        },
        map::{Building, Grid},
        whistle::{Summons, WhistleError},
    },
    wire,
};

mod area;
mod deadlines;
mod escalation;
mod followers;
mod incident;
mod map;
mod measures;
mod notice;
mod patrol;
mod placement;
mod rental;
mod staff;
mod statistics;
mod warnings;
mod whistle;

pub use area::Place;
pub use escalation::escalate_incident;
pub use followers::{
    incident_of_complaint, incident_of_topic, note_on_risk_incident, record_party_response, record_satisfaction,
};
use incident::{INCIDENT_COLUMNS, IncidentRow, history, lock_incident};
pub use notice::{notice_body, publish_notice};
pub use patrol::{Coverage, NewPlan, PatrolMember};
pub use placement::{building_placement, enterprise_placement, grid_placement};
pub use rental::Inspection;
pub use statistics::{Group, Period, StatisticsRow};
pub use warnings::WarningFilter;
pub use whistle::Answer;
use whistle::load_summons;

/// An incident with everything shown beside it.
pub struct IncidentView {
    pub incident: Incident,
    pub history: Vec<HistoryEntry>,
    pub responses: Vec<PartyResponse>,
    pub summons: Vec<Summons>,
}

/// Why a lifecycle step was refused.
#[derive(Debug)]
pub enum StepRefused {
    Illegal(IllegalTransition),
    /// 吹哨报到: summoned departments have not reported their part done.
    Outstanding(Vec<String>),
}

impl std::fmt::Display for StepRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepRefused::Illegal(e) => e.fmt(f),
            StepRefused::Outstanding(d) => {
                write!(f, "summoned departments have not reported their part done: {}", d.join(", "))
            }
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    calendar: Arc<Calendar>,
    /// Seals patrol members' names and phones; `None` only while
    /// `personal_data.disabled`.
    sealer: Option<Arc<dualnet_platform::sealing::Sealer>>,
}

/// An incident to open.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub placement: Placement,
    pub category: String,
    pub summary: String,
    pub source: Source,
    pub complaint_id: Option<Uuid>,
    pub reporter: String,
    pub severity: Severity,
    pub enterprise_id: Option<Uuid>,
    /// The council topic whose resolution handed the incident out.
    pub topic_id: Option<Uuid>,
}

/// One move along the lifecycle, with who asked and why.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub action: Action,
    pub actor: &'a str,
    pub note: &'a str,
    pub assignee: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct IncidentFilter {
    pub grid_id: Option<Uuid>,
    pub community_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
    pub status: Option<Status>,
    pub level: Option<Level>,
    /// A category code, or a prefix ending where a dot follows.
    pub category: Option<String>,
    pub opened_from: Option<DateTime<Utc>>,
    pub opened_to: Option<DateTime<Utc>>,
    /// Only incidents past their deadline at this time and not yet handled.
    pub overdue_at: Option<DateTime<Utc>>,
    pub limit: i64,
    /// Only incidents after this (opening time, id) in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Only incidents inside this area, when set.
    pub area: Option<Area>,
}

/// The grids, communities and subdistricts a caller may act in: an incident
/// is inside when its grid, its community or its community's subdistrict
/// is listed.
#[derive(Debug, Clone, Default)]
pub struct Area {
    pub grids: Vec<Uuid>,
    pub communities: Vec<Uuid>,
    pub subdistricts: Vec<Uuid>,
}

/// `incidents` rows (aliased `i`) inside the area bound at `$n`, `$n+1`,
/// `$n+2` (grids, communities, subdistricts).
fn inside(n: usize) -> String {
    format!(
        "(i.grid_id = ANY(${n}) OR i.community_id = ANY(${}) OR i.community_id IN
            (SELECT id FROM communities WHERE subdistrict_id = ANY(${})))",
        n + 1,
        n + 2
    )
}

/// A missing parent row (foreign key) is the caller's unknown id.
fn parent_missing(e: sqlx::Error, what: &str) -> ApiError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => ApiError::NotFound(what.to_string()),
        _ => e.into(),
    }
}

impl Store {
    /// The working-day calendar deadlines are counted on.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    pub fn new(pool: PgPool, calendar: Arc<Calendar>) -> Self {
        Self { pool, calendar, sealer: None }
    }

    pub fn sealing(self, sealer: Option<Arc<dualnet_platform::sealing::Sealer>>) -> Self {
        Self { sealer, ..self }
    }

    pub async fn grid(&self, id: Uuid) -> Result<Grid, ApiError> {
        let row: Option<(Uuid, Uuid, String, String)> =
            sqlx::query_as("SELECT id, community_id, code, name FROM grids WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let (id, community_id, code, name) = row.ok_or_else(|| ApiError::NotFound("grid".into()))?;
        Ok(Grid { id, community_id, code, name })
    }

    /// A grid and the community it lies in, checked to exist; with a
    /// building, the building must lie in that grid.
    pub async fn placement(&self, grid_id: Uuid, building_id: Option<Uuid>) -> Result<Placement, ApiError> {
        let grid = self.grid(grid_id).await?;
        if let Some(b) = building_id {
            let in_grid: Option<(Uuid, bool)> =
                sqlx::query_as("SELECT grid_id, retired_at IS NOT NULL FROM buildings WHERE id = $1")
                    .bind(b)
                    .fetch_optional(&self.pool)
                    .await?;
            match in_grid {
                None => return Err(ApiError::NotFound("building".into())),
                Some((g, _)) if g != grid_id => {
                    return Err(ApiError::field("building_id", "the building is not in this grid"));
                }
                Some((_, true)) => return Err(ApiError::FailedPrecondition("the building is retired".into())),
                Some(_) => {}
            }
        }
        Ok(Placement::new(Some(grid_id), building_id, Some(grid.community_id)))
    }

    pub async fn report_incident(
        &self,
        new: NewIncident,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<Incident, ApiError> {
        let mut tx = self.pool.begin().await?;
        let incident = open_incident(&mut tx, &self.calendar, new, chain, now).await?;
        tx.commit().await?;
        Ok(incident)
    }

    pub async fn incident(&self, id: Uuid) -> Result<IncidentView, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<IncidentRow> =
            sqlx::query_as(&format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        let incident: Incident = row.ok_or_else(|| ApiError::NotFound("incident".into()))?.try_into()?;
        let history: Vec<(String, String, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT from_status, to_status, actor, note, at FROM incident_history WHERE incident_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let history = history
            .into_iter()
            .filter_map(|(from, to, actor, note, at)| {
                Some(HistoryEntry { from: Status::parse(&from)?, to: Status::parse(&to)?, actor, note, at })
            })
            .collect();
        let responses: Vec<(Uuid, Uuid, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT task_id, organisation_id, status, note, updated_at FROM incident_party_responses
             WHERE incident_id = $1 ORDER BY task_id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let responses = responses
            .into_iter()
            .map(|(task_id, organisation_id, status, note, updated_at)| PartyResponse {
                task_id,
                organisation_id,
                status,
                note,
                updated_at,
            })
            .collect();
        let summons = load_summons(&mut conn, id).await?;
        Ok(IncidentView { incident, history, responses, summons })
    }

    pub async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>, ApiError> {
        let area = filter.area.clone().unwrap_or_default();
        let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i
             WHERE ($1::uuid IS NULL OR grid_id = $1) AND ($2::uuid IS NULL OR complaint_id = $2)
               AND (NOT $4 OR {inside})
               AND ($8::uuid IS NULL OR community_id = $8) AND ($9::text IS NULL OR status = $9)
               AND ($10::text IS NULL OR level = $10)
               AND ($11::text IS NULL OR category = $11 OR starts_with(category, $11 || '.'))
               AND ($12::timestamptz IS NULL OR opened_at >= $12) AND ($13::timestamptz IS NULL OR opened_at < $13)
               AND ($14::timestamptz IS NULL OR (deadline < $14 AND status IN ('reported', 'accepted', 'dispatched')))
               AND ($15::timestamptz IS NULL OR (opened_at, id) < ($15, $16))
             ORDER BY opened_at DESC, id DESC LIMIT $3",
            inside = inside(5)
        ))
        .bind(filter.grid_id)
        .bind(filter.complaint_id)
        .bind(filter.limit)
        .bind(filter.area.is_some())
        .bind(&area.grids)
        .bind(&area.communities)
        .bind(&area.subdistricts)
        .bind(filter.community_id)
        .bind(filter.status.map(Status::as_str))
        .bind(filter.level.map(Level::as_str))
        .bind(&filter.category)
        .bind(filter.opened_from)
        .bind(filter.opened_to)
        .bind(filter.overdue_at)
        .bind(filter.after.map(|a| a.0))
        .bind(filter.after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Incident::try_from).collect()
    }

    /// Whether the incident lies inside `area` (false for no such incident).
    pub async fn incident_in_area(&self, id: Uuid, area: &Area) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM incidents i WHERE i.id = $1 AND {})", inside(2)))
            .bind(id)
            .bind(&area.grids)
            .bind(&area.communities)
            .bind(&area.subdistricts)
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn transition(&self, id: Uuid, step: Step<'_>, now: DateTime<Utc>) -> Result<Incident, ApiError> {
        let mut tx = self.pool.begin().await?;
        let incident = transition_incident(&mut tx, id, step, None, now)
            .await?
            .ok_or_else(|| ApiError::NotFound("incident".into()))?
            .map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        tx.commit().await?;
        Ok(incident)
    }
}

/// Opens an incident and announces it, inside the caller's transaction; the
/// early-warning rules it may set off run in the same transaction.
pub async fn open_incident(
    conn: &mut PgConnection,
    calendar: &Calendar,
    new: NewIncident,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Incident, sqlx::Error> {
    let incident = insert_incident(conn, calendar, new, chain, now).await?;
    if incident.source != Source::EarlyWarning {
        warnings::check_rules(conn, calendar, &incident, chain, now).await?;
    }
    Ok(incident)
}

/// Opens an incident and announces it; a major one goes up a tier at once.
async fn insert_incident(
    conn: &mut PgConnection,
    calendar: &Calendar,
    new: NewIncident,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Incident, sqlx::Error> {
    let deadline = deadlines::due(conn, calendar, &new.category, new.placement.level, now).await?;
    let incident = Incident {
        id: Uuid::now_v7(),
        deadline,
        placement: new.placement,
        category: new.category,
        summary: new.summary,
        status: Status::Reported,
        source: new.source,
        complaint_id: new.complaint_id,
        correlation_id: chain.correlation_id,
        assignee: None,
        opened_at: now,
        severity: new.severity,
        enterprise_id: new.enterprise_id,
        topic_id: new.topic_id,
    };
    let p = &incident.placement;
    sqlx::query(
        "INSERT INTO incidents (id, grid_id, building_id, community_id, category, summary, status, level, source,
                                complaint_id, correlation_id, opened_at, deadline, updated_at, severity, enterprise_id,
                                topic_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $14, $15, $16)",
    )
    .bind(incident.id)
    .bind(p.grid_id)
    .bind(p.building_id)
    .bind(p.community_id)
    .bind(&incident.category)
    .bind(&incident.summary)
    .bind(incident.status.as_str())
    .bind(p.level.as_str())
    .bind(incident.source.as_str())
    .bind(incident.complaint_id)
    .bind(incident.correlation_id)
    .bind(now)
    .bind(incident.deadline)
    .bind(incident.severity.as_str())
    .bind(incident.enterprise_id)
    .bind(incident.topic_id)
    .execute(&mut *conn)
    .await?;
    history(conn, incident.id, (Status::Reported, Status::Reported), &new.reporter, "reported", now).await?;
    let event = pb::IncidentOpened {
        incident_id: incident.id.to_string(),
        grid_id: id_text(p.grid_id),
        building_id: id_text(p.building_id),
        community_id: id_text(p.community_id),
        category: incident.category.clone(),
        level: wire::level(p.level) as i32,
        source: wire::source(incident.source) as i32,
        complaint_id: id_text(incident.complaint_id),
        enterprise_id: id_text(incident.enterprise_id),
        topic_id: id_text(incident.topic_id),
    };
    OUTBOX.append(conn, incident.id, &event, chain).await?;
    measures::opened(p.level, incident.source);
    if incident.severity == Severity::Major && crate::domain::escalation::escalate(&incident).is_ok() {
        // 大事全网联动: a major incident mobilises the next tier at once.
        let escalated =
            escalate_incident(conn, calendar, incident.id, Reason::Major, &new.reporter, "", chain.causation_id, now)
                .await?;
        if let Some(Ok(escalated)) = escalated {
            return Ok(escalated);
        }
    }
    Ok(incident)
}

/// Applies `action` to an incident inside the caller's transaction. `None`
/// when the incident does not exist; the inner error when the action is not
/// allowed in its state. The events continue the incident's own chain.
pub async fn transition_incident(
    conn: &mut PgConnection,
    id: Uuid,
    step: Step<'_>,
    causation_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<Result<Incident, StepRefused>>, sqlx::Error> {
    let Some(mut incident) = lock_incident(conn, id).await? else { return Ok(None) };
    let chain = Chain { correlation_id: incident.correlation_id, causation_id };
    let chain = &chain;
    let from = incident.status;
    let Step { action, actor, note, assignee } = step;
    let to = match transition(from, action) {
        Ok(to) => to,
        Err(e) => return Ok(Some(Err(StepRefused::Illegal(e)))),
    };
    if to == Status::Closed {
        let summons = load_summons(conn, id).await?;
        let owed = crate::domain::whistle::outstanding(&summons);
        if !owed.is_empty() {
            return Ok(Some(Err(StepRefused::Outstanding(owed.into_iter().map(str::to_string).collect()))));
        }
    }
    incident.status = to;
    if let Some(a) = assignee {
        incident.assignee = Some(a.to_string());
    }
    // What the statistics count: the first answer, the close and whether it
    // came in time (never, once a deadline was missed).
    sqlx::query(
        "UPDATE incidents SET status = $2, assignee = $3, updated_at = $4,
             responded_at = CASE WHEN $5 THEN COALESCE(responded_at, $4) ELSE responded_at END,
             closed_at = CASE WHEN $6 THEN $4 ELSE closed_at END,
             closed_on_time = CASE WHEN $6 THEN $4 <= deadline AND NOT missed_deadline ELSE closed_on_time END
         WHERE id = $1",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(&incident.assignee)
    .bind(now)
    .bind(from == Status::Reported)
    .bind(to == Status::Closed)
    .execute(&mut *conn)
    .await?;
    history(conn, id, (from, to), actor, note, now).await?;
    let complaint_id = id_text(incident.complaint_id);
    let event = pb::IncidentTransitioned {
        incident_id: id.to_string(),
        from_status: wire::status(from) as i32,
        to_status: wire::status(to) as i32,
        action: wire::action(action) as i32,
        complaint_id: complaint_id.clone(),
    };
    OUTBOX.append(conn, id, &event, chain).await?;
    if to == Status::Closed {
        let closed = pb::IncidentClosed {
            incident_id: id.to_string(),
            complaint_id,
            grid_id: id_text(incident.placement.grid_id),
        };
        OUTBOX.append(conn, id, &closed, chain).await?;
        measures::closed(incident.placement.level);
    }
    Ok(Some(Ok(incident)))
}
