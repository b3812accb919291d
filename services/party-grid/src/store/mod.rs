//! party-grid's database: organisations, bindings, the governance read
//! model and linkage tasks. Every change is written with its outbox event.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_proto::partygrid::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    OUTBOX,
    domain::{
        binding::{BindingError, OrgKind, Organisation, UnitKind, check_binding},
        coverage::{self, BuildingCover, GridCover, Report},
        member::{Member, Role},
        task::{LinkageTask, TaskAction, TaskStatus, can_delegate, transition},
        volunteers::Call,
    },
    wire,
};

mod area;
mod council;
mod member;
mod network;
mod task;
mod topic;
mod volunteers;

pub use area::Target;
pub use council::{CouncilMember, NewCouncil, Participation};
use member::{MEMBER_COLUMNS, MemberRow, member, unit_known};
pub use topic::{Decision, Meeting, NewMeeting, NewTopic, link_incident, propose_from_warning, topics_implemented_by};
pub use volunteers::VolunteerStep;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    /// Seals council members' names and phones; `None` only while
    /// `personal_data.disabled`.
    sealer: Option<std::sync::Arc<dualnet_platform::sealing::Sealer>>,
}

type OrgRow = (Uuid, Option<Uuid>, String, String, Option<String>, Option<Uuid>);

fn organisation(row: OrgRow) -> Result<Organisation, ApiError> {
    let (id, parent_id, kind, name, unit_kind, unit_id) = row;
    let kind = OrgKind::parse(&kind).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored kind {kind:?}")))?;
    let binding = match (unit_kind.as_deref().and_then(UnitKind::parse), unit_id) {
        (Some(k), Some(u)) => Some((k, u)),
        _ => None,
    };
    Ok(Organisation { id, parent_id, kind, name, binding })
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    organisation_id: Uuid,
    incident_id: Uuid,
    status: String,
    note: String,
    correlation_id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    delegated_to: Option<Uuid>,
}

impl TaskRow {
    fn into_task(self) -> Result<LinkageTask, sqlx::Error> {
        let status = TaskStatus::parse(&self.status)
            .ok_or_else(|| sqlx::Error::Protocol(format!("stored task status {:?}", self.status)))?;
        Ok(LinkageTask {
            id: self.id,
            organisation_id: self.organisation_id,
            incident_id: self.incident_id,
            status,
            note: self.note,
            correlation_id: self.correlation_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            delegated_to: self.delegated_to,
        })
    }
}

const TASK_COLUMNS: &str =
    "id, organisation_id, incident_id, status, note, correlation_id, created_at, updated_at, delegated_to";

