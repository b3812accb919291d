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
    // Named as OpenTelemetry's RPC conventions have it
    // (`dualnet.complaints.v1.Complaints/FileComplaint`), so a trace viewer
    // lists each call by its method.
    let path = req.uri().path();
    let method = path.trim_start_matches('/');
    let (service, name) = method.split_once('/').unwrap_or((method, ""));
    let span = tracing::info_span!(
        "grpc",
        otel.name = method,
        otel.kind = "server",
        rpc = %path,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = name,
    );
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

/// Accepted connections with Nagle's algorithm off: a unary answer goes out
/// in several small writes (headers, message, trailers), and with Nagle on
/// the last one waits for the client's delayed ACK — 40 ms per call.
fn incoming(listener: TcpListener) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|conn| {
        let conn = conn?;
        conn.set_nodelay(true)?;
        Ok(conn)
    })
}

/// Serves until `shutdown`. `health` names every service registered, which
/// are reported SERVING (as is the whole server, the empty name) once
/// `readiness` holds — until then NOT_SERVING.
/// Who gets in: the token verifier (with one, every call but health and
/// reflection needs a valid bearer token, see [`crate::auth`]) and the
/// largest request metadata accepted.
#[derive(Clone)]
pub struct Admission {
    pub auth: Option<std::sync::Arc<crate::auth::Verifier>>,
    pub max_header_bytes: u32,
    /// TLS (and, with a client CA, mutual TLS); plaintext when none.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
}

impl Admission {
    /// Plaintext, no token needed, the default metadata limit.
    pub fn open() -> Self {
        Self { auth: None, max_header_bytes: crate::config::LimitsConfig::default().max_header_bytes, tls: None }
    }

