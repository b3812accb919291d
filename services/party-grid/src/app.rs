//! Builds party-grid from what it is given.

use std::sync::Arc;

use anyhow::Context;
use dualnet_platform::service::{Deps, Pipeline, Started, once_in_background, start_pipeline};
use dualnet_proto::{partygrid::v1::party_grid_server::PartyGridServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let handler = Arc::new(Reactions { clock: deps.clock.clone() });
    let pipeline = Pipeline { service: SERVICE, topic: topics::PARTYGRID, subscribes: &[topics::GOVERNANCE], handler };
    let mut tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let store = Store::new(deps.pool.clone()).sealing(deps.sealer("council members' names and phones")?);
    let sealed = store.seal_plaintext_council_members().await.context("sealing stored council members")?;
    if sealed > 0 {
        tracing::info!(count = sealed, "stored council members' names and phones sealed");
    }
    // After a key rotation, what the retired keys sealed is sealed again
    // under the current one, while the service already serves.
    let s = store.clone();
    tasks.push(tokio::spawn(once_in_background(
        "council members' names and phones re-sealed under the current key",
        shutdown.clone(),
        move || {
            let s = s.clone();
            async move { s.reseal_council_members().await }
        },
    )));
    let pages = dualnet_platform::page::PageTokens::load(&deps.pool).await?;
    let api = Api { store, pages, clock: deps.clock.clone() };
    let max_request = deps.config.limits.max_request_bytes;
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(PartyGridServer::new(api).max_decoding_message_size(max_request));
        }),
        health: dualnet_platform::grpc_server::health_name::<PartyGridServer<Api>>(),
        tasks,
        bound: Vec::new(),
    })
}
