//! Cases: applying, reading, listing, the steps of the procedure, the award
//! period's extension, the representatives; and a case as the API answers
//! it: its clocks and deadlines as the statute
//! counts them, its claims with their finality (Art. 47) and limitation
//! (Art. 27), its claimants masked unless the read is audited.

use dualnet_events::Chain;
use dualnet_platform::fields::id_text;
use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::Claims,
    calendar::{china_date, last_day},
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
    personal_data::{self, Read},
    timestamp::to_proto,
};
use dualnet_proto::arbitration::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, application, reach};
use crate::{
    domain::{
        award,
        case::{Action, Claimant},
        clocks::{self, AWARD_EXTENSION_MAX_DAYS, Deadline, Kind},
        limitation::Limitation,
        procedure::{SHORTENED_DEFENCE_MAX_DAYS, SimpleGround},
    },
    store::{CaseFilter, CaseView, Step},
    wire,
};

pub(super) fn deadline(d: &Deadline) -> pb::Deadline {
    pb::Deadline {
        case_id: d.case_id.to_string(),
        kind: wire::deadline_kind(d.kind) as i32,
        due_at: Some(to_proto(d.due_at)),
        state: wire::deadline_state(d.state) as i32,
        consequence: d.kind.consequence().into(),
        arbitrator: d.arbitrator.clone().unwrap_or_default(),
    }
}

/// A claimant as answered: unmasked only where the read is audited.
fn claimant(p: &Claimant, unmasked: bool) -> pb::Claimant {
    let (phone, id_number) = (p.phone.clone().unwrap_or_default(), p.id_number.clone().unwrap_or_default());
    if let Some(why) = &p.unreadable {
        return pb::Claimant {
            representative: p.representative,
            masked: true,
            unreadable: why.clone(),
            ..Default::default()
        };
    }
    if unmasked {
        return pb::Claimant {
            name: p.name.clone(),
            representative: p.representative,
            phone,
            id_number,
            masked: false,
            unreadable: String::new(),
        };
    }
    pb::Claimant {
        name: personal_data::mask_name(&p.name),
        representative: p.representative,
        phone: personal_data::mask_phone(&phone),
        id_number: personal_data::mask_id_number(&id_number),
        masked: true,
        unreadable: String::new(),
    }
}

impl Api {
    /// The case with its claimants masked.
    pub(super) fn view(&self, v: CaseView) -> pb::Case {
        self.view_as(v, false)
    }

