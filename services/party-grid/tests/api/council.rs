//! Residents' consultation councils through the API: a topic raised by a
//! liaison deputy runs raised → accepted → scheduled → resolved at a
//! quorate meeting, hands an incident to the governance network, is
//! implemented when that incident closes and reviewed by the council;
//! members' names and phones are sealed at rest, masked, and audited when
//! read; a meeting short of its quorum decides nothing; an early warning in
//! the council's community is proposed to it once.

use dualnet_events::{Record, Transport};
use dualnet_platform::auth::Scope;
use dualnet_proto::{
    governance::v1 as gov,
    partygrid::v1::{self as party, party_grid_client::PartyGridClient},
    topics,
};
use dualnet_testkit::{InProcess, WAIT, bearer, tokens, wait_for};
use prost::Message;
use prost_types::Timestamp;
use tonic::{Code, transport::Channel};
use uuid::Uuid;

fn record<M: prost::Name>(subject: Uuid, message: &M) -> Record {
    Record::of_message(topics::GOVERNANCE, "/dualnet/governance-grid", Uuid::now_v7(), subject, message)
}

/// The map governance-grid announces: a community with a grid and a
/// building, and a second community elsewhere.
struct Map {
    community: Uuid,
    grid: Uuid,
    building: Uuid,
    other_community: Uuid,
}

async fn map(log: &dyn Transport) -> Map {
    let (sub, community, grid, building, other) =
        (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let community_of = |c: Uuid| gov::CommunityCreated {
        community_id: c.to_string(),
        subdistrict_id: sub.to_string(),
        name: "新雪社区".into(),
        ..Default::default()
    };
    log.publisher()
        .publish(&[
            record(sub, &gov::SubdistrictCreated { subdistrict_id: sub.to_string(), ..Default::default() }),
            record(community, &community_of(community)),
            record(other, &community_of(other)),
            record(
                grid,
                &gov::GridCreated {
                    grid_id: grid.to_string(),
                    community_id: community.to_string(),
                    ..Default::default()
                },
            ),
            record(
                building,
                &gov::BuildingCreated {
                    building_id: building.to_string(),
                    grid_id: grid.to_string(),
                    ..Default::default()
                },
            ),
        ])
        .await
        .unwrap();
    Map { community, grid, building, other_community: other }
}

fn at(rfc3339: &str) -> Option<Timestamp> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    Some(Timestamp { seconds: t.timestamp(), nanos: 0 })
}

/// A council of `community` convened by a new community committee, once the
/// community is in the read model.
async fn council(p: &PartyGridClient<Channel>, token: &str, community: Uuid, quorum: (u32, u32)) -> party::Council {
    let kind = party::OrganisationKind::CommunityCommittee as i32;
    let org = party::CreateOrganisationRequest { parent_id: String::new(), kind, name: "新雪社区党委".into() };
    let org = p.clone().create_organisation(bearer(org, token)).await.unwrap().into_inner().id;
    let req = party::CreateCouncilRequest {
        community_id: community.to_string(),
        name: dualnet_testkit::unique("新雪社区居民议事会"),
        convenor_organisation_id: org,
        quorum_numerator: quorum.0,
        quorum_denominator: quorum.1,
        term_start: at("2026-01-01T00:00:00+08:00"),
        term_end: at("2031-01-01T00:00:00+08:00"),
    };
    wait_for("the community in the read model", WAIT, || {
        let (mut p, req) = (p.clone(), bearer(req.clone(), token));
        async move { p.create_council(req).await.ok().map(tonic::Response::into_inner) }
    })
    .await
}

async fn member(p: &PartyGridClient<Channel>, token: &str, council: &str, kind: party::CouncilMemberKind) -> String {
    let liaison_role =
        if kind == party::CouncilMemberKind::Liaison { party::LiaisonRole::PeoplesCongressDeputy as i32 } else { 0 };
    let req = party::AddCouncilMemberRequest {
        council_id: council.into(),
        name: "李四".into(),
        phone: "13812345678".into(),
        kind: kind as i32,
        liaison_role,
    };
    p.clone().add_council_member(bearer(req, token)).await.unwrap().into_inner().id
}

async fn step(p: &PartyGridClient<Channel>, token: &str, id: &str, action: party::TopicAction) -> party::Topic {
    let req = party::MoveTopicRequest { id: id.into(), action: action as i32, ..Default::default() };
    p.clone().move_topic(bearer(req, token)).await.unwrap().into_inner()
}

