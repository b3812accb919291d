//! Referrals to legal aid, mediation and arbitration, and their outcomes.

use dualnet_platform::{ApiError, Fields, fields::TEXT_MAX, timestamp::to_proto};
use dualnet_proto::complaints::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, reach};
use crate::{domain::referral::Referral, wire};

pub(super) fn referral(r: Referral) -> pb::Referral {
    let (outcome, outcome_note, concluded_at) = match r.outcome {
        Some((o, n, at)) => (wire::referral_outcome(o) as i32, n, Some(to_proto(at))),
        None => (0, String::new(), None),
    };
    pb::Referral {
        id: r.id.to_string(),
        complaint_id: r.complaint_id.to_string(),
        kind: wire::referral_kind(r.kind) as i32,
        note: r.note,
        referred_at: Some(to_proto(r.referred_at)),
        outcome,
        outcome_note,
        concluded_at,
    }
}

pub async fn refer_complaint(api: &Api, req: Request<pb::ReferComplaintRequest>) -> Answer<pb::Referral> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let kind = f.enumeration::<pb::ReferralKind>("kind", r.kind).and_then(wire::referral_kind_from);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    let kind = kind.ok_or_else(|| ApiError::field("kind", "must be specified"))?;
    Ok(Response::new(referral(api.store.refer(id, kind, &note, api.clock.now()).await?)))
}

pub async fn record_referral_outcome(
    api: &Api,
    req: Request<pb::RecordReferralOutcomeRequest>,
) -> Answer<pb::Referral> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("referral_id", &r.referral_id);
    let outcome = f.enumeration::<pb::ReferralOutcome>("outcome", r.outcome).and_then(wire::referral_outcome_from);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    if let Some(reach) = &reach
        && !api.store.referral_in_reach(id, reach).await?
    {
        return Err(ApiError::NotFound("referral".into()).into());
    }
    let outcome = outcome.ok_or_else(|| ApiError::field("outcome", "must be specified"))?;
    Ok(Response::new(referral(api.store.conclude_referral(id, outcome, &note, api.clock.now()).await?)))
}
