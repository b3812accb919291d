//! The Complaints gRPC API: requests parsed into domain values at the edge,
//! answers built from domain values. Only `GetComplaint` carries the
//! resident's contact: unmasked for a caller holding the personal-data
//! permission who states a purpose (and the read is audited), masked for
//! everyone else.

use std::sync::Arc;

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields,
    actor::{self, Actor},
    auth::{Claims, caller},
    clock::Clock,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    page::PageTokens,
    permissions::{self, Permission},
    personal_data::{self, Read, ReadsFilter},
    timestamp::to_proto,
};
use dualnet_proto::complaints::v1::{self as pb, complaints_server::Complaints};
use tonic::{Request, Response, Status};

use crate::{
    domain::{
        catalogue::Category,
        complaint::{self, CategoryDeadline},
        referral::Referral,
    },
    store::{ComplaintFilter, ComplaintView, NewComplaint, Rater, Rating, Reach, Store},
    wire,
};

pub struct Api {
    pub store: Store,
    pub pages: PageTokens,
    pub clock: Arc<dyn Clock>,
}

type Answer<T> = Result<Response<T>, Status>;

fn text(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

pub fn referral(r: Referral) -> pb::Referral {
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

/// The public view of a request.
pub fn view(v: ComplaintView) -> pb::Complaint {
    let c = v.complaint;
    pb::Complaint {
        id: c.id.to_string(),
        kind: wire::kind(c.kind) as i32,
        category: c.category,
        channel: wire::channel(c.channel) as i32,
        building_id: text(c.building_id),
        grid_id: text(c.grid_id),
        community_id: text(c.community_id),
        description: c.description,
        status: wire::status(c.status) as i32,
        incident_id: text(c.incident_id),
        correlation_id: c.correlation_id.to_string(),
        reply: c.reply,
        satisfaction: c.satisfaction.map(|s| wire::satisfaction(s) as i32).unwrap_or_default(),
        filed_at: Some(to_proto(c.filed_at)),
        deadline: Some(to_proto(c.deadline)),
        open311_status: complaint::open311(c.status).to_string(),
        workers: c.workers,
        enterprise_id: text(c.enterprise_id),
        address: c.address,
        latitude: c.location.map(|l| l.0),
        longitude: c.location.map(|l| l.1),
        located_by: c.located_by.as_str().into(),
        department: c.department,
        overdue: c.overdue,
        supervised_by: c.supervised_by.unwrap_or_default(),
        resolution: c.resolution.map(|r| wire::resolution(r) as i32).unwrap_or_default(),
        merged_into: text(c.merged_into),
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
    }
}

fn category_code(f: &mut Fields, field: &str, value: &str) -> String {
    let code = f.text(field, value, 64);
    if !code.is_empty() && !complaint::valid_category(&code) {
        f.violation(field, "must be lowercase letters, digits, '_' and '.', e.g. noise or labour.wage_arrears");
    }
    code
}

fn parse_file(caller: Option<&Claims>, r: pb::FileComplaintRequest) -> Result<NewComplaint, ApiError> {
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

fn category(c: Category) -> pb::Category {
    let (unit, n) = match c.deadline {
        Some(CategoryDeadline::WorkingDays(n)) => (pb::DeadlineUnit::WorkingDays, n),
        Some(CategoryDeadline::Hours(n)) => (pb::DeadlineUnit::Hours, n),
        None => (pb::DeadlineUnit::Unspecified, 0),
    };
    pb::Category {
        code: c.code,
        name: c.name,
        description: c.description,
        deadline_unit: unit as i32,
        deadline: i32::try_from(n).unwrap_or(i32::MAX),
        group: c.group,
        active: c.active,
    }
}

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
        let chain = Chain::start(correlation::of(&req));
        let caller = caller(req.extensions());
        let new = parse_file(caller.as_ref(), req.into_inner())?;
        let filed = self.store.file(new, &chain, self.clock.now()).await?;
        tracing::info!(complaint_id = %filed.complaint.id, correlation_id = %chain.correlation_id, "complaint filed");
        Ok(Response::new(view(filed)))
    }

    async fn get_complaint(&self, req: Request<pb::GetComplaintRequest>) -> Answer<pb::Complaint> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        let purpose = f.optional_text("purpose", &req.get_ref().purpose, TEXT_MAX);
        f.finish()?;
        self.confine(reach(&req).as_ref(), id).await?;
        let mut answer = view(self.store.get(id).await?);
        // A department sees the residents of the requests it leads; those it
        // reaches through its area only it sees masked.
        let entitled = personal_data::entitled(req.extensions()).filter(|c| {
            let others = c.roles.iter().filter(|r| *r != "department").cloned().collect::<Vec<_>>();
            permissions::granted(&others, Permission::PersonalData) || c.department == answer.department
        });
        match self.store.resident(id).await? {
            None => {}
            Some(Err(why)) => {
                answer.resident = Some(pb::ResidentContact { masked: true, unreadable: why, ..Default::default() });
            }
            Some(Ok((name, phone))) => {
                let (name, phone) = (name.unwrap_or_default(), phone.unwrap_or_default());
                answer.resident = Some(match (entitled, purpose) {
                    (Some(caller), Some(purpose)) => {
                        let fields = [("name", !name.is_empty()), ("phone", !phone.is_empty())];
                        let read = Read::by(caller, id, &fields, purpose, self.clock.now());
                        self.store.record_read(&read).await?;
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

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Answer<pb::ListPersonalDataReadsResponse> {
        let r = req.into_inner();
        let filters = pb::ListPersonalDataReadsRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let (filter, page) = ReadsFilter::parse(
            &self.pages,
            &filters,
            "complaint_id",
            &r.complaint_id,
            &r.reader,
            r.page_size,
            &r.page_token,
        )?;
        let mut reads = self.store.reads(&filter).await?;
        let next_page_token = page.next(&mut reads, |r| r.0);
        Ok(Response::new(pb::ListPersonalDataReadsResponse {
            reads: reads
                .into_iter()
                .map(|(_, r)| pb::PersonalDataRead {
                    at: Some(to_proto(r.at)),
                    reader: r.reader,
                    department: r.department,
                    complaint_id: r.record_id.to_string(),
                    fields: r.fields,
                    purpose: r.purpose,
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn list_complaints(&self, req: Request<pb::ListComplaintsRequest>) -> Answer<pb::ListComplaintsResponse> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let page = self.pages.page(
            &mut f,
            "complaints",
            &pb::ListComplaintsRequest { page_size: 0, page_token: String::new(), ..r.clone() },
            r.page_size,
            &r.page_token,
        );
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
        let mut list = self.store.list(&filter).await?;
        let next_page_token = page.next(&mut list, |c| (c.filed_at, c.id));
        let complaints = list
            .into_iter()
            .map(|c| view(ComplaintView { complaint: c, referrals: vec![], notes: vec![], duplicates: vec![] }))
            .collect();
        Ok(Response::new(pb::ListComplaintsResponse { complaints, next_page_token }))
    }

    async fn rate_complaint(&self, req: Request<pb::RateComplaintRequest>) -> Answer<pb::Complaint> {
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
                if self.store.filed_with(id).await?.as_deref() != Some(c.sub.as_str()) {
                    return Err(ApiError::NotFound("complaint".into()).into());
                }
                Rater::Resident
            }
            Some(c) => {
                self.confine(reach.as_ref(), id).await?;
                Rater::OnBehalf(c.sub.clone())
            }
            None => Rater::Resident,
        };
        let satisfaction = satisfaction.ok_or_else(|| ApiError::field("satisfaction", "must be specified"))?;
        let rating = Rating { satisfaction, resolution, comment: &comment, rater };
        let rated = self.store.rate(id, rating, self.clock.now()).await?;
        Ok(Response::new(view(rated)))
    }

    async fn accept_complaint(&self, req: Request<pb::AcceptComplaintRequest>) -> Answer<pb::Complaint> {
        let reach = reach(&req);
        let caller = caller(req.extensions());
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let department = f.optional_text("department", &r.department, NAME_MAX);
        let actor = f.optional_text("actor", &r.actor, NAME_MAX);
        f.finish()?;
        self.confine(reach.as_ref(), id).await?;
        let department = actor::department(caller.as_ref(), "department", department)?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        Ok(Response::new(view(self.store.accept(id, &department, &actor, self.clock.now()).await?)))
    }

    async fn hand_over_complaint(&self, req: Request<pb::HandOverComplaintRequest>) -> Answer<pb::Complaint> {
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
        self.confine(reach.as_ref(), id).await?;
        let from = actor::department(caller.as_ref(), "from_department", from)?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        Ok(Response::new(view(self.store.hand_over(id, &from, &to, &actor, &note, self.clock.now()).await?)))
    }

    async fn supervise_complaint(&self, req: Request<pb::SuperviseComplaintRequest>) -> Answer<pb::Complaint> {
        let reach = reach(&req);
        let caller = caller(req.extensions());
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let supervisor = f.optional_text("supervisor", &r.supervisor, NAME_MAX);
        let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        self.confine(reach.as_ref(), id).await?;
        let supervisor = Actor::of(caller.as_ref(), "supervisor", supervisor)?.recorded();
        Ok(Response::new(view(self.store.supervise(id, &supervisor, &note, self.clock.now()).await?)))
    }

    async fn merge_complaint(&self, req: Request<pb::MergeComplaintRequest>) -> Answer<pb::Complaint> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let into = f.id("into_id", &r.into_id);
        f.finish()?;
        self.confine(reach.as_ref(), id).await?;
        self.confine(reach.as_ref(), into).await?;
        Ok(Response::new(view(self.store.merge(id, into, self.clock.now()).await?)))
    }

    async fn refer_complaint(&self, req: Request<pb::ReferComplaintRequest>) -> Answer<pb::Referral> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let kind = f.enumeration::<pb::ReferralKind>("kind", r.kind).and_then(wire::referral_kind_from);
        let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        self.confine(reach.as_ref(), id).await?;
        let kind = kind.ok_or_else(|| ApiError::field("kind", "must be specified"))?;
        Ok(Response::new(referral(self.store.refer(id, kind, &note, self.clock.now()).await?)))
    }

    async fn record_referral_outcome(&self, req: Request<pb::RecordReferralOutcomeRequest>) -> Answer<pb::Referral> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("referral_id", &r.referral_id);
        let outcome = f.enumeration::<pb::ReferralOutcome>("outcome", r.outcome).and_then(wire::referral_outcome_from);
        let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        if let Some(reach) = &reach
            && !self.store.referral_in_reach(id, reach).await?
        {
            return Err(ApiError::NotFound("referral".into()).into());
        }
        let outcome = outcome.ok_or_else(|| ApiError::field("outcome", "must be specified"))?;
        Ok(Response::new(referral(self.store.conclude_referral(id, outcome, &note, self.clock.now()).await?)))
    }

    async fn set_category(&self, req: Request<pb::Category>) -> Answer<pb::Category> {
        let r = req.into_inner();
        let mut f = Fields::new();
        let code = category_code(&mut f, "code", &r.code);
        let name = f.text("name", &r.name, NAME_MAX);
        let description = f.optional_text("description", &r.description, TEXT_MAX).unwrap_or_default();
        let group = f.optional_text("group", &r.group, NAME_MAX).unwrap_or_default();
        let deadline = match pb::DeadlineUnit::try_from(r.deadline_unit) {
            Ok(pb::DeadlineUnit::Unspecified) => None,
            Ok(unit) => {
                let n = f.count("deadline", r.deadline, 1, 8784);
                Some(if unit == pb::DeadlineUnit::Hours {
                    CategoryDeadline::Hours(n)
                } else {
                    CategoryDeadline::WorkingDays(n)
                })
            }
            Err(_) => {
                f.violation("deadline_unit", format!("unknown value {}", r.deadline_unit));
                None
            }
        };
        f.finish()?;
        let c = Category { code, name, description, deadline, group, active: r.active };
        Ok(Response::new(category(self.store.set_category(&c).await?)))
    }

    async fn list_categories(&self, _: Request<pb::ListCategoriesRequest>) -> Answer<pb::ListCategoriesResponse> {
        let list = self.store.categories(false).await?;
        Ok(Response::new(pb::ListCategoriesResponse { categories: list.into_iter().map(category).collect() }))
    }

    async fn set_route(&self, req: Request<pb::Route>) -> Answer<pb::Route> {
        let r = req.into_inner();
        let mut f = Fields::new();
        let category =
            if r.category.trim() == "*" { "*".to_string() } else { category_code(&mut f, "category", &r.category) };
        let community = f.optional_id("community_id", &r.community_id);
        let department = f.text("department", &r.department, NAME_MAX);
        f.finish()?;
        self.store.set_route(&category, community, &department).await?;
        Ok(Response::new(pb::Route { category, community_id: text(community), department }))
    }

    async fn list_routes(&self, _: Request<pb::ListRoutesRequest>) -> Answer<pb::ListRoutesResponse> {
        let routes = self
            .store
            .routes()
            .await?
            .into_iter()
            .map(|(category, community, department)| pb::Route { category, community_id: text(community), department })
            .collect();
        Ok(Response::new(pb::ListRoutesResponse { routes }))
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
