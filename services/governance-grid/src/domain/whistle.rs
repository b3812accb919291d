//! 吹哨报到 — "the street blows the whistle, the departments report": at
//! subdistrict level an incident summons departments; each must check in and
//! report its part done, and the incident cannot close before all have.

use chrono::{DateTime, Utc};

use super::incident::{Incident, Level};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summons {
    pub department: String,
    pub summoned_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhistleError {
    NotAtSubdistrict,
    Finished,
    NotSummoned(String),
    NotCheckedIn(String),
    AlreadyCheckedIn(String),
    AlreadyDone(String),
}

impl std::fmt::Display for WhistleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WhistleError::NotAtSubdistrict => {
                f.write_str("only an incident at the subdistrict level can blow the whistle")
            }
            WhistleError::Finished => f.write_str("the incident is closed"),
            WhistleError::NotSummoned(d) => write!(f, "{d} was not summoned to this incident"),
            WhistleError::NotCheckedIn(d) => write!(f, "{d} has not checked in"),
            WhistleError::AlreadyCheckedIn(d) => write!(f, "{d} has already checked in"),
            WhistleError::AlreadyDone(d) => write!(f, "{d} has already reported its part done"),
        }
    }
}

pub fn can_blow(incident: &Incident) -> Result<(), WhistleError> {
    if incident.status.is_final() {
        return Err(WhistleError::Finished);
    }
    if incident.placement.level != Level::Subdistrict {
        return Err(WhistleError::NotAtSubdistrict);
    }
    Ok(())
}

pub fn check_in(s: Option<&Summons>, department: &str) -> Result<(), WhistleError> {
    match s {
        None => Err(WhistleError::NotSummoned(department.into())),
        Some(s) if s.checked_in_at.is_some() => Err(WhistleError::AlreadyCheckedIn(department.into())),
        Some(_) => Ok(()),
    }
}

pub fn report_done(s: Option<&Summons>, department: &str) -> Result<(), WhistleError> {
    match s {
        None => Err(WhistleError::NotSummoned(department.into())),
        Some(s) if s.checked_in_at.is_none() => Err(WhistleError::NotCheckedIn(department.into())),
        Some(s) if s.done_at.is_some() => Err(WhistleError::AlreadyDone(department.into())),
        Some(_) => Ok(()),
    }
}

/// The departments still owing their part; the incident may close when none.
pub fn outstanding(summons: &[Summons]) -> Vec<&str> {
    summons.iter().filter(|s| s.done_at.is_none()).map(|s| s.department.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summons(checked_in: bool, done: bool) -> Summons {
        let now = Utc::now();
        Summons {
            department: "城管".into(),
            summoned_at: now,
            checked_in_at: checked_in.then_some(now),
            done_at: done.then_some(now),
            note: String::new(),
        }
    }

    #[test]
    fn a_department_checks_in_before_it_reports_done() {
        assert_eq!(report_done(Some(&summons(false, false)), "城管"), Err(WhistleError::NotCheckedIn("城管".into())));
        assert!(check_in(Some(&summons(false, false)), "城管").is_ok());
        assert!(report_done(Some(&summons(true, false)), "城管").is_ok());
        assert!(check_in(None, "消防").is_err());
    }

    #[test]
    fn the_incident_waits_for_every_summoned_department() {
        let mut a = summons(true, true);
        a.department = "城管".into();
        let mut b = summons(true, false);
        b.department = "消防".into();
        assert_eq!(outstanding(&[a.clone(), b]), ["消防"]);
        assert!(outstanding(&[a]).is_empty());
    }
}
