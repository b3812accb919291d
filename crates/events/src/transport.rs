//! The one trait both transports implement: Kafka for every multi-process
//! deployment, the PostgreSQL log for one node without Kafka.

use std::sync::Arc;

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
    /// Marks the record processed: after a restart the group resumes after it.
    async fn commit(&mut self, delivery: &Delivery) -> Result<(), TransportError>;
}

#[async_trait]
pub trait Transport: Send + Sync {
    fn publisher(&self) -> Arc<dyn Publisher>;
    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, TransportError>;
    /// Creates the topics that do not exist yet.
    async fn ensure_topics(&self, topics: &[String]) -> Result<(), TransportError>;
}
