//! Residents' requests: filing, reading (the resident's contact unmasked
//! only with the personal-data permission and a stated purpose, audited),
//! listing, rating, and the department's steps — accepting, handing over,
//! supervising, merging.

use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_platform::{
    ApiError, Fields,
    actor::{self, Actor},
    auth::{Claims, caller},
    calendar::Calendar,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    permissions::{self, Permission},
    personal_data::{self, Read},
    timestamp::to_proto,
};
use dualnet_proto::complaints::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, catalogue::category_code, reach, referrals::referral};
use crate::{
    domain::complaint::{self},
    store::{ComplaintFilter, ComplaintView, NewComplaint, Rater, Rating},
    wire,
};

/// The public view of a request.
pub(super) fn view(v: ComplaintView, calendar: &Calendar) -> pb::Complaint {
    let c = v.complaint;
    let deadline_provisional = calendar.provisional_deadline(c.filed_at, c.deadline);
    pb::Complaint {
        id: c.id.to_string(),
        kind: wire::kind(c.kind) as i32,
        category: c.category,
        channel: wire::channel(c.channel) as i32,
        building_id: id_text(c.building_id),
        grid_id: id_text(c.grid_id),
        community_id: id_text(c.community_id),
        description: c.description,
        status: wire::status(c.status) as i32,
        incident_id: id_text(c.incident_id),
        correlation_id: c.correlation_id.to_string(),
        reply: c.reply,
        satisfaction: c.satisfaction.map(|s| wire::satisfaction(s) as i32).unwrap_or_default(),
        filed_at: Some(to_proto(c.filed_at)),
        deadline: Some(to_proto(c.deadline)),
        open311_status: complaint::open311(c.status).to_string(),
        workers: c.workers,
        enterprise_id: id_text(c.enterprise_id),
        address: c.address,
        latitude: c.location.map(|l| l.0),
        longitude: c.location.map(|l| l.1),
        located_by: c.located_by.as_str().into(),
        department: c.department,
        overdue: c.overdue,
        supervised_by: c.supervised_by.unwrap_or_default(),
        resolution: c.resolution.map(|r| wire::resolution(r) as i32).unwrap_or_default(),
        merged_into: id_text(c.merged_into),
        duplicate_candidates: v.duplicates.iter().map(|d| d.to_string()).collect(),
        reopened: c.reopened,
        referrals: v.referrals.into_iter().map(referral).collect(),
        status_notes: v
            .notes
            .into_iter()
            .map(|n| pb::StatusNote { at: Some(to_proto(n.at)), status: n.status, note: n.note })
            .collect(),
        updated_at: Some(to_proto(c.updated_at)),
        filed_by: c.filed_by.unwrap_or_default(),
        resident: None,
        deadline_provisional,
    }
}

pub(super) fn parse_file(caller: Option<&Claims>, r: pb::FileComplaintRequest) -> Result<NewComplaint, ApiError> {
    let mut f = Fields::new();
    let kind = f.enumeration::<pb::RequestKind>("kind", r.kind).and_then(wire::kind_from);
    let category = category_code(&mut f, "category", &r.category);
    let channel = f.enumeration::<pb::Channel>("channel", r.channel).and_then(wire::channel_from);
    let building_id = f.optional_id("building_id", &r.building_id);
    let address = f.optional_text("address", &r.address, TEXT_MAX).unwrap_or_default();
    let location = f.coordinates(r.latitude, r.longitude);
    let description = f.text("description", &r.description, TEXT_MAX);
    let resident_name = f.optional_text("resident_name", &r.resident_name, NAME_MAX);
    let resident_phone = f.optional_text("resident_phone", &r.resident_phone, 32);
    if resident_phone.as_deref().is_some_and(|p| !personal_data::valid_phone(p)) {
        f.violation("resident_phone", "must be a phone number (digits, '+', '-', spaces)");
    }
    let enterprise_id = f.optional_id("enterprise_id", &r.enterprise_id);
    if !(0..=100_000).contains(&r.workers) {
        f.violation("workers", "must be between 0 and 100000");
    }
    let filed_by = f.optional_text("filed_by", &r.filed_by, NAME_MAX);
    f.finish()?;
    // Filed on the resident's behalf: by the token's subject (the grid
    // worker or party member), or with authentication off by the one named.
    let filed_by = match channel {
        Some(complaint::Channel::OnBehalf) => Some(Actor::of(caller, "filed_by", filed_by)?.recorded()),
        _ => filed_by,
    };
    match (kind, channel) {
        (Some(kind), Some(channel)) => Ok(NewComplaint {
            kind,
            category,
            channel,
            building_id,
            address,
            location,
            description,
            resident_name,
            resident_phone,
            resident_email: None,
            enterprise_id,
            workers: r.workers,
            filed_by,
            filed_with: caller.map(|c| c.sub.clone()),
        }),
        _ => Err(ApiError::field("kind", "must be specified")),
    }
}