fn status(t: &party::Topic) -> party::TopicStatus {
    party::TopicStatus::try_from(t.status).unwrap()
}

/// The events of `event_type` the service put in its outbox.
async fn published<M: Message + Default>(pool: &sqlx::PgPool, event_type: &str) -> Vec<M> {
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payload FROM event_outbox WHERE event_type = $1 ORDER BY seq")
        .bind(event_type)
        .fetch_all(pool)
        .await
        .unwrap();
    rows.iter().map(|b| M::decode(b.as_slice()).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liaisons_topic_is_resolved_handed_to_an_incident_implemented_when_it_closes_and_reviewed() {
    let service =
        InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let p = PartyGridClient::new(service.channel().await);
    let map = map(service.log.as_ref()).await;
    let admin = tokens::token("convenor-1", "xinxue", &["admin"], Scope::default());
    let c = council(&p, &admin, map.community, (0, 0)).await;
    assert_eq!((c.quorum_numerator, c.quorum_denominator), (1, 2), "half of the members by default");
    let deputy = member(&p, &admin, &c.id, party::CouncilMemberKind::Liaison).await;
    let resident = member(&p, &admin, &c.id, party::CouncilMemberKind::MigrantResident).await;
    member(&p, &admin, &c.id, party::CouncilMemberKind::Resident).await;
    member(&p, &admin, &c.id, party::CouncilMemberKind::Official).await;

    let raise = party::RaiseTopicRequest {
        council_id: c.id.clone(),
        title: "楼道堆放杂物".into(),
        description: "The stairwells of building 3 are blocked by bicycles and boxes".into(),
        source: party::TopicSource::Liaison as i32,
        member_id: deputy.clone(),
        ..Default::default()
    };
    // A liaison's topic names a liaison member: the migrant resident is not one.
    let wrong = party::RaiseTopicRequest { member_id: resident.clone(), ..raise.clone() };
    let refused = p.clone().raise_topic(bearer(wrong, &admin)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let topic = p.clone().raise_topic(bearer(raise, &admin)).await.unwrap().into_inner();
    assert_eq!(status(&topic), party::TopicStatus::Raised);
    assert_eq!(topic.history[0].actor, "convenor-1", "the token's subject raised it");

    step(&p, &admin, &topic.id, party::TopicAction::Accept).await;
    step(&p, &admin, &topic.id, party::TopicAction::Schedule).await;
    // Three of four attend (quorate at half); 2 for, 1 abstaining carries.
    let hold = party::HoldMeetingRequest {
        council_id: c.id.clone(),
        attending_member_ids: vec![deputy.clone(), resident.clone(), deputy.clone()],
        minutes: "Agreed to clear the stairwells with the property company".into(),
        agenda: vec![party::AgendaItem {
            topic_id: topic.id.clone(),
            in_favour: 2,
            abstaining: 0,
            resolution: "清理楼道杂物,物业设置非机动车停放点,联系13800138000".into(),
            hand_off: Some(party::HandOff {
                building_id: map.building.to_string(),
                category: "fire_safety".into(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let meeting = p.clone().hold_meeting(bearer(hold, &admin)).await.unwrap().into_inner();
    assert!(meeting.quorate, "2 of 4 attending (the repeated id counts once) is half");
    assert_eq!((meeting.members, meeting.attending), (4, 2));
    let resolved = &meeting.topics[0];
    assert_eq!(status(resolved), party::TopicStatus::Resolved);
    assert_eq!(resolved.resolution.as_ref().unwrap().in_favour, 2);

    // The resolution is announced for governance-grid, with its hand-off.
    let adopted: Vec<party::ResolutionAdopted> =
        published(&service.pool, "dualnet.partygrid.v1.ResolutionAdopted").await;
    assert_eq!(adopted.len(), 1);
    assert_eq!(adopted[0].resolution, "清理楼道杂物,物业设置非机动车停放点,联系***", "no phone leaves party-grid");
    assert_eq!(
        (adopted[0].topic_id.as_str(), adopted[0].building_id.as_str()),
        (topic.id.as_str(), &*map.building.to_string())
    );
    // While the incident it handed out is open, nobody implements it by hand.
    let early = party::MoveTopicRequest {
        id: topic.id.clone(),
        action: party::TopicAction::Implement as i32,
        ..Default::default()
    };
    let refused = p.clone().move_topic(bearer(early, &admin)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");

    // governance-grid opens the incident (twice delivered) and closes it.
    let incident = Uuid::now_v7();
    let opened = gov::IncidentOpened {
        incident_id: incident.to_string(),
        grid_id: map.grid.to_string(),
        building_id: map.building.to_string(),
        community_id: map.community.to_string(),
        source: gov::IncidentSource::Council as i32,
        topic_id: topic.id.clone(),
        ..Default::default()
    };
    let closed =
        gov::IncidentClosed { incident_id: incident.to_string(), grid_id: map.grid.to_string(), ..Default::default() };
    let events =
        [record(incident, &opened), record(incident, &opened), record(incident, &closed), record(incident, &closed)];
    service.log.publisher().publish(&events).await.unwrap();
    let implemented = wait_for("the topic implemented", WAIT, || {
        let (mut p, req) = (p.clone(), bearer(party::GetTopicRequest { id: topic.id.clone() }, &admin));
        async move {
            let t = p.get_topic(req).await.unwrap().into_inner();
            (status(&t) == party::TopicStatus::Implemented).then_some(t)
        }
    })
    .await;
    assert_eq!(implemented.resolution.unwrap().incident_id, incident.to_string());
    let reviewed = step(&p, &admin, &topic.id, party::TopicAction::Review).await;
    let path: Vec<party::TopicStatus> =
        reviewed.history.iter().map(|s| party::TopicStatus::try_from(s.to_status).unwrap()).collect();
    use party::TopicStatus as S;
    assert_eq!(path, [S::Raised, S::Accepted, S::Scheduled, S::Resolved, S::Implemented, S::Reviewed], "once each");
    assert_eq!(reviewed.history[4].actor, "governance-grid");
    // The deputy attended the one meeting and raised the one topic.
    let req = bearer(party::GetLiaisonReportRequest { council_id: c.id.clone() }, &admin);
    let report = p.clone().get_liaison_report(req).await.unwrap().into_inner().liaisons;
    assert_eq!(report.len(), 1, "one liaison member");
    let r = &report[0];
    assert_eq!(
        (r.member_id.as_str(), r.liaison_role),
        (deputy.as_str(), party::LiaisonRole::PeoplesCongressDeputy as i32)
    );
    assert_eq!((r.meetings_held, r.meetings_attended, r.topics_raised, r.topics_resolved), (1, 1, 1, 1));
    assert!((r.attendance_share - 1.0).abs() < 1e-9);
    let moved: Vec<party::TopicTransitioned> = published(&service.pool, "dualnet.partygrid.v1.TopicTransitioned").await;
    assert_eq!(moved.len(), 5, "every step after raising announced once");
    service.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn council_members_are_sealed_at_rest_masked_and_every_unmasked_read_is_audited() {
    let service =
        InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let p = PartyGridClient::new(service.channel().await);
    let map = map(service.log.as_ref()).await;
    let admin = tokens::token("admin-1", "xinxue", &["admin"], Scope::default());
    let c = council(&p, &admin, map.community, (2, 3)).await;
    let id = member(&p, &admin, &c.id, party::CouncilMemberKind::Resident).await;
    // Both readers work in the council's community.
    let here = || Scope { communities: vec![map.community.to_string()], ..Default::default() };
    let organiser = tokens::token("organiser-1", "xinxue", &["party_organiser"], here());

    let (name, phone, name_sealed): (Option<String>, Option<String>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT name, phone, name_sealed FROM council_members WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&service.pool)
            .await
            .unwrap();
    assert_eq!((name, phone), (None, None), "no plaintext at rest");
    assert!(!name_sealed.unwrap().windows("李四".len()).any(|w| w == "李四".as_bytes()));

    let list = |token: String, purpose: &str| {
        let req = party::ListCouncilMembersRequest {
            council_id: c.id.clone(),
            purpose: purpose.into(),
            ..Default::default()
        };
        let mut p = p.clone();
        async move { p.list_council_members(bearer(req, &token)).await.unwrap().into_inner().members }
    };
    // Without the personal-data permission, masked even with a purpose.
    let masked = list(organiser.clone(), "meeting notice").await;
    assert_eq!((masked[0].name.as_str(), masked[0].phone.as_str(), masked[0].unmasked), ("李*", "138****5678", false));
    let dispatcher = tokens::token("dispatcher-1", "centre", &["dispatcher"], here());
    // Entitled but without a purpose: masked, nothing audited.
    assert!(!list(dispatcher.clone(), "").await[0].unmasked);
    let reads = || async {
        sqlx::query_as::<_, (String, Vec<String>, String)>(
            "SELECT reader, fields, purpose FROM personal_data_reads WHERE record_id = $1::uuid",
        )
        .bind(&c.id)
        .fetch_all(&service.pool)
        .await
        .unwrap()
    };
    assert!(reads().await.is_empty());
    let unmasked = list(dispatcher, "calling members to the meeting").await;
    assert_eq!((unmasked[0].name.as_str(), unmasked[0].phone.as_str()), ("李四", "13812345678"));
    assert_eq!(
        reads().await,
        [("dispatcher-1".into(), vec!["name".into(), "phone".into()], "calling members to the meeting".into())]
    );
    // The auditor reads the log through the API; nobody else does.
    let auditor = tokens::token("auditor-1", "discipline", &["auditor"], Scope::default());
    let log = |token: String| {
        let req = party::ListPersonalDataReadsRequest { council_id: c.id.clone(), ..Default::default() };
        let mut p = p.clone();
        async move { p.list_personal_data_reads(bearer(req, &token)).await }
    };
    let audited = log(auditor).await.unwrap().into_inner().reads;
    assert_eq!((audited.len(), audited[0].reader.as_str()), (1, "dispatcher-1"));
    assert_eq!(log(organiser.clone()).await.unwrap_err().code(), Code::PermissionDenied);
    // Events name members by id and kind only.
    let joined: Vec<party::CouncilMemberJoined> =
        published(&service.pool, "dualnet.partygrid.v1.CouncilMemberJoined").await;
    assert_eq!(joined[0].member_id, id);
    service.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_councils_and_meetings_are_refused_field_by_field_and_a_meeting_short_of_quorum_decides_nothing() {
    let service =
        InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let p = PartyGridClient::new(service.channel().await);
    let map = map(service.log.as_ref()).await;
    let admin = tokens::token("admin-1", "xinxue", &["admin"], Scope::default());

    let bad = party::CreateCouncilRequest {
        community_id: "not-an-id".into(),
        name: " ".into(),
        convenor_organisation_id: Uuid::now_v7().to_string(),
        quorum_numerator: 3,
        quorum_denominator: 2,
        term_start: at("2026-01-01T00:00:00+08:00"),
        term_end: at("2025-01-01T00:00:00+08:00"),
    };
    let refused = p.clone().create_council(bearer(bad, &admin)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let fields = dualnet_testkit::field_violations(&refused);
    for field in ["community_id", "name", "quorum_numerator", "term_end"] {
        assert!(fields.iter().any(|f| f == field), "{field} missing from {fields:?}");
    }

    // Quorum two thirds: one of three attending decides nothing.
    let c = council(&p, &admin, map.community, (2, 3)).await;
    let again = party::CreateCouncilRequest {
        community_id: map.community.to_string(),
        name: c.name.clone(),
        convenor_organisation_id: c.convenor_organisation_id.clone(),
        term_start: at("2026-01-01T00:00:00+08:00"),
        term_end: at("2027-01-01T00:00:00+08:00"),
        ..Default::default()
    };
    let duplicate = p.clone().create_council(bearer(again, &admin)).await.unwrap_err();
    assert_eq!(duplicate.code(), Code::AlreadyExists, "{duplicate:?}");
    let members = [
        member(&p, &admin, &c.id, party::CouncilMemberKind::Resident).await,
        member(&p, &admin, &c.id, party::CouncilMemberKind::Resident).await,
        member(&p, &admin, &c.id, party::CouncilMemberKind::Stakeholder).await,
    ];
    let raise = party::RaiseTopicRequest {
        council_id: c.id.clone(),
        title: "Parking in the fire lane".into(),
        source: party::TopicSource::Member as i32,
        member_id: members[2].clone(),
        ..Default::default()
    };
    let topic = p.clone().raise_topic(bearer(raise, &admin)).await.unwrap().into_inner();
    // Only a scheduled topic goes on an agenda.
    let item =
        party::AgendaItem { topic_id: topic.id.clone(), in_favour: 1, resolution: "tow".into(), ..Default::default() };
    let meeting = |attending: &[String], item: party::AgendaItem| party::HoldMeetingRequest {
        council_id: c.id.clone(),
        attending_member_ids: attending.to_vec(),
        agenda: vec![item],
        ..Default::default()
    };
    let early = p.clone().hold_meeting(bearer(meeting(&members, item.clone()), &admin)).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    step(&p, &admin, &topic.id, party::TopicAction::Accept).await;
    step(&p, &admin, &topic.id, party::TopicAction::Schedule).await;
    let short = p.clone().hold_meeting(bearer(meeting(&members[..1], item.clone()), &admin)).await.unwrap_err();
    assert_eq!(short.code(), Code::FailedPrecondition, "a vote short of quorum: {short:?}");
    let discussed = party::AgendaItem { in_favour: 0, resolution: String::new(), ..item.clone() };
    let held = p.clone().hold_meeting(bearer(meeting(&members[..1], discussed), &admin)).await.unwrap().into_inner();
    assert!(!held.quorate);
    assert_eq!(status(&held.topics[0]), party::TopicStatus::Scheduled, "still waiting for a quorate meeting");
    // A carried vote needs its resolution; a stranger cannot attend.
    let no_text = party::AgendaItem { resolution: String::new(), in_favour: 2, ..item.clone() };
    let refused = p.clone().hold_meeting(bearer(meeting(&members, no_text), &admin)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let stranger = [members[0].clone(), Uuid::now_v7().to_string()];
    let refused = p.clone().hold_meeting(bearer(meeting(&stranger, item.clone()), &admin)).await.unwrap_err();
    assert_eq!(dualnet_testkit::field_violations(&refused), ["attending_member_ids"]);
    // 1 for, 2 against: the vote is lost and the topic declined.
    let lost = party::AgendaItem { in_favour: 1, against: 2, ..item };
    let held = p.clone().hold_meeting(bearer(meeting(&members, lost), &admin)).await.unwrap().into_inner();
    assert_eq!(status(&held.topics[0]), party::TopicStatus::Declined);

    // A caller of another community does not see this council at all.
    let elsewhere = Scope { communities: vec![map.other_community.to_string()], ..Default::default() };
    let outsider = tokens::token("organiser-2", "wuhe", &["party_organiser"], elsewhere);
    let hidden =
        p.clone().get_council(bearer(party::GetCouncilRequest { id: c.id.clone() }, &outsider)).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let hidden =
        p.clone().get_topic(bearer(party::GetTopicRequest { id: topic.id.clone() }, &outsider)).await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    service.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_warning_in_the_councils_community_is_proposed_to_it_once() {
    let service = InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |_| {}).await;
    let p = PartyGridClient::new(service.channel().await);
    let map = map(service.log.as_ref()).await;
    let c = council(&p, "", map.community, (0, 0)).await;
    let warning = Uuid::now_v7();
    let raised = gov::WarningRaised {
        warning_id: warning.to_string(),
        kind: gov::WarningKind::Rule as i32,
        rule_code: "noise_at_building".into(),
        grid_id: map.grid.to_string(),
        count: 3,
        ..Default::default()
    };
    service.log.publisher().publish(&[record(warning, &raised), record(warning, &raised)]).await.unwrap();
    let proposed = wait_for("the proposed topic", WAIT, || {
        let mut p = p.clone();
        let req = party::ListTopicsRequest { council_id: c.id.clone(), ..Default::default() };
        async move { Some(p.list_topics(req).await.unwrap().into_inner().topics).filter(|t| !t.is_empty()) }
    })
    .await;
    // A missed patrol is no recurring problem; a marker published after it:
    // once the marker's topic exists, everything before it was applied.
    let missed = gov::WarningRaised {
        warning_id: Uuid::now_v7().to_string(),
        kind: gov::WarningKind::PatrolMissed as i32,
        rule_code: String::new(),
        ..raised.clone()
    };
    let marker = gov::WarningRaised { warning_id: Uuid::now_v7().to_string(), ..raised.clone() };
    service.log.publisher().publish(&[record(warning, &missed), record(warning, &marker)]).await.unwrap();
    let all = wait_for("the marker's topic", WAIT, || {
        let (mut p, marker) = (p.clone(), marker.warning_id.clone());
        let req = party::ListTopicsRequest { council_id: c.id.clone(), ..Default::default() };
        async move {
            let topics = p.list_topics(req).await.unwrap().into_inner().topics;
            topics.iter().any(|t| t.warning_id == marker).then_some(topics)
        }
    })
    .await;
    assert_eq!(all.len(), 2, "the redelivered warning proposed nothing twice, the missed patrol nothing");
    assert_eq!(proposed[0].warning_id, warning.to_string());
    assert_eq!(proposed[0].source, party::TopicSource::RecurringProblem as i32);
    assert_eq!(proposed[0].title, "recurring problem: noise_at_building (3 events)");
    service.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_council_rpc_keeps_to_the_callers_area_and_roles() {
    let service =
        InProcess::start(&party_grid::DEFINITION, chrono::Utc::now(), |c| c.auth = tokens::auth_config()).await;
    let p = PartyGridClient::new(service.channel().await);
    let map = map(service.log.as_ref()).await;
    let admin = tokens::token("admin-1", "xinxue", &["admin"], Scope::default());
    let c = council(&p, &admin, map.community, (0, 0)).await;
    let member = member(&p, &admin, &c.id, party::CouncilMemberKind::Official).await;
    let raise = party::RaiseTopicRequest {
        council_id: c.id.clone(),
        title: "t".into(),
        source: party::TopicSource::Member as i32,
        member_id: member.clone(),
        ..Default::default()
    };
    let topic = p.clone().raise_topic(bearer(raise.clone(), &admin)).await.unwrap().into_inner();

    let elsewhere = Scope { communities: vec![map.other_community.to_string()], ..Default::default() };
    let outsider = tokens::token("organiser-2", "wuhe", &["party_organiser"], elsewhere);
    let codes = {
        let (p, c, t, m, who) = (p.clone(), c.clone(), topic.id.clone(), member.clone(), outsider.clone());
        async move {
            let mut p = p;
            let new = party::CreateCouncilRequest {
                community_id: map.community.to_string(),
                name: "another".into(),
                convenor_organisation_id: c.convenor_organisation_id.clone(),
                term_start: at("2026-01-01T00:00:00+08:00"),
                term_end: at("2027-01-01T00:00:00+08:00"),
                ..Default::default()
            };
            let add = party::AddCouncilMemberRequest {
                council_id: c.id.clone(),
                name: "x".into(),
                kind: party::CouncilMemberKind::Resident as i32,
                ..Default::default()
            };
            let list = party::ListCouncilMembersRequest { council_id: c.id.clone(), ..Default::default() };
            let topics = party::ListTopicsRequest { council_id: c.id.clone(), ..Default::default() };
            let step = party::MoveTopicRequest {
                id: t.clone(),
                action: party::TopicAction::Accept as i32,
                ..Default::default()
            };
            let hold = party::HoldMeetingRequest {
                council_id: c.id.clone(),
                attending_member_ids: vec![m],
                agenda: vec![party::AgendaItem { topic_id: t.clone(), ..Default::default() }],
                ..Default::default()
            };
            let report = party::GetLiaisonReportRequest { council_id: c.id.clone() };
            vec![
                ("CreateCouncil", p.create_council(bearer(new, &who)).await.map(|_| ())),
                ("AddCouncilMember", p.add_council_member(bearer(add, &who)).await.map(|_| ())),
                ("ListCouncilMembers", p.list_council_members(bearer(list, &who)).await.map(|_| ())),
                ("RaiseTopic", p.raise_topic(bearer(raise, &who)).await.map(|_| ())),
                ("ListTopics", p.list_topics(bearer(topics, &who)).await.map(|_| ())),
                ("MoveTopic", p.move_topic(bearer(step, &who)).await.map(|_| ())),
                ("HoldMeeting", p.hold_meeting(bearer(hold, &who)).await.map(|_| ())),
                ("GetLiaisonReport", p.get_liaison_report(bearer(report, &who)).await.map(|_| ())),
            ]
        }
    }
    .await;
    for (rpc, answer) in codes {
        assert_eq!(answer.map_err(|s| s.code()), Err(Code::NotFound), "{rpc} outside the caller's area");
    }

    // Roles: a grid worker forms no council, a resident channel reads none.
    let here = || Scope { communities: vec![map.community.to_string()], ..Default::default() };
    let worker = tokens::token("gw-1", "xinxue", &["grid_worker"], here());
    let add = party::AddCouncilMemberRequest {
        council_id: c.id.clone(),
        name: "x".into(),
        kind: party::CouncilMemberKind::Resident as i32,
        ..Default::default()
    };
    let denied = p.clone().add_council_member(bearer(add, &worker)).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let channel = tokens::token("wechat-bot", "xinxue", &["resident_channel"], here());
    let topics = party::ListTopicsRequest { council_id: c.id.clone(), ..Default::default() };
    assert_eq!(p.clone().list_topics(bearer(topics, &channel)).await.unwrap_err().code(), Code::PermissionDenied);
    service.shutdown.cancel();
}
