//! `dualnet bench statistics`: loads a realistic year of incidents over the
//! map of a large district straight into governance-grid's database, then
//! times the statistics RPC over it, for every grouping.
//!
//! The map rows are ordinary map rows (codes prefixed `load-<run>`); the
//! incidents are written by SQL, not through the API, because a million
//! filings would take longer than the measurement is worth. Their shape
//! follows the hotline: most incidents at grid level, most closed within
//! days, some late, some rated, a few rejected.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Datelike, TimeZone, Utc};
use dualnet_proto::governance::v1::{self as gov, governance_grid_client::GovernanceGridClient};
use serde_json::json;
use sqlx::{Connection, PgConnection};

use super::report::{self, Latency};

#[derive(clap::Args)]
pub struct Args {
    /// governance-grid's database (default: database.url of the configuration).
    #[arg(long)]
    database_url: Option<String>,
    /// governance-grid's gRPC endpoint.
    #[arg(long, default_value = "http://127.0.0.1:50050")]
    endpoint: String,
    /// Incidents to load over the year; 0 loads nothing and only times.
    #[arg(long, default_value_t = 1_000_000)]
    incidents: u64,
    #[arg(long, default_value_t = 12)]
    communities: u32,
    #[arg(long, default_value_t = 40)]
    grids_per_community: u32,
    #[arg(long, default_value_t = 25)]
    buildings_per_grid: u32,
    /// The calendar year the incidents are opened in.
    #[arg(long, default_value_t = Utc::now().year() - 1)]
    year: i32,
    /// Calls timed per grouping.
    #[arg(long, default_value_t = 20)]
    calls: usize,
    /// Also write the results as JSON to this file (`-` for stdout).
    #[arg(long)]
    json: Option<String>,
}

const CHUNK: u64 = 50_000;

/// Categories, most frequent first (a skewed pick favours the first).
const CATEGORIES: &str = "ARRAY['noise','environment.garbage','labour.wage_arrears','safety.fire','rental.housing',
                          'traffic.parking','dispute.neighbour','building.leak','labour.contract','environment.odour']";

pub async fn run(args: Args, config: dualnet_platform::config::Config) -> anyhow::Result<()> {
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => config.database.url.as_ref().context("--database-url or database.url is needed")?.expose().to_string(),
    };
    let mut db = PgConnection::connect(&url).await.context("connecting to governance-grid's database")?;
    let from = Utc.with_ymd_and_hms(args.year, 1, 1, 0, 0, 0).single().context("year")? - chrono::Duration::hours(8);
    let to = Utc.with_ymd_and_hms(args.year + 1, 1, 1, 0, 0, 0).single().context("year")? - chrono::Duration::hours(8);
    let load = if args.incidents > 0 { Some(load(&mut db, &args, from).await?) } else { None };
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM incidents WHERE opened_at >= $1 AND opened_at < $2")
        .bind(from)
        .bind(to)
        .fetch_one(&mut db)
        .await?;
    eprintln_progress(&format!("timing GetStatistics over {rows} incidents of {}", args.year));
    let mut client =
        GovernanceGridClient::connect(args.endpoint.clone()).await.context("connecting to governance-grid")?;
    let groups = [
        ("none", gov::StatisticsGroup::None),
        ("community", gov::StatisticsGroup::Community),
        ("grid", gov::StatisticsGroup::Grid),
        ("category", gov::StatisticsGroup::Category),
        ("level", gov::StatisticsGroup::Level),
        ("source", gov::StatisticsGroup::Source),
        ("month", gov::StatisticsGroup::Month),
    ];
    let community: Option<String> = sqlx::query_scalar(
        "SELECT community_id::text FROM incidents WHERE opened_at >= $1 AND community_id IS NOT NULL LIMIT 1",
    )
    .bind(from)
    .fetch_optional(&mut db)
    .await?;
    let mut timed = Vec::new();
    let mut cases: Vec<(String, gov::StatisticsGroup, String)> =
        groups.iter().map(|(n, g)| (format!("year by {n}"), *g, String::new())).collect();
    if let Some(c) = community {
        cases.push(("one community by grid".into(), gov::StatisticsGroup::Grid, c));
    }
    for (name, group, community_id) in cases {
        let request = gov::GetStatisticsRequest {
            from: Some(dualnet_platform::timestamp::to_proto(from)),
            to: Some(dualnet_platform::timestamp::to_proto(to)),
            group_by: group as i32,
            community_id,
        };
        let mut samples = Vec::with_capacity(args.calls);
        let mut keys = 0;
        for _ in 0..args.calls {
            let started = Instant::now();
            let answer = client.get_statistics(request.clone()).await.with_context(|| format!("statistics {name}"))?;
            samples.push(started.elapsed());
            keys = answer.into_inner().rows.len();
        }
        timed.push((name, keys, Latency::of(samples)));
    }
    print(&args, rows, load, &timed)
}

