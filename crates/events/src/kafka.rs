//! Kafka transport over librdkafka: idempotent producer with `acks=all`,
//! consumer groups with offsets stored only after the effect committed.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use futures::{FutureExt, future::try_join_all};
use rdkafka::{
    ClientConfig, Message, TopicPartitionList,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{BaseConsumer, CommitMode, Consumer, StreamConsumer},
    error::RDKafkaErrorCode,
    message::{Header as KHeader, Headers, OwnedHeaders},
    producer::{FutureProducer, FutureRecord, Producer},
    topic_partition_list::Offset,
    util::Timeout,
};

use crate::{
    record::{Delivery, Header, Record},
    transport::{Position, Publisher, Subscription, Transport, TransportError},
};

/// Settings of the Kafka transport; `extra` passes any librdkafka property
/// through (SSL/SASL, batch sizes…).
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub bootstrap_servers: String,
    pub partitions: i32,
    pub replication: i32,
    /// Prepended to every topic and consumer-group name on the broker, so
    /// several deployments (or test runs) can share one cluster.
    pub namespace: String,
    pub extra: HashMap<String, String>,
}

impl KafkaSettings {
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            partitions: 3,
            replication: 1,
            namespace: String::new(),
            extra: HashMap::new(),
        }
    }

    /// Defaults first, then the configured properties over them.
    fn client(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in defaults {
            c.set(*k, *v);
        }
        for (k, v) in &self.extra {
            c.set(k, v);
        }
        c
    }
}

pub struct KafkaTransport {
    settings: KafkaSettings,
    publisher: Arc<KafkaPublisher>,
}

impl KafkaTransport {
    pub fn new(settings: KafkaSettings) -> Result<Self, TransportError> {
        // A relay sends whole batches; waiting for more only adds latency.
        let producer: FutureProducer = settings
            .client(&[("linger.ms", "1"), ("message.timeout.ms", "30000")])
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create()?;
        let namespace = settings.namespace.clone();
        Ok(Self { settings, publisher: Arc::new(KafkaPublisher { producer, namespace }) })
    }

    fn broker_name(&self, name: &str) -> String {
        format!("{}{name}", self.settings.namespace)
    }
}

struct KafkaPublisher {
    producer: FutureProducer,
    namespace: String,
}

#[async_trait]
impl Publisher for KafkaPublisher {
    async fn publish(&self, records: &[Record]) -> Result<(), TransportError> {
        // All sends are queued before any is awaited: with idempotence on,
        // librdkafka keeps their order per partition.
        let topics: Vec<String> = records.iter().map(|r| format!("{}{}", self.namespace, r.topic)).collect();
        let sends = records.iter().zip(&topics).map(|(r, topic)| {
            let mut headers = OwnedHeaders::new_with_capacity(r.headers.len());
            for h in &r.headers {
                headers = headers.insert(KHeader { key: &h.name, value: Some(&h.value) });
            }
            let record = FutureRecord::to(topic).key(&r.key).payload(&r.payload).headers(headers);
            self.producer.send(record, Timeout::Never)
        });
        try_join_all(sends).await.map_err(|(e, _)| TransportError::Kafka(e))?;
        Ok(())
    }
}

#[async_trait]
impl Transport for KafkaTransport {
    fn publisher(&self) -> Arc<dyn Publisher> {
        self.publisher.clone()
    }

