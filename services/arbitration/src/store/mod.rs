//! arbitration's database: cases with their parties, claims, history and
//! statutory deadlines, and enterprise risk. Every change is written
//! together with its outbox event.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
// Dates are the commission's: China Standard Time.
use dualnet_events::Chain;
use dualnet_platform::calendar::{china_date, start_of_day};
use dualnet_platform::{ApiError, calendar::Calendar, sealing::Sealer};
use dualnet_proto::arbitration::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    OUTBOX,
    domain::{
        award::Claim,
        case::{Action, Case, Claimant, LimitationFacts, Status, transition},
        clocks::{self, Deadline, Kind},
        limitation::{self, Limitation},
    },
    wire,
};

mod case;
mod deadlines;
mod lifecycle;
mod map;
mod parties;
mod personal_data;
mod risk;

use case::{COLUMNS, Row, lock_case, views};
use parties::write_parties;

pub use map::{remember_community, remember_enterprise, remember_grid};
pub use risk::Trigger;

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    calendar: Arc<Calendar>,
    /// Seals claimants' personal data at rest, when keys are configured.
    sealer: Option<Arc<Sealer>>,
}

/// A case with everything shown beside it.
pub struct CaseView {
    pub case: Case,
    pub deadlines: Vec<Deadline>,
    pub limitation: Option<Limitation>,
    pub time_barred: bool,
    /// The parties' representatives (token subjects).
    pub representatives: Vec<String>,
}

/// Whose cases a confined caller sees (the commission is not confined):
/// those naming `representative` among the parties' representatives;
/// none when it is `None`.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub representative: Option<String>,
}

#[derive(Debug, Default)]
pub struct CaseFilter {
    pub enterprise_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
    pub arbitrator: Option<String>,
    pub status: Option<Status>,
    pub opened_from: Option<DateTime<Utc>>,
    pub opened_to: Option<DateTime<Utc>>,
    pub limit: i64,
    /// Only cases after this (opening time, id) in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// `None`: every case.
    pub reach: Option<Reach>,
}

/// An application: a new case, or the completion of a draft.
pub struct Application {
    pub draft_id: Option<Uuid>,
    pub enterprise_id: Option<Uuid>,
    pub respondent: String,
    pub category: String,
    /// How many workers claim: at least the claimants listed.
    pub workers: i32,
    pub claimants: Vec<Claimant>,
    pub claims: Vec<Claim>,
    pub facts: String,
    pub limitation: LimitationFacts,
    pub mediation_started_on: Option<NaiveDate>,
    /// Added to the case's representatives.
    pub representatives: Vec<String>,
}

/// One move along the lifecycle.
pub struct Step<'a> {
    pub action: Action,
    pub actor: &'a str,
    pub note: &'a str,
    pub arbitrator: Option<&'a str>,
    pub hearing_at: Option<DateTime<Utc>>,
    /// The commission's reason for granting a late postponement.
    pub late_reason: Option<&'a str>,
    /// For an award: what it grants on each claim, in their order.
    pub awarded: &'a [i64],
    /// For handling simply: the ground of Rules Art. 56.
    pub simple_ground: Option<crate::domain::procedure::SimpleGround>,
    /// For shortening the defence (Rules Art. 58): the working days left
    /// from service (0: waived), agreed by the respondent.
    pub defence_days: Option<u32>,
}

