//! The escalation ladder and the whistle through the API, deadlines in
//! working days under a moved clock.

use crate::running::{grid, level_of, report, start, start_at, step, wait_level};
use chrono::{TimeZone, Utc};
use dualnet_platform::timestamp::from_proto;
use dualnet_proto::governance::v1 as gov;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_left_unresolved_escalates_one_tier_per_passed_deadline() {
    // Thursday 12 February 2026, before the Spring Festival holiday.
    let mut s = start_at(Utc.with_ymd_and_hms(2026, 2, 12, 8, 0, 0).unwrap()).await;
    let grid = grid(&mut s.client).await;
    let open = report(&mut s.client, &grid, gov::Severity::Normal).await;
    // Three working days: Friday 13th, Saturday 14th (worked in exchange
    // for the holiday), then nothing until Tuesday 24th; the period ends at
    // 24:00 of the 24th, China time (Civil Code Art. 203), 16:00 UTC.
    let due = from_proto(open.deadline.as_ref().unwrap()).unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 2, 24, 16, 0, 0).unwrap());
    let closed = report(&mut s.client, &grid, gov::Severity::Normal).await;
    assert_eq!(open.level, gov::IncidentLevel::Grid as i32);
    for action in [
        gov::IncidentAction::Accept,
        gov::IncidentAction::Dispatch,
        gov::IncidentAction::Handle,
        gov::IncidentAction::Verify,
        gov::IncidentAction::Close,
    ] {
        let req = gov::TransitionIncidentRequest {
            id: closed.id.clone(),
            action: action as i32,
            actor: "网格员".into(),
            ..Default::default()
        };
        s.client.transition_incident(req).await.unwrap();
    }

    // Within its three working days at the grid nothing moves: the whole
    // holiday passes first.
    s.clock.advance(chrono::Duration::days(11));
    let probe = report(&mut s.client, &grid, gov::Severity::Normal).await;
    // 00:01 of Wednesday 25th in China: past the grid deadline.
    s.clock.advance(chrono::Duration::days(1) + chrono::Duration::minutes(8 * 60 + 1));
    // Up to the community, with its own deadline.
    wait_level(&s.client, &open.id, gov::IncidentLevel::Community).await;
    // The sweep that moved `open` saw the closed one too, and left it.
    assert_eq!(level_of(&s.client, &closed.id).await, gov::IncidentLevel::Grid as i32, "closed incidents stay put");
    assert_eq!(level_of(&s.client, &probe.id).await, gov::IncidentLevel::Grid as i32, "not yet due");

    let community = s.client.get_incident(gov::GetIncidentRequest { id: open.id.clone() }).await.unwrap().into_inner();
    let due = from_proto(community.deadline.as_ref().unwrap()).unwrap();
    // Five working days at the community from Wednesday 25th (China time):
    // Thu 26, Fri 27, Sat 28 (a swapped working day), Mon 2 and Tue 3 March,
    // to 24:00 of the 3rd.
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 3, 16, 0, 0).unwrap());
    s.clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    wait_level(&s.client, &open.id, gov::IncidentLevel::Subdistrict).await;
    let i = s.client.get_incident(gov::GetIncidentRequest { id: open.id.clone() }).await.unwrap().into_inner();
    let escalations: Vec<&str> =
        i.history.iter().filter(|h| h.note.contains("deadline_passed")).map(|h| h.note.as_str()).collect();
    assert_eq!(escalations.len(), 2, "{escalations:?}");
    // Far past every deadline it stays at the top tier.
    s.clock.advance(chrono::Duration::days(30));
    wait_level(&s.client, &probe.id, gov::IncidentLevel::Subdistrict).await;
    assert_eq!(level_of(&s.client, &open.id).await, gov::IncidentLevel::Subdistrict as i32);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_major_incident_starts_a_tier_up() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    let major = report(&mut s.client, &grid, gov::Severity::Major).await;
    assert_eq!(major.level, gov::IncidentLevel::Community as i32);
    let bad = s
        .client
        .report_incident(gov::ReportIncidentRequest {
            grid_id: grid.clone(),
            category: "noise".into(),
            summary: "x".into(),
            reporter: "网格员".into(),
            severity: 99,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    // A party organisation reports too; the other sources arrive as events.
    let by_party = |source: gov::IncidentSource| gov::ReportIncidentRequest {
        grid_id: grid.clone(),
        category: "refuse".into(),
        summary: "bins overflowing behind the market".into(),
        reporter: "网格党支部".into(),
        source: source as i32,
        ..Default::default()
    };
    let reported = s.client.report_incident(by_party(gov::IncidentSource::PartyReport)).await.unwrap().into_inner();
    assert_eq!(reported.source, gov::IncidentSource::PartyReport as i32);
    let forged = s.client.report_incident(by_party(gov::IncidentSource::Complaint)).await.unwrap_err();
    assert_eq!(forged.code(), tonic::Code::InvalidArgument);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whistled_incident_closes_only_when_every_summoned_department_is_done() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    let incident = report(&mut s.client, &grid, gov::Severity::Major).await;
    let whistle = |departments: &[&str]| gov::BlowWhistleRequest {
        id: incident.id.clone(),
        actor: "街道办".into(),
        departments: departments.iter().map(|d| d.to_string()).collect(),
    };
    let early = s.client.blow_whistle(whistle(&["城管"])).await.unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition, "only at subdistrict level");
    let req = gov::EscalateIncidentRequest { id: incident.id.clone(), actor: "社区".into(), reason: String::new() };
    s.client.escalate_incident(req).await.unwrap();
    let empty = s.client.blow_whistle(whistle(&[])).await.unwrap_err();
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);
    let blown = s.client.blow_whistle(whistle(&["城管", "消防"])).await.unwrap().into_inner();
    assert_eq!(blown.summons.len(), 2);

    for action in [
        gov::IncidentAction::Accept,
        gov::IncidentAction::Dispatch,
        gov::IncidentAction::Handle,
        gov::IncidentAction::Verify,
    ] {
        step(&mut s.client, &incident.id, action).await.unwrap();
    }
    let refused = step(&mut s.client, &incident.id, gov::IncidentAction::Close).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(refused.message().contains("城管") && refused.message().contains("消防"), "{}", refused.message());

    let answer = |department: &str| gov::ReportDepartmentDoneRequest {
        id: incident.id.clone(),
        department: department.into(),
        note: "cleared the stairwell".into(),
    };
    let not_in = s.client.report_department_done(answer("城管")).await.unwrap_err();
    assert_eq!(not_in.code(), tonic::Code::FailedPrecondition, "check in first");
    let stranger = gov::CheckInRequest { id: incident.id.clone(), department: "税务".into() };
    assert_eq!(s.client.check_in(stranger).await.unwrap_err().code(), tonic::Code::FailedPrecondition);
    for d in ["城管", "消防"] {
        s.client.check_in(gov::CheckInRequest { id: incident.id.clone(), department: d.into() }).await.unwrap();
    }
    s.client.report_department_done(answer("城管")).await.unwrap();
    let still = step(&mut s.client, &incident.id, gov::IncidentAction::Close).await.unwrap_err();
    assert!(still.message().contains("消防") && !still.message().contains("城管"), "{}", still.message());
    let done = s.client.report_department_done(answer("消防")).await.unwrap().into_inner();
    assert!(done.summons.iter().all(|m| m.checked_in_at.is_some() && m.done_at.is_some()));
    step(&mut s.client, &incident.id, gov::IncidentAction::Close).await.expect("closes once every department is done");
    s.shutdown.cancel();
}

/// The calendar never guesses a year it lacks (the shipped schedule ends with
/// 2026): an incident's deadline counted into 2027 says it is provisional,
/// when reported and when listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_deadline_counted_into_a_year_without_a_holiday_schedule_is_provisional() {
    // Thursday 31 December 2026, 07:59 China time: the grid's three working
    // days are Thursday 31 December itself not counted, then Monday 4 to
    // Wednesday 6 January 2027 (1 January a fixed holiday, then the weekend).
    let mut s = start_at(Utc.with_ymd_and_hms(2026, 12, 30, 23, 59, 0).unwrap()).await;
    let grid = grid(&mut s.client).await;
    let open = report(&mut s.client, &grid, gov::Severity::Normal).await;
    assert_eq!(
        from_proto(open.deadline.as_ref().unwrap()).unwrap(),
        Utc.with_ymd_and_hms(2027, 1, 6, 16, 0, 0).unwrap()
    );
    assert!(open.deadline_provisional, "counted into 2027 without its schedule");
    let listed = s.client.list_incidents(gov::ListIncidentsRequest::default()).await.unwrap().into_inner();
    assert!(listed.incidents.iter().all(|i| i.deadline_provisional), "and listed so");
    s.shutdown.cancel();
}