#[derive(Debug, Default)]
pub struct TaskFilter {
    pub incident_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub status: Option<TaskStatus>,
    pub limit: i64,
    /// Only tasks after this (creation time, id) in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Only the tasks of organisations in this area; `None`: all.
    pub area: Option<Vec<Uuid>>,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, sealer: None }
    }

    pub fn sealing(self, sealer: Option<std::sync::Arc<dualnet_platform::sealing::Sealer>>) -> Self {
        Self { sealer, ..self }
    }

    pub async fn create_organisation(
        &self,
        parent_id: Option<Uuid>,
        kind: OrgKind,
        name: &str,
        chain: &Chain,
    ) -> Result<Organisation, ApiError> {
        let org = Organisation { id: Uuid::now_v7(), parent_id, kind, name: name.into(), binding: None };
        let mut tx = self.pool.begin().await?;
        if let Some(parent) = parent_id {
            let parent = load_organisation(&mut tx, parent, false)
                .await?
                .ok_or_else(|| ApiError::NotFound("parent organisation".into()))?;
            if !kind.fits_under(parent.kind) {
                return Err(ApiError::field(
                    "parent_id",
                    format!("a {} cannot sit under a {}", kind.as_str(), parent.kind.as_str()),
                ));
            }
        }
        sqlx::query("INSERT INTO organisations (id, parent_id, kind, name) VALUES ($1, $2, $3, $4)")
            .bind(org.id)
            .bind(parent_id)
            .bind(kind.as_str())
            .bind(&org.name)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    ApiError::NotFound("parent organisation".into())
                }
                _ => e.into(),
            })?;
        let event = pb::OrganisationCreated {
            organisation_id: org.id.to_string(),
            parent_id: id_text(parent_id),
            kind: wire::org_kind(kind) as i32,
            name: org.name.clone(),
        };
        OUTBOX.append(&mut tx, org.id, &event, chain).await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organisation(&self, id: Uuid) -> Result<Organisation, ApiError> {
        let mut conn = self.pool.acquire().await?;
        load_organisation(&mut conn, id, false).await?.ok_or_else(|| ApiError::NotFound("organisation".into()))
    }

    pub async fn bind(
        &self,
        org_id: Uuid,
        unit: UnitKind,
        unit_id: Uuid,
        chain: &Chain,
    ) -> Result<Organisation, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut org =
            load_organisation(&mut tx, org_id, true).await?.ok_or_else(|| ApiError::NotFound("organisation".into()))?;
        check_binding(&org, unit).map_err(|e| match e {
            BindingError::AlreadyBound => ApiError::FailedPrecondition(e.to_string()),
            BindingError::WrongKind { .. } => ApiError::field("unit_kind", e.to_string()),
        })?;
        if !unit_known(&mut tx, unit, unit_id).await? {
            return Err(ApiError::NotFound(unit.as_str().to_string()));
        }
        sqlx::query("INSERT INTO bindings (organisation_id, unit_kind, unit_id) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(unit.as_str())
            .bind(unit_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    ApiError::AlreadyExists(format!("the {} is already bound to another organisation", unit.as_str()))
                }
                _ => e.into(),
            })?;
        let event = pb::OrganisationBound {
            organisation_id: org_id.to_string(),
            unit_kind: wire::unit_kind(unit) as i32,
            unit_id: unit_id.to_string(),
        };
        OUTBOX.append(&mut tx, org_id, &event, chain).await?;
        tx.commit().await?;
        org.binding = Some((unit, unit_id));
        Ok(org)
    }

    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<LinkageTask>, ApiError> {
        let rows: Vec<TaskRow> = sqlx::query_as(&format!(
            "SELECT {TASK_COLUMNS} FROM linkage_tasks
             WHERE ($1::uuid IS NULL OR incident_id = $1) AND ($2::uuid IS NULL OR organisation_id = $2)
               AND ($4::uuid[] IS NULL OR organisation_in_area(organisation_id, $4))
               AND ($5::text IS NULL OR status = $5)
               AND ($6::timestamptz IS NULL OR (created_at, id) > ($6, $7))
             ORDER BY created_at, id LIMIT $3"
        ))
        .bind(filter.incident_id)
        .bind(filter.organisation_id)
        .bind(filter.limit)
        .bind(&filter.area)
        .bind(filter.status.map(TaskStatus::as_str))
        .bind(filter.after.map(|a| a.0))
        .bind(filter.after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(TaskRow::into_task).collect::<Result<_, _>>()?)
    }

    pub async fn act_on_task(
        &self,
        id: Uuid,
        action: TaskAction,
        actor: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<LinkageTask, ApiError> {
        let mut tx = self.pool.begin().await?;
        let task = move_task(&mut tx, id, action, actor, note, None, now)
            .await?
            .ok_or_else(|| ApiError::NotFound("linkage task".into()))?
            .map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        tx.commit().await?;
        Ok(task)
    }
}

