//! arbitration's database: cases.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_proto::arbitration::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    OUTBOX,
    domain::{
        case::{Case, CaseStatus},
        risk,
    },
};

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    complaint_id: Option<Uuid>,
    enterprise_id: Option<Uuid>,
    category: String,
    claimants: i32,
    status: String,
    collective: bool,
    correlation_id: Uuid,
    applied_at: DateTime<Utc>,
    acceptance_due: DateTime<Utc>,
}

const COLUMNS: &str = "id, complaint_id, enterprise_id, category, claimants, status, collective, correlation_id, applied_at, acceptance_due";

impl Row {
    fn into_case(self) -> Result<Case, sqlx::Error> {
        let status = CaseStatus::parse(&self.status)
            .ok_or_else(|| sqlx::Error::Protocol(format!("stored case status {:?}", self.status)))?;
        Ok(Case {
            id: self.id,
            complaint_id: self.complaint_id,
            enterprise_id: self.enterprise_id,
            category: self.category,
            claimants: self.claimants,
            status,
            collective: self.collective,
            correlation_id: self.correlation_id,
            applied_at: self.applied_at,
            acceptance_due: self.acceptance_due,
        })
    }
}

#[derive(Debug, Default)]
pub struct CaseFilter {
    pub enterprise_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
    pub limit: i64,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn get(&self, id: Uuid) -> Result<Case, ApiError> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.ok_or_else(|| ApiError::NotFound("case".into()))?.into_case()?)
    }

    pub async fn list(&self, filter: &CaseFilter) -> Result<Vec<Case>, ApiError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM cases
             WHERE ($1::uuid IS NULL OR enterprise_id = $1) AND ($2::uuid IS NULL OR complaint_id = $2)
             ORDER BY applied_at DESC, id LIMIT $3"
        ))
        .bind(filter.enterprise_id)
        .bind(filter.complaint_id)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Row::into_case).collect::<Result<_, _>>()?)
    }
}

/// Records a case opened from a complaint (once per complaint) and
/// announces it.
pub async fn open_case(conn: &mut PgConnection, case: &Case, chain: &Chain) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO cases (id, complaint_id, enterprise_id, category, claimants, status, collective, correlation_id,
                            applied_at, acceptance_due, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) ON CONFLICT (complaint_id) DO NOTHING",
    )
    .bind(case.id)
    .bind(case.complaint_id)
    .bind(case.enterprise_id)
    .bind(&case.category)
    .bind(case.claimants)
    .bind(case.status.as_str())
    .bind(case.collective)
    .bind(case.correlation_id)
    .bind(case.applied_at)
    .bind(case.acceptance_due)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    let text = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    let event = pb::CaseOpened {
        case_id: case.id.to_string(),
        complaint_id: text(case.complaint_id),
        enterprise_id: text(case.enterprise_id),
        category: case.category.clone(),
        claimants: case.claimants,
        collective: case.collective,
    };
    OUTBOX.append(conn, case.id, &event, chain).await?;
    if let Some(enterprise) = case.enterprise_id {
        raise_risk_if_due(conn, enterprise, case.collective, case.applied_at, chain).await?;
    }
    Ok(true)
}

/// Raises an enterprise risk when the rule says so and none is raised within
/// the window already.
async fn raise_risk_if_due(
    conn: &mut PgConnection,
    enterprise: Uuid,
    collective: bool,
    now: DateTime<Utc>,
    chain: &Chain,
) -> Result<(), sqlx::Error> {
    // Serialises risk decisions per enterprise.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind(enterprise.to_string())
        .execute(&mut *conn)
        .await?;
    let since = now - chrono::Duration::days(risk::RISK_WINDOW_DAYS);
    let recent: i64 = sqlx::query_scalar("SELECT count(*) FROM cases WHERE enterprise_id = $1 AND applied_at > $2")
        .bind(enterprise)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    let Some(reason) = risk::assess(recent, collective) else { return Ok(()) };
    let raised: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM enterprise_risks WHERE enterprise_id = $1 AND raised_at > $2)",
    )
    .bind(enterprise)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    if raised {
        return Ok(());
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO enterprise_risks (id, enterprise_id, recent_cases, collective, reason, raised_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(enterprise)
    .bind(i32::try_from(recent).unwrap_or(i32::MAX))
    .bind(collective)
    .bind(&reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let event = pb::EnterpriseRiskRaised {
        enterprise_id: enterprise.to_string(),
        recent_cases: i32::try_from(recent).unwrap_or(i32::MAX),
        collective,
        reason,
    };
    OUTBOX.append(conn, enterprise, &event, chain).await?;
    Ok(())
}
