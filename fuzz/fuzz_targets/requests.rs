//! Every RPC of the four services with arbitrary bytes as its request:
//! the first byte picks the RPC (all of them, from the descriptor set), the
//! rest is the protobuf message. Each goes through the service's own tonic
//! stack — decoding, proto → domain conversion, field validation — and a
//! request that passes validation reaches, by the first byte's top bit,
//! either a database that refuses connections or the service's real
//! migrated database (on the PostgreSQL named by
//! `DUALNET_TEST_DATABASE_URL`). Nothing may panic; bad input must be
//! answered, and never `INTERNAL` or `UNKNOWN` from a database that works.
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
    /// On a refusing database.
    apis: Vec<tonic::service::Routes>,
    /// The same on real, migrated databases.
    real: Vec<tonic::service::Routes>,
}

fn apis() -> &'static Apis {
    static APIS: OnceLock<Apis> = OnceLock::new();
    APIS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (apis, real) = runtime.block_on(async {
            // Nothing listens on port 1: every query fails at once.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .acquire_timeout(Duration::from_millis(1))
                .connect_lazy("postgres://fuzz@127.0.0.1:1/fuzz")
                .unwrap();
            let refusing = vec![
                governance_grid::bare_api(pool.clone()),
                party_grid::bare_api(pool.clone()),
                complaints::bare_api(pool.clone()),
                arbitration::bare_api(pool),
            ];
            let mut pools = Vec::new();
            for def in [
                &governance_grid::DEFINITION,
                &party_grid::DEFINITION,
                &complaints::DEFINITION,
                &arbitration::DEFINITION,
            ] {
                let pool = dualnet_testkit::fresh_pool(&format!("fuzz_api_{}", def.database)).await;
                dualnet_platform::db::migrate(&pool, def.migrator).await.unwrap();
                pools.push(pool);
            }
            let real = vec![
                governance_grid::bare_api(pools[0].clone()),
                party_grid::bare_api(pools[1].clone()),
                complaints::bare_api(pools[2].clone()),
                arbitration::bare_api(pools[3].clone()),
            ];
            (refusing, real)
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
        Apis { runtime, rpcs, apis, real }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, message)) = data.split_first() else { return };
    let apis = apis();
    let (path, api) = &apis.rpcs[usize::from(pick & 0x7f) % apis.rpcs.len()];
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
    let working = pick & 0x80 != 0;
    let mut api = if working { apis.real[*api].clone() } else { apis.apis[*api].clone() };
    apis.runtime.block_on(async move {
        std::future::poll_fn(|cx| Service::<http::Request<tonic::body::Body>>::poll_ready(&mut api, cx)).await.unwrap();
        let response = api.call(request).await.unwrap();
        // The status is in the headers (an error alone) or the trailers.
        let headers = response.headers().clone();
        let collected = response.into_body().collect().await.unwrap();
        let trailers = collected.trailers().cloned().unwrap_or_default();
        let status = headers.get("grpc-status").or_else(|| trailers.get("grpc-status"));
        let code = status.and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0);
        let message = headers.get("grpc-message").or_else(|| trailers.get("grpc-message"));
        // 2 UNKNOWN, 13 INTERNAL: the service's fault, not the input's.
        assert!(!matches!(code, 2 | 13), "{path}: grpc-status {code} {message:?} (working database: {working})");
    });
});
