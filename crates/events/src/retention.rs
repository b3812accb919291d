//! Bounded storage: published outbox rows, inbox rows and (on one node) the
//! PostgreSQL log's records are deleted once older than their retention.
//!
//! Why each is safe to delete:
//! - an outbox row once published is an audit copy; the broker has it;
//! - an inbox row guards against a redelivery, and a consumer is only
//!   redelivered what lies at or after its committed offset — events applied
//!   long ago come back only through an explicit replay, which clears the
//!   consumer's inbox anyway (docs/operations.md);
//! - a log record is deleted only below every group's cursor on its topic:
//!   nothing a known group has still to read goes, and a topic nobody reads
//!   yet keeps everything (Kafka's own `retention.ms` governs its topics).
//!
//! Deletes go in batches so that no statement holds many row locks or a long
//! transaction beside the hot path; every process of a service may prune the
//! same database at once (a row deleted twice is deleted once).

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::transport::Transport;

/// How long each kind of row is kept (`None`: for ever), how often the
/// pruner runs and how many rows one statement deletes.
#[derive(Debug, Clone)]
pub struct Retention {
    pub outbox: Option<Duration>,
    pub inbox: Option<Duration>,
    pub log: Option<Duration>,
    pub every: Duration,
    pub batch: i64,
}

/// Rows deleted by one round.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub inbox: u64,
    pub log: u64,
}

/// Published outbox rows published more than `keep` ago, oldest first.
pub async fn prune_outbox(pool: &PgPool, keep: Duration, batch: i64) -> Result<u64, sqlx::Error> {
    // Oldest first along the primary key: published rows lie at its start,
    // so the scan stops after `batch` matches without an index of its own.
    let sql = "DELETE FROM event_outbox WHERE seq IN (
                   SELECT seq FROM event_outbox
                   WHERE published_at < now() - make_interval(secs => $1)
                   ORDER BY seq LIMIT $2)";
    delete_in_batches(pool, sql, keep, batch).await
}

/// Inbox rows applied more than `keep` ago.
pub async fn prune_inbox(pool: &PgPool, keep: Duration, batch: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM event_inbox WHERE (consumer, event_id) IN (
                   SELECT consumer, event_id FROM event_inbox
                   WHERE applied_at < now() - make_interval(secs => $1) LIMIT $2)";
    delete_in_batches(pool, sql, keep, batch).await
}

/// Runs `sql` (`$1` the age in seconds, `$2` the batch) until a round
/// deletes less than a batch.
pub(crate) async fn delete_in_batches(
    pool: &PgPool,
    sql: &str,
    keep: Duration,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let n = sqlx::query(sql).bind(keep.as_secs_f64()).bind(batch).execute(pool).await?.rows_affected();
        total += n;
        if n < u64::try_from(batch).unwrap_or(0) {
            return Ok(total);
        }
    }
}

/// One round over the service's database and its transport.
pub async fn prune(pool: &PgPool, transport: &dyn Transport, r: &Retention) -> anyhow::Result<Pruned> {
    let mut pruned = Pruned::default();
    if let Some(keep) = r.outbox {
        pruned.outbox = prune_outbox(pool, keep, r.batch).await?;
    }
    if let Some(keep) = r.inbox {
        pruned.inbox = prune_inbox(pool, keep, r.batch).await?;
    }
    if let Some(keep) = r.log {
        pruned.log = transport.prune(keep, r.batch).await?;
    }
    Ok(pruned)
}

/// Prunes every `r.every` until `shutdown`. A failed round (the database
/// unreachable) is logged and tried again next time; nothing depends on it.
pub async fn run(pool: PgPool, transport: std::sync::Arc<dyn Transport>, r: Retention, shutdown: CancellationToken) {
    loop {
        match prune(&pool, transport.as_ref(), &r).await {
            Ok(p) if p != Pruned::default() => {
                tracing::info!(outbox = p.outbox, inbox = p.inbox, log = p.log, "pruned rows past their retention");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning failed; trying again next round"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(r.every) => {}
        }
    }
}
