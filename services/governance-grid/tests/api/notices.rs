//! Community notices (信息公开): a council's resolution and its
//! implementation, and a closed incident's outcome, are read from the
//! public feed (JSON and Atom) without a token, with phone numbers and flat
//! numbers masked, and announced once each as `NoticePublished`.

use dualnet_events::{Record, Transport};
use dualnet_platform::auth::Scope;
use dualnet_proto::{
    governance::v1::{self as gov, governance_grid_client::GovernanceGridClient},
    partygrid::v1 as party,
    topics,
};
use dualnet_testkit::{InProcess, WAIT, bearer, http, http_json, tokens, wait_for};
use tonic::Code;
use uuid::Uuid;

fn from_party<M: prost::Name>(subject: Uuid, message: &M) -> Record {
    Record::of_message(topics::PARTYGRID, "/dualnet/party-grid", Uuid::now_v7(), subject, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_public_redacted_and_published_once() {
    let service = InProcess::start(&governance_grid::DEFINITION, chrono::Utc::now(), |c| {
        c.auth = tokens::auth_config();
        c.notices.listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let feed = service.listener("notices");
    let mut g = GovernanceGridClient::new(service.channel().await);
    let admin = tokens::token("centre-1", "bantian", &["admin"], Scope::default());
    let code = dualnet_testkit::unique("sd");
    let sub = gov::CreateSubdistrictRequest { code: code.clone(), name: "坂田街道".into() };
    let sub = g.create_subdistrict(bearer(sub, &admin)).await.unwrap().into_inner().id;
    let community =
        gov::CreateCommunityRequest { subdistrict_id: sub, code: format!("{code}-c"), name: "新雪社区".into() };
    let community = g.create_community(bearer(community, &admin)).await.unwrap().into_inner().id;
    let grid =
        gov::CreateGridRequest { community_id: community.clone(), code: format!("{code}-g"), name: "一网格".into() };
    let grid = g.create_grid(bearer(grid, &admin)).await.unwrap().into_inner().id;

    // A council's resolution, delivered twice, then its implementation.
    let topic = Uuid::now_v7();
    let adopted = party::ResolutionAdopted {
        topic_id: topic.to_string(),
        community_id: community.clone(),
        resolution: "城市广场3栋1203室门前设非机动车停放点,联系人电话13800138000".into(),
        ..Default::default()
    };
    let implemented = party::TopicTransitioned {
        topic_id: topic.to_string(),
        community_id: community.clone(),
        from_status: party::TopicStatus::Resolved as i32,
        to_status: party::TopicStatus::Implemented as i32,
        ..Default::default()
    };
    let events = [from_party(topic, &adopted), from_party(topic, &adopted), from_party(topic, &implemented)];
    service.log.publisher().publish(&events).await.unwrap();

    let path = format!("/notices/v1/communities/{community}.json");
    let json = wait_for("two notices in the feed", WAIT, || async {
        let (status, body) = http_json(feed, "GET", &path, "application/json", b"").await.ok()?;
        (status == 200 && body["notices"].as_array()?.len() == 2).then_some(body)
    })
    .await;
    assert_eq!(json["community"], "新雪社区");
    let notices = json["notices"].as_array().unwrap();
    // Newest first.
    assert_eq!(
        (notices[0]["kind"].as_str(), notices[1]["kind"].as_str()),
        (Some("implementation"), Some("resolution"))
    );
    let body = notices[1]["body"].as_str().unwrap();
    assert_eq!(body, "城市广场3栋***室门前设非机动车停放点,联系人电话***");
    assert!(notices[0]["body"].as_str().unwrap().ends_with(body), "the implementation names what was resolved");

    // A closed incident's outcome, published by the centre.
    let report = gov::ReportIncidentRequest {
        grid_id: grid.clone(),
        category: "refuse".into(),
        summary: "Refuse piling up behind the market; 王五 13900139000 reported it".into(),
        ..Default::default()
    };
    let incident = g.report_incident(bearer(report, &admin)).await.unwrap().into_inner().id;
    let outcome = |text: &str| gov::PublishIncidentOutcomeRequest { incident_id: incident.clone(), text: text.into() };
    let open = g.publish_incident_outcome(bearer(outcome("cleared"), &admin)).await.unwrap_err();
    assert_eq!(open.code(), Code::FailedPrecondition, "only a closed incident's outcome: {open:?}");
    for action in [
        gov::IncidentAction::Accept,
        gov::IncidentAction::Dispatch,
        gov::IncidentAction::Handle,
        gov::IncidentAction::Verify,
        gov::IncidentAction::Close,
    ] {
        let step = gov::TransitionIncidentRequest {
            id: incident.clone(),
            action: action as i32,
            assignee: "环卫所".into(),
            ..Default::default()
        };
        g.transition_incident(bearer(step, &admin)).await.unwrap();
    }
    let notice =
        g.publish_incident_outcome(bearer(outcome("垃圾已清运,联系13700137000"), &admin)).await.unwrap().into_inner();
    assert_eq!((notice.title.as_str(), notice.body.as_str()), ("事件已办结 · refuse", "垃圾已清运,联系***"));
    let twice = g.publish_incident_outcome(bearer(outcome("again"), &admin)).await.unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);

    // The Atom feed, without a token too; the reporter is in no notice.
    let (status, atom) = http(feed, "GET", &path.replace(".json", ".atom"), "text/plain", b"").await.unwrap();
    assert_eq!(status, 200);
    assert!(atom.starts_with("<?xml") && atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), "{atom}");
    assert_eq!(atom.matches("<entry>").count(), 3);
    assert!(!atom.contains("王五") && !atom.contains("13900139000") && !atom.contains("13800138000"));
    // The staff list shows the same, with a token.
    let listed = gov::ListNoticesRequest { community_id: community.clone(), ..Default::default() };
    assert_eq!(g.list_notices(bearer(listed, &admin)).await.unwrap().into_inner().notices.len(), 3);

    // Unknown communities and malformed ids.
    let unknown = format!("/notices/v1/communities/{}.json", Uuid::now_v7());
    assert_eq!(http_json(feed, "GET", &unknown, "application/json", b"").await.unwrap().0, 404);
    let (status, error) =
        http_json(feed, "GET", "/notices/v1/communities/x.json", "application/json", b"").await.unwrap();
    assert_eq!((status, error["error"].as_str()), (400, Some("the community id is not a UUID")));

    // Each notice announced once, for channel back-ends.
    let announced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event_outbox WHERE event_type = 'dualnet.governance.v1.NoticePublished'",
    )
    .fetch_one(&service.pool)
    .await
    .unwrap();
    assert_eq!(announced, 3);
    service.shutdown.cancel();
}
