//! The transport conformance suite: the same guarantees, checked the same
//! way, on both transports — Kafka (against the test broker) and the
//! PostgreSQL log (against the test PostgreSQL).

#![allow(clippy::too_many_lines)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use dualnet_events::{
    Chain, Consumer, ConsumerSettings, Delivery, Envelope, Event, HandleError, Handler, Header, Position, Producer,
    Producers, Publisher, Record, Relay, RelaySettings, Transport, TransportError,
    consumer::Outcome,
    deadletter,
    kafka::{KafkaSettings, KafkaTransport},
    outbox,
    pglog::PgLogTransport,
};
use dualnet_testkit::{fresh_pool, kafka_bootstrap, unique, wait_for};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(90);
/// The consumers' event size limit in these tests.
const MAX_EVENT_BYTES: usize = 4096;

#[derive(Clone, PartialEq, prost::Message)]
struct Probe {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(int64, tag = "2")]
    seq: i64,
    /// The handler fails on this probe every time.
    #[prost(bool, tag = "3")]
    fail: bool,
}

impl prost::Name for Probe {
    const NAME: &'static str = "Probe";
    const PACKAGE: &'static str = "dualnet.test.v1";
}

/// Records every probe it applies, in apply order.
struct Recorder;

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let probe: Probe = event.decode()?;
        if probe.fail {
            return Err(HandleError::Retry(anyhow::anyhow!("probe {} always fails", probe.seq)));
        }
        sqlx::query("INSERT INTO applied (event_id, key, seq) VALUES ($1, $2, $3)")
            .bind(event.envelope.id)
            .bind(&probe.key)
            .bind(probe.seq)
            .execute(conn)
            .await?;
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Kafka,
    PgLog,
}

struct Harness {
    pool: PgPool,
    transport: Arc<dyn Transport>,
    topic: String,
    group: String,
}

impl Harness {
    async fn new(kind: Kind) -> Self {
        let pool = fresh_pool("conformance").await;
        dualnet_events::MIGRATOR.run(&pool).await.expect("pipeline migrations");
        sqlx::query("CREATE TABLE applied (n BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL, key TEXT NOT NULL, seq BIGINT NOT NULL,
                                   tx BIGINT NOT NULL DEFAULT txid_current())")
            .execute(&pool)
            .await
            .unwrap();
        let transport: Arc<dyn Transport> = match kind {
            Kind::Kafka => Arc::new(KafkaTransport::new(KafkaSettings::new(kafka_bootstrap())).unwrap()),
            Kind::PgLog => Arc::new(PgLogTransport::new(fresh_pool("log").await).await.unwrap()),
        };
        let topic = unique("conformance");
        transport.ensure_topics(&[topic.clone(), deadletter::TOPIC.to_string()]).await.unwrap();
        Self { pool, transport, topic, group: unique("group") }
    }

    /// Commits probes to the outbox, one transaction each.
    async fn append(&self, probes: &[Probe]) {
        for p in probes {
            let mut tx = self.pool.begin().await.unwrap();
            outbox::append(&mut tx, "/dualnet/test", &self.topic, &p.key, p, &Chain::start(Uuid::now_v7()))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    }

    fn relay(&self) -> Relay {
        Relay::new(self.pool.clone(), self.transport.publisher(), RelaySettings::default())
    }

    fn consumer(&self) -> Consumer {
        let settings = ConsumerSettings {
            max_attempts: 3,
            backoff: Duration::from_millis(10),
            max_event_bytes: MAX_EVENT_BYTES,
            // As in every service: only the topic's producer is trusted.
            producers: Producers::new(vec![Producer {
                topic: self.topic.clone(),
                source: "/dualnet/test".into(),
                types: "dualnet.test.v1.".into(),
            }]),
            ..Default::default()
        };
        Consumer::new(&self.group, self.pool.clone(), Arc::new(Recorder), self.transport.publisher(), settings)
    }

    async fn subscribe(&self) -> Box<dyn dualnet_events::Subscription> {
        self.transport.subscribe(&self.group, std::slice::from_ref(&self.topic)).await.unwrap()
    }

    /// Starts relay and consumer in the background.
    async fn run_pipeline(&self, shutdown: &CancellationToken) {
        tokio::spawn(self.relay().run(shutdown.clone()));
        let sub = self.subscribe().await;
        tokio::spawn(self.consumer().run(sub, shutdown.clone()));
    }

    async fn applied(&self) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT key, seq FROM applied ORDER BY n").fetch_all(&self.pool).await.unwrap()
    }

