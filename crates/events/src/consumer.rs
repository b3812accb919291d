//! The inbox consumer: each event is applied in one transaction together
//! with its inbox row; the offset is stored only after that commit. A
//! redelivered event finds its inbox row and is skipped. An event that cannot
//! be read, or whose handler keeps failing, goes to the dead-letter topic and
//! the partition moves on.
//!
//! Under load the events already at hand are applied together, in order, in
//! one transaction (one commit for many events). If one of them fails, the
//! transaction rolls back; the events before it are applied together again,
//! the failing one on its own (retries, dead letter) and the rest form the
//! next batch, so a bad event costs only a little of its batch's speed.
//!
//! Only an event's own faults are dead-lettered. When applying fails because
//! of the infrastructure (see [`crate::infrastructure`]: the database down,
//! failing over, out of connections, a serialization conflict), the consumer
//! holds the partition — nothing after the event is applied either, so each
//! key keeps its order — and tries the same event again with a capped
//! backoff until it goes through, reporting itself not ready meanwhile.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    chain::Chain,
    deadletter,
    envelope::{Envelope, EnvelopeError},
    producers::Producers,
    record::Delivery,
    trace,
    transport::{Publisher, Subscription, TransportError},
};

/// One received event: its envelope and its still-encoded payload.
#[derive(Debug, Clone)]
pub struct Event {
    pub envelope: Envelope,
    pub key: String,
    pub payload: Vec<u8>,
}

impl Event {
    pub fn parse(delivery: &Delivery) -> Result<Self, EnvelopeError> {
        Ok(Self {
            envelope: Envelope::from_headers(&delivery.record.headers)?,
            key: delivery.record.key.clone(),
            payload: delivery.record.payload.clone(),
        })
    }

    /// True when the payload is a `M`.
    pub fn is<M: prost::Name>(&self) -> bool {
        self.envelope.ty == M::full_name()
    }

    /// Decodes the payload; a payload that does not decode is poison.
    pub fn decode<M: prost::Message + Default>(&self) -> Result<M, HandleError> {
        M::decode(self.payload.as_slice()).map_err(|e| HandleError::Poison(format!("payload does not decode: {e}")))
    }

    /// The chain of any event produced in reaction to this one.
    pub fn chain(&self) -> Chain {
        Chain::caused_by(&self.envelope)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The event can never be applied (undecodable, impossible content):
    /// dead-lettered without retries.
    #[error("poison: {0}")]
    Poison(String),
    /// Possibly transient: retried, then dead-lettered.
    #[error(transparent)]
    Retry(#[from] anyhow::Error),
}

impl From<sqlx::Error> for HandleError {
    fn from(e: sqlx::Error) -> Self {
        Self::Retry(e.into())
    }
}

/// A service's reaction to events. It writes through `conn`, inside the
/// transaction that also records the inbox row.
#[async_trait]
pub trait Handler: Send + Sync {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError>;
}

#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// The effect and the inbox row were committed.
    New,
    /// The inbox already held the event: nothing was done.
    Duplicate,
}

/// Applies one event exactly once: effect and inbox row in one transaction.
pub async fn apply(
    pool: &PgPool,
    consumer: &str,
    handler: &dyn Handler,
    event: &Event,
) -> Result<Applied, HandleError> {
    let mut tx = pool.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO event_inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(event.envelope.id)
    .bind(&event.envelope.ty)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(Applied::Duplicate);
    }
    handler.handle(&mut tx, event).await?;
    tx.commit().await?;
    Ok(Applied::New)
}

/// Why a batch was rolled back: the error, and the index of the event whose
/// handler failed (none when the transaction itself failed).
#[derive(Debug)]
pub struct BatchError {
    pub at: Option<usize>,
    pub error: HandleError,
}

impl<E: Into<HandleError>> From<E> for BatchError {
    fn from(e: E) -> Self {
        Self { at: None, error: e.into() }
    }
}

