//! The outbox relay: publishes committed outbox rows in order and marks them
//! sent. Woken by NOTIFY, with a fallback poll; one active relay per database
//! (an advisory lock), so the per-aggregate order of the outbox is the order
//! on the wire.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sqlx::{PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    envelope::Envelope,
    outbox::CHANNEL,
    record::Record,
    transport::{Publisher, TransportError},
};

/// Advisory lock key that makes one relay per database the active one.
/// The relay's advisory lock, per database: advisory locks are global to the
/// PostgreSQL server, and services that share one server (compose, one
/// node) must not wait on each other's relays.
const RELAY_LOCK: &str =
    "SELECT pg_try_advisory_xact_lock(hashtext('dualnet.outbox.relay'), hashtext(current_database()))";

#[derive(Debug, Clone)]
pub struct RelaySettings {
    pub batch: i64,
    pub poll: Duration,
    pub retry_backoff: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self { batch: 500, poll: Duration::from_millis(500), retry_backoff: Duration::from_millis(200) }
    }
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    seq: i64,
    topic: String,
    record_key: String,
    event_id: Uuid,
    event_type: String,
    source: String,
    event_time: DateTime<Utc>,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    traceparent: Option<String>,
    tracestate: Option<String>,
    payload: Vec<u8>,
}

impl OutboxRow {
    fn into_record(self) -> Record {
        let envelope = Envelope {
            id: self.event_id,
            source: self.source,
            ty: self.event_type,
            subject: self.record_key.clone(),
            time: self.event_time,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            traceparent: self.traceparent,
            tracestate: self.tracestate,
        };
        Record { topic: self.topic, key: self.record_key, headers: envelope.to_headers(), payload: self.payload }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("publish: {0}")]
    Publish(#[from] TransportError),
}

pub struct Relay {
    pool: PgPool,
    publisher: Arc<dyn Publisher>,
    settings: RelaySettings,
}

impl Relay {
    pub fn new(pool: PgPool, publisher: Arc<dyn Publisher>, settings: RelaySettings) -> Self {
        Self { pool, publisher, settings }
    }

    /// Publishes one batch of unsent rows. Returns how many were published;
    /// 0 when there was nothing to do or another relay is active.
    pub async fn publish_batch(&self) -> Result<usize, RelayError> {
        let mut tx = self.pool.begin().await?;
        let active: bool = sqlx::query_scalar(RELAY_LOCK).fetch_one(&mut *tx).await?;
        if !active {
            return Ok(0);
        }
        // Rows of one aggregate were appended under that aggregate's row
        // lock, so `seq` orders them; a row that commits late with a smaller
        // `seq` is still unsent and is picked up by the next batch.
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT seq, topic, record_key, event_id, event_type, source, event_time, correlation_id,
                    causation_id, traceparent, tracestate, payload
             FROM event_outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(self.settings.batch)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        let records: Vec<Record> = rows.into_iter().map(OutboxRow::into_record).collect();
        // A crash after publishing and before this commit republishes the
        // batch; consumers' inboxes absorb the duplicates.
        self.publisher.publish(&records).await?;
        sqlx::query("UPDATE event_outbox SET published_at = now() WHERE seq = ANY($1)")
            .bind(&seqs)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        crate::metrics::published(records.len());
        Ok(records.len())
    }

    /// Records the backlog gauges: unsent rows and the age of the oldest.
    async fn measure_backlog(&self) {
        let row: Result<(i64, Option<f64>), _> = sqlx::query_as(
            "SELECT count(*), extract(epoch FROM now() - min(event_time))::float8
             FROM event_outbox WHERE published_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await;
        if let Ok((rows, age)) = row {
            crate::metrics::backlog(rows, Duration::from_secs_f64(age.unwrap_or(0.0).max(0.0)));
        }
    }

    /// Number of committed rows not yet published.
    pub async fn backlog(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE published_at IS NULL").fetch_one(&self.pool).await
    }

    /// Runs until `shutdown`; a batch in progress finishes first.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "relay cannot listen; polling only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "relay cannot listen; polling only");
                None
            }
        };
        // The backlog gauges cost a query: measured at most once per poll
        // interval, not after every wake-up.
        let mut measured = std::time::Instant::now() - self.settings.poll;
        let mut measure = async |relay: &Self| {
            if measured.elapsed() >= relay.settings.poll {
                relay.measure_backlog().await;
                measured = std::time::Instant::now();
            }
        };
        loop {
            if shutdown.is_cancelled() {
                self.flush().await;
                return;
            }
            match self.publish_batch().await {
                Ok(n) if n > 0 => {
                    tracing::debug!(published = n, "outbox batch published");
                    continue;
                }
                // Idle: everything committed so far is out.
                Ok(_) => measure(&self).await,
                Err(e) => {
                    measure(&self).await;
                    tracing::warn!(error = %e, "outbox relay failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(self.settings.retry_backoff) => {}
                    }
                    continue;
                }
            }
            let wake = async {
                match listener.as_mut() {
                    Some(l) => {
                        if l.recv().await.is_err() {
                            tokio::time::sleep(self.settings.poll).await;
                        }
                    }
                    None => tokio::time::sleep(self.settings.poll).await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => {
                    self.flush().await;
                    return;
                }
                _ = wake => {}
                _ = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// On shutdown: publishes what the last transactions appended, so a
    /// stopped service leaves nothing behind in its outbox (what a failure
    /// leaves is published by the next start).
    async fn flush(&self) {
        loop {
            match self.publish_batch().await {
                Ok(0) => return,
                Ok(n) => tracing::debug!(published = n, "outbox flushed at shutdown"),
                Err(e) => {
                    tracing::warn!(error = %e, "outbox not flushed at shutdown; the next start publishes it");
                    return;
                }
            }
        }
    }
}
