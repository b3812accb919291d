//! The Arbitration gRPC API.

use dualnet_platform::{Fields, timestamp::to_proto};
use dualnet_proto::arbitration::v1::{self as pb, arbitration_server::Arbitration};
use tonic::{Request, Response, Status};

use crate::{
    domain::case::{Case, CaseStatus},
    store::{CaseFilter, Store},
};

pub struct Api {
    pub store: Store,
}

type Answer<T> = Result<Response<T>, Status>;

fn status(s: CaseStatus) -> pb::CaseStatus {
    match s {
        CaseStatus::Applied => pb::CaseStatus::Applied,
        CaseStatus::Accepted => pb::CaseStatus::Accepted,
        CaseStatus::Refused => pb::CaseStatus::Refused,
        CaseStatus::Closed => pb::CaseStatus::Closed,
    }
}

fn view(c: Case) -> pb::Case {
    let text = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    pb::Case {
        id: c.id.to_string(),
        complaint_id: text(c.complaint_id),
        enterprise_id: text(c.enterprise_id),
        category: c.category,
        claimants: c.claimants,
        status: status(c.status) as i32,
        collective: c.collective,
        correlation_id: c.correlation_id.to_string(),
        applied_at: Some(to_proto(c.applied_at)),
        acceptance_due: Some(to_proto(c.acceptance_due)),
    }
}

#[tonic::async_trait]
impl Arbitration for Api {
    async fn get_case(&self, req: Request<pb::GetCaseRequest>) -> Answer<pb::Case> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        f.finish()?;
        Ok(Response::new(view(self.store.get(id).await?)))
    }

    async fn list_cases(&self, req: Request<pb::ListCasesRequest>) -> Answer<pb::ListCasesResponse> {
        let r = req.into_inner();
        let mut f = Fields::new();
        let filter = CaseFilter {
            enterprise_id: f.optional_id("enterprise_id", &r.enterprise_id),
            complaint_id: f.optional_id("complaint_id", &r.complaint_id),
            limit: f.page_size("page_size", r.page_size, 100, 1000),
        };
        f.finish()?;
        let cases = self.store.list(&filter).await?;
        Ok(Response::new(pb::ListCasesResponse { cases: cases.into_iter().map(view).collect() }))
    }
}
