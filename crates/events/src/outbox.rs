//! Transactional outbox: an event row is written in the same transaction as
//! the state change it announces; the relay publishes it afterwards.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{chain::Chain, trace};

/// Channel the relay listens on. The outbox table's statement trigger
/// (migration 0002) notifies it; PostgreSQL coalesces the notifications of
/// one transaction into one.
pub const CHANNEL: &str = "dualnet_outbox";

/// The outbox of one service: where its events go and what they are signed
/// with.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    /// `ce_source`: `/dualnet/<service>`.
    pub source: &'static str,
    pub topic: &'static str,
}

impl Outbox {
    /// Appends `message` about aggregate `subject` to the current transaction.
    pub async fn append<M: prost::Name>(
        &self,
        conn: &mut PgConnection,
        subject: impl std::fmt::Display,
        message: &M,
        chain: &Chain,
    ) -> Result<Uuid, sqlx::Error> {
        append(conn, self.source, self.topic, &subject.to_string(), message, chain).await
    }
}

/// Appends one event to the outbox of the current transaction. `subject` is
/// the aggregate id and the record key, so one aggregate's events stay
/// ordered. Returns the event id.
pub async fn append<M: prost::Name>(
    conn: &mut PgConnection,
    source: &str,
    topic: &str,
    subject: &str,
    message: &M,
    chain: &Chain,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let (traceparent, tracestate) = trace::current();
    sqlx::query(
        "INSERT INTO event_outbox
           (topic, record_key, event_id, event_type, source, event_time, correlation_id, causation_id,
            traceparent, tracestate, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(topic)
    .bind(subject)
    .bind(id)
    .bind(M::full_name())
    .bind(source)
    .bind(Utc::now())
    .bind(chain.correlation_id)
    .bind(chain.causation_id)
    .bind(traceparent)
    .bind(tracestate)
    .bind(message.encode_to_vec())
    .execute(conn)
    .await?;
    Ok(id)
}
