//! The example subscribers for other systems (examples/: Python with the
//! CloudEvents SDK 2.x, Java with the Apache Kafka client and the CloudEvents
//! Java SDK, Go with Sarama and the CloudEvents Go SDK) read the real broker
//! as a department's system would. Each must decode every record exactly as
//! dualnet's own contract does, reject what is not one of dualnet's
//! CloudEvents, and notice a subject's events out of order. `scripts/test`
//! builds them (`DUALNET_TEST_PYTHON`, `DUALNET_TEST_JAVA_SUBSCRIBER`,
//! `DUALNET_TEST_GO_SUBSCRIBER`).

#![allow(clippy::too_many_lines)]

use std::collections::{BTreeSet, HashMap};

use dualnet_e2e::{System, WAIT};
use dualnet_events::{
    Envelope, Header, Record, Transport,
    kafka::{KafkaSettings, KafkaTransport},
};
use dualnet_proto::{complaints::v1 as cpb, partygrid::v1 as party, topics};
use dualnet_testkit::{binary, kafka_bootstrap, tool, unique, wait_for};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use serde_json::Value;

const EVENT_TOPICS: [&str; 4] = [topics::GOVERNANCE, topics::PARTYGRID, topics::COMPLAINTS, topics::ARBITRATION];

/// The three examples, each as the command that runs it.
fn examples() -> Vec<(&'static str, Vec<String>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    vec![
        (
            "python",
            vec![
                tool("DUALNET_TEST_PYTHON"),
                root.join("examples/python/subscriber.py").to_string_lossy().into_owned(),
            ],
        ),
        ("java", vec!["java".into(), "-jar".into(), tool("DUALNET_TEST_JAVA_SUBSCRIBER")]),
        ("go", vec![tool("DUALNET_TEST_GO_SUBSCRIBER")]),
    ]
}

/// What one example printed, and whether it exited successfully.
struct Run {
    name: &'static str,
    ok: bool,
    lines: Vec<Value>,
    stderr: String,
}

impl Run {
    fn events(&self) -> HashMap<String, &Value> {
        self.lines.iter().filter(|l| l["id"].is_string()).map(|l| (l["id"].as_str().unwrap().to_string(), l)).collect()
    }

    fn rejected(&self) -> Vec<&Value> {
        self.lines.iter().filter(|l| l["rejected"].is_string()).collect()
    }

    fn disordered(&self) -> Vec<&Value> {
        self.lines.iter().filter(|l| l["disorder"].is_string()).collect()
    }
}

/// Runs every example at once on `topics` (already namespaced) until they
/// have been quiet for a few seconds.
async fn run_examples(topics: &[String]) -> Vec<Run> {
    let protoset = std::env::temp_dir().join(format!("dualnet-{}.protoset", uuid::Uuid::now_v7()));
    let out = std::process::Command::new(binary("dualnet")).arg("descriptor-set").output().unwrap();
    assert!(out.status.success());
    std::fs::write(&protoset, out.stdout).unwrap();
    let runs = examples().into_iter().map(|(name, command)| {
        let mut c = tokio::process::Command::new(&command[0]);
        c.args(&command[1..]).args(["--bootstrap", &kafka_bootstrap(), "--group", &unique(name)]);
        for t in topics {
            c.args(["--topic", t]);
        }
        c.arg("--protoset").arg(&protoset).args(["--timeout", &WAIT.as_secs().to_string(), "--idle", "5"]);
        async move {
            let out = tokio::time::timeout(WAIT * 2, c.output())
                .await
                .unwrap_or_else(|_| panic!("the {name} example finishes"))
                .unwrap_or_else(|e| panic!("the {name} example starts: {e}"));
            let stdout = String::from_utf8(out.stdout).expect("UTF-8");
            let lines = stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name} printed no JSON ({e}): {l}")))
                .collect();
            Run { name, ok: out.status.success(), lines, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
        }
    });
    let handles: Vec<_> = runs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("the example's run"));
    }
    std::fs::remove_file(&protoset).ok();
    out
}

/// Numbers compared by value: JSON printers differ on `1` and `1.0`.
fn normal(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(normal).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), normal(v))).collect()),
        other => other.clone(),
    }
}