    async fn wait_applied(&self, n: usize) -> Vec<(String, i64)> {
        wait_for(&format!("{n} applied probes"), WAIT, || async {
            let a = self.applied().await;
            (a.len() >= n).then_some(a)
        })
        .await
    }

    /// Publishes until the outbox is empty. A batch of 0 also means the
    /// relay's lock was not free at that moment, so "nothing published" is
    /// judged by the backlog, not by one batch.
    async fn publish_all(&self) {
        let relay = self.relay();
        wait_for("the outbox to be published", WAIT, || async {
            relay.publish_batch().await.unwrap();
            (self.unsent().await == 0).then_some(())
        })
        .await
    }

    /// The first `n` dead letters that came from this harness's topic.
    async fn dead_letters(&self, n: usize) -> Vec<Delivery> {
        let mut dlq = self.transport.subscribe(&unique("dlq-reader"), &[deadletter::TOPIC.to_string()]).await.unwrap();
        let mut ours = Vec::new();
        while ours.len() < n {
            let d = next(&mut dlq).await;
            if d.record.header(deadletter::ORIGIN_TOPIC) == Some(self.topic.as_str()) {
                ours.push(d);
            }
        }
        ours
    }

    async fn unsent(&self) -> i64 {
        self.relay().backlog().await.unwrap()
    }
}

async fn next(sub: &mut Box<dyn dualnet_events::Subscription>) -> Delivery {
    tokio::time::timeout(WAIT, sub.next()).await.expect("a delivery in time").expect("receive")
}

fn probe(key: &str, seq: i64) -> Probe {
    Probe { key: key.into(), seq, fail: false }
}

async fn per_key_order_is_kept(kind: Kind) {
    let h = Harness::new(kind).await;
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    let probes: Vec<Probe> = (0..40).flat_map(|i| ["a", "b", "c"].map(|k| probe(k, i))).collect();
    h.append(&probes).await;
    let applied = h.wait_applied(probes.len()).await;
    shutdown.cancel();
    assert_eq!(applied.len(), probes.len(), "each probe applied once");
    for key in ["a", "b", "c"] {
        let seqs: Vec<i64> = applied.iter().filter(|(k, _)| k == key).map(|(_, s)| *s).collect();
        assert_eq!(seqs, (0..40).collect::<Vec<_>>(), "order of key {key}");
    }
}

async fn a_consumer_killed_before_its_offset_commit_rereads_and_applies_once(kind: Kind) {
    let h = Harness::new(kind).await;
    h.append(&[probe("k", 1)]).await;
    h.publish_all().await;
    let never = CancellationToken::new();
    let consumer = h.consumer();
    let mut first = h.subscribe().await;
    let d1 = next(&mut first).await;
    assert_eq!(consumer.process(&d1, &never).await.unwrap(), Outcome::Applied);
    // Killed here: the effect is committed, the offset is not.
    drop(first);
    let mut second = h.subscribe().await;
    let d2 = next(&mut second).await;
    assert_eq!(d2.record.header("ce_id"), d1.record.header("ce_id"), "the same event is delivered again");
    assert_eq!(consumer.process(&d2, &never).await.unwrap(), Outcome::Duplicate);
    second.commit(&d2).await.unwrap();
    assert_eq!(h.applied().await, vec![("k".to_string(), 1)]);
}

async fn a_duplicate_delivery_applies_once(kind: Kind) {
    let h = Harness::new(kind).await;
    h.append(&[probe("k", 7)]).await;
    let publisher = h.transport.publisher();
    // The relay publishes the batch twice, as after a crash between publish
    // and marking the rows sent.
    h.publish_all().await;
    sqlx::query("UPDATE event_outbox SET published_at = NULL").execute(&h.pool).await.unwrap();
    h.publish_all().await;
    drop(publisher);
    let consumer = h.consumer();
    let mut sub = h.subscribe().await;
    let never = CancellationToken::new();
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let d = next(&mut sub).await;
        outcomes.push(consumer.process(&d, &never).await.unwrap());
        sub.commit(&d).await.unwrap();
    }
    assert_eq!(outcomes, [Outcome::Applied, Outcome::Duplicate]);
    assert_eq!(h.applied().await.len(), 1);
}

