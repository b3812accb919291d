//! Linkage latency: from `FileComplaint` returning to the party linkage task
//! existing, observed on the broker (not by polling databases), with the four
//! services as processes over Kafka; and, in the same run, the floor — a bare
//! produce→consume round trip through the same broker and a bare one-row
//! PostgreSQL commit. Run with `scripts/bench` (it starts the servers).
//!
//! Settings: `BENCH_COMPLAINTS` (default 200), `BENCH_RATE` per second
//! (default 20).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use dualnet_e2e::{System, WAIT};
use dualnet_events::{
    Event, Header, Record, Transport,
    kafka::{KafkaSettings, KafkaTransport},
};
use dualnet_proto::{complaints::v1 as cpb, governance::v1 as gov, partygrid::v1 as party, topics};
use dualnet_testkit::{fresh_pool, kafka_bootstrap, unique};
use prost::Message;
use sqlx::Connection;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Debug)]
struct Stats {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    n: usize,
}

fn stats(mut xs: Vec<Duration>) -> Stats {
    xs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(xs[((xs.len() as f64 - 1.0) * q).round() as usize]);
    Stats { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: ms(*xs.last().unwrap()), n: xs.len() }
}

fn row(name: &str, s: &Stats) -> String {
    format!("{name:<34} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6}", s.p50, s.p90, s.p99, s.max, s.n)
}

fn json(s: &Stats) -> String {
    format!(
        r#"{{"p50_ms":{:.3},"p90_ms":{:.3},"p99_ms":{:.3},"max_ms":{:.3},"n":{}}}"#,
        s.p50, s.p90, s.p99, s.max, s.n
    )
}

/// Bare produce→consume round trips through the broker, one at a time.
async fn broker_floor(payload: usize, n: usize) -> Vec<Duration> {
    let kafka = KafkaTransport::new(KafkaSettings::new(kafka_bootstrap())).unwrap();
    let topic = unique("floor");
    kafka.ensure_topics(std::slice::from_ref(&topic)).await.unwrap();
    let mut sub = kafka.subscribe(&unique("floor"), std::slice::from_ref(&topic)).await.unwrap();
    let publisher = kafka.publisher();
    let record = |i: usize| Record {
        topic: topic.clone(),
        key: format!("k{i}"),
        headers: vec![Header::new("i", i.to_string())],
        payload: vec![7u8; payload],
    };
    // Warm up until the subscription is assigned and delivering.
    publisher.publish(&[record(usize::MAX)]).await.unwrap();
    tokio::time::timeout(WAIT, sub.next()).await.unwrap().unwrap();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        publisher.publish(&[record(i)]).await.unwrap();
        loop {
            let d = tokio::time::timeout(WAIT, sub.next()).await.unwrap().unwrap();
            if d.record.header("i") == Some(i.to_string().as_str()) {
                break;
            }
        }
        out.push(t.elapsed());
    }
    out
}

/// Bare single-row commits on the test PostgreSQL.
async fn commit_floor(n: usize) -> Vec<Duration> {
    let pool = fresh_pool("floor").await;
    sqlx::query("CREATE TABLE floor (id BIGSERIAL PRIMARY KEY, v BYTEA)").execute(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("INSERT INTO floor (v) VALUES ($1)").bind(vec![1u8; 64]).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        out.push(t.elapsed());
    }
    out
}

