//! The limitation period for applying (LDMAL Art. 27): one year from the day
//! the worker knew or should have known the right was infringed.
//! - It is interrupted — and runs afresh from that day — when a party
//!   presses the claim on the other, seeks relief from the authorities, or
//!   the other party agrees to perform (Art. 27 para. 2).
//! - It is suspended by force majeure or another justified obstacle, and
//!   runs on from the day the obstacle ends (para. 3).
//! - A claim for labour remuneration in arrears is not time-barred while the
//!   employment lasts; once it ends, the year runs from the day it ended
//!   (para. 4). That rule is the wage claim's own: every claim of a case has
//!   its own period, and the case is out of time only when each one is.
//! - Applying to a mediation organisation is seeking relief: it interrupts
//!   the period like the other interruptions (para. 2).
//! - A last day that falls on a rest day moves to the next working day
//!   (Civil Code Art. 203, which the period of Art. 27 follows); a swapped
//!   working Saturday is a working day.

use chrono::{Months, NaiveDate};

use super::{
    award::{Claim, ClaimKind},
    case::LimitationFacts,
};

/// A span during which the period stood still, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspension {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limitation {
    /// Wage arrears while the employment lasts.
    NotRunning,
    /// The last day an application is in time.
    Expires(NaiveDate),
}

impl Limitation {
    pub fn bars(self, applied_on: NaiveDate) -> bool {
        matches!(self, Limitation::Expires(last) if applied_on > last)
    }
}

/// The period, given when it started to run, its interruptions and
/// suspensions. An interruption after the period ran out revives nothing.
pub fn period(
    start: NaiveDate,
    wages_only: bool,
    employment_ended_on: Option<NaiveDate>,
    interruptions: &[NaiveDate],
    suspensions: &[Suspension],
) -> Limitation {
    let mut start = match (wages_only, employment_ended_on) {
        (true, None) => return Limitation::NotRunning,
        (true, Some(ended)) => ended.max(start),
        (false, _) => start,
    };
    let mut interruptions = interruptions.to_vec();
    interruptions.sort();
    let mut last = expiry(start, suspensions);
    for d in interruptions {
        if d > start && d <= last {
            start = d;
            last = expiry(start, suspensions);
        }
    }
    Limitation::Expires(last)
}

/// `l` with a last day on a rest day moved to the next working day (Civil
/// Code Art. 203).
pub fn off_rest_day(l: Limitation, is_working_day: impl Fn(NaiveDate) -> bool) -> Limitation {
    match l {
        Limitation::NotRunning => l,
        Limitation::Expires(mut last) => {
            while !is_working_day(last) {
                match last.succ_opt() {
                    Some(next) => last = next,
                    None => break,
                }
            }
            Limitation::Expires(last)
        }
    }
}

/// The application as a whole: in time while any of its claims is — never
/// barred while a claim's period does not run, else until the last of the
/// claims' last days.
pub fn of_case(claims: &[Limitation]) -> Option<Limitation> {
    if claims.contains(&Limitation::NotRunning) {
        return Some(Limitation::NotRunning);
    }
    claims
        .iter()
        .filter_map(|l| if let Limitation::Expires(d) = l { Some(*d) } else { None })
        .max()
        .map(Limitation::Expires)
}

/// The periods of an application made on `applied_on`: each claim's own,
/// written onto `claims` (its last day, and whether the application came
/// after it), and the application's as a whole — `None` when the day the
/// right was known is not given. A mediation organisation receiving the
/// dispute (`mediation_started_on`) interrupts like the other
/// interruptions. An application stating no claim has one period, not the
/// wage claim's.
pub fn of_application(
    facts: &LimitationFacts,
    mediation_started_on: Option<NaiveDate>,
    claims: &mut [Claim],
    applied_on: NaiveDate,
    is_working_day: impl Fn(NaiveDate) -> bool,
) -> Option<Limitation> {
    let known = facts.right_known_on?;
    let mut interruptions = facts.interruptions.clone();
    interruptions.extend(mediation_started_on);
    let of = |wages: bool| {
        let l = period(known, wages, facts.employment_ended_on, &interruptions, &facts.suspensions);
        off_rest_day(l, &is_working_day)
    };
    if claims.is_empty() {
        return Some(of(false));
    }
    let mut each = Vec::with_capacity(claims.len());
    for claim in claims.iter_mut() {
        let l = of(claim.kind == ClaimKind::Wages);
        claim.limitation_expires = match l {
            Limitation::Expires(d) => Some(d),
            Limitation::NotRunning => None,
        };
        claim.time_barred = l.bars(applied_on);
        each.push(l);
    }
    of_case(&each)
}