async fn poison_goes_to_the_dead_letter_topic_and_the_next_message_is_processed(kind: Kind) {
    let h = Harness::new(kind).await;
    let publisher = h.transport.publisher();
    let good = {
        let mut tx = h.pool.begin().await.unwrap();
        outbox::append(&mut tx, "/dualnet/test", &h.topic, "k", &probe("k", 2), &Chain::start(Uuid::now_v7()))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        h.relay()
    };
    // 1: no CloudEvents headers at all; 2: a payload that does not decode;
    // 3: a handler that always fails.
    let headers_of = |p: &[u8], id: Uuid| {
        let mut hs = dualnet_events::Envelope {
            id,
            source: "/dualnet/test".into(),
            ty: "dualnet.test.v1.Probe".into(),
            subject: "k".into(),
            time: chrono::Utc::now(),
            correlation_id: id,
            causation_id: None,
            traceparent: None,
            tracestate: None,
        }
        .to_headers();
        hs.push(Header::new("x-test", p));
        hs
    };
    let failing = Probe { key: "k".into(), seq: 1, fail: true };
    let records = vec![
        Record { topic: h.topic.clone(), key: "k".into(), headers: vec![], payload: b"junk".to_vec() },
        Record {
            topic: h.topic.clone(),
            key: "k".into(),
            headers: headers_of(b"", Uuid::now_v7()),
            payload: vec![0xff, 0xff, 0xff],
        },
        Record {
            topic: h.topic.clone(),
            key: "k".into(),
            headers: headers_of(b"", Uuid::now_v7()),
            payload: prost::Message::encode_to_vec(&failing),
        },
    ];
    publisher.publish(&records).await.unwrap();
    while good.publish_batch().await.unwrap() > 0 {}
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    assert_eq!(h.wait_applied(1).await, vec![("k".to_string(), 2)], "the message after the poison is applied");
    shutdown.cancel();
    // All three are on the dead-letter topic, with why and where from.
    let ours = h.dead_letters(3).await;
    for d in &ours {
        assert!(!d.record.header(deadletter::ERROR).unwrap_or_default().is_empty(), "error header");
        assert_eq!(d.record.header(deadletter::CONSUMER), Some(h.group.as_str()));
    }
    assert_eq!(ours[0].record.payload, b"junk", "dead letters keep the original payload");
    assert_eq!(
        ours[2].record.header(deadletter::ATTEMPTS),
        Some("3"),
        "a failing handler is retried, then dead-lettered"
    );
}

/// Publishes the first `limit` records for real, then fails: the process
/// dies between publishing and marking its batch sent.
struct CrashingPublisher {
    inner: Arc<dyn Publisher>,
    limit: usize,
    calls: AtomicUsize,
}

#[async_trait]
impl Publisher for CrashingPublisher {
    async fn publish(&self, records: &[Record]) -> Result<(), TransportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.publish(&records[..self.limit.min(records.len())]).await?;
        Err(TransportError::Other("relay crashed".into()))
    }
}

async fn rows_committed_before_a_relay_crash_are_all_published_after_restart(kind: Kind) {
    let h = Harness::new(kind).await;
    let probes: Vec<Probe> = (0..20).map(|i| probe("k", i)).collect();
    h.append(&probes).await;
    let crashing = Arc::new(CrashingPublisher { inner: h.transport.publisher(), limit: 7, calls: AtomicUsize::new(0) });
    let relay = Relay::new(h.pool.clone(), crashing.clone(), RelaySettings::default());
    assert!(relay.publish_batch().await.is_err(), "the crash is reported");
    assert_eq!(crashing.calls.load(Ordering::SeqCst), 1);
    assert_eq!(h.unsent().await, 20, "nothing is marked sent by a relay that crashed");
    // Restart: a new relay publishes everything.
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    let applied = h.wait_applied(20).await;
    wait_for("the outbox to drain", WAIT, || async { (h.unsent().await == 0).then_some(()) }).await;
    shutdown.cancel();
    let seqs: Vec<i64> = applied.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, (0..20).collect::<Vec<_>>(), "every row once, in order, despite the 7 published twice");
}

