//! Council topics with their history, the meetings that decide them, and
//! the incidents their resolutions hand to governance-grid.

use super::council::{load_council, serving_members};
#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::{
    council as rules,
    topic::{
        self, Deliberation, HandOff, Resolution, Topic, TopicAction, TopicRefused, TopicSource, TopicStatus, TopicStep,
    },
};

#[derive(sqlx::FromRow)]
struct TopicRow {
    id: Uuid,
    council_id: Uuid,
    community_id: Uuid,
    title: String,
    description: String,
    source: String,
    status: String,
    complaint_id: Option<Uuid>,
    member_id: Option<Uuid>,
    warning_id: Option<Uuid>,
    meeting_id: Option<Uuid>,
    resolution: Option<String>,
    in_favour: Option<i32>,
    against: Option<i32>,
    abstaining: Option<i32>,
    hand_off_building_id: Option<Uuid>,
    hand_off_grid_id: Option<Uuid>,
    hand_off_category: Option<String>,
    incident_id: Option<Uuid>,
    incident_closed: bool,
    adopted_at: Option<DateTime<Utc>>,
    correlation_id: Uuid,
    raised_at: DateTime<Utc>,
}

const TOPIC_COLUMNS: &str = "t.id, t.council_id, c.community_id, t.title, t.description, t.source, t.status,
     t.complaint_id, t.member_id, t.warning_id, t.meeting_id, t.resolution, t.in_favour, t.against, t.abstaining,
     t.hand_off_building_id, t.hand_off_grid_id, t.hand_off_category, t.incident_id, t.incident_closed,
     t.adopted_at, t.correlation_id, t.raised_at";

fn stored<T: Named>(what: &str, value: &str) -> Result<T, sqlx::Error> {
    T::parse(value).ok_or_else(|| sqlx::Error::Protocol(format!("stored {what} {value:?}")))
}

fn count(v: Option<i32>) -> u32 {
    v.unwrap_or(0).unsigned_abs()
}

impl TopicRow {
    /// The topic, and whether the incident its resolution handed out is
    /// still open.
    fn into_topic(self, history: Vec<TopicStep>) -> Result<(Topic, bool), sqlx::Error> {
        let incident_open = self.incident_id.is_some() && !self.incident_closed
            || self.hand_off_category.is_some() && self.incident_id.is_none();
        let resolution = match (self.meeting_id, self.resolution, self.adopted_at) {
            (Some(meeting_id), Some(text), Some(adopted_at)) => Some(Resolution {
                text,
                meeting_id,
                in_favour: count(self.in_favour),
                against: count(self.against),
                abstaining: count(self.abstaining),
                hand_off: self.hand_off_category.map(|category| HandOff {
                    building_id: self.hand_off_building_id,
                    grid_id: self.hand_off_grid_id,
                    category,
                }),
                incident_id: self.incident_id,
                adopted_at,
            }),
            _ => None,
        };
        let topic = Topic {
            id: self.id,
            council_id: self.council_id,
            community_id: self.community_id,
            title: self.title,
            description: self.description,
            source: stored("topic source", &self.source)?,
            status: stored("topic status", &self.status)?,
            complaint_id: self.complaint_id,
            member_id: self.member_id,
            warning_id: self.warning_id,
            resolution,
            history,
            correlation_id: self.correlation_id,
            raised_at: self.raised_at,
        };
        Ok((topic, incident_open))
    }
}

/// The topics `where_` selects (with `$1` bound to `key`), each with its
/// history, in the order the query gives.
async fn load_topics(
    conn: &mut PgConnection,
    where_: &str,
    key: Uuid,
    lock: bool,
) -> Result<Vec<(Topic, bool)>, sqlx::Error> {
    let rows: Vec<TopicRow> = sqlx::query_as(&format!(
        "SELECT {TOPIC_COLUMNS} FROM council_topics t JOIN councils c ON c.id = t.council_id WHERE {where_}
         ORDER BY t.raised_at, t.id {}",
        if lock { "FOR UPDATE OF t" } else { "" }
    ))
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    with_history(conn, rows).await
}

