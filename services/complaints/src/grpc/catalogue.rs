//! The category catalogue and the routes from a category (and community)
//! to the department that leads.

use dualnet_platform::{
    Fields,
    fields::{NAME_MAX, TEXT_MAX},
};
use dualnet_proto::complaints::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api};
use crate::domain::{
    catalogue::Category,
    complaint::{self, CategoryDeadline},
};
use dualnet_platform::fields::id_text;

pub(super) fn category_code(f: &mut Fields, field: &str, value: &str) -> String {
    let code = f.text(field, value, 64);
    if !code.is_empty() && !complaint::valid_category(&code) {
        f.violation(field, "must be lowercase letters, digits, '_' and '.', e.g. noise or labour.wage_arrears");
    }
    code
}

pub(super) fn category(c: Category) -> pb::Category {
    let (unit, n) = match c.deadline {
        Some(CategoryDeadline::WorkingDays(n)) => (pb::DeadlineUnit::WorkingDays, n),
        Some(CategoryDeadline::Hours(n)) => (pb::DeadlineUnit::Hours, n),
        None => (pb::DeadlineUnit::Unspecified, 0),
    };
    pb::Category {
        code: c.code,
        name: c.name,
        description: c.description,
        deadline_unit: unit as i32,
        deadline: i32::try_from(n).unwrap_or(i32::MAX),
        group: c.group,
        active: c.active,
    }
}

pub async fn set_category(api: &Api, req: Request<pb::Category>) -> Answer<pb::Category> {
    let r = req.into_inner();
    let mut f = Fields::new();
    let code = category_code(&mut f, "code", &r.code);
    let name = f.text("name", &r.name, NAME_MAX);
    let description = f.optional_text("description", &r.description, TEXT_MAX).unwrap_or_default();
    let group = f.optional_text("group", &r.group, NAME_MAX).unwrap_or_default();
    let deadline = match pb::DeadlineUnit::try_from(r.deadline_unit) {
        Ok(pb::DeadlineUnit::Unspecified) => None,
        Ok(unit) => {
            let n = f.count("deadline", r.deadline, 1, 8784);
            Some(if unit == pb::DeadlineUnit::Hours {
                CategoryDeadline::Hours(n)
            } else {
                CategoryDeadline::WorkingDays(n)
            })
        }
        Err(_) => {
            f.violation("deadline_unit", format!("unknown value {}", r.deadline_unit));
            None
        }
    };
    f.finish()?;
    let c = Category { code, name, description, deadline, group, active: r.active };
    Ok(Response::new(category(api.store.set_category(&c).await?)))
}

pub async fn list_categories(api: &Api, _: Request<pb::ListCategoriesRequest>) -> Answer<pb::ListCategoriesResponse> {
    let list = api.store.categories(false).await?;
    Ok(Response::new(pb::ListCategoriesResponse { categories: list.into_iter().map(category).collect() }))
}

pub async fn set_route(api: &Api, req: Request<pb::Route>) -> Answer<pb::Route> {
    let r = req.into_inner();
    let mut f = Fields::new();
    let category =
        if r.category.trim() == "*" { "*".to_string() } else { category_code(&mut f, "category", &r.category) };
    let community = f.optional_id("community_id", &r.community_id);
    let department = f.text("department", &r.department, NAME_MAX);
    f.finish()?;
    api.store.set_route(&category, community, &department).await?;
    Ok(Response::new(pb::Route { category, community_id: id_text(community), department }))
}

pub async fn list_routes(api: &Api, _: Request<pb::ListRoutesRequest>) -> Answer<pb::ListRoutesResponse> {
    let routes = api
        .store
        .routes()
        .await?
        .into_iter()
        .map(|(category, community, department)| pb::Route { category, community_id: id_text(community), department })
        .collect();
    Ok(Response::new(pb::ListRoutesResponse { routes }))
}
