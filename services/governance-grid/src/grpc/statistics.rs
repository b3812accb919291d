//! Statistics: counts and rates of incidents over a period.

use chrono::Duration;
use dualnet_platform::{ApiError, Fields, timestamp::to_proto};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{
    domain::statistics::change_percent,
    store::{Group, Period, Place, StatisticsRow},
};

/// Longest period one statistics request may cover.
const PERIOD_MAX_DAYS: i64 = 366 * 5;

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
    let area = area(&req);
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
    // A confined caller's figures are its own community's, or the whole
    // map's when its subdistricts take it all in.
    match community_id {
        Some(c) => api.confine_place(area.as_ref(), Place::Community(c)).await?,
        None => api.whole_map(area.as_ref()).await?,
    }
    let (Some(from), Some(to)) = (from, to) else { return Err(ApiError::field("from", "must be set").into()) };
    let as_of = api.clock.now();
    let (rows, total) = api.store.statistics(&Period { from, to, community_id }, group_by, as_of).await?;
    Ok(Response::new(pb::Statistics {
        rows: rows.into_iter().map(row).collect(),
        total: Some(row(total)),
        as_of: Some(to_proto(as_of)),
    }))
}