    async fn subscribe(&self, group: &str, topics: &[String]) -> Result<Box<dyn Subscription>, TransportError> {
        let mut config = self.settings.client(&[
            ("auto.commit.interval.ms", "500"),
            ("auto.offset.reset", "earliest"),
            // The broker answers a fetch as soon as a record is there; the
            // wait only bounds how often an idle member asks again.
            ("fetch.wait.max.ms", "100"),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "1000"),
            ("statistics.interval.ms", "5000"),
            // A member joining or leaving moves only the partitions that
            // must move; the others keep being consumed meanwhile.
            ("partition.assignment.strategy", "cooperative-sticky"),
            // How soon a group notices partitions added to its topics.
            ("topic.metadata.refresh.interval.ms", "10000"),
        ]);
        config
            .set("group.id", self.broker_name(group))
            .set("enable.auto.offset.store", "false")
            .set("enable.auto.commit", "true");
        let topics: Vec<String> = topics.iter().map(|t| self.broker_name(t)).collect();
        let consumer = join(&config, &topics, &self.settings.namespace)?;
        Ok(Box::new(KafkaSubscription {
            consumer,
            namespace: self.settings.namespace.clone(),
            ready: Arc::new(AtomicBool::new(false)),
        }))
    }

    async fn rewind(&self, group: &str, topic: &str, to: Position) -> Result<Vec<(i32, i64)>, TransportError> {
        let mut config = self.settings.client(&[("enable.auto.commit", "false")]);
        config.set("group.id", self.broker_name(group));
        let topic = self.broker_name(topic);
        tokio::task::spawn_blocking(move || -> Result<Vec<(i32, i64)>, TransportError> {
            let timeout = Duration::from_secs(10);
            let consumer: BaseConsumer = config.create()?;
            let metadata = consumer.fetch_metadata(Some(&topic), timeout)?;
            let partitions: Vec<i32> =
                metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
            if partitions.is_empty() {
                return Err(TransportError::Other(format!("no topic {topic}")));
            }
            let mut positions = Vec::with_capacity(partitions.len());
            for p in partitions {
                let (low, high) = consumer.fetch_watermarks(&topic, p, timeout)?;
                let next = match to {
                    Position::Offset(o) => o.clamp(low, high),
                    Position::Time(t) => {
                        let mut query = TopicPartitionList::new();
                        query.add_partition_offset(&topic, p, Offset::Offset(t.timestamp_millis()))?;
                        let found = consumer.offsets_for_times(query, timeout)?;
                        match found.find_partition(&topic, p).map(|e| e.offset()) {
                            Some(Offset::Offset(o)) => o,
                            // No record at or after the time: the end.
                            _ => high,
                        }
                    }
                };
                positions.push((p, next));
            }
            let mut commit = TopicPartitionList::new();
            for (p, next) in &positions {
                commit.add_partition_offset(&topic, *p, Offset::Offset(*next))?;
            }
            // Committed from outside the group, which the broker accepts only
            // while the group has no members: a running member would go on
            // from its own position. A member that died without leaving
            // stays until its session times out, so a refusal is tried again
            // for a while before it is reported.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                match consumer.commit(&commit, CommitMode::Sync) {
                    Ok(()) => return Ok(positions),
                    Err(e)
                        if std::time::Instant::now() < deadline
                            && matches!(
                                e.rdkafka_error_code(),
                                Some(
                                    RDKafkaErrorCode::UnknownMemberId
                                        | RDKafkaErrorCode::RebalanceInProgress
                                        | RDKafkaErrorCode::IllegalGeneration
                                        | RDKafkaErrorCode::NotCoordinator
                                        | RDKafkaErrorCode::CoordinatorLoadInProgress
                                )
                            ) =>
                    {
                        std::thread::sleep(Duration::from_millis(500));
                    }
                    Err(e) => {
                        return Err(TransportError::Other(format!(
                            "rewinding {topic}: {e} (is a member of the group still running?)"
                        )));
                    }
                }
            }
        })
        .await
        .map_err(|e| TransportError::Other(e.to_string()))?
    }

    async fn ensure_topics(&self, topics: &[String]) -> Result<(), TransportError> {
        let admin: AdminClient<DefaultClientContext> = self.settings.client(&[]).create()?;
        let names: Vec<String> = topics.iter().map(|t| self.broker_name(t)).collect();
        let new: Vec<NewTopic> = names
            .iter()
            .map(|t| NewTopic::new(t, self.settings.partitions, TopicReplication::Fixed(self.settings.replication)))
            .collect();
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        for result in admin.create_topics(&new, &opts).await? {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(TransportError::Other(format!("creating topic {topic}: {code}"))),
            }
        }
        // The controller has created them; the broker's metadata follows a
        // moment later. A group subscribed before that sees "unknown topic"
        // and looks again only at its next metadata refresh, so wait until
        // every partition has a leader.
        let producer = self.publisher.producer.clone();
        tokio::task::spawn_blocking(move || -> Result<(), TransportError> {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            let mut pending = names;
            while !pending.is_empty() {
                let metadata = producer.client().fetch_metadata(None, Duration::from_secs(5))?;
                pending.retain(|name| {
                    !metadata.topics().iter().any(|t| {
                        t.name() == name
                            && t.error().is_none()
                            && !t.partitions().is_empty()
                            && t.partitions().iter().all(|p| p.leader() >= 0 && p.error().is_none())
                    })
                });
                if pending.is_empty() {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(TransportError::Other(format!("topics without a leader after 30 s: {pending:?}")));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        })
        .await
        .map_err(|e| TransportError::Other(e.to_string()))?
    }
}

