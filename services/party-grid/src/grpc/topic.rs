//! Council topics: raising, moving along their lifecycle, reading, and the
//! meetings that decide them.

use dualnet_events::Chain;
use dualnet_platform::{
    ApiError, Fields,
    actor::Actor,
    auth::Claims,
    correlation,
    fields::{NAME_MAX, TEXT_MAX},
};
use dualnet_proto::partygrid::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, Api, area};
use crate::{
    domain::topic::{HandOff, TopicAction},
    store::{Decision, NewMeeting, NewTopic, Target},
    wire,
};

/// The most items one meeting's agenda takes.
const AGENDA_MAX: usize = 50;
/// The most members one meeting records as attending.
const ATTENDING_MAX: usize = 1000;

/// Who acted: the token's subject, or the body's name with authentication off.
fn actor<T>(req: &Request<T>, named: Option<String>) -> Result<String, ApiError> {
    Ok(Actor::of(req.extensions().get::<Claims>(), "actor", named)?.recorded())
}

pub async fn raise_topic(api: &Api, req: Request<pb::RaiseTopicRequest>) -> Answer<pb::Topic> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.get_ref();
    let mut f = Fields::new();
    let council_id = f.id("council_id", &r.council_id);
    let title = f.text("title", &r.title, NAME_MAX);
    let description = f.optional_text("description", &r.description, TEXT_MAX).unwrap_or_default();
    let source = f.enumeration::<pb::TopicSource>("source", r.source).and_then(wire::topic_source_from);
    let complaint_id = f.optional_id("complaint_id", &r.complaint_id);
    let member_id = f.optional_id("member_id", &r.member_id);
    let named = f.optional_text("actor", &r.actor, NAME_MAX);
    f.finish()?;
    let source = source.ok_or_else(|| ApiError::field("source", "must be specified"))?;
    let actor = actor(&req, named)?;
    api.confine(area.as_deref(), &[Target::Council(council_id)]).await?;
    let new = NewTopic { council_id, title, description, source, complaint_id, member_id, warning_id: None };
    Ok(Response::new(wire::topic(api.store.raise_topic(new, &actor, &chain, api.clock.now()).await?)))
}

pub async fn move_topic(api: &Api, req: Request<pb::MoveTopicRequest>) -> Answer<pb::Topic> {
    let area = area(&req);
    let r = req.get_ref();
    let mut f = Fields::new();
    let id = f.id("id", &r.id);
    let action = f.enumeration::<pb::TopicAction>("action", r.action);
    let reason = f.optional_text("reason", &r.reason, TEXT_MAX).unwrap_or_default();
    if action == Some(pb::TopicAction::Decline) && reason.is_empty() {
        f.violation("reason", "a declined topic needs a reason");
    }
    let named = f.optional_text("actor", &r.actor, NAME_MAX);
    f.finish()?;
    let action = match action {
        Some(pb::TopicAction::Accept) => TopicAction::Accept,
        Some(pb::TopicAction::Decline) => TopicAction::Decline { reason: reason.clone() },
        Some(pb::TopicAction::Schedule) => TopicAction::Schedule,
        Some(pb::TopicAction::Implement) => TopicAction::Implement,
        Some(pb::TopicAction::Review) => TopicAction::Review,
        _ => return Err(ApiError::field("action", "must be specified").into()),
    };
    let actor = actor(&req, named)?;
    api.confine(area.as_deref(), &[Target::Topic(id)]).await?;
    Ok(Response::new(wire::topic(api.store.move_topic(id, action, (&actor, &reason), api.clock.now()).await?)))
}

pub async fn get_topic(api: &Api, req: Request<pb::GetTopicRequest>) -> Answer<pb::Topic> {
    let mut f = Fields::new();
    let id = f.id("id", &req.get_ref().id);
    f.finish()?;
    api.confine(area(&req).as_deref(), &[Target::Topic(id)]).await?;
    Ok(Response::new(wire::topic(api.store.topic(id).await?)))
}

