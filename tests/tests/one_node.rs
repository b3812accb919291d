//! `dualnet up --demo`: the whole system in one process on the PostgreSQL log
//! transport, with its own private PostgreSQL. The example call it prints
//! works: the complaint reaches both networks. Authentication is on by
//! default: with no keys configured the node makes one and prints an admin
//! token; with keys configured the demo seeds itself with its own token and
//! `dualnet bench` needs one.

#![allow(clippy::too_many_lines)]

use std::{process::Stdio, time::Duration};

use dualnet_e2e::WAIT;
use dualnet_proto::{complaints::v1 as cpb, governance::v1 as gov, partygrid::v1 as party};
use dualnet_testkit::{AddressFile, bearer, binary, tool, wait_for};
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::ChildStdout,
};
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// The next line `dualnet up` prints that starts with `prefix` (leading
/// blanks aside), waiting at most `WAIT`; `what` names it in the failure.
async fn printed(lines: &mut Lines<BufReader<ChildStdout>>, prefix: &str, what: &str) -> String {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.trim_start().starts_with(prefix) {
                return Some(line.trim_start().to_string());
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(line)) => line,
        Ok(None) => panic!("dualnet up exited without printing {what}"),
        Err(_) => panic!("dualnet up printed no {what} in {WAIT:?}"),
    }
}

/// Lists the services through reflection version `$v` (`v1` or `v1alpha`).
macro_rules! list_services {
    ($v:ident, $channel:expr) => {{
        use tonic_reflection::pb::$v::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut client = ServerReflectionClient::new($channel);
        let mut stream = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        match stream.message().await.unwrap().and_then(|r| r.message_response) {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect::<Vec<String>>()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        }
    }};
}

/// Runs `program args…` and reads the JSON it prints; it must succeed.
async fn run_json(program: &str, args: &[&str]) -> serde_json::Value {
    let out =
        tokio::process::Command::new(program).args(args).output().await.unwrap_or_else(|e| panic!("{program}: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {args:?} failed: {stderr}{stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{program} printed no JSON ({e}): {stdout}"))
}

