//! The working-day calendar deadlines are counted in. Weekends are rest
//! days; public holidays and the weekend days swapped into working days
//! (调休) come from a data file: the PRC schedule shipped in
//! `data/holidays-cn.toml`, or the operator's own copy named by
//! `calendar.file`.

use std::{collections::BTreeSet, path::Path};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::Deserialize;

/// The PRC schedule shipped with dualnet.
pub const SHIPPED: &str = include_str!("../data/holidays-cn.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    year: Vec<Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Year {
    year: i32,
    holidays: Vec<NaiveDate>,
    working_weekends: Vec<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    /// Weekend days declared working days (调休).
    working_weekends: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        working_weekends: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        Self { holidays: holidays.into_iter().collect(), working_weekends: working_weekends.into_iter().collect() }
    }

    /// Reads a calendar file (the format of `data/holidays-cn.toml`); every
    /// date must lie in the year it is listed under, and a swapped working
    /// day must be a weekend day that is not also a holiday.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text).context("parsing the calendar")?;
        let mut holidays = BTreeSet::new();
        let mut working_weekends = BTreeSet::new();
        for y in file.year {
            for d in y.holidays.iter().chain(&y.working_weekends) {
                if d.year() != y.year {
                    bail!("{d} is listed under {}", y.year);
                }
            }
            for d in &y.working_weekends {
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    bail!("{d} is a swapped working day but not a weekend day");
                }
                if y.holidays.contains(d) {
                    bail!("{d} is both a holiday and a swapped working day");
                }
            }
            holidays.extend(y.holidays);
            working_weekends.extend(y.working_weekends);
        }
        Ok(Self { holidays, working_weekends })
    }

    /// The operator's file when one is configured, else the shipped schedule.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                Self::parse(&text).with_context(|| format!("in {}", path.display()))
            }
            None => Self::parse(SHIPPED),
        }
    }

    /// Whole hours later, holidays or not (emergencies are counted in hours).
    pub fn add_hours(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        start + Duration::hours(i64::from(n))
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.working_weekends.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The same time of day `n` working days after `start` (the day of
    /// `start` itself does not count).
    pub fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut t = start;
        let mut left = n;
        while left > 0 {
            t += Duration::days(1);
            if self.is_working_day(t.date_naive()) {
                left -= 1;
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn two_working_days_from_a_friday_end_on_tuesday() {
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let due = Calendar::default().add_working_days(friday, 2);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap());
    }

    #[test]
    fn holidays_are_skipped_and_make_up_days_count() {
        let wed = Utc.with_ymd_and_hms(2026, 9, 30, 9, 0, 0).unwrap();
        let golden_week = (1..=7).map(|d| NaiveDate::from_ymd_opt(2026, 10, d).unwrap());
        let makeup = [NaiveDate::from_ymd_opt(2026, 10, 10).unwrap()];
        let due = Calendar::new(golden_week, makeup).add_working_days(wed, 2);
        // Oct 8 (Thu) is the first working day, Oct 9 (Fri) the second.
        assert_eq!(due.date_naive(), NaiveDate::from_ymd_opt(2026, 10, 9).unwrap());
    }

    #[test]
    fn the_shipped_schedule_knows_the_2026_spring_festival_and_its_swapped_saturdays() {
        let cal = Calendar::load(None).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(!cal.is_working_day(day(2, 16)), "a Monday inside the Spring Festival holiday");
        assert!(cal.is_working_day(day(2, 14)), "Saturday 14 February is worked");
        assert!(cal.is_working_day(day(2, 28)), "Saturday 28 February is worked");
        // Friday 13 Feb + 1 working day is the swapped Saturday 14th; + 2 is
        // Tuesday 24th, after the holiday.
        let friday = Utc.with_ymd_and_hms(2026, 2, 13, 9, 0, 0).unwrap();
        assert_eq!(cal.add_working_days(friday, 1).date_naive(), day(2, 14));
        assert_eq!(cal.add_working_days(friday, 2).date_naive(), day(2, 24));
    }

    #[test]
    fn a_calendar_file_with_a_misplaced_date_is_refused() {
        let wrong_year = "[[year]]\nyear = 2027\nholidays = [\"2026-01-01\"]\nworking_weekends = []\n";
        assert!(Calendar::parse(wrong_year).is_err());
        let weekday_swap = "[[year]]\nyear = 2026\nholidays = []\nworking_weekends = [\"2026-01-05\"]\n";
        assert!(Calendar::parse(weekday_swap).is_err());
    }
}