// The benchmark's report is its output.
#[allow(clippy::print_stdout)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env("BENCH_COMPLAINTS", 200);
    let rate = env("BENCH_RATE", 20).max(1);
    let system = System::start().await;
    let seed = system.seed(true).await;

    // The observer: incident → complaint from IncidentOpened, and the moment
    // the first LinkageTaskCreated of each incident arrives.
    let mut settings = KafkaSettings::new(kafka_bootstrap());
    settings.namespace = system.namespace.clone();
    let kafka = KafkaTransport::new(settings).unwrap();
    let mut sub = kafka
        .subscribe(&unique("bench"), &[topics::GOVERNANCE.to_string(), topics::PARTYGRID.to_string()])
        .await
        .unwrap();
    let incident_of: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let linked: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    {
        let (incident_of, linked) = (incident_of.clone(), linked.clone());
        tokio::spawn(async move {
            loop {
                let Ok(d) = sub.next().await else { continue };
                let at = Instant::now();
                let Ok(e) = Event::parse(&d) else { continue };
                if e.is::<gov::IncidentOpened>() {
                    let o = gov::IncidentOpened::decode(e.payload.as_slice()).unwrap();
                    incident_of.lock().unwrap().insert(o.incident_id, o.complaint_id);
                } else if e.is::<party::LinkageTaskCreated>() {
                    let t = party::LinkageTaskCreated::decode(e.payload.as_slice()).unwrap();
                    linked.lock().unwrap().entry(t.incident_id).or_insert(at);
                }
            }
        });
    }
    let linked_at = |complaint: &str| -> Option<Instant> {
        let incidents = incident_of.lock().unwrap();
        let linked = linked.lock().unwrap();
        incidents.iter().find(|(_, c)| c.as_str() == complaint).and_then(|(i, _)| linked.get(i).copied())
    };

    let mut client = system.complaints().await;
    let request = || cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::App as i32,
        building_id: seed.building_id.clone(),
        description: "bench".into(),
        ..Default::default()
    };
    // Warm-up: until a complaint resolves to its grid and reaches the party
    // network, every consumer is assigned and every read model is current.
    let deadline = Instant::now() + WAIT;
    loop {
        let c = client.file_complaint(request()).await.unwrap().into_inner();
        let warm = Instant::now() + Duration::from_secs(20);
        while linked_at(&c.id).is_none() && Instant::now() < warm {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !c.grid_id.is_empty() && linked_at(&c.id).is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the system did not warm up");
    }

    let mut filing = Vec::with_capacity(n);
    let mut returned = Vec::with_capacity(n);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    for i in 0..n {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let t = Instant::now();
        let c = client.file_complaint(request()).await.unwrap().into_inner();
        let done = Instant::now();
        filing.push(done - t);
        returned.push((c.id, done));
    }
    let mut linkage = Vec::with_capacity(n);
    for (id, done) in &returned {
        let deadline = Instant::now() + WAIT;
        let at = loop {
            if let Some(at) = linked_at(id) {
                break at;
            }
            assert!(Instant::now() < deadline, "complaint {id} never reached the party network");
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        linkage.push(at.saturating_duration_since(*done));
    }
    let elapsed = start.elapsed();

    // Event payloads of this path are 80–160 bytes, plus ~400 bytes of headers.
    let hop = stats(broker_floor(128, 200).await);
    let commit = stats(commit_floor(200).await);
    let filing = stats(filing);
    let linkage = stats(linkage);
    // After FileComplaint returns: relay→broker→governance (commit),
    // relay→broker→party-grid (commit), relay→broker→observer.
    let floor = 3.0 * hop.p50 + 2.0 * commit.p50;
    println!();
    println!("linkage benchmark: {n} complaints at {rate}/s over Kafka (Tansu), 4 service processes");
    println!("{:<34} {:>8} {:>8} {:>8} {:>8} {:>6}", "ms", "p50", "p90", "p99", "max", "n");
    println!("{}", row("FileComplaint (gRPC, commit)", &filing));
    println!("{}", row("linkage: filed → task on broker", &linkage));
    println!("{}", row("floor: broker produce→consume", &hop));
    println!("{}", row("floor: PostgreSQL 1-row commit", &commit));
    println!("floor of the linkage path (3 hops + 2 commits, p50): {floor:.2} ms");
    println!("linkage p50 / floor: {:.2}", linkage.p50 / floor);
    println!("sustained: {:.1} complaints/s linked", n as f64 / elapsed.as_secs_f64());
    println!(
        r#"{{"complaints":{n},"rate":{rate},"filing":{},"linkage":{},"broker_hop":{},"pg_commit":{},"floor_p50_ms":{floor:.3},"linkage_p50_over_floor":{:.3}}}"#,
        json(&filing),
        json(&linkage),
        json(&hop),
        json(&commit),
        linkage.p50 / floor
    );
}
