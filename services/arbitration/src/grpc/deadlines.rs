//! The statutory deadlines of an arbitrator's cases, or of one case.

use dualnet_platform::Named;
use dualnet_platform::{ApiError, Fields, fields::NAME_MAX};
use dualnet_proto::arbitration::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, case::deadline, reach};

pub async fn list_deadlines(api: &Api, req: Request<pb::ListDeadlinesRequest>) -> Answer<pb::ListDeadlinesResponse> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let case_id = f.optional_id("case_id", &r.case_id);
    let arbitrator = f.optional_text("arbitrator", &r.arbitrator, NAME_MAX);
    if case_id.is_some() == arbitrator.is_some() {
        f.violation("case_id", "give exactly one of case_id and arbitrator");
    }
    let page = api.pages.page(&mut f, &r);
    f.finish()?;
    let (list, next_page_token) = match (case_id, arbitrator) {
        (Some(id), _) => {
            api.confine(reach.as_ref(), id).await?;
            (api.store.deadlines_of_case(id).await?, String::new())
        }
        (None, Some(a)) => {
            let mut list =
                api.store.deadlines_of_arbitrator(&a, reach.as_ref(), page.fetch(), page.after.as_ref()).await?;
            let next = page.next(&mut list, |d| {
                (d.state == crate::domain::clocks::State::Pending, d.due_at, d.case_id, d.kind.as_str().to_string())
            });
            (list, next)
        }
        (None, None) => return Err(ApiError::field("case_id", "give exactly one of case_id and arbitrator").into()),
    };
    Ok(Response::new(pb::ListDeadlinesResponse { deadlines: list.iter().map(deadline).collect(), next_page_token }))
}
