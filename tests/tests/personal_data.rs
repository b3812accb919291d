//! Residents' contacts against complaints as a process over Kafka, with
//! authentication on: unmasked only for a caller holding the personal-data
//! permission who states a purpose, and then recorded in the audit log that
//! auditors read; masked for everyone else; the log refuses changes; the
//! contact is sealed at rest.

#![allow(clippy::too_many_lines)]

use dualnet_events::{
    Record, Transport,
    kafka::{KafkaSettings, KafkaTransport},
};
use dualnet_platform::{
    auth::{self, Claims, Scope},
    config::{AuthConfig, Secret},
};
use dualnet_proto::{
    complaints::v1::{self as pb, complaints_client::ComplaintsClient},
    governance::v1 as gov,
    topics,
};
use dualnet_testkit::{ServiceProcess, bearer, fresh_database, kafka_bootstrap, unique, wait_for};
use tonic::{Code, transport::Channel};
use uuid::Uuid;

const KEY: &str = "pd-key-0123456789abcdef0123456789abcd";
/// base64 of 32 bytes: the key residents' contacts are sealed with.
const SEAL: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn token(role: &str, department: &str, scope: Scope) -> String {
    let config = AuthConfig {
        keys: [("k".to_string(), Secret::new(KEY))].into_iter().collect(),
        signing_kid: Some("k".into()),
        ..AuthConfig::default()
    };
    auth::mint(&config, &Claims::issue(&config, format!("{role}-7"), department, vec![role.into()], scope, 600))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_are_masked_unless_entitled_with_a_purpose_and_every_unmasked_read_is_audited() {
    let namespace = format!("{}.", unique("pd"));
    let database = fresh_database("complaints").await;
    let env = vec![
        ("DUALNET_DATABASE__URL".to_string(), database.clone()),
        ("DUALNET_TRANSPORT__KIND".to_string(), "kafka".to_string()),
        ("DUALNET_KAFKA__BOOTSTRAP_SERVERS".to_string(), kafka_bootstrap()),
        ("DUALNET_KAFKA__NAMESPACE".to_string(), namespace.clone()),
        ("DUALNET_AUTH__KEYS__K".to_string(), KEY.to_string()),
        ("DUALNET_PERSONAL_DATA__KEYS__P1".to_string(), SEAL.to_string()),
        ("DUALNET_PERSONAL_DATA__CURRENT".to_string(), "p1".to_string()),
    ];
    let complaints = ServiceProcess::start("complaints", env).await.expect("complaints starts");
    let channel = Channel::from_shared(complaints.endpoint()).unwrap().connect().await.unwrap();
    let client = ComplaintsClient::new(channel);

    // The map, as governance-grid would announce it.
    let mut settings = KafkaSettings::new(kafka_bootstrap());
    settings.namespace = namespace;
    let kafka = KafkaTransport::new(settings).unwrap();
    let (community, grid, building) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let source = "/dualnet/governance-grid";
    let grid_created =
        gov::GridCreated { grid_id: grid.to_string(), community_id: community.to_string(), ..Default::default() };
    let building_created =
        gov::BuildingCreated { building_id: building.to_string(), grid_id: grid.to_string(), ..Default::default() };
    kafka
        .publisher()
        .publish(&[
            Record::of_message(topics::GOVERNANCE, source, Uuid::now_v7(), grid, &grid_created),
            Record::of_message(topics::GOVERNANCE, source, Uuid::now_v7(), building, &building_created),
        ])
        .await
        .unwrap();

    let admin = token("admin", "bantian", Scope::default());
    let filing = pb::FileComplaintRequest {
        kind: pb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: pb::Channel::Hotline as i32,
        building_id: building.to_string(),
        description: "Karaoke after midnight".into(),
        resident_name: "张三".into(),
        resident_phone: "13812345678".into(),
        ..Default::default()
    };
    let filed = wait_for("complaints to learn the building", std::time::Duration::from_secs(120), || {
        let (mut client, filing, admin) = (client.clone(), filing.clone(), admin.clone());
        async move {
            let c = client.file_complaint(bearer(filing, &admin)).await.unwrap().into_inner();
            (c.grid_id == grid.to_string()).then_some(c)
        }
    })
    .await;
    assert!(filed.resident.is_none(), "filing answers carry no contact");

    let get = |who: String, purpose: &str| {
        let (mut client, id, purpose) = (client.clone(), filed.id.clone(), purpose.to_string());
        async move {
            client.get_complaint(bearer(pb::GetComplaintRequest { id, purpose }, &who)).await.map(|r| r.into_inner())
        }
    };
    let lead = token("department", &filed.department, Scope::default());
    let worker = token("grid_worker", "bantian", Scope { grids: vec![grid.to_string()], ..Scope::default() });

    let contact = get(lead.clone(), "call back about the reply").await.unwrap().resident.unwrap();
    assert_eq!((contact.name.as_str(), contact.phone.as_str(), contact.masked), ("张三", "13812345678", false));
    let no_purpose = get(lead.clone(), "").await.unwrap().resident.unwrap();
    assert_eq!((no_purpose.name.as_str(), no_purpose.phone.as_str(), no_purpose.masked), ("张*", "138****5678", true));
    let not_entitled = get(worker, "curious").await.unwrap().resident.unwrap();
    assert_eq!(
        (not_entitled.phone.as_str(), not_entitled.masked),
        ("138****5678", true),
        "a grid worker sees it masked"
    );
    let listed =
        client.clone().list_complaints(bearer(pb::ListComplaintsRequest::default(), &lead)).await.unwrap().into_inner();
    assert!(listed.complaints.iter().all(|c| c.resident.is_none()), "lists carry no contact");

    // One unmasked read, one audit row; only auditors may read the log.
    let auditor = token("auditor", "discipline-inspection", Scope::default());
    let log = client
        .clone()
        .list_personal_data_reads(bearer(pb::ListPersonalDataReadsRequest::default(), &auditor))
        .await
        .unwrap()
        .into_inner()
        .reads;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].reader, "department-7");
    assert_eq!(log[0].department, filed.department);
    assert_eq!(log[0].complaint_id, filed.id);
    assert_eq!(log[0].fields, vec!["name".to_string(), "phone".to_string()]);
    assert_eq!(log[0].purpose, "call back about the reply");
    let refused = client
        .clone()
        .list_personal_data_reads(bearer(pb::ListPersonalDataReadsRequest::default(), &lead))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // At rest the contact is sealed: no plaintext, and the bytes do not
    // hold the number.
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    type Stored = (Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);
    let (name, phone, name_sealed, phone_sealed): Stored =
        sqlx::query_as("SELECT name, phone, name_sealed, phone_sealed FROM complaint_residents")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((name, phone), (None, None), "no plaintext at rest");
    let (name_sealed, phone_sealed) = (name_sealed.unwrap(), phone_sealed.unwrap());
    assert!(!phone_sealed.windows(11).any(|w| w == b"13812345678"));
    assert!(!name_sealed.windows("张三".len()).any(|w| w == "张三".as_bytes()));

    // Append-only, even for someone with the database in hand.
    for statement in ["UPDATE personal_data_reads SET purpose = 'nothing'", "DELETE FROM personal_data_reads"] {
        let e = sqlx::query(statement).execute(&pool).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{statement}: {e}");
    }

    // Nor does the service's log.
    let log = std::fs::read_to_string(complaints.log_path()).unwrap();
    assert!(log.contains("serving"), "the service's own log: {}", complaints.log_path().display());
    assert!(
        !log.contains("13812345678") && !log.contains("张三"),
        "personal data in {}",
        complaints.log_path().display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_stored_while_sealing_was_disabled_are_sealed_at_the_next_start_with_keys() {
    let namespace = format!("{}.", unique("pd"));
    let database = fresh_database("complaints").await;
    let base = vec![
        ("DUALNET_DATABASE__URL".to_string(), database.clone()),
        ("DUALNET_TRANSPORT__KIND".to_string(), "kafka".to_string()),
        ("DUALNET_KAFKA__BOOTSTRAP_SERVERS".to_string(), kafka_bootstrap()),
        ("DUALNET_KAFKA__NAMESPACE".to_string(), namespace),
    ];
    // First with sealing disabled out loud: the contact is stored as given.
    let mut unsealed = base.clone();
    unsealed.push(("DUALNET_PERSONAL_DATA__DISABLED".to_string(), "true".to_string()));
    let mut open = ServiceProcess::start("complaints", unsealed).await.expect("complaints starts");
    let channel = Channel::from_shared(open.endpoint()).unwrap().connect().await.unwrap();
    let filing = pb::FileComplaintRequest {
        kind: pb::RequestKind::Complaint as i32,
        category: "noise".into(),
        channel: pb::Channel::Hotline as i32,
        description: "Karaoke after midnight".into(),
        resident_name: "李四".into(),
        resident_phone: "13987654321".into(),
        ..Default::default()
    };
    let filed = ComplaintsClient::new(channel).file_complaint(filing).await.unwrap().into_inner();
    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    let plain: Option<String> =
        sqlx::query_scalar("SELECT phone FROM complaint_residents").fetch_one(&pool).await.unwrap();
    assert_eq!(plain.as_deref(), Some("13987654321"));
    open.terminate().await.unwrap();

    // Then with keys: sealed at start, and still readable by the entitled.
    let mut sealed_env = base;
    sealed_env.push(("DUALNET_AUTH__KEYS__K".to_string(), KEY.to_string()));
    sealed_env.push(("DUALNET_PERSONAL_DATA__KEYS__P1".to_string(), SEAL.to_string()));
    sealed_env.push(("DUALNET_PERSONAL_DATA__CURRENT".to_string(), "p1".to_string()));
    let sealed = ServiceProcess::start("complaints", sealed_env).await.expect("complaints starts again");
    let stored: (Option<String>, Option<String>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT name, phone, phone_sealed FROM complaint_residents").fetch_one(&pool).await.unwrap();
    assert_eq!((stored.0, stored.1), (None, None), "the plaintext is gone");
    assert!(!stored.2.unwrap().windows(11).any(|w| w == b"13987654321"));
    let channel = Channel::from_shared(sealed.endpoint()).unwrap().connect().await.unwrap();
    let lead = token("department", &filed.department, Scope::default());
    let request = pb::GetComplaintRequest { id: filed.id, purpose: "call back".into() };
    let contact = ComplaintsClient::new(channel).get_complaint(bearer(request, &lead)).await.unwrap().into_inner();
    let contact = contact.resident.unwrap();
    assert_eq!((contact.name.as_str(), contact.phone.as_str(), contact.masked), ("李四", "13987654321", false));
}
