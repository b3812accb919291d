//! Linkage tasks: listing, accepting, completing and delegating them, and
//! the response times they add up to.

use dualnet_platform::{
    Fields,
    actor::Actor,
    auth::Claims,
    fields::{NAME_MAX, TEXT_MAX},
};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{
    domain::task::TaskAction,
    store::{Target, TaskFilter},
    wire,
};

impl Api {
    pub(super) async fn act<T>(
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
        Ok(Response::new(wire::task(self.store.act_on_task(id, action, &actor, &note, self.clock.now()).await?)))
    }
}

pub async fn list_linkage_tasks(
    api: &Api,
    req: Request<pb::ListLinkageTasksRequest>,
) -> Answer<pb::ListLinkageTasksResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let page = api.pages.page(&mut f, &r);
    let filter = TaskFilter {
        incident_id: f.optional_id("incident_id", &r.incident_id),
        organisation_id: f.optional_id("organisation_id", &r.organisation_id),
        status: f.optional_enumeration::<pb::TaskStatus>("status", r.status).and_then(wire::task_status_from),
        limit: page.fetch(),
        after: page.after,
        area,
    };
    f.finish()?;
    let mut tasks = api.store.tasks(&filter).await?;
    let next_page_token = page.next(&mut tasks, |t| (t.created_at, t.id));
    Ok(Response::new(pb::ListLinkageTasksResponse {
        tasks: tasks.into_iter().map(wire::task).collect(),
        next_page_token,
    }))
}

pub async fn accept_linkage_task(api: &Api, req: Request<pb::AcceptLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
    let r = req.get_ref();
    api.act(&req, (&r.id, &r.actor, ""), TaskAction::Accept).await
}

pub async fn complete_linkage_task(api: &Api, req: Request<pb::CompleteLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
    let r = req.get_ref();
    api.act(&req, (&r.id, &r.actor, &r.note), TaskAction::Complete).await
}

pub async fn delegate_linkage_task(api: &Api, req: Request<pb::DelegateLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
    let area = area(&req);
    let caller = dualnet_platform::auth::caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    let member_id = f.id("member_id", &r.member_id);
    f.finish()?;
    api.confine(area.as_deref(), &[Target::Task(id), Target::Member(member_id)]).await?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    Ok(Response::new(wire::task(api.store.delegate(id, &actor, member_id, api.clock.now()).await?)))
}

pub async fn get_response_times(api: &Api, req: Request<pb::GetResponseTimesRequest>) -> Answer<pb::ResponseTimes> {
    let mut f = Fields::new();
    let org = f.optional_id("organisation_id", &req.get_ref().organisation_id);
    f.finish()?;
    match org {
        Some(org) => api.confine(area(&req).as_deref(), &[Target::Organisation(org)]).await?,
        None => api.whole_network(area(&req).as_deref()).await?,
    }
    let n = |x: i64| i32::try_from(x).unwrap_or(i32::MAX);
    let organisations = api
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
