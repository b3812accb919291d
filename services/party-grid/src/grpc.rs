//! The PartyGrid gRPC API. A caller confined to an area (its token's
//! subdistricts, communities, grids) reaches the organisations bound in it
//! and what hangs off them — tasks, members, volunteer calls; anything else
//! does not exist for it (`NOT_FOUND`, absent from lists). Network-wide
//! figures and top-level organisations need a whole subdistrict in scope.

use std::sync::Arc;

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::Claims,
    clock::Clock,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    timestamp::to_proto,
};
use dualnet_proto::partygrid::v1::{self as pb, party_grid_server::PartyGrid};
use tonic::{Request, Response, Status};

use crate::{
    domain::{
        binding::Organisation,
        coverage::{Figures, Report},
        member::{Member, check_building},
        task::{LinkageTask, TaskAction},
        volunteers::Call,
    },
    store::{Store, Target, TaskFilter, VolunteerStep},
    wire,
};

pub struct Api {
    pub store: Store,
    pub pages: dualnet_platform::page::PageTokens,
    pub clock: Arc<dyn Clock>,
}

type Answer<T> = Result<Response<T>, Status>;

fn organisation(o: Organisation) -> pb::Organisation {
    pb::Organisation {
        id: o.id.to_string(),
        parent_id: o.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        kind: wire::org_kind(o.kind) as i32,
        name: o.name,
        binding: o
            .binding
            .map(|(kind, id)| pb::Binding { unit_kind: wire::unit_kind(kind) as i32, unit_id: id.to_string() }),
    }
}

fn task(t: LinkageTask) -> pb::LinkageTask {
    pb::LinkageTask {
        id: t.id.to_string(),
        organisation_id: t.organisation_id.to_string(),
        incident_id: t.incident_id.to_string(),
        status: wire::task_status(t.status) as i32,
        note: t.note,
        correlation_id: t.correlation_id.to_string(),
        created_at: Some(to_proto(t.created_at)),
        updated_at: Some(to_proto(t.updated_at)),
        delegated_to: t.delegated_to.map(|m| m.to_string()).unwrap_or_default(),
    }
}

fn member(m: Member) -> pb::Member {
    pb::Member {
        id: m.id.to_string(),
        organisation_id: m.organisation_id.to_string(),
        name: m.name,
        role: wire::role(m.role) as i32,
        building_id: m.building_id.map(|b| b.to_string()).unwrap_or_default(),
        registered_community_id: m.registered_community_id.map(|c| c.to_string()).unwrap_or_default(),
    }
}

fn volunteer_call(c: Call) -> pb::VolunteerCall {
    pb::VolunteerCall {
        id: c.id.to_string(),
        incident_id: c.incident_id.to_string(),
        organisation_id: c.organisation_id.to_string(),
        needed: c.needed,
        purpose: c.purpose,
        signed_up: c.signed_up.iter().map(ToString::to_string).collect(),
        showed_up: c.showed_up.iter().map(ToString::to_string).collect(),
    }
}

fn figures(f: &Figures) -> pb::CoverageFigures {
    let n = |x: u32| i32::try_from(x).unwrap_or(i32::MAX);
    pb::CoverageFigures {
        buildings: n(f.buildings),
        buildings_with_group: n(f.with_group),
        buildings_with_party_head: n(f.with_party_head),
        grids: n(f.grids),
        grids_with_branch: n(f.with_branch),
        group_share: f.group_share(),
        party_head_share: f.party_head_share(),
    }
}

fn coverage(r: Report) -> pb::Coverage {
    pb::Coverage {
        total: Some(figures(&r.total)),
        communities: r
            .communities
            .iter()
            .map(|(id, f)| pb::CommunityCoverage { community_id: id.to_string(), figures: Some(figures(f)) })
            .collect(),
        uncovered_buildings: r.uncovered_buildings.iter().map(ToString::to_string).collect(),
        uncovered_grids: r.uncovered_grids.iter().map(ToString::to_string).collect(),
    }
}

/// The area a call is confined to, as one list of unit ids; `None` when it
/// is not confined.
fn area<T>(req: &Request<T>) -> Option<Vec<uuid::Uuid>> {
    let scope = dualnet_platform::auth::confinement(req.extensions())?;
    let ids = dualnet_platform::auth::Scope::uuids;
    Some([ids(&scope.subdistricts), ids(&scope.communities), ids(&scope.grids)].concat())
}

