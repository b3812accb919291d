//! The one trait both transports implement: Kafka for every multi-process
//! deployment, the PostgreSQL log for one node without Kafka.

use std::sync::{Arc, atomic::AtomicBool};

use async_trait::async_trait;

use crate::record::{Delivery, Record};

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

/// Publishes records; returns only once every record is durably accepted
/// (Kafka `acks=all`, or the log transaction committed).
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Records of one key keep their order within the batch.
    async fn publish(&self, records: &[Record]) -> Result<(), TransportError>;
}

/// One member of a consumer group.
#[async_trait]
pub trait Subscription: Send {
    /// Waits for the next record.
    async fn next(&mut self) -> Result<Delivery, TransportError>;
    /// Waits for the next record, then takes up to `max - 1` more that are
    /// already at hand, without waiting: a batch that grows with the load.
    async fn next_batch(&mut self, max: usize) -> Result<Vec<Delivery>, TransportError> {
        let _ = max;
        Ok(vec![self.next().await?])
    }
    /// Marks the record processed: after a restart the group resumes after it.
    async fn commit(&mut self, delivery: &Delivery) -> Result<(), TransportError>;
    /// Marks every record of `deliveries` processed (they were processed in
    /// order): one commit per topic and partition, of the last one.
    async fn commit_batch(&mut self, deliveries: &[Delivery]) -> Result<(), TransportError> {
        let mut last: Vec<&Delivery> = Vec::new();
        for d in deliveries {
            match last.iter_mut().find(|l| l.record.topic == d.record.topic && l.partition == d.partition) {
                Some(l) if l.offset < d.offset => *l = d,
                Some(_) => {}
                None => last.push(d),
            }
        }
        for d in last {
            self.commit(d).await?;
        }
        Ok(())
    }
    /// Set once the subscription holds its share of the topics (a Kafka group
    /// assignment; at once on the log): the service is ready after that.
    fn ready(&self) -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(true))
    }
}

/// Where `rewind` moves a group to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// This offset in every partition (past the end means the end).
    Offset(i64),
    /// The first record appended at or after this time, in each partition.
    Time(chrono::DateTime<chrono::Utc>),
}

#[async_trait]
pub trait Transport: Send + Sync {
    fn publisher(&self) -> Arc<dyn Publisher>;
    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, TransportError>;
    /// Creates the topics that do not exist yet.
    async fn ensure_topics(&self, topics: &[String]) -> Result<(), TransportError>;
    /// Moves a consumer group's committed position on `topic` to `to`, in
    /// every partition, so that it reads again from there (replay). The
    /// group's members must be stopped. Returns `(partition, next offset)`.
    async fn rewind(&self, group: &str, topic: &str, to: Position) -> Result<Vec<(i32, i64)>, TransportError>;
    /// Deletes records appended more than `keep` ago that every group has
    /// read, `batch` at a time; returns how many. The Kafka broker keeps its
    /// topics by its own `retention.ms`, so by default nothing is done here.
    async fn prune(&self, keep: std::time::Duration, batch: i64) -> Result<u64, TransportError> {
        let _ = (keep, batch);
        Ok(0)
    }
}
