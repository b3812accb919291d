//! The PostgreSQL log transport: an append-only log per topic and a cursor
//! per consumer group, in a database of its own, with the same guarantees as
//! the Kafka transport. One node, no broker.
//!
//! Order: an appender locks the topic's row in `log_topics` to take offsets,
//! so appends to one topic commit in offset order and a reader that resumes
//! at `offset >= cursor` never skips a record that commits late.
//!
//! Members: a group has one member per topic at a time. The log keeps one
//! cursor per group and no partitions to share out, so a second process of
//! the same service would only read the same records again; it is refused at
//! subscribe with a clear error instead (scale out on Kafka).

use std::{collections::VecDeque, sync::Arc, time::Duration};

use async_trait::async_trait;
use sqlx::{PgPool, postgres::PgListener};

use crate::{
    record::{Delivery, Header, Record},
    transport::{Position, Publisher, Subscription, Transport, TransportError},
};

const CHANNEL: &str = "dualnet_log";
const FETCH: i64 = 500;
/// Notifications are lost while nobody listens; this bounds the wait then.
const POLL: Duration = Duration::from_millis(500);

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations_log");

#[derive(Clone)]
pub struct PgLogTransport {
    pool: PgPool,
}

impl PgLogTransport {
    /// Uses (and migrates) the log database behind `pool`.
    pub async fn new(pool: PgPool) -> Result<Self, TransportError> {
        MIGRATOR.run(&pool).await.map_err(|e| TransportError::Other(format!("log migrations: {e}")))?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Publisher for PgLogTransport {
    async fn publish(&self, records: &[Record]) -> Result<(), TransportError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut topics: Vec<&str> = records.iter().map(|r| r.topic.as_str()).collect();
        topics.sort_unstable();
        topics.dedup();
        let mut tx = self.pool.begin().await?;
        // Topic rows are locked in name order so concurrent appenders
        // cannot deadlock.
        for topic in topics {
            let batch: Vec<&Record> = records.iter().filter(|r| r.topic == topic).collect();
            let n = batch.len() as i64;
            let end: Option<i64> = sqlx::query_scalar(
                "UPDATE log_topics SET next_offset = next_offset + $2 WHERE name = $1 RETURNING next_offset",
            )
            .bind(topic)
            .bind(n)
            .fetch_optional(&mut *tx)
            .await?;
            let end = end.ok_or_else(|| TransportError::Other(format!("unknown topic {topic}")))?;
            let first = end - n;
            let offsets: Vec<i64> = (first..end).collect();
            let keys: Vec<&str> = batch.iter().map(|r| r.key.as_str()).collect();
            // Per record: header names as a text array, values as one
            // length-prefixed blob (PostgreSQL has no ragged arrays).
            let names: Vec<String> = batch.iter().map(|r| encode_names(&r.headers)).collect();
            let values: Vec<Vec<u8>> = batch.iter().map(|r| encode_values(&r.headers)).collect();
            let payloads: Vec<&[u8]> = batch.iter().map(|r| r.payload.as_slice()).collect();
            sqlx::query(
                "INSERT INTO log_records (topic, \"offset\", key, header_names, header_values, payload)
                 SELECT $1, o, k, string_to_array(n, chr(31)), v, p
                 FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::bytea[]) AS t(o, k, n, v, p)",
            )
            .bind(topic)
            .bind(&offsets)
            .bind(&keys)
            .bind(&names)
            .bind(&values)
            .bind(&payloads)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Header names joined by the ASCII unit separator (never part of a name).
fn encode_names(headers: &[Header]) -> String {
    headers.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join("\u{1f}")
}

/// Header values as length-prefixed bytes in one blob.
fn encode_values(headers: &[Header]) -> Vec<u8> {
    let mut out = Vec::new();
    for h in headers {
        out.extend_from_slice(&(h.value.len() as u32).to_be_bytes());
        out.extend_from_slice(&h.value);
    }
    out
}

fn decode_headers(names: Vec<String>, blob: &[u8]) -> Result<Vec<Header>, TransportError> {
    let mut headers = Vec::with_capacity(names.len());
    let mut rest = blob;
    for name in names.into_iter().filter(|n| !n.is_empty()) {
        let (len, tail) =
            rest.split_first_chunk::<4>().ok_or_else(|| TransportError::Other("truncated header values".into()))?;
        let len = u32::from_be_bytes(*len) as usize;
        if tail.len() < len {
            return Err(TransportError::Other("truncated header value".into()));
        }
        headers.push(Header { name, value: tail[..len].to_vec() });
        rest = &tail[len..];
    }
    Ok(headers)
}

/// How long a new member waits for the last one's locks (its connection may
/// still be closing) before it is refused.
const MEMBER_WAIT: Duration = Duration::from_secs(5);

impl PgLogTransport {
    /// Takes `group`'s membership lock of every topic on a connection of its
    /// own, or refuses: the group already has a running member.
    async fn become_member(&self, group: &str, topics: &[String]) -> Result<sqlx::PgConnection, TransportError> {
        let mut conn = self.pool.acquire().await?.detach();
        let deadline = tokio::time::Instant::now() + MEMBER_WAIT;
        for topic in topics {
            loop {
                let locked: bool = sqlx::query_scalar(
                    "SELECT pg_try_advisory_lock(hashtext('dualnet.log.member.' || $1), hashtext($2))",
                )
                .bind(group)
                .bind(topic)
                .fetch_one(&mut conn)
                .await?;
                if locked {
                    break;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(TransportError::Other(format!(
                        "consumer group {group} already has a member reading {topic}: the PostgreSQL log \
                         transport runs one process per service (run several on Kafka)"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(conn)
    }
}

#[async_trait]
impl Transport for PgLogTransport {
    fn publisher(&self) -> Arc<dyn Publisher> {
        Arc::new(self.clone())
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, TransportError> {
        self.ensure_topics(topics).await?;
        let member = self.become_member(group, topics).await?;
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let mut positions = Vec::with_capacity(topics.len());
        for topic in topics {
            let next: Option<i64> =
                sqlx::query_scalar("SELECT next_offset FROM log_cursors WHERE group_name = $1 AND topic = $2")
                    .bind(group)
                    .bind(topic)
                    .fetch_optional(&self.pool)
                    .await?;
            positions.push((topic.clone(), next.unwrap_or(0)));
        }
        Ok(Box::new(PgLogSubscription {
            pool: self.pool.clone(),
            _member: member,
            group: group.to_string(),
            listener,
            positions,
            buffer: VecDeque::new(),
        }))
    }

    async fn prune(&self, keep: Duration, batch: i64) -> Result<u64, TransportError> {
        // Below the lowest cursor on the topic only: a record some group has
        // still to read stays, and a topic without cursors keeps everything.
        let sql = "DELETE FROM log_records WHERE (topic, \"offset\") IN (
                       SELECT r.topic, r.\"offset\" FROM log_records r
                       JOIN (SELECT topic, min(next_offset) AS low FROM log_cursors GROUP BY topic) c
                         ON c.topic = r.topic AND r.\"offset\" < c.low
                       WHERE r.appended_at < now() - make_interval(secs => $1)
                       ORDER BY r.topic, r.\"offset\" LIMIT $2)";
        Ok(crate::retention::delete_in_batches(&self.pool, sql, keep, batch).await?)
    }

    async fn rewind(&self, group: &str, topic: &str, to: Position) -> Result<Vec<(i32, i64)>, TransportError> {
        // One partition per topic; the log's offsets are dense from 0.
        let next: i64 = match to {
            Position::Offset(o) => {
                let end: Option<i64> = sqlx::query_scalar("SELECT next_offset FROM log_topics WHERE name = $1")
                    .bind(topic)
                    .fetch_optional(&self.pool)
                    .await?;
                let end = end.ok_or_else(|| TransportError::Other(format!("no topic {topic}")))?;
                o.clamp(0, end)
            }
            Position::Time(t) => {
                sqlx::query_scalar(
                    "SELECT COALESCE(
                         (SELECT min(\"offset\") FROM log_records WHERE topic = $1 AND appended_at >= $2),
                         (SELECT next_offset FROM log_topics WHERE name = $1))",
                )
                .bind(topic)
                .bind(t)
                .fetch_one(&self.pool)
                .await?
            }
        };
        sqlx::query(
            "INSERT INTO log_cursors (group_name, topic, next_offset) VALUES ($1, $2, $3)
             ON CONFLICT (group_name, topic) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
        )
        .bind(group)
        .bind(topic)
        .bind(next)
        .execute(&self.pool)
        .await?;
        Ok(vec![(0, next)])
    }

    async fn ensure_topics(&self, topics: &[String]) -> Result<(), TransportError> {
        sqlx::query("INSERT INTO log_topics (name) SELECT UNNEST($1::text[]) ON CONFLICT DO NOTHING")
            .bind(topics)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

struct PgLogSubscription {
    pool: PgPool,
    /// Holds the group's membership locks; closed (and so released) when
    /// the subscription is dropped or its process dies.
    _member: sqlx::PgConnection,
    group: String,
    listener: PgListener,
    /// Per topic: the next offset to fetch in this session.
    positions: Vec<(String, i64)>,
    buffer: VecDeque<Delivery>,
}

type LogRow = (i64, String, Vec<String>, Vec<u8>, Vec<u8>);

impl PgLogSubscription {
    async fn fetch(&mut self) -> Result<(), TransportError> {
        for (topic, next) in &mut self.positions {
            let rows: Vec<LogRow> = sqlx::query_as(
                "SELECT \"offset\", key, header_names, header_values, payload FROM log_records
                 WHERE topic = $1 AND \"offset\" >= $2 ORDER BY \"offset\" LIMIT $3",
            )
            .bind(&*topic)
            .bind(*next)
            .bind(FETCH)
            .fetch_all(&self.pool)
            .await?;
            for (offset, key, names, blob, payload) in rows {
                self.buffer.push_back(Delivery {
                    record: Record { topic: topic.clone(), key, headers: decode_headers(names, &blob)?, payload },
                    partition: 0,
                    offset,
                });
                *next = offset + 1;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Subscription for PgLogSubscription {
    async fn next(&mut self) -> Result<Delivery, TransportError> {
        loop {
            if let Some(d) = self.buffer.pop_front() {
                return Ok(d);
            }
            self.fetch().await?;
            if self.buffer.is_empty() {
                // Woken by an append, or by the poll interval as a fallback.
                let _ = tokio::time::timeout(POLL, self.listener.recv()).await;
            }
        }
    }

    async fn next_batch(&mut self, max: usize) -> Result<Vec<Delivery>, TransportError> {
        let first = self.next().await?;
        let more = self.buffer.len().min(max.saturating_sub(1));
        let mut batch = Vec::with_capacity(1 + more);
        batch.push(first);
        batch.extend(self.buffer.drain(..more));
        Ok(batch)
    }

    async fn commit(&mut self, d: &Delivery) -> Result<(), TransportError> {
        sqlx::query(
            "INSERT INTO log_cursors (group_name, topic, next_offset) VALUES ($1, $2, $3)
             ON CONFLICT (group_name, topic) DO UPDATE
             SET next_offset = GREATEST(log_cursors.next_offset, EXCLUDED.next_offset), updated_at = now()",
        )
        .bind(&self.group)
        .bind(&d.record.topic)
        .bind(d.offset + 1)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_survive_the_log_encoding() {
        let headers = vec![Header::new("ce_id", "abc"), Header::new("empty", ""), Header::new("traceparent", "00-x")];
        let names = encode_names(&headers).split('\u{1f}').map(str::to_string).collect();
        assert_eq!(decode_headers(names, &encode_values(&headers)).unwrap(), headers);
    }

    #[test]
    fn truncated_header_values_are_an_error() {
        let headers = vec![Header::new("ce_id", "abcdef")];
        let blob = encode_values(&headers);
        assert!(decode_headers(vec!["ce_id".into()], &blob[..5]).is_err());
    }
}
