//! Builds arbitration from what it is given.

use std::sync::Arc;

use dualnet_platform::service::{Deps, Pipeline, Started, start_pipeline};
use dualnet_proto::{arbitration::v1::arbitration_server::ArbitrationServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let handler = Arc::new(Reactions { clock: deps.clock.clone() });
    let pipeline =
        Pipeline { service: SERVICE, topic: topics::ARBITRATION, subscribes: &[topics::COMPLAINTS], handler };
    let tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let api = Api { store: Store::new(deps.pool.clone()) };
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(ArbitrationServer::new(api));
        }),
        health: dualnet_platform::grpc_server::health_name::<ArbitrationServer<Api>>(),
        tasks,
    })
}
