//! The overdue timer: flags open requests past their deadline (and
//! announces them, for supervision). Reads time from the business clock.

use std::{sync::Arc, time::Duration};

use dualnet_platform::clock::Clock;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

const BATCH: i64 = 500;

pub async fn run(store: Store, clock: Arc<dyn Clock>, every: Duration, shutdown: CancellationToken) {
    loop {
        match store.flag_overdue(clock.now(), BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(overdue = n, "requests past their deadline flagged"),
            Err(e) => tracing::warn!(error = %e, "overdue sweep failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