async fn record_history(
    conn: &mut PgConnection,
    case: &Case,
    from: Status,
    action: Action,
    actor: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_history (case_id, from_status, to_status, action, actor, note, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(case.id)
    .bind(from.as_str())
    .bind(case.status.as_str())
    .bind(action.as_str())
    .bind(actor)
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let event = pb::CaseTransitioned {
        case_id: case.id.to_string(),
        enterprise_id: id_text(case.enterprise_id),
        from_status: wire::status(from) as i32,
        to_status: wire::status(case.status) as i32,
        action: wire::action(action) as i32,
        collective: case.collective(),
    };
    OUTBOX.append(conn, case.id, &event, &Chain::start(case.correlation_id)).await?;
    Ok(())
}

impl Store {
    pub fn new(pool: PgPool, calendar: Arc<Calendar>) -> Self {
        Self { pool, calendar, sealer: None }
    }

    /// The working-day calendar the clocks count by.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Seals claimants' personal data with `sealer` from now on.
    pub fn sealing(mut self, sealer: Option<Arc<Sealer>>) -> Self {
        self.sealer = sealer;
        self
    }

    pub async fn get(&self, id: Uuid) -> Result<CaseView, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let row = row.ok_or_else(|| ApiError::NotFound("case".into()))?;
        Ok(views(&mut conn, self.sealer.as_deref(), vec![row]).await?.remove(0))
    }

    pub async fn list(&self, filter: &CaseFilter) -> Result<Vec<CaseView>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM cases
             WHERE ($1::uuid IS NULL OR enterprise_id = $1) AND ($2::uuid IS NULL OR complaint_id = $2)
               AND ($3::text IS NULL OR arbitrator = $3)
               AND (NOT $5 OR id IN (SELECT case_id FROM case_representatives WHERE sub = $6))
               AND ($7::text IS NULL OR status = $7)
               AND ($8::timestamptz IS NULL OR opened_at >= $8) AND ($9::timestamptz IS NULL OR opened_at < $9)
               AND ($10::timestamptz IS NULL OR (opened_at, id) < ($10, $11))
             ORDER BY opened_at DESC, id DESC LIMIT $4"
        ))
        .bind(filter.enterprise_id)
        .bind(filter.complaint_id)
        .bind(&filter.arbitrator)
        .bind(filter.limit)
        .bind(filter.reach.is_some())
        .bind(filter.reach.as_ref().and_then(|r| r.representative.as_deref()))
        .bind(filter.status.map(Status::as_str))
        .bind(filter.opened_from)
        .bind(filter.opened_to)
        .bind(filter.after.map(|a| a.0))
        .bind(filter.after.map(|a| a.1))
        .fetch_all(&mut *conn)
        .await?;
        views(&mut conn, self.sealer.as_deref(), rows).await
    }

    /// Takes an application: a new case, or a draft completed. Starts the
    /// acceptance clock (Art. 29) and, when mediation is still under way,
    /// the mediation clock (Art. 14); works out the limitation (Art. 27).
    pub async fn apply(&self, app: Application, chain: &Chain, now: DateTime<Utc>) -> Result<CaseView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let applied_on = china_date(now);
        let f = &app.limitation;
        // Each claim its own period (Art. 27).
        let mut claims = app.claims.clone();
        let limitation = limitation::of_application(f, app.mediation_started_on, &mut claims, applied_on, |d| {
            self.calendar.is_working_day(d)
        });
        let expires = match limitation {
            Some(Limitation::Expires(d)) => Some(d),
            _ => None,
        };
        let time_barred = limitation.is_some_and(|l| l.bars(applied_on));
        let (id, from, new) = match app.draft_id {
            Some(draft) => {
                let case = lock_case(&mut tx, draft).await?;
                transition(case.status, Action::Apply).map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;
                (draft, Some(case.status), false)
            }
            None => (Uuid::now_v7(), None, true),
        };
        write_application(&mut tx, id, new, &app, (expires, time_barred), chain, now).await?;
        write_parties(&mut tx, self.sealer.as_deref(), id, &app.claimants, &claims).await?;
        deadlines::set(&mut tx, id, Kind::Acceptance, clocks::acceptance_due(now, &self.calendar)).await?;
        if let Some(started) = app.mediation_started_on {
            let over = clocks::mediation_over(start_of_day(started), &self.calendar);
            if over > now {
                deadlines::set(&mut tx, id, Kind::MediationOver, over).await?;
            }
        }
        let case = lock_case(&mut tx, id).await?;
        match from {
            Some(from) => record_history(&mut tx, &case, from, Action::Apply, "applicant", "", now).await?,
            None => announce_opened(&mut tx, &case, chain, now).await?,
        }
        tx.commit().await?;
        self.get(id).await
    }
}