pub async fn file_complaint(api: &Api, req: Request<pb::FileComplaintRequest>) -> Answer<pb::Complaint> {
    let chain = Chain::start(correlation::of(&req));
    let caller = caller(req.extensions());
    let new = parse_file(caller.as_ref(), req.into_inner())?;
    let filed = api.store.file(new, &chain, api.clock.now()).await?;
    tracing::info!(complaint_id = %filed.complaint.id, correlation_id = %chain.correlation_id, "complaint filed");
    Ok(Response::new(view(filed, api.store.calendar())))
}

pub async fn get_complaint(api: &Api, req: Request<pb::GetComplaintRequest>) -> Answer<pb::Complaint> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    let purpose = f.optional_text("purpose", &req.get_ref().purpose, TEXT_MAX);
    f.finish()?;
    api.confine(reach(&req).as_ref(), id).await?;
    let mut answer = view(api.store.get(id).await?, api.store.calendar());
    // A department sees the residents of the requests it leads; those it
    // reaches through its area only it sees masked.
    let entitled = personal_data::entitled(req.extensions()).filter(|c| {
        let others = c.roles.iter().filter(|r| *r != "department").cloned().collect::<Vec<_>>();
        permissions::granted(&others, Permission::PersonalData) || c.department == answer.department
    });
    match api.store.resident(id).await? {
        None => {}
        Some(Err(why)) => {
            answer.resident = Some(pb::ResidentContact { masked: true, unreadable: why, ..Default::default() });
        }
        Some(Ok((name, phone))) => {
            let (name, phone) = (name.unwrap_or_default(), phone.unwrap_or_default());
            answer.resident = Some(match (entitled, purpose) {
                (Some(caller), Some(purpose)) => {
                    let fields = [("name", !name.is_empty()), ("phone", !phone.is_empty())];
                    let read = Read::by(caller, id, &fields, purpose, api.clock.now());
                    api.store.record_read(&read).await?;
                    pb::ResidentContact { name, phone, masked: false, unreadable: String::new() }
                }
                _ => pb::ResidentContact {
                    name: personal_data::mask_name(&name),
                    phone: personal_data::mask_phone(&phone),
                    masked: true,
                    unreadable: String::new(),
                },
            });
        }
    }
    Ok(Response::new(answer))
}

pub async fn list_complaints(api: &Api, req: Request<pb::ListComplaintsRequest>) -> Answer<pb::ListComplaintsResponse> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let page = api.pages.page(&mut f, &r);
    let filter = ComplaintFilter {
        building_id: f.optional_id("building_id", &r.building_id),
        status: f.optional_enumeration::<pb::ComplaintStatus>("status", r.status).and_then(wire::status_from),
        department: f.optional_text("department", &r.department, NAME_MAX),
        overdue_only: r.overdue_only,
        category: f.optional_text("category", &r.category, NAME_MAX),
        filed_from: f.timestamp("filed_from", r.filed_from.as_ref()),
        filed_to: f.timestamp("filed_to", r.filed_to.as_ref()),
        limit: page.fetch(),
        after: page.after,
        reach,
        ..Default::default()
    };
    f.finish()?;
    let mut list = api.store.list(&filter).await?;
    let next_page_token = page.next(&mut list, |c| (c.filed_at, c.id));
    let complaints = list
        .into_iter()
        .map(|c| {
            view(
                ComplaintView { complaint: c, referrals: vec![], notes: vec![], duplicates: vec![] },
                api.store.calendar(),
            )
        })
        .collect();
    Ok(Response::new(pb::ListComplaintsResponse { complaints, next_page_token }))
}

