//! Rental units, their inspections and grades, and the overdue-inspection
//! warnings.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_platform::Named;
use dualnet_proto::governance::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{NewIncident, Store, building_placement, open_incident, staff::lock_building, warnings};
use crate::{
    OUTBOX,
    domain::{
        escalation::Severity,
        incident::Source,
        rental::{self, Category, Grade, Hazard, HazardSeverity, RentalUnit},
    },
    wire,
};
use dualnet_platform::calendar::Calendar;

/// The category of the incident a unit graded red opens.
pub const PROHIBITED_USE: &str = "rental.prohibited_use";

const UNGRADED: &str = "ungraded";

type UnitRow = (Uuid, Uuid, Uuid, String, String, String, Option<DateTime<Utc>>, DateTime<Utc>);

const UNIT_COLUMNS: &str = "u.id, u.building_id, b.grid_id, u.code, u.category, u.grade, u.last_inspected_at,
    u.next_inspection_due";

fn unit_from((id, building_id, grid_id, code, category, grade, last, next): UnitRow) -> Result<RentalUnit, ApiError> {
    let bad = |what: &str, v: &str| ApiError::Internal(anyhow::anyhow!("stored rental unit {id} has {what} {v:?}"));
    Ok(RentalUnit {
        id,
        building_id,
        grid_id,
        code,
        category: Category::parse(&category).ok_or_else(|| bad("category", &category))?,
        grade: match grade.as_str() {
            UNGRADED => None,
            g => Some(Grade::parse(g).ok_or_else(|| bad("grade", g))?),
        },
        last_inspected_at: last,
        next_inspection_due: next,
        hazards: Vec::new(),
    })
}

fn grade_text(g: Option<Grade>) -> &'static str {
    g.map_or(UNGRADED, Grade::as_str)
}