async fn load_organisation(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Organisation>, ApiError> {
    let row: Option<OrgRow> = sqlx::query_as(&format!(
        "SELECT o.id, o.parent_id, o.kind, o.name, b.unit_kind, b.unit_id
         FROM organisations o LEFT JOIN bindings b ON b.organisation_id = o.id WHERE o.id = $1 {}",
        if lock { "FOR UPDATE OF o" } else { "" }
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(organisation).transpose()
}

/// Applies a task action inside the caller's transaction and announces it.
/// `None` when the task does not exist.
pub async fn move_task(
    conn: &mut PgConnection,
    id: Uuid,
    action: TaskAction,
    actor: &str,
    note: &str,
    causation_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<Result<LinkageTask, crate::domain::task::IllegalTaskTransition>>, sqlx::Error> {
    let row: Option<TaskRow> =
        sqlx::query_as(&format!("SELECT {TASK_COLUMNS} FROM linkage_tasks WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let mut task = row.into_task()?;
    let to = match transition(task.status, action) {
        Ok(to) => to,
        Err(e) => return Ok(Some(Err(e))),
    };
    task.status = to;
    task.updated_at = now;
    if !note.is_empty() {
        task.note = note.to_string();
    }
    sqlx::query(
        "UPDATE linkage_tasks SET status = $2, note = $3, updated_at = $4, updated_by = $5,
             accepted_at = CASE WHEN $2 = 'accepted' THEN $4 ELSE accepted_at END,
             completed_at = CASE WHEN $2 = 'completed' THEN $4 ELSE completed_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(&task.note)
    .bind(now)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    // The task's events continue the chain of the incident that caused it.
    let chain = Chain { correlation_id: task.correlation_id, causation_id };
    let (t, o, i) = (task.id.to_string(), task.organisation_id.to_string(), task.incident_id.to_string());
    match action {
        TaskAction::Accept => {
            let e = pb::LinkageTaskAccepted { task_id: t, organisation_id: o, incident_id: i };
            OUTBOX.append(conn, task.id, &e, &chain).await?;
        }
        TaskAction::Complete => {
            let e =
                pb::LinkageTaskCompleted { task_id: t, organisation_id: o, incident_id: i, note: task.note.clone() };
            OUTBOX.append(conn, task.id, &e, &chain).await?;
        }
        TaskAction::Close => {
            let e = pb::LinkageTaskClosed { task_id: t, organisation_id: o, incident_id: i };
            OUTBOX.append(conn, task.id, &e, &chain).await?;
        }
    }
    Ok(Some(Ok(task)))
}

/// Keeps the read model of governance units.
pub async fn remember_unit(
    conn: &mut PgConnection,
    unit: UnitKind,
    id: Uuid,
    parent: Option<Uuid>,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO governance_units (unit_kind, unit_id, parent_id, name) VALUES ($1, $2, $3, $4)
         ON CONFLICT (unit_kind, unit_id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name",
    )
    .bind(unit.as_str())
    .bind(id)
    .bind(parent)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisation bound to a unit, if any.
pub async fn bound_to(conn: &mut PgConnection, unit: UnitKind, id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT organisation_id FROM bindings WHERE unit_kind = $1 AND unit_id = $2")
        .bind(unit.as_str())
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Gives `organisation_id` a task for an incident (once) and announces it.
pub async fn create_task(
    conn: &mut PgConnection,
    organisation_id: Uuid,
    incident_id: Uuid,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO linkage_tasks (id, organisation_id, incident_id, status, correlation_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (organisation_id, incident_id) DO NOTHING",
    )
    .bind(id)
    .bind(organisation_id)
    .bind(incident_id)
    .bind(TaskStatus::Open.as_str())
    .bind(chain.correlation_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let event = pb::LinkageTaskCreated {
        task_id: id.to_string(),
        organisation_id: organisation_id.to_string(),
        incident_id: incident_id.to_string(),
    };
    OUTBOX.append(conn, id, &event, chain).await?;
    Ok(Some(id))
}

/// The tasks of an incident still open or accepted.
pub async fn unfinished_tasks(conn: &mut PgConnection, incident_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM linkage_tasks WHERE incident_id = $1 AND status IN ('open', 'accepted') ORDER BY id",
    )
    .bind(incident_id)
    .fetch_all(conn)
    .await
}

/// A unit left the map: it leaves coverage, and the binding to it is flagged.
pub async fn retire_unit(
    conn: &mut PgConnection,
    unit: UnitKind,
    id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE governance_units SET retired_at = $3 WHERE unit_kind = $1 AND unit_id = $2")
        .bind(unit.as_str())
        .bind(id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE bindings SET flagged_reason = $3, flagged_at = $4 WHERE unit_kind = $1 AND unit_id = $2")
        .bind(unit.as_str())
        .bind(id)
        .bind(format!("the {} was retired: {reason}", unit.as_str()))
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
