//! Labour risk: an enterprise's relocation reported, which raises its risk
//! at once.

use dualnet_events::Chain;
use dualnet_platform::{ApiError, Fields, auth::Claims, correlation, fields::TEXT_MAX};
use dualnet_proto::arbitration::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api};

pub async fn report_relocation(
    api: &Api,
    req: Request<pb::ReportRelocationRequest>,
) -> Answer<pb::ReportRelocationResponse> {
    let chain = Chain::start(correlation::of(&req));
    // The commission is not confined to an area, here as for cases;
    // labour inspection is, to its scope.
    let commission = req.extensions().get::<Claims>().is_some_and(|c| c.roles.iter().any(|r| r == "arbitrator"));
    let scope = dualnet_platform::auth::confinement(req.extensions()).filter(|_| !commission);
    let r = req.into_inner();
    let mut f = Fields::new();
    let enterprise = f.id("enterprise_id", &r.enterprise_id);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    // An enterprise on the map, and in the caller's area: a notice about
    // an unknown id, or another area's enterprise, raises nothing.
    let place = api.store.enterprise_place(enterprise).await?;
    if let Some(scope) = scope {
        let ids = dualnet_platform::auth::Scope::uuids;
        if !place.within(&ids(&scope.grids), &ids(&scope.communities), &ids(&scope.subdistricts)) {
            return Err(ApiError::NotFound("enterprise (none such on the map)".into()).into());
        }
    }
    let raised = api.store.report_relocation(enterprise, &note, &chain, api.clock.now()).await?;
    Ok(Response::new(pb::ReportRelocationResponse { raised }))
}