/// Applies events in order in one transaction, each exactly once. Any error
/// rolls everything back.
pub async fn apply_batch(
    pool: &PgPool,
    consumer: &str,
    handler: &dyn Handler,
    events: &[(Event, tracing::Span)],
) -> Result<Vec<Applied>, BatchError> {
    let mut tx = pool.begin().await?;
    let ids: Vec<uuid::Uuid> = events.iter().map(|(e, _)| e.envelope.id).collect();
    let types: Vec<&str> = events.iter().map(|(e, _)| e.envelope.ty.as_str()).collect();
    // One statement records the whole batch in the inbox; the ids it returns
    // are the events not seen before (a duplicate within the batch counts once).
    let fresh: Vec<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO event_inbox (consumer, event_id, event_type)
         SELECT $1, id, ty FROM UNNEST($2::uuid[], $3::text[]) AS b(id, ty)
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(consumer)
    .bind(&ids)
    .bind(&types)
    .fetch_all(&mut *tx)
    .await?;
    let mut fresh: std::collections::HashSet<uuid::Uuid> = fresh.into_iter().collect();
    let mut applied = Vec::with_capacity(events.len());
    for (at, (event, span)) in events.iter().enumerate() {
        if fresh.remove(&event.envelope.id) {
            handler
                .handle(&mut tx, event)
                .instrument(span.clone())
                .await
                .map_err(|error| BatchError { at: Some(at), error })?;
            applied.push(Applied::New);
        } else {
            applied.push(Applied::Duplicate);
        }
    }
    tx.commit().await?;
    Ok(applied)
}

#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Attempts of a failing handler before the event is dead-lettered.
    pub max_attempts: u32,
    pub backoff: Duration,
    /// The longest wait between two attempts while the infrastructure is
    /// at fault (the backoff doubles up to it).
    pub max_backoff: Duration,
    /// Events applied in one transaction at most (1: one each).
    pub batch: usize,
    /// An event larger than this (payload and headers) is dead-lettered
    /// without being applied.
    pub max_event_bytes: usize,
    /// Who may publish on each topic; an event from anyone else is
    /// dead-lettered without being applied.
    pub producers: Producers,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            batch: 64,
            max_event_bytes: 1 << 20,
            producers: Producers::default(),
        }
    }
}

/// What happened to one delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
    DeadLettered,
}

pub struct Consumer {
    name: String,
    pool: PgPool,
    handler: Arc<dyn Handler>,
    dead_letters: Arc<dyn Publisher>,
    settings: ConsumerSettings,
    /// False while the infrastructure keeps an event from being applied.
    healthy: Arc<AtomicBool>,
}

impl Consumer {
    /// `name` is both the consumer group and the inbox's consumer column.
    pub fn new(
        name: impl Into<String>,
        pool: PgPool,
        handler: Arc<dyn Handler>,
        dead_letters: Arc<dyn Publisher>,
        settings: ConsumerSettings,
    ) -> Self {
        Self { name: name.into(), pool, handler, dead_letters, settings, healthy: Arc::new(AtomicBool::new(true)) }
    }

    /// Cleared while an infrastructure fault blocks this consumer, set again
    /// when it goes on: part of the service's readiness.
    pub fn healthy(&self) -> Arc<AtomicBool> {
        self.healthy.clone()
    }

    /// Why a delivery is too large to apply, if it is.
    fn oversized(&self, d: &Delivery) -> Option<String> {
        let size =
            d.record.payload.len() + d.record.headers.iter().map(|h| h.name.len() + h.value.len()).sum::<usize>();
        (size > self.settings.max_event_bytes)
            .then(|| format!("event of {size} bytes exceeds the limit of {} bytes", self.settings.max_event_bytes))
    }

    /// The span an event is applied in, a child of its producer's trace.
    fn span(&self, event: &Event) -> tracing::Span {
        let span = tracing::info_span!(
            "apply_event",
            consumer = %self.name,
            event.id = %event.envelope.id,
            event.ty = %event.envelope.ty,
            correlation_id = %event.envelope.correlation_id,
        );
        trace::set_parent(&span, event.envelope.traceparent.as_deref(), event.envelope.tracestate.as_deref());
        span
    }