async fn nothing_is_published_for_a_rolled_back_change(kind: Kind) {
    let h = Harness::new(kind).await;
    let mut tx = h.pool.begin().await.unwrap();
    outbox::append(&mut tx, "/dualnet/test", &h.topic, "k", &probe("k", 1), &Chain::start(Uuid::now_v7()))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    h.append(&[probe("k", 2)]).await;
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    assert_eq!(h.wait_applied(1).await, vec![("k".to_string(), 2)]);
    // Give a stray record every chance to arrive before looking again.
    h.append(&[probe("k", 3)]).await;
    let applied = h.wait_applied(2).await;
    shutdown.cancel();
    assert_eq!(applied, vec![("k".to_string(), 2), ("k".to_string(), 3)]);
}

async fn a_rewound_group_reads_again_from_an_offset_or_a_time(kind: Kind) {
    let h = Harness::new(kind).await;
    // One key: one partition, offsets 0..5 in order, published as one batch
    // (a rewind lands inside it).
    h.append(&(0..5).map(|i| probe("k", i)).collect::<Vec<_>>()).await;
    h.publish_all().await;
    let seq = |d: &Delivery| <Probe as prost::Message>::decode(d.record.payload.as_slice()).unwrap().seq;
    let step = |what: &'static str| move |e| panic!("{what}: {e:?}");
    let mut sub = h.subscribe().await;
    let mut partition = 0;
    for i in 0..5 {
        let d = tokio::time::timeout(WAIT, sub.next()).await.unwrap_or_else(step("first read")).unwrap();
        assert_eq!(seq(&d), i);
        partition = d.partition;
        sub.commit(&d).await.unwrap();
    }
    drop(sub);
    let positions = h.transport.rewind(&h.group, &h.topic, Position::Offset(2)).await.unwrap();
    assert!(positions.contains(&(partition, 2)), "{positions:?}");
    let mut again = h.subscribe().await;
    let d =
        tokio::time::timeout(WAIT, again.next()).await.unwrap_or_else(step("read after the offset rewind")).unwrap();
    assert_eq!(seq(&d), 2, "reads again from offset 2");
    drop(again);
    // A time before every record: the group reads from the first one. (A
    // day back, so no clock skew between the test and the log matters.)
    let before = chrono::Utc::now() - chrono::Duration::days(1);
    let rewound = h.transport.rewind(&h.group, &h.topic, Position::Time(before)).await.unwrap();
    assert!(rewound.contains(&(partition, 0)), "{rewound:?}");
    let mut from_start = h.subscribe().await;
    let d =
        tokio::time::timeout(WAIT, from_start.next()).await.unwrap_or_else(step("read after the time rewind")).unwrap();
    assert_eq!(seq(&d), 0, "reads again from the first record after the time");
}

async fn relays_of_two_databases_on_one_server_do_not_wait_on_each_other(kind: Kind) {
    let (a, b) = (Harness::new(kind).await, Harness::new(kind).await);
    // A relay of database a is in the middle of a batch: it holds the lock.
    let mut busy = a.pool.begin().await.unwrap();
    let held: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_xact_lock(hashtext('dualnet.outbox.relay'), hashtext(current_database()))",
    )
    .fetch_one(&mut *busy)
    .await
    .unwrap();
    assert!(held);
    b.append(&[probe("k", 1)]).await;
    assert_eq!(b.relay().publish_batch().await.unwrap(), 1, "another database's relay publishes");
    a.append(&[probe("k", 1)]).await;
    assert_eq!(a.relay().publish_batch().await.unwrap(), 0, "a second relay of the same database waits its turn");
    busy.rollback().await.unwrap();
    assert_eq!(a.relay().publish_batch().await.unwrap(), 1);
}

