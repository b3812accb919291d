//! The map — subdistricts, communities, grids, buildings, enterprises —
//! its staff, and its import and export.

use dualnet_platform::{
    ApiError, Fields,
    fields::{NAME_MAX, TEXT_MAX},
    timestamp::to_proto,
};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area, chain};
use crate::{
    domain::{
        map::{Building, Community, Grid, GridWorker, Subdistrict},
        map_import,
    },
    store::Place,
    wire,
};

fn worker(w: GridWorker) -> pb::GridWorker {
    pb::GridWorker {
        staff_code: w.staff_code,
        grid_id: w.grid_id.to_string(),
        name: w.name,
        assigned_at: Some(to_proto(w.assigned_at)),
    }
}

/// Largest import accepted, in bytes.
const IMPORT_MAX_BYTES: usize = 16 * 1024 * 1024;

pub async fn assign_grid_worker(api: &Api, req: Request<pb::AssignGridWorkerRequest>) -> Answer<pb::GridWorker> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let staff_code = f.text("staff_code", &r.staff_code, NAME_MAX);
    let grid_id = f.id("grid_id", &r.grid_id);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Grid(grid_id)).await?;
    // A worker already serving elsewhere is moved only by someone whose area
    // takes in that grid too: no one pulls another area's staff out of it.
    if area.is_some() {
        match api.store.grid_of_worker(&staff_code).await {
            Ok(current) => match api.confine_place(area.as_ref(), Place::Grid(current)).await {
                Err(ApiError::NotFound(_)) => {
                    return Err(ApiError::PermissionDenied(format!(
                        "grid worker {staff_code} serves a grid outside the token's area; it is assigned from there"
                    ))
                    .into());
                }
                other => other?,
            },
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let w = api.store.assign_grid_worker(&staff_code, grid_id, &name, &chain, api.clock.now()).await?;
    Ok(Response::new(worker(w)))
}

pub async fn list_grid_workers(
    api: &Api,
    req: Request<pb::ListGridWorkersRequest>,
) -> Answer<pb::ListGridWorkersResponse> {
    let mut f = Fields::new();
    let grid_id = f.id("grid_id", &req.get_ref().grid_id);
    f.finish()?;
    api.confine_place(area(&req).as_ref(), Place::Grid(grid_id)).await?;
    api.store.grid(grid_id).await?;
    let workers = api.store.grid_workers(grid_id).await?;
    Ok(Response::new(pb::ListGridWorkersResponse { workers: workers.into_iter().map(worker).collect() }))
}

pub async fn assign_building_head(api: &Api, req: Request<pb::AssignBuildingHeadRequest>) -> Answer<pb::Building> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let building_id = f.id("building_id", &r.building_id);
    let staff_code = f.text("staff_code", &r.staff_code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Building(building_id)).await?;
    let b = api.store.assign_building_head(building_id, &staff_code, &name, &chain).await?;
    Ok(Response::new(building(b)))
}

pub async fn import(api: &Api, req: Request<pb::ImportMapRequest>) -> Answer<pb::ImportMapResponse> {
    let chain = chain(&req);
    api.whole_map(area(&req).as_ref()).await?;
    let r = req.into_inner();
    let mut f = Fields::new();
    let format = f.enumeration::<pb::MapFormat>("format", r.format).and_then(wire::map_format);
    if r.content.is_empty() {
        f.violation("content", "must not be empty");
    } else if r.content.len() > IMPORT_MAX_BYTES {
        f.violation("content", format!("must be at most {IMPORT_MAX_BYTES} bytes"));
    }
    f.finish()?;
    let Some(format) = format else {
        return Err(dualnet_platform::ApiError::field("format", "must be specified").into());
    };
    let invalid = |problems: Vec<map_import::Problem>| {
        dualnet_platform::ApiError::InvalidArgument(problems.into_iter().map(|p| (p.field, p.message)).collect())
    };
    let raw = map_import::parse(format, &r.content).map_err(|p| invalid(vec![p]))?;
    let checked = map_import::check(raw, NAME_MAX, dualnet_platform::fields::TEXT_MAX);
    let outcome = api.store.import_map(checked, r.dry_run, &chain).await?;
    let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(Response::new(pb::ImportMapResponse {
        created: n(outcome.created),
        unchanged: n(outcome.unchanged),
        applied: outcome.applied,
    }))
}

