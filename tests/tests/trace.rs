//! One trace per complaint: the four services as separate processes export
//! their spans over OTLP to a receiver in this test, and a labour complaint
//! filed at a building yields one connected trace — FileComplaint in
//! complaints, the incident in governance-grid, the linkage task in
//! party-grid, the draft case in arbitration, and back in complaints.

#![allow(clippy::too_many_lines)]

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use dualnet_e2e::{System, WAIT};
use dualnet_proto::complaints::v1 as cpb;
use dualnet_testkit::wait_for;
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
    trace::v1::Span,
};
use tonic::{Request, Response, Status};

/// Every span received, with the service that sent it.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        req: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut spans = self.spans.lock().unwrap();
        for rs in req.into_inner().resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_ref()?.value.as_ref())
                .map(|v| match v {
                    Value::StringValue(s) => s.clone(),
                    other => format!("{other:?}"),
                })
                .unwrap_or_default();
            for ss in rs.scope_spans {
                spans.extend(ss.spans.into_iter().map(|s| (service.clone(), s)));
            }
        }
        Ok(Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labour_complaint_is_one_connected_trace_across_the_four_services() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(receiver.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    let system = System::start_with(vec![
        ("DUALNET_TELEMETRY__OTLP_ENDPOINT".into(), endpoint),
        // Export spans every 200 ms instead of every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "200".into()),
    ])
    .await;
    let seed = system.seed(false).await;
    let complaints = system.complaints().await;
    let filed = wait_for("the building to be known", WAIT, || {
        let mut c = complaints.clone();
        let building = seed.building_id.clone();
        async move {
            let req = cpb::FileComplaintRequest {
                kind: cpb::RequestKind::Complaint as i32,
                category: "labour.wage_arrears".into(),
                channel: cpb::Channel::WalkIn as i32,
                building_id: building,
                description: "two months unpaid".into(),
                workers: 3,
                ..Default::default()
            };
            let filed = c.file_complaint(req).await.unwrap().into_inner();
            (!filed.grid_id.is_empty()).then_some(filed)
        }
    })
    .await;

    // The trace of the accepted filing: the one whose spans came from all
    // four services, including complaints a second time (the dispatch).
    let services = ["complaints", "governance-grid", "party-grid", "arbitration"];
    let trace = wait_for("one trace with spans of all four services", WAIT, || {
        let spans = receiver.spans.lock().unwrap().clone();
        async move {
            let mut by_trace: HashMap<Vec<u8>, Vec<(String, Span)>> = HashMap::new();
            for (service, span) in spans {
                by_trace.entry(span.trace_id.clone()).or_default().push((service, span));
            }
            by_trace.into_values().find(|spans| {
                let names: HashSet<&str> = spans.iter().map(|(s, _)| s.as_str()).collect();
                let dispatch = spans.iter().any(|(s, span)| {
                    s == "complaints"
                        && span.attributes.iter().any(|a| {
                            a.value.as_ref().and_then(|v| v.value.as_ref()).is_some_and(
                                |v| matches!(v, Value::StringValue(t) if t == "dualnet.governance.v1.IncidentOpened"),
                            )
                        })
                });
                services.iter().all(|s| names.contains(s)) && dispatch
            })
        }
    })
    .await;
    let _ = filed;
    // Connected: one root (the FileComplaint request), every other span's
    // parent is in the trace.
    let ids: HashSet<&[u8]> = trace.iter().map(|(_, s)| s.span_id.as_slice()).collect();
    let roots: Vec<&(String, Span)> = trace.iter().filter(|(_, s)| s.parent_span_id.is_empty()).collect();
    assert_eq!(roots.len(), 1, "one root: {:?}", roots.iter().map(|(svc, s)| (svc, &s.name)).collect::<Vec<_>>());
    assert_eq!(roots[0].0, "complaints");
    for (service, span) in &trace {
        assert!(
            span.parent_span_id.is_empty() || ids.contains(span.parent_span_id.as_slice()),
            "{service} span {} has its parent in the trace",
            span.name
        );
    }
}