async fn load_unit(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<RentalUnit, ApiError> {
    let lock = if lock { " FOR UPDATE OF u" } else { "" };
    let row: Option<UnitRow> = sqlx::query_as(&format!(
        "SELECT {UNIT_COLUMNS} FROM rental_units u JOIN buildings b ON b.id = u.building_id WHERE u.id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut unit = unit_from(row.ok_or_else(|| ApiError::NotFound("rental unit".into()))?)?;
    let hazards: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT h.kind, h.severity, h.note FROM inspection_hazards h
         WHERE h.inspection_id = (SELECT id FROM inspections WHERE unit_id = $1 ORDER BY inspected_at DESC, id DESC LIMIT 1)
         ORDER BY h.kind",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    unit.hazards = hazards
        .into_iter()
        .filter_map(|(kind, severity, note)| Some(Hazard { kind, severity: HazardSeverity::parse(&severity)?, note }))
        .collect();
    Ok(unit)
}

/// What an inspection found.
pub struct Inspection<'a> {
    pub inspector: &'a str,
    pub hazards: Vec<Hazard>,
    pub note: &'a str,
}

impl Store {
    pub async fn register_rental_unit(
        &self,
        building_id: Uuid,
        code: &str,
        category: Category,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<RentalUnit, ApiError> {
        let mut tx = self.pool.begin().await?;
        let building = lock_building(&mut tx, building_id).await?;
        if building.retired {
            return Err(ApiError::FailedPrecondition("the building is retired".into()));
        }
        let unit = RentalUnit {
            id: Uuid::now_v7(),
            building_id,
            grid_id: building.grid_id,
            code: code.into(),
            category,
            grade: None,
            last_inspected_at: None,
            // The first inspection is due at once.
            next_inspection_due: now,
            hazards: Vec::new(),
        };
        sqlx::query(
            "INSERT INTO rental_units (id, building_id, code, category, grade, registered_at, next_inspection_due)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(unit.id)
        .bind(building_id)
        .bind(code)
        .bind(category.as_str())
        .bind(UNGRADED)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let event = pb::RentalUnitRegistered {
            unit_id: unit.id.to_string(),
            building_id: building_id.to_string(),
            grid_id: building.grid_id.to_string(),
            category: wire::rental_category(category) as i32,
            grade: pb::RentalGrade::Unspecified as i32,
        };
        OUTBOX.append(&mut tx, unit.id, &event, chain).await?;
        tx.commit().await?;
        Ok(unit)
    }

    pub async fn rental_unit(&self, id: Uuid) -> Result<RentalUnit, ApiError> {
        let mut conn = self.pool.acquire().await?;
        load_unit(&mut conn, id, false).await
    }

    /// Records an inspection and regrades the unit from its hazards. A unit
    /// turning red opens an incident at its building: its use must stop.
    pub async fn record_inspection(
        &self,
        id: Uuid,
        inspection: Inspection<'_>,
        chain: &Chain,
        now: DateTime<Utc>,
    ) -> Result<RentalUnit, ApiError> {
        let mut tx = self.pool.begin().await?;
        let unit = inspect(&mut tx, &self.calendar, id, inspection, (chain, now)).await?;
        tx.commit().await?;
        Ok(unit)
    }

    /// Rental units of a grid due for inspection by `due_by`, soonest first,
    /// after `after` (due time, unit id) when given.
    pub async fn inspections_due(
        &self,
        grid_id: Uuid,
        due_by: DateTime<Utc>,
        limit: i64,
        after: Option<(DateTime<Utc>, Uuid)>,
    ) -> Result<Vec<RentalUnit>, ApiError> {
        let rows: Vec<UnitRow> = sqlx::query_as(&format!(
            "SELECT {UNIT_COLUMNS} FROM rental_units u JOIN buildings b ON b.id = u.building_id
             WHERE b.grid_id = $1 AND b.retired_at IS NULL AND u.next_inspection_due <= $2
               AND ($4::timestamptz IS NULL OR (u.next_inspection_due, u.id) > ($4, $5))
             ORDER BY u.next_inspection_due, u.id LIMIT $3"
        ))
        .bind(grid_id)
        .bind(due_by)
        .bind(limit)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(unit_from).collect()
    }

    /// Raises one warning per missed inspection: each unit whose inspection
    /// fell due before `now` and has not been warned about for that due time.
    pub async fn warn_overdue_inspections(&self, now: DateTime<Utc>, limit: i64) -> Result<usize, ApiError> {
        let mut tx = self.pool.begin().await?;
        let due: Vec<(Uuid, Uuid, DateTime<Utc>)> = sqlx::query_as(
            "SELECT u.id, b.grid_id, u.next_inspection_due FROM rental_units u JOIN buildings b ON b.id = u.building_id
             WHERE u.next_inspection_due < $1 AND b.retired_at IS NULL
               AND u.overdue_warned_for IS DISTINCT FROM u.next_inspection_due
             ORDER BY u.next_inspection_due LIMIT $2 FOR UPDATE OF u SKIP LOCKED",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for (unit_id, grid_id, due_at) in &due {
            let warning = warnings::NewWarning {
                kind: crate::domain::warning::Kind::InspectionOverdue,
                rule: None,
                subject_id: *unit_id,
                grid_id: Some(*grid_id),
                count: 1,
                incident_id: None,
            };
            warnings::raise(&mut tx, &warning, &Chain::start(Uuid::now_v7()), now).await?;
            sqlx::query("UPDATE rental_units SET overdue_warned_for = $2 WHERE id = $1")
                .bind(unit_id)
                .bind(due_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }
}

/// Records an inspection in the caller's transaction (a grid worker's, or
/// a patrol's finding) and regrades the unit from its hazards. A unit
/// turning red opens an incident at its building: its use must stop.
pub(super) async fn inspect(
    conn: &mut PgConnection,
    calendar: &Calendar,
    id: Uuid,
    inspection: Inspection<'_>,
    (chain, now): (&Chain, DateTime<Utc>),
) -> Result<RentalUnit, ApiError> {
    let mut unit = load_unit(&mut *conn, id, true).await?;
    let before = unit.grade;
    let after = rental::grade(&inspection.hazards);
    let inspection_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO inspections (id, unit_id, inspector, inspected_at, grade_before, grade_after, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(inspection_id)
    .bind(id)
    .bind(inspection.inspector)
    .bind(now)
    .bind(grade_text(before))
    .bind(after.as_str())
    .bind(inspection.note)
    .execute(&mut *conn)
    .await?;
    let kinds: Vec<&str> = inspection.hazards.iter().map(|h| h.kind.as_str()).collect();
    let severities: Vec<&str> = inspection.hazards.iter().map(|h| h.severity.as_str()).collect();
    let notes: Vec<&str> = inspection.hazards.iter().map(|h| h.note.as_str()).collect();
    sqlx::query(
        "INSERT INTO inspection_hazards (inspection_id, kind, severity, note)
         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[])",
    )
    .bind(inspection_id)
    .bind(&kinds)
    .bind(&severities)
    .bind(&notes)
    .execute(&mut *conn)
    .await?;
    unit.grade = Some(after);
    unit.last_inspected_at = Some(now);
    unit.next_inspection_due = rental::next_due(after, now);
    unit.hazards = inspection.hazards;
    sqlx::query("UPDATE rental_units SET grade = $2, last_inspected_at = $3, next_inspection_due = $4 WHERE id = $1")
        .bind(id)
        .bind(after.as_str())
        .bind(now)
        .bind(unit.next_inspection_due)
        .execute(&mut *conn)
        .await?;
    let event = pb::InspectionRecorded {
        unit_id: id.to_string(),
        building_id: unit.building_id.to_string(),
        grid_id: unit.grid_id.to_string(),
        grade_before: before.map_or(pb::RentalGrade::Unspecified, wire::rental_grade) as i32,
        grade_after: wire::rental_grade(after) as i32,
        hazards: i32::try_from(unit.hazards.len()).unwrap_or(i32::MAX),
        next_inspection_due: Some(dualnet_platform::timestamp::to_proto(unit.next_inspection_due)),
    };
    OUTBOX.append(&mut *conn, id, &event, chain).await?;
    if after == Grade::Red && before != Some(Grade::Red) {
        let placement = building_placement(&mut *conn, unit.building_id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("building {} left the map", unit.building_id)))?;
        let hazards = unit.hazards.iter().map(|h| h.kind.as_str()).collect::<Vec<_>>().join(", ");
        let new = NewIncident {
            placement,
            category: PROHIBITED_USE.into(),
            summary: format!("rental unit {} graded red, use prohibited: {hazards}", unit.code),
            source: Source::GridWorker,
            complaint_id: None,
            reporter: inspection.inspector.into(),
            severity: Severity::Normal,
            enterprise_id: None,
            topic_id: None,
        };
        open_incident(&mut *conn, calendar, new, chain, now).await?;
    }
    Ok(unit)
}
