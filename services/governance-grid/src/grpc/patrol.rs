//! Community security committees (治保会) and their patrols: committees,
//! members (masked unless entitled, with a stated purpose, audited), plans,
//! runs, weekly coverage, the audit log of unmasked reads.

use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::Claims,
    fields::{NAME_MAX, TEXT_MAX},
    personal_data::{self, ReadsFilter, valid_phone},
    timestamp::to_proto,
};
use dualnet_proto::governance::v1 as pb;
use tonic::{Request, Response};
use uuid::Uuid;

use super::{Answer, Api, area, chain};
use crate::{
    domain::patrol::{CheckIn, Committee, Finding, Found, Plan, Run},
    store::{NewPlan, PatrolMember, Place},
};

/// The most buildings on one route, members on one team, entries in a run.
const LIST_MAX: usize = 500;

fn committee(c: Committee) -> pb::SecurityCommittee {
    pb::SecurityCommittee {
        id: c.id.to_string(),
        community_id: c.community_id.to_string(),
        name: c.name,
        members: i32::try_from(c.members).unwrap_or(i32::MAX),
    }
}

fn member(m: PatrolMember, unmasked: bool) -> pb::PatrolMember {
    let (name, phone) = personal_data::shown_contact(m.name, m.phone, unmasked);
    pb::PatrolMember {
        id: m.id.to_string(),
        committee_id: m.committee_id.to_string(),
        name,
        phone,
        joined_at: Some(to_proto(m.joined_at)),
        unmasked,
    }
}

fn plan(p: Plan) -> pb::PatrolPlan {
    pb::PatrolPlan {
        id: p.id.to_string(),
        committee_id: p.committee_id.to_string(),
        community_id: p.community_id.to_string(),
        name: p.name,
        building_ids: p.route.iter().map(ToString::to_string).collect(),
        every_days: i32::try_from(p.every_days).unwrap_or(i32::MAX),
        team_member_ids: p.team.iter().map(ToString::to_string).collect(),
        campaign: p.campaign,
        next_due: Some(to_proto(p.next_due)),
    }
}

fn check_in(c: &CheckIn) -> pb::PatrolCheckIn {
    pb::PatrolCheckIn {
        building_id: c.building_id.to_string(),
        member_id: c.member_id.to_string(),
        at: Some(to_proto(c.at)),
    }
}

fn run(r: Run) -> pb::PatrolRun {
    let planned = r.check_ins.iter().map(|c| c.building_id).collect::<std::collections::HashSet<_>>().len();
    pb::PatrolRun {
        id: r.id.to_string(),
        plan_id: r.plan_id.to_string(),
        recorded_at: Some(to_proto(r.recorded_at)),
        buildings_planned: i32::try_from(planned + r.missed.len()).unwrap_or(i32::MAX),
        buildings_checked: i32::try_from(planned).unwrap_or(i32::MAX),
        complete: r.complete(),
        missed_building_ids: r.missed.iter().map(ToString::to_string).collect(),
        check_ins: r.check_ins.iter().map(check_in).collect(),
        findings: r
            .findings
            .into_iter()
            .map(|f| {
                let (category, rental_unit_id, hazard_kinds) = match f.found {
                    Found::Incident { category } => (category, String::new(), Vec::new()),
                    Found::Hazards { rental_unit_id, hazards } => {
                        (String::new(), rental_unit_id.to_string(), hazards.into_iter().map(|h| h.kind).collect())
                    }
                };
                pb::PatrolFinding {
                    building_id: f.building_id.to_string(),
                    category,
                    summary: f.summary,
                    incident_id: f.incident_id.map(|i| i.to_string()).unwrap_or_default(),
                    rental_unit_id,
                    hazard_kinds,
                }
            })
            .collect(),
    }
}

/// Ids in `field`, each valid, none twice, at most [`LIST_MAX`].
fn ids(f: &mut Fields, field: &str, values: &[String]) -> Vec<Uuid> {
    if values.len() > LIST_MAX {
        f.violation(field, format!("at most {LIST_MAX}"));
    }
    let ids: Vec<Uuid> = values.iter().enumerate().map(|(i, v)| f.id(&format!("{field}[{i}]"), v)).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        f.violation(field, "names an id twice");
    }
    ids
}

impl Api {
    /// The committee, confined to the caller's area through its community.
    async fn confined_committee<T>(&self, req: &Request<T>, id: Uuid) -> Result<Committee, ApiError> {
        let c = self.store.committee(id).await?;
        self.confine_place(area(req).as_ref(), Place::Community(c.community_id))
            .await
            .map_err(|_| ApiError::NotFound("security committee".into()))?;
        Ok(c)
    }
}

