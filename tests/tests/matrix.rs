//! The permission matrix against the four running services: every role
//! calls every RPC of the contract (with an empty request) and is refused
//! `PERMISSION_DENIED` by the matrix exactly where no role of its grants
//! the call's permission; everywhere else the call gets past the gate and
//! earns whatever an empty request earns (`INVALID_ARGUMENT`, `NOT_FOUND`,
//! an answer).

#![allow(clippy::too_many_lines)]

use dualnet_e2e::System;
use dualnet_platform::{
    auth::{self, Claims, Scope},
    config::{AuthConfig, Secret},
    permissions::{ROLES, granted, required},
};
use prost::Message;
use tonic::{Code, Request, codegen::http::uri::PathAndQuery};

const KEY: &str = "matrix-key-0123456789abcdef012345678";

/// Any message: an empty request, and an answer whose fields are skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct Anything {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_reaches_exactly_what_the_matrix_grants_on_every_rpc() {
    let system = System::start_with(vec![("DUALNET_AUTH__KEYS__K".into(), KEY.into())]).await;
    let config = AuthConfig {
        keys: [("k".to_string(), Secret::new(KEY))].into_iter().collect(),
        signing_kid: Some("k".into()),
        ..AuthConfig::default()
    };
    let channels = system.channels().await;
    let set = prost_types::FileDescriptorSet::decode(dualnet_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut rpcs = Vec::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let channel = channels.get(file.package()).expect("a service per package").clone();
                rpcs.push((format!("/{}.{}/{}", file.package(), service.name(), method.name()), channel));
            }
        }
    }
    assert_eq!(rpcs.len(), 93, "every RPC of the contract");

    let mut refused = 0;
    for (role, _) in ROLES {
        let claims =
            Claims::issue(&config, format!("{role}-1"), "bantian", vec![role.to_string()], Scope::default(), 600);
        let token = auth::mint(&config, &claims).unwrap();
        for (path, channel) in &rpcs {
            let mut grpc = tonic::client::Grpc::new(channel.clone());
            grpc.ready().await.unwrap();
            let mut request = Request::new(Anything {});
            request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
            let codec = tonic_prost::ProstCodec::<Anything, Anything>::default();
            let answer = grpc.unary(request, PathAndQuery::try_from(path.as_str()).unwrap(), codec).await;
            let gated = matches!(&answer, Err(s) if s.code() == Code::PermissionDenied
                && s.message().starts_with("none of the caller's roles grants"));
            let grants = granted(&[role.to_string()], required(path).expect("in the matrix"));
            assert_eq!(gated, !grants, "{role} on {path}: {answer:?}");
            assert!(!matches!(&answer, Err(s) if s.code() == Code::Unauthenticated), "{role} on {path}: {answer:?}");
            refused += usize::from(gated);
        }
    }
    assert!(refused > 0 && refused < ROLES.len() * rpcs.len(), "{refused} refusals");
}
