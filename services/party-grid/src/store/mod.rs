//! party-grid's database: organisations, bindings, the governance read
//! model and linkage tasks. Every change is written with its outbox event.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
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
        volunteers::{self, Call},
    },
    wire,
};

mod area;

pub use area::Target;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
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
    pub limit: i64,
    /// Only the tasks of organisations in this area; `None`: all.
    pub area: Option<Vec<Uuid>>,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
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
            parent_id: parent_id.map(|p| p.to_string()).unwrap_or_default(),
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
             ORDER BY created_at, id LIMIT $3"
        ))
        .bind(filter.incident_id)
        .bind(filter.organisation_id)
        .bind(filter.limit)
        .bind(&filter.area)
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

type MemberRow = (Uuid, Uuid, String, String, Option<Uuid>, Option<Uuid>);

const MEMBER_COLUMNS: &str = "id, organisation_id, name, role, building_id, registered_community_id";

fn member(row: MemberRow) -> Result<Member, ApiError> {
    let (id, organisation_id, name, role, building_id, registered_community_id) = row;
    let role = Role::parse(&role).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored role {role:?}")))?;
    Ok(Member { id, organisation_id, name, role, building_id, registered_community_id })
}

async fn unit_known(conn: &mut PgConnection, unit: UnitKind, id: Uuid) -> Result<bool, sqlx::Error> {
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
            building_id: building_id.map(|b| b.to_string()).unwrap_or_default(),
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

    pub async fn members(&self, organisation_id: Uuid, limit: i64) -> Result<Vec<Member>, ApiError> {
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE organisation_id = $1 ORDER BY joined_at, id LIMIT $2"
        ))
        .bind(organisation_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(member).collect()
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

/// Response times of one organisation's linkage tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseTimes {
    pub organisation_id: Uuid,
    pub tasks: i64,
    pub accepted: i64,
    pub completed: i64,
    pub median_seconds_to_accept: Option<f64>,
    pub median_seconds_to_complete: Option<f64>,
}

impl Store {
    pub async fn delegate(
        &self,
        id: Uuid,
        actor: &str,
        member_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<LinkageTask, ApiError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<TaskRow> =
            sqlx::query_as(&format!("SELECT {TASK_COLUMNS} FROM linkage_tasks WHERE id = $1 FOR UPDATE"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut task = row.ok_or_else(|| ApiError::NotFound("linkage task".into()))?.into_task()?;
        can_delegate(task.status).map_err(ApiError::FailedPrecondition)?;
        let member_org: Option<Uuid> = sqlx::query_scalar("SELECT organisation_id FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(&mut *tx)
            .await?;
        match member_org {
            None => return Err(ApiError::NotFound("member".into())),
            Some(o) if o != task.organisation_id => {
                return Err(ApiError::FailedPrecondition("the member belongs to another organisation".into()));
            }
            Some(_) => {}
        }
        sqlx::query("UPDATE linkage_tasks SET delegated_to = $2, updated_at = $3, updated_by = $4 WHERE id = $1")
            .bind(id)
            .bind(member_id)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
        task.delegated_to = Some(member_id);
        task.updated_at = now;
        let event = pb::LinkageTaskDelegated {
            task_id: id.to_string(),
            organisation_id: task.organisation_id.to_string(),
            incident_id: task.incident_id.to_string(),
            member_id: member_id.to_string(),
        };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(task.correlation_id)).await?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn response_times(&self, organisation: Option<Uuid>) -> Result<Vec<ResponseTimes>, ApiError> {
        type Row = (Uuid, i64, i64, i64, Option<f64>, Option<f64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT organisation_id, count(*), count(accepted_at), count(completed_at),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - created_at)::float8),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)::float8)
             FROM linkage_tasks WHERE ($1::uuid IS NULL OR organisation_id = $1)
             GROUP BY organisation_id ORDER BY organisation_id",
        )
        .bind(organisation)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(organisation_id, tasks, accepted, completed, accept, complete)| ResponseTimes {
                organisation_id,
                tasks,
                accepted,
                completed,
                median_seconds_to_accept: accept,
                median_seconds_to_complete: complete,
            })
            .collect())
    }
}

