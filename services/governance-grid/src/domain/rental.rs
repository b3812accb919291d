//! Rental housing (出租屋): the five Longgang categories, the four colour
//! grades, the hazard catalogue and the rules that grade a unit from the
//! hazards its inspection found.
//!
//! Grading rules (documented in docs/integrators.md):
//! - any critical hazard → red (use prohibited, no rental allowed);
//! - any major hazard, or three or more minor ones → orange;
//! - one or two minor hazards → yellow;
//! - nothing found → green.
//!
//! The grade sets when the next inspection is due: green 21 days, yellow 14,
//! orange 7; a red unit is re-inspected every 7 days until it is put right.
//! A newly registered unit is due for its first inspection at once.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Category {
    UrbanVillageHouse,
    ResidentialEstate,
    Dormitory,
    PublicRental,
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr, strum::EnumString, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Grade {
    Green,
    Yellow,
    Orange,
    Red,
}

impl Grade {
    /// Days until the next inspection.
    pub fn cadence(self) -> Duration {
        match self {
            Grade::Green => Duration::days(21),
            Grade::Yellow => Duration::days(14),
            Grade::Orange | Grade::Red => Duration::days(7),
        }
    }

    pub fn rental_allowed(self) -> bool {
        self != Grade::Red
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr, strum::EnumString, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum HazardSeverity {
    Minor,
    Major,
    Critical,
}

/// The hazard catalogue: kind and its severity.
pub const HAZARDS: &[(&str, HazardSeverity)] = &[
    // 三合一: living quarters combined with production, storage or trade.
    ("combined_use", HazardSeverity::Critical),
    // 结构安全隐患: a building in structural danger.
    ("structural_danger", HazardSeverity::Critical),
    ("fire_exit_blocked", HazardSeverity::Major),
    ("unsafe_wiring", HazardSeverity::Major),
    ("ebike_charging_indoors", HazardSeverity::Major),
    ("gas_cylinder_in_dwelling", HazardSeverity::Major),
    ("no_extinguisher", HazardSeverity::Minor),
    ("no_smoke_alarm", HazardSeverity::Minor),
    ("overcrowding", HazardSeverity::Minor),
    ("tenants_unregistered", HazardSeverity::Minor),
];

/// The catalogue's severity of a hazard kind; `None` for an unknown kind.
pub fn severity_of(kind: &str) -> Option<HazardSeverity> {
    HAZARDS.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hazard {
    pub kind: String,
    pub severity: HazardSeverity,
    pub note: String,
}

/// The grade the hazards found at one inspection give.
pub fn grade(hazards: &[Hazard]) -> Grade {
    let worst = hazards.iter().map(|h| h.severity).max();
    let minors = hazards.iter().filter(|h| h.severity == HazardSeverity::Minor).count();
    match worst {
        Some(HazardSeverity::Critical) => Grade::Red,
        Some(HazardSeverity::Major) => Grade::Orange,
        Some(HazardSeverity::Minor) if minors >= 3 => Grade::Orange,
        Some(HazardSeverity::Minor) => Grade::Yellow,
        None => Grade::Green,
    }
}

/// When the inspection after one at `at` is due.
pub fn next_due(grade: Grade, at: DateTime<Utc>) -> DateTime<Utc> {
    at + grade.cadence()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RentalUnit {
    pub id: uuid::Uuid,
    pub building_id: uuid::Uuid,
    pub grid_id: uuid::Uuid,
    pub code: String,
    pub category: Category,
    /// `None` until the first inspection.
    pub grade: Option<Grade>,
    pub last_inspected_at: Option<DateTime<Utc>>,
    pub next_inspection_due: DateTime<Utc>,
    pub hazards: Vec<Hazard>,
}

impl RentalUnit {
    pub fn inspection_overdue(&self, now: DateTime<Utc>) -> bool {
        self.next_inspection_due < now
    }

    /// Red prohibits use; an ungraded unit is not prohibited.
    pub fn rental_allowed(&self) -> bool {
        self.grade.is_none_or(Grade::rental_allowed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn found(kinds: &[&str]) -> Vec<Hazard> {
        kinds
            .iter()
            .map(|k| Hazard { kind: k.to_string(), severity: severity_of(k).unwrap(), note: String::new() })
            .collect()
    }

    #[test]
    fn a_clean_inspection_grades_green() {
        assert_eq!(grade(&[]), Grade::Green);
    }

    #[test]
    fn one_or_two_minor_hazards_grade_yellow_and_three_grade_orange() {
        assert_eq!(grade(&found(&["no_extinguisher"])), Grade::Yellow);
        assert_eq!(grade(&found(&["no_extinguisher", "no_smoke_alarm"])), Grade::Yellow);
        assert_eq!(grade(&found(&["no_extinguisher", "no_smoke_alarm", "overcrowding"])), Grade::Orange);
    }

    #[test]
    fn a_major_hazard_grades_orange_and_a_critical_one_red_whatever_else_is_found() {
        assert_eq!(grade(&found(&["unsafe_wiring"])), Grade::Orange);
        assert_eq!(grade(&found(&["no_extinguisher", "combined_use"])), Grade::Red);
        assert!(!Grade::Red.rental_allowed());
        assert!(Grade::Orange.rental_allowed());
    }

    #[test]
    fn the_grade_sets_the_next_inspection() {
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        assert_eq!(next_due(Grade::Green, at), at + Duration::days(21));
        assert_eq!(next_due(Grade::Yellow, at), at + Duration::days(14));
        assert_eq!(next_due(Grade::Orange, at), at + Duration::days(7));
        assert_eq!(next_due(Grade::Red, at), at + Duration::days(7));
    }

    #[test]
    fn unknown_hazard_kinds_are_not_in_the_catalogue() {
        assert_eq!(severity_of("dragons"), None);
        assert_eq!(severity_of("combined_use"), Some(HazardSeverity::Critical));
    }
}
