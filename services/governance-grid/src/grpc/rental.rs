//! Rental units and their inspections.

use dualnet_platform::Named;
use dualnet_platform::{
    ApiError, Fields,
    fields::{NAME_MAX, TEXT_MAX},
    timestamp::to_proto,
};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area, chain};
use crate::{
    domain::rental::{self, Hazard, RentalUnit},
    store::{Inspection, Place},
    wire,
};

/// Most hazards one inspection may record.
const HAZARDS_MAX: usize = 50;

fn unit(u: RentalUnit, now: chrono::DateTime<chrono::Utc>) -> pb::RentalUnit {
    pb::RentalUnit {
        id: u.id.to_string(),
        building_id: u.building_id.to_string(),
        grid_id: u.grid_id.to_string(),
        code: u.code.clone(),
        category: wire::rental_category(u.category) as i32,
        grade: u.grade.map_or(pb::RentalGrade::Unspecified, wire::rental_grade) as i32,
        rental_allowed: u.rental_allowed(),
        last_inspected_at: u.last_inspected_at.map(to_proto),
        next_inspection_due: Some(to_proto(u.next_inspection_due)),
        inspection_overdue: u.inspection_overdue(now),
        hazards: u
            .hazards
            .into_iter()
            .map(|h| pb::Hazard { kind: h.kind, severity: wire::hazard_severity(h.severity) as i32, note: h.note })
            .collect(),
    }
}

pub async fn register(api: &Api, req: Request<pb::RegisterRentalUnitRequest>) -> Answer<pb::RentalUnit> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let building_id = f.id("building_id", &r.building_id);
    let code = f.text("code", &r.code, NAME_MAX);
    let category = f.enumeration::<pb::RentalCategory>("category", r.category).and_then(wire::rental_category_from);
    f.finish()?;
    let category = category.ok_or_else(|| ApiError::field("category", "must be specified"))?;
    api.confine_place(area.as_ref(), Place::Building(building_id)).await?;
    let now = api.clock.now();
    let u = api.store.register_rental_unit(building_id, &code, category, &chain, now).await?;
    Ok(Response::new(unit(u, now)))
}

pub async fn get(api: &Api, req: Request<pb::GetRentalUnitRequest>) -> Answer<pb::RentalUnit> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine_place(area(&req).as_ref(), Place::RentalUnit(id)).await?;
    Ok(Response::new(unit(api.store.rental_unit(id).await?, api.clock.now())))
}

/// Hazards as (kind, severity, note), each a kind of the catalogue (the
/// catalogue grades; a severity given, if any, must agree), at most
/// [`HAZARDS_MAX`]; violations named `field[i].…`.
pub(super) fn hazards<'a>(
    f: &mut Fields,
    field: &str,
    given: impl ExactSizeIterator<Item = (&'a str, i32, &'a str)>,
) -> Vec<Hazard> {
    if given.len() > HAZARDS_MAX {
        f.violation(field, format!("at most {HAZARDS_MAX} hazards per inspection"));
    }
    let mut hazards = Vec::new();
    for (i, (kind, severity_given, note)) in given.enumerate() {
        let kind = f.text(&format!("{field}[{i}].kind"), kind, NAME_MAX);
        let note = f.optional_text(&format!("{field}[{i}].note"), note, TEXT_MAX).unwrap_or_default();
        match rental::severity_of(&kind) {
            Some(severity) => {
                if severity_given != 0 && severity_given != wire::hazard_severity(severity) as i32 {
                    f.violation(&format!("{field}[{i}].severity"), format!("{kind} is {}", severity.as_str()));
                }
                hazards.push(Hazard { kind, severity, note });
            }
            None if kind.is_empty() => {}
            None => f.violation(&format!("{field}[{i}].kind"), "not in the hazard catalogue"),
        }
    }
    hazards
}

pub async fn record_inspection(api: &Api, req: Request<pb::RecordInspectionRequest>) -> Answer<pb::RentalUnit> {
    let chain = chain(&req);
    let area = area(&req);
    let caller = dualnet_platform::auth::caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("unit_id", &r.unit_id);
    let inspector = f.optional_text("inspector", &r.inspector, NAME_MAX);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    let hazards = hazards(&mut f, "hazards", r.hazards.iter().map(|h| (h.kind.as_str(), h.severity, h.note.as_str())));
    f.finish()?;
    api.confine_place(area.as_ref(), Place::RentalUnit(id)).await?;
    let inspector = dualnet_platform::actor::Actor::of(caller.as_ref(), "inspector", inspector)?.recorded();
    let now = api.clock.now();
    let inspection = Inspection { inspector: &inspector, hazards, note: &note };
    let u = api.store.record_inspection(id, inspection, &chain, now).await?;
    Ok(Response::new(unit(u, now)))
}

pub async fn list_due(
    api: &Api,
    req: Request<pb::ListInspectionsDueRequest>,
) -> Answer<pb::ListInspectionsDueResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let grid_id = f.optional_id("grid_id", &r.grid_id);
    let staff_code = f.optional_text("staff_code", &r.staff_code, NAME_MAX);
    if grid_id.is_some() == staff_code.is_some() {
        f.violation("grid_id", "give exactly one of grid_id and staff_code");
    }
    let due_by = f.timestamp("due_by", r.due_by.as_ref());
    let page = api.pages.page(&mut f, &r);
    f.finish()?;
    let grid_id = match (grid_id, staff_code) {
        (Some(g), _) => {
            api.store.grid(g).await?;
            g
        }
        (None, Some(code)) => api.store.grid_of_worker(&code).await?,
        (None, None) => return Err(ApiError::field("grid_id", "give exactly one of grid_id and staff_code").into()),
    };
    api.confine_place(area.as_ref(), Place::Grid(grid_id)).await?;
    let now = api.clock.now();
    let mut units = api.store.inspections_due(grid_id, due_by.unwrap_or(now), page.fetch(), page.after).await?;
    let next_page_token = page.next(&mut units, |u| (u.next_inspection_due, u.id));
    Ok(Response::new(pb::ListInspectionsDueResponse {
        units: units.into_iter().map(|u| unit(u, now)).collect(),
        next_page_token,
    }))
}