pub async fn export(api: &Api, req: Request<pb::ExportMapRequest>) -> Answer<pb::ExportMapResponse> {
    api.whole_map(area(&req).as_ref()).await?;
    let mut f = Fields::new();
    let format = f.enumeration::<pb::MapFormat>("format", req.get_ref().format).and_then(wire::map_format);
    f.finish()?;
    let Some(format) = format else {
        return Err(dualnet_platform::ApiError::field("format", "must be specified").into());
    };
    let rows = api.store.export_map().await?;
    let content = map_import::write(format, &rows).map_err(dualnet_platform::ApiError::Internal)?;
    Ok(Response::new(pb::ExportMapResponse { content, rows: i32::try_from(rows.len()).unwrap_or(i32::MAX) }))
}

pub async fn create_subdistrict(api: &Api, req: Request<pb::CreateSubdistrictRequest>) -> Answer<pb::Subdistrict> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let code = f.text("code", &r.code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    api.whole_map(area.as_ref()).await?;
    Ok(Response::new(subdistrict(api.store.create_subdistrict(&code, &name, &chain).await?)))
}

pub async fn create_community(api: &Api, req: Request<pb::CreateCommunityRequest>) -> Answer<pb::Community> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let parent = f.id("subdistrict_id", &r.subdistrict_id);
    let code = f.text("code", &r.code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Subdistrict(parent)).await?;
    Ok(Response::new(community(api.store.create_community(parent, &code, &name, &chain).await?)))
}

pub async fn create_grid(api: &Api, req: Request<pb::CreateGridRequest>) -> Answer<pb::Grid> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let parent = f.id("community_id", &r.community_id);
    let code = f.text("code", &r.code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Community(parent)).await?;
    Ok(Response::new(grid(api.store.create_grid(parent, &code, &name, &chain).await?)))
}

pub async fn create_building(api: &Api, req: Request<pb::CreateBuildingRequest>) -> Answer<pb::Building> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let parent = f.id("grid_id", &r.grid_id);
    let code = f.text("code", &r.code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    let address = f.optional_text("address", &r.address, TEXT_MAX).unwrap_or_default();
    let location = f.coordinates(r.latitude, r.longitude);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Grid(parent)).await?;
    let b = api.store.create_building(parent, &code, &name, &address, location, &chain).await?;
    Ok(Response::new(building(b)))
}

pub async fn create_enterprise(api: &Api, req: Request<pb::CreateEnterpriseRequest>) -> Answer<pb::Enterprise> {
    let chain = chain(&req);
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let grid = f.id("grid_id", &r.grid_id);
    let code = f.text("code", &r.code, NAME_MAX);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Grid(grid)).await?;
    let e = api.store.create_enterprise(grid, &code, &name, &chain).await?;
    Ok(Response::new(pb::Enterprise {
        id: e.id.to_string(),
        grid_id: e.grid_id.to_string(),
        code: e.code,
        name: e.name,
    }))
}

pub async fn retire_building(api: &Api, req: Request<pb::RetireBuildingRequest>) -> Answer<pb::Building> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let reason = f.text("reason", &r.reason, TEXT_MAX);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Building(id)).await?;
    Ok(Response::new(building(api.store.retire_building(id, &reason, api.clock.now()).await?)))
}

pub async fn get_grid(api: &Api, req: Request<pb::GetGridRequest>) -> Answer<pb::Grid> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine_place(area(&req).as_ref(), Place::Grid(id)).await?;
    Ok(Response::new(grid(api.store.grid(id).await?)))
}

pub(super) fn subdistrict(s: Subdistrict) -> pb::Subdistrict {
    pb::Subdistrict { id: s.id.to_string(), code: s.code, name: s.name }
}

pub(super) fn community(c: Community) -> pb::Community {
    pb::Community { id: c.id.to_string(), subdistrict_id: c.subdistrict_id.to_string(), code: c.code, name: c.name }
}

pub(super) fn grid(g: Grid) -> pb::Grid {
    pb::Grid { id: g.id.to_string(), community_id: g.community_id.to_string(), code: g.code, name: g.name }
}

pub(super) fn building(b: Building) -> pb::Building {
    pb::Building {
        id: b.id.to_string(),
        grid_id: b.grid_id.to_string(),
        code: b.code,
        name: b.name,
        address: b.address,
        retired: b.retired,
        head_staff_code: b.head.as_ref().map(|h| h.0.clone()).unwrap_or_default(),
        head_name: b.head.map(|h| h.1).unwrap_or_default(),
        latitude: b.location.map(|l| l.0),
        longitude: b.location.map(|l| l.1),
    }
}
