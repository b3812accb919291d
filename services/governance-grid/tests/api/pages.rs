//! Lists page by page: keyset tokens that neither repeat nor skip while
//! new incidents arrive, filters, and tokens refused when tampered with or
//! sent with other filters.

use crate::running;

use std::collections::{HashMap, HashSet};

use crate::running::{grid, report, start, step};
use chrono::Duration;
use dualnet_platform::{Fields, clock::Clock, page::PageTokens, timestamp::to_proto};
use dualnet_proto::governance::v1::{self as gov, governance_grid_client::GovernanceGridClient};
use tonic::{Code, transport::Channel};

async fn report_many(client: &GovernanceGridClient<Channel>, grid: &str, n: usize) -> Vec<String> {
    let lanes = 8;
    let mut tasks = Vec::new();
    for lane in 0..lanes {
        let (mut client, grid) = (client.clone(), grid.to_string());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in (lane..n).step_by(lanes) {
                ids.push(report(&mut client, &grid, gov::Severity::Normal).await.id);
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

fn list(grid: &str, size: i32, token: &str) -> gov::ListIncidentsRequest {
    gov::ListIncidentsRequest { grid_id: grid.into(), page_size: size, page_token: token.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_through_2500_incidents_sees_each_once_while_new_ones_arrive() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    // Reported in bursts a millisecond apart: many share an opening time,
    // which the id orders.
    let mut before = Vec::new();
    for _ in 0..25 {
        before.extend(report_many(&s.client, &grid, 100).await);
        s.clock.advance(Duration::milliseconds(1));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut arrived = Vec::new();
    let (mut token, mut pages, mut last) = (String::new(), 0, None);
    loop {
        let page = s.client.list_incidents(list(&grid, 97, &token)).await.unwrap().into_inner();
        pages += 1;
        assert!(page.incidents.len() <= 97);
        for i in &page.incidents {
            *seen.entry(i.id.clone()).or_default() += 1;
            let key = (i.opened_at.map(|t| (t.seconds, t.nanos)), i.id.clone());
            if let Some(previous) = &last {
                assert!(key < *previous, "newest first, the id breaking ties");
            }
            last = Some(key);
        }
        // Two more arrive between every two pages, some at the same time as
        // rows not yet served.
        arrived.extend(report_many(&s.client, &grid, 2).await);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 2500usize.div_ceil(97), "{pages} pages");
    for id in &before {
        assert_eq!(seen.get(id), Some(&1), "incident {id} served {:?} times", seen.get(id));
    }
    assert!(seen.values().all(|n| *n == 1), "no incident twice");
    assert_eq!(seen.len(), before.len(), "none that arrived during the walk slipped into it");
    assert_eq!(arrived.len(), pages * 2);

    // The page-token key is the database's: another replica reads the token.
    let replica = PageTokens::load(&s.pool).await.unwrap();
    let first = s.client.list_incidents(list(&grid, 10, "")).await.unwrap().into_inner();
    let mut f = Fields::new();
    let page: dualnet_platform::page::Page<(chrono::DateTime<chrono::Utc>, uuid::Uuid)> =
        replica.page(&mut f, &list(&grid, 10, &first.next_page_token));
    f.finish().unwrap();
    assert_eq!(page.after.map(|a| a.1.to_string()).as_deref(), first.incidents.last().map(|i| i.id.as_str()));
    s.shutdown.cancel();
}

fn refused_field(e: &tonic::Status) -> bool {
    e.code() == Code::InvalidArgument && e.message().starts_with("page_token:")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_serves_only_the_filters_it_was_issued_for() {
    let mut s = start().await;
    let grid = grid(&mut s.client).await;
    let other = running::grid(&mut s.client).await;
    report_many(&s.client, &grid, 5).await;
    let first = s.client.list_incidents(list(&grid, 2, "")).await.unwrap().into_inner();
    assert_eq!(first.incidents.len(), 2);
    let token = first.next_page_token;
    assert!(!token.is_empty());
    // The page size may change; the filters may not.
    let rest = s.client.list_incidents(list(&grid, 10, &token)).await.unwrap().into_inner();
    assert_eq!(rest.incidents.len(), 3);
    assert_eq!(rest.next_page_token, "", "the last page");
    let moved = s.client.list_incidents(list(&other, 2, &token)).await.unwrap_err();
    assert!(refused_field(&moved), "{moved:?}");
    let mut altered = token.clone().into_bytes();
    altered[5] = if altered[5] == b'A' { b'B' } else { b'A' };
    let altered = s.client.list_incidents(list(&grid, 2, &String::from_utf8(altered).unwrap())).await.unwrap_err();
    assert!(refused_field(&altered), "{altered:?}");
    let made_up = s.client.list_incidents(list(&grid, 2, "eyJhZnRlciI6MH0")).await.unwrap_err();
    assert!(refused_field(&made_up), "{made_up:?}");
    let too_big = s.client.list_incidents(list(&grid, 1001, "")).await.unwrap_err();
    assert!(too_big.message().starts_with("page_size:"), "{too_big:?}");
    s.shutdown.cancel();
}

async fn ids(client: &mut GovernanceGridClient<Channel>, req: gov::ListIncidentsRequest) -> HashSet<String> {
    client.list_incidents(req).await.unwrap().into_inner().incidents.into_iter().map(|i| i.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_filter_by_status_level_category_period_and_overdue() {
    // No sweep escalates what falls overdue while the test looks at it.
    let mut s = running::start_configured(chrono::Utc::now(), |c| c.deadlines.sweep_ms = 3_600_000).await;
    let grid = grid(&mut s.client).await;
    let noise = report(&mut s.client, &grid, gov::Severity::Normal).await;
    s.clock.advance(Duration::hours(1));
    let at = s.clock.now();
    let fire = s
        .client
        .report_incident(gov::ReportIncidentRequest {
            grid_id: grid.clone(),
            category: "safety.fire".into(),
            summary: "Smoke in the stairwell".into(),
            reporter: "网格员".into(),
            severity: gov::Severity::Normal as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    step(&mut s.client, &fire.id, gov::IncidentAction::Accept).await.unwrap();
    let only = |f: fn(&mut gov::ListIncidentsRequest)| {
        let mut r = list(&grid, 0, "");
        f(&mut r);
        r
    };
    let one = |id: &str| HashSet::from([id.to_string()]);
    let by_status = only(|r| r.status = gov::IncidentStatus::Accepted as i32);
    assert_eq!(ids(&mut s.client, by_status).await, one(&fire.id));
    let by_prefix = only(|r| r.category = "safety".into());
    assert_eq!(ids(&mut s.client, by_prefix).await, one(&fire.id), "a prefix up to a dot");
    let not_a_prefix = only(|r| r.category = "safe".into());
    assert!(ids(&mut s.client, not_a_prefix).await.is_empty(), "a prefix ends at a dot");
    let mut since = list(&grid, 0, "");
    since.opened_from = Some(to_proto(at));
    assert_eq!(ids(&mut s.client, since).await, one(&fire.id));
    let mut until = list(&grid, 0, "");
    until.opened_to = Some(to_proto(at));
    assert_eq!(ids(&mut s.client, until).await, one(&noise.id));
    let by_level = only(|r| r.level = gov::IncidentLevel::Grid as i32);
    assert_eq!(ids(&mut s.client, by_level).await.len(), 2);
    // Both are inside their deadlines until the clock passes them.
    let overdue = only(|r| r.overdue_only = true);
    assert!(ids(&mut s.client, overdue.clone()).await.is_empty());
    s.clock.advance(Duration::days(60));
    assert_eq!(ids(&mut s.client, overdue).await, HashSet::from([noise.id.clone(), fire.id.clone()]));
    step(&mut s.client, &fire.id, gov::IncidentAction::Dispatch).await.unwrap();
    step(&mut s.client, &fire.id, gov::IncidentAction::Handle).await.unwrap();
    let overdue = only(|r| r.overdue_only = true);
    assert_eq!(ids(&mut s.client, overdue).await, one(&noise.id), "handled is no longer overdue");
    let unknown = only(|r| r.status = 99);
    let e = s.client.list_incidents(unknown).await.unwrap_err();
    assert!(e.message().starts_with("status:"), "{e:?}");
    s.shutdown.cancel();
}
