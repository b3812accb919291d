//! governance-grid's reactions: complaints open incidents, party-grid's
//! linkage tasks show as the party response on them, ratings rate them,
//! residents' councils' resolutions open the incidents they hand out.

use async_trait::async_trait;
use dualnet_events::{
    Event, HandleError, Handler,
    consumer::{optional_uuid_field as optional_id, uuid_field as id},
};
use dualnet_proto::{arbitration::v1 as arbitration, complaints::v1 as complaints, partygrid::v1 as party};
use sqlx::PgConnection;

use crate::{
    domain::{
        escalation::Severity,
        incident::{Action, Level, PartyResponse, Placement, Source},
        notice::NoticeKind,
    },
    store::{self, NewIncident, Step},
};

pub struct Reactions {
    pub clock: std::sync::Arc<dyn dualnet_platform::clock::Clock>,
    pub calendar: std::sync::Arc<dualnet_platform::calendar::Calendar>,
}

impl Reactions {
    async fn complaint_filed(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let filed: complaints::ComplaintFiled = event.decode()?;
        let complaint_id = id("complaint_id", &filed.complaint_id)?;
        let building_id = optional_id("building_id", &filed.building_id)?;
        let enterprise_id = optional_id("enterprise_id", &filed.enterprise_id)?;
        // The map is ours: place by the building when we know it, else by
        // what the complaint resolved, else the subdistrict takes it.
        let placement = match building_id {
            Some(b) => store::building_placement(conn, b).await?,
            None => None,
        };
        let placement = match placement {
            Some(p) => p,
            None => Placement::new(None, None, None),
        };
        let new = NewIncident {
            placement,
            category: filed.category,
            summary: String::new(),
            source: Source::Complaint,
            complaint_id: Some(complaint_id),
            reporter: "complaints".into(),
            severity: Severity::Normal,
            // Only an enterprise the map knows is referenced.
            enterprise_id: match enterprise_id {
                Some(e) if store::enterprise_placement(conn, e).await?.is_some() => Some(e),
                _ => None,
            },
            topic_id: None,
        };
        store::open_incident(conn, &self.calendar, new, &event.chain(), self.clock.now()).await?;
        Ok(())
    }

    /// A dissatisfied resident reopened the request: a new incident at the
    /// same place, with the clock restarted.
    async fn complaint_reopened(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: complaints::ComplaintReopened = event.decode()?;
        let complaint_id = id("complaint_id", &e.complaint_id)?;
        let placement = match optional_id("building_id", &e.building_id)? {
            Some(b) => store::building_placement(conn, b).await?,
            None => None,
        };
        let new = NewIncident {
            placement: placement.unwrap_or_else(|| Placement::new(None, None, None)),
            category: e.category,
            summary: format!("reopened ({}) after a dissatisfied rating", e.reopened),
            source: Source::Complaint,
            complaint_id: Some(complaint_id),
            reporter: "complaints".into(),
            severity: Severity::Normal,
            enterprise_id: None,
            topic_id: None,
        };
        store::open_incident(conn, &self.calendar, new, &event.chain(), self.clock.now()).await?;
        Ok(())
    }

    /// A duplicate joined another request: its own incident is rejected if
    /// no one is handling it yet.
    async fn complaint_merged(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: complaints::ComplaintMerged = event.decode()?;
        let complaint_id = id("complaint_id", &e.complaint_id)?;
        let Some(incident_id) = store::incident_of_complaint(conn, complaint_id).await? else { return Ok(()) };
        let note = format!("merged into complaint {}", e.into_complaint_id);
        let step = Step { action: Action::Reject, actor: "complaints", note: &note, assignee: None };
        let result =
            store::transition_incident(conn, incident_id, step, Some(event.envelope.id), self.clock.now()).await?;
        if let Some(Err(e)) = result {
            tracing::debug!(%incident_id, error = %e, "the duplicate's incident is already being handled; left open");
        }
        Ok(())
    }

