//! A case moving along its lifecycle after the application: each step under
//! the statute's rules with its deadlines, the award period's one
//! extension, and relocation notices raising an enterprise's risk.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_proto::arbitration::v1 as pb;
use uuid::Uuid;

use super::{CaseView, Step, Store, Trigger, deadlines, lock_case, record_history, risk};
use crate::{
    OUTBOX,
    domain::{
        case::{Action, transition},
        clocks::{self, Kind},
    },
};

impl Store {
    /// Moves a case one step, enforcing the statute's rules on the way.
    pub async fn transition(&self, id: Uuid, step: Step<'_>, now: DateTime<Utc>) -> Result<CaseView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let mut case = lock_case(&mut tx, id).await?;
        let from = case.status;
        let refused = |m: String| ApiError::FailedPrecondition(m);
        let mut granted_late: Option<String> = None;
        case.status = transition(from, step.action).map_err(|e| refused(e.to_string()))?;
        match step.action {
            Action::Apply => return Err(refused("an application is made with ApplyCase".into())),
            Action::Accept => {
                case.accepted_at = Some(now);
                deadlines::meet(&mut tx, id, &[Kind::Acceptance]).await?;
                deadlines::set(&mut tx, id, Kind::Service, clocks::service_due(now, &self.calendar)).await?;
                deadlines::set(&mut tx, id, Kind::TribunalNotice, clocks::tribunal_notice_due(now, &self.calendar))
                    .await?;
                deadlines::set(&mut tx, id, Kind::Award, clocks::award_due(now, 0, &self.calendar)).await?;
            }
            Action::Refuse | Action::Withdraw => {
                deadlines::meet(&mut tx, id, &[Kind::Acceptance]).await?;
                deadlines::cancel_pending(&mut tx, id).await?;
            }
            Action::Serve => {
                deadlines::meet(&mut tx, id, &[Kind::Service]).await?;
                deadlines::set(&mut tx, id, Kind::Defence, clocks::defence_due(now, &self.calendar)).await?;
            }
            Action::ReceiveDefence => deadlines::meet(&mut tx, id, &[Kind::Defence]).await?,
            Action::FormTribunal => {
                let arbitrator =
                    step.arbitrator.ok_or_else(|| ApiError::field("arbitrator", "name the presiding arbitrator"))?;
                case.arbitrator = Some(arbitrator.to_string());
                deadlines::meet(&mut tx, id, &[Kind::TribunalNotice]).await?;
            }
            Action::NoticeHearing | Action::PostponeHearing => {
                let at = step.hearing_at.ok_or_else(|| ApiError::field("hearing_at", "give the hearing's time"))?;
                if step.action == Action::PostponeHearing
                    && let Some(current) = case.hearing_at
                    && let Err(late) = clocks::check_postponement(now, current, &self.calendar)
                {
                    // Late, the commission may still grant it for a reason.
                    let Some(reason) = step.late_reason else {
                        return Err(refused(format!("{late}; the commission may grant it with a late_reason")));
                    };
                    granted_late = Some(format!("{late}; granted late by the commission: {reason}"));
                }
                clocks::check_notice(now, at, &self.calendar).map_err(|e| refused(e.to_string()))?;
                case.hearing_at = Some(at);
                deadlines::set(&mut tx, id, Kind::HearingSoon, clocks::hearing_reminder(at)).await?;
            }
            Action::HoldHearing => deadlines::meet(&mut tx, id, &[Kind::HearingSoon]).await?,
            Action::Settle | Action::Award => {
                if step.action == Action::Award {
                    case.awarded_at = Some(now);
                }
                deadlines::meet(&mut tx, id, &[Kind::Award, Kind::HearingSoon]).await?;
                deadlines::cancel_pending(&mut tx, id).await?;
            }
            Action::Close => deadlines::cancel_pending(&mut tx, id).await?,
        }
        sqlx::query(
            "UPDATE cases SET status = $2, accepted_at = $3, arbitrator = $4, hearing_at = $5, updated_at = $6,
                 awarded_at = $7, collective = $8
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
        .execute(&mut *tx)
        .await?;
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
        let note = match &granted_late {
            Some(grant) if step.note.is_empty() => grant.clone(),
            Some(grant) => format!("{}; {grant}", step.note),
            None => step.note.to_string(),
        };
        record_history(&mut tx, &case, from, step.action, step.actor, &note, now).await?;
        tx.commit().await?;
        self.get(id).await
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
        let Some(accepted) = case.accepted_at.filter(|_| case.status.awaiting_award()) else {
            return refused("only a case accepted and not yet decided has an award period");
        };
        if case.award_extension_days > 0 {
            return refused("the award period was extended once already (LDMAL Art. 43)");
        }
        if clocks::award_due(accepted, 0, &self.calendar) < now {
            return refused("the award period has run out: the claimant may sue (LDMAL Art. 43)");
        }
        let due = clocks::award_due(accepted, days, &self.calendar);
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