async fn with_history(conn: &mut PgConnection, rows: Vec<TopicRow>) -> Result<Vec<(Topic, bool)>, sqlx::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    type Step = (Uuid, DateTime<Utc>, String, String, String, String);
    let steps: Vec<Step> = sqlx::query_as(
        "SELECT topic_id, at, from_status, to_status, actor, note FROM council_topic_history
         WHERE topic_id = ANY($1) ORDER BY topic_id, seq",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_topic: std::collections::HashMap<Uuid, Vec<TopicStep>> = Default::default();
    for (id, at, from, to, actor, note) in steps {
        let step =
            TopicStep { at, from: stored("topic status", &from)?, to: stored("topic status", &to)?, actor, note };
        by_topic.entry(id).or_default().push(step);
    }
    rows.into_iter()
        .map(|row| {
            let history = by_topic.remove(&row.id).unwrap_or_default();
            row.into_topic(history)
        })
        .collect()
}

async fn lock_topic(conn: &mut PgConnection, id: Uuid) -> Result<(Topic, bool), ApiError> {
    load_topics(conn, "t.id = $1", id, true).await?.pop().ok_or_else(|| ApiError::NotFound("topic".into()))
}

/// Moves `topic` to `step.to` in the caller's transaction: its status, a
/// history line and the announcement.
async fn record_step(
    conn: &mut PgConnection,
    topic: &mut Topic,
    step: TopicStep,
    causation_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE council_topics SET status = $2 WHERE id = $1")
        .bind(topic.id)
        .bind(step.to.as_str())
        .execute(&mut *conn)
        .await?;
    history(conn, topic.id, &step).await?;
    let event = pb::TopicTransitioned {
        topic_id: topic.id.to_string(),
        council_id: topic.council_id.to_string(),
        community_id: topic.community_id.to_string(),
        from_status: wire::topic_status(step.from) as i32,
        to_status: wire::topic_status(step.to) as i32,
    };
    let chain = Chain { correlation_id: topic.correlation_id, causation_id };
    OUTBOX.append(conn, topic.id, &event, &chain).await?;
    topic.status = step.to;
    topic.history.push(step);
    Ok(())
}

async fn history(conn: &mut PgConnection, topic_id: Uuid, step: &TopicStep) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO council_topic_history (topic_id, seq, at, from_status, to_status, actor, note)
         SELECT $1, COALESCE(max(seq), 0) + 1, $2, $3, $4, $5, $6 FROM council_topic_history WHERE topic_id = $1",
    )
    .bind(topic_id)
    .bind(step.at)
    .bind(step.from.as_str())
    .bind(step.to.as_str())
    .bind(&step.actor)
    .bind(&step.note)
    .execute(conn)
    .await?;
    Ok(())
}

fn refused(e: TopicRefused) -> ApiError {
    ApiError::FailedPrecondition(e.to_string())
}

/// A topic as raised: where it came from and what it is about.
pub struct NewTopic {
    pub council_id: Uuid,
    pub title: String,
    pub description: String,
    pub source: TopicSource,
    pub complaint_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub warning_id: Option<Uuid>,
}

/// Inserts a raised topic in the caller's transaction and announces it;
/// `None` when the council already has a topic for that warning.
async fn insert_topic(
    conn: &mut PgConnection,
    new: &NewTopic,
    community_id: Uuid,
    actor: &str,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO council_topics (id, council_id, title, description, source, status, complaint_id, member_id,
             warning_id, correlation_id, raised_at) VALUES ($1, $2, $3, $4, $5, 'raised', $6, $7, $8, $9, $10)
         ON CONFLICT ON CONSTRAINT council_topics_one_per_warning DO NOTHING",
    )
    .bind(id)
    .bind(new.council_id)
    .bind(&new.title)
    .bind(&new.description)
    .bind(new.source.as_str())
    .bind(new.complaint_id)
    .bind(new.member_id)
    .bind(new.warning_id)
    .bind(chain.correlation_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let raised = TopicStatus::Raised;
    history(conn, id, &TopicStep { at: now, from: raised, to: raised, actor: actor.into(), note: "raised".into() })
        .await?;
    let event = pb::TopicRaised {
        topic_id: id.to_string(),
        council_id: new.council_id.to_string(),
        community_id: community_id.to_string(),
        source: wire::topic_source(new.source) as i32,
        complaint_id: id_text(new.complaint_id),
        warning_id: id_text(new.warning_id),
    };
    OUTBOX.append(conn, id, &event, chain).await?;
    Ok(Some(id))
}

