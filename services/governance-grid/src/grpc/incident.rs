//! Incidents: reporting one, reading one, listing them a page at a time,
//! and the steps of their lifecycle.

use dualnet_platform::Named;
use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::caller,
    calendar::Calendar,
    fields::{NAME_MAX, TEXT_MAX},
    timestamp::to_proto,
};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area, chain};
use crate::{
    domain::incident::{HistoryEntry, Incident, PartyResponse, Source},
    store::{IncidentFilter, IncidentView, NewIncident, Place, Step},
    wire,
};
use dualnet_platform::fields::id_text;

pub(super) fn view(v: IncidentView, calendar: &Calendar) -> pb::Incident {
    let summons = v
        .summons
        .into_iter()
        .map(|s| pb::Summons {
            department: s.department,
            summoned_at: Some(to_proto(s.summoned_at)),
            checked_in_at: s.checked_in_at.map(to_proto),
            done_at: s.done_at.map(to_proto),
            note: s.note,
        })
        .collect();
    pb::Incident { summons, ..incident(v.incident, v.history, v.responses, calendar) }
}

pub(super) fn incident(
    i: Incident,
    history: Vec<HistoryEntry>,
    responses: Vec<PartyResponse>,
    calendar: &Calendar,
) -> pb::Incident {
    pb::Incident {
        deadline_provisional: calendar.provisional_deadline(i.opened_at, i.deadline),
        id: i.id.to_string(),
        grid_id: id_text(i.placement.grid_id),
        building_id: id_text(i.placement.building_id),
        category: i.category,
        summary: i.summary,
        status: wire::status(i.status) as i32,
        level: wire::level(i.placement.level) as i32,
        source: wire::source(i.source) as i32,
        complaint_id: id_text(i.complaint_id),
        correlation_id: i.correlation_id.to_string(),
        assignee: i.assignee.unwrap_or_default(),
        opened_at: Some(to_proto(i.opened_at)),
        deadline: Some(to_proto(i.deadline)),
        party_responses: responses
            .into_iter()
            .map(|r| pb::PartyResponse {
                task_id: r.task_id.to_string(),
                organisation_id: r.organisation_id.to_string(),
                status: r.status,
                note: r.note,
                updated_at: Some(to_proto(r.updated_at)),
            })
            .collect(),
        severity: wire::severity(i.severity) as i32,
        community_id: id_text(i.placement.community_id),
        enterprise_id: id_text(i.enterprise_id),
        topic_id: id_text(i.topic_id),
        // Filled in by `view` where the summons were loaded.
        summons: Vec::new(),
        history: history
            .into_iter()
            .map(|h| pb::IncidentTransition {
                from_status: h.from.as_str().to_string(),
                to_status: h.to.as_str().to_string(),
                actor: h.actor,
                note: h.note,
                at: Some(to_proto(h.at)),
            })
            .collect(),
    }
}

pub async fn report_incident(api: &Api, req: Request<pb::ReportIncidentRequest>) -> Answer<pb::Incident> {
    let chain = chain(&req);
    let area = area(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let grid_id = f.id("grid_id", &r.grid_id);
    let building_id = f.optional_id("building_id", &r.building_id);
    let category = f.text("category", &r.category, NAME_MAX);
    let summary = f.text("summary", &r.summary, TEXT_MAX);
    let reporter = f.optional_text("reporter", &r.reporter, NAME_MAX);
    let severity = match pb::Severity::try_from(r.severity) {
        Ok(s) => wire::severity_from(s),
        Err(_) => {
            f.violation("severity", format!("unknown value {}", r.severity));
            Default::default()
        }
    };
    let source = match pb::IncidentSource::try_from(r.source) {
        Ok(pb::IncidentSource::Unspecified | pb::IncidentSource::GridWorker) => Source::GridWorker,
        Ok(pb::IncidentSource::PartyReport) => Source::PartyReport,
        _ => {
            f.violation("source", "a report comes from a grid worker or a party organisation");
            Source::GridWorker
        }
    };
    f.finish()?;
    api.confine_place(area.as_ref(), Place::Grid(grid_id)).await?;
    let reporter = Actor::of(caller.as_ref(), "reporter", reporter)?.recorded();
    let placement = api.store.placement(grid_id, building_id).await?;
    let new = NewIncident {
        placement,
        category,
        summary,
        source,
        complaint_id: None,
        reporter,
        severity,
        enterprise_id: None,
        topic_id: None,
    };
    let opened = api.store.report_incident(new, &chain, api.clock.now()).await?;
    Ok(Response::new(incident(opened, vec![], vec![], api.store.calendar())))
}

pub async fn get_incident(api: &Api, req: Request<pb::GetIncidentRequest>) -> Answer<pb::Incident> {
    let area = area(&req);
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine(area.as_ref(), id).await?;
    Ok(Response::new(view(api.store.incident(id).await?, api.store.calendar())))
}

pub async fn list_incidents(api: &Api, req: Request<pb::ListIncidentsRequest>) -> Answer<pb::ListIncidentsResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let page = api.pages.page(&mut f, &r);
    let filter = IncidentFilter {
        grid_id: f.optional_id("grid_id", &r.grid_id),
        community_id: f.optional_id("community_id", &r.community_id),
        complaint_id: f.optional_id("complaint_id", &r.complaint_id),
        status: f.optional_enumeration::<pb::IncidentStatus>("status", r.status).and_then(wire::status_from),
        level: f.optional_enumeration::<pb::IncidentLevel>("level", r.level).and_then(wire::level_from),
        category: f.optional_text("category", &r.category, NAME_MAX),
        opened_from: f.timestamp("opened_from", r.opened_from.as_ref()),
        opened_to: f.timestamp("opened_to", r.opened_to.as_ref()),
        overdue_at: r.overdue_only.then(|| api.clock.now()),
        limit: page.fetch(),
        after: page.after,
        area,
    };
    f.finish()?;
    let mut incidents = api.store.list_incidents(&filter).await?;
    let next_page_token = page.next(&mut incidents, |i| (i.opened_at, i.id));
    Ok(Response::new(pb::ListIncidentsResponse {
        incidents: incidents.into_iter().map(|i| incident(i, vec![], vec![], api.store.calendar())).collect(),
        next_page_token,
    }))
}

pub async fn transition_incident(api: &Api, req: Request<pb::TransitionIncidentRequest>) -> Answer<pb::Incident> {
    let area = area(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let action = f.enumeration::<pb::IncidentAction>("action", r.action).and_then(wire::requested_action);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    let assignee = f.optional_text("assignee", &r.assignee, NAME_MAX);
    f.finish()?;
    let action = action.ok_or_else(|| ApiError::field("action", "must be specified"))?;
    api.confine(area.as_ref(), id).await?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    // A transition continues the incident's own chain (the complaint's
    // correlation id), whoever asks for it.
    let step = Step { action, actor: &actor, note: &note, assignee: assignee.as_deref() };
    let updated = api.store.transition(id, step, api.clock.now()).await?;
    Ok(Response::new(view(api.store.incident(updated.id).await?, api.store.calendar())))
}
