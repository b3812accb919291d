//! Party organisations: creating them, reading one, binding one to a grid,
//! community or building.

use dualnet_events::Chain;
use dualnet_platform::{ApiError, Fields, correlation, fields::NAME_MAX};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{store::Target, wire};

pub async fn create_organisation(api: &Api, req: Request<pb::CreateOrganisationRequest>) -> Answer<pb::Organisation> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let parent = f.optional_id("parent_id", &r.parent_id);
    let kind = f.enumeration::<pb::OrganisationKind>("kind", r.kind).and_then(wire::org_kind_from);
    let name = f.text("name", &r.name, NAME_MAX);
    f.finish()?;
    let kind = kind.ok_or_else(|| ApiError::field("kind", "must be specified"))?;
    match parent {
        Some(parent) => api.confine(area.as_deref(), &[Target::Organisation(parent)]).await?,
        None => api.top_level(area.as_deref()).await?,
    }
    Ok(Response::new(wire::organisation(api.store.create_organisation(parent, kind, &name, &chain).await?)))
}

pub async fn get_organisation(api: &Api, req: Request<pb::GetOrganisationRequest>) -> Answer<pb::Organisation> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine(area(&req).as_deref(), &[Target::Organisation(id)]).await?;
    Ok(Response::new(wire::organisation(api.store.organisation(id).await?)))
}

pub async fn bind_organisation(api: &Api, req: Request<pb::BindOrganisationRequest>) -> Answer<pb::Organisation> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let org = f.id("organisation_id", &r.organisation_id);
    let unit = f.enumeration::<pb::UnitKind>("unit_kind", r.unit_kind).and_then(wire::unit_kind_from);
    let unit_id = f.id("unit_id", &r.unit_id);
    f.finish()?;
    let unit = unit.ok_or_else(|| ApiError::field("unit_kind", "must be specified"))?;
    // An organisation of the area, bound to a unit of the area. (An
    // unbound one is reached through the organisation above it.)
    api.confine(area.as_deref(), &[Target::Organisation(org), Target::Unit(unit_id)]).await?;
    Ok(Response::new(wire::organisation(api.store.bind(org, unit, unit_id, &chain).await?)))
}
