//! How long the event pipeline's rows are kept: see
//! `dualnet_events::retention` for why each kind is safe to delete.

use std::time::Duration;

use serde::Deserialize;

/// How long the event pipeline's rows are kept (0: for ever).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Published outbox rows (an audit of what was sent).
    pub outbox_hours: u64,
    /// Inbox rows (what guards against a redelivered event).
    pub inbox_hours: u64,
    /// The PostgreSQL log's records that every group has read (one node).
    pub log_hours: u64,
    /// How often the pruner runs.
    pub every_ms: u64,
    /// Rows one delete statement takes at most.
    pub batch: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self { outbox_hours: 7 * 24, inbox_hours: 7 * 24, log_hours: 7 * 24, every_ms: 600_000, batch: 10_000 }
    }
}

impl RetentionConfig {
    pub fn settings(&self) -> dualnet_events::retention::Retention {
        let keep = |h: u64| (h > 0).then(|| Duration::from_secs(h * 3600));
        dualnet_events::retention::Retention {
            outbox: keep(self.outbox_hours),
            inbox: keep(self.inbox_hours),
            log: keep(self.log_hours),
            every: Duration::from_millis(self.every_ms),
            batch: self.batch,
        }
    }
}
