//! Community security committees (治保会) and their patrols (社会安全管控):
//! a plan walks a route of the community's buildings every so many days
//! with a team of the committee's members; a run records who checked in
//! where, and what they found. A run that misses buildings is incomplete;
//! a plan whose next run is past due is missed and raises a warning.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::rental::Hazard;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    pub id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    pub route: Vec<Uuid>,
    pub every_days: u32,
    pub team: Vec<Uuid>,
    pub campaign: bool,
    pub next_due: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckIn {
    pub building_id: Uuid,
    pub member_id: Uuid,
    pub at: DateTime<Utc>,
}

/// What a finding does: open an incident of a category, or record hazards
/// on a rental unit of the building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Incident { category: String },
    Hazards { rental_unit_id: Uuid, hazards: Vec<Hazard> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub building_id: Uuid,
    pub found: Found,
    pub summary: String,
    pub incident_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub check_ins: Vec<CheckIn>,
    pub findings: Vec<Finding>,
    /// Buildings of the route nobody checked in at.
    pub missed: Vec<Uuid>,
}

impl Run {
    pub fn complete(&self) -> bool {
        self.missed.is_empty()
    }
}

/// What is wrong with a run before it is recorded, as (field, reason).
pub fn check_run(
    plan: &Plan,
    check_ins: &[CheckIn],
    findings: &[Finding],
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, (String, String)> {
    for (i, c) in check_ins.iter().enumerate() {
        if !plan.route.contains(&c.building_id) {
            return Err((format!("check_ins[{i}].building_id"), "not a building of the plan's route".into()));
        }
        if !plan.team.contains(&c.member_id) {
            return Err((format!("check_ins[{i}].member_id"), "not a member of the plan's team".into()));
        }
        if c.at > now {
            return Err((format!("check_ins[{i}].at"), "a check-in cannot lie in the future".into()));
        }
    }
    for (i, f) in findings.iter().enumerate() {
        if !check_ins.iter().any(|c| c.building_id == f.building_id) {
            return Err((format!("findings[{i}].building_id"), "a finding is made at a building checked in at".into()));
        }
    }
    Ok(plan.route.iter().copied().filter(|b| !check_ins.iter().any(|c| c.building_id == *b)).collect())
}

/// When the run after one recorded at `at` is due.
pub fn next_due(at: DateTime<Utc>, every_days: u32) -> DateTime<Utc> {
    at + Duration::days(i64::from(every_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            id: Uuid::now_v7(),
            committee_id: Uuid::now_v7(),
            community_id: Uuid::now_v7(),
            name: "weekly".into(),
            route: vec![Uuid::now_v7(), Uuid::now_v7()],
            every_days: 7,
            team: vec![Uuid::now_v7()],
            campaign: false,
            next_due: Utc::now(),
        }
    }

    #[test]
    fn a_run_that_misses_buildings_of_its_route_is_incomplete() {
        let p = plan();
        let now = Utc::now();
        let at = |b: Uuid| CheckIn { building_id: b, member_id: p.team[0], at: now };
        assert_eq!(check_run(&p, &[at(p.route[0])], &[], now), Ok(vec![p.route[1]]));
        assert_eq!(check_run(&p, &[at(p.route[0]), at(p.route[1])], &[], now), Ok(vec![]));
    }

    #[test]
    fn check_ins_keep_to_the_route_the_team_and_the_past() {
        let p = plan();
        let now = Utc::now();
        let stranger = CheckIn { building_id: p.route[0], member_id: Uuid::now_v7(), at: now };
        assert_eq!(check_run(&p, &[stranger], &[], now).unwrap_err().0, "check_ins[0].member_id");
        let off_route = CheckIn { building_id: Uuid::now_v7(), member_id: p.team[0], at: now };
        assert_eq!(check_run(&p, &[off_route], &[], now).unwrap_err().0, "check_ins[0].building_id");
        let later = CheckIn { building_id: p.route[0], member_id: p.team[0], at: now + Duration::hours(1) };
        assert_eq!(check_run(&p, &[later], &[], now).unwrap_err().0, "check_ins[0].at");
        let finding = Finding {
            building_id: p.route[1],
            found: Found::Incident { category: "fire".into() },
            summary: "s".into(),
            incident_id: None,
        };
        let here = CheckIn { building_id: p.route[0], member_id: p.team[0], at: now };
        assert_eq!(check_run(&p, &[here], &[finding], now).unwrap_err().0, "findings[0].building_id");
    }

    #[test]
    fn the_next_run_is_due_every_days_after_the_last() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T09:00:00+08:00").unwrap().to_utc();
        assert_eq!(next_due(at, 7), DateTime::parse_from_rfc3339("2026-12-08T09:00:00+08:00").unwrap().to_utc());
    }
}