    /// Tries the deliveries as one transaction. On failure nothing was
    /// applied; the error names the delivery that failed, when one did.
    async fn process_together(&self, deliveries: &[Delivery]) -> Result<Vec<Outcome>, Option<usize>> {
        let mut events = Vec::with_capacity(deliveries.len());
        for (at, d) in deliveries.iter().enumerate() {
            if self.oversized(d).is_some() {
                return Err(Some(at));
            }
            let event = Event::parse(d).map_err(|_| Some(at))?;
            if self.settings.producers.refusal(&d.record.topic, &event.envelope).is_some() {
                return Err(Some(at));
            }
            let span = self.span(&event);
            events.push((event, span));
        }
        match apply_batch(&self.pool, &self.name, &*self.handler, &events).await {
            Ok(applied) => Ok(applied
                .into_iter()
                .map(|a| match a {
                    Applied::New => Outcome::Applied,
                    Applied::Duplicate => Outcome::Duplicate,
                })
                .collect()),
            Err(e) => {
                tracing::debug!(consumer = %self.name, error = %e.error, at = ?e.at, events = deliveries.len(), "batch rolled back");
                Err(e.at)
            }
        }
    }

    /// Processes a batch to the end. Runs of good events go together; an
    /// event that fails its batch is processed on its own (retries, dead
    /// letter), and the events after it form the next batch. False when
    /// shutdown came first.
    async fn process_batch(&self, batch: &[Delivery], shutdown: &CancellationToken) -> bool {
        let mut start = 0;
        while start < batch.len() {
            let rest = &batch[start..];
            if rest.len() > 1 {
                let started = std::time::Instant::now();
                let outcomes = match self.process_together(rest).await {
                    Ok(outcomes) => Some((rest, outcomes)),
                    // The events before the failing one, together.
                    Err(Some(at)) if at > 0 => self.process_together(&rest[..at]).await.ok().map(|o| (&rest[..at], o)),
                    Err(_) => None,
                };
                if let Some((done, outcomes)) = outcomes {
                    for (delivery, outcome) in done.iter().zip(outcomes) {
                        self.record(delivery, outcome, started.elapsed());
                    }
                    start += done.len();
                    continue;
                }
            }
            if !self.process_until_done(&rest[0], shutdown).await {
                return false;
            }
            start += 1;
        }
        true
    }

