//! Open311 reads as an attacker tries them, against complaints with keys
//! configured: without an api_key nothing is read unless public reads are
//! turned on; a key reads its own area only; and a public read never shows
//! a petition (信访), a report (举报), an on-behalf filing or a labour
//! complaint, nor a phone number, identity number, flat, exact point, staff
//! or department. And the face as others test it: schemathesis
//! (`DUALNET_TEST_SCHEMATHESIS`) drives it from its own OpenAPI document.

#![allow(clippy::too_many_lines)]

use dualnet_platform::{
    auth::{self, Claims, Scope},
    config::{AuthConfig, Secret},
};
use dualnet_proto::complaints::v1::{
    Channel as Intake, FileComplaintRequest, RequestKind, complaints_client::ComplaintsClient,
};
use dualnet_testkit::{ServiceProcess, fresh_database, http_json, kafka_bootstrap, tool, unique};
use serde_json::Value;
use tonic::{Request, transport::Channel};

const KEY: &str = "open311-key-0123456789abcdef01234567";

fn token(role: &str, department: &str) -> String {
    let config = AuthConfig {
        keys: [("k".to_string(), Secret::new(KEY))].into_iter().collect(),
        signing_kid: Some("k".into()),
        ..AuthConfig::default()
    };
    let claims = Claims::issue(&config, "probe-1", department, vec![role.into()], Scope::default(), 600);
    auth::mint(&config, &claims).unwrap()
}