impl Api {
    /// Each target outside the caller's area does not exist for the caller.
    async fn confine(&self, area: Option<&[uuid::Uuid]>, targets: &[Target]) -> Result<(), ApiError> {
        let Some(area) = area else { return Ok(()) };
        for target in targets {
            if !self.store.in_area(*target, area).await? {
                let what = match target {
                    Target::Organisation(_) => "organisation",
                    Target::Task(_) => "linkage task",
                    Target::VolunteerCall(_) => "volunteer call",
                    Target::Member(_) => "member",
                    Target::Unit(_) => "unit",
                };
                return Err(ApiError::NotFound(what.into()));
            }
        }
        Ok(())
    }

    /// A top-level organisation: an unconfined caller, or one with a whole
    /// subdistrict in scope.
    async fn top_level(&self, area: Option<&[uuid::Uuid]>) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.area_has_subdistrict(area).await? => Err(ApiError::PermissionDenied(
                "a top-level organisation needs a subdistrict in the token's scope; name its parent".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Network-wide answers (coverage, response times, the grid network
    /// without a community): an unconfined caller, or one whose scope takes
    /// in every subdistrict the network knows — the figures cover them all.
    async fn whole_network(&self, area: Option<&[uuid::Uuid]>) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.area_covers_network(area).await? => Err(ApiError::PermissionDenied(
                "the whole network needs every subdistrict in the token's scope; name an organisation or community"
                    .into(),
            )),
            _ => Ok(()),
        }
    }

    async fn volunteer(
        &self,
        area: Option<Vec<uuid::Uuid>>,
        r: pb::VolunteerRequest,
        step: VolunteerStep,
    ) -> Answer<pb::VolunteerCall> {
        let mut f = Fields::new();
        let call = f.id("call_id", &r.call_id);
        let member = f.id("member_id", &r.member_id);
        f.finish()?;
        // The call and the member both lie in the caller's area: nobody signs
        // up, or marks present, another area's member.
        self.confine(area.as_deref(), &[Target::VolunteerCall(call), Target::Member(member)]).await?;
        Ok(Response::new(volunteer_call(self.store.volunteer(call, member, step, self.clock.now()).await?)))
    }

    async fn act<T>(
        &self,
        req: &Request<T>,
        (id, actor, note): (&str, &str, &str),
        action: TaskAction,
    ) -> Answer<pb::LinkageTask> {
        let area = area(req);
        let mut f = Fields::new();
        let id = f.id("id", id);
        let actor = f.optional_text("actor", actor, NAME_MAX);
        let note = f.optional_text("note", note, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        self.confine(area.as_deref(), &[Target::Task(id)]).await?;
        let actor = Actor::of(req.extensions().get::<Claims>(), "actor", actor)?.recorded();
        Ok(Response::new(task(self.store.act_on_task(id, action, &actor, &note, self.clock.now()).await?)))
    }
}

#[tonic::async_trait]
impl PartyGrid for Api {
    async fn create_organisation(&self, req: Request<pb::CreateOrganisationRequest>) -> Answer<pb::Organisation> {
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
            Some(parent) => self.confine(area.as_deref(), &[Target::Organisation(parent)]).await?,
            None => self.top_level(area.as_deref()).await?,
        }
        Ok(Response::new(organisation(self.store.create_organisation(parent, kind, &name, &chain).await?)))
    }

    async fn get_organisation(&self, req: Request<pb::GetOrganisationRequest>) -> Answer<pb::Organisation> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        f.finish()?;
        self.confine(area(&req).as_deref(), &[Target::Organisation(id)]).await?;
        Ok(Response::new(organisation(self.store.organisation(id).await?)))
    }

    async fn bind_organisation(&self, req: Request<pb::BindOrganisationRequest>) -> Answer<pb::Organisation> {
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
        self.confine(area.as_deref(), &[Target::Organisation(org), Target::Unit(unit_id)]).await?;
        Ok(Response::new(organisation(self.store.bind(org, unit, unit_id, &chain).await?)))
    }

