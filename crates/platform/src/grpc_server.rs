//! The gRPC server every service runs: its own APIs plus `grpc.health.v1`
//! and reflection (v1 and v1alpha), trace context read from the request
//! metadata, graceful shutdown.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::{server::NamedService, service::RoutesBuilder, transport::Server};
use tonic_health::ServingStatus;

/// Adds one service's gRPC APIs to the server.
pub type Register = Box<dyn FnOnce(&mut RoutesBuilder) + Send>;

/// The health name of a tonic service.
pub fn health_name<S: NamedService>() -> &'static str {
    S::NAME
}

fn request_span(req: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!("grpc", rpc = %req.uri().path(), otel.kind = "server");
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    dualnet_events::trace::set_parent(&span, header("traceparent"), header("tracestate"));
    span
}

/// Counts every call with its gRPC status code and measures its latency.
/// An error answer carries `grpc-status` in its headers (trailers-only); an
/// answer without it is OK.
#[derive(Clone, Copy)]
struct Measure;

impl<S> tower_layer::Layer<S> for Measure {
    type Service = Measured<S>;
    fn layer(&self, inner: S) -> Measured<S> {
        Measured { inner }
    }
}

#[derive(Clone)]
struct Measured<S> {
    inner: S,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for Measured<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let rpc = req.uri().path().to_string();
        let started = Instant::now();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let result = answer.await;
            let code = match &result {
                Ok(r) => r.headers().get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("0").to_string(),
                Err(_) => "transport_error".to_string(),
            };
            crate::metrics::grpc_call(&rpc, &code, started.elapsed());
            result
        })
    }
}

/// Serves until `shutdown`. `health` names every service registered, which
/// are reported SERVING (as is the whole server, the empty name).
pub async fn serve(
    listener: TcpListener,
    registers: Vec<Register>,
    health: &[&str],
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    for name in health.iter().chain(std::iter::once(&"")) {
        reporter.set_service_status(*name, ServingStatus::Serving).await;
    }
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(dualnet_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(dualnet_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    let mut routes = RoutesBuilder::default();
    for register in registers {
        register(&mut routes);
    }
    routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);
    let stop = shutdown.clone();
    Server::builder()
        .trace_fn(request_span)
        .layer(Measure)
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move { stop.cancelled().await })
        .await?;
    reporter.set_service_status("", ServingStatus::NotServing).await;
    Ok(())
}