pub async fn rate_complaint(api: &Api, req: Request<pb::RateComplaintRequest>) -> Answer<pb::Complaint> {
    let reach = reach(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let satisfaction =
        f.enumeration::<pb::Satisfaction>("satisfaction", r.satisfaction).and_then(wire::satisfaction_from);
    let resolution = match r.resolution {
        0 => None,
        v => f.enumeration::<pb::Resolution>("resolution", v).and_then(wire::resolution_from),
    };
    let comment = f.optional_text("comment", &r.comment, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    // The resident rates, not the staff whose work is rated: a resident
    // channel rates the requests filed with it; a caller that records on
    // another's behalf (a dispatcher taking the rating by phone) rates in
    // its reach, and the record says so.
    let rater = match &caller {
        Some(c) if !permissions::granted(&c.roles, Permission::OnBehalf) => {
            if api.store.filed_with(id).await?.as_deref() != Some(c.sub.as_str()) {
                return Err(ApiError::NotFound("complaint".into()).into());
            }
            Rater::Resident
        }
        Some(c) => {
            api.confine(reach.as_ref(), id).await?;
            Rater::OnBehalf(c.sub.clone())
        }
        None => Rater::Resident,
    };
    let satisfaction = satisfaction.ok_or_else(|| ApiError::field("satisfaction", "must be specified"))?;
    let rating = Rating { satisfaction, resolution, comment: &comment, rater };
    let rated = api.store.rate(id, rating, api.clock.now()).await?;
    Ok(Response::new(view(rated, api.store.calendar())))
}

pub async fn accept_complaint(api: &Api, req: Request<pb::AcceptComplaintRequest>) -> Answer<pb::Complaint> {
    let reach = reach(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let department = f.optional_text("department", &r.department, NAME_MAX);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    let department = actor::department(caller.as_ref(), "department", department)?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    Ok(Response::new(view(api.store.accept(id, &department, &actor, api.clock.now()).await?, api.store.calendar())))
}

pub async fn hand_over_complaint(api: &Api, req: Request<pb::HandOverComplaintRequest>) -> Answer<pb::Complaint> {
    let reach = reach(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let from = f.optional_text("from_department", &r.from_department, NAME_MAX);
    let to = f.text("to_department", &r.to_department, NAME_MAX);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    let from = actor::department(caller.as_ref(), "from_department", from)?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    Ok(Response::new(view(
        api.store.hand_over(id, &from, &to, &actor, &note, api.clock.now()).await?,
        api.store.calendar(),
    )))
}

pub async fn supervise_complaint(api: &Api, req: Request<pb::SuperviseComplaintRequest>) -> Answer<pb::Complaint> {
    let reach = reach(&req);
    let caller = caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let supervisor = f.optional_text("supervisor", &r.supervisor, NAME_MAX);
    let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    let supervisor = Actor::of(caller.as_ref(), "supervisor", supervisor)?.recorded();
    Ok(Response::new(view(api.store.supervise(id, &supervisor, &note, api.clock.now()).await?, api.store.calendar())))
}

pub async fn merge_complaint(api: &Api, req: Request<pb::MergeComplaintRequest>) -> Answer<pb::Complaint> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let into = f.id("into_id", &r.into_id);
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    api.confine(reach.as_ref(), into).await?;
    Ok(Response::new(view(api.store.merge(id, into, api.clock.now()).await?, api.store.calendar())))
}