/// One year from `start`, lengthened by every suspended day inside it.
fn expiry(start: NaiveDate, suspensions: &[Suspension]) -> NaiveDate {
    let one_year = start.checked_add_months(Months::new(12)).unwrap_or(NaiveDate::MAX);
    let mut last = one_year;
    // A suspension counts where it overlaps the running period, which the
    // suspensions themselves lengthen: settle on a fixed point.
    loop {
        let stood_still: i64 = suspensions
            .iter()
            .map(|s| {
                let from = s.from.max(start);
                let to = s.to.min(last);
                if to >= from { (to - from).num_days() + 1 } else { 0 }
            })
            .sum();
        let next = one_year + chrono::Duration::days(stood_still);
        if next == last {
            return last;
        }
        last = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_period_is_one_year_from_when_the_right_was_known() {
        let l = period(day(2025, 3, 10), false, None, &[], &[]);
        assert_eq!(l, Limitation::Expires(day(2026, 3, 10)));
        assert!(!l.bars(day(2026, 3, 10)));
        assert!(l.bars(day(2026, 3, 11)));
    }

    #[test]
    fn an_interruption_restarts_the_year() {
        // The worker pressed the employer for payment on 1 December 2025.
        let l = period(day(2025, 3, 10), false, None, &[day(2025, 12, 1)], &[]);
        assert_eq!(l, Limitation::Expires(day(2026, 12, 1)));
        assert!(!l.bars(day(2026, 6, 1)), "in time only because of the interruption");
    }

    #[test]
    fn an_interruption_after_the_year_ran_out_revives_nothing() {
        let l = period(day(2024, 1, 5), false, None, &[day(2025, 2, 1)], &[]);
        assert_eq!(l, Limitation::Expires(day(2025, 1, 5)));
    }

    #[test]
    fn a_suspension_stops_the_clock_for_its_days() {
        let typhoon = Suspension { from: day(2025, 9, 1), to: day(2025, 9, 10) };
        let l = period(day(2025, 3, 10), false, None, &[], &[typhoon]);
        assert_eq!(l, Limitation::Expires(day(2026, 3, 20)));
    }

    #[test]
    fn a_last_day_on_a_rest_day_moves_to_the_next_working_day_and_the_case_is_barred_only_claim_by_claim() {
        // Sunday 14 March 2027 → Monday 15 March.
        let weekdays = |d: NaiveDate| chrono::Datelike::weekday(&d).num_days_from_monday() < 5;
        let l = off_rest_day(period(day(2026, 3, 14), false, None, &[], &[]), weekdays);
        assert_eq!(l, Limitation::Expires(day(2027, 3, 15)));
        let wages = Limitation::NotRunning;
        let other = Limitation::Expires(day(2025, 1, 5));
        assert_eq!(of_case(&[other, wages]), Some(Limitation::NotRunning), "the wage claim keeps it in time");
        assert_eq!(of_case(&[other, Limitation::Expires(day(2026, 2, 1))]), Some(Limitation::Expires(day(2026, 2, 1))));
        assert_eq!(of_case(&[]), None);
    }

    fn claim(kind: ClaimKind) -> Claim {
        Claim {
            kind,
            amount_fen: 100,
            description: String::new(),
            limitation_expires: None,
            time_barred: false,
            awarded_fen: None,
        }
    }

    #[test]
    fn an_application_gives_each_claim_its_own_period_and_mediation_interrupts() {
        let every_day = |_: NaiveDate| true;
        let facts = LimitationFacts { right_known_on: Some(day(2024, 1, 5)), ..Default::default() };
        let mut claims = vec![claim(ClaimKind::Wages), claim(ClaimKind::Compensation)];
        let whole = of_application(&facts, None, &mut claims, day(2025, 3, 1), every_day);
        assert_eq!(whole, Some(Limitation::NotRunning), "the wage claim runs only once the job ends");
        assert_eq!((claims[0].limitation_expires, claims[0].time_barred), (None, false));
        assert_eq!((claims[1].limitation_expires, claims[1].time_barred), (Some(day(2025, 1, 5)), true));
        // Mediation received on 1 December 2024 started the year afresh.
        let mut claims = vec![claim(ClaimKind::Compensation)];
        let whole = of_application(&facts, Some(day(2024, 12, 1)), &mut claims, day(2025, 3, 1), every_day);
        assert_eq!(whole, Some(Limitation::Expires(day(2025, 12, 1))));
        assert!(!claims[0].time_barred);
        assert_eq!(
            of_application(&facts, None, &mut [], day(2025, 3, 1), every_day),
            Some(Limitation::Expires(day(2025, 1, 5)))
        );
        let unknown = LimitationFacts::default();
        assert_eq!(of_application(&unknown, None, &mut [], day(2025, 3, 1), every_day), None);
    }

    #[test]
    fn wage_arrears_are_not_time_barred_while_the_job_lasts() {
        assert_eq!(period(day(2020, 1, 1), true, None, &[], &[]), Limitation::NotRunning);
        assert!(!Limitation::NotRunning.bars(day(2030, 1, 1)));
        let ended = period(day(2020, 1, 1), true, Some(day(2025, 6, 30)), &[], &[]);
        assert_eq!(ended, Limitation::Expires(day(2026, 6, 30)));
    }
}