/// In each example's output, each subject's events in offset order.
fn assert_in_order(run: &Run) {
    let mut last: HashMap<(String, String), i64> = HashMap::new();
    for l in run.lines.iter().filter(|l| l["id"].is_string()) {
        let at = (l["topic"].as_str().unwrap().to_string(), l["subject"].as_str().unwrap().to_string());
        let offset = l["offset"].as_i64().unwrap();
        if let Some(before) = last.insert(at.clone(), offset) {
            assert!(offset > before, "{}: {at:?} at offset {offset} after {before}", run.name);
        }
    }
}

fn publisher(namespace: &str) -> KafkaTransport {
    let mut settings = KafkaSettings::new(kafka_bootstrap());
    settings.namespace = namespace.to_string();
    KafkaTransport::new(settings).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_subscriber_reads_a_live_systems_events_as_dualnet_does() {
    let system = System::start().await;
    let seed = system.seed(true).await;
    let noise = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: cpb::Channel::Hotline as i32,
        description: "karaoke after midnight".into(),
        resident_name: "赵先生".into(),
        ..Default::default()
    };
    let filed = system.file_at(&seed, noise).await;
    let mut labour = system.complaints().await;
    labour
        .file_complaint(cpb::FileComplaintRequest {
            kind: cpb::RequestKind::Complaint as i32,
            category: "labour.wage_arrears".into(),
            channel: cpb::Channel::WalkIn as i32,
            description: "wages unpaid since the factory moved".into(),
            enterprise_id: uuid::Uuid::now_v7().to_string(),
            workers: 12,
            ..Default::default()
        })
        .await
        .unwrap();
    let incident = system.incident_of(&filed.id).await;
    let p = system.party().await;
    wait_for("the branch and the building group tasked", WAIT, || {
        let mut p = p.clone();
        let id = incident.id.clone();
        async move {
            let req = party::ListLinkageTasksRequest { incident_id: id, ..Default::default() };
            (p.list_linkage_tasks(req).await.unwrap().into_inner().tasks.len() == 2).then_some(())
        }
    })
    .await;

    // A record without ce_specversion among the real ones: the SDKs take it
    // for a CloudEvent, a careful subscriber does not.
    let poison = uuid::Uuid::now_v7().to_string();
    let mut headers = Envelope {
        id: uuid::Uuid::now_v7(),
        source: "/dualnet/complaints".into(),
        ty: "dualnet.complaints.v1.ComplaintFiled".into(),
        subject: poison.clone(),
        time: chrono::Utc::now(),
        correlation_id: uuid::Uuid::now_v7(),
        causation_id: None,
        traceparent: None,
        tracestate: None,
    }
    .to_headers();
    headers.retain(|h| h.name != "ce_specversion");
    let record = Record { topic: topics::COMPLAINTS.into(), key: poison.clone(), headers, payload: Vec::new() };
    publisher(&system.namespace).publisher().publish(&[record]).await.unwrap();
    // Both of its consumers have dead-lettered it: every service is done.
    wait_for("the record dead-lettered by governance-grid and arbitration", WAIT, || async {
        (system.dead_letters().len() == 2).then_some(())
    })
    .await;

    // dualnet's own reading of the same topics is the reference.
    let reference: HashMap<String, Value> = system
        .dualnet(&["events", "tail", "--idle-ms", "3000"])
        .into_iter()
        .filter(|l| l["ce"]["id"].is_string() && l["topic"] != "dualnet.deadletter.v1")
        .map(|l| (l["ce"]["id"].as_str().unwrap().to_string(), l))
        .collect();
    let types: BTreeSet<&str> = reference.values().map(|l| l["ce"]["type"].as_str().unwrap()).collect();
    let from: BTreeSet<&str> = reference.values().map(|l| l["topic"].as_str().unwrap()).collect();
    assert_eq!(from, BTreeSet::from(EVENT_TOPICS), "events of all four services");
    assert!(types.len() >= 10, "a chain of many event types: {types:?}");

    let topics: Vec<String> = EVENT_TOPICS.iter().map(|t| format!("{}{t}", system.namespace)).collect();
    for run in run_examples(&topics).await {
        let name = run.name;
        assert!(run.ok, "{name} exited with an error: {}", run.stderr);
        assert!(run.disordered().is_empty(), "{name}: {:?}", run.disordered());
        let rejected = run.rejected();
        assert_eq!(rejected.len(), 1, "{name} rejects the one record that is no CloudEvent: {rejected:?}");
        assert_eq!(rejected[0]["key"], poison.as_str());
        assert_eq!(rejected[0]["rejected"], "no ce_specversion header", "{name}");
        let events = run.events();
        let ids: BTreeSet<&String> = events.keys().collect();
        assert_eq!(ids, reference.keys().collect(), "{name} reads every event, once");
        for (id, want) in &reference {
            let got = events[id];
            for (field, expected) in [
                ("type", &want["ce"]["type"]),
                ("subject", &want["ce"]["subject"]),
                ("correlationid", &want["ce"]["correlationid"]),
                ("source", &want["ce"]["source"]),
            ] {
                assert_eq!(&got[field], expected, "{name}: {field} of {id}");
            }
            assert_eq!(normal(&got["data"]), normal(&want["data"]), "{name} decodes {} as dualnet", want["ce"]["type"]);
        }
        assert_in_order(&run);
        let line = serde_json::to_string(&run.lines).unwrap();
        assert!(!line.contains("赵先生"), "no personal data in any event");
    }
}