pub async fn create_security_committee(
    api: &Api,
    req: Request<pb::CreateSecurityCommitteeRequest>,
) -> Answer<pb::SecurityCommittee> {
    let mut f = Fields::new();
    let community = f.id("community_id", &req.get_ref().community_id);
    let name = f.text("name", &req.get_ref().name, NAME_MAX);
    f.finish()?;
    api.confine_place(area(&req).as_ref(), Place::Community(community)).await?;
    Ok(Response::new(committee(api.store.create_committee(community, &name, &chain(&req), api.clock.now()).await?)))
}

pub async fn add_patrol_member(api: &Api, req: Request<pb::AddPatrolMemberRequest>) -> Answer<pb::PatrolMember> {
    let r = req.get_ref();
    let mut f = Fields::new();
    let id = f.id("committee_id", &r.committee_id);
    let name = f.text("name", &r.name, NAME_MAX);
    let phone = f.optional_text("phone", &r.phone, NAME_MAX);
    if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
        f.violation("phone", "must be 5 to 20 digits, with '+', '-' or spaces");
    }
    f.finish()?;
    api.confined_committee(&req, id).await?;
    let entitled = personal_data::entitled(req.extensions()).is_some();
    let m = api.store.add_patrol_member(id, (&name, phone.as_deref()), &chain(&req), api.clock.now()).await?;
    Ok(Response::new(member(m, entitled)))
}

pub async fn list_patrol_members(
    api: &Api,
    req: Request<pb::ListPatrolMembersRequest>,
) -> Answer<pb::ListPatrolMembersResponse> {
    let r = req.get_ref();
    let mut f = Fields::new();
    let id = f.id("committee_id", &r.committee_id);
    let purpose = f.optional_text("purpose", &r.purpose, TEXT_MAX);
    let page = api.pages.page(&mut f, r);
    f.finish()?;
    api.confined_committee(&req, id).await?;
    let mut members = api.store.patrol_members(id, page.fetch(), page.after).await?;
    let next_page_token = page.next(&mut members, |m| (m.joined_at, m.id));
    let fields =
        [("name", members.iter().any(|m| !m.name.is_empty())), ("phone", members.iter().any(|m| m.phone.is_some()))];
    let read = personal_data::unmasked_read(req.extensions(), purpose, id, &fields, api.clock.now());
    if let Some(read) = read.as_ref().filter(|r| !r.fields.is_empty()) {
        api.store.record_read(read).await?;
    }
    let unmasked = read.is_some();
    let members = members.into_iter().map(|m| member(m, unmasked)).collect();
    Ok(Response::new(pb::ListPatrolMembersResponse { members, next_page_token }))
}

pub async fn create_patrol_plan(api: &Api, req: Request<pb::CreatePatrolPlanRequest>) -> Answer<pb::PatrolPlan> {
    let r = req.get_ref();
    let mut f = Fields::new();
    let committee_id = f.id("committee_id", &r.committee_id);
    let name = f.text("name", &r.name, NAME_MAX);
    let route = ids(&mut f, "building_ids", &r.building_ids);
    let grids = ids(&mut f, "grid_ids", &r.grid_ids);
    if r.building_ids.is_empty() && r.grid_ids.is_empty() {
        f.violation("building_ids", "a route names at least one building or grid");
    }
    let team = ids(&mut f, "team_member_ids", &r.team_member_ids);
    if r.team_member_ids.is_empty() {
        f.violation("team_member_ids", "a team names at least one member");
    }
    let every_days = f.count("every_days", r.every_days, 1, 366);
    let campaign = match (r.campaign, f.optional_text("public_text", &r.public_text, TEXT_MAX)) {
        (true, None) => {
            f.violation("public_text", "a campaign tells residents what it is");
            None
        }
        (true, text) => text,
        (false, Some(_)) => {
            f.violation("public_text", "only a campaign is announced");
            None
        }
        (false, None) => None,
    };
    f.finish()?;
    api.confined_committee(&req, committee_id).await?;
    let new = NewPlan { committee_id, name, route, grids, every_days, team, campaign };
    Ok(Response::new(plan(api.store.create_plan(new, &chain(&req), api.clock.now()).await?)))
}

