//! The escalation ladder — 小事一格解决,大事全网联动: an incident goes up one
//! tier (grid → community → subdistrict) when its deadline passes unresolved,
//! at once when it is major, or when someone asks.

use chrono::{DateTime, Utc};

use super::incident::{Incident, Level};

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Reason {
    DeadlinePassed,
    Major,
    Requested,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Severity {
    #[default]
    Normal,
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CannotEscalate {
    AtTop,
    Finished,
    /// Escalation for a passed deadline of an incident that is not overdue.
    NotDue,
}

impl std::fmt::Display for CannotEscalate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CannotEscalate::AtTop => f.write_str("the incident is already at the subdistrict level"),
            CannotEscalate::Finished => f.write_str("a closed or rejected incident does not escalate"),
            CannotEscalate::NotDue => f.write_str("the incident is not overdue"),
        }
    }
}

/// The tier above `level`, if any.
pub fn next_level(level: Level) -> Option<Level> {
    match level {
        Level::Grid => Some(Level::Community),
        Level::Community => Some(Level::Subdistrict),
        Level::Subdistrict => None,
    }
}

/// The level `incident` moves to, or why it cannot.
pub fn escalate(incident: &Incident) -> Result<Level, CannotEscalate> {
    if incident.status.is_final() {
        return Err(CannotEscalate::Finished);
    }
    next_level(incident.placement.level).ok_or(CannotEscalate::AtTop)
}

/// Overdue: its deadline passed while it is still open, and a tier is left.
pub fn is_overdue(incident: &Incident, now: DateTime<Utc>) -> bool {
    now > incident.deadline && escalate(incident).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{Placement, Source, Status};
    use uuid::Uuid;

    fn incident(level: Level, status: Status, deadline: DateTime<Utc>) -> Incident {
        let mut placement = Placement::new(Some(Uuid::now_v7()), None, Some(Uuid::now_v7()));
        placement.level = level;
        Incident {
            id: Uuid::now_v7(),
            placement,
            category: "noise".into(),
            summary: String::new(),
            status,
            source: Source::GridWorker,
            complaint_id: None,
            correlation_id: Uuid::now_v7(),
            assignee: None,
            opened_at: deadline,
            deadline,
            severity: Severity::Normal,
            enterprise_id: None,
            topic_id: None,
        }
    }

    #[test]
    fn the_ladder_goes_grid_community_subdistrict_and_stops() {
        assert_eq!(next_level(Level::Grid), Some(Level::Community));
        assert_eq!(next_level(Level::Community), Some(Level::Subdistrict));
        assert_eq!(next_level(Level::Subdistrict), None);
    }

    #[test]
    fn an_open_incident_past_its_deadline_is_overdue() {
        let due = Utc::now();
        let i = incident(Level::Grid, Status::Dispatched, due);
        assert!(!is_overdue(&i, due));
        assert!(is_overdue(&i, due + chrono::Duration::seconds(1)));
    }

    #[test]
    fn closed_incidents_and_the_top_tier_never_escalate() {
        let past = Utc::now() - chrono::Duration::days(30);
        assert!(!is_overdue(&incident(Level::Grid, Status::Closed, past), Utc::now()));
        assert!(!is_overdue(&incident(Level::Subdistrict, Status::Accepted, past), Utc::now()));
        assert_eq!(escalate(&incident(Level::Subdistrict, Status::Accepted, past)), Err(CannotEscalate::AtTop));
        assert_eq!(escalate(&incident(Level::Grid, Status::Rejected, past)), Err(CannotEscalate::Finished));
    }
}