/// The example of every event type in docs/asyncapi.json, as records on
/// the wire: fresh ids, the payload protobuf-encoded.
fn contract_examples(pool: &DescriptorPool) -> Vec<(Record, Value)> {
    let doc: Value = serde_json::from_str(include_str!("../../docs/asyncapi.json")).unwrap();
    let mut out = Vec::new();
    for (name, message) in doc["components"]["messages"].as_object().unwrap() {
        let Some(example) = message["examples"].get(0) else { continue };
        let desc = pool.get_message_by_name(name).unwrap_or_else(|| panic!("{name} in the contract"));
        let dynamic = DynamicMessage::deserialize(desc, &example["payload"]).unwrap();
        let topic = name.rsplit_once('.').unwrap().0.to_string();
        let subject = uuid::Uuid::now_v7().to_string();
        let mut headers: Vec<Header> = example["headers"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "ce_id" | "ce_subject"))
            .map(|(k, v)| Header::new(k, v.as_str().unwrap()))
            .collect();
        headers.push(Header::new("ce_id", uuid::Uuid::now_v7().to_string()));
        headers.push(Header::new("ce_subject", &subject));
        let record = Record { topic, key: subject, headers, payload: dynamic.encode_to_vec() };
        out.push((record, serde_json::to_value(&dynamic).unwrap()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_subscriber_decodes_every_event_type_and_sees_a_subject_out_of_order() {
    let pool = DescriptorPool::decode(dualnet_proto::FILE_DESCRIPTOR_SET).unwrap();
    let examples = contract_examples(&pool);
    assert!(examples.len() >= 49, "every event type: {}", examples.len());
    // A subject whose second event says it happened before its first.
    let (first, _) = examples.iter().find(|(r, _)| r.topic == topics::GOVERNANCE).unwrap().clone();
    let mut second = first.clone();
    for h in &mut second.headers {
        match h.name.as_str() {
            "ce_id" => *h = Header::new("ce_id", uuid::Uuid::now_v7().to_string()),
            "ce_time" => *h = Header::new("ce_time", "2020-01-01T00:00:00Z"),
            _ => {}
        }
    }
    let namespace = format!("{}.", unique("examples"));
    let kafka = publisher(&namespace);
    kafka.ensure_topics(&EVENT_TOPICS.map(String::from)).await.unwrap();
    let mut records: Vec<Record> = examples.iter().map(|(r, _)| r.clone()).collect();
    records.push(second.clone());
    kafka.publisher().publish(&records).await.unwrap();

    let topics: Vec<String> = EVENT_TOPICS.iter().map(|t| format!("{namespace}{t}")).collect();
    for run in run_examples(&topics).await {
        let name = run.name;
        assert!(run.rejected().is_empty(), "{name}: {:?}", run.rejected());
        let events = run.events();
        assert_eq!(events.len(), examples.len() + 1, "{name}: {}", run.stderr);
        for (record, want) in &examples {
            let id = record.headers.iter().find(|h| h.name == "ce_id").unwrap().value_str().unwrap();
            let got = events.get(id).unwrap_or_else(|| panic!("{name} printed {id}"));
            let ty = record.headers.iter().find(|h| h.name == "ce_type").unwrap().value_str().unwrap();
            assert_eq!(got["type"], ty, "{name}");
            assert_eq!(normal(&got["data"]), normal(want), "{name} decodes {ty} as dualnet");
        }
        let disordered = run.disordered();
        assert_eq!(disordered.len(), 1, "{name} notices the event earlier than its predecessor: {disordered:?}");
        assert_eq!(disordered[0]["subject"], first.key.as_str());
        assert!(!run.ok, "{name} exits with an error after a disorder");
    }
}
