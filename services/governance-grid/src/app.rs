//! Builds governance-grid from what it is given.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use dualnet_platform::service::{Deps, Pipeline, Started, once_in_background, start_pipeline, sweep_every};
use dualnet_proto::{governance::v1::governance_grid_server::GovernanceGridServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, store::Store};

/// Items one sweep handles at most; the rest wait for the next tick.
const SWEEP_BATCH: i64 = 500;

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let calendar = deps.calendar(&shutdown)?;
    let handler = Arc::new(Reactions { clock: deps.clock.clone(), calendar: calendar.clone() });
    let pipeline = Pipeline {
        service: SERVICE,
        topic: topics::GOVERNANCE,
        subscribes: &[topics::COMPLAINTS, topics::PARTYGRID, topics::ARBITRATION],
        handler,
    };
    let mut tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let store = Store::new(deps.pool.clone(), calendar).sealing(deps.sealer("patrol members' names and phones")?);
    let sealed = store.seal_plaintext_patrol_members().await.context("sealing stored patrol members")?;
    if sealed > 0 {
        tracing::info!(count = sealed, "stored patrol members' names and phones sealed");
    }
    // After a key rotation, what the retired keys sealed is sealed again
    // under the current one, while the service already serves.
    let s = store.clone();
    tasks.push(tokio::spawn(once_in_background(
        "patrol members' names and phones re-sealed under the current key",
        shutdown.clone(),
        move || {
            let s = s.clone();
            async move { s.reseal_patrol_members().await }
        },
    )));
    let every = Duration::from_millis(deps.config.deadlines.sweep_ms);
    // Incidents whose deadline passed unresolved go up a tier; missed rental
    // inspections are warned about.
    let (s, clock) = (store.clone(), deps.clock.clone());
    tasks.push(tokio::spawn(sweep_every("overdue incidents escalated", every, shutdown.clone(), move || {
        let (s, now) = (s.clone(), clock.now());
        async move { s.escalate_overdue(now, SWEEP_BATCH).await }
    })));
    let (s, clock) = (store.clone(), deps.clock.clone());
    tasks.push(tokio::spawn(sweep_every("overdue rental inspections warned", every, shutdown.clone(), move || {
        let (s, now) = (s.clone(), clock.now());
        async move { s.warn_overdue_inspections(now, SWEEP_BATCH).await }
    })));
    let (s, clock) = (store.clone(), deps.clock.clone());
    tasks.push(tokio::spawn(sweep_every("missed patrols warned", every, shutdown.clone(), move || {
        let (s, now) = (s.clone(), clock.now());
        async move { s.warn_missed_patrols(now, SWEEP_BATCH).await }
    })));
    // Changes to incidents folded into the monthly statistics rollups.
    let (s, every, batch) =
        (store.clone(), Duration::from_millis(deps.config.statistics.fold_ms), deps.config.statistics.fold_batch);
    let stop = shutdown.clone();
    tasks.push(tokio::spawn(async move {
        while !stop.is_cancelled() {
            match s.fold_statistics(batch).await {
                // More waiting: fold on at once.
                Ok(n) if n as i64 >= batch => continue,
                Ok(n) => tracing::debug!(folded = n, "statistics rollups updated"),
                Err(e) => tracing::warn!(error = %e, "statistics fold failed; retrying"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }));
    let mut bound = Vec::new();
    if let Some(addr) = deps.config.notices.listen {
        let listener =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding the notices feed on {addr}"))?;
        bound.push(("notices", listener.local_addr()?));
        tasks.push(tokio::spawn(crate::notices::serve(listener, store.clone(), shutdown.clone())));
    }
    let pages = dualnet_platform::page::PageTokens::load(&deps.pool).await?;
    let api = Api { store, pages, clock: deps.clock.clone() };
    let max_request = deps.config.limits.max_request_bytes;
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(GovernanceGridServer::new(api).max_decoding_message_size(max_request));
        }),
        health: dualnet_platform::grpc_server::health_name::<GovernanceGridServer<Api>>(),
        tasks,
        bound,
    })
}
