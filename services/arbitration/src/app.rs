//! Builds arbitration from what it is given.

use std::{sync::Arc, time::Duration};

use anyhow::Context;

use dualnet_platform::service::{Deps, Pipeline, Started, once_in_background, start_pipeline, sweep_every};
use dualnet_proto::{arbitration::v1::arbitration_server::ArbitrationServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let calendar = deps.calendar(&shutdown)?;
    let handler = Arc::new(Reactions { clock: deps.clock.clone() });
    let pipeline = Pipeline {
        service: SERVICE,
        topic: topics::ARBITRATION,
        subscribes: &[topics::COMPLAINTS, topics::GOVERNANCE],
        handler,
    };
    let mut tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let store = Store::new(deps.pool.clone(), calendar).sealing(deps.sealer("claimants' personal data")?);
    let sealed = store.seal_plaintext_claimants().await.context("sealing stored claimants")?;
    if sealed > 0 {
        tracing::info!(count = sealed, "stored claimants' personal data sealed");
    }
    // After a key rotation, what the retired keys sealed is sealed again
    // under the current one, while the service already serves.
    let s = store.clone();
    tasks.push(tokio::spawn(once_in_background(
        "claimants' personal data re-sealed under the current key",
        shutdown.clone(),
        move || {
            let s = s.clone();
            async move { s.reseal_claimants().await }
        },
    )));
    let every = Duration::from_millis(deps.config.deadlines.sweep_ms);
    // Statutory deadlines whose time came are passed and announced.
    let (s, clock) = (store.clone(), deps.clock.clone());
    tasks.push(tokio::spawn(sweep_every("statutory deadlines passed", every, shutdown.clone(), move || {
        let (s, now) = (s.clone(), clock.now());
        async move { s.pass_due_deadlines(now, 500).await }
    })));
    let a = &deps.config.arbitration;
    let minimum_wage =
        Arc::new(dualnet_platform::minimum_wage::MinimumWage::load(a.minimum_wage_file.as_deref(), &a.city)?);
    let pages = dualnet_platform::page::PageTokens::load(&deps.pool).await?;
    let api = Api { store, pages, clock: deps.clock.clone(), minimum_wage };
    let max_request = deps.config.limits.max_request_bytes;
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(ArbitrationServer::new(api).max_decoding_message_size(max_request));
        }),
        health: dualnet_platform::grpc_server::health_name::<ArbitrationServer<Api>>(),
        tasks,
        bound: Vec::new(),
    })
}
