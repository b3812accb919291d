//! Early warning (矛盾预警): rules over recent incidents. A rule counts the
//! incidents of its categories at one subject — a building, an enterprise or
//! a grid — within a window; reaching the threshold raises a warning that
//! opens an incident of its own, at most once per subject per window.

use super::escalation::Severity;
use dualnet_platform::Named;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Scope {
    Building,
    Enterprise,
    Grid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub category_prefix: String,
    pub scope: Scope,
    pub threshold: u32,
    pub window_days: u32,
    pub severity: Severity,
    pub enabled: bool,
}

impl Rule {
    /// Whether incidents of `category` count for this rule: the prefix
    /// itself or any category under it (`noise` covers `noise.night`, not
    /// `noisemaker`).
    pub fn covers(&self, category: &str) -> bool {
        category == self.category_prefix
            || category.strip_prefix(self.category_prefix.as_str()).is_some_and(|rest| rest.starts_with('.'))
    }

    pub fn fires(&self, recent: u32) -> bool {
        self.enabled && recent >= self.threshold
    }

    /// The summary of the incident a warning opens.
    pub fn summary(&self, recent: u32) -> String {
        format!(
            "{}: {recent} {} incidents at one {} within {} days",
            self.name,
            self.category_prefix,
            self.scope.as_str(),
            self.window_days
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    /// A rule fired.
    Rule,
    /// A rental unit's inspection is overdue.
    InspectionOverdue,
    /// A patrol plan's run is past due.
    PatrolMissed,
    /// A patrol run missed buildings of its route.
    PatrolIncomplete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub id: uuid::Uuid,
    pub kind: Kind,
    /// The rule and its scope, for a rule's warning.
    pub rule: Option<(String, Scope)>,
    pub subject_id: uuid::Uuid,
    pub grid_id: Option<uuid::Uuid>,
    pub count: u32,
    pub raised_at: chrono::DateTime<chrono::Utc>,
    pub incident_id: Option<uuid::Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise() -> Rule {
        Rule {
            code: "repeated_noise".into(),
            name: "Repeated noise".into(),
            category_prefix: "noise".into(),
            scope: Scope::Building,
            threshold: 3,
            window_days: 7,
            severity: Severity::Normal,
            enabled: true,
        }
    }

    #[test]
    fn a_rule_covers_its_category_and_the_ones_under_it() {
        assert!(noise().covers("noise"));
        assert!(noise().covers("noise.night"));
        assert!(!noise().covers("noisemaker"));
        assert!(!noise().covers("refuse"));
    }

    #[test]
    fn a_rule_fires_at_its_threshold_and_never_when_disabled() {
        assert!(!noise().fires(2));
        assert!(noise().fires(3));
        assert!(!Rule { enabled: false, ..noise() }.fires(10));
    }
}
