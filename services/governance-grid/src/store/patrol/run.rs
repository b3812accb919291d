//! Patrol plans over the community's buildings, runs with their check-ins
//! and findings (each finding opens an incident at its building), the
//! warning a missed run raises, and weekly coverage.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::domain::{
    escalation::Severity,
    incident::Source,
    notice::NoticeKind,
    patrol::{self, CheckIn, Committee, Finding, Found, Plan, Run},
    warning::Kind,
};

/// A plan as the edge validated it.
pub struct NewPlan {
    pub committee_id: Uuid,
    pub name: String,
    pub route: Vec<Uuid>,
    /// Grids whose every building joins the route after `route`.
    pub grids: Vec<Uuid>,
    pub every_days: u32,
    pub team: Vec<Uuid>,
    /// A public campaign, and what residents read of it.
    pub campaign: Option<String>,
}

/// One committee's week of patrols.
pub struct Coverage {
    pub committee_id: Uuid,
    pub community_id: Uuid,
    pub buildings_on_routes: i64,
    pub buildings_patrolled: i64,
    pub runs: i64,
    pub complete_runs: i64,
    pub plans_overdue: i64,
}

type PlanRow = (Uuid, Uuid, Uuid, String, Vec<Uuid>, i32, Vec<Uuid>, bool, DateTime<Utc>);

async fn load_plan(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Plan, ApiError> {
    let row: Option<PlanRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.committee_id, c.community_id, p.name, p.route, p.every_days, p.team, p.campaign, p.next_due
         FROM patrol_plans p JOIN security_committees c ON c.id = p.committee_id WHERE p.id = $1 {}",
        if lock { "FOR UPDATE OF p" } else { "" }
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let (id, committee_id, community_id, name, route, every_days, team, campaign, next_due) =
        row.ok_or_else(|| ApiError::NotFound("patrol plan".into()))?;
    let every_days = every_days.unsigned_abs();
    Ok(Plan { id, committee_id, community_id, name, route, every_days, team, campaign, next_due })
}

/// An incident per finding, at its building, each noted on the run.
async fn open_findings(
    conn: &mut PgConnection,
    calendar: &Calendar,
    run: Uuid,
    findings: &mut [Finding],
    (actor, chain, now): (&str, &Chain, DateTime<Utc>),
) -> Result<(), ApiError> {
    for (seq, f) in findings.iter_mut().enumerate() {
        let (category, rental_unit) = match &f.found {
            Found::Incident { category } => {
                let placement = building_placement(&mut *conn, f.building_id).await?.ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("a route building without a grid: {}", f.building_id))
                })?;
                let new = NewIncident {
                    placement,
                    category: category.clone(),
                    summary: f.summary.clone(),
                    source: Source::Patrol,
                    complaint_id: None,
                    reporter: actor.into(),
                    severity: Severity::Normal,
                    enterprise_id: None,
                    topic_id: None,
                };
                f.incident_id = Some(open_incident(&mut *conn, calendar, new, chain, now).await?.id);
                (category.clone(), None)
            }
            Found::Hazards { rental_unit_id, hazards } => {
                let at: Option<Uuid> = sqlx::query_scalar("SELECT building_id FROM rental_units WHERE id = $1")
                    .bind(rental_unit_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                if at != Some(f.building_id) {
                    let field = format!("findings[{seq}].rental_unit_id");
                    return Err(ApiError::field(&field, "no rental unit of the finding's building"));
                }
                let inspection = Inspection { inspector: actor, hazards: hazards.clone(), note: &f.summary };
                super::super::rental::inspect(&mut *conn, calendar, *rental_unit_id, inspection, (chain, now)).await?;
                (String::from("rental.hazard"), Some(*rental_unit_id))
            }
        };
        sqlx::query(
            "INSERT INTO patrol_findings (run_id, seq, building_id, category, summary, incident_id, rental_unit_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(run)
        .bind(i32::try_from(seq).unwrap_or(i32::MAX))
        .bind(f.building_id)
        .bind(category)
        .bind(&f.summary)
        .bind(f.incident_id)
        .bind(rental_unit)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The route of a new plan: the buildings named, then every building of
/// the grids named, each once, all of the committee's community; and the
/// team all of its members.
async fn route_of(conn: &mut PgConnection, committee: &Committee, new: &NewPlan) -> Result<Vec<Uuid>, ApiError> {
    let foreign: Vec<Uuid> = sqlx::query_scalar(
        "SELECT r FROM UNNEST($1::uuid[]) r
         WHERE NOT EXISTS (SELECT 1 FROM grids g WHERE g.id = r AND g.community_id = $2)",
    )
    .bind(&new.grids)
    .bind(committee.community_id)
    .fetch_all(&mut *conn)
    .await?;
    if let Some(g) = foreign.first() {
        return Err(ApiError::field("grid_ids", format!("{g} is no grid of the committee's community")));
    }
    let of_grids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT b.id FROM buildings b WHERE b.grid_id = ANY($1) AND b.retired_at IS NULL ORDER BY b.code, b.id",
    )
    .bind(&new.grids)
    .fetch_all(&mut *conn)
    .await?;
    let mut route = new.route.clone();
    route.extend(of_grids.into_iter().filter(|b| !new.route.contains(b)));
    let outside: Vec<Uuid> = sqlx::query_scalar(
        "SELECT r FROM UNNEST($1::uuid[]) r WHERE NOT EXISTS (
             SELECT 1 FROM buildings b JOIN grids g ON g.id = b.grid_id
             WHERE b.id = r AND g.community_id = $2 AND b.retired_at IS NULL)",
    )
    .bind(&route)
    .bind(committee.community_id)
    .fetch_all(&mut *conn)
    .await?;
    if route.is_empty() {
        return Err(ApiError::field("grid_ids", "the grids hold no building to patrol"));
    }
    if let Some(b) = outside.first() {
        return Err(ApiError::field("building_ids", format!("{b} is no building of the committee's community")));
    }
    let strangers: Vec<Uuid> = sqlx::query_scalar(
        "SELECT t FROM UNNEST($1::uuid[]) t
         WHERE NOT EXISTS (SELECT 1 FROM patrol_members m WHERE m.id = t AND m.committee_id = $2)",
    )
    .bind(&new.team)
    .bind(committee.id)
    .fetch_all(&mut *conn)
    .await?;
    if let Some(m) = strangers.first() {
        return Err(ApiError::field("team_member_ids", format!("{m} is no member of the committee")));
    }
    Ok(route)
}

