//! Residents' consultation councils: forming one, its members (names and
//! phones masked unless the caller is entitled and states a purpose).

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields, correlation,
    fields::{NAME_MAX, TEXT_MAX},
    personal_data::{self, ReadsFilter, valid_phone},
    timestamp::to_proto,
};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{
    domain::council::{MemberKind, Quorum, check_liaison, check_term},
    store::{NewCouncil, Participation, Target},
    wire,
};

pub async fn create_council(api: &Api, req: Request<pb::CreateCouncilRequest>) -> Answer<pb::Council> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let community = f.id("community_id", &r.community_id);
    let name = f.text("name", &r.name, NAME_MAX);
    let convenor = f.id("convenor_organisation_id", &r.convenor_organisation_id);
    let quorum = match (r.quorum_numerator, r.quorum_denominator) {
        (0, 0) => Quorum::default(),
        (n, d) => Quorum::new(n, d).unwrap_or_else(|e| {
            f.violation("quorum_numerator", e);
            Quorum::default()
        }),
    };
    let start = f.timestamp("term_start", r.term_start.as_ref());
    let end = f.timestamp("term_end", r.term_end.as_ref());
    if start.is_none() && r.term_start.is_none() {
        f.violation("term_start", "must be given");
    }
    if end.is_none() && r.term_end.is_none() {
        f.violation("term_end", "must be given");
    }
    if let (Some(s), Some(e)) = (start, end)
        && let Err(why) = check_term(s, e)
    {
        f.violation("term_end", why);
    }
    f.finish()?;
    let term = start.zip(end).ok_or_else(|| ApiError::field("term_start", "must be given"))?;
    // The council's community and its convenor are both the caller's.
    api.confine(area.as_deref(), &[Target::Unit(community), Target::Organisation(convenor)]).await?;
    let new = NewCouncil { community_id: community, name, convenor_organisation_id: convenor, quorum, term };
    Ok(Response::new(wire::council(api.store.create_council(new, &chain, api.clock.now()).await?)))
}

pub async fn get_council(api: &Api, req: Request<pb::GetCouncilRequest>) -> Answer<pb::Council> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine(area(&req).as_deref(), &[Target::Council(id)]).await?;
    Ok(Response::new(wire::council(api.store.council(id).await?)))
}

pub async fn add_council_member(api: &Api, req: Request<pb::AddCouncilMemberRequest>) -> Answer<pb::CouncilMember> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let entitled = personal_data::entitled(req.extensions()).is_some();
    let r = req.into_inner();
    let mut f = Fields::new();
    let council_id = f.id("council_id", &r.council_id);
    let name = f.text("name", &r.name, NAME_MAX);
    let phone = f.optional_text("phone", &r.phone, NAME_MAX);
    if let Some(p) = &phone
        && !valid_phone(p)
    {
        f.violation("phone", "must be 5 to 20 digits, with '+', '-' or spaces");
    }
    let kind = f.enumeration::<pb::CouncilMemberKind>("kind", r.kind).and_then(wire::member_kind_from);
    let role =
        f.optional_enumeration::<pb::LiaisonRole>("liaison_role", r.liaison_role).and_then(wire::liaison_role_from);
    if let Some(kind) = kind
        && let Err(why) = check_liaison(kind, role)
    {
        f.violation("liaison_role", why);
    }
    f.finish()?;
    let kind = kind.unwrap_or(MemberKind::Resident);
    api.confine(area.as_deref(), &[Target::Council(council_id)]).await?;
    let member = api
        .store
        .add_council_member(council_id, (kind, role), (&name, phone.as_deref()), &chain, api.clock.now())
        .await?;
    // The one who entered the data sees it back only if entitled to read it.
    Ok(Response::new(wire::council_member(member, entitled)))
}

pub async fn list_council_members(
    api: &Api,
    req: Request<pb::ListCouncilMembersRequest>,
) -> Answer<pb::ListCouncilMembersResponse> {
    let area = area(&req);
    let r = req.get_ref();
    let mut f = Fields::new();
    let council_id = f.id("council_id", &r.council_id);
    let purpose = f.optional_text("purpose", &r.purpose, TEXT_MAX);
    let page = api.pages.page(&mut f, r);
    f.finish()?;
    api.confine(area.as_deref(), &[Target::Council(council_id)]).await?;
    let mut members = api.store.council_members(council_id, page.fetch(), page.after).await?;
    let next_page_token = page.next(&mut members, |m| (m.joined_at, m.id));
    let fields =
        [("name", members.iter().any(|m| !m.name.is_empty())), ("phone", members.iter().any(|m| m.phone.is_some()))];
    let read = personal_data::unmasked_read(req.extensions(), purpose, council_id, &fields, api.clock.now());
    if let Some(read) = read.as_ref().filter(|r| !r.fields.is_empty()) {
        api.store.record_read(read).await?;
    }
    let unmasked = read.is_some();
    Ok(Response::new(pb::ListCouncilMembersResponse {
        members: members.into_iter().map(|m| wire::council_member(m, unmasked)).collect(),
        next_page_token,
    }))
}

pub async fn get_liaison_report(api: &Api, req: Request<pb::GetLiaisonReportRequest>) -> Answer<pb::LiaisonReport> {
    let mut f = Fields::new();
    let id = f.id("council_id", &req.get_ref().council_id);
    f.finish()?;
    api.confine(area(&req).as_deref(), &[Target::Council(id)]).await?;
    api.store.council(id).await?;
    let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let liaisons = api
        .store
        .liaison_participation(id)
        .await?
        .into_iter()
        .map(|p: Participation| pb::LiaisonParticipation {
            member_id: p.member_id.to_string(),
            liaison_role: p.liaison_role.map_or(0, |r| wire::liaison_role(r) as i32),
            meetings_held: count(p.meetings_held),
            meetings_attended: count(p.meetings_attended),
            attendance_share: if p.meetings_held > 0 {
                p.meetings_attended as f64 / p.meetings_held as f64
            } else {
                0.0
            },
            topics_raised: count(p.topics_raised),
            topics_resolved: count(p.topics_resolved),
            median_seconds_to_resolve: p.median_seconds_to_resolve,
        })
        .collect();
    Ok(Response::new(pb::LiaisonReport { council_id: id.to_string(), liaisons }))
}

pub async fn list_personal_data_reads(
    api: &Api,
    req: Request<pb::ListPersonalDataReadsRequest>,
) -> Answer<pb::ListPersonalDataReadsResponse> {
    let r = req.into_inner();
    let (filter, page) = ReadsFilter::parse(&api.pages, &r, "council_id", &r.council_id, &r.reader)?;
    let mut reads = api.store.reads(&filter).await?;
    let next_page_token = page.next(&mut reads, |r| r.0);
    Ok(Response::new(pb::ListPersonalDataReadsResponse {
        reads: reads
            .into_iter()
            .map(|(_, r)| pb::PersonalDataRead {
                at: Some(to_proto(r.at)),
                reader: r.reader,
                department: r.department,
                council_id: r.record_id.to_string(),
                fields: r.fields,
                purpose: r.purpose,
            })
            .collect(),
        next_page_token,
    }))
}
