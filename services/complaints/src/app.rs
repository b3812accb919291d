//! Builds complaints from what it is given.

use std::sync::Arc;

use dualnet_platform::{
    calendar::Calendar,
    service::{Deps, Pipeline, Started, start_pipeline},
};
use dualnet_proto::{complaints::v1::complaints_server::ComplaintsServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, grpc::Api, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let handler = Arc::new(Reactions { clock: deps.clock.clone() });
    let pipeline = Pipeline { service: SERVICE, topic: topics::COMPLAINTS, subscribes: &[topics::GOVERNANCE], handler };
    let tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let calendar = Calendar::load(deps.config.calendar.file.as_deref())?;
    let api = Api { store: Store::new(deps.pool.clone()), clock: deps.clock.clone(), calendar };
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(ComplaintsServer::new(api));
        }),
        health: dualnet_platform::grpc_server::health_name::<ComplaintsServer<Api>>(),
        tasks,
    })
}