async fn complaints(extra: &[(&str, &str)]) -> ServiceProcess {
    let mut env = vec![
        ("DUALNET_DATABASE__URL".to_string(), fresh_database("complaints").await),
        ("DUALNET_TRANSPORT__KIND".to_string(), "kafka".to_string()),
        ("DUALNET_KAFKA__BOOTSTRAP_SERVERS".to_string(), kafka_bootstrap()),
        ("DUALNET_KAFKA__NAMESPACE".to_string(), format!("{}.", unique("open311"))),
        ("DUALNET_AUTH__KEYS__K".to_string(), KEY.to_string()),
        ("DUALNET_OPEN311__LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    ServiceProcess::start("complaints", env).await.expect("complaints starts")
}

/// Files a request as an admin over gRPC; its id.
async fn file(channel: &Channel, kind: RequestKind, category: &str, intake: Intake, description: &str) -> String {
    let mut request = Request::new(FileComplaintRequest {
        kind: kind as i32,
        category: category.into(),
        channel: intake as i32,
        description: description.into(),
        address: "坂田街道城市广场3栋1203室".into(),
        latitude: Some(22.654_321),
        longitude: Some(114.065_912),
        filed_by: if intake == Intake::OnBehalf { "gw-0007".into() } else { String::new() },
        ..Default::default()
    });
    request.metadata_mut().insert("authorization", format!("Bearer {}", token("admin", "centre")).parse().unwrap());
    ComplaintsClient::new(channel.clone()).file_complaint(request).await.expect("filed").into_inner().id
}

/// GET `path` on the Open311 face, with `key` as `api_key` when given.
async fn get(p: &ServiceProcess, path: &str, key: Option<&str>) -> (u16, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let path = match key {
        Some(k) => format!("{path}{sep}api_key={k}"),
        None => path.to_string(),
    };
    http_json(p.bound("open311").expect("Open311 bound"), "GET", &path, "", b"").await.unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        list.as_array().expect("a list").iter().map(|r| r["service_request_id"].as_str().unwrap().into()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_nothing_is_read_and_a_key_reads_its_own_area_only() {
    let p = complaints(&[]).await;
    let channel = Channel::from_shared(p.endpoint()).unwrap().connect().await.unwrap();
    let id = file(&channel, RequestKind::Complaint, "noise", Intake::Hotline, "张三 13800138000 楼上噪音").await;

    let (status, _) = get(&p, "/open311/v2/requests.json", None).await;
    assert_eq!(status, 401, "a keyless list: public reads are off by default");
    let (status, _) = get(&p, &format!("/open311/v2/requests/{id}.json"), None).await;
    assert_eq!(status, 401, "a keyless read of one request");
    let (status, _) = get(&p, &format!("/open311/v2/requests.json?service_request_id={id}"), None).await;
    assert_eq!(status, 401, "a keyless read by id");
    let (status, _) = get(&p, "/open311/v2/requests.json", Some(&token("resident_channel", "app"))).await;
    assert_eq!(status, 403, "a filing channel's key reads nothing");

    // Without a map, the request is led by the subdistrict service centre:
    // another department's key does not see it, by list or by id.
    let other = token("department", "urban-management");
    let (status, list) = get(&p, "/open311/v2/requests.json", Some(&other)).await;
    assert_eq!(status, 200);
    assert!(ids(&list).is_empty(), "another department's requests: {list}");
    let (status, _) = get(&p, &format!("/open311/v2/requests/{id}.json"), Some(&other)).await;
    assert_eq!(status, 404, "out of the key's area: not found");
    let lead = token("department", "subdistrict-service-centre");
    let (status, list) = get(&p, "/open311/v2/requests.json", Some(&lead)).await;
    assert_eq!((status, ids(&list)), (200, vec![id.clone()]), "the lead department reads its request");
    let (_, list) = get(&p, "/open311/v2/requests.json", Some(&token("admin", "centre"))).await;
    assert_eq!(list[0]["description"], "张三 13800138000 楼上噪音", "staff see what ListComplaints shows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_read_shows_no_petition_report_or_labour_matter_and_no_personal_detail() {
    let p =
        complaints(&[("DUALNET_OPEN311__PUBLIC_READS", "true"), ("DUALNET_OPEN311__PUBLIC_CATEGORIES", "[\"noise\"]")])
            .await;
    let channel = Channel::from_shared(p.endpoint()).unwrap().connect().await.unwrap();
    let said = "3栋1203室每晚噪音，我是李四，电话13800138000，身份证44030019900101123X，li.si@example.cn";
    let public = file(&channel, RequestKind::Complaint, "noise", Intake::App, said).await;
    let hidden = vec![
        file(&channel, RequestKind::Report, "noise", Intake::App, "举报：某娱乐场所夜间扰民").await,
        file(&channel, RequestKind::Complaint, "noise", Intake::LettersAndVisits, "信访：噪音问题多次反映").await,
        file(&channel, RequestKind::Complaint, "noise", Intake::OnBehalf, "代办：独居老人反映噪音").await,
        file(&channel, RequestKind::Complaint, "labour.wage_arrears", Intake::App, "某电子厂拖欠三个月工资").await,
        file(&channel, RequestKind::Complaint, "refuse", Intake::App, "垃圾未清运").await,
    ];

    let (status, list) = get(&p, "/open311/v2/requests.json", None).await;
    assert_eq!((status, ids(&list)), (200, vec![public.clone()]), "only the public noise complaint: {list}");
    let shown = &list[0];
    let text = shown.to_string();
    for secret in ["13800138000", "44030019900101123X", "li.si@example.cn", "1203"] {
        assert!(!text.contains(secret), "{secret} left through a public read: {text}");
    }
    assert!(shown["description"].as_str().unwrap().contains("每晚噪音"), "the matter itself is shown: {shown}");
    assert_eq!(shown["lat"], 22.654, "the point rounded to about 100 m");
    assert_eq!(shown["long"], 114.066);
    assert!(shown["address"].is_null(), "no street address");
    assert!(shown["agency_responsible"].is_null() && shown["status_notes"].is_null(), "no department or note text");

    for id in &hidden {
        let (status, _) = get(&p, &format!("/open311/v2/requests/{id}.json"), None).await;
        assert_eq!(status, 404, "a request the public may not see does not exist for it");
    }
    let all = hidden.join(",");
    let (_, by_id) = get(&p, &format!("/open311/v2/requests.json?service_request_id={all}"), None).await;
    assert!(ids(&by_id).is_empty(), "asked by id: {by_id}");
    let (_, one) = get(&p, &format!("/open311/v2/requests/{public}.json"), None).await;
    assert!(
        one[0]["notes"].as_array().unwrap().iter().all(|n| n.get("note").is_none()),
        "notes are status words: {one}"
    );
    // A filing channel's key reads what the public reads; staff read all.
    let (_, list) = get(&p, "/open311/v2/requests.json", Some(&token("resident_channel", "app"))).await;
    assert_eq!(ids(&list), vec![public.clone()]);
    let (_, list) = get(&p, "/open311/v2/requests.json", Some(&token("admin", "centre"))).await;
    assert_eq!(ids(&list).len(), 1 + hidden.len(), "staff read everything in their area");
}

/// Runs schemathesis on the live face from the OpenAPI document it serves,
/// sending `header` with every call when given; its report when it passes.
async fn schemathesis(p: &ServiceProcess, header: Option<String>) -> String {
    let base = format!("http://{}/open311/v2", p.bound("open311").expect("Open311 bound"));
    let report = std::env::temp_dir().join(unique("schemathesis"));
    let mut command = tokio::process::Command::new(tool("DUALNET_TEST_SCHEMATHESIS"));
    command
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["--url", &base, "--max-examples", "50", "--no-color", "--generation-database", "none"])
        .args(["--checks", SCHEMATHESIS_CHECKS])
        .arg("--report-dir")
        .arg(&report)
        .current_dir(std::env::temp_dir());
    if let Some(h) = header {
        command.args(["--header", &h]);
    }
    let out = command.output().await.expect("schemathesis starts");
    let _ = std::fs::remove_dir_all(&report);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "schemathesis found faults:\n{said}{}", String::from_utf8_lossy(&out.stderr));
    said
}

/// No 5xx, every status, content type, header and body as the document
/// says, and every request the document rules out refused.
const SCHEMATHESIS_CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,negative_data_rejection";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_openapi_document() {
    let p =
        complaints(&[("DUALNET_OPEN311__PUBLIC_READS", "true"), ("DUALNET_OPEN311__PUBLIC_CATEGORIES", "[\"noise\"]")])
            .await;
    let channel = Channel::from_shared(p.endpoint()).unwrap().connect().await.unwrap();
    file(&channel, RequestKind::Complaint, "noise", Intake::App, "楼上每晚噪音").await;
    file(&channel, RequestKind::Complaint, "refuse", Intake::Hotline, "垃圾未清运").await;
    // The public, then staff with an admin key (who may also file).
    for header in [None, Some(format!("Authorization: Bearer {}", token("admin", "centre")))] {
        let said = schemathesis(&p, header).await;
        let generated = said
            .lines()
            .find_map(|l| l.trim().strip_suffix(" passed")?.split_whitespace().next()?.parse::<u32>().ok())
            .unwrap_or(0);
        assert!(said.contains("Operations:       5 selected / 5 total"), "every operation tried:\n{said}");
        assert!(generated >= 200, "a run of some size ({generated} cases):\n{said}");
    }
}
