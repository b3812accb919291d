//! The PartyGrid gRPC API. A caller confined to an area (its token's
//! subdistricts, communities, grids) reaches the organisations bound in it
//! and what hangs off them — tasks, members, volunteer calls; anything else
//! does not exist for it (`NOT_FOUND`, absent from lists). Network-wide
//! figures and top-level organisations need a whole subdistrict in scope.

use std::sync::Arc;

use dualnet_platform::{ApiError, clock::Clock};
use dualnet_proto::partygrid::v1::{self as pb, party_grid_server::PartyGrid};
use tonic::{Request, Response, Status};

use crate::store::{Store, Target};

mod council;
mod member;
mod network;
mod organisation;
mod task;
mod topic;
mod volunteers;

pub struct Api {
    pub store: Store,
    pub pages: dualnet_platform::page::PageTokens,
    pub clock: Arc<dyn Clock>,
}

type Answer<T> = Result<Response<T>, Status>;

/// The area a call is confined to, as one list of unit ids; `None` when it
/// is not confined.
fn area<T>(req: &Request<T>) -> Option<Vec<uuid::Uuid>> {
    let scope = dualnet_platform::auth::confinement(req.extensions())?;
    let ids = dualnet_platform::auth::Scope::uuids;
    Some([ids(&scope.subdistricts), ids(&scope.communities), ids(&scope.grids)].concat())
}

impl Api {
    /// Each target outside the caller's area does not exist for the caller.
    async fn confine(&self, area: Option<&[uuid::Uuid]>, targets: &[Target]) -> Result<(), ApiError> {
        let Some(area) = area else { return Ok(()) };
        for target in targets {
            if !self.store.in_area(*target, area).await? {
                let what = match target {
                    Target::Organisation(_) => "organisation",
                    Target::Task(_) => "linkage task",
                    Target::VolunteerCall(_) => "volunteer call",
                    Target::Member(_) => "member",
                    Target::Unit(_) => "unit",
                    Target::Council(_) => "council",
                    Target::Topic(_) => "topic",
                };
                return Err(ApiError::NotFound(what.into()));
            }
        }
        Ok(())
    }

