//! Builds governance-grid from what it is given.

use std::{sync::Arc, time::Duration};

use dualnet_platform::{
    calendar::Calendar,
    service::{Deps, Pipeline, Started, start_pipeline},
};
use dualnet_proto::{governance::v1::governance_grid_server::GovernanceGridServer, topics};
use tokio_util::sync::CancellationToken;

use crate::{SERVICE, consumers::Reactions, escalation_timer, grpc::Api, store::Store};

pub async fn start(deps: Deps, shutdown: CancellationToken) -> anyhow::Result<Started> {
    let calendar = Arc::new(Calendar::load(deps.config.calendar.file.as_deref())?);
    let handler = Arc::new(Reactions { clock: deps.clock.clone(), calendar: calendar.clone() });
    let pipeline = Pipeline {
        service: SERVICE,
        topic: topics::GOVERNANCE,
        subscribes: &[topics::COMPLAINTS, topics::PARTYGRID, topics::ARBITRATION],
        handler,
    };
    let mut tasks = start_pipeline(&deps, pipeline, &shutdown).await?;
    let store = Store::new(deps.pool.clone(), calendar);
    let every = Duration::from_millis(deps.config.deadlines.sweep_ms);
    tasks.push(tokio::spawn(escalation_timer::run(store.clone(), deps.clock.clone(), every, shutdown.clone())));
    let api = Api { store, clock: deps.clock.clone() };
    Ok(Started {
        register: Box::new(move |routes| {
            routes.add_service(GovernanceGridServer::new(api));
        }),
        health: dualnet_platform::grpc_server::health_name::<GovernanceGridServer<Api>>(),
        tasks,
    })
}
