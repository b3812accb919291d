//! Statistics over the incidents: monthly rollups for the whole CST months
//! of a period, the incidents themselves for the partial months at its
//! edges, and the deltas not yet folded into the rollups — all read in one
//! snapshot, so figures are exact whenever they are asked for.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
// Months begin in China Standard Time.
use dualnet_platform::{
    ApiError,
    calendar::{china as cst, china_date as cst_date},
};
use uuid::Uuid;

use super::Store;
use crate::domain::statistics::{CloseTimes, Counts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    None,
    Community,
    Grid,
    Category,
    Level,
    Source,
    Month,
}

/// The rollup's community for incidents without one.
const NO_COMMUNITY: Uuid = Uuid::nil();

impl Group {
    /// The grouping key over incident-shaped rows, with `opened` standing
    /// for the opening time (shifted a year for the comparison).
    fn key(self, opened: &str) -> String {
        match self {
            Group::None => "'all'".into(),
            Group::Community => "COALESCE(community_id::text, '')".into(),
            Group::Grid => "COALESCE(grid_id::text, '')".into(),
            Group::Category => "category".into(),
            Group::Level => "level".into(),
            Group::Source => "source".into(),
            Group::Month => format!("to_char(({opened}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"),
        }
    }

    /// The rollup dimension and the key over its rows.
    fn rollup(self, shift_years: i32) -> (&'static str, String) {
        match self {
            Group::None => ("all", "'all'".into()),
            Group::Community => {
                ("all", format!("CASE WHEN community_id = '{NO_COMMUNITY}' THEN '' ELSE community_id::text END"))
            }
            Group::Grid => ("grid", "value".into()),
            Group::Category => ("category", "value".into()),
            Group::Level => ("level", "value".into()),
            Group::Source => ("source", "value".into()),
            Group::Month => ("all", format!("to_char(month + interval '{shift_years} year', 'YYYY-MM')")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsRow {
    pub key: String,
    pub counts: Counts,
    pub previous_year: i64,
    pub median_hours_to_close: Option<f64>,
}

pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub community_id: Option<Uuid>,
}

/// Counts and times to close of one key.
#[derive(Debug, Default, Clone)]
struct Tally {
    counts: Counts,
    close: CloseTimes,
}

/// The sums a grouped query returns per key (and, for raw rows, per bucket):
/// incidents, rejected, responded, resolved, rated, satisfied, on time.
type Sums = (i64, i64, i64, i64, i64, i64, i64);

fn add_sums(t: &mut Tally, s: Sums) {
    let o = Counts {
        incidents: s.0,
        rejected: s.1,
        responded: s.2,
        resolved: s.3,
        rated: s.4,
        satisfied: s.5,
        closed_on_time: s.6,
        open_past_deadline: 0,
    };
    t.counts.add(&o);
}

const SUMS: &str = "COALESCE(sum(weight), 0)::int8,
                    COALESCE(sum(weight) FILTER (WHERE rejected), 0)::int8,
                    COALESCE(sum(weight) FILTER (WHERE responded), 0)::int8,
                    COALESCE(sum(weight) FILTER (WHERE resolved), 0)::int8,
                    COALESCE(sum(weight) FILTER (WHERE rated), 0)::int8,
                    COALESCE(sum(weight) FILTER (WHERE satisfied), 0)::int8,
                    COALESCE(sum(weight) FILTER (WHERE on_time), 0)::int8";

/// The start of a CST month, as an instant.
fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    cst().with_ymd_and_hms(year, month, 1, 0, 0, 0).single().expect("a month start exists").with_timezone(&Utc)
}

/// The last CST month start at or before `t`.
fn month_at_or_before(t: DateTime<Utc>) -> DateTime<Utc> {
    let local = t.with_timezone(&cst());
    month_start(local.year(), local.month())
}

/// The first CST month start at or after `t`.
fn month_at_or_after(t: DateTime<Utc>) -> DateTime<Utc> {
    let start = month_at_or_before(t);
    if start == t {
        return start;
    }
    let local = t.with_timezone(&cst());
    if local.month() == 12 { month_start(local.year() + 1, 1) } else { month_start(local.year(), local.month() + 1) }
}

impl Store {
    /// Rows per key (sorted) and the total over all of them; open incidents
    /// are judged past their deadline as of `as_of`.
    pub async fn statistics(
        &self,
        period: &Period,
        group: Group,
        as_of: DateTime<Utc>,
    ) -> Result<(Vec<StatisticsRow>, StatisticsRow), ApiError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let current = tally(&mut tx, period.from, period.to, period.community_id, group, 0).await?;
        let year_back = |t: DateTime<Utc>| t.checked_sub_months(Months::new(12)).unwrap_or(t);
        let previous =
            tally(&mut tx, year_back(period.from), year_back(period.to), period.community_id, group, 1).await?;
        let past: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT {key} AS key, count(*) FROM incidents
             WHERE opened_at >= $1 AND opened_at < $2 AND ($4::uuid IS NULL OR community_id = $4)
               AND closed_at IS NULL AND status <> 'rejected' AND (deadline < $3 OR missed_deadline)
             GROUP BY 1",
            key = group.key("opened_at")
        ))
        .bind(period.from)
        .bind(period.to)
        .bind(as_of)
        .bind(period.community_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        let mut by_key: BTreeMap<String, (Tally, i64)> = BTreeMap::new();
        for (key, t) in current {
            by_key.entry(key).or_default().0 = t;
        }
        for (key, n) in past {
            by_key.entry(key).or_default().0.counts.open_past_deadline = n;
        }
        for (key, t) in previous {
            by_key.entry(key).or_default().1 = t.counts.incidents;
        }
        let mut total = Tally::default();
        let mut total_previous = 0;
        let mut rows = Vec::with_capacity(by_key.len());
        for (key, (t, previous_year)) in by_key {
            // A key seen only through zeroed deltas is no row.
            if t.counts == Counts::default() && previous_year == 0 {
                continue;
            }
            total.counts.add(&t.counts);
            total.close.add(&t.close);
            total_previous += previous_year;
            rows.push(StatisticsRow { key, counts: t.counts, previous_year, median_hours_to_close: t.close.median() });
        }
        let total = StatisticsRow {
            key: "total".into(),
            counts: total.counts,
            previous_year: total_previous,
            median_hours_to_close: total.close.median(),
        };
        Ok((rows, total))
    }