impl Store {
    pub async fn create_plan(&self, new: NewPlan, chain: &Chain, now: DateTime<Utc>) -> Result<Plan, ApiError> {
        let mut tx = self.pool.begin().await?;
        let committee = load_committee(&mut tx, new.committee_id).await?;
        let route = route_of(&mut tx, &committee, &new).await?;
        let plan = Plan {
            id: Uuid::now_v7(),
            committee_id: committee.id,
            community_id: committee.community_id,
            name: new.name,
            route,
            every_days: new.every_days,
            team: new.team,
            campaign: new.campaign.is_some(),
            next_due: patrol::next_due(now, new.every_days),
        };
        sqlx::query(
            "INSERT INTO patrol_plans (id, committee_id, name, route, every_days, team, campaign, created_at, next_due)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(plan.id)
        .bind(plan.committee_id)
        .bind(&plan.name)
        .bind(&plan.route)
        .bind(i32::try_from(plan.every_days).unwrap_or(i32::MAX))
        .bind(&plan.team)
        .bind(plan.campaign)
        .bind(now)
        .bind(plan.next_due)
        .execute(&mut *tx)
        .await?;
        let event = pb::PatrolPlanned {
            plan_id: plan.id.to_string(),
            committee_id: plan.committee_id.to_string(),
            community_id: plan.community_id.to_string(),
            building_ids: plan.route.iter().map(ToString::to_string).collect(),
            every_days: i32::try_from(plan.every_days).unwrap_or(i32::MAX),
            campaign: plan.campaign,
        };
        OUTBOX.append(&mut tx, plan.id, &event, chain).await?;
        if let Some(text) = &new.campaign {
            let title = format!("治保会巡逻 · {}", plan.name);
            let subject = (plan.community_id, NoticeKind::PatrolCampaign, plan.id);
            publish_notice(&mut tx, subject, (&title, text), chain, now).await?;
        }
        tx.commit().await?;
        Ok(plan)
    }

    pub async fn plan(&self, id: Uuid) -> Result<Plan, ApiError> {
        load_plan(&mut *self.pool.acquire().await?, id, false).await
    }

    /// Records a run: its check-ins, an incident per finding, the next due
    /// time.
    pub async fn record_run(
        &self,
        plan_id: Uuid,
        (check_ins, mut findings): (Vec<CheckIn>, Vec<Finding>),
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Run, ApiError> {
        let mut tx = self.pool.begin().await?;
        let plan = load_plan(&mut tx, plan_id, true).await?;
        let missed = patrol::check_run(&plan, &check_ins, &findings, now)
            .map_err(|(field, why)| ApiError::field(&field, why))?;
        let run = Uuid::now_v7();
        let checked = plan.route.len() - missed.len();
        let (planned, checked) = (i32::try_from(plan.route.len()).unwrap_or(i32::MAX), checked);
        let chain = Chain::start(Uuid::now_v7());
        sqlx::query(
            "INSERT INTO patrol_runs (id, plan_id, recorded_at, recorded_by, buildings_planned, buildings_checked,
                 complete) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(run)
        .bind(plan_id)
        .bind(now)
        .bind(actor)
        .bind(planned)
        .bind(i32::try_from(checked).unwrap_or(i32::MAX))
        .bind(missed.is_empty())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO patrol_check_ins (run_id, building_id, member_id, at)
             SELECT $1, * FROM UNNEST($2::uuid[], $3::uuid[], $4::timestamptz[])",
        )
        .bind(run)
        .bind(check_ins.iter().map(|c| c.building_id).collect::<Vec<_>>())
        .bind(check_ins.iter().map(|c| c.member_id).collect::<Vec<_>>())
        .bind(check_ins.iter().map(|c| c.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        open_findings(&mut tx, &self.calendar, run, &mut findings, (actor, &chain, now)).await?;
        sqlx::query("UPDATE patrol_plans SET next_due = $2 WHERE id = $1")
            .bind(plan_id)
            .bind(patrol::next_due(now, plan.every_days))
            .execute(&mut *tx)
            .await?;
        if !missed.is_empty() {
            let grid_id: Option<Uuid> = sqlx::query_scalar("SELECT grid_id FROM buildings WHERE id = $1")
                .bind(missed[0])
                .fetch_optional(&mut *tx)
                .await?;
            let warning = warnings::NewWarning {
                kind: Kind::PatrolIncomplete,
                rule: None,
                subject_id: plan_id,
                grid_id,
                count: u32::try_from(missed.len()).unwrap_or(u32::MAX),
                incident_id: None,
            };
            warnings::raise(&mut tx, &warning, &chain, now).await?;
        }
        let event = pb::PatrolRunRecorded {
            run_id: run.to_string(),
            plan_id: plan_id.to_string(),
            committee_id: plan.committee_id.to_string(),
            community_id: plan.community_id.to_string(),
            buildings_planned: planned,
            buildings_checked: i32::try_from(checked).unwrap_or(i32::MAX),
            complete: missed.is_empty(),
            incident_ids: findings.iter().filter_map(|f| f.incident_id).map(|i| i.to_string()).collect(),
        };
        OUTBOX.append(&mut tx, plan_id, &event, &chain).await?;
        tx.commit().await?;
        Ok(Run { id: run, plan_id, recorded_at: now, check_ins, findings, missed })
    }

    /// Plans whose run is past due raise a warning, once per due time.
    pub async fn warn_missed_patrols(&self, now: DateTime<Utc>, limit: i64) -> Result<usize, ApiError> {
        let mut tx = self.pool.begin().await?;
        let due: Vec<(Uuid, DateTime<Utc>, Option<Uuid>)> = sqlx::query_as(
            "SELECT p.id, p.next_due, (SELECT b.grid_id FROM buildings b WHERE b.id = p.route[1])
             FROM patrol_plans p WHERE p.next_due < $1 AND p.missed_warned_for IS DISTINCT FROM p.next_due
             ORDER BY p.next_due LIMIT $2 FOR UPDATE OF p SKIP LOCKED",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for (plan, next_due, grid_id) in &due {
            let warning = warnings::NewWarning {
                kind: Kind::PatrolMissed,
                rule: None,
                subject_id: *plan,
                grid_id: *grid_id,
                count: 1,
                incident_id: None,
            };
            warnings::raise(&mut tx, &warning, &Chain::start(Uuid::now_v7()), now).await?;
            sqlx::query("UPDATE patrol_plans SET missed_warned_for = $2 WHERE id = $1")
                .bind(plan)
                .bind(next_due)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }

    /// The week ending at `end` for `committee` (or every committee).
    pub async fn patrol_coverage(
        &self,
        committee: Option<Uuid>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Coverage>, ApiError> {
        type Row = (Uuid, Uuid, i64, i64, i64, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.id, c.community_id,
                 (SELECT count(DISTINCT r) FROM patrol_plans p, UNNEST(p.route) r WHERE p.committee_id = c.id),
                 (SELECT count(DISTINCT ci.building_id) FROM patrol_check_ins ci JOIN patrol_runs pr ON pr.id = ci.run_id
                    JOIN patrol_plans p ON p.id = pr.plan_id
                  WHERE p.committee_id = c.id AND ci.at > $2 - interval '7 days' AND ci.at <= $2),
                 (SELECT count(*) FROM patrol_runs pr JOIN patrol_plans p ON p.id = pr.plan_id
                  WHERE p.committee_id = c.id AND pr.recorded_at > $2 - interval '7 days' AND pr.recorded_at <= $2),
                 (SELECT count(*) FROM patrol_runs pr JOIN patrol_plans p ON p.id = pr.plan_id
                  WHERE p.committee_id = c.id AND pr.complete
                    AND pr.recorded_at > $2 - interval '7 days' AND pr.recorded_at <= $2),
                 (SELECT count(*) FROM patrol_plans p WHERE p.committee_id = c.id AND p.next_due < $2)
             FROM security_committees c WHERE $1::uuid IS NULL OR c.id = $1 ORDER BY c.id",
        )
        .bind(committee)
        .bind(end)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(committee_id, community_id, on_routes, patrolled, runs, complete, overdue)| Coverage {
                committee_id,
                community_id,
                buildings_on_routes: on_routes,
                buildings_patrolled: patrolled,
                runs,
                complete_runs: complete,
                plans_overdue: overdue,
            })
            .collect())
    }
}