async fn a_batch_with_a_failing_event_and_duplicates_applies_the_rest_once_in_order(kind: Kind) {
    let h = Harness::new(kind).await;
    let mut probes: Vec<Probe> = (0..30).map(|i| probe("k", i)).collect();
    probes[15].fail = true;
    h.append(&probes).await;
    h.publish_all().await;
    // Some of them a second time, as after a relay crash.
    sqlx::query(
        "UPDATE event_outbox SET published_at = NULL WHERE seq IN (SELECT seq FROM event_outbox ORDER BY seq LIMIT 10)",
    )
    .execute(&h.pool)
    .await
    .unwrap();
    h.publish_all().await;
    // Everything is on the topic before the consumer starts: it finds many
    // events at hand at once.
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    let applied = h.wait_applied(29).await;
    let dead = h.dead_letters(1).await.remove(0);
    shutdown.cancel();
    let seqs: Vec<i64> = applied.iter().map(|(_, s)| *s).collect();
    let expected: Vec<i64> = (0..30).filter(|i| *i != 15).collect();
    assert_eq!(seqs, expected, "every good event once, in order");
    let failed: Probe = prost::Message::decode(dead.record.payload.as_slice()).unwrap();
    assert_eq!(failed.seq, 15, "the failing event is dead-lettered");
    let transactions: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT tx) FROM applied").fetch_one(&h.pool).await.unwrap();
    assert!(transactions < 29, "events at hand are applied together ({transactions} transactions for 29 events)");
}

async fn an_oversized_event_is_dead_lettered_unapplied_and_the_next_is_processed(kind: Kind) {
    let h = Harness::new(kind).await;
    let mut big = probe("k", 1);
    big.key = "x".repeat(MAX_EVENT_BYTES);
    h.append(&[big, probe("k", 2)]).await;
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    assert_eq!(h.wait_applied(1).await, vec![("k".to_string(), 2)], "only the event within the limit");
    let dead = h.dead_letters(1).await.remove(0);
    shutdown.cancel();
    assert!(
        dead.record.header(deadletter::ERROR).unwrap().contains("exceeds the limit"),
        "{:?}",
        dead.record.header(deadletter::ERROR)
    );
    assert_eq!(h.applied().await.len(), 1);
}

async fn an_event_from_another_producer_is_dead_lettered_unapplied(kind: Kind) {
    let h = Harness::new(kind).await;
    let forged = |source: &str, ty: &str, seq: i64| {
        let id = Uuid::now_v7();
        let envelope = Envelope {
            id,
            source: source.into(),
            ty: ty.into(),
            subject: "k".into(),
            time: chrono::Utc::now(),
            correlation_id: id,
            causation_id: None,
            traceparent: None,
            tracestate: None,
        };
        let payload = prost::Message::encode_to_vec(&probe("k", seq));
        Record { topic: h.topic.clone(), key: "k".into(), headers: envelope.to_headers(), payload }
    };
    // Another service's source on this topic; this topic's source with
    // another package's type.
    let records =
        [forged("/dualnet/intruder", "dualnet.test.v1.Probe", 1), forged("/dualnet/test", "dualnet.other.v1.Probe", 2)];
    h.transport.publisher().publish(&records).await.unwrap();
    h.append(&[probe("k", 3)]).await;
    let shutdown = CancellationToken::new();
    h.run_pipeline(&shutdown).await;
    // One key keeps its order: once 3 is applied, 1 and 2 were refused.
    assert_eq!(h.wait_applied(1).await, vec![("k".to_string(), 3)]);
    let dead = h.dead_letters(2).await;
    shutdown.cancel();
    for d in &dead {
        let error = d.record.header(deadletter::ERROR).unwrap_or_default();
        assert!(error.starts_with("forbidden"), "{error}");
    }
    assert_eq!(h.applied().await.len(), 1);
}

/// Fails with an infrastructure fault (the pool timed out, as when the
/// database is down) the first `faults` times, then applies like `Recorder`.
struct Unreachable {
    faults: AtomicUsize,
}

#[async_trait]
impl Handler for Unreachable {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        if self.faults.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(sqlx::Error::PoolTimedOut.into());
        }
        Recorder.handle(conn, event).await
    }
}

