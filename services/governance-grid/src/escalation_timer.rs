//! The deadline timer: escalates incidents whose deadline passed unresolved
//! one tier, and warns about rental inspections that fell due. Reads time
//! from the business clock, so tests move time instead of waiting.

use std::{sync::Arc, time::Duration};

use dualnet_platform::clock::Clock;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Incidents escalated per sweep at most; the rest wait for the next one.
const BATCH: i64 = 500;

pub async fn run(store: Store, clock: Arc<dyn Clock>, every: Duration, shutdown: CancellationToken) {
    loop {
        match store.escalate_overdue(clock.now(), BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(escalated = n, "overdue incidents escalated"),
            Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
        }
        match store.warn_overdue_inspections(clock.now(), BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(warned = n, "overdue rental inspections warned"),
            Err(e) => tracing::warn!(error = %e, "inspection sweep failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