    /// Labour risk at an enterprise (from arbitration) becomes an incident in
    /// the enterprise's grid before anyone escalates it.
    async fn enterprise_risk(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let risk: arbitration::EnterpriseRiskRaised = event.decode()?;
        let enterprise = id("enterprise_id", &risk.enterprise_id)?;
        let placement = store::enterprise_placement(conn, enterprise).await?;
        let known = placement.is_some();
        // 大事不出镇: labour risk is the subdistrict's matter from the start,
        // on the enterprise's grid.
        let mut placement = placement.unwrap_or_else(|| Placement::new(None, None, None));
        placement.level = Level::Subdistrict;
        let new = NewIncident {
            placement,
            category: "labour.enterprise_risk".into(),
            // The reason is another service's text (a relocation notice's
            // note): capped and stripped before it becomes a summary.
            summary: dualnet_platform::fields::clean(
                &format!("{} recent labour cases: {}", risk.recent_cases, risk.reason),
                dualnet_platform::fields::TEXT_MAX,
            ),
            source: Source::LabourRisk,
            complaint_id: None,
            reporter: "arbitration".into(),
            severity: if risk.collective { Severity::Major } else { Severity::Normal },
            // An enterprise the map does not know is not referenced.
            enterprise_id: known.then_some(enterprise),
            topic_id: None,
        };
        store::open_incident(conn, &self.calendar, new, &event.chain(), self.clock.now()).await?;
        Ok(())
    }

    /// A milestone of an arbitration case against an enterprise is noted on
    /// the enterprise's open labour-risk incident.
    async fn case_milestone(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: arbitration::CaseTransitioned = event.decode()?;
        let Some(enterprise) = optional_id("enterprise_id", &e.enterprise_id)? else { return Ok(()) };
        let name = |s: i32| {
            arbitration::CaseStatus::try_from(s)
                .map(|s| s.as_str_name().trim_start_matches("CASE_STATUS_").to_lowercase())
                .unwrap_or_else(|_| s.to_string())
        };
        let note = format!("arbitration case {}: {} → {}", e.case_id, name(e.from_status), name(e.to_status));
        if !store::note_on_risk_incident(conn, enterprise, "arbitration", &note, self.clock.now()).await? {
            tracing::debug!(%enterprise, "no open labour-risk incident to note a case milestone on");
        }
        Ok(())
    }

    async fn task_update(
        &self,
        conn: &mut PgConnection,
        event: &Event,
        ids: (&str, &str, &str),
        status: &str,
        note: &str,
    ) -> Result<(), HandleError> {
        let response = PartyResponse {
            task_id: id("task_id", ids.0)?,
            organisation_id: id("organisation_id", ids.1)?,
            status: status.to_string(),
            note: dualnet_platform::fields::clean(note, dualnet_platform::fields::TEXT_MAX),
            updated_at: event.envelope.time,
        };
        let incident_id = id("incident_id", ids.2)?;
        if !store::record_party_response(conn, &response, incident_id, event.envelope.correlation_id).await? {
            tracing::debug!(%incident_id, "party response for an unknown incident ignored");
        }
        Ok(())
    }

    /// A residents' council resolved to hand work to the networks: an
    /// incident at the building (or grid) it named, in the council's
    /// community, naming the topic — opened once however often the event
    /// arrives.
    async fn resolution_adopted(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: party::ResolutionAdopted = event.decode()?;
        let topic_id = id("topic_id", &e.topic_id)?;
        let building = optional_id("building_id", &e.building_id)?;
        let grid = optional_id("grid_id", &e.grid_id)?;
        // 信息公开: the council's decision is its community's notice.
        let community = id("community_id", &e.community_id)?;
        let subject = (community, NoticeKind::Resolution, topic_id);
        store::publish_notice(conn, subject, ("居民议事会决议", &e.resolution), &event.chain(), self.clock.now())
            .await?;
        if (building.is_none() && grid.is_none()) || store::incident_of_topic(conn, topic_id).await?.is_some() {
            return Ok(());
        }
        let placement = match (building, grid) {
            (Some(b), _) => store::building_placement(conn, b).await?,
            (None, Some(g)) => store::grid_placement(conn, g).await?,
            (None, None) => None,
        };
        let clean = |text: &str, max| dualnet_platform::fields::clean(text, max);
        let new = NewIncident {
            placement: placement.unwrap_or_else(|| Placement::new(None, None, None)),
            category: clean(&e.category, dualnet_platform::fields::NAME_MAX),
            summary: clean(&format!("council resolution: {}", e.resolution), dualnet_platform::fields::TEXT_MAX),
            source: Source::Council,
            complaint_id: None,
            reporter: "party-grid".into(),
            severity: Severity::Normal,
            enterprise_id: None,
            topic_id: Some(topic_id),
        };
        store::open_incident(conn, &self.calendar, new, &event.chain(), self.clock.now()).await?;
        Ok(())
    }

