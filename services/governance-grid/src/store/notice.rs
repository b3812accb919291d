//! Community notices (信息公开): published once per subject and kind, each
//! with its `NoticePublished` event, read newest first by the public feed.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::notice::{self, BODY_MAX, Notice, NoticeKind};

type NoticeRow = (Uuid, Uuid, String, String, String, Uuid, DateTime<Utc>);

fn notice(row: NoticeRow) -> Result<Notice, sqlx::Error> {
    let (id, community_id, kind, title, body, subject_id, published_at) = row;
    let kind = NoticeKind::parse(&kind).ok_or_else(|| sqlx::Error::Protocol(format!("stored notice kind {kind:?}")))?;
    Ok(Notice { id, community_id, kind, title, body, subject_id, published_at })
}

/// Publishes a notice in the caller's transaction (its text made public
/// first) and announces it; `None` when the subject already has one of
/// this kind.
pub async fn publish_notice(
    conn: &mut PgConnection,
    (community_id, kind, subject_id): (Uuid, NoticeKind, Uuid),
    (title, body): (&str, &str),
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Option<Notice>, sqlx::Error> {
    let n = Notice {
        id: Uuid::now_v7(),
        community_id,
        kind,
        title: notice::public_text(title, dualnet_platform::fields::NAME_MAX),
        body: notice::public_text(body, BODY_MAX),
        subject_id,
        published_at: now,
    };
    let inserted = sqlx::query(
        "INSERT INTO notices (id, community_id, kind, subject_id, title, body, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ON CONSTRAINT notices_once_per_subject DO NOTHING",
    )
    .bind(n.id)
    .bind(n.community_id)
    .bind(kind.as_str())
    .bind(n.subject_id)
    .bind(&n.title)
    .bind(&n.body)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let event = pb::NoticePublished {
        notice_id: n.id.to_string(),
        community_id: n.community_id.to_string(),
        kind: wire::notice_kind(kind) as i32,
        title: n.title.clone(),
        body: n.body.clone(),
        subject_id: n.subject_id.to_string(),
        published_at: Some(dualnet_platform::timestamp::to_proto(now)),
    };
    OUTBOX.append(conn, n.community_id, &event, chain).await?;
    Ok(Some(n))
}

/// The body of the notice of `kind` about `subject`, if there is one.
pub async fn notice_body(
    conn: &mut PgConnection,
    kind: NoticeKind,
    subject_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT body FROM notices WHERE kind = $1 AND subject_id = $2")
        .bind(kind.as_str())
        .bind(subject_id)
        .fetch_optional(conn)
        .await
}

impl Store {
    /// A closed incident's outcome as a public notice of its community.
    pub async fn publish_incident_outcome(&self, id: Uuid, text: &str, now: DateTime<Utc>) -> Result<Notice, ApiError> {
        let mut tx = self.pool.begin().await?;
        let incident = lock_incident(&mut tx, id).await?.ok_or_else(|| ApiError::NotFound("incident".into()))?;
        let community =
            notice::outcome_publishable(incident.status, &incident.category, incident.placement.community_id)
                .map_err(ApiError::FailedPrecondition)?;
        let title = notice::outcome_title(&incident.category);
        let chain = Chain { correlation_id: incident.correlation_id, causation_id: None };
        let published =
            publish_notice(&mut tx, (community, NoticeKind::IncidentOutcome, id), (&title, text), &chain, now)
                .await?
                .ok_or_else(|| ApiError::AlreadyExists("the incident's outcome is already published".into()))?;
        tx.commit().await?;
        Ok(published)
    }

    /// A community's notices, newest first; before `before` (published, id).
    pub async fn notices(
        &self,
        community_id: Uuid,
        limit: i64,
        before: Option<(DateTime<Utc>, Uuid)>,
    ) -> Result<Vec<Notice>, ApiError> {
        let rows: Vec<NoticeRow> = sqlx::query_as(
            "SELECT id, community_id, kind, title, body, subject_id, published_at FROM notices
             WHERE community_id = $1 AND ($3::timestamptz IS NULL OR (published_at, id) < ($3, $4))
             ORDER BY published_at DESC, id DESC LIMIT $2",
        )
        .bind(community_id)
        .bind(limit)
        .bind(before.map(|b| b.0))
        .bind(before.map(|b| b.1))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(notice).collect::<Result<_, _>>()?)
    }

    /// The name of `community_id`, when the map knows it.
    pub async fn community_name(&self, community_id: Uuid) -> Result<Option<String>, ApiError> {
        Ok(sqlx::query_scalar("SELECT name FROM communities WHERE id = $1")
            .bind(community_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
