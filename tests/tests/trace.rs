//! One trace per complaint, read back from a real Jaeger: the four services
//! as separate processes export their spans over OTLP to Jaeger v2
//! (`DUALNET_TEST_JAEGER`, in-memory storage), and a labour complaint filed
//! at a building yields one connected trace in Jaeger's query API —
//! FileComplaint in complaints, the incident in governance-grid, the
//! linkage task in party-grid, the draft case in arbitration, and back in
//! complaints.

#![allow(clippy::too_many_lines)]

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    process::Stdio,
};

use dualnet_e2e::{System, WAIT};
use dualnet_proto::complaints::v1 as cpb;
use dualnet_testkit::{http_json, tool, wait_for};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, trace_service_client::TraceServiceClient,
};
use serde_json::Value;

/// Jaeger v2: an OTLP gRPC receiver into in-memory storage, and the query
/// service; every port chosen by the kernel.
const CONFIG: &str = r"
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memory:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memory
    http:
      endpoint: 127.0.0.1:0
    grpc:
      endpoint: 127.0.0.1:0
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
exporters:
  jaeger_storage_exporter:
    trace_storage: memory
";

struct Jaeger {
    _child: tokio::process::Child,
    config: std::path::PathBuf,
    /// The OTLP gRPC receiver.
    otlp: SocketAddr,
    /// The query service's HTTP API.
    query: SocketAddr,
}

/// The TCP ports process `pid` listens on, from /proc: its socket inodes
/// matched against the kernel's table of listening sockets.
fn listening(pid: u32) -> Vec<SocketAddr> {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|l| Some(l.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local address, state 0A (LISTEN), inode
            (f.len() > 9 && f[3] == "0A" && inodes.contains(f[9])).then_some(f[1])?.split_once(':').and_then(
                |(ip, port)| {
                    let ip = u32::from_str_radix(ip, 16).ok()?.swap_bytes();
                    let port = u16::from_str_radix(port, 16).ok()?;
                    Some(SocketAddr::from((std::net::Ipv4Addr::from(ip), port)))
                },
            )
        })
        .collect()
}

impl Jaeger {
    /// Starts Jaeger and finds its three ports: the one answering
    /// `/api/services` is the query API; of the other two, the one that
    /// accepts an OTLP export is the receiver (the other is the query
    /// service's gRPC face).
    async fn start() -> Self {
        let config = std::env::temp_dir().join(format!("{}.yaml", dualnet_testkit::unique("jaeger")));
        std::fs::write(&config, CONFIG).unwrap();
        let child = tokio::process::Command::new(tool("DUALNET_TEST_JAEGER"))
            .arg("--config")
            .arg(format!("file:{}", config.display()))
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("Jaeger starts");
        let pid = child.id().unwrap();
        let ports = wait_for("Jaeger listening on its three ports", WAIT, || async move {
            let ports = listening(pid);
            (ports.len() == 3).then_some(ports)
        })
        .await;
        let mut query = None;
        let mut otlp = None;
        for port in ports {
            if matches!(http_json(port, "GET", "/api/services", "", b"").await, Ok((200, _))) {
                query = Some(port);
                continue;
            }
            let Ok(mut client) = TraceServiceClient::connect(format!("http://{port}")).await else { continue };
            if client.export(ExportTraceServiceRequest::default()).await.is_ok() {
                otlp = Some(port);
            }
        }
        Self {
            _child: child,
            config,
            otlp: otlp.expect("Jaeger's OTLP receiver"),
            query: query.expect("Jaeger's query API"),
        }
    }

    /// Jaeger's traces that include spans of `service`.
    async fn traces(&self, service: &str) -> Vec<Value> {
        let path = format!("/api/traces?service={service}&limit=200&lookback=1h");
        match http_json(self.query, "GET", &path, "", b"").await {
            Ok((200, body)) => body["data"].as_array().cloned().unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

impl Drop for Jaeger {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.config);
    }
}

/// The services whose spans are in a Jaeger trace (`processes`).
fn services_of(trace: &Value) -> HashMap<String, String> {
    trace["processes"]
        .as_object()
        .map(|p| p.iter().map(|(id, p)| (id.clone(), p["serviceName"].as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labour_complaint_is_one_connected_trace_in_jaeger_across_the_four_services() {
    let jaeger = Jaeger::start().await;
    let system = System::start_with(vec![
        ("DUALNET_TELEMETRY__OTLP_ENDPOINT".into(), format!("http://{}", jaeger.otlp)),
        // Export spans every 200 ms instead of every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "200".into()),
    ])
    .await;
    let seed = system.seed(false).await;
    let labour = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "labour.wage_arrears".into(),
        channel: cpb::Channel::WalkIn as i32,
        description: "two months unpaid".into(),
        workers: 3,
        ..Default::default()
    };
    system.file_at(&seed, labour).await;

    // The trace of the accepted filing: the one with the complaint's id on
    // its FileComplaint span, once spans of all four services are in it,
    // complaints a second time among them (the dispatch).
    let four = ["complaints", "governance-grid", "party-grid", "arbitration"];
    let jaeger = &jaeger;
    let trace = wait_for("Jaeger to hold one trace with spans of all four services", WAIT, || async {
        jaeger.traces("complaints").await.into_iter().find(|trace| {
            let processes = services_of(trace);
            let spans = trace["spans"].as_array().cloned().unwrap_or_default();
            let named: HashSet<&str> = processes.values().map(String::as_str).collect();
            let dispatch = spans.iter().any(|s| {
                processes.get(s["processID"].as_str().unwrap_or("")).is_some_and(|p| p == "complaints")
                    && s["tags"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t["value"] == "dualnet.governance.v1.IncidentOpened"))
            });
            four.iter().all(|s| named.contains(s)) && dispatch
        })
    })
    .await;
    let processes = services_of(&trace);
    let spans = trace["spans"].as_array().unwrap();
    let service = |s: &Value| processes[s["processID"].as_str().unwrap()].clone();
    // Connected: one root (the FileComplaint request), every other span's
    // parent is in the trace.
    let ids: HashSet<&str> = spans.iter().map(|s| s["spanID"].as_str().unwrap()).collect();
    let parents = |s: &Value| -> Vec<String> {
        s["references"]
            .as_array()
            .map(|r| {
                r.iter().filter(|r| r["refType"] == "CHILD_OF").map(|r| r["spanID"].as_str().unwrap().into()).collect()
            })
            .unwrap_or_default()
    };
    let roots: Vec<&Value> = spans.iter().filter(|s| parents(s).is_empty()).collect();
    let names: Vec<(String, &Value)> = roots.iter().map(|s| (service(s), &s["operationName"])).collect();
    assert_eq!(roots.len(), 1, "one root: {names:?}");
    assert_eq!(service(roots[0]), "complaints");
    assert_eq!(roots[0]["operationName"], "dualnet.complaints.v1.Complaints/FileComplaint", "named by its method");
    for span in spans {
        for parent in parents(span) {
            assert!(
                ids.contains(parent.as_str()),
                "{} span {} has its parent in the trace",
                service(span),
                span["operationName"]
            );
        }
    }
}
