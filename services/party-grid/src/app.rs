//! Builds party-grid from what it is given.

use std::sync::Arc;

use dualnet_platform::service::{Deps, Pipeline, Started, start_pipeline};
use dualnet_proto::{partygrid::v1::party_grid_server::PartyGridServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let handler = Arc::new(Reactions { clock: deps.clock.clone() });
    let pipeline = Pipeline { service: SERVICE, topic: topics::PARTYGRID, subscribes: &[topics::GOVERNANCE], handler };
    let tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let pages = dualnet_platform::page::PageTokens::load(&deps.pool).await?;
    let api = Api { store: Store::new(deps.pool.clone()), pages, clock: deps.clock.clone() };
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