/// One agenda item as the edge validated it.
pub struct Decision {
    pub topic_id: Uuid,
    pub votes: (u32, u32, u32),
    pub resolution: String,
    pub hand_off: Option<HandOff>,
}

/// A meeting to record.
pub struct NewMeeting {
    pub council_id: Uuid,
    pub attending: Vec<Uuid>,
    pub minutes: String,
    pub agenda: Vec<Decision>,
}

/// A meeting as held.
pub struct Meeting {
    pub id: Uuid,
    pub council_id: Uuid,
    pub held_at: DateTime<Utc>,
    pub members: u32,
    pub attending: u32,
    pub quorate: bool,
    pub minutes: String,
    pub topics: Vec<Topic>,
}

impl Store {
    pub async fn raise_topic(
        &self,
        new: NewTopic,
        actor: &str,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<Topic, ApiError> {
        let mut tx = self.pool.begin().await?;
        let council = load_council(&mut tx, new.council_id, false).await?;
        let member_kind = match new.member_id {
            Some(m) => Some(
                serving_members(&mut tx, council.id)
                    .await?
                    .into_iter()
                    .find(|(id, _)| *id == m)
                    .map(|(_, kind)| kind)
                    .ok_or_else(|| ApiError::field("member_id", "not a serving member of the council"))?,
            ),
            None => None,
        };
        rules::check_source(new.source, new.complaint_id, member_kind, new.warning_id)
            .map_err(|(field, why)| ApiError::field(field, why))?;
        let id = insert_topic(&mut tx, &new, council.community_id, actor, chain, now)
            .await?
            .ok_or_else(|| ApiError::AlreadyExists("the council already has a topic for that warning".into()))?;
        let topic = lock_topic(&mut tx, id).await?.0;
        tx.commit().await?;
        Ok(topic)
    }

    pub async fn topic(&self, id: Uuid) -> Result<Topic, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let mut topics = load_topics(&mut conn, "t.id = $1", id, false).await?;
        Ok(topics.pop().ok_or_else(|| ApiError::NotFound("topic".into()))?.0)
    }

    /// A council's topics, oldest first, after `after` (raised, id).
    pub async fn topics(
        &self,
        council_id: Uuid,
        status: Option<TopicStatus>,
        limit: i64,
        after: Option<(DateTime<Utc>, Uuid)>,
    ) -> Result<Vec<Topic>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<TopicRow> = sqlx::query_as(&format!(
            "SELECT {TOPIC_COLUMNS} FROM council_topics t JOIN councils c ON c.id = t.council_id
             WHERE t.council_id = $1 AND ($2::text IS NULL OR t.status = $2)
               AND ($4::timestamptz IS NULL OR (t.raised_at, t.id) > ($4, $5))
             ORDER BY t.raised_at, t.id LIMIT $3"
        ))
        .bind(council_id)
        .bind(status.map(TopicStatus::as_str))
        .bind(limit)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(&mut *conn)
        .await?;
        Ok(with_history(&mut conn, rows).await?.into_iter().map(|(t, _)| t).collect())
    }

    /// Accept, decline, schedule, implement (when nothing handed out is
    /// still open) or review a topic.
    pub async fn move_topic(
        &self,
        id: Uuid,
        action: TopicAction,
        (actor, note): (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<Topic, ApiError> {
        let mut tx = self.pool.begin().await?;
        let (mut topic, incident_open) = lock_topic(&mut tx, id).await?;
        let to = match &action {
            TopicAction::Implement => topic::implement_by_hand(topic.status, incident_open),
            other => topic::transition(topic.status, other),
        }
        .map_err(refused)?;
        let note = match action {
            TopicAction::Decline { reason } => reason,
            _ => note.to_string(),
        };
        let step = TopicStep { at: now, from: topic.status, to, actor: actor.into(), note };
        record_step(&mut tx, &mut topic, step, None).await?;
        tx.commit().await?;
        Ok(topic)
    }
}

mod meeting;
pub use meeting::{link_incident, propose_from_warning, topics_implemented_by};