/// Reports each assigned partition's lag in records from librdkafka's
/// statistics (every `statistics.interval.ms`).
struct LagReporter {
    group: String,
    namespace: String,
}

impl rdkafka::ClientContext for LagReporter {
    fn stats(&self, statistics: rdkafka::Statistics) {
        for (name, topic) in statistics.topics {
            let topic_name = name.strip_prefix(&self.namespace).unwrap_or(&name);
            for (partition, p) in topic.partitions {
                // -1: unknown (not assigned, or no offsets yet).
                if partition >= 0 && p.consumer_lag >= 0 {
                    crate::metrics::consumer_lag(&self.group, topic_name, partition, p.consumer_lag);
                }
            }
        }
    }
}

impl rdkafka::consumer::ConsumerContext for LagReporter {}

type GroupConsumer = StreamConsumer<LagReporter>;

fn join(config: &ClientConfig, topics: &[String], namespace: &str) -> Result<GroupConsumer, TransportError> {
    let group = config.get("group.id").unwrap_or_default();
    let reporter = LagReporter {
        group: group.strip_prefix(namespace).unwrap_or(group).to_string(),
        namespace: namespace.to_string(),
    };
    let consumer: GroupConsumer = config.create_with_context(reporter)?;
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer.subscribe(&names)?;
    Ok(consumer)
}

/// How often `next` looks for the first assignment (readiness).
const READY_POLL: Duration = Duration::from_millis(100);

struct KafkaSubscription {
    consumer: GroupConsumer,
    namespace: String,
    /// Set at the first assignment.
    ready: Arc<AtomicBool>,
}

impl KafkaSubscription {
    fn delivery(&self, m: &rdkafka::message::BorrowedMessage<'_>) -> Delivery {
        let headers = m
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| Header { name: h.key.to_string(), value: h.value.unwrap_or_default().to_vec() })
                    .collect()
            })
            .unwrap_or_default();
        Delivery {
            record: Record {
                // Consumers see the contract's topic names.
                topic: m.topic().strip_prefix(self.namespace.as_str()).unwrap_or(m.topic()).to_string(),
                key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_default(),
                headers,
                payload: m.payload().unwrap_or_default().to_vec(),
            },
            partition: m.partition(),
            offset: m.offset(),
        }
    }
}

#[async_trait]
impl Subscription for KafkaSubscription {
    async fn next(&mut self) -> Result<Delivery, TransportError> {
        // Until the first assignment the wait is cut into short ones, so
        // readiness follows the assignment even when no record comes.
        while !self.ready.load(Ordering::Relaxed) {
            match tokio::time::timeout(READY_POLL, self.consumer.recv()).await {
                Ok(m) => {
                    self.ready.store(true, Ordering::Relaxed);
                    return Ok(self.delivery(&m?));
                }
                Err(_) => {
                    if self.consumer.assignment().map(|a| a.count() > 0).unwrap_or(false) {
                        self.ready.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        let m = self.consumer.recv().await?;
        Ok(self.delivery(&m))
    }

    async fn next_batch(&mut self, max: usize) -> Result<Vec<Delivery>, TransportError> {
        let mut batch = vec![self.next().await?];
        // Messages librdkafka has already fetched are ready at once; the
        // first that is not ends the batch (the receive is cancel-safe).
        while batch.len() < max {
            match self.consumer.recv().now_or_never() {
                Some(Ok(m)) => batch.push(self.delivery(&m)),
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "receive failed; the batch ends here");
                    break;
                }
                None => break,
            }
        }
        Ok(batch)
    }

    fn ready(&self) -> Arc<AtomicBool> {
        self.ready.clone()
    }

    async fn commit(&mut self, d: &Delivery) -> Result<(), TransportError> {
        // Stored offsets are committed by the client in the background and on
        // close; a redelivery after a crash is absorbed by the inbox. A
        // partition revoked meanwhile refuses the store, which is harmless.
        let topic = format!("{}{}", self.namespace, d.record.topic);
        if let Err(e) = self.consumer.store_offset(&topic, d.partition, d.offset) {
            tracing::debug!(error = %e, topic = %d.record.topic, partition = d.partition, "offset not stored");
        }
        Ok(())
    }
}