/// What loading took.
struct Loaded {
    buildings: u64,
    took: Duration,
}

async fn load(db: &mut PgConnection, args: &Args, from: chrono::DateTime<Utc>) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let prefix = format!("load-{}", &run[run.len() - 8..]);
    eprintln_progress(&format!(
        "loading a map of {} communities × {} grids × {} buildings ({prefix})",
        args.communities, args.grids_per_community, args.buildings_per_grid
    ));
    let mut tx = db.begin().await?;
    let buildings = load_map(&mut tx, args, &prefix).await?;
    // Per row: a building, an opening time in the year, and the dice that
    // decide its category, level, source, fate and rating.
    let insert = format!(
        "WITH dice AS (
             SELECT 1 + floor(random() * $2)::bigint AS n,
                    $3::timestamptz + random() * interval '365 days' AS opened,
                    random() AS cat, random() AS lvl, random() AS src, random() AS fate,
                    random() AS speed, random() AS rating
             FROM generate_series(1, $1)
         ), shaped AS (
             SELECT b.id AS building_id, b.grid_id, b.community_id, d.opened,
                    ({CATEGORIES})[1 + floor(power(d.cat, 2) * 10)::int] AS category,
                    CASE WHEN d.lvl < 0.72 THEN 'grid' WHEN d.lvl < 0.94 THEN 'community' ELSE 'subdistrict' END AS level,
                    CASE WHEN d.src < 0.62 THEN 'complaint' WHEN d.src < 0.90 THEN 'grid_worker'
                         WHEN d.src < 0.95 THEN 'party_report' WHEN d.src < 0.98 THEN 'early_warning'
                         ELSE 'labour_risk' END AS source,
                    d.opened + interval '5 days' AS deadline,
                    -- 2% rejected, 5% still open, the rest closed after a
                    -- long-tailed time (most within days, some weeks).
                    CASE WHEN d.fate < 0.02 THEN 'rejected' WHEN d.fate < 0.07 THEN 'dispatched'
                         WHEN d.rating < 0.6 THEN 'rated' ELSE 'closed' END AS status,
                    d.opened + (power(d.speed, 3) * 20 * 24 + 1) * interval '1 hour' AS closed_at,
                    d.opened + (d.speed * 6 + 0.2) * interval '1 hour' AS responded_at,
                    d.rating
             FROM dice d JOIN load_buildings b ON b.n = d.n
         )
         INSERT INTO incidents (id, grid_id, building_id, community_id, category, status, level, source,
                                correlation_id, opened_at, deadline, updated_at, responded_at, closed_at,
                                closed_on_time, missed_deadline, satisfaction)
         SELECT gen_random_uuid(), grid_id, building_id, community_id, category, status, level, source,
                gen_random_uuid(), opened, deadline, opened,
                CASE WHEN status <> 'rejected' THEN responded_at END,
                CASE WHEN status IN ('closed', 'rated') THEN closed_at END,
                CASE WHEN status IN ('closed', 'rated') THEN closed_at <= deadline END,
                status IN ('closed', 'rated') AND closed_at > deadline + interval '2 days',
                CASE WHEN status = 'rated' THEN
                    CASE WHEN rating < 0.48 THEN 'satisfied' WHEN rating < 0.56 THEN 'basically_satisfied'
                         ELSE 'dissatisfied' END END
         FROM shaped"
    );
    let mut done = 0;
    while done < args.incidents {
        let n = CHUNK.min(args.incidents - done);
        sqlx::query(&insert).bind(n as i64).bind(buildings).bind(from).execute(&mut *tx).await?;
        done += n;
        eprintln_progress(&format!("{done}/{} incidents ({:.0}s)", args.incidents, started.elapsed().as_secs_f64()));
    }
    tx.commit().await?;
    eprintln_progress("ANALYZE incidents");
    sqlx::query("ANALYZE incidents").execute(&mut *db).await?;
    Ok(Loaded { buildings: buildings as u64, took: started.elapsed() })
}

