//! 吹哨报到: a summoned department's answers to a whistle — checking in,
//! then reporting done — given with that department's own token.
//! Blowing the whistle (吹哨) summons departments to an incident.

use dualnet_platform::{
    Fields, actor,
    actor::Actor,
    auth::{Claims, caller},
    fields::{NAME_MAX, TEXT_MAX},
};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area, incident::view};
use crate::store::{Answer as WhistleAnswer, Area};

impl Api {
    /// A summoned department's answer to a whistle, given with that
    /// department's own token (吹哨报到: the department reports in itself).
    pub(super) async fn answer(
        &self,
        (area, caller): (Option<Area>, Option<Claims>),
        id: &str,
        department: &str,
        note: &str,
        answer: WhistleAnswer,
    ) -> Answer<pb::Incident> {
        let mut f = Fields::new();
        let id = f.id("id", id);
        let department = f.optional_text("department", department, NAME_MAX);
        let note = f.optional_text("note", note, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        self.confine(area.as_ref(), id).await?;
        let department = actor::own_department(caller.as_ref(), "department", department)?;
        self.store.answer_whistle(id, &department, answer, &note, self.clock.now()).await?;
        Ok(Response::new(view(self.store.incident(id).await?, self.store.calendar())))
    }
}

pub async fn blow_whistle(api: &Api, req: Request<pb::BlowWhistleRequest>) -> Answer<pb::Incident> {
    let area = area(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    if r.departments.is_empty() || r.departments.len() > 50 {
        f.violation("departments", "name between 1 and 50 departments");
    }
    let mut departments: Vec<String> =
        r.departments.iter().enumerate().map(|(i, d)| f.text(&format!("departments[{i}]"), d, NAME_MAX)).collect();
    departments.sort();
    departments.dedup();
    f.finish()?;
    api.confine(area.as_ref(), id).await?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    api.store.blow_whistle(id, &actor, &departments, api.clock.now()).await?;
    Ok(Response::new(view(api.store.incident(id).await?, api.store.calendar())))
}

pub async fn check_in(api: &Api, req: Request<pb::CheckInRequest>) -> Answer<pb::Incident> {
    let area = area(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    api.answer((area, caller), &r.id, &r.department, "", WhistleAnswer::CheckIn).await
}

pub async fn report_department_done(api: &Api, req: Request<pb::ReportDepartmentDoneRequest>) -> Answer<pb::Incident> {
    let area = area(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    api.answer((area, caller), &r.id, &r.department, &r.note, WhistleAnswer::Done).await
}
