//! Metrics: OpenTelemetry instruments, exported over OTLP when an endpoint is
//! configured, and rendered in the Prometheus text format on `GET /metrics`
//! when `telemetry.metrics_listen` is set.

use std::{fmt::Write as _, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use opentelemetry::KeyValue;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    metrics::{
        InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
        data::{AggregatedMetrics, MetricData, ResourceMetrics},
        reader::MetricReader,
    },
};
use tokio_util::sync::CancellationToken;

use crate::config::TelemetryConfig;

/// The reader `/metrics` collects from, shared with the provider.
#[derive(Debug, Clone)]
struct SharedReader(Arc<ManualReader>);

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: std::sync::Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// Flushes and stops metric export when dropped.
pub struct Metrics {
    provider: SdkMeterProvider,
    reader: SharedReader,
}

impl Drop for Metrics {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Installs the global meter provider of this process.
pub fn init(service: &str, config: &TelemetryConfig) -> anyhow::Result<Arc<Metrics>> {
    let reader = SharedReader(Arc::new(ManualReader::builder().build()));
    let mut builder = SdkMeterProvider::builder()
        .with_resource(Resource::builder().with_service_name(service.to_string()).build())
        .with_reader(reader.clone());
    if let Some(endpoint) = &config.otlp_endpoint {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .context("building the OTLP metric exporter")?;
        builder = builder.with_periodic_exporter(exporter);
    }
    let provider = builder.build();
    opentelemetry::global::set_meter_provider(provider.clone());
    Ok(Arc::new(Metrics { provider, reader }))
}

/// `dualnet.events.applied` → `dualnet_events_applied`.
fn prom_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

fn labels(attrs: &mut dyn Iterator<Item = &KeyValue>, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = attrs
        .map(|kv| {
            let v = kv.value.to_string().replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            format!("{}=\"{v}\"", prom_name(kv.key.as_str()))
        })
        .collect();
    parts.sort();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() { String::new() } else { format!("{{{}}}", parts.join(",")) }
}

fn render<T: Copy + std::fmt::Display>(out: &mut String, name: &str, help: &str, data: &MetricData<T>) {
    let name = prom_name(name);
    match data {
        MetricData::Sum(sum) => {
            let total = format!("{name}_total");
            let _ = writeln!(out, "# HELP {total} {help}\n# TYPE {total} counter");
            for p in sum.data_points() {
                let _ = writeln!(out, "{total}{} {}", labels(&mut p.attributes(), None), p.value());
            }
        }
        MetricData::Gauge(gauge) => {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for p in gauge.data_points() {
                let _ = writeln!(out, "{name}{} {}", labels(&mut p.attributes(), None), p.value());
            }
        }
        MetricData::Histogram(h) => {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
            for p in h.data_points() {
                let mut cumulative = 0;
                for (bound, count) in p.bounds().zip(p.bucket_counts()) {
                    cumulative += count;
                    let l = labels(&mut p.attributes(), Some(("le", bound.to_string())));
                    let _ = writeln!(out, "{name}_bucket{l} {cumulative}");
                }
                let l = labels(&mut p.attributes(), Some(("le", "+Inf".into())));
                let _ = writeln!(out, "{name}_bucket{l} {}", p.count());
                let l = labels(&mut p.attributes(), None);
                let _ = writeln!(out, "{name}_sum{l} {}\n{name}_count{l} {}", p.sum(), p.count());
            }
        }
        MetricData::ExponentialHistogram(_) => {}
    }
}

impl Metrics {
    /// Every instrument's current values, in the Prometheus text format.
    pub fn prometheus(&self) -> String {
        let mut rm = ResourceMetrics::default();
        if let Err(e) = self.reader.collect(&mut rm) {
            return format!("# collection failed: {e}\n");
        }
        let mut out = String::new();
        for scope in rm.scope_metrics() {
            for m in scope.metrics() {
                match m.data() {
                    AggregatedMetrics::F64(d) => render(&mut out, m.name(), m.description(), d),
                    AggregatedMetrics::U64(d) => render(&mut out, m.name(), m.description(), d),
                    AggregatedMetrics::I64(d) => render(&mut out, m.name(), m.description(), d),
                }
            }
        }
        out
    }
}

/// One gRPC call: counted by method and status code, timed by method.
pub fn grpc_call(rpc: &str, code: &str, took: Duration) {
    use std::sync::OnceLock;
    static I: OnceLock<(opentelemetry::metrics::Counter<u64>, opentelemetry::metrics::Histogram<f64>)> =
        OnceLock::new();
    let (calls, seconds) = I.get_or_init(|| {
        let m = opentelemetry::global::meter("dualnet");
        (
            m.u64_counter("dualnet.grpc.requests").with_description("gRPC calls by method and status code").build(),
            m.f64_histogram("dualnet.grpc.seconds")
                .with_description("gRPC call latency by method")
                .with_boundaries(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
                .build(),
        )
    });
    let rpc = KeyValue::new("rpc", rpc.to_string());
    calls.add(1, &[rpc.clone(), KeyValue::new("code", code.to_string())]);
    seconds.record(took.as_secs_f64(), &[rpc]);
}

/// Whether `service`'s database answered its last probe (1) or not (0).
pub fn database_reachable(service: &str, answered: bool) {
    use std::sync::OnceLock;
    static G: OnceLock<opentelemetry::metrics::Gauge<u64>> = OnceLock::new();
    let gauge = G.get_or_init(|| {
        opentelemetry::global::meter("dualnet")
            .u64_gauge("dualnet.database.up")
            .with_description("whether the service's database answered its last probe (1) or not (0)")
            .build()
    });
    gauge.record(u64::from(answered), &[KeyValue::new("service", service.to_string())]);
}

/// Days until the last year of the holiday calendar ends, told in seconds
/// (Prometheus's base unit: `dualnet_calendar_remaining_seconds`).
pub fn calendar_days_left(days: i64) {
    use std::sync::OnceLock;
    static G: OnceLock<opentelemetry::metrics::Gauge<i64>> = OnceLock::new();
    let gauge = G.get_or_init(|| {
        opentelemetry::global::meter("dualnet")
            .i64_gauge("dualnet.calendar.remaining_seconds")
            .with_description(
                "seconds until the last year of the holiday calendar ends (load the next year's schedule before 0)",
            )
            .build()
    });
    gauge.record(days * 86_400, &[]);
}

/// Serves `GET /metrics` until `shutdown`.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding metrics on {addr}"))?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move { ([("content-type", "text/plain; version=0.0.4")], metrics.prometheus()) }
        }),
    );
    let addr = listener.local_addr()?;
    crate::addresses::bound("metrics", addr);
    tracing::info!(%addr, "metrics on /metrics");
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await?;
    Ok(())
}
