//! Deadlines per incident category and level.

use dualnet_platform::{ApiError, Fields, fields::NAME_MAX};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api};
use crate::{domain::deadline::CategoryDeadlines, wire};

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