/// The map the incidents are spread over, its buildings numbered in the
/// temporary table `load_buildings`; answers how many buildings.
async fn load_map(tx: &mut PgConnection, args: &Args, prefix: &str) -> anyhow::Result<i64> {
    sqlx::query("INSERT INTO subdistricts (id, code, name) VALUES (gen_random_uuid(), $1, '负载测试街道')")
        .bind(prefix)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO communities (id, subdistrict_id, code, name)
         SELECT gen_random_uuid(), s.id, $1 || '-c' || c, '社区' || c
         FROM subdistricts s, generate_series(1, $2) c WHERE s.code = $1",
    )
    .bind(prefix)
    .bind(args.communities as i32)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO grids (id, community_id, code, name)
         SELECT gen_random_uuid(), c.id, c.code || '-g' || g, c.name || '网格' || g
         FROM communities c, generate_series(1, $2) g WHERE c.code LIKE $1 || '-c%'",
    )
    .bind(prefix)
    .bind(args.grids_per_community as i32)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO buildings (id, grid_id, code, name, address)
         SELECT gen_random_uuid(), g.id, g.code || '-b' || b, g.name || b || '栋', g.name || b || '栋'
         FROM grids g, generate_series(1, $2) b WHERE g.code LIKE $1 || '-c%'",
    )
    .bind(prefix)
    .bind(args.buildings_per_grid as i32)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "CREATE TEMPORARY TABLE load_buildings ON COMMIT DROP AS
         SELECT row_number() OVER () AS n, b.id, b.grid_id, g.community_id
         FROM buildings b JOIN grids g ON g.id = b.grid_id WHERE b.code LIKE $1 || '-c%'",
    )
    .bind(prefix)
    .execute(&mut *tx)
    .await?;
    let buildings: i64 = sqlx::query_scalar("SELECT count(*) FROM load_buildings").fetch_one(&mut *tx).await?;
    sqlx::query("CREATE INDEX ON load_buildings (n)").execute(&mut *tx).await?;
    Ok(buildings)
}

#[allow(clippy::print_stderr)]
fn eprintln_progress(what: &str) {
    eprintln!("bench statistics: {what}");
}

#[allow(clippy::print_stdout)]
fn print(args: &Args, rows: i64, load: Option<Loaded>, timed: &[(String, usize, Latency)]) -> anyhow::Result<()> {
    let doc = json!({
        "incidents_in_year": rows,
        "year": args.year,
        "loaded": load.as_ref().map(|l| json!({"incidents": args.incidents, "buildings": l.buildings,
                                                "seconds": report::round(l.took.as_secs_f64())})),
        "calls_per_grouping": args.calls,
        "get_statistics": timed.iter().map(|(name, keys, l)| json!({"query": name, "rows": keys, "latency": l.json()}))
            .collect::<Vec<_>>(),
    });
    if let Some(path) = &args.json
        && report::write_json(path, &doc)?
    {
        return Ok(());
    }
    println!();
    if let Some(l) = &load {
        println!("loaded {} incidents over {} buildings in {:.1} s", args.incidents, l.buildings, l.took.as_secs_f64());
    }
    println!("GetStatistics over {rows} incidents of {} ({} calls each)", args.year, args.calls);
    println!("{} {:>6}", report::header("ms"), "rows");
    for (name, keys, l) in timed {
        println!("{} {keys:>6}", l.row(name));
    }
    Ok(())
}
