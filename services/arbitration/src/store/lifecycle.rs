//! A case moving along its lifecycle after the application: each step under
//! the statute's rules with its deadlines, what restarts or stops the award
//! period (2017 Arbitration Rules Art. 46), its one extension, the written
//! notices to the parties, and relocation notices raising an enterprise's
//! risk.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_platform::Named;
use dualnet_proto::arbitration::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{CaseView, Step, Store, Trigger, deadlines, lock_case, record_history, risk};
use crate::{
    OUTBOX,
    domain::{
        award,
        award_clock::Pause,
        case::{Action, Case, transition},
        clocks::{self, Kind, State},
        procedure::{Track, simple_barred},
    },
};

/// The parties a written notice goes to.
const PARTIES: [&str; 2] = ["applicant", "respondent"];

/// Announces the commission's written notice to both parties.
async fn notify_parties(
    conn: &mut sqlx::PgConnection,
    case: &Case,
    notice: &str,
    reason: &str,
    article: &str,
    award_due: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let event = pb::PartiesNotified {
        case_id: case.id.to_string(),
        notice: notice.into(),
        reason: reason.into(),
        article: article.into(),
        award_due: award_due.map(dualnet_platform::timestamp::to_proto),
        to: PARTIES.iter().map(|p| p.to_string()).collect(),
    };
    OUTBOX.append(conn, case.id, &event, &Chain::start(case.correlation_id)).await?;
    Ok(())
}

impl Store {
    /// Moves a case one step, enforcing the statute's rules on the way.
    pub async fn transition(&self, id: Uuid, step: Step<'_>, now: DateTime<Utc>) -> Result<CaseView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut case = lock_case(&mut tx, id).await?;
        let from = case.status;
        case.status = transition(from, step.action).map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        let annotation = self.take_step(&mut tx, &mut case, &step, now).await?;
        save(&mut tx, &case, now).await?;
        // Rules Art. 47: a suspension is notified to the parties in writing;
        // so is the choice of track (Arts 56, 61).
        let notice = match step.action {
            Action::Suspend => Some(("case_suspended", "the case is suspended", "2017 Arbitration Rules Art. 47")),
            Action::HandleSimply => Some((
                "handled_simply",
                "the case is handled simply by a sole arbitrator",
                "2017 Arbitration Rules Art. 56",
            )),
            Action::ConvertToOrdinary => Some((
                "converted_to_ordinary",
                "the case is heard under the ordinary procedure; the award period still runs from acceptance",
                "2017 Arbitration Rules Art. 61",
            )),
            _ => None,
        };
        if let Some((notice, default_reason, article)) = notice {
            let reason = if step.note.is_empty() { default_reason } else { step.note };
            let due = case.award_clock.due(case.award_extension_days, &self.calendar);
            notify_parties(&mut tx, &case, notice, reason, article, due).await?;
        }
        // Accepted, a collective dispute is the commission's count: the
        // enterprise's risk is raised as collective (or raised again so, after
        // an ordinary one).
        if step.action == Action::Accept
            && case.collective()
            && let Some(enterprise) = case.enterprise_id
        {
            let chain = Chain::start(case.correlation_id);
            risk::raise_if_due(&mut tx, enterprise, Trigger::Case { collective: true }, now, &chain).await?;
        }
        let note = match &annotation {
            Some(grant) if step.note.is_empty() => grant.clone(),
            Some(grant) => format!("{}; {grant}", step.note),
            None => step.note.to_string(),
        };
        record_history(&mut tx, &case, from, step.action, step.actor, &note, now).await?;
        tx.commit().await?;
        self.get(id).await
    }

