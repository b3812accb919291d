//! The GovernanceGrid gRPC API: requests parsed into domain values at the
//! edge, answers built from domain values.

use std::sync::Arc;

use dualnet_events::Chain;
use dualnet_platform::{ApiError, clock::Clock, correlation};
use dualnet_proto::governance::v1::{self as pb, governance_grid_server::GovernanceGrid};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::store::{Area, Place, Store};

mod deadlines;
mod escalation;
mod incident;
mod map;
pub(crate) mod notice;
mod patrol;
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

#[tonic::async_trait]
impl GovernanceGrid for Api {
    async fn create_subdistrict(&self, req: Request<pb::CreateSubdistrictRequest>) -> Answer<pb::Subdistrict> {
        map::create_subdistrict(self, req).await
    }

    async fn create_community(&self, req: Request<pb::CreateCommunityRequest>) -> Answer<pb::Community> {
        map::create_community(self, req).await
    }

    async fn create_grid(&self, req: Request<pb::CreateGridRequest>) -> Answer<pb::Grid> {
        map::create_grid(self, req).await
    }

    async fn create_building(&self, req: Request<pb::CreateBuildingRequest>) -> Answer<pb::Building> {
        map::create_building(self, req).await
    }

    async fn create_enterprise(&self, req: Request<pb::CreateEnterpriseRequest>) -> Answer<pb::Enterprise> {
        map::create_enterprise(self, req).await
    }

    async fn retire_building(&self, req: Request<pb::RetireBuildingRequest>) -> Answer<pb::Building> {
        map::retire_building(self, req).await
    }

    async fn get_grid(&self, req: Request<pb::GetGridRequest>) -> Answer<pb::Grid> {
        map::get_grid(self, req).await
    }

    async fn report_incident(&self, req: Request<pb::ReportIncidentRequest>) -> Answer<pb::Incident> {
        incident::report_incident(self, req).await
    }

    async fn get_incident(&self, req: Request<pb::GetIncidentRequest>) -> Answer<pb::Incident> {
        incident::get_incident(self, req).await
    }

    async fn list_incidents(&self, req: Request<pb::ListIncidentsRequest>) -> Answer<pb::ListIncidentsResponse> {
        incident::list_incidents(self, req).await
    }

    async fn transition_incident(&self, req: Request<pb::TransitionIncidentRequest>) -> Answer<pb::Incident> {
        incident::transition_incident(self, req).await
    }

    async fn escalate_incident(&self, req: Request<pb::EscalateIncidentRequest>) -> Answer<pb::Incident> {
        escalation::escalate_incident(self, req).await
    }

    async fn blow_whistle(&self, req: Request<pb::BlowWhistleRequest>) -> Answer<pb::Incident> {
        whistle::blow_whistle(self, req).await
    }

    async fn check_in(&self, req: Request<pb::CheckInRequest>) -> Answer<pb::Incident> {
        whistle::check_in(self, req).await
    }

    async fn report_department_done(&self, req: Request<pb::ReportDepartmentDoneRequest>) -> Answer<pb::Incident> {
        whistle::report_department_done(self, req).await
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

    async fn publish_incident_outcome(&self, req: Request<pb::PublishIncidentOutcomeRequest>) -> Answer<pb::Notice> {
        notice::publish_incident_outcome(self, req).await
    }

    async fn list_notices(&self, req: Request<pb::ListNoticesRequest>) -> Answer<pb::ListNoticesResponse> {
        notice::list_notices(self, req).await
    }

    async fn create_security_committee(
        &self,
        req: Request<pb::CreateSecurityCommitteeRequest>,
    ) -> Answer<pb::SecurityCommittee> {
        patrol::create_security_committee(self, req).await
    }

    async fn add_patrol_member(&self, req: Request<pb::AddPatrolMemberRequest>) -> Answer<pb::PatrolMember> {
        patrol::add_patrol_member(self, req).await
    }

    async fn list_patrol_members(
        &self,
        req: Request<pb::ListPatrolMembersRequest>,
    ) -> Answer<pb::ListPatrolMembersResponse> {
        patrol::list_patrol_members(self, req).await
    }

    async fn create_patrol_plan(&self, req: Request<pb::CreatePatrolPlanRequest>) -> Answer<pb::PatrolPlan> {
        patrol::create_patrol_plan(self, req).await
    }

    async fn record_patrol_run(&self, req: Request<pb::RecordPatrolRunRequest>) -> Answer<pb::PatrolRun> {
        patrol::record_patrol_run(self, req).await
    }

    async fn get_patrol_coverage(&self, req: Request<pb::GetPatrolCoverageRequest>) -> Answer<pb::PatrolCoverage> {
        patrol::get_patrol_coverage(self, req).await
    }

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Answer<pb::ListPersonalDataReadsResponse> {
        patrol::list_personal_data_reads(self, req).await
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
