//! 吹哨报到: a summoned department's answers to a whistle — checking in,
//! then reporting done — given with that department's own token.

use dualnet_platform::{
    Fields, actor,
    auth::Claims,
    fields::{NAME_MAX, TEXT_MAX},
};
use dualnet_proto::governance::v1 as pb;
use tonic::Response;

use super::{Answer, Api, view};
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
        Ok(Response::new(view(self.store.incident(id).await?)))
    }
}
