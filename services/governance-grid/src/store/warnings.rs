//! Early warning: the rules, the check run as each incident opens, and the
//! warnings raised.

use chrono::{DateTime, Duration, Utc};
use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_platform::{ApiError, calendar::Calendar};
use dualnet_proto::governance::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{NewIncident, Store, insert_incident};

/// Which warnings a list shows, and from where.
#[derive(Debug, Default)]
pub struct WarningFilter {
    pub grid_id: Option<Uuid>,
    pub kind: Option<Kind>,
    pub raised_from: Option<DateTime<Utc>>,
    pub raised_to: Option<DateTime<Utc>>,
    pub limit: i64,
    /// Only warnings after this (time raised, id) in the list's order.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}
use crate::{
    OUTBOX,
    domain::{
        escalation::Severity,
        incident::{Incident, Placement, Source},
        warning::{Kind, Rule, Scope, Warning},
    },
    wire,
};

/// A warning to raise: a rule's (code and scope) or, without a rule, an
/// overdue inspection.
pub struct NewWarning {
    pub kind: Kind,
    /// For `Kind::Rule`: the rule that fired.
    pub rule: Option<(String, Scope)>,
    pub subject_id: Uuid,
    pub grid_id: Option<Uuid>,
    pub count: u32,
    pub incident_id: Option<Uuid>,
}

type RuleRow = (String, String, String, String, i32, i32, String, bool);

const RULE_COLUMNS: &str = "code, name, category_prefix, scope, threshold, window_days, severity, enabled";

fn rule_from((code, name, category_prefix, scope, threshold, window_days, severity, enabled): RuleRow) -> Option<Rule> {
    Some(Rule {
        scope: Scope::parse(&scope)?,
        severity: Severity::parse(&severity)?,
        threshold: u32::try_from(threshold).ok()?,
        window_days: u32::try_from(window_days).ok()?,
        code,
        name,
        category_prefix,
        enabled,
    })
}

/// Records a warning and announces it, in the caller's transaction.
pub async fn raise(
    conn: &mut PgConnection,
    w: &NewWarning,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let kind = w.kind;
    let (rule_code, scope) = match &w.rule {
        Some((code, scope)) => (Some(code.as_str()), Some(*scope)),
        None => (None, None),
    };
    let count = i32::try_from(w.count).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO warnings (id, kind, rule_code, scope, subject_id, grid_id, count, raised_at, incident_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(rule_code)
    .bind(scope.map(Scope::as_str))
    .bind(w.subject_id)
    .bind(w.grid_id)
    .bind(count)
    .bind(now)
    .bind(w.incident_id)
    .execute(&mut *conn)
    .await?;
    let event = pb::WarningRaised {
        warning_id: id.to_string(),
        kind: wire::warning_kind(kind) as i32,
        rule_code: rule_code.unwrap_or_default().into(),
        scope: scope.map_or(pb::WarningScope::Unspecified, wire::warning_scope) as i32,
        subject_id: w.subject_id.to_string(),
        grid_id: id_text(w.grid_id),
        count,
        incident_id: id_text(w.incident_id),
    };
    OUTBOX.append(conn, w.subject_id, &event, chain).await?;
    Ok(id)
}

fn subject(scope: Scope, incident: &Incident) -> Option<Uuid> {
    match scope {
        Scope::Building => incident.placement.building_id,
        Scope::Enterprise => incident.enterprise_id,
        Scope::Grid => incident.placement.grid_id,
    }
}

/// Runs the enabled rules covering a newly opened incident: a rule that
/// reaches its threshold at the incident's building, enterprise or grid —
/// and has not fired there within its window — opens an early-warning
/// incident and raises a warning.
pub async fn check_rules(
    conn: &mut PgConnection,
    calendar: &Calendar,
    incident: &Incident,
    chain: &Chain,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<RuleRow> =
        sqlx::query_as(&format!("SELECT {RULE_COLUMNS} FROM warning_rules WHERE enabled ORDER BY code"))
            .fetch_all(&mut *conn)
            .await?;
    for rule in rows.into_iter().filter_map(rule_from).filter(|r| r.covers(&incident.category)) {
        let Some(subject_id) = subject(rule.scope, incident) else { continue };
        // One check at a time per rule and subject, so two incidents opened
        // together cannot both fire it.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("warning:{}:{subject_id}", rule.code))
            .execute(&mut *conn)
            .await?;
        let since = now - Duration::days(i64::from(rule.window_days));
        let column = match rule.scope {
            Scope::Building => "building_id",
            Scope::Enterprise => "enterprise_id",
            Scope::Grid => "grid_id",
        };
        let (recent, fired): (i64, bool) = sqlx::query_as(&format!(
            "SELECT
                 (SELECT count(*) FROM incidents
                  WHERE {column} = $1 AND opened_at > $2 AND source <> 'early_warning'
                    AND (category = $3 OR starts_with(category, $3 || '.'))),
                 EXISTS (SELECT 1 FROM warnings WHERE rule_code = $4 AND subject_id = $1 AND raised_at > $2)"
        ))
        .bind(subject_id)
        .bind(since)
        .bind(&rule.category_prefix)
        .bind(&rule.code)
        .fetch_one(&mut *conn)
        .await?;
        let recent = u32::try_from(recent).unwrap_or(u32::MAX);
        if fired || !rule.fires(recent) {
            continue;
        }
        let new = NewIncident {
            placement: {
                let p = &incident.placement;
                Placement::new(p.grid_id, p.building_id, p.community_id)
            },
            category: incident.category.clone(),
            summary: rule.summary(recent),
            source: Source::EarlyWarning,
            complaint_id: None,
            reporter: format!("early-warning:{}", rule.code),
            severity: rule.severity,
            enterprise_id: incident.enterprise_id,
            topic_id: None,
        };
        let opened = insert_incident(conn, calendar, new, chain, now).await?;
        let warning = NewWarning {
            kind: Kind::Rule,
            rule: Some((rule.code.clone(), rule.scope)),
            subject_id,
            grid_id: incident.placement.grid_id,
            count: recent,
            incident_id: Some(opened.id),
        };
        raise(conn, &warning, chain, now).await?;
    }
    Ok(())
}

type WarningRow = (Uuid, String, Option<String>, Option<String>, Uuid, Option<Uuid>, i32, DateTime<Utc>, Option<Uuid>);

impl Store {
    pub async fn set_warning_rule(&self, rule: &Rule) -> Result<Rule, ApiError> {
        sqlx::query(
            "INSERT INTO warning_rules (code, name, category_prefix, scope, threshold, window_days, severity, enabled, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, category_prefix = EXCLUDED.category_prefix,
                 scope = EXCLUDED.scope, threshold = EXCLUDED.threshold, window_days = EXCLUDED.window_days,
                 severity = EXCLUDED.severity, enabled = EXCLUDED.enabled, updated_at = now()",
        )
        .bind(&rule.code)
        .bind(&rule.name)
        .bind(&rule.category_prefix)
        .bind(rule.scope.as_str())
        .bind(i32::try_from(rule.threshold).unwrap_or(i32::MAX))
        .bind(i32::try_from(rule.window_days).unwrap_or(i32::MAX))
        .bind(rule.severity.as_str())
        .bind(rule.enabled)
        .execute(&self.pool)
        .await?;
        Ok(rule.clone())
    }

    pub async fn warning_rules(&self) -> Result<Vec<Rule>, ApiError> {
        let rows: Vec<RuleRow> = sqlx::query_as(&format!("SELECT {RULE_COLUMNS} FROM warning_rules ORDER BY code"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().filter_map(rule_from).collect())
    }

    /// Warnings newest first.
    pub async fn warnings(&self, filter: &WarningFilter) -> Result<Vec<Warning>, ApiError> {
        let rows: Vec<WarningRow> = sqlx::query_as(
            "SELECT id, kind, rule_code, scope, subject_id, grid_id, count, raised_at, incident_id FROM warnings
             WHERE ($1::uuid IS NULL OR grid_id = $1) AND ($3::text IS NULL OR kind = $3)
               AND ($4::timestamptz IS NULL OR raised_at >= $4) AND ($5::timestamptz IS NULL OR raised_at < $5)
               AND ($6::timestamptz IS NULL OR (raised_at, id) < ($6, $7))
             ORDER BY raised_at DESC, id DESC LIMIT $2",
        )
        .bind(filter.grid_id)
        .bind(filter.limit)
        .bind(filter.kind.map(Kind::as_str))
        .bind(filter.raised_from)
        .bind(filter.raised_to)
        .bind(filter.after.map(|a| a.0))
        .bind(filter.after.map(|a| a.1))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, kind, rule_code, scope, subject_id, grid_id, count, raised_at, incident_id)| {
                Some(Warning {
                    id,
                    kind: Kind::parse(&kind)?,
                    rule: rule_code.zip(scope.as_deref().and_then(Scope::parse)),
                    subject_id,
                    grid_id,
                    count: u32::try_from(count).unwrap_or(0),
                    raised_at,
                    incident_id,
                })
            })
            .collect())
    }
}
