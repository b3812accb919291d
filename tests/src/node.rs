//! `dualnet up` as an operator runs it: one process, its private PostgreSQL
//! kept in a data directory, authentication off, serving once its health
//! says so.

use std::{path::Path, process::Stdio};

use dualnet_testkit::{AddressFile, binary, wait_for};
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::WAIT;

/// Starts `dualnet up --data-dir data` and waits until it serves; the
/// process and a channel to its one gRPC port.
pub async fn up_on(data: &Path) -> (tokio::process::Child, Channel) {
    let addresses = AddressFile::new("up");
    let child = tokio::process::Command::new(binary("dualnet"))
        .args(["up", "--listen", "127.0.0.1:0", "--open311", "127.0.0.1:0", "--notices", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env_remove("DUALNET_DATABASE__URL")
        .env("DUALNET_AUTH__DISABLED", "true")
        .env("DUALNET_TELEMETRY__LOG", "warn")
        .env("DUALNET_ADDRESS_FILE", addresses.path())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("dualnet up starts");
    let addr = addresses.wait("grpc", WAIT).await;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.expect("connect");
    wait_for("the node to serve", WAIT, || {
        let mut health = HealthClient::new(channel.clone());
        async move {
            let status = health.check(HealthCheckRequest::default()).await.ok()?.into_inner().status;
            (status == ServingStatus::Serving as i32).then_some(())
        }
    })
    .await;
    (child, channel)
}
