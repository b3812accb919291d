//! Statistics and the deadlines they are judged by.

use chrono::Duration;
use dualnet_platform::{ApiError, Fields, fields::NAME_MAX, timestamp::to_proto};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api};
use crate::{
    domain::{deadline::CategoryDeadlines, statistics::change_percent},
    store::{Group, Period, StatisticsRow},
    wire,
};

/// Longest period one statistics request may cover.
const PERIOD_MAX_DAYS: i64 = 366 * 5;

fn deadlines(d: CategoryDeadlines) -> pb::CategoryDeadlines {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    pb::CategoryDeadlines {
        category: d.category,
        unit: wire::deadline_unit(d.unit) as i32,
        grid: n(d.grid),
        community: n(d.community),
        subdistrict: n(d.subdistrict),
    }
}

pub async fn set_category_deadlines(api: &Api, req: Request<pb::CategoryDeadlines>) -> Answer<pb::CategoryDeadlines> {
    let r = req.into_inner();
    let mut f = Fields::new();
    let category = f.text("category", &r.category, NAME_MAX);
    let unit = f.enumeration::<pb::DeadlineUnit>("unit", r.unit).and_then(wire::deadline_unit_from);
    // Up to a year of working days, or of hours.
    let grid = f.count("grid", r.grid, 1, 8784);
    let community = f.count("community", r.community, 1, 8784);
    let subdistrict = f.count("subdistrict", r.subdistrict, 1, 8784);
    f.finish()?;
    let unit = unit.ok_or_else(|| ApiError::field("unit", "must be specified"))?;
    let d = CategoryDeadlines { category, unit, grid, community, subdistrict };
    Ok(Response::new(deadlines(api.store.set_category_deadlines(&d).await?)))
}

pub async fn list_category_deadlines(api: &Api) -> Answer<pb::ListCategoryDeadlinesResponse> {
    let rows = api.store.list_category_deadlines().await?;
    Ok(Response::new(pb::ListCategoryDeadlinesResponse { deadlines: rows.into_iter().map(deadlines).collect() }))
}

fn group(g: pb::StatisticsGroup) -> Group {
    match g {
        pb::StatisticsGroup::Unspecified | pb::StatisticsGroup::None => Group::None,
        pb::StatisticsGroup::Community => Group::Community,
        pb::StatisticsGroup::Grid => Group::Grid,
        pb::StatisticsGroup::Category => Group::Category,
        pb::StatisticsGroup::Level => Group::Level,
        pb::StatisticsGroup::Source => Group::Source,
        pb::StatisticsGroup::Month => Group::Month,
    }
}

fn row(r: StatisticsRow) -> pb::StatisticsRow {
    let c = r.counts;
    let rates = c.rates();
    pb::StatisticsRow {
        key: r.key,
        incidents: c.incidents,
        previous_year: r.previous_year,
        change_percent: change_percent(c.incidents, r.previous_year),
        rejected: c.rejected,
        responded: c.responded,
        resolved: c.resolved,
        rated: c.rated,
        satisfied: c.satisfied,
        closed_on_time: c.closed_on_time,
        open_past_deadline: c.open_past_deadline,
        response_rate: rates.response,
        resolution_rate: rates.resolution,
        satisfaction_rate: rates.satisfaction,
        on_time_rate: rates.on_time,
        naive_on_time_rate: rates.naive_on_time,
        median_hours_to_close: r.median_hours_to_close,
    }
}

pub async fn get(api: &Api, req: Request<pb::GetStatisticsRequest>) -> Answer<pb::Statistics> {
    let r = req.into_inner();
    let mut f = Fields::new();
    let from = f.timestamp("from", r.from.as_ref());
    let to = f.timestamp("to", r.to.as_ref());
    if r.from.is_none() {
        f.violation("from", "must be set");
    }
    if r.to.is_none() {
        f.violation("to", "must be set");
    }
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            f.violation("to", "must be after from");
        } else if to - from > Duration::days(PERIOD_MAX_DAYS) {
            f.violation("to", format!("a period covers at most {PERIOD_MAX_DAYS} days"));
        }
    }
    let group_by = match pb::StatisticsGroup::try_from(r.group_by) {
        Ok(g) => group(g),
        Err(_) => {
            f.violation("group_by", format!("unknown value {}", r.group_by));
            Group::None
        }
    };
    let community_id = f.optional_id("community_id", &r.community_id);
    f.finish()?;
    let (Some(from), Some(to)) = (from, to) else { return Err(ApiError::field("from", "must be set").into()) };
    let as_of = api.clock.now();
    let (rows, total) = api.store.statistics(&Period { from, to, community_id }, group_by, as_of).await?;
    Ok(Response::new(pb::Statistics {
        rows: rows.into_iter().map(row).collect(),
        total: Some(row(total)),
        as_of: Some(to_proto(as_of)),
    }))
}
