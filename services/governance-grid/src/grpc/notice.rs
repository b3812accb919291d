//! Community notices: publishing a closed incident's outcome, listing a
//! community's notices (the same the public feed shows).

use dualnet_platform::{Fields, fields::TEXT_MAX, timestamp::to_proto};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{domain::notice::Notice, store::Place, wire};

pub(crate) fn notice(n: Notice) -> pb::Notice {
    pb::Notice {
        id: n.id.to_string(),
        community_id: n.community_id.to_string(),
        kind: wire::notice_kind(n.kind) as i32,
        title: n.title,
        body: n.body,
        subject_id: n.subject_id.to_string(),
        published_at: Some(to_proto(n.published_at)),
    }
}

pub async fn publish_incident_outcome(
    api: &Api,
    req: Request<pb::PublishIncidentOutcomeRequest>,
) -> Answer<pb::Notice> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("incident_id", &r.incident_id);
    let text = f.text("text", &r.text, TEXT_MAX);
    f.finish()?;
    api.confine(area.as_ref(), id).await?;
    Ok(Response::new(notice(api.store.publish_incident_outcome(id, &text, api.clock.now()).await?)))
}

pub async fn list_notices(api: &Api, req: Request<pb::ListNoticesRequest>) -> Answer<pb::ListNoticesResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let community = f.id("community_id", &r.community_id);
    let page = api.pages.page(&mut f, &r);
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Community(community)).await?;
    let mut notices = api.store.notices(community, page.fetch(), page.after).await?;
    let next_page_token = page.next(&mut notices, |n| (n.published_at, n.id));
    Ok(Response::new(pb::ListNoticesResponse { notices: notices.into_iter().map(notice).collect(), next_page_token }))
}