    /// Moves up to `limit` deltas into the monthly rollups; returns how many.
    /// One fold at a time per database.
    pub async fn fold_statistics(&self, limit: i64) -> Result<usize, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mine: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock(hashtext('dualnet.statistics.fold'), hashtext(current_database()))",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !mine {
            return Ok(0);
        }
        type FoldRow = (NaiveDate, Uuid, String, String, Option<i32>, i64, i64, i64, i64, i64, i64, i64, i64);
        let rows: Vec<FoldRow> = sqlx::query_as(&format!(
            "WITH taken AS (
                 DELETE FROM incident_stat_deltas
                 WHERE seq IN (SELECT seq FROM incident_stat_deltas ORDER BY seq LIMIT $1)
                 RETURNING *
             )
             SELECT date_trunc('month', opened_at AT TIME ZONE 'Asia/Shanghai')::date,
                    COALESCE(community_id, '{NO_COMMUNITY}'), d.dim, d.value, bucket, {SUMS}, count(*)
             FROM taken CROSS JOIN LATERAL (VALUES ('all', ''), ('grid', COALESCE(grid_id::text, '')),
                 ('category', category), ('level', level), ('source', source)) AS d(dim, value)
             GROUP BY 1, 2, 3, 4, 5"
        ))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut folded = 0;
        let mut merged: HashMap<(NaiveDate, Uuid, String, String), Tally> = HashMap::new();
        for (month, community, dim, value, bucket, a, b, c, d, e, f, g, n) in rows {
            if dim == "all" {
                folded += n as usize;
            }
            let t = merged.entry((month, community, dim, value)).or_default();
            add_sums(t, (a, b, c, d, e, f, g));
            if let Some(bucket) = bucket {
                t.close.record(bucket as usize, a);
            }
        }
        for ((month, community, dim, value), t) in merged {
            let c = t.counts;
            sqlx::query(
                "INSERT INTO incident_stat_months (month, community_id, dim, value, incidents, rejected, responded,
                                                   resolved, rated, satisfied, on_time, close_times)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (dim, month, community_id, value) DO UPDATE SET
                     incidents = incident_stat_months.incidents + EXCLUDED.incidents,
                     rejected = incident_stat_months.rejected + EXCLUDED.rejected,
                     responded = incident_stat_months.responded + EXCLUDED.responded,
                     resolved = incident_stat_months.resolved + EXCLUDED.resolved,
                     rated = incident_stat_months.rated + EXCLUDED.rated,
                     satisfied = incident_stat_months.satisfied + EXCLUDED.satisfied,
                     on_time = incident_stat_months.on_time + EXCLUDED.on_time,
                     close_times = dualnet_add_counts(incident_stat_months.close_times, EXCLUDED.close_times)",
            )
            .bind(month)
            .bind(community)
            .bind(dim)
            .bind(value)
            .bind(c.incidents)
            .bind(c.rejected)
            .bind(c.responded)
            .bind(c.resolved)
            .bind(c.rated)
            .bind(c.satisfied)
            .bind(c.closed_on_time)
            .bind(&t.close.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(folded)
    }
}

