//! The Complaints gRPC API: requests parsed into domain values at the edge,
//! answers built from domain values. Only `GetComplaint` carries the
//! resident's contact: unmasked for a caller holding the personal-data
//! permission who states a purpose (and the read is audited), masked for
//! everyone else.

use std::sync::Arc;

use dualnet_platform::{ApiError, clock::Clock, page::PageTokens};
use dualnet_proto::complaints::v1::{self as pb, complaints_server::Complaints};
use tonic::{Request, Response, Status};

use crate::store::{Reach, Store};

mod catalogue;
mod complaint;
mod personal_data;
mod referrals;

pub struct Api {
    pub store: Store,
    pub pages: PageTokens,
    pub clock: Arc<dyn Clock>,
}

type Answer<T> = Result<Response<T>, Status>;

impl Api {
    /// A request outside the caller's reach does not exist for the caller.
    async fn confine(&self, reach: Option<&Reach>, id: uuid::Uuid) -> Result<(), ApiError> {
        match reach {
            Some(reach) if !self.store.complaint_in_reach(id, reach).await? => {
                Err(ApiError::NotFound("complaint".into()))
            }
            _ => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl Complaints for Api {
    async fn file_complaint(&self, req: Request<pb::FileComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::file_complaint(self, req).await
    }

    async fn get_complaint(&self, req: Request<pb::GetComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::get_complaint(self, req).await
    }

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Answer<pb::ListPersonalDataReadsResponse> {
        personal_data::list_personal_data_reads(self, req).await
    }

    async fn list_complaints(&self, req: Request<pb::ListComplaintsRequest>) -> Answer<pb::ListComplaintsResponse> {
        complaint::list_complaints(self, req).await
    }

    async fn rate_complaint(&self, req: Request<pb::RateComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::rate_complaint(self, req).await
    }

    async fn accept_complaint(&self, req: Request<pb::AcceptComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::accept_complaint(self, req).await
    }

    async fn hand_over_complaint(&self, req: Request<pb::HandOverComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::hand_over_complaint(self, req).await
    }

    async fn supervise_complaint(&self, req: Request<pb::SuperviseComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::supervise_complaint(self, req).await
    }

    async fn merge_complaint(&self, req: Request<pb::MergeComplaintRequest>) -> Answer<pb::Complaint> {
        complaint::merge_complaint(self, req).await
    }

    async fn refer_complaint(&self, req: Request<pb::ReferComplaintRequest>) -> Answer<pb::Referral> {
        referrals::refer_complaint(self, req).await
    }

    async fn record_referral_outcome(&self, req: Request<pb::RecordReferralOutcomeRequest>) -> Answer<pb::Referral> {
        referrals::record_referral_outcome(self, req).await
    }

    async fn set_category(&self, req: Request<pb::Category>) -> Answer<pb::Category> {
        catalogue::set_category(self, req).await
    }

    async fn list_categories(&self, req: Request<pb::ListCategoriesRequest>) -> Answer<pb::ListCategoriesResponse> {
        catalogue::list_categories(self, req).await
    }

    async fn set_route(&self, req: Request<pb::Route>) -> Answer<pb::Route> {
        catalogue::set_route(self, req).await
    }

    async fn list_routes(&self, req: Request<pb::ListRoutesRequest>) -> Answer<pb::ListRoutesResponse> {
        catalogue::list_routes(self, req).await
    }
}

/// What a confined caller reaches (none: not confined): the requests its
/// department leads (role `department`) and those in its grids and
/// communities. Complaints know no subdistricts: a subdistrict in the
/// token's scope reaches nothing here.
fn reach<T>(req: &Request<T>) -> Option<Reach> {
    reach_of(req.extensions().get::<dualnet_platform::auth::Claims>()?)
}

/// Where a caller with these claims reaches: `None` for an admin
/// (everywhere), else its department's requests and its area's.
pub(crate) fn reach_of(claims: &dualnet_platform::auth::Claims) -> Option<Reach> {
    if claims.roles.iter().any(|r| r == "admin") {
        return None;
    }
    let ids = dualnet_platform::auth::Scope::uuids;
    Some(Reach {
        department: claims.roles.iter().any(|r| r == "department").then(|| claims.department.clone()),
        grids: ids(&claims.scope.grids),
        communities: ids(&claims.scope.communities),
    })
}