async fn an_unreachable_database_holds_the_partition_and_dead_letters_nothing(kind: Kind) {
    let h = Harness::new(kind).await;
    // Three times the attempts an event's own fault gets.
    let faults = 9;
    let handler = Arc::new(Unreachable { faults: AtomicUsize::new(faults) });
    let settings = ConsumerSettings {
        max_attempts: 3,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        batch: 1,
        producers: Producers::new(vec![Producer {
            topic: h.topic.clone(),
            source: "/dualnet/test".into(),
            types: "dualnet.test.v1.".into(),
        }]),
        ..Default::default()
    };
    let consumer = Consumer::new(&h.group, h.pool.clone(), handler.clone(), h.transport.publisher(), settings);
    let healthy = consumer.healthy();
    h.append(&[probe("k", 1), probe("k", 2)]).await;
    h.publish_all().await;
    let shutdown = CancellationToken::new();
    let sub = h.subscribe().await;
    tokio::spawn(consumer.run(sub, shutdown.clone()));
    wait_for("the consumer to report itself blocked", WAIT, || async {
        (!healthy.load(Ordering::Relaxed)).then_some(())
    })
    .await;
    let applied = h.wait_applied(2).await;
    shutdown.cancel();
    assert_eq!(handler.faults.load(Ordering::SeqCst), 0, "every fault was met");
    assert_eq!(applied, vec![("k".to_string(), 1), ("k".to_string(), 2)], "both applied, in order, once");
    assert!(healthy.load(Ordering::Relaxed), "ready again once the database answers");
    // A marker dead letter from this topic comes first in line: nothing of
    // the two probes went there.
    let poison = Delivery {
        record: Record { topic: h.topic.clone(), key: "m".into(), headers: vec![], payload: vec![] },
        partition: 0,
        offset: 0,
    };
    deadletter::send(&*h.transport.publisher(), &h.group, &poison, "marker", 0).await.unwrap();
    let dead = h.dead_letters(1).await;
    assert_eq!(dead[0].record.key, "m", "no probe was dead-lettered");
}

/// Bounded storage: one pruning round deletes published outbox rows and
/// inbox rows past their retention, and log records only below every
/// group's cursor; what is unpublished, recent or unread stays.
async fn pruning_deletes_what_is_past_its_retention_and_nothing_unread(kind: Kind) {
    use dualnet_events::retention::{Retention, prune};
    let h = Harness::new(kind).await;
    let shutdown = CancellationToken::new();
    // No relay in the background: the test publishes, so the row appended
    // last stays unpublished.
    let sub = h.subscribe().await;
    tokio::spawn(h.consumer().run(sub, shutdown.clone()));
    h.append(&(0..10).map(|i| probe("a", i)).collect::<Vec<_>>()).await;
    h.publish_all().await;
    h.wait_applied(10).await;
    // A group on the topic that has read only the first record.
    let mut lagging = h.transport.subscribe(&unique("lagging"), std::slice::from_ref(&h.topic)).await.unwrap();
    let first = next(&mut lagging).await;
    lagging.commit(&first).await.unwrap();
    shutdown.cancel();
    // One more change, committed but not published.
    h.append(&[probe("a", 10)]).await;
    let count = |sql: &'static str| {
        let pool = h.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    let recent = Retention {
        outbox: Some(Duration::from_secs(3600)),
        inbox: Some(Duration::from_secs(3600)),
        log: Some(Duration::from_secs(3600)),
        every: Duration::from_secs(1),
        batch: 3,
    };
    let none = prune(&h.pool, h.transport.as_ref(), &recent).await.unwrap();
    assert_eq!((none.outbox, none.inbox, none.log), (0, 0, 0), "nothing is an hour old");
    let now =
        Retention { outbox: Some(Duration::ZERO), inbox: Some(Duration::ZERO), log: Some(Duration::ZERO), ..recent };
    let pruned = prune(&h.pool, h.transport.as_ref(), &now).await.unwrap();
    assert_eq!(pruned.outbox, 10, "every published row, in batches of 3");
    assert_eq!(
        count("SELECT count(*) FROM event_outbox WHERE published_at IS NULL").await,
        1,
        "the unpublished row stays"
    );
    assert_eq!(count("SELECT count(*) FROM event_outbox").await, 1);
    assert_eq!(pruned.inbox, 10);
    assert_eq!(count("SELECT count(*) FROM event_inbox").await, 0);
    match kind {
        // The broker keeps its topics by its own retention.
        Kind::Kafka => assert_eq!(pruned.log, 0),
        // Below the lagging group's cursor: the first record only.
        Kind::PgLog => assert_eq!(pruned.log, 1, "only what every group has read"),
    }
    // The lagging group still reads everything after its cursor.
    let second = next(&mut lagging).await;
    assert_eq!(second.offset, first.offset + 1);
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod kafka {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::Kafka).await
                }
            )*
        }
        mod pglog {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::PgLog).await
                }
            )*
        }
    };
}

