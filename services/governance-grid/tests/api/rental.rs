//! Rental housing: grades from hazards, the cadence they set, red
//! prohibiting use, inspections due per grid worker, overdue warnings.

use crate::running;

use crate::running::{WAIT, start};
use chrono::Duration;
use dualnet_platform::timestamp::from_proto;
use dualnet_proto::governance::v1 as gov;
use dualnet_testkit::wait_for;

fn hazard(kind: &str) -> gov::Hazard {
    gov::Hazard { kind: kind.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspections_grade_a_unit_and_set_when_it_is_next_due() {
    let mut s = start().await;
    let grid = running::grid(&mut s.client).await;
    let building = s
        .client
        .create_building(gov::CreateBuildingRequest {
            grid_id: grid.clone(),
            code: dualnet_testkit::unique("b"),
            name: "水斗坑村12号".into(),
            address: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let worker = gov::AssignGridWorkerRequest {
        staff_code: dualnet_testkit::unique("w"),
        grid_id: grid.clone(),
        name: "李网格".into(),
    };
    s.client.assign_grid_worker(worker.clone()).await.unwrap();
    let unit = s
        .client
        .register_rental_unit(gov::RegisterRentalUnitRequest {
            building_id: building.id.clone(),
            code: dualnet_testkit::unique("u"),
            category: gov::RentalCategory::UrbanVillageHouse as i32,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unit.grade, gov::RentalGrade::Unspecified as i32, "not graded before its first inspection");
    let due = |w: &gov::AssignGridWorkerRequest| gov::ListInspectionsDueRequest {
        staff_code: w.staff_code.clone(),
        ..Default::default()
    };
    let listed = s.client.list_inspections_due(due(&worker)).await.unwrap().into_inner().units;
    assert_eq!(listed.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), [unit.id.as_str()], "due at once");

    let inspect = |hazards: Vec<gov::Hazard>| gov::RecordInspectionRequest {
        unit_id: unit.id.clone(),
        inspector: "李网格".into(),
        hazards,
        note: String::new(),
    };
    let yellow = s.client.record_inspection(inspect(vec![hazard("no_extinguisher")])).await.unwrap().into_inner();
    assert_eq!(yellow.grade, gov::RentalGrade::Yellow as i32);
    let (inspected, next) = (
        from_proto(&yellow.last_inspected_at.unwrap()).unwrap(),
        from_proto(&yellow.next_inspection_due.unwrap()).unwrap(),
    );
    assert_eq!(next - inspected, Duration::days(14));
    assert!(s.client.list_inspections_due(due(&worker)).await.unwrap().into_inner().units.is_empty());

    let orange = inspect(vec![hazard("no_extinguisher"), hazard("no_smoke_alarm"), hazard("overcrowding")]);
    let orange = s.client.record_inspection(orange).await.unwrap().into_inner();
    assert_eq!(orange.grade, gov::RentalGrade::Orange as i32, "three minor hazards");
    assert!(orange.rental_allowed);

    let red = s.client.record_inspection(inspect(vec![hazard("combined_use")])).await.unwrap().into_inner();
    assert_eq!(red.grade, gov::RentalGrade::Red as i32);
    assert!(!red.rental_allowed, "red prohibits use");
    assert_eq!(red.hazards.len(), 1);
    assert_eq!(red.hazards[0].severity, gov::HazardSeverity::Critical as i32);
    let incidents = s
        .client
        .list_incidents(gov::ListIncidentsRequest { grid_id: grid.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .incidents;
    let prohibited: Vec<_> = incidents.iter().filter(|i| i.category == "rental.prohibited_use").collect();
    assert_eq!(prohibited.len(), 1, "turning red opens one incident at the building");
    assert_eq!(prohibited[0].building_id, building.id);

    let clean = s.client.record_inspection(inspect(vec![])).await.unwrap().into_inner();
    assert_eq!(clean.grade, gov::RentalGrade::Green as i32);
    assert!(clean.hazards.is_empty());

    let bad = s
        .client
        .record_inspection(inspect(vec![
            hazard("dragons"),
            gov::Hazard {
                kind: "combined_use".into(),
                severity: gov::HazardSeverity::Minor as i32,
                note: String::new(),
            },
        ]))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(
        bad.message().contains("hazards[0].kind") && bad.message().contains("hazards[1].severity"),
        "{}",
        bad.message()
    );
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_inspection_raises_one_warning() {
    let mut s = start().await;
    let grid = running::grid(&mut s.client).await;
    let building = s
        .client
        .create_building(gov::CreateBuildingRequest {
            grid_id: grid.clone(),
            code: dualnet_testkit::unique("b"),
            name: "五和新村3栋".into(),
            address: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // A unit inspected clean is green: due again in 21 days. Two marker units
    // inspected before it fall due first; their warnings show that a sweep
    // ran past a moment without warning about the unit.
    let register = |c: &mut gov::governance_grid_client::GovernanceGridClient<tonic::transport::Channel>| {
        let mut c = c.clone();
        let building = building.id.clone();
        async move {
            let unit = c
                .register_rental_unit(gov::RegisterRentalUnitRequest {
                    building_id: building,
                    code: dualnet_testkit::unique("u"),
                    category: gov::RentalCategory::Dormitory as i32,
                })
                .await
                .unwrap()
                .into_inner();
            let clean = gov::RecordInspectionRequest {
                unit_id: unit.id.clone(),
                inspector: "网格员".into(),
                ..Default::default()
            };
            c.record_inspection(clean).await.unwrap();
            unit.id
        }
    };
    // Inspected on day 0, 2 and 4: due on day 21, 23 and 25.
    let first_marker = register(&mut s.client).await;
    s.clock.advance(Duration::days(2));
    let unit = register(&mut s.client).await;
    s.clock.advance(Duration::days(2));
    let second_marker = register(&mut s.client).await;
    let warnings = |c: &mut gov::governance_grid_client::GovernanceGridClient<tonic::transport::Channel>| {
        let mut c = c.clone();
        let grid = grid.clone();
        async move {
            let req = gov::ListWarningsRequest { grid_id: grid, ..Default::default() };
            c.list_warnings(req).await.unwrap().into_inner().warnings
        }
    };
    let reader = s.client.clone();
    let warned_about = |subject: String| {
        let client = reader.clone();
        move || {
            let (mut client, subject) = (client.clone(), subject.clone());
            async move { warnings(&mut client).await.iter().any(|w| w.subject_id == subject).then_some(()) }
        }
    };
    // Day 22: the first marker is overdue and warned about; the unit, a day
    // early, is not.
    s.clock.advance(Duration::days(18));
    wait_for("the first marker's warning", WAIT, warned_about(first_marker)).await;
    assert!(!warnings(&mut s.client).await.iter().any(|w| w.subject_id == unit), "no warning a day early");
    // Day 24: the unit is overdue.
    s.clock.advance(Duration::days(2));
    wait_for("the unit's overdue warning", WAIT, warned_about(unit.clone())).await;
    let raised: Vec<_> = warnings(&mut s.client).await.into_iter().filter(|w| w.subject_id == unit).collect();
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, gov::WarningKind::InspectionOverdue as i32);
    let shown = s.client.get_rental_unit(gov::GetRentalUnitRequest { id: unit.clone() }).await.unwrap().into_inner();
    assert!(shown.inspection_overdue);
    // Later sweeps do not warn again about the same missed inspection: the
    // second marker's warning (day 26) shows that they ran.
    s.clock.advance(Duration::days(2));
    wait_for("the second marker's warning", WAIT, warned_about(second_marker)).await;
    assert_eq!(warnings(&mut s.client).await.iter().filter(|w| w.subject_id == unit).count(), 1);
    s.shutdown.cancel();
}