/// How many reflection streams the node has answered, v1 and v1alpha, by
/// its own `dualnet_grpc_requests_total`.
async fn reflection_calls(metrics: std::net::SocketAddr) -> (u64, u64) {
    let text = dualnet_testkit::http(metrics, "GET", "/metrics", "text/plain", b"").await.unwrap().1;
    let count = |version: &str| {
        let rpc = format!("rpc=\"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo\"");
        text.lines()
            .filter(|l| l.starts_with("dualnet_grpc_requests_total{") && l.contains(&rpc))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    (count("v1"), count("v1alpha"))
}

/// 议事协商 across both networks: the demo council accepts the deputy's
/// topic and resolves it at a quorate meeting, handing an incident to
/// governance-grid at a 新雪 building; the incident's closing implements the
/// topic, and both the resolution and its implementation are notices.
async fn council_hands_an_incident_to_the_governance_network(
    addr: std::net::SocketAddr,
    token: &str,
    raised: &serde_json::Value,
    building: &str,
    (notices, feed): (std::net::SocketAddr, &str),
) {
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut p = party::party_grid_client::PartyGridClient::new(channel.clone());
    let mut g = gov::governance_grid_client::GovernanceGridClient::new(channel);
    let (topic, council) =
        (raised["id"].as_str().unwrap().to_string(), raised["councilId"].as_str().unwrap().to_string());
    for action in [party::TopicAction::Accept, party::TopicAction::Schedule] {
        let req = party::MoveTopicRequest { id: topic.clone(), action: action as i32, ..Default::default() };
        p.move_topic(bearer(req, token)).await.unwrap();
    }
    let members = party::ListCouncilMembersRequest { council_id: council.clone(), ..Default::default() };
    let members = p.list_council_members(bearer(members, token)).await.unwrap().into_inner().members;
    let hold = party::HoldMeetingRequest {
        council_id: council,
        attending_member_ids: members.iter().map(|m| m.id.clone()).collect(),
        agenda: vec![party::AgendaItem {
            topic_id: topic.clone(),
            in_favour: u32::try_from(members.len()).unwrap(),
            resolution: "清理楼道杂物".into(),
            hand_off: Some(party::HandOff {
                building_id: building.into(),
                category: "fire_safety".into(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    p.hold_meeting(bearer(hold, token)).await.unwrap();
    let incident = wait_for("the council's incident", WAIT, || {
        let mut g = g.clone();
        async move {
            let req = gov::ListIncidentsRequest { category: "fire_safety".into(), ..Default::default() };
            let all = g.list_incidents(bearer(req, token)).await.unwrap().into_inner().incidents;
            all.into_iter().find(|i| i.source == gov::IncidentSource::Council as i32)
        }
    })
    .await;
    assert_eq!(incident.building_id, building);
    use gov::IncidentAction as A;
    for action in [A::Accept, A::Dispatch, A::Handle, A::Verify, A::Close] {
        let step = gov::TransitionIncidentRequest {
            id: incident.id.clone(),
            action: action as i32,
            assignee: "物业".into(),
            ..Default::default()
        };
        g.transition_incident(bearer(step, token)).await.unwrap();
    }
    wait_for("the topic implemented", WAIT, || {
        let mut p = p.clone();
        let req = party::GetTopicRequest { id: topic.clone() };
        async move {
            let t = p.get_topic(bearer(req, token)).await.unwrap().into_inner();
            (t.status == party::TopicStatus::Implemented as i32).then_some(())
        }
    })
    .await;
    wait_for("the implementation notice", WAIT, || async {
        let (_, atom) = dualnet_testkit::http(notices, "GET", feed, "text/plain", b"").await.ok()?;
        (atom.contains("居民议事会决议已落实") && atom.contains("清理楼道杂物")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_all_four_apis_and_its_example_call_links_both_networks() {
    let addresses = AddressFile::new("up");
    let mut child = tokio::process::Command::new(binary("dualnet"))
        .args(["up", "--demo", "--listen", "127.0.0.1:0", "--open311", "127.0.0.1:0", "--notices", "127.0.0.1:0"])
        // No database configured: dualnet runs a private PostgreSQL.
        .env_remove("DUALNET_DATABASE__URL")
        .env("DUALNET_TELEMETRY__LOG", "warn")
        .env("DUALNET_TELEMETRY__METRICS_LISTEN", "127.0.0.1:0")
        .env("DUALNET_ADDRESS_FILE", addresses.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("dualnet up starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // No keys configured: a key for this run, and an admin token to use.
    const EXPORT: &str = "export DUALNET_TOKEN=";
    let token = printed(&mut lines, EXPORT, "the run's admin token").await[EXPORT.len()..].to_string();
    let addr = addresses.wait("grpc", WAIT).await;
    let open311 = addresses.wait("open311", WAIT).await;
    let metrics = addresses.wait("metrics", WAIT).await;
    let grpcurl = "grpcurl -plaintext -H \"authorization: Bearer $DUALNET_TOKEN\" -d '{\"kind\"";
    let xinxue = printed(&mut lines, "新雪社区 /", "a building of 新雪社区").await;
    let xinxue_building = xinxue.rsplit("building_id=").next().unwrap().to_string();
    let example = printed(&mut lines, grpcurl, "the example call").await;
    let council_call = "grpcurl -plaintext -H \"authorization: Bearer $DUALNET_TOKEN\" -d '{\"council_id\"";
    let topic_example = printed(&mut lines, council_call, "the council example").await;
    const FEED: &str = "What its residents can read, without a token: ";
    let feed = printed(&mut lines, FEED, "the notices feed").await[FEED.len()..].to_string();
    let curl = printed(&mut lines, "curl -s -d", "the Open311 example").await;
    // grpcurl -plaintext -H "authorization: Bearer $DUALNET_TOKEN" -d 'BODY' ADDR METHOD
    let body = example.split('\'').nth(1).expect("a JSON body");
    let tail: Vec<&str> = example.rsplit('\'').next().unwrap().split_whitespace().collect();
    assert_eq!(tail, [addr.to_string().as_str(), "dualnet.complaints.v1.Complaints/FileComplaint"]);
    let body: serde_json::Value = serde_json::from_str(body).expect("the body is JSON");
    let field = |name: &str| body[name].as_str().unwrap_or_else(|| panic!("{name} in the example")).to_string();
    let request = cpb::FileComplaintRequest {
        kind: cpb::RequestKind::from_str_name(&field("kind")).expect("a known kind") as i32,
        category: field("category"),
        channel: cpb::Channel::from_str_name(&field("channel")).expect("a known channel") as i32,
        building_id: field("building_id"),
        description: field("description"),
        ..Default::default()
    };

    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut health = HealthClient::new(channel.clone());
    for service in [
        "",
        "dualnet.governance.v1.GovernanceGrid",
        "dualnet.partygrid.v1.PartyGrid",
        "dualnet.complaints.v1.Complaints",
        "dualnet.arbitration.v1.Arbitration",
    ] {
        let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "health of {service:?}");
    }

    // Reflection answers in both versions, so any grpcurl can list the APIs.
    let apis = [
        "dualnet.arbitration.v1.Arbitration",
        "dualnet.complaints.v1.Complaints",
        "dualnet.governance.v1.GovernanceGrid",
        "dualnet.partygrid.v1.PartyGrid",
    ];
    let listed_v1 = list_services!(v1, channel.clone());
    let listed_v1alpha = list_services!(v1alpha, channel.clone());
    for api in apis {
        assert!(listed_v1.iter().any(|s| s == api), "reflection v1 lists {api}: {listed_v1:?}");
        assert!(listed_v1alpha.iter().any(|s| s == api), "reflection v1alpha lists {api}: {listed_v1alpha:?}");
    }

    // The printed example as integrators run it: grpcurl (reflection v1)
    // and buf curl over reflection v1alpha each file it.
    let bearer_header = format!("authorization: Bearer {token}");
    let method = "dualnet.complaints.v1.Complaints/FileComplaint";
    let body_text = example.split('\'').nth(1).unwrap();
    let before = reflection_calls(metrics).await;
    let by_grpcurl = run_json(
        &tool("DUALNET_TEST_GRPCURL"),
        &["-plaintext", "-H", &bearer_header, "-d", body_text, &addr.to_string(), method],
    )
    .await;
    let after_grpcurl = reflection_calls(metrics).await;
    let url = format!("http://{addr}/{method}");
    let by_buf = run_json(
        &tool("DUALNET_TEST_BUF"),
        &["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1alpha"]
            .into_iter()
            .chain(["-H", &bearer_header, "-d", body_text, &url])
            .collect::<Vec<_>>(),
    )
    .await;
    let after_buf = reflection_calls(metrics).await;
    assert!(after_grpcurl.0 > before.0 && after_grpcurl.1 == before.1, "grpcurl asked reflection v1 alone");
    assert!(after_buf.1 > after_grpcurl.1 && after_buf.0 == after_grpcurl.0, "buf curl asked v1alpha alone");
    for (client, filed) in [("grpcurl", &by_grpcurl), ("buf curl", &by_buf)] {
        assert!(filed["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{client} filed: {filed}");
        assert!(filed["gridId"].as_str().is_some_and(|g| !g.is_empty()), "{client}: the building's grid {filed}");
    }

    let mut complaints = cpb::complaints_client::ComplaintsClient::new(channel.clone());
    let refused = complaints.file_complaint(request.clone()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "authentication is on by default");
    let filed = complaints.file_complaint(bearer(request, &token)).await.expect("the example call works").into_inner();
    assert!(!filed.grid_id.is_empty(), "the demo building resolves to its grid");
    let g = gov::governance_grid_client::GovernanceGridClient::new(channel.clone());
    let incident = wait_for("the incident", WAIT, || {
        let (mut g, token) = (g.clone(), token.clone());
        let id = filed.id.clone();
        async move {
            let req = gov::ListIncidentsRequest { complaint_id: id, ..Default::default() };
            g.list_incidents(bearer(req, &token)).await.unwrap().into_inner().incidents.into_iter().next()
        }
    })
    .await;
    assert_eq!(incident.grid_id, filed.grid_id);
    let p = party::party_grid_client::PartyGridClient::new(channel);
    let tasks = wait_for("linkage tasks for the branch and the building group", WAIT, || {
        let (mut p, token) = (p.clone(), token.clone());
        let id = incident.id.clone();
        async move {
            let req = party::ListLinkageTasksRequest { incident_id: id, ..Default::default() };
            let tasks = p.list_linkage_tasks(bearer(req, &token)).await.unwrap().into_inner().tasks;
            (tasks.len() == 2).then_some(tasks)
        }
    })
    .await;
    assert!(tasks.iter().all(|t| t.correlation_id == filed.correlation_id));

    // The council's example: its liaison deputy raises a topic; the
    // community's notices are public.
    let raised = run_json(
        &tool("DUALNET_TEST_GRPCURL"),
        &[
            "-plaintext",
            "-H",
            &bearer_header,
            "-d",
            topic_example.split('\'').nth(1).unwrap(),
            &addr.to_string(),
            "dualnet.partygrid.v1.PartyGrid/RaiseTopic",
        ],
    )
    .await;
    assert_eq!(raised["status"], "TOPIC_STATUS_RAISED", "{raised}");
    let notices = addresses.wait("notices", WAIT).await;
    let path = feed.strip_prefix(&format!("http://{notices}")).expect("the feed on the notices listener");
    let (status, atom) = dualnet_testkit::http(notices, "GET", path, "text/plain", b"").await.unwrap();
    assert!(status == 200 && atom.contains("<title>新雪社区 · 社区公告</title>"), "{status} {atom}");

    council_hands_an_incident_to_the_governance_network(addr, &token, &raised, &xinxue_building, (notices, path)).await;

    // The printed Open311 example works on the one node too.
    let form = curl.split('\'').nth(1).expect("a form body");
    assert!(curl.contains(r#"-d "api_key=$DUALNET_TOKEN""#), "{curl}");
    let form = format!("{form}&api_key={token}");
    assert!(curl.ends_with(&format!("http://{open311}/open311/v2/requests.json")), "{curl}");
    let (status, created) = dualnet_testkit::http_json(
        open311,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{created}");

    // The metrics of that work, in the Prometheus text format.
    let text = wait_for("metrics of the example", WAIT, || async {
        let (status, text) = dualnet_testkit::http(metrics, "GET", "/metrics", "text/plain", b"").await.ok()?;
        (status == 200 && text.contains("dualnet_events_processed_total")).then_some(text)
    })
    .await;
    for expected in [
        "dualnet_incidents_opened_total{level=\"grid\",source=\"complaint\"}",
        "dualnet_grpc_requests_total{code=\"0\",rpc=\"/dualnet.complaints.v1.Complaints/FileComplaint\"}",
        "dualnet_grpc_seconds_bucket",
        "dualnet_outbox_published_total",
        "dualnet_outbox_backlog",
        "dualnet_outbox_oldest_age_seconds",
        "dualnet_events_handle_seconds_bucket",
        "dualnet_events_delay_seconds_count",
        "outcome=\"applied\"",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    // Prometheus's own linter reads the exposition as a scraper would.
    let mut promtool = tokio::process::Command::new(tool("DUALNET_TEST_PROMTOOL"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    tokio::io::AsyncWriteExt::write_all(&mut promtool.stdin.take().unwrap(), text.as_bytes()).await.unwrap();
    let checked = promtool.wait_with_output().await.unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success() && said.trim().is_empty(), "promtool check metrics: {said}");

    // SIGTERM: it stops, and stops its private PostgreSQL with it.
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait()).await.expect("exits on SIGTERM").unwrap();
    assert!(exit.success(), "clean exit: {exit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_authentication_on_the_demo_seeds_itself_and_bench_needs_a_token() {
    const KEY: &str = "one-node-key-0123456789abcdef012345";
    let addresses = AddressFile::new("up");
    let keys = [("DUALNET_AUTH__KEYS__K", KEY), ("DUALNET_AUTH__SIGNING_KID", "k")];
    let mut child = tokio::process::Command::new(binary("dualnet"))
        .args(["up", "--demo", "--listen", "127.0.0.1:0", "--open311", "127.0.0.1:0", "--notices", "127.0.0.1:0"])
        .env("DUALNET_ADDRESS_FILE", addresses.path())
        .env_remove("DUALNET_DATABASE__URL")
        .env("DUALNET_TELEMETRY__LOG", "warn")
        .envs(keys)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("dualnet up starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The demo seeded through the APIs with its own admin token, then says
    // how to benchmark the node: the log and server URLs of its PostgreSQL.
    printed(&mut lines, "Demo map:", "the demo map").await;
    let addr = addresses.wait("grpc", WAIT).await;
    let mut hint = printed(&mut lines, "DUALNET_TRANSPORT__KIND=pglog", "the benchmark hint").await;
    // The superuser's password is not printed: the hint reads it from its
    // file (`$(cat …)`), as the shell would.
    while let Some(start) = hint.find("$(cat ") {
        let end = start + hint[start..].find(')').expect("a closed $(cat …)");
        let password = std::fs::read_to_string(&hint[start + 6..end]).expect("the password file").trim().to_string();
        hint.replace_range(start..=end, &password);
    }
    let setting = |name: &str| {
        hint.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {hint}"))
            .to_string()
    };
    let (log_url, server_url) = (setting("DUALNET_TRANSPORT__LOG_DATABASE_URL"), setting("DUALNET_DATABASE__URL"));
    let bench = |token: Option<String>| {
        let mut command = tokio::process::Command::new(binary("dualnet"));
        command
            .args(["bench", "--endpoint", &format!("http://{addr}"), "--complaints", "5", "--rate", "5"])
            .args(["--floor-samples", "3", "--json", "-", "--timeout-secs", "60"])
            .env("DUALNET_TRANSPORT__KIND", "pglog")
            .env("DUALNET_TRANSPORT__LOG_DATABASE_URL", &log_url)
            .env("DUALNET_DATABASE__URL", &server_url)
            .env("DUALNET_TELEMETRY__LOG", "warn")
            .env_remove("DUALNET_TOKEN");
        if let Some(t) = token {
            command.args(["--token", &t]);
        }
        command.output()
    };
    let refused = bench(None).await.unwrap();
    assert!(!refused.status.success(), "without a token the bench cannot seed");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("missing bearer token"), "{said}");
    let minted = tokio::process::Command::new(binary("dualnet"))
        .args(["token", "--sub", "bench", "--department", "ops", "--role", "admin"])
        .envs(keys)
        .output()
        .await
        .unwrap();
    assert!(minted.status.success());
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_string();
    let out = bench(Some(token)).await.unwrap();
    assert!(out.status.success(), "dualnet bench: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["transport"], "pglog");
    assert_eq!(report["in_both_networks"], 5, "{report}");
    // SIGTERM, so the private PostgreSQL stops with it.
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait()).await.expect("exits on SIGTERM").unwrap();
    assert!(exit.success(), "clean exit: {exit}");
}
