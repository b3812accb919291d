//! The deadline timer: passes every statutory deadline whose time came and
//! announces the breach or the right it opens. Reads time from the business
//! clock, so tests move time instead of waiting.

use std::{sync::Arc, time::Duration};

use dualnet_platform::clock::Clock;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// Deadlines passed per sweep at most; the rest wait for the next one.
const BATCH: i64 = 500;

pub async fn run(store: Store, clock: Arc<dyn Clock>, every: Duration, shutdown: CancellationToken) {
    loop {
        match store.pass_due_deadlines(clock.now(), BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(passed = n, "statutory deadlines passed"),
            Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