    pub(super) fn view_as(&self, v: CaseView, unmasked: bool) -> pb::Case {
        let c = v.case;
        // A deadline standing still has no end while it does.
        let due_at =
            |k: Kind| v.deadlines.iter().find(|d| d.kind == k && d.state != clocks::State::Paused).map(|d| d.due_at);
        let due = |k: Kind| due_at(k).map(to_proto);
        let due_on = |k: Kind| due_at(k).map(|t| last_day(t).to_string()).unwrap_or_default();
        let calendar = self.store.calendar();
        let from = china_date(c.applied_at.unwrap_or(c.opened_at));
        // A period still running, counted past the years the calendar holds.
        let provisional = v
            .deadlines
            .iter()
            .any(|d| d.state == clocks::State::Pending && calendar.provisional(from, last_day(d.due_at)));
        let clocks = pb::Clocks {
            mediation_period_ends: due(Kind::MediationOver),
            limitation_expires: match v.limitation {
                Some(Limitation::Expires(d)) => d.to_string(),
                _ => String::new(),
            },
            time_barred: v.time_barred,
            acceptance_due: due(Kind::Acceptance),
            service_due: due(Kind::Service),
            defence_due: due(Kind::Defence),
            tribunal_notice_due: due(Kind::TribunalNotice),
            hearing_at: c.hearing_at.map(to_proto),
            award_due: due(Kind::Award),
            award_extension_days: i32::try_from(c.award_extension_days).unwrap_or(0),
            mediation_period_ends_on: due_on(Kind::MediationOver),
            acceptance_due_on: due_on(Kind::Acceptance),
            service_due_on: due_on(Kind::Service),
            defence_due_on: due_on(Kind::Defence),
            tribunal_notice_due_on: due_on(Kind::TribunalNotice),
            award_due_on: due_on(Kind::Award),
            provisional,
            award_paused: c.award_clock.paused.is_some(),
            award_days_not_counted: i32::try_from(c.award_clock.paused_days).unwrap_or(i32::MAX),
        };
        // Art. 47 is judged at the figure in force on the day of the award;
        // before it, on today's, provisionally.
        let judged_on = china_date(c.awarded_at.unwrap_or_else(|| self.clock.now()));
        let wage_fen = self.minimum_wage.on(judged_on);
        let claims = c
            .claims
            .iter()
            .map(|k| pb::Claim {
                kind: wire::claim_kind(k.kind) as i32,
                amount_fen: k.amount_fen,
                description: k.description.clone(),
                final_award: award::is_final(k, wage_fen),
                limitation_expires: k.limitation_expires.map(|d| d.to_string()).unwrap_or_default(),
                time_barred: k.time_barred,
                awarded_fen: k.awarded_fen,
            })
            .collect();
        pb::Case {
            id: c.id.to_string(),
            complaint_id: id_text(c.complaint_id),
            enterprise_id: id_text(c.enterprise_id),
            category: c.category.clone(),
            claimants: c.claimant_count,
            status: wire::status(c.status) as i32,
            collective: c.collective(),
            priority: c.collective(),
            correlation_id: c.correlation_id.to_string(),
            applied_at: c.applied_at.map(to_proto),
            acceptance_due: clocks.acceptance_due,
            respondent: c.respondent.clone(),
            claimant_list: c.claimants.iter().map(|p| claimant(p, unmasked)).collect(),
            representatives: v.representatives,
            final_award: award::all_final(&c.claims, wage_fen),
            minimum_wage_fen: wage_fen,
            minimum_wage_on: judged_on.to_string(),
            final_award_provisional: c.awarded_at.is_none(),
            track: wire::track(c.track) as i32,
            claims,
            facts: c.facts.clone(),
            arbitrator: c.arbitrator.clone().unwrap_or_default(),
            clocks: Some(clocks),
        }
    }
}

pub async fn apply_case(api: &Api, req: Request<pb::ApplyCaseRequest>) -> Answer<pb::Case> {
    let chain = Chain::start(correlation::of(&req));
    let reach = reach(&req);
    // A representative who applies sees the case afterwards.
    let me = reach.as_ref().and_then(|r| r.representative.clone());
    let app = application::parse(req.into_inner(), me)?;
    if let Some(draft) = app.draft_id {
        api.confine(reach.as_ref(), draft).await?;
    }
    let view = api.store.apply(app, &chain, api.clock.now()).await?;
    Ok(Response::new(api.view(view)))
}

pub async fn get_case(api: &Api, req: Request<pb::GetCaseRequest>) -> Answer<pb::Case> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    let purpose = f.optional_text("purpose", &req.get_ref().purpose, TEXT_MAX);
    f.finish()?;
    api.confine(reach(&req).as_ref(), id).await?;
    let case = api.store.get(id).await?;
    let Some((caller, purpose)) = personal_data::entitled(req.extensions()).zip(purpose) else {
        return Ok(Response::new(api.view(case)));
    };
    let claimants = &case.case.claimants;
    let fields = [
        ("name", claimants.iter().any(|c| !c.name.is_empty())),
        ("phone", claimants.iter().any(|c| c.phone.is_some())),
        ("id_number", claimants.iter().any(|c| c.id_number.is_some())),
    ];
    let read = Read::by(caller, id, &fields, purpose, api.clock.now());
    if !read.fields.is_empty() {
        api.store.record_read(&read).await?;
    }
    Ok(Response::new(api.view_as(case, true)))
}

pub async fn set_representatives(api: &Api, req: Request<pb::SetRepresentativesRequest>) -> Answer<pb::Case> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("case_id", &r.case_id);
    let add = application::representatives(&mut f, "add", &r.add);
    let remove = application::representatives(&mut f, "remove", &r.remove);
    if add.is_empty() && remove.is_empty() {
        f.violation("add", "name representatives to add or to remove");
    }
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    api.store.set_representatives(id, &add, &remove).await?;
    Ok(Response::new(api.view(api.store.get(id).await?)))
}