/// The application's row: the case inserted first when it is new, then
/// every fact the application states; its representatives added.
/// `limitation` is the application's last day and whether it is past.
async fn write_application(
    tx: &mut PgConnection,
    id: Uuid,
    new: bool,
    app: &Application,
    (expires, time_barred): (Option<NaiveDate>, bool),
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let f = &app.limitation;
    let claimant_count = app.workers.max(i32::try_from(app.claimants.len()).unwrap_or(i32::MAX));
    if new {
        sqlx::query(
            "INSERT INTO cases (id, category, claimant_count, status, collective, correlation_id, opened_at, updated_at)
             VALUES ($1, $2, $3, 'applied', false, $4, $5, $5)",
        )
        .bind(id)
        .bind(&app.category)
        .bind(claimant_count)
        .bind(chain.correlation_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let (suspensions_from, suspensions_to): (Vec<NaiveDate>, Vec<NaiveDate>) =
        f.suspensions.iter().map(|s| (s.from, s.to)).unzip();
    sqlx::query(
        "UPDATE cases SET status = 'applied', enterprise_id = COALESCE($2, enterprise_id), respondent = $3,
             category = $4, claimant_count = GREATEST($5, claimant_count),
             collective = accepted_at IS NOT NULL AND GREATEST($5, claimant_count) >= $6,
             facts = $7, applied_at = $8, right_known_on = $9, employment_ended_on = $10, interruptions = $11,
             suspensions_from = $12, suspensions_to = $13, mediation_started_on = $14, limitation_expires = $15,
             time_barred = $16, updated_at = $8
         WHERE id = $1",
    )
    .bind(id)
    .bind(app.enterprise_id)
    .bind(&app.respondent)
    .bind(&app.category)
    .bind(claimant_count)
    .bind(crate::domain::case::COLLECTIVE_MIN_WORKERS)
    .bind(&app.facts)
    .bind(now)
    .bind(f.right_known_on)
    .bind(f.employment_ended_on)
    .bind(&f.interruptions)
    .bind(&suspensions_from)
    .bind(&suspensions_to)
    .bind(app.mediation_started_on)
    .bind(expires)
    .bind(time_barred)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO case_representatives (case_id, sub) SELECT $1, UNNEST($2::text[]) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(&app.representatives)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Announces a case opened by an application and counts it toward its
/// enterprise's risk.
async fn announce_opened(
    tx: &mut PgConnection,
    case: &Case,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let id = case.id;
    let event = pb::CaseOpened {
        case_id: id.to_string(),
        complaint_id: String::new(),
        enterprise_id: id_text(case.enterprise_id),
        category: case.category.clone(),
        claimants: case.claimant_count,
        collective: case.collective(),
        status: pb::CaseStatus::Applied as i32,
    };
    OUTBOX.append(&mut *tx, id, &event, chain).await?;
    if let Some(enterprise) = case.enterprise_id {
        risk::raise_if_due(&mut *tx, enterprise, Trigger::Case { collective: case.collective() }, now, chain).await?;
    }
    Ok(())
}

/// Records a draft application opened from a labour complaint (once per
/// complaint) and announces it; the case counts toward the enterprise's
/// risk at once.
pub async fn open_draft(conn: &mut PgConnection, case: &Case, chain: &Chain) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO cases (id, complaint_id, enterprise_id, category, claimant_count, status, collective, correlation_id,
                            opened_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (complaint_id) DO NOTHING",
    )
    .bind(case.id)
    .bind(case.complaint_id)
    .bind(case.enterprise_id)
    .bind(&case.category)
    .bind(case.claimant_count)
    .bind(case.status.as_str())
    .bind(case.collective())
    .bind(case.correlation_id)
    .bind(case.opened_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    let event = pb::CaseOpened {
        case_id: case.id.to_string(),
        complaint_id: id_text(case.complaint_id),
        enterprise_id: id_text(case.enterprise_id),
        category: case.category.clone(),
        claimants: case.claimant_count,
        collective: case.collective(),
        status: wire::status(case.status) as i32,
    };
    OUTBOX.append(conn, case.id, &event, chain).await?;
    if let Some(enterprise) = case.enterprise_id {
        risk::raise_if_due(conn, enterprise, Trigger::Case { collective: case.collective() }, case.opened_at, chain)
            .await?;
    }
    Ok(true)
}
