//! Escalation by hand: an incident sent up a tier (小事一格解决,大事全网联动).

use dualnet_platform::{
    Fields,
    actor::Actor,
    auth::caller,
    fields::{NAME_MAX, TEXT_MAX},
};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area, incident::view};

pub async fn escalate_incident(api: &Api, req: Request<pb::EscalateIncidentRequest>) -> Answer<pb::Incident> {
    let area = area(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    let reason = f.optional_text("reason", &r.reason, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    api.confine(area.as_ref(), id).await?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    let escalated = api.store.escalate(id, &actor, &reason, api.clock.now()).await?;
    Ok(Response::new(view(api.store.incident(escalated.id).await?, api.store.calendar())))
}