    /// Processes one delivery to the end: applied, skipped as a duplicate or
    /// dead-lettered. Does not commit the offset. An error means the
    /// dead-letter topic could not be reached or shutdown came first: the
    /// delivery must be processed again.
    pub async fn process(&self, delivery: &Delivery, shutdown: &CancellationToken) -> Result<Outcome, TransportError> {
        if let Some(reason) = self.oversized(delivery) {
            tracing::warn!(%reason, topic = %delivery.record.topic, offset = delivery.offset, "oversized event");
            deadletter::send(&*self.dead_letters, &self.name, delivery, &reason, 0).await?;
            return Ok(Outcome::DeadLettered);
        }
        let event = match Event::parse(delivery) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, topic = %delivery.record.topic, offset = delivery.offset, "unreadable event");
                deadletter::send(&*self.dead_letters, &self.name, delivery, &e.to_string(), 0).await?;
                return Ok(Outcome::DeadLettered);
            }
        };
        if let Some(reason) = self.settings.producers.refusal(&delivery.record.topic, &event.envelope) {
            tracing::warn!(%reason, topic = %delivery.record.topic, offset = delivery.offset, "event refused");
            deadletter::send(&*self.dead_letters, &self.name, delivery, &reason, 0).await?;
            return Ok(Outcome::DeadLettered);
        }
        let span = self.span(&event);
        let mut attempt = 0;
        // Since when, and how often, the infrastructure has kept this event back.
        let mut blocked: Option<(Instant, u32)> = None;
        loop {
            attempt += 1;
            let result = apply(&self.pool, &self.name, &*self.handler, &event).instrument(span.clone()).await;
            if !matches!(&result, Err(HandleError::Retry(e)) if crate::infrastructure::is_fault(e))
                && let Some((since, _)) = blocked.take()
            {
                tracing::info!(parent: &span, consumer = %self.name, blocked_ms = since.elapsed().as_millis() as u64, "infrastructure back; going on");
                self.healthy.store(true, Ordering::Relaxed);
                crate::metrics::blocked(&self.name, Duration::ZERO);
            }
            match result {
                Ok(Applied::New) => return Ok(Outcome::Applied),
                Ok(Applied::Duplicate) => return Ok(Outcome::Duplicate),
                Err(HandleError::Retry(e)) if crate::infrastructure::is_fault(&e) => {
                    // Not the event's fault: not an attempt, never a dead letter.
                    attempt -= 1;
                    let (since, waits) = blocked.get_or_insert((Instant::now(), 0));
                    *waits += 1;
                    self.healthy.store(false, Ordering::Relaxed);
                    crate::metrics::blocked(&self.name, since.elapsed());
                    tracing::warn!(parent: &span, consumer = %self.name, error = %e, blocked_ms = since.elapsed().as_millis() as u64,
                        "infrastructure unavailable; holding the partition and trying the event again");
                    let backoff =
                        (self.settings.backoff * 2u32.saturating_pow((*waits).min(16))).min(self.settings.max_backoff);
                    tokio::select! {
                        _ = shutdown.cancelled() => return Err(TransportError::Other("shutting down".into())),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                }
                Err(HandleError::Poison(reason)) => {
                    tracing::warn!(parent: &span, %reason, "poison event");
                    deadletter::send(&*self.dead_letters, &self.name, delivery, &reason, attempt).await?;
                    return Ok(Outcome::DeadLettered);
                }
                Err(HandleError::Retry(e)) if attempt >= self.settings.max_attempts => {
                    tracing::warn!(parent: &span, error = %e, attempt, "event failed; dead-lettering");
                    deadletter::send(&*self.dead_letters, &self.name, delivery, &format!("{e:#}"), attempt).await?;
                    return Ok(Outcome::DeadLettered);
                }
                Err(HandleError::Retry(e)) => {
                    tracing::debug!(parent: &span, error = %e, attempt, "event failed; retrying");
                    let backoff = self.settings.backoff * 2u32.saturating_pow(attempt - 1);
                    tokio::select! {
                        _ = shutdown.cancelled() => return Err(TransportError::Other("shutting down".into())),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                }
            }
        }
    }

    /// Runs until `shutdown`; the events in progress finish first.
    pub async fn run(self, mut subscription: Box<dyn Subscription>, shutdown: CancellationToken) {
        loop {
            let batch = tokio::select! {
                _ = shutdown.cancelled() => return,
                b = subscription.next_batch(self.settings.batch.max(1)) => b,
            };
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(consumer = %self.name, error = %e, "receive failed");
                    tokio::time::sleep(self.settings.backoff).await;
                    continue;
                }
            };
            if !self.process_batch(&batch, &shutdown).await {
                return;
            }
            // Until a delivery is processed its offset is not committed; a
            // crash before this line has the batch delivered again, and the
            // inbox skips what was applied.
            if let Err(e) = subscription.commit_batch(&batch).await {
                tracing::warn!(consumer = %self.name, error = %e, "offset commit failed; events may be redelivered");
            }
        }
    }

    /// Processes one delivery, trying again until it is applied, skipped or
    /// dead-lettered; false when shutdown came first.
    async fn process_until_done(&self, delivery: &Delivery, shutdown: &CancellationToken) -> bool {
        loop {
            let started = std::time::Instant::now();
            match self.process(delivery, shutdown).await {
                Ok(outcome) => {
                    self.record(delivery, outcome, started.elapsed());
                    return true;
                }
                Err(e) => {
                    if shutdown.is_cancelled() {
                        return false;
                    }
                    tracing::warn!(consumer = %self.name, error = %e, "delivery not processed; retrying");
                    tokio::time::sleep(self.settings.backoff).await;
                }
            }
        }
    }

    /// Metrics of one processed delivery.
    fn record(&self, delivery: &Delivery, outcome: Outcome, took: Duration) {
        let ty = delivery.record.header("ce_type").unwrap_or("unknown");
        let age = delivery
            .record
            .header("ce_time")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).to_std().ok());
        crate::metrics::processed(&self.name, ty, outcome, took, age);
    }
}

/// An id carried in an event payload; a malformed one makes the event poison.
pub fn uuid_field(field: &str, value: &str) -> Result<uuid::Uuid, HandleError> {
    uuid::Uuid::parse_str(value).map_err(|_| HandleError::Poison(format!("{field} is not a UUID: {value:?}")))
}

/// An optional id in an event payload: empty means absent.
pub fn optional_uuid_field(field: &str, value: &str) -> Result<Option<uuid::Uuid>, HandleError> {
    if value.is_empty() { Ok(None) } else { uuid_field(field, value).map(Some) }
}
