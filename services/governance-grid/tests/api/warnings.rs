//! Early warning: repeated incidents at one building open an incident of
//! their own, once per window.

use crate::running;

use crate::running::start;
use chrono::Duration;
use dualnet_proto::governance::v1 as gov;

async fn noise_at(s: &mut running::Running, grid: &str, building: &str) -> gov::Incident {
    let req = gov::ReportIncidentRequest {
        grid_id: grid.into(),
        building_id: building.into(),
        category: "noise.night".into(),
        summary: "music after midnight".into(),
        reporter: "楼栋长".into(),
        ..Default::default()
    };
    s.client.report_incident(req).await.unwrap().into_inner()
}

async fn building(s: &mut running::Running, grid: &str) -> String {
    let req = gov::CreateBuildingRequest {
        grid_id: grid.into(),
        code: dualnet_testkit::unique("b"),
        name: "城市广场3栋".into(),
        address: String::new(),
        ..Default::default()
    };
    s.client.create_building(req).await.unwrap().into_inner().id
}

async fn early_warning_incidents(s: &mut running::Running, grid: &str) -> Vec<gov::Incident> {
    let req = gov::ListIncidentsRequest { grid_id: grid.into(), ..Default::default() };
    let all = s.client.list_incidents(req).await.unwrap().into_inner().incidents;
    all.into_iter().filter(|i| i.source == gov::IncidentSource::EarlyWarning as i32).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_noise_incidents_at_one_building_within_a_week_raise_one_warning() {
    let mut s = start().await;
    let grid = running::grid(&mut s.client).await;
    let (b1, b2) = (building(&mut s, &grid).await, building(&mut s, &grid).await);
    noise_at(&mut s, &grid, &b1).await;
    noise_at(&mut s, &grid, &b2).await;
    s.clock.advance(Duration::days(3));
    noise_at(&mut s, &grid, &b1).await;
    assert!(early_warning_incidents(&mut s, &grid).await.is_empty(), "two at b1, one at b2: below the threshold");
    noise_at(&mut s, &grid, &b1).await;
    let raised = early_warning_incidents(&mut s, &grid).await;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].building_id, b1);
    assert!(raised[0].summary.contains("3 noise incidents"), "{}", raised[0].summary);
    // A fourth within the same window raises nothing more.
    noise_at(&mut s, &grid, &b1).await;
    assert_eq!(early_warning_incidents(&mut s, &grid).await.len(), 1);
    let warnings = s
        .client
        .list_warnings(gov::ListWarningsRequest { grid_id: grid.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .warnings;
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].rule_code, "repeated_noise");
    assert_eq!(warnings[0].subject_id, b1);
    assert_eq!(warnings[0].incident_id, raised[0].id);
    assert_eq!(warnings[0].count, 3);
    s.shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_tightens_a_rule_and_bad_rules_are_refused() {
    let mut s = start().await;
    let grid = running::grid(&mut s.client).await;
    let rule = gov::WarningRule {
        code: "refuse_grid".into(),
        name: "Refuse piling up in a grid".into(),
        category_prefix: "refuse".into(),
        scope: gov::WarningScope::Grid as i32,
        threshold: 2,
        window_days: 2,
        severity: gov::Severity::Major as i32,
        enabled: true,
    };
    s.client.set_warning_rule(rule.clone()).await.unwrap();
    for _ in 0..2 {
        let req = gov::ReportIncidentRequest {
            grid_id: grid.clone(),
            category: "refuse".into(),
            summary: "bins overflowing".into(),
            reporter: "网格员".into(),
            ..Default::default()
        };
        s.client.report_incident(req).await.unwrap();
    }
    let raised = early_warning_incidents(&mut s, &grid).await;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].severity, gov::Severity::Major as i32);
    assert_eq!(raised[0].level, gov::IncidentLevel::Community as i32, "a major warning starts a tier up");

    let bad = gov::WarningRule { threshold: 1, window_days: 0, scope: 0, ..rule };
    let status = s.client.set_warning_rule(bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    for field in ["threshold", "window_days", "scope"] {
        assert!(status.message().contains(field), "{field} in {}", status.message());
    }
    s.shutdown.cancel();
}
