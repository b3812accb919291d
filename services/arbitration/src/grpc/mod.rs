//! The Arbitration gRPC API: requests parsed into domain values at the edge,
//! answers built from domain values. A case is seen only by the commission
//! (role `arbitrator`) and the parties' representatives it names; to anyone
//! else it does not exist. Claimants' personal data is answered unmasked
//! only by `GetCase`, to a caller holding the personal-data permission who
//! states a purpose (and the read is audited); masked everywhere else.

use std::sync::Arc;

use dualnet_platform::{ApiError, auth::Claims, clock::Clock, page::PageTokens};
use dualnet_proto::arbitration::v1::{self as pb, arbitration_server::Arbitration};
use tonic::{Request, Response, Status};

mod application;
mod case;
mod deadlines;
mod personal_data;
mod risk;

use crate::store::{Reach, Store};

pub struct Api {
    pub store: Store,
    pub pages: PageTokens,
    pub clock: Arc<dyn Clock>,
    /// The city's monthly minimum wage by date (Art. 47).
    pub minimum_wage: Arc<dualnet_platform::minimum_wage::MinimumWage>,
}

type Answer<T> = Result<Response<T>, Status>;

/// Who a caller is, for the cases: `None` when not confined (no
/// authentication configured, `admin`, or the commission), else the
/// representative it is, if any.
fn reach<T>(req: &Request<T>) -> Option<Reach> {
    dualnet_platform::auth::confinement(req.extensions())?;
    let claims = req.extensions().get::<Claims>()?;
    let has = |role: &str| claims.roles.iter().any(|r| r == role);
    if has("arbitrator") || has("commission_director") {
        return None;
    }
    Some(Reach { representative: has("representative").then(|| claims.sub.clone()) })
}

impl Api {
    /// A case outside the caller's reach does not exist for the caller.
    async fn confine(&self, reach: Option<&Reach>, id: uuid::Uuid) -> Result<(), ApiError> {
        match reach {
            Some(reach) if !self.store.case_in_reach(id, reach).await? => Err(ApiError::NotFound("case".into())),
            _ => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl Arbitration for Api {
    async fn apply_case(&self, req: Request<pb::ApplyCaseRequest>) -> Answer<pb::Case> {
        case::apply_case(self, req).await
    }

    async fn get_case(&self, req: Request<pb::GetCaseRequest>) -> Answer<pb::Case> {
        case::get_case(self, req).await
    }

    async fn set_representatives(&self, req: Request<pb::SetRepresentativesRequest>) -> Answer<pb::Case> {
        case::set_representatives(self, req).await
    }

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Answer<pb::ListPersonalDataReadsResponse> {
        personal_data::list_personal_data_reads(self, req).await
    }

    async fn list_cases(&self, req: Request<pb::ListCasesRequest>) -> Answer<pb::ListCasesResponse> {
        case::list_cases(self, req).await
    }

    async fn transition_case(&self, req: Request<pb::TransitionCaseRequest>) -> Answer<pb::Case> {
        case::transition_case(self, req).await
    }

    async fn extend_award_period(&self, req: Request<pb::ExtendAwardPeriodRequest>) -> Answer<pb::Case> {
        case::extend_award_period(self, req).await
    }

    async fn list_deadlines(&self, req: Request<pb::ListDeadlinesRequest>) -> Answer<pb::ListDeadlinesResponse> {
        deadlines::list_deadlines(self, req).await
    }

    async fn report_relocation(
        &self,
        req: Request<pb::ReportRelocationRequest>,
    ) -> Answer<pb::ReportRelocationResponse> {
        risk::report_relocation(self, req).await
    }
}
