//! The GovernanceGrid gRPC API: requests parsed into domain values at the
//! edge, answers built from domain values.

use std::sync::Arc;

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::caller,
    clock::Clock,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    timestamp::to_proto,
};
use dualnet_proto::governance::v1::{self as pb, governance_grid_server::GovernanceGrid};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    domain::{
        incident::{HistoryEntry, Incident, PartyResponse, Source},
        map::{Building, Community, Grid, Subdistrict},
    },
    store::{Answer as WhistleAnswer, Area, IncidentFilter, IncidentView, NewIncident, Place, Step, Store},
    wire,
};

mod deadlines;
mod map;
mod rental;
mod statistics;
mod warnings;
mod whistle;

pub struct Api {
    pub store: Store,
    pub pages: dualnet_platform::page::PageTokens,
    pub clock: Arc<dyn Clock>,
}

type Answer<T> = Result<Response<T>, Status>;

fn chain<T>(req: &Request<T>) -> Chain {
    Chain::start(correlation::of(req))
}

fn text(id: Option<Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

fn subdistrict(s: Subdistrict) -> pb::Subdistrict {
    pb::Subdistrict { id: s.id.to_string(), code: s.code, name: s.name }
}

fn community(c: Community) -> pb::Community {
    pb::Community { id: c.id.to_string(), subdistrict_id: c.subdistrict_id.to_string(), code: c.code, name: c.name }
}

fn grid(g: Grid) -> pb::Grid {
    pb::Grid { id: g.id.to_string(), community_id: g.community_id.to_string(), code: g.code, name: g.name }
}

pub(crate) fn building(b: Building) -> pb::Building {
    pb::Building {
        id: b.id.to_string(),
        grid_id: b.grid_id.to_string(),
        code: b.code,
        name: b.name,
        address: b.address,
        retired: b.retired,
        head_staff_code: b.head.as_ref().map(|h| h.0.clone()).unwrap_or_default(),
        head_name: b.head.map(|h| h.1).unwrap_or_default(),
        latitude: b.location.map(|l| l.0),
        longitude: b.location.map(|l| l.1),
    }
}

fn view(v: IncidentView) -> pb::Incident {
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
    pb::Incident { summons, ..incident(v.incident, v.history, v.responses) }
}

fn incident(i: Incident, history: Vec<HistoryEntry>, responses: Vec<PartyResponse>) -> pb::Incident {
    pb::Incident {
        id: i.id.to_string(),
        grid_id: text(i.placement.grid_id),
        building_id: text(i.placement.building_id),
        category: i.category,
        summary: i.summary,
        status: wire::status(i.status) as i32,
        level: wire::level(i.placement.level) as i32,
        source: wire::source(i.source) as i32,
        complaint_id: text(i.complaint_id),
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
        community_id: text(i.placement.community_id),
        enterprise_id: text(i.enterprise_id),
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

#[tonic::async_trait]
impl GovernanceGrid for Api {
    async fn create_subdistrict(&self, req: Request<pb::CreateSubdistrictRequest>) -> Answer<pb::Subdistrict> {
        let chain = chain(&req);
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let code = f.text("code", &r.code, NAME_MAX);
        let name = f.text("name", &r.name, NAME_MAX);
        f.finish()?;
        self.whole_map(area.as_ref()).await?;
        Ok(Response::new(subdistrict(self.store.create_subdistrict(&code, &name, &chain).await?)))
    }

    async fn create_community(&self, req: Request<pb::CreateCommunityRequest>) -> Answer<pb::Community> {
        let chain = chain(&req);
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let parent = f.id("subdistrict_id", &r.subdistrict_id);
        let code = f.text("code", &r.code, NAME_MAX);
        let name = f.text("name", &r.name, NAME_MAX);
        f.finish()?;
        self.confine_place(area.as_ref(), Place::Subdistrict(parent)).await?;
        Ok(Response::new(community(self.store.create_community(parent, &code, &name, &chain).await?)))
    }

    async fn create_grid(&self, req: Request<pb::CreateGridRequest>) -> Answer<pb::Grid> {
        let chain = chain(&req);
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let parent = f.id("community_id", &r.community_id);
        let code = f.text("code", &r.code, NAME_MAX);
        let name = f.text("name", &r.name, NAME_MAX);
        f.finish()?;
        self.confine_place(area.as_ref(), Place::Community(parent)).await?;
        Ok(Response::new(grid(self.store.create_grid(parent, &code, &name, &chain).await?)))
    }

    async fn create_building(&self, req: Request<pb::CreateBuildingRequest>) -> Answer<pb::Building> {
        let chain = chain(&req);
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let parent = f.id("grid_id", &r.grid_id);
        let code = f.text("code", &r.code, NAME_MAX);
        let name = f.text("name", &r.name, NAME_MAX);
        let address = f.optional_text("address", &r.address, TEXT_MAX).unwrap_or_default();
        let location = f.coordinates(r.latitude, r.longitude);
        f.finish()?;
        self.confine_place(area.as_ref(), Place::Grid(parent)).await?;
        let b = self.store.create_building(parent, &code, &name, &address, location, &chain).await?;
        Ok(Response::new(building(b)))
    }

    async fn create_enterprise(&self, req: Request<pb::CreateEnterpriseRequest>) -> Answer<pb::Enterprise> {
        let chain = chain(&req);
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let grid = f.id("grid_id", &r.grid_id);
        let code = f.text("code", &r.code, NAME_MAX);
        let name = f.text("name", &r.name, NAME_MAX);
        f.finish()?;
        self.confine_place(area.as_ref(), Place::Grid(grid)).await?;
        let e = self.store.create_enterprise(grid, &code, &name, &chain).await?;
        Ok(Response::new(pb::Enterprise {
            id: e.id.to_string(),
            grid_id: e.grid_id.to_string(),
            code: e.code,
            name: e.name,
        }))
    }

    async fn retire_building(&self, req: Request<pb::RetireBuildingRequest>) -> Answer<pb::Building> {
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let reason = f.text("reason", &r.reason, TEXT_MAX);
        f.finish()?;
        self.confine_place(area.as_ref(), Place::Building(id)).await?;
        Ok(Response::new(building(self.store.retire_building(id, &reason, self.clock.now()).await?)))
    }

    async fn get_grid(&self, req: Request<pb::GetGridRequest>) -> Answer<pb::Grid> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        f.finish()?;
        self.confine_place(area(&req).as_ref(), Place::Grid(id)).await?;
        Ok(Response::new(grid(self.store.grid(id).await?)))
    }

    async fn report_incident(&self, req: Request<pb::ReportIncidentRequest>) -> Answer<pb::Incident> {
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
        self.confine_place(area.as_ref(), Place::Grid(grid_id)).await?;
        let reporter = Actor::of(caller.as_ref(), "reporter", reporter)?.recorded();
        let placement = self.store.placement(grid_id, building_id).await?;
        let new = NewIncident {
            placement,
            category,
            summary,
            source,
            complaint_id: None,
            reporter,
            severity,
            enterprise_id: None,
        };
        let opened = self.store.report_incident(new, &chain, self.clock.now()).await?;
        Ok(Response::new(incident(opened, vec![], vec![])))
    }

    async fn get_incident(&self, req: Request<pb::GetIncidentRequest>) -> Answer<pb::Incident> {
        let area = area(&req);
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        f.finish()?;
        self.confine(area.as_ref(), id).await?;
        Ok(Response::new(view(self.store.incident(id).await?)))
    }

    async fn list_incidents(&self, req: Request<pb::ListIncidentsRequest>) -> Answer<pb::ListIncidentsResponse> {
        let area = area(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let filters = pb::ListIncidentsRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let page = self.pages.page(&mut f, "incidents", &filters, r.page_size, &r.page_token);
        let filter = IncidentFilter {
            grid_id: f.optional_id("grid_id", &r.grid_id),
            community_id: f.optional_id("community_id", &r.community_id),
            complaint_id: f.optional_id("complaint_id", &r.complaint_id),
            status: f.optional_enumeration::<pb::IncidentStatus>("status", r.status).and_then(wire::status_from),
            level: f.optional_enumeration::<pb::IncidentLevel>("level", r.level).and_then(wire::level_from),
            category: f.optional_text("category", &r.category, NAME_MAX),
            opened_from: f.timestamp("opened_from", r.opened_from.as_ref()),
            opened_to: f.timestamp("opened_to", r.opened_to.as_ref()),
            overdue_at: r.overdue_only.then(|| self.clock.now()),
            limit: page.fetch(),
            after: page.after,
            area,
        };
        f.finish()?;
        let mut incidents = self.store.list_incidents(&filter).await?;
        let next_page_token = page.next(&mut incidents, |i| (i.opened_at, i.id));
        Ok(Response::new(pb::ListIncidentsResponse {
            incidents: incidents.into_iter().map(|i| incident(i, vec![], vec![])).collect(),
            next_page_token,
        }))
    }

    async fn transition_incident(&self, req: Request<pb::TransitionIncidentRequest>) -> Answer<pb::Incident> {
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
        self.confine(area.as_ref(), id).await?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        // A transition continues the incident's own chain (the complaint's
        // correlation id), whoever asks for it.
        let step = Step { action, actor: &actor, note: &note, assignee: assignee.as_deref() };
        let updated = self.store.transition(id, step, self.clock.now()).await?;
        Ok(Response::new(view(self.store.incident(updated.id).await?)))
    }

    async fn escalate_incident(&self, req: Request<pb::EscalateIncidentRequest>) -> Answer<pb::Incident> {
        let area = area(&req);
        let caller = caller(req.extensions());
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let actor = f.optional_text("actor", &r.actor, NAME_MAX);
        let reason = f.optional_text("reason", &r.reason, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        self.confine(area.as_ref(), id).await?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        let escalated = self.store.escalate(id, &actor, &reason, self.clock.now()).await?;
        Ok(Response::new(view(self.store.incident(escalated.id).await?)))
    }

    async fn blow_whistle(&self, req: Request<pb::BlowWhistleRequest>) -> Answer<pb::Incident> {
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
        self.confine(area.as_ref(), id).await?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        self.store.blow_whistle(id, &actor, &departments, self.clock.now()).await?;
        Ok(Response::new(view(self.store.incident(id).await?)))
    }

    async fn check_in(&self, req: Request<pb::CheckInRequest>) -> Answer<pb::Incident> {
        let area = area(&req);
        let caller = caller(req.extensions());
        let r = req.into_inner();
        self.answer((area, caller), &r.id, &r.department, "", WhistleAnswer::CheckIn).await
    }

    async fn report_department_done(&self, req: Request<pb::ReportDepartmentDoneRequest>) -> Answer<pb::Incident> {
        let area = area(&req);
        let caller = caller(req.extensions());
        let r = req.into_inner();
        self.answer((area, caller), &r.id, &r.department, &r.note, WhistleAnswer::Done).await
    }

    async fn assign_grid_worker(&self, req: Request<pb::AssignGridWorkerRequest>) -> Answer<pb::GridWorker> {
        map::assign_grid_worker(self, req).await
    }

    async fn list_grid_workers(&self, req: Request<pb::ListGridWorkersRequest>) -> Answer<pb::ListGridWorkersResponse> {
        map::list_grid_workers(self, req).await
    }

    async fn assign_building_head(&self, req: Request<pb::AssignBuildingHeadRequest>) -> Answer<pb::Building> {
        map::assign_building_head(self, req).await
    }

    async fn import_map(&self, req: Request<pb::ImportMapRequest>) -> Answer<pb::ImportMapResponse> {
        map::import(self, req).await
    }

    async fn export_map(&self, req: Request<pb::ExportMapRequest>) -> Answer<pb::ExportMapResponse> {
        map::export(self, req).await
    }

    async fn set_category_deadlines(&self, req: Request<pb::CategoryDeadlines>) -> Answer<pb::CategoryDeadlines> {
        deadlines::set_category_deadlines(self, req).await
    }

    async fn list_category_deadlines(
        &self,
        _: Request<pb::ListCategoryDeadlinesRequest>,
    ) -> Answer<pb::ListCategoryDeadlinesResponse> {
        deadlines::list_category_deadlines(self).await
    }

    async fn register_rental_unit(&self, req: Request<pb::RegisterRentalUnitRequest>) -> Answer<pb::RentalUnit> {
        rental::register(self, req).await
    }

    async fn get_rental_unit(&self, req: Request<pb::GetRentalUnitRequest>) -> Answer<pb::RentalUnit> {
        rental::get(self, req).await
    }

    async fn record_inspection(&self, req: Request<pb::RecordInspectionRequest>) -> Answer<pb::RentalUnit> {
        rental::record_inspection(self, req).await
    }

    async fn list_inspections_due(
        &self,
        req: Request<pb::ListInspectionsDueRequest>,
    ) -> Answer<pb::ListInspectionsDueResponse> {
        rental::list_due(self, req).await
    }

    async fn set_warning_rule(&self, req: Request<pb::WarningRule>) -> Answer<pb::WarningRule> {
        warnings::set_rule(self, req).await
    }

    async fn list_warning_rules(
        &self,
        _: Request<pb::ListWarningRulesRequest>,
    ) -> Answer<pb::ListWarningRulesResponse> {
        warnings::list_rules(self).await
    }

    async fn list_warnings(&self, req: Request<pb::ListWarningsRequest>) -> Answer<pb::ListWarningsResponse> {
        warnings::list(self, req).await
    }

    async fn get_statistics(&self, req: Request<pb::GetStatisticsRequest>) -> Answer<pb::Statistics> {
        statistics::get(self, req).await
    }
}

/// The area the caller is confined to (none: not confined), from the
/// verified token's scope. Ids that are not UUIDs name nothing.
pub(crate) fn area<T>(req: &Request<T>) -> Option<Area> {
    let scope = dualnet_platform::auth::confinement(req.extensions())?;
    let ids = dualnet_platform::auth::Scope::uuids;
    Some(Area {
        grids: ids(&scope.grids),
        communities: ids(&scope.communities),
        subdistricts: ids(&scope.subdistricts),
    })
}

impl Api {
    /// A place outside the caller's area does not exist for the caller.
    pub(crate) async fn confine_place(&self, area: Option<&Area>, place: Place) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.place_in_area(place, area).await? => Err(ApiError::NotFound(place.noun().into())),
            _ => Ok(()),
        }
    }

    /// Map-wide answers and changes: an unconfined caller, or one whose
    /// subdistricts take in the whole map.
    pub(crate) async fn whole_map(&self, area: Option<&Area>) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.area_covers_map(area).await? => Err(ApiError::PermissionDenied(
                "the whole map needs every subdistrict in the token's scope; name a place of your area".into(),
            )),
            _ => Ok(()),
        }
    }

    /// An incident outside the caller's area does not exist for the caller:
    /// `NOT_FOUND`, so its existence does not leak.
    async fn confine(&self, area: Option<&Area>, id: Uuid) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.incident_in_area(id, area).await? => Err(ApiError::NotFound("incident".into())),
            _ => Ok(()),
        }
    }
}