    /// The server TLS the configuration asks for, read from its files.
    pub fn tls(config: &crate::config::TlsConfig) -> anyhow::Result<Option<tonic::transport::ServerTlsConfig>> {
        use anyhow::Context;
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let (Some(cert), Some(key)) = (&config.cert_file, &config.key_file) else { return Ok(None) };
        let read = |p: &std::path::Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
        if let Some(ca) = &config.client_ca_file {
            tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        Ok(Some(tls))
    }
}

pub async fn serve(
    listener: TcpListener,
    registers: Vec<Register>,
    health: &[&'static str],
    readiness: crate::service::Readiness,
    admission: Admission,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let names: Vec<&'static str> = health.iter().copied().chain(std::iter::once("")).collect();
    for name in &names {
        reporter.set_service_status(*name, ServingStatus::NotServing).await;
    }
    let announcer = reporter.clone();
    let stop_watching = shutdown.clone();
    // Readiness is watched for as long as the server runs: a condition lost
    // (a consumer blocked on its database, the database unreachable) turns
    // the health NOT_SERVING again until it holds.
    tokio::spawn(async move {
        let mut serving = false;
        let mut advised: Vec<(&'static str, bool)> = Vec::new();
        loop {
            // Advisories are reported under their own names: a probe of the
            // server ("") is not failed by them.
            let advisories = readiness.advisories();
            if advisories != advised {
                for (name, ok) in &advisories {
                    let status = if *ok { ServingStatus::Serving } else { ServingStatus::NotServing };
                    announcer.set_service_status(*name, status).await;
                }
                advised = advisories;
            }
            let ready = readiness.is_ready();
            if ready != serving {
                serving = ready;
                let status = if ready { ServingStatus::Serving } else { ServingStatus::NotServing };
                if !ready {
                    tracing::warn!("not ready: reporting NOT_SERVING until every condition holds again");
                }
                for name in &names {
                    announcer.set_service_status(*name, status).await;
                }
            }
            tokio::select! {
                _ = stop_watching.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
            }
        }
    });
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
    let mut builder = Server::builder();
    if let Some(tls) = admission.tls {
        builder = builder.tls_config(tls)?;
    }
    builder
        .trace_fn(request_span)
        .http2_max_header_list_size(admission.max_header_bytes)
        .layer(Measure)
        .layer(crate::auth::Authenticate { verifier: admission.auth })
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming(listener), async move { stop.cancelled().await })
        .await?;
    reporter.set_service_status("", ServingStatus::NotServing).await;
    Ok(())
}

/// Asks the gRPC server at `addr` for its overall health, as a container
/// health check does: over TLS when `tls` has a certificate (trusting the
/// server's own chain, and presenting it as the client certificate under
/// mutual TLS), else in plaintext. Fails unless it answers SERVING.
pub async fn probe(addr: std::net::SocketAddr, tls: &crate::config::TlsConfig) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
    let endpoint = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let read = |p: &std::path::Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
            let chain = read(cert)?;
            let name = tls.probe_name.clone().unwrap_or_else(|| "localhost".into());
            let mut client = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&chain)).domain_name(name);
            if tls.client_ca_file.is_some() {
                client = client.identity(Identity::from_pem(&chain, read(key)?));
            }
            Channel::from_shared(format!("https://{addr}"))?.tls_config(client)?
        }
        _ => Channel::from_shared(format!("http://{addr}"))?,
    };
    let channel = endpoint
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    let status =
        HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await?.into_inner().status;
    anyhow::ensure!(status == ServingStatus::Serving as i32, "the server at {addr} is not serving");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };

    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

    use super::*;

    #[tokio::test]
    async fn health_is_not_serving_until_every_consumer_is_ready_and_again_while_one_is_blocked() {
        let readiness = crate::service::Readiness::default();
        let assigned = Arc::new(AtomicBool::new(false));
        readiness.add(assigned.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(
            async move { serve(listener, vec![], &["test.v1.Test"], readiness, Admission::open(), stop).await },
        );
        let status = |service: &'static str| async move {
            let channel = loop {
                match tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap().connect().await {
                    Ok(c) => break c,
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                }
            };
            let req = HealthCheckRequest { service: service.into() };
            HealthClient::new(channel).check(req).await.unwrap().into_inner().status
        };
        assert_eq!(status("").await, ServingStatus::NotServing as i32);
        assert_eq!(status("test.v1.Test").await, ServingStatus::NotServing as i32);
        assigned.store(true, Ordering::Relaxed);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while status("test.v1.Test").await != ServingStatus::Serving as i32 {
            assert!(std::time::Instant::now() < deadline, "SERVING once ready");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status("").await, ServingStatus::Serving as i32);
        // A condition lost (a consumer blocked on its database): NOT_SERVING
        // until it holds again.
        assigned.store(false, Ordering::Relaxed);
        while status("").await != ServingStatus::NotServing as i32 {
            assert!(std::time::Instant::now() < deadline, "NOT_SERVING once a condition fails");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status("test.v1.Test").await, ServingStatus::NotServing as i32);
        assigned.store(true, Ordering::Relaxed);
        while status("").await != ServingStatus::Serving as i32 {
            assert!(std::time::Instant::now() < deadline, "SERVING again once it holds");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        shutdown.cancel();
    }

    #[tokio::test]
    async fn with_tls_only_callers_that_trust_the_certificate_get_an_answer() {
        let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let (cert, key) = (issued.cert.pem(), issued.signing_key.serialize_pem());
        let dir = std::env::temp_dir().join(format!("dualnet-tls-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), &cert).unwrap();
        std::fs::write(dir.join("key.pem"), &key).unwrap();
        let config = crate::config::TlsConfig {
            cert_file: Some(dir.join("cert.pem")),
            key_file: Some(dir.join("key.pem")),
            client_ca_file: None,
            probe_name: None,
        };
        let admission = Admission { tls: Admission::tls(&config).unwrap(), ..Admission::open() };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let ready = crate::service::Readiness::default();
        tokio::spawn(async move { serve(listener, vec![], &["test.v1.Test"], ready, admission, stop).await });

        use tonic::transport::{Certificate, Channel, ClientTlsConfig};
        let check = |channel: Channel| async move {
            HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await
        };
        let trusting = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&cert)).domain_name("localhost");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let channel = loop {
            let endpoint =
                Channel::from_shared(format!("https://{addr}")).unwrap().tls_config(trusting.clone()).unwrap();
            match endpoint.connect().await {
                Ok(c) => break c,
                Err(e) => {
                    assert!(std::time::Instant::now() < deadline, "no TLS connection: {e:?}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        };
        assert!(check(channel).await.is_ok(), "a caller trusting the certificate is answered");

        let plain = Channel::from_shared(format!("http://{addr}")).unwrap().connect_lazy();
        assert!(check(plain).await.is_err(), "plaintext gets no answer");
        let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap().cert.pem();
        let distrusting =
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(stranger)).domain_name("localhost");
        let doubtful = Channel::from_shared(format!("https://{addr}")).unwrap().tls_config(distrusting).unwrap();
        assert!(doubtful.connect().await.is_err(), "a caller that does not trust the certificate does not connect");
        // The container health check speaks TLS to it; in plaintext it
        // would fail, as it did before it knew TLS.
        probe(addr, &config).await.expect("the health probe over TLS");
        assert!(probe(addr, &crate::config::TlsConfig::default()).await.is_err(), "a plaintext probe");
        shutdown.cancel();
    }
}