    async fn list_linkage_tasks(
        &self,
        req: Request<pb::ListLinkageTasksRequest>,
    ) -> Answer<pb::ListLinkageTasksResponse> {
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let filters = pb::ListLinkageTasksRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let page = self.pages.page(&mut f, "linkage tasks", &filters, r.page_size, &r.page_token);
        let filter = TaskFilter {
            incident_id: f.optional_id("incident_id", &r.incident_id),
            organisation_id: f.optional_id("organisation_id", &r.organisation_id),
            status: f.optional_enumeration::<pb::TaskStatus>("status", r.status).and_then(wire::task_status_from),
            limit: page.fetch(),
            after: page.after,
            area,
        };
        f.finish()?;
        let mut tasks = self.store.tasks(&filter).await?;
        let next_page_token = page.next(&mut tasks, |t| (t.created_at, t.id));
        Ok(Response::new(pb::ListLinkageTasksResponse {
            tasks: tasks.into_iter().map(task).collect(),
            next_page_token,
        }))
    }

    async fn accept_linkage_task(&self, req: Request<pb::AcceptLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
        let r = req.get_ref();
        self.act(&req, (&r.id, &r.actor, ""), TaskAction::Accept).await
    }

    async fn complete_linkage_task(&self, req: Request<pb::CompleteLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
        let r = req.get_ref();
        self.act(&req, (&r.id, &r.actor, &r.note), TaskAction::Complete).await
    }

    async fn delegate_linkage_task(&self, req: Request<pb::DelegateLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
        let area = area(&req);
        let caller = dualnet_platform::auth::caller(req.extensions());
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let actor = f.optional_text("actor", &r.actor, NAME_MAX);
        let member_id = f.id("member_id", &r.member_id);
        f.finish()?;
        self.confine(area.as_deref(), &[Target::Task(id), Target::Member(member_id)]).await?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        Ok(Response::new(task(self.store.delegate(id, &actor, member_id, self.clock.now()).await?)))
    }

    async fn get_response_times(&self, req: Request<pb::GetResponseTimesRequest>) -> Answer<pb::ResponseTimes> {
        let mut f = Fields::new();
        let org = f.optional_id("organisation_id", &req.get_ref().organisation_id);
        f.finish()?;
        match org {
            Some(org) => self.confine(area(&req).as_deref(), &[Target::Organisation(org)]).await?,
            None => self.whole_network(area(&req).as_deref()).await?,
        }
        let n = |x: i64| i32::try_from(x).unwrap_or(i32::MAX);
        let organisations = self
            .store
            .response_times(org)
            .await?
            .into_iter()
            .map(|t| pb::OrganisationResponseTimes {
                organisation_id: t.organisation_id.to_string(),
                tasks: n(t.tasks),
                accepted: n(t.accepted),
                completed: n(t.completed),
                median_seconds_to_accept: t.median_seconds_to_accept.unwrap_or_default(),
                median_seconds_to_complete: t.median_seconds_to_complete.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(pb::ResponseTimes { organisations }))
    }

    async fn call_volunteers(&self, req: Request<pb::CallVolunteersRequest>) -> Answer<pb::VolunteerCall> {
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let incident = f.id("incident_id", &r.incident_id);
        let org = f.id("organisation_id", &r.organisation_id);
        if !(1..=10_000).contains(&r.needed) {
            f.violation("needed", "must be between 1 and 10000");
        }
        let purpose = f.text("purpose", &r.purpose, TEXT_MAX);
        f.finish()?;
        self.confine(area.as_deref(), &[Target::Organisation(org)]).await?;
        let call = self.store.call_volunteers(incident, org, r.needed, &purpose, self.clock.now()).await?;
        Ok(Response::new(volunteer_call(call)))
    }

    async fn sign_up_volunteer(&self, req: Request<pb::VolunteerRequest>) -> Answer<pb::VolunteerCall> {
        self.volunteer(area(&req), req.into_inner(), VolunteerStep::SignUp).await
    }

    async fn record_show_up(&self, req: Request<pb::VolunteerRequest>) -> Answer<pb::VolunteerCall> {
        self.volunteer(area(&req), req.into_inner(), VolunteerStep::ShowUp).await
    }

    async fn get_volunteer_call(&self, req: Request<pb::GetVolunteerCallRequest>) -> Answer<pb::VolunteerCall> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        f.finish()?;
        self.confine(area(&req).as_deref(), &[Target::VolunteerCall(id)]).await?;
        Ok(Response::new(volunteer_call(self.store.volunteer_call(id).await?)))
    }

    async fn add_member(&self, req: Request<pb::AddMemberRequest>) -> Answer<pb::Member> {
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
        self.confine(area.as_deref(), &targets).await?;
        Ok(Response::new(member(self.store.add_member(org, &name, role, building, &chain).await?)))
    }

