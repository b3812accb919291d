//! Volunteer calls: calling, signing up, showing up.

use dualnet_platform::{Fields, fields::TEXT_MAX};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{
    store::{Target, VolunteerStep},
    wire,
};

impl Api {
    pub(super) async fn volunteer(
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
        Ok(Response::new(wire::volunteer_call(self.store.volunteer(call, member, step, self.clock.now()).await?)))
    }
}

pub async fn call_volunteers(api: &Api, req: Request<pb::CallVolunteersRequest>) -> Answer<pb::VolunteerCall> {
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
    api.confine(area.as_deref(), &[Target::Organisation(org)]).await?;
    let call = api.store.call_volunteers(incident, org, r.needed, &purpose, api.clock.now()).await?;
    Ok(Response::new(wire::volunteer_call(call)))
}

pub async fn sign_up_volunteer(api: &Api, req: Request<pb::VolunteerRequest>) -> Answer<pb::VolunteerCall> {
    api.volunteer(area(&req), req.into_inner(), VolunteerStep::SignUp).await
}

pub async fn record_show_up(api: &Api, req: Request<pb::VolunteerRequest>) -> Answer<pb::VolunteerCall> {
    api.volunteer(area(&req), req.into_inner(), VolunteerStep::ShowUp).await
}

pub async fn get_volunteer_call(api: &Api, req: Request<pb::GetVolunteerCallRequest>) -> Answer<pb::VolunteerCall> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine(area(&req).as_deref(), &[Target::VolunteerCall(id)]).await?;
    Ok(Response::new(wire::volunteer_call(api.store.volunteer_call(id).await?)))
}