pub async fn list_cases(api: &Api, req: Request<pb::ListCasesRequest>) -> Answer<pb::ListCasesResponse> {
    let reach = reach(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let page = api.pages.page(&mut f, &r);
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
    let mut cases = api.store.list(&filter).await?;
    let next_page_token = page.next(&mut cases, |c| (c.case.opened_at, c.case.id));
    Ok(Response::new(pb::ListCasesResponse {
        cases: cases.into_iter().map(|c| api.view(c)).collect(),
        next_page_token,
    }))
}

pub async fn transition_case(api: &Api, req: Request<pb::TransitionCaseRequest>) -> Answer<pb::Case> {
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
    if !r.awarded_fen.is_empty() && action != Some(Action::Award) {
        f.violation("awarded_fen", "only an award states amounts awarded");
    }
    if late_reason.is_some() && !commission {
        f.violation("late_reason", "only the commission grants a late postponement");
    }
    let (simple_ground, defence_days) = procedure_fields(&mut f, &r, action);
    f.finish()?;
    let action = action.ok_or_else(|| ApiError::field("action", "must be specified"))?;
    api.confine(reach.as_ref(), id).await?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    if action == Action::Suspend && !director {
        return Err(ApiError::PermissionDenied(
            "suspending a case needs the commission director's approval (role commission_director; \
             2017 Arbitration Rules Art. 47)"
                .into(),
        )
        .into());
    }
    // Rules Arts 56, 61: the commission decides how a case is heard.
    if matches!(action, Action::HandleSimply | Action::ConvertToOrdinary) && !commission {
        return Err(ApiError::PermissionDenied(
            "the commission decides how a case is heard (role arbitrator; 2017 Arbitration Rules Arts 56, 61)".into(),
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
        awarded: &r.awarded_fen,
        simple_ground,
        defence_days,
    };
    let view = api.store.transition(id, step, api.clock.now()).await?;
    Ok(Response::new(api.view(view)))
}

pub async fn extend_award_period(api: &Api, req: Request<pb::ExtendAwardPeriodRequest>) -> Answer<pb::Case> {
    let reach = reach(&req);
    let caller = dualnet_platform::auth::caller(req.extensions());
    let r = req.into_inner();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let days = f.count("days", r.days, 1, AWARD_EXTENSION_MAX_DAYS);
    let actor = f.optional_text("actor", &r.actor, NAME_MAX);
    let reason = f.text("reason", &r.reason, TEXT_MAX);
    f.finish()?;
    api.confine(reach.as_ref(), id).await?;
    let actor = Actor::of(caller.as_ref(), "actor", actor)?.recorded();
    let view = api.store.extend_award(id, days, &actor, &reason, api.clock.now()).await?;
    Ok(Response::new(api.view(view)))
}

/// The simple procedure's fields: `simple_ground` for HANDLE_SIMPLY (Rules
/// Art. 56); `defence_days` (0 to 9) and `respondent_consented` for
/// SHORTEN_DEFENCE (Art. 58); neither on any other step.
fn procedure_fields(
    f: &mut Fields,
    r: &pb::TransitionCaseRequest,
    action: Option<Action>,
) -> (Option<SimpleGround>, Option<u32>) {
    let ground =
        f.optional_enumeration::<pb::SimpleGround>("simple_ground", r.simple_ground).and_then(wire::simple_ground_from);
    match (ground.is_some(), action) {
        (false, Some(Action::HandleSimply)) => f.violation("simple_ground", "state the ground of Rules Art. 56"),
        (true, a) if a != Some(Action::HandleSimply) => f.violation("simple_ground", "only for HANDLE_SIMPLY"),
        _ => {}
    }
    let shorten = action == Some(Action::ShortenDefence);
    let days = match r.defence_days {
        None if shorten => {
            f.violation("defence_days", "give the defence period agreed: 0 (waived) to 9 working days");
            None
        }
        Some(_) if !shorten => {
            f.violation("defence_days", "only for SHORTEN_DEFENCE");
            None
        }
        Some(d) => Some(f.count("defence_days", d, 0, SHORTENED_DEFENCE_MAX_DAYS)),
        None => None,
    };
    if shorten && !r.respondent_consented {
        f.violation(
            "respondent_consented",
            "the defence period is shortened only with the respondent's consent (Rules Art. 58)",
        );
    } else if r.respondent_consented && !shorten {
        f.violation("respondent_consented", "only for SHORTEN_DEFENCE");
    }
    (ground, days)
}
