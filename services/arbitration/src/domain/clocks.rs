//! The statutory clocks of a case and what their passing means. Periods of
//! 3, 5 and 10 days count working days on the holiday calendar; 15 and 45
//! days count calendar days (2017 Labour and Personnel Dispute Arbitration
//! Rules, supplementary provisions). Every period counts China-local days:
//! the day it starts on is not counted, it ends at 24:00 China time of its
//! last day, and a calendar-day period whose last day is a rest day runs to
//! the next working day (Civil Code Arts 201 and 203, see
//! `dualnet_platform::calendar`).

use chrono::{DateTime, Duration, Utc};
use dualnet_platform::calendar::{Calendar, china_date, start_of_day};

/// Art. 14: mediation that reaches no agreement within 15 days lets a party
/// seek arbitration.
pub const MEDIATION_DAYS: u32 = 15;
/// Art. 29: accept or refuse within 5 days of receiving the application.
pub const ACCEPTANCE_WORKING_DAYS: u32 = 5;
/// Art. 30: serve the copy of the application within 5 days of acceptance.
pub const SERVICE_WORKING_DAYS: u32 = 5;
/// Art. 30: the respondent's defence within 10 days of being served.
pub const DEFENCE_WORKING_DAYS: u32 = 10;
/// Art. 30: the defence's copy to the applicant within 5 days of receiving it.
pub const DEFENCE_COPY_WORKING_DAYS: u32 = 5;
/// Art. 32: notify the parties of the tribunal within 5 days of acceptance.
pub const TRIBUNAL_NOTICE_WORKING_DAYS: u32 = 5;
/// Art. 35: notice of the hearing at least 5 days ahead.
pub const HEARING_NOTICE_WORKING_DAYS: u32 = 5;
/// Art. 35: postponement asked at least 3 days before the hearing.
pub const POSTPONEMENT_WORKING_DAYS: u32 = 3;
/// Art. 43: the award within 45 days of acceptance.
pub const AWARD_DAYS: u32 = 45;
/// Art. 43: extended once, by at most 15 days.
pub const AWARD_EXTENSION_MAX_DAYS: u32 = 15;
/// The arbitrator is reminded this long before a hearing.
pub const HEARING_REMINDER_DAYS: i64 = 5;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr, strum::EnumString, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    MediationOver,
    Acceptance,
    Service,
    Defence,
    TribunalNotice,
    HearingSoon,
    Award,
    DefenceCopy,
}

impl Kind {
    /// The breach, or the right that opens, when the time passes.
    pub fn consequence(self) -> &'static str {
        match self {
            Kind::MediationOver => "mediation period over without agreement: arbitration may be sought (LDMAL Art. 14)",
            Kind::Acceptance => "acceptance overdue: the claimant may sue in court (LDMAL Art. 29)",
            Kind::Service => "copy of the application not served on the respondent in time (LDMAL Art. 30)",
            Kind::Defence => "defence period over: the case proceeds without a defence (LDMAL Art. 30)",
            Kind::TribunalNotice => "tribunal composition not notified in time (LDMAL Art. 32)",
            Kind::HearingSoon => "hearing in 5 days",
            Kind::Award => "award overdue: a party may sue in court (LDMAL Art. 43)",
            Kind::DefenceCopy => "copy of the defence not served on the applicant in time (LDMAL Art. 30)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum State {
    Pending,
    Met,
    /// The time passed: the breach happened, or the right opened.
    Passed,
    /// The case ended before it mattered.
    Cancelled,
    /// Standing still: the days are not counted (the award period during a
    /// suspension or service by public notice, Rules Art. 46(6)).
    Paused,
}

/// One statutory deadline of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub case_id: uuid::Uuid,
    pub kind: Kind,
    pub due_at: DateTime<Utc>,
    pub state: State,
    pub arbitrator: Option<String>,
}

/// Art. 14: the 15 days run from the day after the mediation organisation
/// received the dispute (Civil Code Art. 201).
pub fn mediation_over(started: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
    cal.add_calendar_days(started, MEDIATION_DAYS)
}

pub fn acceptance_due(applied: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
    cal.add_working_days(applied, ACCEPTANCE_WORKING_DAYS)
}

pub fn service_due(accepted: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
    cal.add_working_days(accepted, SERVICE_WORKING_DAYS)
}

pub fn defence_due(served: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
    cal.add_working_days(served, DEFENCE_WORKING_DAYS)
}

pub fn defence_copy_due(received: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
    cal.add_working_days(received, DEFENCE_COPY_WORKING_DAYS)
}

