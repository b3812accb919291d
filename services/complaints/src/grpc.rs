//! The Complaints gRPC API.

use std::sync::Arc;

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields,
    calendar::Calendar,
    clock::Clock,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    timestamp::to_proto,
};
use dualnet_proto::complaints::v1::{self as pb, complaints_server::Complaints};
use tonic::{Request, Response, Status};

use crate::{
    domain::complaint::{self, Complaint},
    store::{ComplaintFilter, NewComplaint, Store},
    wire,
};

pub struct Api {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub calendar: Calendar,
}

type Answer<T> = Result<Response<T>, Status>;

fn text(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// The public view of a complaint: no resident's name or phone.
fn view(c: Complaint) -> pb::Complaint {
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
    }
}

fn parse_file(r: pb::FileComplaintRequest) -> Result<NewComplaint, ApiError> {
    let mut f = Fields::new();
    let kind = f.enumeration::<pb::RequestKind>("kind", r.kind).and_then(wire::kind_from);
    let category = f.text("category", &r.category, 64);
    if !category.is_empty() && !complaint::valid_category(&category) {
        f.violation("category", "must be lowercase letters, digits, '_' and '.', e.g. noise or labour.wage_arrears");
    }
    let channel = f.enumeration::<pb::Channel>("channel", r.channel).and_then(wire::channel_from);
    let building_id = f.optional_id("building_id", &r.building_id);
    let description = f.text("description", &r.description, TEXT_MAX);
    let resident_name = f.optional_text("resident_name", &r.resident_name, NAME_MAX);
    let resident_phone = f.optional_text("resident_phone", &r.resident_phone, 32);
    if resident_phone.as_deref().is_some_and(|p| !complaint::valid_phone(p)) {
        f.violation("resident_phone", "must be a phone number (digits, '+', '-', spaces)");
    }
    let enterprise_id = f.optional_id("enterprise_id", &r.enterprise_id);
    if !(0..=100_000).contains(&r.workers) {
        f.violation("workers", "must be between 0 and 100000");
    }
    f.finish()?;
    match (kind, channel) {
        (Some(kind), Some(channel)) => Ok(NewComplaint {
            kind,
            category,
            channel,
            building_id,
            description,
            resident_name,
            resident_phone,
            enterprise_id,
            workers: r.workers,
        }),
        _ => Err(ApiError::field("kind", "must be specified")),
    }
}

#[tonic::async_trait]
impl Complaints for Api {
    async fn file_complaint(&self, req: Request<pb::FileComplaintRequest>) -> Answer<pb::Complaint> {
        let chain = Chain::start(correlation::of(&req));
        let new = parse_file(req.into_inner())?;
        let now = self.clock.now();
        let deadline = complaint::deadline(new.kind, now, &self.calendar);
        let filed = self.store.file(new, &chain, now, deadline).await?;
        tracing::info!(complaint_id = %filed.id, correlation_id = %filed.correlation_id, "complaint filed");
        Ok(Response::new(view(filed)))
    }

    async fn get_complaint(&self, req: Request<pb::GetComplaintRequest>) -> Answer<pb::Complaint> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        f.finish()?;
        Ok(Response::new(view(self.store.get(id).await?)))
    }

    async fn list_complaints(&self, req: Request<pb::ListComplaintsRequest>) -> Answer<pb::ListComplaintsResponse> {
        let r = req.into_inner();
        let mut f = Fields::new();
        let status = if r.status == 0 {
            None
        } else {
            f.enumeration::<pb::ComplaintStatus>("status", r.status).and_then(wire::status_from)
        };
        let filter = ComplaintFilter {
            building_id: f.optional_id("building_id", &r.building_id),
            status,
            limit: f.page_size("page_size", r.page_size, 100, 1000),
        };
        f.finish()?;
        let list = self.store.list(&filter).await?;
        Ok(Response::new(pb::ListComplaintsResponse { complaints: list.into_iter().map(view).collect() }))
    }

    async fn rate_complaint(&self, req: Request<pb::RateComplaintRequest>) -> Answer<pb::Complaint> {
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let satisfaction =
            f.enumeration::<pb::Satisfaction>("satisfaction", r.satisfaction).and_then(wire::satisfaction_from);
        let comment = f.optional_text("comment", &r.comment, TEXT_MAX).unwrap_or_default();
        f.finish()?;
        let satisfaction = satisfaction.ok_or_else(|| ApiError::field("satisfaction", "must be specified"))?;
        Ok(Response::new(view(self.store.rate(id, satisfaction, &comment, self.clock.now()).await?)))
    }
}
