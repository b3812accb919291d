//! The event tools of the `dualnet` CLI against a running system over Kafka:
//! `events tail` prints the acceptance path's events as readable JSON, and
//! `deadletter list|retry|discard` handle a poison record, and `events
//! replay` rebuilds a read model; `bench` measures every complaint into
//! both networks.

#![allow(clippy::too_many_lines)]

use dualnet_e2e::{System, WAIT};
use dualnet_events::{
    Envelope, Record, Transport,
    kafka::{KafkaSettings, KafkaTransport},
};
use dualnet_proto::{complaints::v1 as cpb, topics};
use dualnet_testkit::{admin_url, binary, kafka_bootstrap, wait_for};
use serde_json::Value;

async fn pending(system: &System, n: usize) -> Vec<Value> {
    wait_for(&format!("{n} pending dead letters"), WAIT, || async move {
        let list = system.dualnet(&["deadletter", "list"]);
        (list.len() == n).then_some(list)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_tail_prints_the_chain_dead_letters_are_retried_and_discarded_and_replay_rebuilds_a_read_model() {
    let mut system = System::start().await;
    let seed = system.seed(false).await;
    let noise = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::Hotline as i32,
        description: "noise".into(),
        ..Default::default()
    };
    let filed = system.file_at(&seed, noise).await;
    system.incident_of(&filed.id).await;

    let lines = system.dualnet(&["events", "tail", "--correlation-id", &filed.correlation_id, "--idle-ms", "3000"]);
    let of = |ty: &str| lines.iter().find(|l| l["ce"]["type"] == ty).unwrap_or_else(|| panic!("{ty} in {lines:#?}"));
    let complaint = of("dualnet.complaints.v1.ComplaintFiled");
    assert_eq!(complaint["data"]["complaintId"], filed.id.as_str());
    assert_eq!(complaint["data"]["category"], "noise");
    assert_eq!(complaint["topic"], topics::COMPLAINTS);
    let opened = of("dualnet.governance.v1.IncidentOpened");
    assert_eq!(opened["data"]["complaintId"], filed.id.as_str());
    assert_eq!(opened["data"]["gridId"], seed.grid_id.as_str());
    assert!(lines.iter().all(|l| l["ce"]["correlationid"] == filed.correlation_id.as_str()));
    let only =
        system.dualnet(&["events", "tail", "--type", "IncidentOpened", "--subject", opened["key"].as_str().unwrap()]);
    assert_eq!(only.len(), 1);

    // A record no consumer can decode: governance-grid and arbitration both
    // dead-letter it and carry on.
    let mut settings = KafkaSettings::new(kafka_bootstrap());
    settings.namespace = system.namespace.clone();
    let kafka = KafkaTransport::new(settings).unwrap();
    let poison = uuid::Uuid::now_v7();
    let envelope = Envelope {
        id: uuid::Uuid::now_v7(),
        source: "/dualnet/complaints".into(),
        ty: "dualnet.complaints.v1.ComplaintFiled".into(),
        subject: poison.to_string(),
        time: chrono::Utc::now(),
        correlation_id: poison,
        causation_id: None,
        traceparent: None,
        tracestate: None,
    };
    let record = Record {
        topic: topics::COMPLAINTS.into(),
        key: poison.to_string(),
        headers: envelope.to_headers(),
        payload: vec![0xff, 0xff, 0xff],
    };
    kafka.publisher().publish(&[record]).await.unwrap();
    let listed = pending(&system, 2).await;
    assert!(listed.iter().all(|l| l["key"] == poison.to_string().as_str()));
    assert!(listed.iter().all(|l| l["deadletter"]["dl_origin_topic"] == topics::COMPLAINTS));
    assert!(listed.iter().all(|l| l["data"]["undecodable"].is_string()), "{listed:#?}");

    // Retried, it goes back to its topic and both consumers try it again;
    // who retried is required and recorded.
    let anonymous = system.dualnet_output(&["deadletter", "retry", "--count", "1"]);
    assert!(!anonymous.status.success() && String::from_utf8_lossy(&anonymous.stderr).contains("--actor"));
    let retried = system.dualnet(&["deadletter", "retry", "--count", "1", "--actor", "ops-1"]);
    assert_eq!(retried.len(), 1);
    pending(&system, 3).await;
    let again = system.dualnet(&["events", "tail", "--topic", topics::COMPLAINTS, "--subject", &poison.to_string()]);
    assert_eq!(again.len(), 2, "published once, retried once");
    let discarded = system.dualnet(&["deadletter", "discard", "--actor", "ops-1"]);
    assert_eq!(discarded.len(), 3);
    assert!(system.dualnet(&["deadletter", "list"]).is_empty(), "nothing pending after the discard");

    // A forged dead letter — anyone who can write to the dead-letter topic
    // can name any origin — is not republished: not to a topic that is not
    // dualnet's, not as an event of another service.
    let forged = uuid::Uuid::now_v7();
    for (origin, source) in [("dualnet.governance.v1", "/dualnet/complaints"), ("payments.v1", "/dualnet/complaints")] {
        let mut headers = Envelope { subject: forged.to_string(), ..envelope.clone() }.to_headers();
        headers.push(dualnet_events::Header::new("dl_origin_topic", origin));
        headers.retain(|h| h.name != "ce_source");
        headers.push(dualnet_events::Header::new("ce_source", source));
        let dead = Record { topic: "dualnet.deadletter.v1".into(), key: forged.to_string(), headers, payload: vec![1] };
        kafka.publisher().publish(&[dead]).await.unwrap();
        pending(&system, 1).await;
        let refused = system.dualnet_output(&["deadletter", "retry", "--actor", "ops-1"]);
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success() && said.contains("refused"), "{said}");
        assert_eq!(system.dualnet(&["deadletter", "list"]).len(), 1, "still pending");
        system.dualnet(&["deadletter", "discard", "--actor", "ops-1"]);
    }
    let leaked = system.dualnet(&["events", "tail", "--topic", topics::GOVERNANCE, "--subject", &forged.to_string()]);
    assert!(leaked.is_empty(), "nothing reached governance-grid's topic: {leaked:#?}");
    let audit = system.dualnet(&["events", "tail", "--topic", "dualnet.audit.v1"]);
    let of = |ty: &str| audit.iter().filter(|l| l["ce"]["type"] == ty).count();
    assert_eq!((of("dualnet.audit.v1.DeadLetterRetried"), of("dualnet.audit.v1.DeadLetterDiscarded")), (1, 5));
    assert!(audit.iter().all(|l| l["data"]["actor"] == "ops-1"), "{audit:#?}");

    // Replay rebuilds a read model: complaints' map is wiped with the inbox
    // rows of the events that fed it, its group rewound, and on restart it
    // knows the building again — and applies nothing else twice.
    system.complaints.kill().await;
    let db = sqlx::PgPool::connect(system.database("complaints")).await.unwrap();
    for sql in [
        "DELETE FROM known_buildings",
        "DELETE FROM known_grids",
        "DELETE FROM event_inbox WHERE consumer = 'complaints' AND event_type IN
             ('dualnet.governance.v1.GridCreated', 'dualnet.governance.v1.BuildingCreated')",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    let rewound = system.dualnet(&[
        "events",
        "replay",
        "--group",
        "complaints",
        "--topic",
        topics::GOVERNANCE,
        "--to-offset",
        "0",
    ]);
    assert!(!rewound.is_empty() && rewound.iter().all(|r| r["next_offset"] == 0), "{rewound:?}");
    system.complaints.restart().await.unwrap();
    let complaints = system.complaints().await;
    wait_for("the rebuilt map to place a request", WAIT, || {
        let mut c = complaints.clone();
        let building = seed.building_id.clone();
        async move {
            let req = cpb::FileComplaintRequest {
                kind: cpb::RequestKind::Consultation as i32,
                category: "policy".into(),
                channel: cpb::Channel::App as i32,
                building_id: building,
                description: "opening hours".into(),
                ..Default::default()
            };
            let filed = c.file_complaint(req).await.unwrap().into_inner();
            (!filed.grid_id.is_empty()).then_some(())
        }
    })
    .await;
    let first = complaints
        .clone()
        .get_complaint(cpb::GetComplaintRequest { id: filed.id.clone(), ..Default::default() })
        .await
        .unwrap();
    let dispatches = first.into_inner().status_notes.iter().filter(|n| n.note.starts_with("dispatched")).count();
    assert_eq!(dispatches, 1, "the replayed incident event was not applied twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_reports_every_complaint_in_both_networks_beside_the_floor() {
    let system = System::start().await;
    let complaints_pid = system.complaints.pid().expect("complaints runs");
    let out = tokio::process::Command::new(binary("dualnet"))
        .args(["bench", "--complaints", "20", "--rate", "20", "--floor-samples", "5", "--json", "-"])
        .args(["--governance", &system.governance.endpoint(), "--party", &system.party.endpoint()])
        .args(["--complaints-endpoint", &system.complaints.endpoint()])
        .args(["--process", &format!("complaints={complaints_pid}")])
        .env("DUALNET_TRANSPORT__KIND", "kafka")
        .env("DUALNET_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap())
        .env("DUALNET_KAFKA__NAMESPACE", &system.namespace)
        .env("DUALNET_DATABASE__URL", admin_url())
        .env("DUALNET_TELEMETRY__LOG", "warn")
        .output()
        .await
        .expect("dualnet bench runs");
    assert!(out.status.success(), "dualnet bench: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["filed"], 20);
    assert_eq!(report["failed"], 0);
    assert_eq!(report["in_both_networks"], 20, "each complaint's linkage task was seen on the broker");
    assert_eq!(report["linkage"]["n"], 20);
    assert!(report["linkage"]["p50_ms"].as_f64().unwrap() <= report["linkage"]["max_ms"].as_f64().unwrap());
    assert_eq!(report["floor"]["broker_round_trip"]["n"], 5);
    assert_eq!(report["floor"]["pg_commit"]["n"], 5);
    assert!(report["linkage_over_floor"]["p50"].is_number());
    let processes = report["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 1);
    assert_eq!(processes[0]["name"], "complaints");
    assert!(processes[0]["peak_rss_mib"].as_f64().unwrap() > 1.0, "{processes:?}");
    assert!(report["throughput_per_s"]["in_both_networks"].as_f64().unwrap() > 0.0);
}