/// Counts and close times per key of the incidents opened in `[from, to)`:
/// rollups for its whole months plus unfolded deltas of those months, the
/// incidents themselves for the partial months at the edges. Month keys are
/// moved `shift_years` forward (the previous year's rows, keyed as this
/// year's).
async fn tally(
    conn: &mut sqlx::PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    community: Option<Uuid>,
    group: Group,
    shift_years: i32,
) -> Result<HashMap<String, Tally>, sqlx::Error> {
    let (m0, m1) = match (month_at_or_after(from), month_at_or_before(to)) {
        (m0, m1) if m0 < m1 => (m0, m1),
        // No whole month inside: everything from the incidents.
        _ => (to, to),
    };
    let mut out: HashMap<String, Tally> = HashMap::new();
    if m0 < m1 {
        let (dim, key) = group.rollup(shift_years);
        type RollupRow = (String, i64, i64, i64, i64, i64, i64, i64, Vec<i64>);
        let rows: Vec<RollupRow> = sqlx::query_as(&format!(
            "SELECT {key}, incidents, rejected, responded, resolved, rated, satisfied, on_time, close_times
             FROM incident_stat_months
             WHERE dim = $1 AND month >= $2 AND month < $3 AND ($4::uuid IS NULL OR community_id = $4)"
        ))
        .bind(dim)
        .bind(cst_date(m0))
        .bind(cst_date(m1))
        .bind(community)
        .fetch_all(&mut *conn)
        .await?;
        for (k, a, b, c, d, e, f, g, close) in rows {
            let t = out.entry(k).or_default();
            add_sums(t, (a, b, c, d, e, f, g));
            t.close.add(&CloseTimes(close));
        }
    }
    let key = group.key(&format!("opened_at + interval '{shift_years} year'"));
    type RawRow = (String, Option<i32>, i64, i64, i64, i64, i64, i64, i64);
    // Each edge is its own range, so both are read through the index.
    let incidents = |lo: &str, hi: &str| {
        format!(
            "SELECT opened_at, community_id, grid_id, category, level, source, 1 AS weight,
                    status = 'rejected' AS rejected, responded_at IS NOT NULL AS responded,
                    closed_at IS NOT NULL AS resolved, satisfaction IS NOT NULL AS rated,
                    COALESCE(satisfaction IN ('satisfied', 'basically_satisfied'), false) AS satisfied,
                    COALESCE(closed_on_time, false) AS on_time,
                    CASE WHEN closed_at IS NOT NULL
                         THEN dualnet_close_bucket(extract(epoch FROM closed_at - opened_at) / 3600.0) END AS bucket
             FROM incidents
             WHERE opened_at >= {lo} AND opened_at < {hi} AND ($5::uuid IS NULL OR community_id = $5)"
        )
    };
    let rows: Vec<RawRow> = sqlx::query_as(&format!(
        "SELECT {key}, bucket, {SUMS} FROM (
             {before}
             UNION ALL
             {after}
             UNION ALL
             SELECT opened_at, community_id, grid_id, category, level, source, weight,
                    rejected, responded, resolved, rated, satisfied, on_time, bucket
             FROM incident_stat_deltas
             WHERE opened_at >= $2 AND opened_at < $3 AND ($5::uuid IS NULL OR community_id = $5)
         ) r
         GROUP BY 1, 2",
        before = incidents("$1", "$2"),
        after = incidents("$3", "$4"),
    ))
    .bind(from)
    .bind(m0)
    .bind(m1)
    .bind(to)
    .bind(community)
    .fetch_all(&mut *conn)
    .await?;
    for (k, bucket, a, b, c, d, e, f, g) in rows {
        let t = out.entry(k).or_default();
        add_sums(t, (a, b, c, d, e, f, g));
        if let Some(bucket) = bucket {
            t.close.record(bucket as usize, a);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_months_are_cst_months_inside_the_period() {
        // 2025-03-10 in Shanghai → the first whole month starts 1 April (CST).
        let from = Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap();
        let april = Utc.with_ymd_and_hms(2025, 3, 31, 16, 0, 0).unwrap();
        assert_eq!(month_at_or_after(from), april);
        assert_eq!(month_at_or_after(april), april, "a month start is its own");
        assert_eq!(month_at_or_before(april), april);
        let to = Utc.with_ymd_and_hms(2025, 6, 15, 0, 0, 0).unwrap();
        assert_eq!(month_at_or_before(to), Utc.with_ymd_and_hms(2025, 5, 31, 16, 0, 0).unwrap());
        assert_eq!(cst_date(april), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        let december = Utc.with_ymd_and_hms(2025, 12, 5, 0, 0, 0).unwrap();
        assert_eq!(month_at_or_after(december), Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap());
    }
}
