//! A request's life after filing: acceptance and handover by departments,
//! supervision, merging, the incident's progress, the reply, the rating and
//! reopening, and the overdue sweep.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_platform::{ApiError, timestamp::to_proto};
use dualnet_proto::complaints::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{ComplaintView, Store, catalogue, load, note, view};
use crate::{
    OUTBOX,
    domain::complaint::{self, Complaint, Resolution, Satisfaction, Status},
    wire,
};

fn refused(m: impl Into<String>) -> ApiError {
    ApiError::FailedPrecondition(m.into())
}

async fn locked(conn: &mut PgConnection, id: Uuid) -> Result<Complaint, ApiError> {
    load(conn, id, true).await?.ok_or_else(|| ApiError::NotFound("complaint".into()))
}

/// Who gave a rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rater {
    /// The resident, through the channel the request was filed with.
    Resident,
    /// Staff recording the resident's rating (by phone, at the counter):
    /// the token subject that recorded it.
    OnBehalf(String),
}

/// A resident's rating of the answer.
#[derive(Debug, Clone)]
pub struct Rating<'a> {
    pub satisfaction: Satisfaction,
    pub resolution: Option<Resolution>,
    pub comment: &'a str,
    pub rater: Rater,
}

impl Store {
    /// The token subject the request was filed with; `NotFound` when there
    /// is no such request.
    pub async fn filed_with(&self, id: Uuid) -> Result<Option<String>, ApiError> {
        let row: Option<Option<String>> = sqlx::query_scalar("SELECT filed_with FROM complaints WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or_else(|| ApiError::NotFound("complaint".into()))
    }

    /// The lead department takes the request on.
    pub async fn accept(
        &self,
        id: Uuid,
        department: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ComplaintView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut c = locked(&mut tx, id).await?;
        if c.department != department {
            return Err(refused(format!("the request is led by {}; it hands over first", c.department)));
        }
        c.status = complaint::accept(c.status).map_err(|e| refused(e.to_string()))?;
        sqlx::query("UPDATE complaints SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(c.status.as_str())
            .execute(&mut *tx)
            .await?;
        note(&mut tx, id, c.status, &format!("accepted by {department} ({actor})"), now).await?;
        let event = pb::ComplaintAccepted { complaint_id: id.to_string(), department: department.into() };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(c.correlation_id)).await?;
        let v = view(&mut tx, c).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// First-receiver responsibility ends only by an explicit handover from
    /// the lead department.
    pub async fn hand_over(
        &self,
        id: Uuid,
        from: &str,
        to: &str,
        actor: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<ComplaintView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut c = locked(&mut tx, id).await?;
        if c.department != from {
            return Err(refused(format!("only the lead department, {}, can hand the request over", c.department)));
        }
        if !complaint::is_open(c.status) {
            return Err(refused("a replied request is not handed over"));
        }
        if from == to {
            return Err(ApiError::field("to_department", "must differ from from_department"));
        }
        c.department = to.to_string();
        sqlx::query("UPDATE complaints SET department = $2 WHERE id = $1").bind(id).bind(to).execute(&mut *tx).await?;
        let line = match text {
            "" => format!("handed over from {from} to {to} ({actor})"),
            t => format!("handed over from {from} to {to} ({actor}): {t}"),
        };
        note(&mut tx, id, c.status, &line, now).await?;
        let event = pb::ComplaintHandedOver {
            complaint_id: id.to_string(),
            from_department: from.into(),
            to_department: to.into(),
        };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(c.correlation_id)).await?;
        let v = view(&mut tx, c).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// 督办: puts an open request under supervision.
    pub async fn supervise(
        &self,
        id: Uuid,
        supervisor: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<ComplaintView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut c = locked(&mut tx, id).await?;
        if !complaint::is_open(c.status) {
            return Err(refused("a replied request is not supervised"));
        }
        c.supervised_by = Some(supervisor.to_string());
        sqlx::query("UPDATE complaints SET supervised_by = $2 WHERE id = $1")
            .bind(id)
            .bind(supervisor)
            .execute(&mut *tx)
            .await?;
        let line = match text {
            "" => format!("supervised (督办) by {supervisor}"),
            t => format!("supervised (督办) by {supervisor}: {t}"),
        };
        note(&mut tx, id, c.status, &line, now).await?;
        let event = pb::ComplaintSupervised { complaint_id: id.to_string(), department: c.department.clone() };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(c.correlation_id)).await?;
        let v = view(&mut tx, c).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Merges the duplicate `id` into `into`: it follows that request's
    /// incident from now on and is replied to with it.
    pub async fn merge(&self, id: Uuid, into: Uuid, now: DateTime<Utc>) -> Result<ComplaintView, ApiError> {
        if id == into {
            return Err(ApiError::field("into_id", "a request is not merged into itself"));
        }
        let mut tx = self.pool.begin().await?;
        // Lock both in one order, so two merges cannot deadlock.
        let (first, second) = if id < into { (id, into) } else { (into, id) };
        let a = locked(&mut tx, first).await?;
        let b = locked(&mut tx, second).await?;
        let (mut dup, target) = if a.id == id { (a, b) } else { (b, a) };
        if dup.merged_into.is_some() {
            return Err(refused("the request is merged already"));
        }
        if target.merged_into.is_some() {
            return Err(refused("merge into the request it was merged into, not into a duplicate"));
        }
        if !complaint::is_open(dup.status) || !complaint::is_open(target.status) {
            return Err(refused("only requests still waiting for a reply are merged"));
        }
        let own_incident = dup.incident_id;
        dup.merged_into = Some(into);
        dup.incident_id = target.incident_id;
        if let Some(s) = complaint::dispatch(dup.status).filter(|_| target.status == Status::Dispatched) {
            dup.status = s;
        }
        sqlx::query("UPDATE complaints SET merged_into = $2, incident_id = $3, status = $4 WHERE id = $1")
            .bind(id)
            .bind(into)
            .bind(dup.incident_id)
            .bind(dup.status.as_str())
            .execute(&mut *tx)
            .await?;
        note(&mut tx, id, dup.status, &format!("merged into request {into}"), now).await?;
        note(&mut tx, into, target.status, &format!("request {id} merged into this one"), now).await?;
        let event = pb::ComplaintMerged {
            complaint_id: id.to_string(),
            into_complaint_id: into.to_string(),
            incident_id: id_text(own_incident),
        };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(dup.correlation_id)).await?;
        let v = view(&mut tx, dup).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The resident rates the reply. Dissatisfied, the request reopens: back
    /// to its lead department, a new incident, the clock restarted.
    pub async fn rate(&self, id: Uuid, rating: Rating<'_>, now: DateTime<Utc>) -> Result<ComplaintView, ApiError> {
        let Rating { satisfaction, resolution, comment, rater } = rating;
        let mut tx = self.pool.begin().await?;
        let mut c = locked(&mut tx, id).await?;
        c.status = complaint::rate(c.status, satisfaction).map_err(|e| refused(e.to_string()))?;
        c.satisfaction = Some(satisfaction);
        c.resolution = resolution;
        let chain = Chain::start(c.correlation_id);
        sqlx::query(
            "UPDATE complaints SET status = $2, satisfaction = $3, resolution = $4, rating_comment = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(c.status.as_str())
        .bind(satisfaction.as_str())
        .bind(resolution.map(Resolution::as_str))
        .bind(comment)
        .execute(&mut *tx)
        .await?;
        let solved = resolution.map(|r| format!(", {}", r.as_str().replace('_', " "))).unwrap_or_default();
        let by = match &rater {
            Rater::Resident => String::new(),
            Rater::OnBehalf(subject) => format!(" (on the resident's behalf, recorded by {subject})"),
        };
        let text = format!("rated {}{solved}{by}", satisfaction.as_str().replace('_', " "));
        note(&mut tx, id, Status::Rated, &text, now).await?;
        let event = pb::ComplaintRated {
            complaint_id: id.to_string(),
            satisfaction: wire::satisfaction(satisfaction) as i32,
            resolution: resolution.map_or(pb::Resolution::Unspecified, wire::resolution) as i32,
        };
        OUTBOX.append(&mut tx, id, &event, &chain).await?;
        if satisfaction == Satisfaction::Dissatisfied {
            let category = catalogue::active(&mut tx, &c.category).await?.and_then(|k| k.deadline);
            c.deadline = complaint::deadline(c.kind, category, now, &self.calendar);
            c.reopened += 1;
            let previous = c.incident_id.take();
            // A reopened duplicate stands on its own again.
            c.merged_into = None;
            sqlx::query(
                "UPDATE complaints SET deadline = $2, reopened = $3, incident_id = NULL, merged_into = NULL,
                     overdue = false, reply = '' WHERE id = $1",
            )
            .bind(id)
            .bind(c.deadline)
            .bind(c.reopened)
            .execute(&mut *tx)
            .await?;
            note(&mut tx, id, c.status, &format!("reopened after a dissatisfied rating; due {}", c.deadline), now)
                .await?;
            let event = pb::ComplaintReopened {
                complaint_id: id.to_string(),
                kind: wire::kind(c.kind) as i32,
                category: c.category.clone(),
                building_id: id_text(c.building_id),
                grid_id: id_text(c.grid_id),
                community_id: id_text(c.community_id),
                reopened: c.reopened,
                previous_incident_id: id_text(previous),
            };
            OUTBOX.append(&mut tx, id, &event, &chain).await?;
        }
        let v = view(&mut tx, c).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Flags every open request past its deadline, once, and announces it.
    pub async fn flag_overdue(&self, now: DateTime<Utc>, limit: i64) -> Result<usize, ApiError> {
        let mut tx = self.pool.begin().await?;
        let due: Vec<(Uuid, DateTime<Utc>, String, String, Uuid)> = sqlx::query_as(
            "SELECT id, deadline, department, status, correlation_id FROM complaints
             WHERE deadline < $1 AND status IN ('filed', 'accepted', 'dispatched') AND NOT overdue
             ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for (id, deadline, department, status, correlation_id) in &due {
            sqlx::query("UPDATE complaints SET overdue = true WHERE id = $1").bind(id).execute(&mut *tx).await?;
            let status = Status::parse(status).unwrap_or(Status::Filed);
            note(&mut tx, *id, status, "overdue: past its deadline without a reply", now).await?;
            let event = pb::ComplaintOverdue {
                complaint_id: id.to_string(),
                deadline: Some(to_proto(*deadline)),
                department: department.clone(),
            };
            OUTBOX.append(&mut tx, *id, &event, &Chain::start(*correlation_id)).await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }
}

/// The incident for the complaint was opened: it is dispatched. A merged
/// duplicate follows the other request's incident and ignores its own.
pub async fn dispatched(
    conn: &mut PgConnection,
    id: Uuid,
    incident_id: Uuid,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let Some(c) = load(conn, id, true).await? else { return Ok(false) };
    if c.merged_into.is_some() {
        return Ok(false);
    }
    let status = complaint::dispatch(c.status).unwrap_or(c.status);
    sqlx::query("UPDATE complaints SET status = $2, incident_id = $3 WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(incident_id)
        .execute(&mut *conn)
        .await?;
    note(conn, id, status, &format!("dispatched: incident {incident_id}"), now).await?;
    // The duplicates merged into it follow the same incident.
    sqlx::query(
        "UPDATE complaints SET incident_id = $2, status = CASE WHEN status IN ('filed', 'accepted') THEN 'dispatched' ELSE status END
         WHERE merged_into = $1",
    )
    .bind(id)
    .bind(incident_id)
    .execute(&mut *conn)
    .await?;
    let event = pb::ComplaintDispatched { complaint_id: id.to_string(), incident_id: incident_id.to_string() };
    OUTBOX.append(conn, id, &event, chain).await?;
    Ok(true)
}

/// The complaint's incident closed: the resident is replied to, and so is
/// every reporter of a duplicate merged into it.
pub async fn replied(
    conn: &mut PgConnection,
    id: Uuid,
    incident_id: Uuid,
    reply: &str,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let merged: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM complaints WHERE merged_into = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let mut answered = 0;
    for target in std::iter::once(id).chain(merged) {
        let Some(c) = load(conn, target, true).await? else { continue };
        // A reopened request waits for its new incident, not the old one.
        if c.incident_id.is_some_and(|i| i != incident_id) {
            continue;
        }
        let Some(status) = complaint::reply(c.status) else { continue };
        sqlx::query("UPDATE complaints SET status = $2, incident_id = $3, reply = $4 WHERE id = $1")
            .bind(target)
            .bind(status.as_str())
            .bind(incident_id)
            .bind(reply)
            .execute(&mut *conn)
            .await?;
        note(conn, target, status, reply, now).await?;
        let event = pb::ComplaintReplied { complaint_id: target.to_string(), incident_id: incident_id.to_string() };
        // Each request keeps its own correlation id; the close caused them all.
        let own = Chain { correlation_id: c.correlation_id, causation_id: chain.causation_id };
        OUTBOX.append(conn, target, &event, &own).await?;
        answered += 1;
    }
    Ok(answered)
}
