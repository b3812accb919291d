//! Statistics over the incidents table: one grouped pass for the period, one
//! for the same period a year earlier.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dualnet_platform::ApiError;
use uuid::Uuid;

use super::Store;
use crate::domain::statistics::Counts;

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

impl Group {
    /// The grouping key over the incidents' columns, with `opened` standing
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsRow {
    pub key: String,
    pub counts: Counts,
    pub previous_year: i64,
    pub median_hours_to_close: Option<f64>,
}

/// What a grouped query returns per key.
type Row = (String, i64, i64, i64, i64, i64, i64, i64, i64, Option<f64>);

pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub community_id: Option<Uuid>,
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
        let sql = format!(
            "SELECT {key} AS key,
                 count(*),
                 count(*) FILTER (WHERE status = 'rejected'),
                 count(*) FILTER (WHERE responded_at IS NOT NULL),
                 count(*) FILTER (WHERE closed_at IS NOT NULL),
                 count(*) FILTER (WHERE satisfaction IS NOT NULL),
                 count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basically_satisfied')),
                 count(*) FILTER (WHERE closed_on_time),
                 count(*) FILTER (WHERE closed_at IS NULL AND status <> 'rejected'
                                    AND (deadline < $3 OR missed_deadline)),
                 (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at)::float8)
                     FILTER (WHERE closed_at IS NOT NULL)) / 3600.0
             FROM incidents
             WHERE opened_at >= $1 AND opened_at < $2 AND ($4::uuid IS NULL OR community_id = $4)
             GROUP BY 1",
            key = group.key("opened_at")
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(period.from)
            .bind(period.to)
            .bind(as_of)
            .bind(period.community_id)
            .fetch_all(&self.pool)
            .await?;
        let previous_sql = format!(
            "SELECT {key} AS key, count(*) FROM incidents
             WHERE opened_at >= $1 - interval '1 year' AND opened_at < $2 - interval '1 year'
               AND ($3::uuid IS NULL OR community_id = $3)
             GROUP BY 1",
            key = group.key("opened_at + interval '1 year'")
        );
        let previous: Vec<(String, i64)> = sqlx::query_as(&previous_sql)
            .bind(period.from)
            .bind(period.to)
            .bind(period.community_id)
            .fetch_all(&self.pool)
            .await?;
        let mut by_key: BTreeMap<String, StatisticsRow> = BTreeMap::new();
        for (key, incidents, rejected, responded, resolved, rated, satisfied, on_time, past, median) in rows {
            let counts = Counts {
                incidents,
                rejected,
                responded,
                resolved,
                rated,
                satisfied,
                closed_on_time: on_time,
                open_past_deadline: past,
            };
            by_key.insert(key.clone(), StatisticsRow { key, counts, previous_year: 0, median_hours_to_close: median });
        }
        let mut total = StatisticsRow {
            key: "total".into(),
            counts: Counts::default(),
            previous_year: 0,
            median_hours_to_close: None,
        };
        for (key, n) in previous {
            total.previous_year += n;
            by_key
                .entry(key.clone())
                .or_insert_with(|| StatisticsRow {
                    key,
                    counts: Counts::default(),
                    previous_year: 0,
                    median_hours_to_close: None,
                })
                .previous_year = n;
        }
        for row in by_key.values() {
            total.counts.add(&row.counts);
        }
        // The median of the whole is not a function of the groups' medians.
        let median: Option<f64> = sqlx::query_scalar(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at)::float8) / 3600.0
             FROM incidents
             WHERE opened_at >= $1 AND opened_at < $2 AND ($3::uuid IS NULL OR community_id = $3)
               AND closed_at IS NOT NULL",
        )
        .bind(period.from)
        .bind(period.to)
        .bind(period.community_id)
        .fetch_one(&self.pool)
        .await?;
        total.median_hours_to_close = median;
        Ok((by_key.into_values().collect(), total))
    }
}
