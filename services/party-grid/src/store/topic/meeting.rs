//! Deliberation meetings, and what comes back from the networks: the
//! incident a resolution handed out (opened, then closed), and early
//! warnings proposed as topics.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Whether `building` (or `grid`) lies in `community` by the map's read model.
async fn in_community(conn: &mut PgConnection, unit: Uuid, community: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<bool>>("SELECT $2 = ANY(unit_lineage($1))")
        .bind(unit)
        .bind(community)
        .fetch_one(conn)
        .await?
        .unwrap_or(false))
}

impl Store {
    /// Records a meeting and decides its agenda. A meeting short of its
    /// quorum is recorded and decides nothing (its topics stay scheduled);
    /// it may not vote.
    pub async fn hold_meeting(
        &self,
        new: NewMeeting,
        actor: &str,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<Meeting, ApiError> {
        let mut tx = self.pool.begin().await?;
        let council = load_council(&mut tx, new.council_id, true).await?;
        let serving: Vec<Uuid> = serving_members(&mut tx, council.id).await?.into_iter().map(|(id, _)| id).collect();
        if let Some(stranger) = new.attending.iter().find(|m| !serving.contains(m)) {
            return Err(ApiError::field("attending_member_ids", format!("{stranger} is not a serving member")));
        }
        let members = u32::try_from(serving.len()).unwrap_or(u32::MAX);
        let attending = u32::try_from(new.attending.len()).unwrap_or(u32::MAX);
        let quorate = council.quorum.met(attending, members);
        let voted = new.agenda.iter().any(|d| d.votes != (0, 0, 0));
        if !quorate && voted {
            return Err(refused(TopicRefused::NotQuorate { attending, members }));
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO council_meetings (id, council_id, held_at, members, attending, quorate, minutes, held_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(council.id)
        .bind(now)
        .bind(i32::try_from(members).unwrap_or(i32::MAX))
        .bind(&new.attending)
        .bind(quorate)
        .bind(&new.minutes)
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        let mut topics = Vec::with_capacity(new.agenda.len());
        for decision in new.agenda {
            let (mut topic, _) = lock_topic(&mut tx, decision.topic_id).await?;
            if topic.council_id != council.id {
                return Err(ApiError::field("agenda", format!("topic {} is not the council's", topic.id)));
            }
            if topic.status != TopicStatus::Scheduled {
                return Err(ApiError::FailedPrecondition(format!(
                    "topic {} is {}, not scheduled for a meeting",
                    topic.id,
                    topic.status.as_str()
                )));
            }
            if quorate {
                let d = Deliberation {
                    members,
                    attending,
                    quorum: council.quorum,
                    in_favour: decision.votes.0,
                    against: decision.votes.1,
                    abstaining: decision.votes.2,
                };
                decide(&mut tx, &mut topic, id, d, decision, (actor, now)).await?;
            }
            topics.push(topic);
        }
        let event = pb::MeetingHeld {
            meeting_id: id.to_string(),
            council_id: council.id.to_string(),
            community_id: council.community_id.to_string(),
            members: i32::try_from(members).unwrap_or(i32::MAX),
            attending: i32::try_from(attending).unwrap_or(i32::MAX),
            quorate,
            topic_ids: topics.iter().map(|t| t.id.to_string()).collect(),
        };
        OUTBOX.append(&mut tx, council.id, &event, chain).await?;
        tx.commit().await?;
        Ok(Meeting {
            id,
            council_id: council.id,
            held_at: now,
            members,
            attending,
            quorate,
            minutes: new.minutes,
            topics,
        })
    }
}

/// One topic's decision at a quorate meeting: deferred, declined, or a
/// resolution adopted (and announced, for governance-grid to open the
/// incident it hands out).
async fn decide(
    conn: &mut PgConnection,
    topic: &mut Topic,
    meeting_id: Uuid,
    d: Deliberation,
    decision: Decision,
    (actor, now): (&str, DateTime<Utc>),
) -> Result<(), ApiError> {
    let to = topic::decide(topic.status, d, &decision.resolution).map_err(refused)?;
    let tally = format!("{} for, {} against, {} abstaining", d.in_favour, d.against, d.abstaining);
    if to == TopicStatus::Resolved {
        if let Some(h) = &decision.hand_off
            && let Some(unit) = h.building_id.or(h.grid_id)
            && !in_community(conn, unit, topic.community_id).await?
        {
            return Err(ApiError::field("agenda.hand_off", "not a building or grid of the council's community"));
        }
        let h = decision.hand_off.as_ref();
        sqlx::query(
            "UPDATE council_topics SET meeting_id = $2, resolution = $3, in_favour = $4, against = $5,
                     abstaining = $6, hand_off_building_id = $7, hand_off_grid_id = $8, hand_off_category = $9,
                     adopted_at = $10 WHERE id = $1",
        )
        .bind(topic.id)
        .bind(meeting_id)
        .bind(&decision.resolution)
        .bind(i32::try_from(d.in_favour).unwrap_or(i32::MAX))
        .bind(i32::try_from(d.against).unwrap_or(i32::MAX))
        .bind(i32::try_from(d.abstaining).unwrap_or(i32::MAX))
        .bind(h.and_then(|h| h.building_id))
        .bind(h.and_then(|h| h.grid_id))
        .bind(h.map(|h| h.category.clone()))
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let event = pb::ResolutionAdopted {
            topic_id: topic.id.to_string(),
            council_id: topic.council_id.to_string(),
            community_id: topic.community_id.to_string(),
            meeting_id: meeting_id.to_string(),
            // The council's decision is public; what could reach a person
            // in it stays here.
            resolution: dualnet_platform::redaction::redact(&decision.resolution),
            building_id: id_text(h.and_then(|h| h.building_id)),
            grid_id: id_text(h.and_then(|h| h.grid_id)),
            category: h.map(|h| h.category.clone()).unwrap_or_default(),
        };
        OUTBOX
            .append(&mut *conn, topic.id, &event, &Chain { correlation_id: topic.correlation_id, causation_id: None })
            .await?;
        topic.resolution = Some(Resolution {
            text: decision.resolution,
            meeting_id,
            in_favour: d.in_favour,
            against: d.against,
            abstaining: d.abstaining,
            hand_off: decision.hand_off,
            incident_id: None,
            adopted_at: now,
        });
    }
    let step = TopicStep { at: now, from: topic.status, to, actor: actor.into(), note: tally };
    record_step(conn, topic, step, None).await?;
    Ok(())
}

/// governance-grid opened the incident a resolution handed out.
pub async fn link_incident(conn: &mut PgConnection, topic_id: Uuid, incident_id: Uuid) -> Result<bool, sqlx::Error> {
    let linked = sqlx::query(
        "UPDATE council_topics SET incident_id = $2 WHERE id = $1 AND incident_id IS NULL AND hand_off_category IS NOT NULL",
    )
    .bind(topic_id)
    .bind(incident_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(linked > 0)
}

/// The incident closed: every resolved topic that handed it out is
/// implemented (the outcome reported back to the council).
pub async fn topics_implemented_by(
    conn: &mut PgConnection,
    incident_id: Uuid,
    causation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    sqlx::query("UPDATE council_topics SET incident_closed = true WHERE incident_id = $1")
        .bind(incident_id)
        .execute(&mut *conn)
        .await?;
    let topics = load_topics(conn, "t.incident_id = $1 AND t.status = 'resolved'", incident_id, true).await?;
    let implemented = topics.len();
    for (mut topic, _) in topics {
        let note = format!("incident {incident_id} closed");
        let step = TopicStep {
            at: now,
            from: topic.status,
            to: TopicStatus::Implemented,
            actor: "governance-grid".into(),
            note,
        };
        record_step(conn, &mut topic, step, Some(causation_id)).await?;
    }
    Ok(implemented)
}

/// An early warning in a grid: each council of the grid's community whose
/// term covers `now` gets it proposed as a topic (once per warning).
pub async fn propose_from_warning(
    conn: &mut PgConnection,
    warning_id: Uuid,
    grid_id: Uuid,
    title: &str,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let councils: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT c.id, c.community_id FROM councils c
         JOIN governance_units g ON g.unit_kind = 'grid' AND g.unit_id = $1 AND g.parent_id = c.community_id
         WHERE c.term_start <= $2 AND $2 < c.term_end ORDER BY c.id",
    )
    .bind(grid_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut proposed = 0;
    for (council_id, community_id) in councils {
        let new = NewTopic {
            council_id,
            title: title.into(),
            description: String::new(),
            source: TopicSource::RecurringProblem,
            complaint_id: None,
            member_id: None,
            warning_id: Some(warning_id),
        };
        if insert_topic(conn, &new, community_id, "governance-grid", chain, now).await?.is_some() {
            proposed += 1;
        }
    }
    Ok(proposed)
}
