//! Deadlines per incident category and level, counted in working days on the
//! holiday calendar or in hours (emergencies).

use chrono::{DateTime, Utc};
use dualnet_platform::calendar::Calendar;

use super::incident::Level;

/// The row every category falls back to.
pub const DEFAULT_CATEGORY: &str = "*";

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Unit {
    WorkingDays,
    Hours,
}

/// How long an incident of `category` may stay unresolved at each level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDeadlines {
    pub category: String,
    pub unit: Unit,
    pub grid: u32,
    pub community: u32,
    pub subdistrict: u32,
}

impl CategoryDeadlines {
    pub fn allowance(&self, level: Level) -> u32 {
        match level {
            Level::Grid => self.grid,
            Level::Community => self.community,
            Level::Subdistrict => self.subdistrict,
        }
    }

    /// When an incident reaching `level` at `from` is due.
    pub fn due(&self, level: Level, from: DateTime<Utc>, calendar: &Calendar) -> DateTime<Utc> {
        let n = self.allowance(level);
        match self.unit {
            Unit::WorkingDays => calendar.add_working_days(from, n),
            Unit::Hours => calendar.add_hours(from, n),
        }
    }
}

/// The rows that may hold a category's deadlines, most specific first:
/// `labour.wage_arrears` → `labour.wage_arrears`, `labour`, `*`.
pub fn lookup_order(category: &str) -> Vec<String> {
    let mut keys = vec![category.to_string()];
    let mut rest = category;
    while let Some((head, _)) = rest.rsplit_once('.') {
        keys.push(head.to_string());
        rest = head;
    }
    if category != DEFAULT_CATEGORY {
        keys.push(DEFAULT_CATEGORY.to_string());
    }
    keys
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    #[test]
    fn a_category_falls_back_to_its_prefixes_then_the_default() {
        assert_eq!(
            lookup_order("labour.wage_arrears.collective"),
            ["labour.wage_arrears.collective", "labour.wage_arrears", "labour", "*"]
        );
        assert_eq!(lookup_order("*"), ["*"]);
    }

    #[test]
    fn working_day_deadlines_skip_a_holiday_and_count_a_swapped_saturday() {
        let d =
            CategoryDeadlines { category: "*".into(), unit: Unit::WorkingDays, grid: 3, community: 5, subdistrict: 7 };
        // Opened Thursday 12 Feb 2026: Fri 13, Sat 14 (swapped working day),
        // then the Spring Festival holiday until Mon 23; Tue 24 is the third.
        let cal = Calendar::load(None).unwrap();
        let opened = Utc.with_ymd_and_hms(2026, 2, 12, 8, 0, 0).unwrap();
        assert_eq!(d.due(Level::Grid, opened, &cal).date_naive(), NaiveDate::from_ymd_opt(2026, 2, 24).unwrap());
    }

    #[test]
    fn hour_deadlines_run_through_holidays() {
        let d = CategoryDeadlines {
            category: "emergency".into(),
            unit: Unit::Hours,
            grid: 2,
            community: 4,
            subdistrict: 8,
        };
        let cal = Calendar::load(None).unwrap();
        let opened = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap();
        assert_eq!(d.due(Level::Community, opened, &cal), Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap());
    }
}