    /// A top-level organisation: an unconfined caller, or one with a whole
    /// subdistrict in scope.
    async fn top_level(&self, area: Option<&[uuid::Uuid]>) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.area_has_subdistrict(area).await? => Err(ApiError::PermissionDenied(
                "a top-level organisation needs a subdistrict in the token's scope; name its parent".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Network-wide answers (coverage, response times, the grid network
    /// without a community): an unconfined caller, or one whose scope takes
    /// in every subdistrict the network knows — the figures cover them all.
    async fn whole_network(&self, area: Option<&[uuid::Uuid]>) -> Result<(), ApiError> {
        match area {
            Some(area) if !self.store.area_covers_network(area).await? => Err(ApiError::PermissionDenied(
                "the whole network needs every subdistrict in the token's scope; name an organisation or community"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl PartyGrid for Api {
    async fn create_organisation(&self, req: Request<pb::CreateOrganisationRequest>) -> Answer<pb::Organisation> {
        organisation::create_organisation(self, req).await
    }

    async fn get_organisation(&self, req: Request<pb::GetOrganisationRequest>) -> Answer<pb::Organisation> {
        organisation::get_organisation(self, req).await
    }

    async fn bind_organisation(&self, req: Request<pb::BindOrganisationRequest>) -> Answer<pb::Organisation> {
        organisation::bind_organisation(self, req).await
    }

    async fn list_linkage_tasks(
        &self,
        req: Request<pb::ListLinkageTasksRequest>,
    ) -> Answer<pb::ListLinkageTasksResponse> {
        task::list_linkage_tasks(self, req).await
    }

    async fn accept_linkage_task(&self, req: Request<pb::AcceptLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
        task::accept_linkage_task(self, req).await
    }

    async fn complete_linkage_task(&self, req: Request<pb::CompleteLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
        task::complete_linkage_task(self, req).await
    }

    async fn delegate_linkage_task(&self, req: Request<pb::DelegateLinkageTaskRequest>) -> Answer<pb::LinkageTask> {
        task::delegate_linkage_task(self, req).await
    }

    async fn get_response_times(&self, req: Request<pb::GetResponseTimesRequest>) -> Answer<pb::ResponseTimes> {
        task::get_response_times(self, req).await
    }

    async fn call_volunteers(&self, req: Request<pb::CallVolunteersRequest>) -> Answer<pb::VolunteerCall> {
        volunteers::call_volunteers(self, req).await
    }

    async fn sign_up_volunteer(&self, req: Request<pb::VolunteerRequest>) -> Answer<pb::VolunteerCall> {
        volunteers::sign_up_volunteer(self, req).await
    }

    async fn record_show_up(&self, req: Request<pb::VolunteerRequest>) -> Answer<pb::VolunteerCall> {
        volunteers::record_show_up(self, req).await
    }

    async fn get_volunteer_call(&self, req: Request<pb::GetVolunteerCallRequest>) -> Answer<pb::VolunteerCall> {
        volunteers::get_volunteer_call(self, req).await
    }

    async fn add_member(&self, req: Request<pb::AddMemberRequest>) -> Answer<pb::Member> {
        member::add_member(self, req).await
    }

    async fn transfer_member(&self, req: Request<pb::TransferMemberRequest>) -> Answer<pb::Member> {
        member::transfer_member(self, req).await
    }

    async fn register_with_community(&self, req: Request<pb::RegisterWithCommunityRequest>) -> Answer<pb::Member> {
        member::register_with_community(self, req).await
    }

    async fn list_members(&self, req: Request<pb::ListMembersRequest>) -> Answer<pb::ListMembersResponse> {
        member::list_members(self, req).await
    }

    async fn get_grid_network(&self, req: Request<pb::GetGridNetworkRequest>) -> Answer<pb::GridNetwork> {
        network::get_grid_network(self, req).await
    }

    async fn list_flagged_bindings(
        &self,
        req: Request<pb::ListFlaggedBindingsRequest>,
    ) -> Answer<pb::ListFlaggedBindingsResponse> {
        network::list_flagged_bindings(self, req).await
    }

    async fn get_coverage(&self, req: Request<pb::GetCoverageRequest>) -> Answer<pb::Coverage> {
        network::get_coverage(self, req).await
    }

    async fn create_council(&self, req: Request<pb::CreateCouncilRequest>) -> Answer<pb::Council> {
        council::create_council(self, req).await
    }

    async fn get_council(&self, req: Request<pb::GetCouncilRequest>) -> Answer<pb::Council> {
        council::get_council(self, req).await
    }

    async fn add_council_member(&self, req: Request<pb::AddCouncilMemberRequest>) -> Answer<pb::CouncilMember> {
        council::add_council_member(self, req).await
    }

    async fn list_council_members(
        &self,
        req: Request<pb::ListCouncilMembersRequest>,
    ) -> Answer<pb::ListCouncilMembersResponse> {
        council::list_council_members(self, req).await
    }

    async fn raise_topic(&self, req: Request<pb::RaiseTopicRequest>) -> Answer<pb::Topic> {
        topic::raise_topic(self, req).await
    }

    async fn move_topic(&self, req: Request<pb::MoveTopicRequest>) -> Answer<pb::Topic> {
        topic::move_topic(self, req).await
    }

    async fn get_topic(&self, req: Request<pb::GetTopicRequest>) -> Answer<pb::Topic> {
        topic::get_topic(self, req).await
    }

    async fn list_topics(&self, req: Request<pb::ListTopicsRequest>) -> Answer<pb::ListTopicsResponse> {
        topic::list_topics(self, req).await
    }

    async fn hold_meeting(&self, req: Request<pb::HoldMeetingRequest>) -> Answer<pb::Meeting> {
        topic::hold_meeting(self, req).await
    }

    async fn get_liaison_report(&self, req: Request<pb::GetLiaisonReportRequest>) -> Answer<pb::LiaisonReport> {
        council::get_liaison_report(self, req).await
    }

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Answer<pb::ListPersonalDataReadsResponse> {
        council::list_personal_data_reads(self, req).await
    }
}