/// What a volunteer does on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolunteerStep {
    SignUp,
    ShowUp,
}

async fn load_call(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<(Call, Uuid)>, sqlx::Error> {
    let row: Option<(Uuid, Uuid, Uuid, i32, String, Uuid)> = sqlx::query_as(&format!(
        "SELECT id, incident_id, organisation_id, needed, purpose, correlation_id FROM volunteer_calls WHERE id = $1 {}",
        if lock { "FOR UPDATE" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, incident_id, organisation_id, needed, purpose, correlation_id)) = row else { return Ok(None) };
    let signups: Vec<(Uuid, bool)> = sqlx::query_as(
        "SELECT member_id, showed_at IS NOT NULL FROM volunteer_signups WHERE call_id = $1 ORDER BY signed_at, member_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let signed_up = signups.iter().map(|(m, _)| *m).collect();
    let showed_up = signups.iter().filter(|(_, showed)| *showed).map(|(m, _)| *m).collect();
    Ok(Some((Call { id, incident_id, organisation_id, needed, purpose, signed_up, showed_up }, correlation_id)))
}

impl Store {
    pub async fn call_volunteers(
        &self,
        incident_id: Uuid,
        organisation_id: Uuid,
        needed: i32,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Call, ApiError> {
        let mut tx = self.pool.begin().await?;
        load_organisation(&mut tx, organisation_id, false)
            .await?
            .ok_or_else(|| ApiError::NotFound("organisation".into()))?;
        let correlation: Option<Uuid> = sqlx::query_scalar(
            "SELECT correlation_id FROM linkage_tasks WHERE organisation_id = $1 AND incident_id = $2",
        )
        .bind(organisation_id)
        .bind(incident_id)
        .fetch_optional(&mut *tx)
        .await?;
        let correlation = correlation.ok_or_else(|| {
            ApiError::FailedPrecondition("the organisation has no linkage task for this incident".into())
        })?;
        let call = Call {
            id: Uuid::now_v7(),
            incident_id,
            organisation_id,
            needed,
            purpose: purpose.into(),
            signed_up: vec![],
            showed_up: vec![],
        };
        sqlx::query(
            "INSERT INTO volunteer_calls (id, incident_id, organisation_id, needed, purpose, correlation_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(call.id)
        .bind(incident_id)
        .bind(organisation_id)
        .bind(needed)
        .bind(purpose)
        .bind(correlation)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = pb::VolunteersCalled {
            call_id: call.id.to_string(),
            incident_id: incident_id.to_string(),
            organisation_id: organisation_id.to_string(),
            needed,
        };
        OUTBOX.append(&mut tx, call.id, &event, &Chain::start(correlation)).await?;
        tx.commit().await?;
        Ok(call)
    }

    pub async fn volunteer_call(&self, id: Uuid) -> Result<Call, ApiError> {
        let mut conn = self.pool.acquire().await?;
        Ok(load_call(&mut conn, id, false).await?.ok_or_else(|| ApiError::NotFound("volunteer call".into()))?.0)
    }

    pub async fn volunteer(
        &self,
        call_id: Uuid,
        member_id: Uuid,
        step: VolunteerStep,
        now: DateTime<Utc>,
    ) -> Result<Call, ApiError> {
        let mut tx = self.pool.begin().await?;
        let (mut call, correlation) =
            load_call(&mut tx, call_id, true).await?.ok_or_else(|| ApiError::NotFound("volunteer call".into()))?;
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE id = $1)")
            .bind(member_id)
            .fetch_one(&mut *tx)
            .await?;
        if !known {
            return Err(ApiError::NotFound("member".into()));
        }
        let chain = Chain::start(correlation);
        let (c, m) = (call_id.to_string(), member_id.to_string());
        match step {
            VolunteerStep::SignUp => {
                volunteers::sign_up(&call, member_id).map_err(ApiError::FailedPrecondition)?;
                sqlx::query("INSERT INTO volunteer_signups (call_id, member_id, signed_at) VALUES ($1, $2, $3)")
                    .bind(call_id)
                    .bind(member_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                OUTBOX.append(&mut tx, call_id, &pb::VolunteerSignedUp { call_id: c, member_id: m }, &chain).await?;
                call.signed_up.push(member_id);
            }
            VolunteerStep::ShowUp => {
                volunteers::show_up(&call, member_id).map_err(ApiError::FailedPrecondition)?;
                sqlx::query("UPDATE volunteer_signups SET showed_at = $3 WHERE call_id = $1 AND member_id = $2")
                    .bind(call_id)
                    .bind(member_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                OUTBOX.append(&mut tx, call_id, &pb::VolunteerShowedUp { call_id: c, member_id: m }, &chain).await?;
                call.showed_up.push(member_id);
            }
        }
        tx.commit().await?;
        Ok(call)
    }
}

/// The party network of one grid.
pub struct GridNetwork {
    pub branch: Option<Organisation>,
    pub groups: Vec<Organisation>,
    pub members: Vec<Member>,
    pub open_tasks: Vec<LinkageTask>,
}

impl Store {
    pub async fn grid_network(&self, grid: Uuid) -> Result<GridNetwork, ApiError> {
        let mut conn = self.pool.acquire().await?;
        if !unit_known(&mut conn, UnitKind::Grid, grid).await? {
            return Err(ApiError::NotFound("grid".into()));
        }
        // The branch bound to the grid and the groups bound to its buildings.
        let rows: Vec<OrgRow> = sqlx::query_as(
            "SELECT o.id, o.parent_id, o.kind, o.name, b.unit_kind, b.unit_id
             FROM bindings b JOIN organisations o ON o.id = b.organisation_id
             WHERE (b.unit_kind = 'grid' AND b.unit_id = $1)
                OR (b.unit_kind = 'building' AND b.unit_id IN
                    (SELECT unit_id FROM governance_units WHERE unit_kind = 'building' AND parent_id = $1))
             ORDER BY o.id",
        )
        .bind(grid)
        .fetch_all(&mut *conn)
        .await?;
        let orgs: Vec<Organisation> = rows.into_iter().map(organisation).collect::<Result<_, _>>()?;
        let ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
        let (branches, groups): (Vec<_>, Vec<_>) =
            orgs.into_iter().partition(|o| o.binding.is_some_and(|(k, _)| k == UnitKind::Grid));
        let branch = branches.into_iter().next();
        let members: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE organisation_id = ANY($1) ORDER BY organisation_id, joined_at, id"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        let tasks: Vec<TaskRow> = sqlx::query_as(&format!(
            "SELECT {TASK_COLUMNS} FROM linkage_tasks WHERE organisation_id = ANY($1) AND status IN ('open', 'accepted')
             ORDER BY created_at, id"
        ))
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await?;
        Ok(GridNetwork {
            branch,
            groups,
            members: members.into_iter().map(member).collect::<Result<_, _>>()?,
            open_tasks: tasks.into_iter().map(TaskRow::into_task).collect::<Result<_, _>>()?,
        })
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

/// A binding whose unit changed under it.
pub struct Flagged {
    pub organisation_id: Uuid,
    pub unit: UnitKind,
    pub unit_id: Uuid,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Flagged bindings, of organisations in `area` when one is given.
    pub async fn flagged_bindings(&self, limit: i64, area: Option<&[Uuid]>) -> Result<Vec<Flagged>, ApiError> {
        let rows: Vec<(Uuid, String, Uuid, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT organisation_id, unit_kind, unit_id, flagged_reason, flagged_at FROM bindings
             WHERE flagged_at IS NOT NULL AND ($2::uuid[] IS NULL OR organisation_in_area(organisation_id, $2))
             ORDER BY flagged_at, organisation_id LIMIT $1",
        )
        .bind(limit)
        .bind(area)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(organisation_id, unit, unit_id, reason, at)| {
                let unit = UnitKind::parse(&unit)
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored unit kind {unit:?}")))?;
                Ok(Flagged { organisation_id, unit, unit_id, reason, at })
            })
            .collect()
    }
}