pub fn tribunal_notice_due(accepted: DateTime<Utc>, cal: &Calendar) -> DateTime<Utc> {
    cal.add_working_days(accepted, TRIBUNAL_NOTICE_WORKING_DAYS)
}

/// Art. 43: 45 days from acceptance, plus the extension. A last day on a rest
/// day runs to the next working day (the civil-procedure reading of the
/// period, applied by the 2017 Rules; docs/integrators.md).
pub fn award_due(accepted: DateTime<Utc>, extension_days: u32, cal: &Calendar) -> DateTime<Utc> {
    cal.add_calendar_days(accepted, AWARD_DAYS + extension_days)
}

pub fn hearing_reminder(hearing_at: DateTime<Utc>) -> DateTime<Utc> {
    hearing_at - Duration::days(HEARING_REMINDER_DAYS)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HearingRefused {
    NoticeTooShort { earliest: DateTime<Utc> },
    PostponementTooLate { latest_request_for: DateTime<Utc> },
}

impl std::fmt::Display for HearingRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HearingRefused::NoticeTooShort { earliest } => write!(
                f,
                "a hearing is noticed at least {HEARING_NOTICE_WORKING_DAYS} working days ahead (LDMAL Art. 35): not before {earliest}"
            ),
            HearingRefused::PostponementTooLate { .. } => write!(
                f,
                "a postponement is asked at least {POSTPONEMENT_WORKING_DAYS} working days before the hearing (LDMAL Art. 35)"
            ),
        }
    }
}

/// Art. 35: the parties learn of a hearing at least 5 working days ahead,
/// counted in China-local dates: the hearing's day is the 5th working day
/// after today or later, whatever the hours.
pub fn check_notice(now: DateTime<Utc>, hearing_at: DateTime<Utc>, cal: &Calendar) -> Result<(), HearingRefused> {
    let earliest = cal.working_day_after(china_date(now), HEARING_NOTICE_WORKING_DAYS);
    if china_date(hearing_at) < earliest {
        Err(HearingRefused::NoticeTooShort { earliest: start_of_day(earliest) })
    } else {
        Ok(())
    }
}

/// Art. 35: a postponement is asked at least 3 working days before the
/// hearing it moves.
pub fn check_postponement(now: DateTime<Utc>, hearing_at: DateTime<Utc>, cal: &Calendar) -> Result<(), HearingRefused> {
    if cal.working_day_after(china_date(now), POSTPONEMENT_WORKING_DAYS) > china_date(hearing_at) {
        Err(HearingRefused::PostponementTooLate { latest_request_for: hearing_at })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn cal() -> Calendar {
        Calendar::load(None).unwrap()
    }

    #[test]
    fn acceptance_is_due_five_working_days_later_across_a_holiday() {
        // Wednesday 30 September 2026, before the National Day holiday
        // (1–7 October) and its swapped working Saturday, 10 October.
        let applied = Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap();
        // Working days: Thu 8, Fri 9, Sat 10 (swapped), Mon 12, Tue 13; the
        // period ends at 24:00 China time of the 13th (16:00 UTC).
        assert_eq!(acceptance_due(applied, &cal()), Utc.with_ymd_and_hms(2026, 10, 13, 16, 0, 0).unwrap());
    }

    #[test]
    fn the_award_is_due_45_calendar_days_after_acceptance_plus_the_extension() {
        let accepted = Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap();
        // Day 45 is Saturday 14 November, a rest day: the period runs to 24:00
        // of Monday 16 November; day 60 is Sunday 29 November: Monday 30th.
        assert_eq!(award_due(accepted, 0, &cal()), Utc.with_ymd_and_hms(2026, 11, 16, 16, 0, 0).unwrap());
        assert_eq!(award_due(accepted, 15, &cal()), Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
    }

    #[test]
    fn a_hearing_needs_five_working_days_notice_and_a_postponement_three() {
        let monday = Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap();
        let cal = cal();
        assert!(check_notice(monday, monday + Duration::days(6), &cal).is_err(), "Sunday the 8th: 4 working days");
        assert!(check_notice(monday, monday + Duration::days(7), &cal).is_ok(), "Monday the 9th: 5 working days");
        let hearing = monday + Duration::days(7);
        // Wednesday: Thu, Fri, Mon — three working days before the hearing.
        assert!(check_postponement(monday + Duration::days(2), hearing, &cal).is_ok());
        assert!(check_postponement(monday + Duration::days(3), hearing, &cal).is_err(), "Thursday is too late");
    }
}
