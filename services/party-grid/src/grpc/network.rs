//! The network as a whole: one grid's, the bindings flagged when their
//! unit changed, coverage of buildings and grids.

use dualnet_platform::{Fields, timestamp::to_proto};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{store::Target, wire};

pub async fn get_grid_network(api: &Api, req: Request<pb::GetGridNetworkRequest>) -> Answer<pb::GridNetwork> {
    let mut f = Fields::new();
    let grid = f.id("grid_id", &req.get_ref().grid_id);
    f.finish()?;
    api.confine(area(&req).as_deref(), &[Target::Unit(grid)]).await?;
    let n = api.store.grid_network(grid).await?;
    Ok(Response::new(pb::GridNetwork {
        grid_id: grid.to_string(),
        branch: n.branch.map(wire::organisation),
        groups: n.groups.into_iter().map(wire::organisation).collect(),
        members: n.members.into_iter().map(wire::member).collect(),
        open_tasks: n.open_tasks.into_iter().map(wire::task).collect(),
    }))
}

pub async fn list_flagged_bindings(
    api: &Api,
    req: Request<pb::ListFlaggedBindingsRequest>,
) -> Answer<pb::ListFlaggedBindingsResponse> {
    let mut f = Fields::new();
    let page = api.pages.page(&mut f, req.get_ref());
    f.finish()?;
    let area = area(&req);
    let mut flagged = api.store.flagged_bindings(page.fetch(), page.after, area.as_deref()).await?;
    let next_page_token = page.next(&mut flagged, |b| (b.at, b.organisation_id));
    let bindings = flagged
        .into_iter()
        .map(|b| pb::FlaggedBinding {
            organisation_id: b.organisation_id.to_string(),
            binding: Some(pb::Binding { unit_kind: wire::unit_kind(b.unit) as i32, unit_id: b.unit_id.to_string() }),
            reason: b.reason,
            flagged_at: Some(to_proto(b.at)),
        })
        .collect();
    Ok(Response::new(pb::ListFlaggedBindingsResponse { bindings, next_page_token }))
}

pub async fn get_coverage(api: &Api, req: Request<pb::GetCoverageRequest>) -> Answer<pb::Coverage> {
    let mut f = Fields::new();
    let community = f.optional_id("community_id", &req.get_ref().community_id);
    f.finish()?;
    match community {
        Some(c) => api.confine(area(&req).as_deref(), &[Target::Unit(c)]).await?,
        None => api.whole_network(area(&req).as_deref()).await?,
    }
    Ok(Response::new(wire::coverage(api.store.coverage(community).await?)))
}
