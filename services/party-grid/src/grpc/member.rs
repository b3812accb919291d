//! Party members: adding, transferring, registering with a residential
//! community (双报到), listing an organisation's.

use dualnet_events::Chain;
use dualnet_platform::{ApiError, Fields, correlation, fields::NAME_MAX};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{domain::member::check_building, store::Target, wire};

pub async fn add_member(api: &Api, req: Request<pb::AddMemberRequest>) -> Answer<pb::Member> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let org = f.id("organisation_id", &r.organisation_id);
    let name = f.text("name", &r.name, NAME_MAX);
    let role = f.enumeration::<pb::MemberRole>("role", r.role).and_then(wire::role_from);
    let building = f.optional_id("building_id", &r.building_id);
    if let Some(role) = role
        && let Err(e) = check_building(role, building)
    {
        f.violation("building_id", e);
    }
    f.finish()?;
    let role = role.ok_or_else(|| ApiError::field("role", "must be specified"))?;
    let mut targets = vec![Target::Organisation(org)];
    targets.extend(building.map(Target::Unit));
    api.confine(area.as_deref(), &targets).await?;
    Ok(Response::new(wire::member(api.store.add_member(org, &name, role, building, &chain).await?)))
}

pub async fn transfer_member(api: &Api, req: Request<pb::TransferMemberRequest>) -> Answer<pb::Member> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("member_id", &r.member_id);
    let to = f.id("to_organisation_id", &r.to_organisation_id);
    f.finish()?;
    api.confine(area.as_deref(), &[Target::Member(id), Target::Organisation(to)]).await?;
    Ok(Response::new(wire::member(api.store.transfer_member(id, to, &chain).await?)))
}

pub async fn register_with_community(api: &Api, req: Request<pb::RegisterWithCommunityRequest>) -> Answer<pb::Member> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("member_id", &r.member_id);
    let community = f.id("community_id", &r.community_id);
    f.finish()?;
    // The member is the area's; the community they live in may be anywhere.
    api.confine(area.as_deref(), &[Target::Member(id)]).await?;
    Ok(Response::new(wire::member(api.store.register_with_community(id, community, &chain).await?)))
}

pub async fn list_members(api: &Api, req: Request<pb::ListMembersRequest>) -> Answer<pb::ListMembersResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let org = f.id("organisation_id", &r.organisation_id);
    let page = api.pages.page(&mut f, &r);
    f.finish()?;
    api.confine(area.as_deref(), &[Target::Organisation(org)]).await?;
    let mut members = api.store.members(org, page.fetch(), page.after).await?;
    let next_page_token = page.next(&mut members, |(joined, m)| (*joined, m.id));
    Ok(Response::new(pb::ListMembersResponse {
        members: members.into_iter().map(|(_, m)| wire::member(m)).collect(),
        next_page_token,
    }))
}
