//! Builds complaints from what it is given.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use dualnet_platform::service::{Deps, Pipeline, Started, once_in_background, start_pipeline, sweep_every};
use dualnet_proto::{complaints::v1::complaints_server::ComplaintsServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, open311, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let handler = Arc::new(Reactions { clock: deps.clock.clone() });
    let pipeline = Pipeline { service: SERVICE, topic: topics::COMPLAINTS, subscribes: &[topics::GOVERNANCE], handler };
    let mut tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let calendar = deps.calendar(&shutdown)?;
    let store = Store::new(deps.pool.clone(), calendar).sealing(deps.sealer("residents' contacts")?);
    let sealed = store.seal_plaintext_residents().await.context("sealing stored contacts")?;
    if sealed > 0 {
        tracing::info!(count = sealed, "stored residents' contacts sealed");
    }
    // After a key rotation, what the retired keys sealed is sealed again
    // under the current one, while the service already serves.
    let s = store.clone();
    tasks.push(tokio::spawn(once_in_background(
        "residents' contacts re-sealed under the current key",
        shutdown.clone(),
        move || {
            let s = s.clone();
            async move { s.reseal_residents().await }
        },
    )));
    let every = Duration::from_millis(deps.config.deadlines.sweep_ms);
    // Open requests past their deadline are flagged (and announced).
    let (s, clock) = (store.clone(), deps.clock.clone());
    tasks.push(tokio::spawn(sweep_every("requests past their deadline flagged", every, shutdown.clone(), move || {
        let (s, now) = (s.clone(), clock.now());
        async move { s.flag_overdue(now, 500).await }
    })));
    let mut bound = Vec::new();
    if let Some(addr) = deps.config.open311.listen {
        let listener =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding Open311 on {addr}"))?;
        bound.push(("open311", listener.local_addr()?));
        let state = open311::Open311 {
            store: store.clone(),
            clock: deps.clock.clone(),
            jurisdiction_id: deps.config.open311.jurisdiction_id.clone(),
            max_body_bytes: deps.config.limits.max_request_bytes,
            verifier: dualnet_platform::auth::Verifier::from_config(&deps.config.open311_auth())?.map(Arc::new),
            public_reads: deps.config.open311.public_reads,
            public_categories: deps.config.open311.public_categories.clone(),
        };
        tasks.push(tokio::spawn(open311::serve(listener, state, shutdown.clone())));
    }
    let pages = dualnet_platform::page::PageTokens::load(&deps.pool).await?;
    let api = Api { store, pages, clock: deps.clock.clone() };
    let max_request = deps.config.limits.max_request_bytes;
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(ComplaintsServer::new(api).max_decoding_message_size(max_request));
        }),
        health: dualnet_platform::grpc_server::health_name::<ComplaintsServer<Api>>(),
        tasks,
        bound,
    })
}