    async fn transfer_member(&self, req: Request<pb::TransferMemberRequest>) -> Answer<pb::Member> {
        let chain = Chain::start(correlation::of(&req));
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("member_id", &r.member_id);
        let to = f.id("to_organisation_id", &r.to_organisation_id);
        f.finish()?;
        self.confine(area.as_deref(), &[Target::Member(id), Target::Organisation(to)]).await?;
        Ok(Response::new(member(self.store.transfer_member(id, to, &chain).await?)))
    }

    async fn register_with_community(&self, req: Request<pb::RegisterWithCommunityRequest>) -> Answer<pb::Member> {
        let chain = Chain::start(correlation::of(&req));
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("member_id", &r.member_id);
        let community = f.id("community_id", &r.community_id);
        f.finish()?;
        // The member is the area's; the community they live in may be anywhere.
        self.confine(area.as_deref(), &[Target::Member(id)]).await?;
        Ok(Response::new(member(self.store.register_with_community(id, community, &chain).await?)))
    }

    async fn list_members(&self, req: Request<pb::ListMembersRequest>) -> Answer<pb::ListMembersResponse> {
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let org = f.id("organisation_id", &r.organisation_id);
        let filters = pb::ListMembersRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let page = self.pages.page(&mut f, "members", &filters, r.page_size, &r.page_token);
        f.finish()?;
        self.confine(area.as_deref(), &[Target::Organisation(org)]).await?;
        let mut members = self.store.members(org, page.fetch(), page.after).await?;
        let next_page_token = page.next(&mut members, |(joined, m)| (*joined, m.id));
        Ok(Response::new(pb::ListMembersResponse {
            members: members.into_iter().map(|(_, m)| member(m)).collect(),
            next_page_token,
        }))
    }

    async fn get_grid_network(&self, req: Request<pb::GetGridNetworkRequest>) -> Answer<pb::GridNetwork> {
        let mut f = Fields::new();
        let grid = f.id("grid_id", &req.get_ref().grid_id);
        f.finish()?;
        self.confine(area(&req).as_deref(), &[Target::Unit(grid)]).await?;
        let n = self.store.grid_network(grid).await?;
        Ok(Response::new(pb::GridNetwork {
            grid_id: grid.to_string(),
            branch: n.branch.map(organisation),
            groups: n.groups.into_iter().map(organisation).collect(),
            members: n.members.into_iter().map(member).collect(),
            open_tasks: n.open_tasks.into_iter().map(task).collect(),
        }))
    }

    async fn list_flagged_bindings(
        &self,
        req: Request<pb::ListFlaggedBindingsRequest>,
    ) -> Answer<pb::ListFlaggedBindingsResponse> {
        let mut f = Fields::new();
        let r = req.get_ref();
        let filters = pb::ListFlaggedBindingsRequest { page_size: 0, page_token: String::new() };
        let page = self.pages.page(&mut f, "flagged bindings", &filters, r.page_size, &r.page_token);
        f.finish()?;
        let area = area(&req);
        let mut flagged = self.store.flagged_bindings(page.fetch(), page.after, area.as_deref()).await?;
        let next_page_token = page.next(&mut flagged, |b| (b.at, b.organisation_id));
        let bindings = flagged
            .into_iter()
            .map(|b| pb::FlaggedBinding {
                organisation_id: b.organisation_id.to_string(),
                binding: Some(pb::Binding {
                    unit_kind: wire::unit_kind(b.unit) as i32,
                    unit_id: b.unit_id.to_string(),
                }),
                reason: b.reason,
                flagged_at: Some(to_proto(b.at)),
            })
            .collect();
        Ok(Response::new(pb::ListFlaggedBindingsResponse { bindings, next_page_token }))
    }

    async fn get_coverage(&self, req: Request<pb::GetCoverageRequest>) -> Answer<pb::Coverage> {
        let mut f = Fields::new();
        let community = f.optional_id("community_id", &req.get_ref().community_id);
        f.finish()?;
        match community {
            Some(c) => self.confine(area(&req).as_deref(), &[Target::Unit(c)]).await?,
            None => self.whole_network(area(&req).as_deref()).await?,
        }
        Ok(Response::new(coverage(self.store.coverage(community).await?)))
    }
}
