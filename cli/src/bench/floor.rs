//! The physical floor, measured in the same run: a bare produce→consume
//! round trip through the system's own broker with the payload size of the
//! linkage events, and a bare one-row PostgreSQL commit.

use std::time::{Duration, Instant};

use anyhow::Context;
use dualnet_events::{Header, Record, Transport};
use sqlx::{Connection, PgConnection};

/// Event payloads of the linkage path are 80–160 bytes; the CloudEvents
/// headers (~400 bytes) travel with them as they do with every event.
pub const PAYLOAD: usize = 128;
const HEADERS: usize = 400;

/// Round trips, one at a time, through a topic of their own.
pub async fn broker(transport: &dyn Transport, n: usize, wait: Duration) -> anyhow::Result<Vec<Duration>> {
    let topic = format!("dualnet.bench.floor.{}", uuid::Uuid::now_v7().simple());
    transport.ensure_topics(std::slice::from_ref(&topic)).await?;
    let mut sub = transport.subscribe(&format!("{topic}.reader"), std::slice::from_ref(&topic)).await?;
    let publisher = transport.publisher();
    let record = |i: usize| Record {
        topic: topic.clone(),
        key: format!("k{i}"),
        headers: vec![Header::new("i", i.to_string()), Header::new("padding", "x".repeat(HEADERS))],
        payload: vec![7u8; PAYLOAD],
    };
    // Warm up until the subscription is assigned and delivering.
    publisher.publish(&[record(usize::MAX)]).await?;
    tokio::time::timeout(wait, sub.next()).await.context("the floor topic never delivered")??;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        publisher.publish(&[record(i)]).await?;
        let want = i.to_string();
        loop {
            let d = tokio::time::timeout(wait, sub.next()).await.context("a floor record never arrived")??;
            sub.commit(&d).await?;
            if d.record.header("i") == Some(want.as_str()) {
                break;
            }
        }
        out.push(started.elapsed());
    }
    Ok(out)
}

/// Single-row commits into a temporary table on the given server.
pub async fn commit(url: &str, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut conn = PgConnection::connect(url).await.context("connecting for the commit floor")?;
    let table = format!("bench_floor_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, v BYTEA)")).execute(&mut conn).await?;
    let mut out = Vec::with_capacity(n);
    let insert = format!("INSERT INTO {table} (v) VALUES ($1)");
    for _ in 0..n {
        let started = Instant::now();
        let mut tx = conn.begin().await?;
        sqlx::query(&insert).bind(vec![1u8; PAYLOAD]).execute(&mut *tx).await?;
        tx.commit().await?;
        out.push(started.elapsed());
    }
    sqlx::query(&format!("DROP TABLE {table}")).execute(&mut conn).await?;
    Ok(out)
}
