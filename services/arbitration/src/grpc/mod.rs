//! The Arbitration gRPC API: requests parsed into domain values at the edge,
//! answers built from domain values. A case is seen only by the commission
//! (role `arbitrator`) and the parties' representatives it names; to anyone
//! else it does not exist. Claimants' personal data is answered unmasked
//! only by `GetCase`, to a caller holding the personal-data permission who
//! states a purpose (and the read is audited); masked everywhere else.

use std::sync::Arc;

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::Claims,
    clock::Clock,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    page::PageTokens,
    personal_data::{self, Read, ReadsFilter},
    timestamp::to_proto,
};
use dualnet_proto::arbitration::v1::{self as pb, arbitration_server::Arbitration};
use tonic::{Request, Response, Status};

mod case;

use crate::{
    domain::{
        award::Claim,
        case::{Claimant, LimitationFacts},
        clocks::AWARD_EXTENSION_MAX_DAYS,
        limitation::Suspension,
    },
    store::{Application, CaseFilter, Reach, Step, Store},
    wire,
};
use case::deadline;

pub struct Api {
    pub store: Store,
    pub pages: PageTokens,
    pub clock: Arc<dyn Clock>,
    /// The city's monthly minimum wage by date (Art. 47).
    pub minimum_wage: Arc<dualnet_platform::minimum_wage::MinimumWage>,
}

type Answer<T> = Result<Response<T>, Status>;