fn finding(f: &mut Fields, i: usize, x: &pb::PatrolFinding) -> Finding {
    let at = |field: &str| format!("findings[{i}].{field}");
    let building_id = f.id(&at("building_id"), &x.building_id);
    let summary = f.text(&at("summary"), &x.summary, TEXT_MAX);
    let found = match f.optional_id(&at("rental_unit_id"), &x.rental_unit_id) {
        Some(rental_unit_id) => {
            let kinds = x.hazard_kinds.iter().map(|k| (k.as_str(), 0, ""));
            let hazards = super::rental::hazards(f, &at("hazard_kinds"), kinds);
            if hazards.is_empty() && x.hazard_kinds.is_empty() {
                f.violation(&at("hazard_kinds"), "a rental unit's finding names its hazards");
            }
            Found::Hazards { rental_unit_id, hazards }
        }
        None => {
            if !x.hazard_kinds.is_empty() {
                f.violation(&at("hazard_kinds"), "hazards are recorded on a rental unit: name it");
            }
            Found::Incident { category: f.text(&at("category"), &x.category, NAME_MAX) }
        }
    };
    Finding { building_id, found, summary, incident_id: None }
}

pub async fn record_patrol_run(api: &Api, req: Request<pb::RecordPatrolRunRequest>) -> Answer<pb::PatrolRun> {
    let r = req.get_ref();
    let mut f = Fields::new();
    let plan_id = f.id("plan_id", &r.plan_id);
    if r.check_ins.is_empty() || r.check_ins.len() > LIST_MAX || r.findings.len() > LIST_MAX {
        f.violation("check_ins", format!("a run records 1 to {LIST_MAX} check-ins and findings"));
    }
    let now = api.clock.now();
    let check_ins: Vec<CheckIn> = r
        .check_ins
        .iter()
        .enumerate()
        .map(|(i, c)| CheckIn {
            building_id: f.id(&format!("check_ins[{i}].building_id"), &c.building_id),
            member_id: f.id(&format!("check_ins[{i}].member_id"), &c.member_id),
            at: f.timestamp(&format!("check_ins[{i}].at"), c.at.as_ref()).unwrap_or(now),
        })
        .collect();
    let findings: Vec<Finding> = r.findings.iter().enumerate().map(|(i, x)| finding(&mut f, i, x)).collect();
    let named = f.optional_text("actor", &r.actor, NAME_MAX);
    f.finish()?;
    let actor = Actor::of(req.extensions().get::<Claims>(), "actor", named)?.recorded();
    let p = api.store.plan(plan_id).await?;
    api.confine_place(area(&req).as_ref(), Place::Community(p.community_id))
        .await
        .map_err(|_| ApiError::NotFound("patrol plan".into()))?;
    Ok(Response::new(run(api.store.record_run(plan_id, (check_ins, findings), &actor, now).await?)))
}

pub async fn get_patrol_coverage(api: &Api, req: Request<pb::GetPatrolCoverageRequest>) -> Answer<pb::PatrolCoverage> {
    let r = req.get_ref();
    let mut f = Fields::new();
    let id = f.optional_id("committee_id", &r.committee_id);
    let end = f.timestamp("week_ending", r.week_ending.as_ref()).unwrap_or_else(|| api.clock.now());
    f.finish()?;
    match id {
        Some(id) => drop(api.confined_committee(&req, id).await?),
        None => api.whole_map(area(&req).as_ref()).await?,
    }
    let committees = api
        .store
        .patrol_coverage(id, end)
        .await?
        .into_iter()
        .map(|c| pb::CommitteeCoverage {
            committee_id: c.committee_id.to_string(),
            community_id: c.community_id.to_string(),
            buildings_on_routes: i32::try_from(c.buildings_on_routes).unwrap_or(i32::MAX),
            buildings_patrolled: i32::try_from(c.buildings_patrolled).unwrap_or(i32::MAX),
            runs: i32::try_from(c.runs).unwrap_or(i32::MAX),
            complete_runs: i32::try_from(c.complete_runs).unwrap_or(i32::MAX),
            plans_overdue: i32::try_from(c.plans_overdue).unwrap_or(i32::MAX),
        })
        .collect();
    Ok(Response::new(pb::PatrolCoverage { week_ending: Some(to_proto(end)), committees }))
}

pub async fn list_personal_data_reads(
    api: &Api,
    req: Request<pb::ListPersonalDataReadsRequest>,
) -> Answer<pb::ListPersonalDataReadsResponse> {
    let r = req.into_inner();
    let (filter, page) = ReadsFilter::parse(&api.pages, &r, "committee_id", &r.committee_id, &r.reader)?;
    let mut reads = api.store.reads(&filter).await?;
    let next_page_token = page.next(&mut reads, |r| r.0);
    let reads = reads
        .into_iter()
        .map(|(_, r)| pb::PersonalDataRead {
            at: Some(to_proto(r.at)),
            reader: r.reader,
            department: r.department,
            committee_id: r.record_id.to_string(),
            fields: r.fields,
            purpose: r.purpose,
        })
        .collect();
    Ok(Response::new(pb::ListPersonalDataReadsResponse { reads, next_page_token }))
}