pub async fn list_topics(api: &Api, req: Request<pb::ListTopicsRequest>) -> Answer<pb::ListTopicsResponse> {
    let area = area(&req);
    let r = req.into_inner();
    let mut f = Fields::new();
    let council_id = f.id("council_id", &r.council_id);
    let status = f.optional_enumeration::<pb::TopicStatus>("status", r.status).and_then(wire::topic_status_from);
    let page = api.pages.page(&mut f, &r);
    f.finish()?;
    api.confine(area.as_deref(), &[Target::Council(council_id)]).await?;
    let mut topics = api.store.topics(council_id, status, page.fetch(), page.after).await?;
    let next_page_token = page.next(&mut topics, |t| (t.raised_at, t.id));
    Ok(Response::new(pb::ListTopicsResponse { topics: topics.into_iter().map(wire::topic).collect(), next_page_token }))
}

fn agenda_item(f: &mut Fields, i: usize, item: &pb::AgendaItem) -> Decision {
    let at = |field: &str| format!("agenda[{i}].{field}");
    let topic_id = f.id(&at("topic_id"), &item.topic_id);
    let resolution = f.optional_text(&at("resolution"), &item.resolution, TEXT_MAX).unwrap_or_default();
    let hand_off = item.hand_off.as_ref().map(|h| {
        let building_id = f.optional_id(&at("hand_off.building_id"), &h.building_id);
        let grid_id = f.optional_id(&at("hand_off.grid_id"), &h.grid_id);
        if building_id.is_none() && grid_id.is_none() {
            f.violation(&at("hand_off"), "names the building or grid the incident is at");
        }
        let category = f.text(&at("hand_off.category"), &h.category, NAME_MAX);
        HandOff { building_id, grid_id, category }
    });
    if hand_off.is_some() && resolution.is_empty() {
        f.violation(&at("resolution"), "a hand-off needs the resolution it carries out");
    }
    Decision { topic_id, votes: (item.in_favour, item.against, item.abstaining), resolution, hand_off }
}

pub async fn hold_meeting(api: &Api, req: Request<pb::HoldMeetingRequest>) -> Answer<pb::Meeting> {
    let chain = Chain::start(correlation::of(&req));
    let area = area(&req);
    let r = req.get_ref();
    let mut f = Fields::new();
    let council_id = f.id("council_id", &r.council_id);
    if r.attending_member_ids.len() > ATTENDING_MAX {
        f.violation("attending_member_ids", format!("at most {ATTENDING_MAX}"));
    }
    let mut attending: Vec<uuid::Uuid> = r
        .attending_member_ids
        .iter()
        .enumerate()
        .map(|(i, m)| f.id(&format!("attending_member_ids[{i}]"), m))
        .collect();
    attending.sort();
    attending.dedup();
    let minutes = f.optional_text("minutes", &r.minutes, TEXT_MAX).unwrap_or_default();
    if r.agenda.is_empty() || r.agenda.len() > AGENDA_MAX {
        f.violation("agenda", format!("a meeting takes up 1 to {AGENDA_MAX} scheduled topics"));
    }
    let agenda: Vec<Decision> = r.agenda.iter().enumerate().map(|(i, item)| agenda_item(&mut f, i, item)).collect();
    let mut ids: Vec<_> = agenda.iter().map(|d| d.topic_id).collect();
    ids.sort();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        f.violation("agenda", "a topic appears once on an agenda");
    }
    let named = f.optional_text("actor", &r.actor, NAME_MAX);
    f.finish()?;
    let actor = actor(&req, named)?;
    api.confine(area.as_deref(), &[Target::Council(council_id)]).await?;
    let new = NewMeeting { council_id, attending, minutes, agenda };
    Ok(Response::new(wire::meeting(api.store.hold_meeting(new, &actor, &chain, api.clock.now()).await?)))
}
