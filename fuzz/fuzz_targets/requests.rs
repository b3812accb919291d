//! Every RPC of the four services with arbitrary bytes as its request:
//! the first byte picks the RPC (all of them, from the descriptor set), the
//! rest is the protobuf message. Each goes through the service's own tonic
//! stack — decoding, proto → domain conversion, field validation — and a
//! request that passes validation reaches a database that refuses
//! connections. Nothing may panic; bad input must be answered.
#![no_main]

use std::{sync::OnceLock, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;
use prost::Message;
use tower_service::Service;

struct Apis {
    runtime: tokio::runtime::Runtime,
    /// `/package.Service/Method` paths and the API that serves each.
    rpcs: Vec<(String, usize)>,
    apis: Vec<tonic::service::Routes>,
}

fn apis() -> &'static Apis {
    static APIS: OnceLock<Apis> = OnceLock::new();
    APIS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let apis = runtime.block_on(async {
            // Nothing listens on port 1: every query fails at once.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .acquire_timeout(Duration::from_millis(1))
                .connect_lazy("postgres://fuzz@127.0.0.1:1/fuzz")
                .unwrap();
            vec![
                governance_grid::bare_api(pool.clone()),
                party_grid::bare_api(pool.clone()),
                complaints::bare_api(pool.clone()),
                arbitration::bare_api(pool),
            ]
        });
        let packages =
            ["dualnet.governance.v1", "dualnet.partygrid.v1", "dualnet.complaints.v1", "dualnet.arbitration.v1"];
        let set = prost_types::FileDescriptorSet::decode(dualnet_proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut rpcs = Vec::new();
        for file in &set.file {
            let Some(api) = packages.iter().position(|p| *p == file.package()) else { continue };
            for service in &file.service {
                for method in &service.method {
                    rpcs.push((format!("/{}.{}/{}", file.package(), service.name(), method.name()), api));
                }
            }
        }
        assert!(rpcs.len() > 70, "every RPC of the contract: {}", rpcs.len());
        Apis { runtime, rpcs, apis }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, message)) = data.split_first() else { return };
    let apis = apis();
    let (path, api) = &apis.rpcs[usize::from(pick) % apis.rpcs.len()];
    // gRPC framing: uncompressed, 4-byte big-endian length, message.
    let mut frame = Vec::with_capacity(message.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    let request = http::Request::builder()
        .method("POST")
        .uri(path.as_str())
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(tonic::body::Body::new(Full::new(Bytes::from(frame))))
        .unwrap();
    let mut api = apis.apis[*api].clone();
    apis.runtime.block_on(async move {
        std::future::poll_fn(|cx| Service::<http::Request<tonic::body::Body>>::poll_ready(&mut api, cx)).await.unwrap();
        let response = api.call(request).await.unwrap();
        let _ = response.into_body().collect().await;
    });
});
