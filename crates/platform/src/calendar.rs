//! The working-day calendar deadlines are counted in. Weekends are rest
//! days; public holidays and the weekend days swapped into working days
//! (调休) come from a data file: the PRC schedule shipped in
//! `data/holidays-cn.toml`, or the operator's own copy named by
//! `calendar.file`.
//!
//! A day is a China Standard Time day (UTC+8, no daylight saving): what
//! counts is the date in China of an instant, never its UTC date — an act at
//! 07:00 in Shenzhen is on that Shenzhen day, though it is the previous day in
//! UTC. Periods are counted as the Civil Code counts them: the day of the
//! start is not counted (Art. 201), a period ends at 24:00 of its last day
//! (Art. 203 para. 2), and a last day that is a rest day moves to the next
//! working day (Art. 203 para. 1).

use std::{collections::BTreeSet, path::Path};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};

/// China Standard Time.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The date in China of an instant.
pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// 00:00 China time at the start of `d`.
pub fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc() - Duration::hours(8)
}

/// 24:00 China time at the end of `d` (the instant the next day begins): a
/// period whose last day is `d` is met by an act at any time on `d`.
pub fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    start_of_day(d) + Duration::days(1)
}
use serde::Deserialize;

/// The last day of a period that ends at `due` (24:00 China time of that
/// day, which is 00:00 of the next).
pub fn last_day(due: DateTime<Utc>) -> NaiveDate {
    china_date(due - Duration::nanoseconds(1))
}

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
    /// The years whose schedule the calendar holds; `None` for a calendar
    /// made in code, which holds every year it will be asked about.
    years: Option<BTreeSet<i32>>,
}

/// The fixed-date statutory holidays of a year (全国年节及纪念日放假办法,
/// Art. 2, as amended in 2024 and in force from 2025): New Year's Day, Labour
/// Day (1 May, and 2 May from 2025) and National Day (1–3 October). The
/// lunar holidays move, and the days swapped around them are announced
/// each year: only the year's schedule knows those.
pub fn fixed_holidays(year: i32) -> Vec<NaiveDate> {
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("a valid date");
    let mut days = vec![day(1, 1), day(5, 1), day(10, 1), day(10, 2), day(10, 3)];
    if year >= 2025 {
        days.push(day(5, 2));
    }
    days.sort();
    days
}

/// How many days before the last covered year ends the calendar starts to
/// warn.
pub const WARN_DAYS: i64 = 60;