    /// What `step` does to `case` and its deadlines, the statute's rules
    /// enforced; the note the history gains beside the caller's, if any.
    async fn take_step(
        &self,
        tx: &mut PgConnection,
        case: &mut Case,
        step: &Step<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ApiError> {
        let id = case.id;
        let mut annotation: Option<String> = None;
        match step.action {
            Action::Apply => return Err(ApiError::FailedPrecondition("an application is made with ApplyCase".into())),
            Action::Accept => {
                case.accepted_at = Some(now);
                case.award_clock.from = Some(now);
                deadlines::meet(&mut *tx, id, &[Kind::Acceptance]).await?;
                deadlines::set(&mut *tx, id, Kind::Service, clocks::service_due(now, &self.calendar)).await?;
                deadlines::set(&mut *tx, id, Kind::TribunalNotice, clocks::tribunal_notice_due(now, &self.calendar))
                    .await?;
                deadlines::set(&mut *tx, id, Kind::Award, clocks::award_due(now, 0, &self.calendar)).await?;
            }
            Action::Refuse | Action::Withdraw => {
                deadlines::meet(&mut *tx, id, &[Kind::Acceptance]).await?;
                deadlines::cancel_pending(&mut *tx, id).await?;
            }
            Action::Serve => {
                deadlines::meet(&mut *tx, id, &[Kind::Service]).await?;
                deadlines::set(&mut *tx, id, Kind::Defence, clocks::defence_due(now, &self.calendar)).await?;
            }
            Action::ReceiveDefence => {
                deadlines::meet(&mut *tx, id, &[Kind::Defence]).await?;
                deadlines::set(&mut *tx, id, Kind::DefenceCopy, clocks::defence_copy_due(now, &self.calendar)).await?;
            }
            Action::SendDefenceCopy => deadlines::meet(&mut *tx, id, &[Kind::DefenceCopy]).await?,
            Action::FormTribunal => {
                let arbitrator =
                    step.arbitrator.ok_or_else(|| ApiError::field("arbitrator", "name the presiding arbitrator"))?;
                case.arbitrator = Some(arbitrator.to_string());
                deadlines::meet(&mut *tx, id, &[Kind::TribunalNotice]).await?;
            }
            Action::NoticeHearing | Action::PostponeHearing => {
                annotation = self.schedule_hearing(tx, case, step, now).await?;
            }
            Action::HoldHearing => deadlines::meet(&mut *tx, id, &[Kind::HearingSoon]).await?,
            Action::Settle | Action::Award => {
                if step.action == Action::Award {
                    case.awarded_at = Some(now);
                    record_awarded(tx, id, step.awarded).await?;
                }
                deadlines::meet(&mut *tx, id, &[Kind::Award, Kind::HearingSoon]).await?;
                deadlines::cancel_pending(&mut *tx, id).await?;
            }
            Action::Close => deadlines::cancel_pending(&mut *tx, id).await?,
            // Rules Art. 46(2): received on the day the materials are complete.
            Action::SupplementMaterials => {
                deadlines::set(&mut *tx, id, Kind::Acceptance, clocks::acceptance_due(now, &self.calendar)).await?;
            }
            // Rules Art. 46(1), (3), (4), (5): the award period runs afresh.
            Action::AddParty | Action::AmendClaims | Action::JoinCounterclaim | Action::AcceptTransfer => {
                case.award_clock.restart(now).map_err(ApiError::FailedPrecondition)?;
                let due = case.award_clock.due(case.award_extension_days, &self.calendar);
                deadlines::set(&mut *tx, id, Kind::Award, due.expect("running")).await?;
                annotation = Some("the award period runs afresh from today (2017 Arbitration Rules Art. 46)".into());
            }
            Action::HandleSimply | Action::ShortenDefence | Action::ConvertToOrdinary => {
                annotation = Some(self.change_procedure(tx, case, step, now).await?);
            }
            // Rules Art. 57(3): a respondent whose whereabouts are unknown is
            // not heard simply.
            Action::ServeByPublicNotice if case.track == Track::Simple => {
                return Err(ApiError::FailedPrecondition(
                    "a case handled simply cannot serve by public notice: convert it to the ordinary procedure \
                     first (2017 Arbitration Rules Arts 57(3), 61)"
                        .into(),
                ));
            }
            // Rules Art. 46(6): the days of a suspension or of service by
            // public notice are not counted.
            Action::Suspend | Action::ServeByPublicNotice => {
                let why = if step.action == Action::Suspend { Pause::Suspension } else { Pause::PublicNotice };
                case.award_clock.pause(why, now).map_err(ApiError::FailedPrecondition)?;
                deadlines::pause(&mut *tx, id, Kind::Award).await?;
            }
            Action::Resume | Action::PublicNoticeServed => {
                let why = if step.action == Action::Resume { Pause::Suspension } else { Pause::PublicNotice };
                let days = case.award_clock.resume(why, now).map_err(ApiError::FailedPrecondition)?;
                let due = case.award_clock.due(case.award_extension_days, &self.calendar);
                deadlines::set(&mut *tx, id, Kind::Award, due.expect("running again")).await?;
                annotation = Some(format!("{days} days not counted (2017 Arbitration Rules Art. 46(6))"));
            }
        }
        Ok(annotation)
    }

    /// The simple procedure chosen, the defence shortened in it, or left
    /// (Rules Arts 56-61); what the history records.
    async fn change_procedure(
        &self,
        tx: &mut PgConnection,
        case: &mut Case,
        step: &Step<'_>,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let refused = |m: String| Err(ApiError::FailedPrecondition(m));
        match step.action {
            Action::HandleSimply => {
                let ground = step
                    .simple_ground
                    .ok_or_else(|| ApiError::field("simple_ground", "state the ground of Art. 56"))?;
                if case.track == Track::Simple {
                    return refused("the case is handled simply already".into());
                }
                if let Some(why) = simple_barred(case) {
                    return refused(format!("the case may not be handled simply: {why}"));
                }
                case.track = Track::Simple;
                Ok(format!("handled simply: {} (2017 Arbitration Rules Art. 56)", ground.said()))
            }
            Action::ShortenDefence => {
                let days = step.defence_days.ok_or_else(|| {
                    ApiError::field("defence_days", "give the defence period agreed, 0 (waived) to 9 working days")
                })?;
                if case.track != Track::Simple {
                    return refused(
                        "only a case handled simply may shorten the defence period (2017 Arbitration Rules Art. 58)"
                            .into(),
                    );
                }
                let served: Option<DateTime<Utc>> =
                    sqlx::query_scalar("SELECT max(at) FROM case_history WHERE case_id = $1 AND action = 'serve'")
                        .bind(case.id)
                        .fetch_one(&mut *tx)
                        .await?;
                let Some(served) = served else {
                    return refused("the respondent has not been served yet: the defence period has not begun".into());
                };
                if deadlines::state_of(&mut *tx, case.id, Kind::Defence).await? != Some(State::Pending) {
                    return refused("the defence period is over, waived or the defence is in".into());
                }
                if days == 0 {
                    deadlines::cancel(&mut *tx, case.id, Kind::Defence).await?;
                    return Ok(
                        "defence period waived with the respondent's consent (2017 Arbitration Rules Art. 58)".into()
                    );
                }
                let due = self.calendar.add_working_days(served, days);
                deadlines::set(&mut *tx, case.id, Kind::Defence, due).await?;
                Ok(format!(
                    "defence period shortened to {days} working days from service with the respondent's consent \
                     (2017 Arbitration Rules Art. 58)"
                ))
            }
            Action::ConvertToOrdinary => {
                if case.track != Track::Simple {
                    return refused("the case is heard under the ordinary procedure already".into());
                }
                // Art. 61: decided before the award period ends.
                if case.award_clock.due(case.award_extension_days, &self.calendar).is_some_and(|due| due < now) {
                    return refused("the award period has run out (2017 Arbitration Rules Art. 61)".into());
                }
                case.track = Track::Ordinary;
                Ok("converted to the ordinary procedure; the award period still runs from acceptance \
                    (2017 Arbitration Rules Art. 61)"
                    .into())
            }
            _ => unreachable!("only procedure changes"),
        }
    }

    /// A hearing noticed, or moved: five days' notice (Art. 35), no
    /// postponement later than three days before it unless the commission
    /// grants it for a stated reason (the grant is the answer).
    async fn schedule_hearing(
        &self,
        tx: &mut PgConnection,
        case: &mut Case,
        step: &Step<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ApiError> {
        let id = case.id;
        let mut granted = None;
        let at = step.hearing_at.ok_or_else(|| ApiError::field("hearing_at", "give the hearing's time"))?;
        // A tribunal formed before service (Art. 32) hears nothing
        // until the respondent has the application (Art. 30).
        if !deadlines::is_met(&mut *tx, id, Kind::Service).await? {
            return Err(ApiError::FailedPrecondition(
                "the respondent has not been served the application yet (LDMAL Art. 30)".into(),
            ));
        }
        if at <= now {
            return Err(ApiError::field("hearing_at", "must be in the future"));
        }
        // Rules Art. 60: on the simple track the tribunal sets the hearing
        // date; Art. 35's notice and postponement periods do not bind it.
        if case.track == Track::Simple {
            case.hearing_at = Some(at);
            deadlines::set(&mut *tx, id, Kind::HearingSoon, clocks::hearing_reminder(at)).await?;
            return Ok(Some("hearing date set by the tribunal (2017 Arbitration Rules Art. 60)".into()));
        }
        if step.action == Action::PostponeHearing
            && let Some(current) = case.hearing_at
            && let Err(late) = clocks::check_postponement(now, current, &self.calendar)
        {
            // Late, the commission may still grant it for a reason.
            let Some(reason) = step.late_reason else {
                return Err(ApiError::FailedPrecondition(format!(
                    "{late}; the commission may grant it with a late_reason"
                )));
            };
            granted = Some(format!("{late}; granted late by the commission: {reason}"));
        }
        clocks::check_notice(now, at, &self.calendar).map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
        case.hearing_at = Some(at);
        deadlines::set(&mut *tx, id, Kind::HearingSoon, clocks::hearing_reminder(at)).await?;
        Ok(granted)
    }

    /// Art. 43: one extension of the award period, by at most 15 days,
    /// before the period runs out.
    pub async fn extend_award(
        &self,
        id: Uuid,
        days: u32,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let case = lock_case(&mut tx, id).await?;
        let refused = |m: &str| Err(ApiError::FailedPrecondition(m.to_string()));
        if case.accepted_at.is_none() || !case.status.awaiting_award() {
            return refused("only a case accepted and not yet decided has an award period");
        }
        if case.award_extension_days > 0 {
            return refused("the award period was extended once already (LDMAL Art. 43)");
        }
        let Some(current) = case.award_clock.due(0, &self.calendar) else {
            return refused("the award period stands still (suspension or public notice): resume it first");
        };
        if current < now {
            return refused("the award period has run out: a party may sue (LDMAL Art. 43)");
        }
        let due = case.award_clock.due(days, &self.calendar).expect("running");
        sqlx::query("UPDATE cases SET award_extension_days = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(i32::try_from(days).unwrap_or(i32::MAX))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        deadlines::extend(&mut tx, id, Kind::Award, due).await?;
        sqlx::query(
            "INSERT INTO case_history (case_id, from_status, to_status, action, actor, note, at)
             VALUES ($1, $2, $2, 'extend_award', $3, $4, $5)",
        )
        .bind(id)
        .bind(case.status.as_str())
        .bind(actor)
        .bind(format!("award period extended by {days} days: {reason}"))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = pb::AwardPeriodExtended {
            case_id: id.to_string(),
            days: i32::try_from(days).unwrap_or(i32::MAX),
            award_due: Some(dualnet_platform::timestamp::to_proto(due)),
        };
        OUTBOX.append(&mut tx, id, &event, &Chain::start(case.correlation_id)).await?;
        // Rules Art. 45: approved by the director, notified to the parties in writing.
        notify_parties(&mut tx, &case, "award_period_extended", reason, "2017 Arbitration Rules Art. 45", Some(due))
            .await?;
        tx.commit().await?;
        self.get(id).await
    }

    pub async fn report_relocation(
        &self,
        enterprise: Uuid,
        note: &str,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<bool, ApiError> {
        let mut tx = self.pool.begin().await?;
        let raised =
            risk::raise_if_due(&mut tx, enterprise, Trigger::Relocation { note: note.into() }, now, chain).await?;
        tx.commit().await?;
        Ok(raised)
    }
}

/// What the award grants on each claim, checked against the claims (the
/// tribunal decides what was asked, no more).
async fn record_awarded(tx: &mut PgConnection, id: Uuid, awarded: &[i64]) -> Result<(), ApiError> {
    let claimed: Vec<(i32, i64)> =
        sqlx::query_as("SELECT seq, amount_fen FROM case_claims WHERE case_id = $1 ORDER BY seq FOR UPDATE")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    let amounts: Vec<i64> = claimed.iter().map(|c| c.1).collect();
    award::check_awarded(&amounts, awarded).map_err(|e| ApiError::field("awarded_fen", e))?;
    let seqs: Vec<i32> = claimed.iter().map(|c| c.0).collect();
    sqlx::query(
        "UPDATE case_claims c SET awarded_fen = a.amount FROM UNNEST($2::int[], $3::bigint[]) AS a(seq, amount)
         WHERE c.case_id = $1 AND c.seq = a.seq",
    )
    .bind(id)
    .bind(&seqs)
    .bind(awarded)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes what a step changed on the case's row.
async fn save(tx: &mut PgConnection, case: &Case, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let (id, clock) = (case.id, &case.award_clock);
    sqlx::query(
        "UPDATE cases SET status = $2, accepted_at = $3, arbitrator = $4, hearing_at = $5, updated_at = $6,
             awarded_at = $7, collective = $8, award_from = $9, award_paused_days = $10,
             award_paused_since = $11, award_paused_by = $12, track = $13
         WHERE id = $1",
    )
    .bind(id)
    .bind(case.status.as_str())
    .bind(case.accepted_at)
    .bind(&case.arbitrator)
    .bind(case.hearing_at)
    .bind(now)
    .bind(case.awarded_at)
    .bind(case.collective())
    .bind(clock.from)
    .bind(i32::try_from(clock.paused_days).unwrap_or(i32::MAX))
    .bind(clock.paused.map(|(_, since)| since))
    .bind(clock.paused.map(|(why, _)| why.as_str()))
    .bind(case.track.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