/// Most claimants and claims one case may list.
const CLAIMANTS_MAX: usize = 2000;
const CLAIMS_MAX: usize = 50;
/// Most representatives one application may name.
const REPRESENTATIVES_MAX: usize = 50;
/// The largest amount one claim may state, in fen (1 billion yuan).
const AMOUNT_MAX_FEN: i64 = 100_000_000_000;

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
        let chain = Chain::start(correlation::of(&req));
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let draft_id = f.optional_id("draft_id", &r.draft_id);
        let enterprise_id = f.optional_id("enterprise_id", &r.enterprise_id);
        let respondent = f.text("respondent", &r.respondent, NAME_MAX);
        let category = f.optional_text("category", &r.category, NAME_MAX).unwrap_or_else(|| "labour".into());
        let facts = f.text("facts", &r.facts, TEXT_MAX);
        if r.claimants.is_empty() || r.claimants.len() > CLAIMANTS_MAX {
            f.violation("claimants", format!("list between 1 and {CLAIMANTS_MAX} claimants"));
        }
        let claimants: Vec<Claimant> = r
            .claimants
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let phone = f.optional_text(&format!("claimants[{i}].phone"), &c.phone, 32);
                if phone.as_deref().is_some_and(|p| !personal_data::valid_phone(p)) {
                    f.violation(&format!("claimants[{i}].phone"), "must be a phone number (digits, '+', '-', spaces)");
                }
                let id_number =
                    f.optional_text(&format!("claimants[{i}].id_number"), &c.id_number, 18).map(|n| n.to_uppercase());
                if id_number.as_deref().is_some_and(|n| !personal_data::valid_id_number(n)) {
                    f.violation(
                        &format!("claimants[{i}].id_number"),
                        "must be an 18-character identity card number with a valid check character",
                    );
                }
                Claimant {
                    name: f.text(&format!("claimants[{i}].name"), &c.name, NAME_MAX),
                    phone,
                    id_number,
                    representative: c.representative,
                    unreadable: None,
                }
            })
            .collect();
        if r.representatives.len() > REPRESENTATIVES_MAX {
            f.violation("representatives", format!("name at most {REPRESENTATIVES_MAX} representatives"));
        }
        let mut representatives: Vec<String> = r
            .representatives
            .iter()
            .enumerate()
            .map(|(i, sub)| f.text(&format!("representatives[{i}]"), sub, NAME_MAX))
            .collect();
        // A representative who applies sees the case afterwards.
        if let Some(me) = reach.as_ref().and_then(|r| r.representative.clone()) {
            representatives.push(me);
        }
        if r.claims.is_empty() || r.claims.len() > CLAIMS_MAX {
            f.violation("claims", format!("state between 1 and {CLAIMS_MAX} claims"));
        }
        let mut claims = Vec::new();
        for (i, c) in r.claims.iter().enumerate() {
            let kind =
                f.enumeration::<pb::ClaimKind>(&format!("claims[{i}].kind"), c.kind).and_then(wire::claim_kind_from);
            if !(0..=AMOUNT_MAX_FEN).contains(&c.amount_fen) {
                f.violation(&format!("claims[{i}].amount_fen"), format!("must be between 0 and {AMOUNT_MAX_FEN}"));
            }
            let description =
                f.optional_text(&format!("claims[{i}].description"), &c.description, TEXT_MAX).unwrap_or_default();
            if let Some(kind) = kind {
                claims.push(Claim {
                    kind,
                    amount_fen: c.amount_fen,
                    description,
                    limitation_expires: None,
                    time_barred: false,
                });
            }
        }
        let right_known_on = f.optional_date("right_known_on", &r.right_known_on);
        if right_known_on.is_none() && r.right_known_on.trim().is_empty() {
            f.violation("right_known_on", "give the day the right was known to be infringed (LDMAL Art. 27)");
        }
        let employment_ended_on = f.optional_date("employment_ended_on", &r.employment_ended_on);
        let interruptions: Vec<_> = r
            .interruptions
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let field = format!("interruptions[{i}]");
                if d.trim().is_empty() {
                    f.violation(&field, "must be a date, YYYY-MM-DD");
                }
                f.optional_date(&field, d)
            })
            .collect();
        let mut suspensions = Vec::new();
        for (i, s) in r.suspensions.iter().enumerate() {
            let from = f.optional_date(&format!("suspensions[{i}].from"), &s.from);
            let to = f.optional_date(&format!("suspensions[{i}].to"), &s.to);
            match (from, to) {
                (Some(from), Some(to)) if from <= to => suspensions.push(Suspension { from, to }),
                (Some(_), Some(_)) => f.violation(&format!("suspensions[{i}].to"), "must not be before from"),
                _ => f.violation(&format!("suspensions[{i}]"), "give both days"),
            }
        }
        let mediation_started_on = f.optional_date("mediation_started_on", &r.mediation_started_on);
        if r.workers < 0 || r.workers > 100_000 {
            f.violation("workers", "must be between 0 and 100000");
        }
        f.finish()?;
        if let Some(draft) = draft_id {
            self.confine(reach.as_ref(), draft).await?;
        }
        let app = Application {
            draft_id,
            enterprise_id,
            respondent,
            category,
            workers: r.workers,
            claimants,
            claims,
            facts,
            limitation: LimitationFacts { right_known_on, employment_ended_on, interruptions, suspensions },
            mediation_started_on,
            representatives,
        };
        let view = self.store.apply(app, &chain, self.clock.now()).await?;
        Ok(Response::new(self.view(view)))
    }

    async fn get_case(&self, req: Request<pb::GetCaseRequest>) -> Answer<pb::Case> {
        let mut f = Fields::new();
        let id = f.id("id", &req.get_ref().id);
        let purpose = f.optional_text("purpose", &req.get_ref().purpose, TEXT_MAX);
        f.finish()?;
        self.confine(reach(&req).as_ref(), id).await?;
        let case = self.store.get(id).await?;
        let Some((caller, purpose)) = personal_data::entitled(req.extensions()).zip(purpose) else {
            return Ok(Response::new(self.view(case)));
        };
        let claimants = &case.case.claimants;
        let fields = [
            ("name", claimants.iter().any(|c| !c.name.is_empty())),
            ("phone", claimants.iter().any(|c| c.phone.is_some())),
            ("id_number", claimants.iter().any(|c| c.id_number.is_some())),
        ];
        let read = Read::by(caller, id, &fields, purpose, self.clock.now());
        if !read.fields.is_empty() {
            self.store.record_read(&read).await?;
        }
        Ok(Response::new(self.view_as(case, true)))
    }

    async fn set_representatives(&self, req: Request<pb::SetRepresentativesRequest>) -> Answer<pb::Case> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("case_id", &r.case_id);
        let mut subjects = |field: &str, list: &[String]| -> Vec<String> {
            if list.len() > REPRESENTATIVES_MAX {
                f.violation(field, format!("name at most {REPRESENTATIVES_MAX} representatives"));
            }
            list.iter().enumerate().map(|(i, sub)| f.text(&format!("{field}[{i}]"), sub, NAME_MAX)).collect()
        };
        let (add, remove) = (subjects("add", &r.add), subjects("remove", &r.remove));
        if add.is_empty() && remove.is_empty() {
            f.violation("add", "name representatives to add or to remove");
        }
        f.finish()?;
        self.confine(reach.as_ref(), id).await?;
        self.store.set_representatives(id, &add, &remove).await?;
        Ok(Response::new(self.view(self.store.get(id).await?)))
    }

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Answer<pb::ListPersonalDataReadsResponse> {
        let r = req.into_inner();
        let filters = pb::ListPersonalDataReadsRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let (filter, page) =
            ReadsFilter::parse(&self.pages, &filters, "case_id", &r.case_id, &r.reader, r.page_size, &r.page_token)?;
        let mut reads = self.store.reads(&filter).await?;
        let next_page_token = page.next(&mut reads, |r| r.0);
        Ok(Response::new(pb::ListPersonalDataReadsResponse {
            reads: reads
                .into_iter()
                .map(|(_, r)| pb::PersonalDataRead {
                    at: Some(to_proto(r.at)),
                    reader: r.reader,
                    department: r.department,
                    case_id: r.record_id.to_string(),
                    fields: r.fields,
                    purpose: r.purpose,
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn list_cases(&self, req: Request<pb::ListCasesRequest>) -> Answer<pb::ListCasesResponse> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let filters = pb::ListCasesRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let page = self.pages.page(&mut f, "cases", &filters, r.page_size, &r.page_token);
        let filter = CaseFilter {
            enterprise_id: f.optional_id("enterprise_id", &r.enterprise_id),
            complaint_id: f.optional_id("complaint_id", &r.complaint_id),
            arbitrator: f.optional_text("arbitrator", &r.arbitrator, NAME_MAX),
            status: f.optional_enumeration::<pb::CaseStatus>("status", r.status).and_then(wire::status_from),
            opened_from: f.timestamp("opened_from", r.opened_from.as_ref()),
            opened_to: f.timestamp("opened_to", r.opened_to.as_ref()),
            limit: page.fetch(),
            after: page.after,
            reach,
        };
        f.finish()?;
        let mut cases = self.store.list(&filter).await?;
        let next_page_token = page.next(&mut cases, |c| (c.case.opened_at, c.case.id));
        Ok(Response::new(pb::ListCasesResponse {
            cases: cases.into_iter().map(|c| self.view(c)).collect(),
            next_page_token,
        }))
    }

    async fn transition_case(&self, req: Request<pb::TransitionCaseRequest>) -> Answer<pb::Case> {
        let reach = reach(&req);
        // The commission itself (or a deployment without authentication).
        let commission = req
            .extensions()
            .get::<Claims>()
            .is_none_or(|c| c.roles.iter().any(|r| r == "arbitrator" || r == "commission_director" || r == "admin"));
        // Rules Art. 47: a suspension needs the director's approval.
        let director = req.extensions().get::<Claims>().is_none_or(|c| {
            dualnet_platform::permissions::granted(&c.roles, dualnet_platform::permissions::Permission::Direct)
        });
        let caller = dualnet_platform::auth::caller(req.extensions());
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let action = f.enumeration::<pb::CaseAction>("action", r.action).and_then(wire::requested_action);
        let actor = f.optional_text("actor", &r.actor, NAME_MAX);
        let note = f.optional_text("note", &r.note, TEXT_MAX).unwrap_or_default();
        let arbitrator = f.optional_text("arbitrator", &r.arbitrator, NAME_MAX);
        let hearing_at = f.timestamp("hearing_at", r.hearing_at.as_ref());
        let late_reason = f.optional_text("late_reason", &r.late_reason, TEXT_MAX);
        if late_reason.is_some() && !commission {
            f.violation("late_reason", "only the commission grants a late postponement");
        }
        f.finish()?;
        let action = action.ok_or_else(|| ApiError::field("action", "must be specified"))?;
        self.confine(reach.as_ref(), id).await?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        if action == crate::domain::case::Action::Suspend && !director {
            return Err(ApiError::PermissionDenied(
                "suspending a case needs the commission director's approval (role commission_director; \
                 2017 Arbitration Rules Art. 47)"
                    .into(),
            )
            .into());
        }
        let step = Step {
            action,
            actor: &actor,
            note: &note,
            arbitrator: arbitrator.as_deref(),
            hearing_at,
            late_reason: late_reason.as_deref(),
        };
        let view = self.store.transition(id, step, self.clock.now()).await?;
        Ok(Response::new(self.view(view)))
    }

    async fn extend_award_period(&self, req: Request<pb::ExtendAwardPeriodRequest>) -> Answer<pb::Case> {
        let reach = reach(&req);
        let caller = dualnet_platform::auth::caller(req.extensions());
        let r = req.into_inner();
        let mut f = Fields::new();
        let id = f.id("id", &r.id);
        let days = f.count("days", r.days, 1, AWARD_EXTENSION_MAX_DAYS);
        let actor = f.optional_text("actor", &r.actor, NAME_MAX);
        let reason = f.text("reason", &r.reason, TEXT_MAX);
        f.finish()?;
        self.confine(reach.as_ref(), id).await?;
        let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
        let view = self.store.extend_award(id, days, &actor, &reason, self.clock.now()).await?;
        Ok(Response::new(self.view(view)))
    }

    async fn list_deadlines(&self, req: Request<pb::ListDeadlinesRequest>) -> Answer<pb::ListDeadlinesResponse> {
        let reach = reach(&req);
        let r = req.into_inner();
        let mut f = Fields::new();
        let case_id = f.optional_id("case_id", &r.case_id);
        let arbitrator = f.optional_text("arbitrator", &r.arbitrator, NAME_MAX);
        if case_id.is_some() == arbitrator.is_some() {
            f.violation("case_id", "give exactly one of case_id and arbitrator");
        }
        let filters = pb::ListDeadlinesRequest { page_size: 0, page_token: String::new(), ..r.clone() };
        let page = self.pages.page(&mut f, "deadlines", &filters, r.page_size, &r.page_token);
        f.finish()?;
        let (list, next_page_token) = match (case_id, arbitrator) {
            (Some(id), _) => {
                self.confine(reach.as_ref(), id).await?;
                (self.store.deadlines_of_case(id).await?, String::new())
            }
            (None, Some(a)) => {
                let mut list =
                    self.store.deadlines_of_arbitrator(&a, reach.as_ref(), page.fetch(), page.after.as_ref()).await?;
                let next = page.next(&mut list, |d| {
                    (d.state == crate::domain::clocks::State::Pending, d.due_at, d.case_id, d.kind.as_str().to_string())
                });
                (list, next)
            }
            (None, None) => return Err(ApiError::field("case_id", "give exactly one of case_id and arbitrator").into()),
        };
        Ok(Response::new(pb::ListDeadlinesResponse { deadlines: list.iter().map(deadline).collect(), next_page_token }))
    }

    async fn report_relocation(
        &self,
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
        let place = self.store.enterprise_place(enterprise).await?;
        if let Some(scope) = scope {
            let ids = dualnet_platform::auth::Scope::uuids;
            if !place.within(&ids(&scope.grids), &ids(&scope.communities), &ids(&scope.subdistricts)) {
                return Err(ApiError::NotFound("enterprise (none such on the map)".into()).into());
            }
        }
        let raised = self.store.report_relocation(enterprise, &note, &chain, self.clock.now()).await?;
        Ok(Response::new(pb::ReportRelocationResponse { raised }))
    }
}