    /// A council topic implemented: its resolution's notice is followed by
    /// one saying it was carried out.
    async fn topic_transitioned(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let e: party::TopicTransitioned = event.decode()?;
        if e.to_status != party::TopicStatus::Implemented as i32 {
            return Ok(());
        }
        let topic_id = id("topic_id", &e.topic_id)?;
        let community = id("community_id", &e.community_id)?;
        let resolution = store::notice_body(conn, NoticeKind::Resolution, topic_id).await?.unwrap_or_default();
        let body = format!("已落实:{resolution}");
        let subject = (community, NoticeKind::Implementation, topic_id);
        store::publish_notice(conn, subject, ("居民议事会决议已落实", &body), &event.chain(), self.clock.now()).await?;
        Ok(())
    }

    async fn complaint_rated(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        let rated: complaints::ComplaintRated = event.decode()?;
        let complaint_id = id("complaint_id", &rated.complaint_id)?;
        let satisfaction = match complaints::Satisfaction::try_from(rated.satisfaction) {
            Ok(complaints::Satisfaction::Satisfied) => "satisfied",
            Ok(complaints::Satisfaction::BasicallySatisfied) => "basically_satisfied",
            Ok(complaints::Satisfaction::Dissatisfied) => "dissatisfied",
            _ => return Err(HandleError::Poison("a rating without a satisfaction".into())),
        };
        let Some(incident_id) = store::incident_of_complaint(conn, complaint_id).await? else { return Ok(()) };
        let now = self.clock.now();
        let step = Step { action: Action::Rate, actor: "resident", note: "", assignee: None };
        let result = store::transition_incident(conn, incident_id, step, Some(event.envelope.id), now).await?;
        match result {
            Some(Ok(_)) => store::record_satisfaction(conn, incident_id, satisfaction).await?,
            // A rating of an incident not (or no longer) closed changes nothing.
            Some(Err(e)) => tracing::debug!(%incident_id, error = %e, "rating not applied"),
            None => {}
        }
        Ok(())
    }
}

#[async_trait]
impl Handler for Reactions {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> Result<(), HandleError> {
        if event.is::<complaints::ComplaintFiled>() {
            self.complaint_filed(conn, event).await
        } else if event.is::<arbitration::EnterpriseRiskRaised>() {
            self.enterprise_risk(conn, event).await
        } else if event.is::<arbitration::CaseTransitioned>() {
            self.case_milestone(conn, event).await
        } else if event.is::<complaints::ComplaintReopened>() {
            self.complaint_reopened(conn, event).await
        } else if event.is::<complaints::ComplaintMerged>() {
            self.complaint_merged(conn, event).await
        } else if event.is::<complaints::ComplaintRated>() {
            self.complaint_rated(conn, event).await
        } else if event.is::<party::ResolutionAdopted>() {
            self.resolution_adopted(conn, event).await
        } else if event.is::<party::TopicTransitioned>() {
            self.topic_transitioned(conn, event).await
        } else if event.is::<party::LinkageTaskCreated>() {
            let e: party::LinkageTaskCreated = event.decode()?;
            self.task_update(conn, event, (&e.task_id, &e.organisation_id, &e.incident_id), "open", "").await
        } else if event.is::<party::LinkageTaskAccepted>() {
            let e: party::LinkageTaskAccepted = event.decode()?;
            self.task_update(conn, event, (&e.task_id, &e.organisation_id, &e.incident_id), "accepted", "").await
        } else if event.is::<party::LinkageTaskDelegated>() {
            let e: party::LinkageTaskDelegated = event.decode()?;
            self.task_update(conn, event, (&e.task_id, &e.organisation_id, &e.incident_id), "delegated", "").await
        } else if event.is::<party::LinkageTaskCompleted>() {
            let e: party::LinkageTaskCompleted = event.decode()?;
            self.task_update(conn, event, (&e.task_id, &e.organisation_id, &e.incident_id), "completed", &e.note).await
        } else if event.is::<party::LinkageTaskClosed>() {
            let e: party::LinkageTaskClosed = event.decode()?;
            self.task_update(conn, event, (&e.task_id, &e.organisation_id, &e.incident_id), "closed", "").await
        } else {
            Ok(())
        }
    }
}
