//! A residents' council's resolution handed to the governance network:
//! party-grid's `ResolutionAdopted` opens one incident at the building it
//! names, from the council, naming the topic — however often it arrives —
//! and a resolution that hands nothing out opens none.

use dualnet_events::{Record, Transport};
use dualnet_proto::{governance::v1 as gov, partygrid::v1 as party, topics};
use dualnet_testkit::wait_for;
use prost::Message;
use uuid::Uuid;

use super::running::{self, WAIT};

fn adopted(topic: Uuid, community: &str, building: &str) -> Record {
    let e = party::ResolutionAdopted {
        topic_id: topic.to_string(),
        community_id: community.into(),
        council_id: Uuid::now_v7().to_string(),
        meeting_id: Uuid::now_v7().to_string(),
        resolution: "清理楼道杂物".into(),
        building_id: building.into(),
        category: "fire_safety".into(),
        ..Default::default()
    };
    Record::of_message(topics::PARTYGRID, "/dualnet/party-grid", Uuid::now_v7(), topic, &e)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_councils_resolution_opens_one_incident_at_the_building_it_names() {
    let mut s = running::start().await;
    let grid = running::grid(&mut s.client).await;
    let req = gov::CreateBuildingRequest {
        grid_id: grid.clone(),
        code: dualnet_testkit::unique("b"),
        name: "城市广场3栋".into(),
        ..Default::default()
    };
    let building = s.client.create_building(req).await.unwrap().into_inner().id;
    let community =
        s.client.get_grid(gov::GetGridRequest { id: grid.clone() }).await.unwrap().into_inner().community_id;
    let (topic, nothing_handed_out) = (Uuid::now_v7(), Uuid::now_v7());
    let publisher = s.log.publisher();
    publisher
        .publish(&[
            adopted(topic, &community, &building),
            adopted(topic, &community, &building),
            adopted(nothing_handed_out, &community, ""),
        ])
        .await
        .unwrap();
    // A marker resolution published last: once its incident is there, the
    // three before it were applied.
    let marker = Uuid::now_v7();
    publisher.publish(&[adopted(marker, &community, &building)]).await.unwrap();
    let incidents = wait_for("the marker's incident", WAIT, || {
        let (mut client, grid) = (s.client.clone(), grid.clone());
        async move {
            let req = gov::ListIncidentsRequest { grid_id: grid, ..Default::default() };
            Some(client.list_incidents(req).await.unwrap().into_inner().incidents).filter(|i| i.len() >= 2)
        }
    })
    .await;
    assert_eq!(incidents.len(), 2, "one for the topic, one for the marker: {incidents:?}");
    let mut topics: Vec<&str> = incidents.iter().map(|i| i.topic_id.as_str()).collect();
    topics.sort_unstable();
    let mut expected = [topic.to_string(), marker.to_string()];
    expected.sort_unstable();
    assert_eq!(topics, expected, "each incident names its council topic");
    let i = &incidents[0];
    assert_eq!((i.building_id.as_str(), i.category.as_str()), (building.as_str(), "fire_safety"));
    assert_eq!(i.source, gov::IncidentSource::Council as i32);
    assert_eq!(i.summary, "council resolution: 清理楼道杂物");
    // Its announcement names the topic, for party-grid to follow it.
    let opened: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM event_outbox WHERE event_type = 'dualnet.governance.v1.IncidentOpened' ORDER BY seq",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    let topics: Vec<String> =
        opened.iter().map(|b| gov::IncidentOpened::decode(b.as_slice()).unwrap().topic_id).collect();
    assert_eq!(topics, [topic.to_string(), marker.to_string()]);
    s.shutdown.cancel();
}