impl Calendar {
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        working_weekends: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
            working_weekends: working_weekends.into_iter().collect(),
            years: None,
        }
    }

    /// Reads a calendar file (the format of `data/holidays-cn.toml`); every
    /// date must lie in the year it is listed under, a swapped working day
    /// must be a weekend day that is not also a holiday, and every
    /// fixed-date statutory holiday must be listed.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text).context("parsing the calendar")?;
        let mut holidays = BTreeSet::new();
        let mut working_weekends = BTreeSet::new();
        let mut years = BTreeSet::new();
        for y in file.year {
            if !years.insert(y.year) {
                bail!("{} is listed twice", y.year);
            }
            if let Some(missing) = fixed_holidays(y.year).into_iter().find(|d| !y.holidays.contains(d)) {
                bail!("{missing} is a statutory holiday of {} but is not listed among its holidays", y.year);
            }
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
        Ok(Self { holidays, working_weekends, years: Some(years) })
    }

    /// Whether the calendar holds `year`'s schedule.
    pub fn covers(&self, year: i32) -> bool {
        self.years.as_ref().is_none_or(|y| y.contains(&year))
    }

    /// Whether a period ending on `d` was counted without the schedule of
    /// every year it crosses (see [`is_working_day`](Self::is_working_day)):
    /// such a deadline is provisional until the schedule is loaded.
    pub fn provisional(&self, from: NaiveDate, to: NaiveDate) -> bool {
        (from.year()..=to.year()).any(|y| !self.covers(y))
    }

    /// Whether a deadline running from `start` to `due` (24:00 of its last
    /// day) is [`provisional`](Self::provisional).
    pub fn provisional_deadline(&self, start: DateTime<Utc>, due: DateTime<Utc>) -> bool {
        self.provisional(china_date(start), last_day(due).max(china_date(start)))
    }

    /// Whether the last year it holds ends within [`WARN_DAYS`] of `today`
    /// (never, for a calendar made in code).
    pub fn ends_soon(&self, today: NaiveDate) -> bool {
        self.days_left(today).is_some_and(|left| left < WARN_DAYS)
    }

    /// Days from `today` to the end of the last year the calendar holds
    /// (`None` for a calendar made in code).
    pub fn days_left(&self, today: NaiveDate) -> Option<i64> {
        let last = *self.years.as_ref()?.last()?;
        let end = NaiveDate::from_ymd_opt(last, 12, 31)?;
        Some((end - today).num_days())
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

    /// Whether `d` is a working day. In a year the calendar does not hold,
    /// it does not guess the lunar holidays or the swapped days: the
    /// weekends and the fixed-date statutory holidays are rest days, every
    /// other day a working day, and what is counted so is
    /// [`provisional`](Self::provisional).
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        if !self.covers(d.year()) {
            return !weekend && !fixed_holidays(d.year()).contains(&d);
        }
        if self.working_weekends.contains(&d) {
            return true;
        }
        !weekend && !self.holidays.contains(&d)
    }

    /// The `n`-th working day after the China-local day of `start` (that day
    /// itself does not count, Civil Code Art. 201).
    pub fn working_day_after(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().expect("a date before the end of time");
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// When a period of `n` working days from `start` ends: 24:00 China time
    /// of its last day (Civil Code Art. 203 para. 2).
    pub fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        end_of_day(self.working_day_after(china_date(start), n))
    }

    /// When a period of `n` calendar days from `start` ends: the day of
    /// `start` not counted (Art. 201), a last day that is a rest day moved to
    /// the next working day (Art. 203 para. 1), at 24:00 China time of that
    /// day (Art. 203 para. 2).
    pub fn add_calendar_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut last = china_date(start) + Duration::days(i64::from(n));
        while !self.is_working_day(last) {
            last = last.succ_opt().expect("a date before the end of time");
        }
        end_of_day(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// 24:00 China time of a date, as UTC: 16:00 of the same date.
    fn midnight_after(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 16, 0, 0).unwrap()
    }

    #[test]
    fn two_working_days_from_a_friday_end_at_the_close_of_tuesday() {
        // Friday 20 November 2026, 18:00 China time.
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let due = Calendar::default().add_working_days(friday, 2);
        assert_eq!(due, midnight_after(2026, 11, 24), "24:00 of Tuesday 24 November, China time");
    }

    #[test]
    fn an_early_morning_filing_counts_from_its_china_day_not_its_utc_day() {
        // Monday 2 November 2026 07:00 China time is Sunday 23:00 UTC: five
        // working days run Tue 3 … Mon 9 November (Art. 201: the 2nd itself
        // does not count), and the period ends at 24:00 of the 9th.
        let cal = Calendar::default();
        let monday_7am = Utc.with_ymd_and_hms(2026, 11, 1, 23, 0, 0).unwrap();
        assert_eq!(china_date(monday_7am), NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        assert_eq!(cal.add_working_days(monday_7am, 5), midnight_after(2026, 11, 9));
        // 00:30 and 23:59 of the same China day give the same end.
        let half_past_midnight = Utc.with_ymd_and_hms(2026, 11, 1, 16, 30, 0).unwrap();
        let one_to_midnight = Utc.with_ymd_and_hms(2026, 11, 2, 15, 59, 0).unwrap();
        assert_eq!(cal.add_working_days(half_past_midnight, 5), midnight_after(2026, 11, 9));
        assert_eq!(cal.add_working_days(one_to_midnight, 5), midnight_after(2026, 11, 9));
    }

    #[test]
    fn a_calendar_period_ending_on_a_rest_day_runs_to_the_next_working_day() {
        let cal = Calendar::load(None).unwrap();
        // 45 days from Thursday 17 September 2026 end on Sunday 1 November
        // (a rest day): the period runs to 24:00 of Monday 2 November.
        let accepted = Utc.with_ymd_and_hms(2026, 9, 17, 2, 0, 0).unwrap();
        assert_eq!(cal.add_calendar_days(accepted, 45), midnight_after(2026, 11, 2));
        // Ending on a working day, it ends at 24:00 of that day.
        let thursday = Utc.with_ymd_and_hms(2026, 11, 19, 2, 0, 0).unwrap();
        assert_eq!(cal.add_calendar_days(thursday, 15), midnight_after(2026, 12, 4));
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
    fn past_its_last_year_the_calendar_counts_weekends_and_fixed_holidays_only_and_says_so() {
        let cal = Calendar::load(None).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(cal.covers(2026) && !cal.covers(2027));
        // New Year's Day 2027 is a Friday, a statutory holiday every year.
        assert!(!cal.is_working_day(day(2027, 1, 1)));
        assert!(!cal.is_working_day(day(2027, 1, 2)), "a Saturday");
        assert!(cal.is_working_day(day(2027, 1, 4)));
        // 10 working days from Monday 21 December 2026: 22, 23, 24, 25, 28,
        // 29, 30, 31 December, then 4 and 5 January (the 1st is New Year's
        // Day): counted into 2027, so provisional.
        let filed = Utc.with_ymd_and_hms(2026, 12, 21, 2, 0, 0).unwrap();
        assert_eq!(cal.add_working_days(filed, 10), midnight_after(2027, 1, 5));
        assert!(cal.provisional(day(2026, 12, 21), day(2027, 1, 5)));
        assert!(!cal.provisional(day(2026, 11, 2), day(2026, 11, 9)));
        assert_eq!(cal.days_left(day(2026, 12, 1)), Some(30));
    }

    #[test]
    fn a_year_that_misses_a_statutory_holiday_is_refused() {
        let no_labour_day = "[[year]]\nyear = 2027\nholidays = [\"2027-01-01\", \"2027-05-01\", \"2027-10-01\", \
                             \"2027-10-02\", \"2027-10-03\"]\nworking_weekends = []\n";
        let refused = Calendar::parse(no_labour_day).unwrap_err().to_string();
        assert!(refused.contains("2027-05-02"), "{refused}");
        let twice = format!("{SHIPPED}\n[[year]]\nyear = 2026\nholidays = []\nworking_weekends = []\n");
        assert!(Calendar::parse(&twice).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn a_calendar_file_with_a_misplaced_date_is_refused() {
        let wrong_year = "[[year]]\nyear = 2027\nholidays = [\"2026-01-01\", \"2027-01-01\", \"2027-05-01\", \
                          \"2027-05-02\", \"2027-10-01\", \"2027-10-02\", \"2027-10-03\"]\nworking_weekends = []\n";
        assert!(Calendar::parse(wrong_year).is_err());
        let fixed: Vec<String> = fixed_holidays(2026).iter().map(|d| format!("\"{d}\"")).collect();
        let weekday_swap =
            format!("[[year]]\nyear = 2026\nholidays = [{}]\nworking_weekends = [\"2026-01-05\"]\n", fixed.join(", "));
        let refused = Calendar::parse(&weekday_swap).unwrap_err().to_string();
        assert!(refused.contains("not a weekend day"), "{refused}");
    }
}
