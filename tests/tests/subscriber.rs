//! The example subscriber for other systems (`examples/python/consumer.py`:
//! confluent-kafka and the CloudEvents SDK) decodes a real event of a
//! running system. `scripts/test` prepares its Python (`DUALNET_TEST_PYTHON`).

#![allow(clippy::too_many_lines)]

use dualnet_e2e::{System, WAIT};
use dualnet_proto::{complaints::v1 as cpb, topics};
use dualnet_testkit::{binary, kafka_bootstrap};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_decodes_a_complaint_filed_event() {
    let python = std::env::var("DUALNET_TEST_PYTHON")
        .expect("DUALNET_TEST_PYTHON names a Python with examples/python/requirements.txt (scripts/test sets it)");
    let system = System::start().await;
    let mut complaints = system.complaints().await;
    let filed = complaints
        .file_complaint(cpb::FileComplaintRequest {
            kind: cpb::RequestKind::Complaint as i32,
            category: "refuse".into(),
            channel: cpb::Channel::WechatGroup as i32,
            description: "bins overflowing".into(),
            resident_name: "赵先生".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let protoset = std::env::temp_dir().join(format!("dualnet-{}.protoset", uuid::Uuid::now_v7()));
    let out = std::process::Command::new(binary("dualnet")).arg("descriptor-set").output().unwrap();
    assert!(out.status.success());
    std::fs::write(&protoset, out.stdout).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python/consumer.py");
    let topic = format!("{}{}", system.namespace, topics::COMPLAINTS);
    let run = tokio::process::Command::new(python)
        .arg(script)
        .args(["--bootstrap", &kafka_bootstrap(), "--topic", &topic, "--count", "1"])
        .arg("--protoset")
        .arg(&protoset)
        .args(["--timeout", &WAIT.as_secs().to_string()])
        .output();
    let out = tokio::time::timeout(WAIT * 2, run).await.expect("the example finishes").unwrap();
    std::fs::remove_file(&protoset).ok();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    let event: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    assert_eq!(event["type"], "dualnet.complaints.v1.ComplaintFiled");
    assert_eq!(event["subject"], filed.id.as_str());
    assert_eq!(event["correlationid"], filed.correlation_id.as_str());
    assert_eq!(event["data"]["complaintId"], filed.id.as_str());
    assert_eq!(event["data"]["category"], "refuse");
    assert!(!line.contains("赵先生"), "no personal data");
}
