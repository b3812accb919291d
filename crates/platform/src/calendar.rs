//! The working-day calendar deadlines are counted in. Weekends are rest
//! days; public holidays and make-up working days come from configuration as
//! dates (none are built in).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

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
}