conformance!(
    per_key_order_is_kept,
    an_event_from_another_producer_is_dead_lettered_unapplied,
    an_oversized_event_is_dead_lettered_unapplied_and_the_next_is_processed,
    a_batch_with_a_failing_event_and_duplicates_applies_the_rest_once_in_order,
    a_consumer_killed_before_its_offset_commit_rereads_and_applies_once,
    a_duplicate_delivery_applies_once,
    poison_goes_to_the_dead_letter_topic_and_the_next_message_is_processed,
    rows_committed_before_a_relay_crash_are_all_published_after_restart,
    nothing_is_published_for_a_rolled_back_change,
    a_rewound_group_reads_again_from_an_offset_or_a_time,
    relays_of_two_databases_on_one_server_do_not_wait_on_each_other,
    an_unreachable_database_holds_the_partition_and_dead_letters_nothing,
    pruning_deletes_what_is_past_its_retention_and_nothing_unread,
);

/// Kafka: two members consume a burst over many keys and a third joins in
/// the middle of it (a rebalance while batches are in flight). Merged, their
/// effects hold every probe once and each key's probes in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_members_joining_mid_burst_lose_double_and_reorder_nothing() {
    let h = Harness::new(Kind::Kafka).await;
    let shutdown = CancellationToken::new();
    tokio::spawn(h.relay().run(shutdown.clone()));
    for _ in 0..2 {
        let sub = h.subscribe().await;
        tokio::spawn(h.consumer().run(sub, shutdown.clone()));
    }
    let keys: Vec<String> = (0..12).map(|k| format!("key-{k}")).collect();
    let probes = |seqs: std::ops::Range<i64>| -> Vec<Probe> {
        seqs.flat_map(|i| keys.iter().map(move |k| probe(k, i))).collect()
    };
    let first = probes(0..25);
    h.append(&first).await;
    h.wait_applied(first.len() / 3).await;
    let third = h.subscribe().await;
    let joined = third.ready();
    tokio::spawn(h.consumer().run(third, shutdown.clone()));
    let second = probes(25..50);
    h.append(&second).await;
    wait_for("the third member's first assignment", WAIT, || async { joined.load(Ordering::Relaxed).then_some(()) })
        .await;
    let rest = probes(50..60);
    h.append(&rest).await;
    let total = first.len() + second.len() + rest.len();
    let applied = h.wait_applied(total).await;
    shutdown.cancel();
    assert_eq!(applied.len(), total, "each probe applied once");
    for key in &keys {
        let seqs: Vec<i64> = applied.iter().filter(|(k, _)| k == key).map(|(_, s)| *s).collect();
        assert_eq!(seqs, (0..60).collect::<Vec<_>>(), "order of {key}");
    }
}

/// The PostgreSQL log has one cursor per group: a second member would only
/// read the same records again, so it is refused while the first runs, and
/// admitted once the first is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pglog_refuses_a_second_member_of_a_group_while_the_first_runs() {
    let h = Harness::new(Kind::PgLog).await;
    let first = h.subscribe().await;
    let refused = match h.transport.subscribe(&h.group, std::slice::from_ref(&h.topic)).await {
        Ok(_) => panic!("a second member was admitted"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("already has a member") && refused.contains(&h.topic), "{refused}");
    drop(first);
    let _again = h.subscribe().await;
}
