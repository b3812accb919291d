//! Statistics over a small dataset built through the API under a moved
//! clock: the honest on-time rate counts late incidents still open, the
//! naive one does not; the change against the same period a year earlier.

use crate::running::{grid, report, start_configured, step, wait_level};
use chrono::{Duration, TimeZone, Utc};
use dualnet_platform::timestamp::to_proto;
use dualnet_proto::governance::v1 as gov;

const TO_CLOSE: [gov::IncidentAction; 5] = [
    gov::IncidentAction::Accept,
    gov::IncidentAction::Dispatch,
    gov::IncidentAction::Handle,
    gov::IncidentAction::Verify,
    gov::IncidentAction::Close,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_honest_on_time_rate_counts_late_incidents_still_open() {
    // Monday 3 March 2025: two incidents a year before the period counted.
    // The rollup fold runs only when the test says so.
    let mut s = start_configured(Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap(), |c| {
        c.statistics.fold_ms = 3_600_000;
    })
    .await;
    let grid = grid(&mut s.client).await;
    for _ in 0..2 {
        report(&mut s.client, &grid, gov::Severity::Normal).await;
    }
    // Monday 2 March 2026.
    s.clock.advance(Duration::days(364));
    let on_time = report(&mut s.client, &grid, gov::Severity::Normal).await;
    let late = report(&mut s.client, &grid, gov::Severity::Normal).await;
    let still_open = report(&mut s.client, &grid, gov::Severity::Normal).await;
    for action in TO_CLOSE {
        step(&mut s.client, &on_time.id, action).await.unwrap();
    }
    // After the third working day (its 24:00, China time: 16:00 UTC) both
    // remaining incidents are past their deadline and escalate; one of them
    // is closed after that, late.
    s.clock.advance(Duration::days(3) + Duration::minutes(7 * 60 + 1));
    wait_level(&s.client, &late.id, gov::IncidentLevel::Community).await;
    wait_level(&s.client, &still_open.id, gov::IncidentLevel::Community).await;
    for action in TO_CLOSE {
        step(&mut s.client, &late.id, action).await.unwrap();
    }
    let not_due = report(&mut s.client, &grid, gov::Severity::Normal).await;
    let rejected = report(&mut s.client, &grid, gov::Severity::Normal).await;
    step(&mut s.client, &rejected.id, gov::IncidentAction::Reject).await.unwrap();

    let period = |group: gov::StatisticsGroup| gov::GetStatisticsRequest {
        from: Some(to_proto(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap())),
        to: Some(to_proto(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap())),
        group_by: group as i32,
        community_id: String::new(),
    };
    let stats = s.client.get_statistics(period(gov::StatisticsGroup::None)).await.unwrap().into_inner();
    let t = stats.total.unwrap();
    assert_eq!(t.incidents, 5);
    assert_eq!(t.previous_year, 2);
    assert_eq!(t.change_percent, Some(150.0));
    assert_eq!(t.rejected, 1);
    assert_eq!(t.responded, 3, "accepted twice, rejected once");
    assert_eq!(t.resolved, 2);
    assert_eq!(t.closed_on_time, 1);
    assert_eq!(t.open_past_deadline, 1, "the escalated one still open; the not-yet-due one is not counted");
    assert_eq!(t.naive_on_time_rate, Some(0.5));
    assert_eq!(t.on_time_rate, Some(1.0 / 3.0));
    assert_eq!(t.resolution_rate, Some(0.5), "2 resolved of 4 not rejected");
    assert_eq!(t.satisfaction_rate, None, "nothing rated");
    assert!(t.median_hours_to_close.is_some());
    let _ = (not_due, still_open);

    // By level: the two incidents that went up sit at community level.
    let by_level = s.client.get_statistics(period(gov::StatisticsGroup::Level)).await.unwrap().into_inner();
    let count = |key: &str| by_level.rows.iter().find(|r| r.key == key).map_or(0, |r| r.incidents);
    assert_eq!((count("grid"), count("community")), (3, 2));
    // By month, the March row carries March a year earlier.
    let by_month = s.client.get_statistics(period(gov::StatisticsGroup::Month)).await.unwrap().into_inner();
    let march = by_month.rows.iter().find(|r| r.key == "2026-03").expect("a March row");
    assert_eq!((march.incidents, march.previous_year), (5, 2));

    // The same month in China Standard Time is read from the monthly rollup
    // (and, the year before, too): before the fold from the unfolded
    // changes, after it from the rollup rows; the figures do not move.
    let cst_march = |group: gov::StatisticsGroup| gov::GetStatisticsRequest {
        from: Some(to_proto(Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap())),
        to: Some(to_proto(Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap())),
        group_by: group as i32,
        community_id: String::new(),
    };
    let unfolded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM incident_stat_deltas").fetch_one(&s.pool).await.unwrap();
    assert!(unfolded > 0, "changes wait in the delta table");
    let mut answers = Vec::new();
    for _ in 0..2 {
        let mut answer = Vec::new();
        for group in [gov::StatisticsGroup::None, gov::StatisticsGroup::Level, gov::StatisticsGroup::Month] {
            answer.push(s.client.get_statistics(cst_march(group)).await.unwrap().into_inner());
        }
        answers.push(answer);
        let store = governance_grid::store::Store::new(
            s.pool.clone(),
            std::sync::Arc::new(dualnet_platform::calendar::Calendar::load(None).unwrap()),
        );
        while store.fold_statistics(1000).await.unwrap() > 0 {}
    }
    let folded: i64 = sqlx::query_scalar("SELECT count(*) FROM incident_stat_deltas").fetch_one(&s.pool).await.unwrap();
    assert_eq!(folded, 0, "every change is in the rollup");
    let rollup: i64 = sqlx::query_scalar("SELECT count(*) FROM incident_stat_months").fetch_one(&s.pool).await.unwrap();
    assert!(rollup > 0);
    assert_eq!(answers[0], answers[1], "the same figures before and after the fold");
    assert_eq!(answers[0][0].total, Some(t.clone()), "and the same as counted from the incidents");
    assert_eq!(answers[0][1].rows, by_level.rows);
    assert_eq!(answers[0][2].rows, by_month.rows);

    let backwards =
        gov::GetStatisticsRequest { from: period(gov::StatisticsGroup::None).to, ..period(gov::StatisticsGroup::None) };
    let bad = s.client.get_statistics(backwards).await.unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    s.shutdown.cancel();
}
