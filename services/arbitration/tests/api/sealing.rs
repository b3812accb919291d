//! Claimants' personal data under key rotation: once a new key is current,
//! what the old one sealed is sealed again in the background, so the old
//! key can be removed; a row whose key is gone is answered as unreadable on
//! that claimant, and every list still answers.

use crate::running;

use crate::running::{WAIT, start_on};
use chrono::Utc;
use dualnet_platform::config::{Config, PersonalDataConfig, Secret};
use dualnet_proto::arbitration::v1 as pb;
use dualnet_testkit::wait_for;

/// Base64 of 32 bytes, one key per id: `p1` is 32 × '1', and so on.
fn key(id: &str) -> &'static str {
    match id {
        "p1" => "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=",
        "p2" => "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=",
        _ => "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=",
    }
}

fn keys(ids: &[&str], current: &str) -> impl FnOnce(&mut Config) {
    let personal_data = PersonalDataConfig {
        keys: ids.iter().map(|id| (id.to_string(), Secret::new(key(id)))).collect(),
        current: Some(current.into()),
        disabled: false,
    };
    move |c: &mut Config| c.personal_data = personal_data
}

fn application() -> pb::ApplyCaseRequest {
    pb::ApplyCaseRequest {
        respondent: "坂田电子厂".into(),
        claimants: vec![pb::Claimant { name: "张三".into(), phone: "13800138000".into(), ..Default::default() }],
        claims: vec![pb::Claim { kind: pb::ClaimKind::Wages as i32, amount_fen: 900_000, ..Default::default() }],
        facts: "Three months of wages unpaid".into(),
        category: "labour.wage_arrears".into(),
        right_known_on: "2026-08-01".into(),
        ..Default::default()
    }
}

/// The key ids the stored claimants' names are sealed under.
async fn sealed_under(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT DISTINCT convert_from(substring(name_sealed from 2 for get_byte(name_sealed, 0)), 'UTF8')
         FROM case_claimants ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn claimants(s: &running::Running) -> Vec<pb::Claimant> {
    let cases = s.client.clone().list_cases(pb::ListCasesRequest::default()).await.unwrap().into_inner().cases;
    cases.into_iter().flat_map(|c| c.claimant_list).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_reseals_old_rows_and_a_missing_key_leaves_one_claimant_unreadable_not_the_list() {
    let pool = dualnet_testkit::fresh_pool("arbitration").await;
    let first = start_on(pool.clone(), Utc::now(), keys(&["p1"], "p1")).await;
    first.client.clone().apply_case(application()).await.unwrap();
    assert_eq!(sealed_under(&pool).await, vec!["p1".to_string()]);
    first.shutdown.cancel();

    // p2 becomes current, p1 stays configured: the rows move to p2 by themselves.
    let rotated = start_on(pool.clone(), Utc::now(), keys(&["p1", "p2"], "p2")).await;
    wait_for("the claimants re-sealed under p2", WAIT, || async {
        (sealed_under(&pool).await == ["p2"]).then_some(())
    })
    .await;
    rotated.client.clone().apply_case(application()).await.unwrap();
    rotated.shutdown.cancel();

    // p1 removed: everything still opens.
    let without_p1 = start_on(pool.clone(), Utc::now(), keys(&["p2"], "p2")).await;
    let seen = claimants(&without_p1).await;
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|c| c.unreadable.is_empty() && c.name == "张*"), "{seen:?}");
    without_p1.shutdown.cancel();

    // Every key lost (p3 alone): the cases are listed, each claimant says
    // why it cannot be read, and nothing is answered INTERNAL.
    let lost = start_on(pool.clone(), Utc::now(), keys(&["p3"], "p3")).await;
    let seen = claimants(&lost).await;
    assert_eq!(seen.len(), 2);
    for c in &seen {
        assert!(c.unreadable.contains("p2") && c.name.is_empty() && c.masked, "{c:?}");
    }
    lost.shutdown.cancel();
}
