//! Authentication against a running service (complaints, as an OS process
//! over Kafka) with two keys configured: calls without a token, with an
//! expired one, one signed by a wrong key or naming an unknown key are
//! refused `UNAUTHENTICATED`; tokens of either configured key, as minted by
//! `dualnet token`, are accepted; health and reflection stay open; a role
//! reaches what the permission matrix grants it and no more. Open311 reads
//! stay public; filing needs an `api_key` granting `report`.

#![allow(clippy::too_many_lines)]

use dualnet_platform::{
    auth::{self, Claims},
    config::{AuthConfig, Secret},
};
use dualnet_proto::complaints::v1::{ListCategoriesRequest, complaints_client::ComplaintsClient};
use dualnet_testkit::{ServiceProcess, binary, fresh_database, kafka_bootstrap, unique};
use tonic::{Code, Request, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const OLD_KEY: &str = "old-key-0123456789abcdef0123456789ab";
const NEW_KEY: &str = "new-key-0123456789abcdef0123456789ab";

/// `dualnet token`, signing with `kid` out of the two configured keys.
async fn minted(kid: &str) -> String {
    minted_for(kid, "grid_worker").await
}

async fn minted_for(kid: &str, role: &str) -> String {
    minted_as(kid, role, "urban-management").await
}

async fn minted_as(kid: &str, role: &str, department: &str) -> String {
    let out = tokio::process::Command::new(binary("dualnet"))
        .args(["token", "--sub", "gw-0001", "--department", department, "--role", role])
        .env("DUALNET_AUTH__KEYS__OLD", OLD_KEY)
        .env("DUALNET_AUTH__KEYS__NEW", NEW_KEY)
        .env("DUALNET_AUTH__SIGNING_KID", kid)
        .output()
        .await
        .expect("dualnet token runs");
    assert!(out.status.success(), "dualnet token: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A token from the library, for the cases the command will not make.
fn token(kid: &str, key: &str, expires_in: i64) -> String {
    let config = AuthConfig {
        keys: [(kid.to_string(), Secret::new(key))].into_iter().collect(),
        signing_kid: Some(kid.to_string()),
        ..AuthConfig::default()
    };
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: "gw-0001".into(),
        iss: config.issuer.clone(),
        aud: config.audience.as_str().into(),
        exp: now + expires_in,
        iat: now - 7200,
        department: "urban-management".into(),
        roles: vec!["grid_worker".into()],
        scope: Default::default(),
    };
    auth::mint(&config, &claims).unwrap()
}

async fn list(channel: &Channel, bearer: Option<&str>) -> Result<(), tonic::Status> {
    let mut request = Request::new(ListCategoriesRequest::default());
    if let Some(t) = bearer {
        request.metadata_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    ComplaintsClient::new(channel.clone()).list_categories(request).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_valid_tokens_get_in_roles_reach_what_the_matrix_grants_and_health_and_reflection_stay_open() {
    let env = vec![
        ("DUALNET_DATABASE__URL".to_string(), fresh_database("complaints").await),
        ("DUALNET_TRANSPORT__KIND".to_string(), "kafka".to_string()),
        ("DUALNET_KAFKA__BOOTSTRAP_SERVERS".to_string(), kafka_bootstrap()),
        ("DUALNET_KAFKA__NAMESPACE".to_string(), format!("{}.", unique("auth"))),
        ("DUALNET_AUTH__KEYS__OLD".to_string(), OLD_KEY.to_string()),
        ("DUALNET_AUTH__KEYS__NEW".to_string(), NEW_KEY.to_string()),
        ("DUALNET_OPEN311__LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ];
    // Started and reported SERVING through the health check, without a token.
    let complaints = ServiceProcess::start("complaints", env).await.expect("complaints starts");
    let channel = Channel::from_shared(complaints.endpoint()).unwrap().connect().await.unwrap();
    let open311 = complaints.bound("open311").expect("complaints reported its Open311 address");

    let refused = |r: Result<(), tonic::Status>| r.expect_err("refused").code();
    assert_eq!(refused(list(&channel, None).await), Code::Unauthenticated, "no token");
    assert_eq!(refused(list(&channel, Some("not-a-jwt")).await), Code::Unauthenticated, "garbage");
    assert_eq!(refused(list(&channel, Some(&token("new", NEW_KEY, -600))).await), Code::Unauthenticated, "expired");
    let wrong = "wrong-key-0123456789abcdef0123456789";
    assert_eq!(refused(list(&channel, Some(&token("new", wrong, 600))).await), Code::Unauthenticated, "wrong key");
    assert_eq!(refused(list(&channel, Some(&token("gone", NEW_KEY, 600))).await), Code::Unauthenticated, "unknown kid");

    // Both keys of a rotation are accepted.
    list(&channel, Some(&minted("old").await)).await.expect("a token of the old key");
    list(&channel, Some(&minted("new").await)).await.expect("a token of the new key");

    // The matrix: a grid worker reads but cannot change the catalogue; a
    // policy officer can; a resident channel may file but not read.
    let set_category = |bearer: String| {
        let channel = channel.clone();
        async move {
            use dualnet_proto::complaints::v1::{Category, DeadlineUnit};
            let mut request = Request::new(Category {
                code: "noise.night".into(),
                name: "夜间噪音".into(),
                deadline_unit: DeadlineUnit::WorkingDays as i32,
                deadline: 3,
                active: true,
                ..Default::default()
            });
            request.metadata_mut().insert("authorization", format!("Bearer {bearer}").parse().unwrap());
            ComplaintsClient::new(channel).set_category(request).await.map(|_| ())
        }
    };
    let denied =
        set_category(minted_for("new", "grid_worker").await).await.expect_err("a grid worker configures nothing");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    set_category(minted_for("new", "policy_officer").await).await.expect("a policy officer sets a category");
    let channel_token = minted_for("new", "resident_channel").await;
    assert_eq!(
        refused(list(&channel, Some(&channel_token)).await),
        Code::PermissionDenied,
        "a filing channel reads nothing"
    );

    // Confinement: a department reaches the requests it leads, no others.
    // Without a map every request goes to the subdistrict service centre.
    let admin = minted_for("new", "admin").await;
    let mut filed = Vec::new();
    for _ in 0..2 {
        use dualnet_proto::complaints::v1::{Channel as Intake, FileComplaintRequest, RequestKind};
        let mut request = Request::new(FileComplaintRequest {
            kind: RequestKind::Complaint as i32,
            category: "noise".into(),
            channel: Intake::Hotline as i32,
            description: "Karaoke after midnight".into(),
            address: "某某路999号".into(),
            ..Default::default()
        });
        request.metadata_mut().insert("authorization", format!("Bearer {admin}").parse().unwrap());
        let c = ComplaintsClient::new(channel.clone()).file_complaint(request).await.unwrap().into_inner();
        assert_eq!(c.department, "subdistrict-service-centre");
        filed.push(c.id);
    }
    let visible = |bearer: String| {
        let channel = channel.clone();
        async move {
            use dualnet_proto::complaints::v1::ListComplaintsRequest;
            let mut request = Request::new(ListComplaintsRequest::default());
            request.metadata_mut().insert("authorization", format!("Bearer {bearer}").parse().unwrap());
            let list = ComplaintsClient::new(channel).list_complaints(request).await.unwrap().into_inner();
            let mut ids: Vec<String> = list.complaints.into_iter().map(|c| c.id).collect();
            ids.sort();
            ids
        }
    };
    let get = |bearer: String, id: String| {
        let channel = channel.clone();
        async move {
            use dualnet_proto::complaints::v1::GetComplaintRequest;
            let mut request = Request::new(GetComplaintRequest { id, ..Default::default() });
            request.metadata_mut().insert("authorization", format!("Bearer {bearer}").parse().unwrap());
            ComplaintsClient::new(channel).get_complaint(request).await.map(|_| ())
        }
    };
    filed.sort();
    let centre = minted_as("new", "department", "subdistrict-service-centre").await;
    let other = minted_as("new", "department", "urban-management").await;
    assert_eq!(visible(centre.clone()).await, filed, "the lead department sees its requests");
    assert!(visible(other.clone()).await.is_empty(), "another department sees none");
    get(centre, filed[0].clone()).await.expect("the lead department reads one");
    let hidden = get(other, filed[0].clone()).await.expect_err("another department does not");
    assert_eq!(hidden.code(), Code::NotFound, "{hidden:?}");
    assert_eq!(visible(admin).await, filed, "an admin sees all");

    let health = HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await;
    assert!(health.is_ok(), "health needs no token");
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest,
    };
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection is open")
        .into_inner();
    assert!(stream.message().await.unwrap().is_some(), "reflection answers without a token");

    // Open311: GeoReport reads are public; a filing needs an api_key (or a
    // bearer header) whose roles grant `report`.
    let http = |method: &'static str, path: &'static str, body: String| async move {
        dualnet_testkit::http_json(open311, method, path, "application/x-www-form-urlencoded", body.as_bytes())
            .await
            .unwrap()
            .0
    };
    assert_eq!(http("GET", "/open311/v2/services.json", String::new()).await, 200, "the service list is public");
    let filing = "service_code=noise&description=Drilling+at+night&lat=22.6&long=114.06".to_string();
    assert_eq!(http("POST", "/open311/v2/requests.json", filing.clone()).await, 401, "no api_key");
    let garbage = format!("{filing}&api_key=not-a-jwt");
    assert_eq!(http("POST", "/open311/v2/requests.json", garbage).await, 401, "an invalid api_key");
    let auditor = format!("{filing}&api_key={}", minted_for("new", "auditor").await);
    assert_eq!(http("POST", "/open311/v2/requests.json", auditor).await, 403, "an auditor files nothing");
    let channel_key = format!("{filing}&api_key={channel_token}");
    assert_eq!(http("POST", "/open311/v2/requests.json", channel_key).await, 201, "a resident channel files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_without_keys_refuses_to_start_unless_authentication_is_disabled_out_loud() {
    let out = tokio::process::Command::new(binary("complaints"))
        .env("DUALNET_DATABASE__URL", fresh_database("complaints").await)
        .env("DUALNET_TRANSPORT__KIND", "kafka")
        .env("DUALNET_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap())
        .env("DUALNET_LISTEN", "127.0.0.1:0")
        .env_remove("DUALNET_AUTH__DISABLED")
        .kill_on_drop(true)
        .output()
        .await
        .expect("complaints runs");
    assert!(!out.status.success(), "a service with no keys does not serve");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("auth.keys is empty") && said.contains("auth.disabled"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_without_a_sealing_key_refuses_to_start_unless_sealing_is_disabled_out_loud() {
    let run = |disabled: bool| async move {
        let mut command = tokio::process::Command::new(binary("complaints"));
        command
            .env("DUALNET_DATABASE__URL", fresh_database("complaints").await)
            .env("DUALNET_TRANSPORT__KIND", "kafka")
            .env("DUALNET_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap())
            .env("DUALNET_LISTEN", "127.0.0.1:0")
            .env("DUALNET_AUTH__DISABLED", "true")
            .kill_on_drop(true);
        if disabled {
            command.env("DUALNET_PERSONAL_DATA__DISABLED", "true");
        }
        command
    };
    let out = run(false).await.output().await.expect("complaints runs");
    assert!(!out.status.success(), "residents' contacts are never stored unsealed by default");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("personal_data.keys is empty") && said.contains("personal_data.disabled"), "{said}");
    // Said out loud, it serves (and warns): started and stopped again.
    let addresses = dualnet_testkit::AddressFile::new("unsealed");
    let mut child =
        run(true).await.env("DUALNET_ADDRESS_FILE", addresses.path()).spawn().expect("complaints starts unsealed");
    addresses.wait("grpc", dualnet_e2e::WAIT).await;
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_one_service_is_refused_by_another_and_an_open311_key_opens_no_grpc_api() {
    const API_KEY: &str = "api-key-0123456789abcdef0123456789abc";
    let env = vec![
        ("DUALNET_DATABASE__URL".to_string(), fresh_database("complaints").await),
        ("DUALNET_TRANSPORT__KIND".to_string(), "kafka".to_string()),
        ("DUALNET_KAFKA__BOOTSTRAP_SERVERS".to_string(), kafka_bootstrap()),
        ("DUALNET_KAFKA__NAMESPACE".to_string(), format!("{}.", unique("aud"))),
        ("DUALNET_AUTH__KEYS__NEW".to_string(), NEW_KEY.to_string()),
        ("DUALNET_OPEN311__KEYS__API".to_string(), API_KEY.to_string()),
        ("DUALNET_OPEN311__LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ];
    let complaints = ServiceProcess::start("complaints", env).await.expect("complaints starts");
    let channel = Channel::from_shared(complaints.endpoint()).unwrap().connect().await.unwrap();
    let open311 = complaints.bound("open311").expect("complaints reported its Open311 address");
    let mint = |args: &'static [&'static str]| async move {
        let out = tokio::process::Command::new(binary("dualnet"))
            .args(["token", "--sub", "probe", "--department", "ops"])
            .args(args)
            .env("DUALNET_AUTH__KEYS__NEW", NEW_KEY)
            .env("DUALNET_AUTH__SIGNING_KID", "new")
            .env("DUALNET_OPEN311__KEYS__API", API_KEY)
            .env("DUALNET_OPEN311__SIGNING_KID", "api")
            .output()
            .await
            .expect("dualnet token runs");
        assert!(out.status.success(), "dualnet token: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let for_arbitration = mint(&["--role", "admin", "--service", "arbitration"]).await;
    let refused = list(&channel, Some(&for_arbitration)).await.expect_err("arbitration's token");
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().contains("not for complaints"), "{}", refused.message());
    list(&channel, Some(&mint(&["--role", "admin", "--service", "complaints"]).await)).await.expect("its own token");

    // An Open311 api_key, signed with Open311's key: it files on Open311,
    // and even with the admin role it opens no gRPC API.
    let api_key = mint(&["--role", "resident_channel", "--service", "open311"]).await;
    let filing = format!("service_code=noise&description=Drilling&lat=22.6&long=114.06&api_key={api_key}");
    let (status, _) = dualnet_testkit::http_json(
        open311,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        filing.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "the api_key files");
    let forged_admin = mint(&["--role", "admin", "--service", "open311"]).await;
    for token in [&api_key, &forged_admin] {
        assert_eq!(list(&channel, Some(token)).await.unwrap_err().code(), Code::Unauthenticated);
    }
    // A staff token for complaints only is not an Open311 key.
    let staff = mint(&["--role", "resident_channel", "--service", "complaints"]).await;
    let filing = format!("service_code=noise&description=Drilling&lat=22.6&long=114.06&api_key={staff}");
    let (status, _) = dualnet_testkit::http_json(
        open311,
        "POST",
        "/open311/v2/requests.json",
        "application/x-www-form-urlencoded",
        filing.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 401, "a complaints-only token on Open311");
}
