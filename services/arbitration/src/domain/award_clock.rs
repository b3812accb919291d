//! The award period as the 2017 Labour and Personnel Dispute Arbitration
//! Rules count it, beyond LDMAL Art. 43's 45 days from acceptance:
//! - Art. 46(1)–(5): adding a party or third party, accepting added or
//!   amended claims, joining a counterclaim, accepting a transferred case —
//!   the period runs afresh from that day;
//! - Art. 46(6): while the case is suspended (中止审理, Art. 47) or a
//!   document is being served by public notice, the days are not counted;
//! - Art. 45: one extension of at most 15 days, with the written approval of
//!   the commission's director, notified to the parties in writing.
//!
//! Reading chosen where the Rules are silent: an extension already granted
//! stays with the case when the period runs afresh (it was granted for the
//! case's complexity, which a restart does not lessen); days not counted
//! before a restart are not carried into the new period.

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use dualnet_platform::calendar::{Calendar, china_date};

use super::clocks::award_due;

/// Why the award period stands still.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Pause {
    /// 中止审理 (Rules Art. 47).
    Suspension,
    /// 公告送达 (Rules Art. 46(6)).
    PublicNotice,
}

/// Where the award period stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardClock {
    /// The day the period runs from: acceptance, or the latest restart.
    pub from: Option<DateTime<Utc>>,
    /// Days not counted so far (suspension, public notice).
    pub paused_days: u32,
    /// Standing still now, since when and why.
    pub paused: Option<(Pause, DateTime<Utc>)>,
}

impl AwardClock {
    /// The end of the period (24:00 China time of its last day), with
    /// `extension_days` granted; `None` before acceptance or while it stands
    /// still.
    pub fn due(&self, extension_days: u32, cal: &Calendar) -> Option<DateTime<Utc>> {
        match (self.from, self.paused) {
            (Some(from), None) => Some(award_due(from, extension_days + self.paused_days, cal)),
            _ => None,
        }
    }

    /// Art. 46(1)–(5): the period runs afresh from `now`.
    pub fn restart(&mut self, now: DateTime<Utc>) -> Result<(), String> {
        if let Some((pause, _)) = self.paused {
            return Err(format!("the award period stands still ({}): resume the case first", pause.as_str()));
        }
        self.from = Some(now);
        self.paused_days = 0;
        Ok(())
    }

    /// Art. 46(6): the period stands still from `now`.
    pub fn pause(&mut self, why: Pause, now: DateTime<Utc>) -> Result<(), String> {
        if let Some((pause, _)) = self.paused {
            return Err(format!("the award period already stands still ({})", pause.as_str()));
        }
        if self.from.is_none() {
            return Err("only an accepted case has an award period".into());
        }
        self.paused = Some((why, now));
        Ok(())
    }

    /// The pause `why` ends at `now`: its China-local days, the day it
    /// began up to the day before it ended, are not counted. Returns them.
    pub fn resume(&mut self, why: Pause, now: DateTime<Utc>) -> Result<u32, String> {
        match self.paused {
            Some((pause, since)) if pause == why => {
                let days = u32::try_from((china_date(now) - china_date(since)).num_days()).unwrap_or(0);
                self.paused_days += days;
                self.paused = None;
                Ok(days)
            }
            Some((pause, _)) => {
                Err(format!("the award period stands still for {}, not {}", pause.as_str(), why.as_str()))
            }
            None => Err("the award period does not stand still".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        // 10:00 China time.
        Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap()
    }

    #[test]
    fn a_restart_counts_afresh_and_a_pause_adds_its_days() {
        let cal = Calendar::load(None).unwrap();
        let mut clock = AwardClock { from: Some(at(2026, 3, 2)), ..AwardClock::default() };
        let first = clock.due(0, &cal).unwrap();
        clock.pause(Pause::Suspension, at(2026, 3, 10)).unwrap();
        assert_eq!(clock.due(0, &cal), None, "no end while it stands still");
        assert!(clock.restart(at(2026, 3, 11)).is_err(), "resume first");
        assert!(clock.resume(Pause::PublicNotice, at(2026, 3, 20)).is_err(), "not the pause it is in");
        assert_eq!(clock.resume(Pause::Suspension, at(2026, 3, 20)).unwrap(), 10);
        assert_eq!(clock.due(0, &cal), Some(award_due(at(2026, 3, 2), 10, &cal)));
        assert!(clock.due(0, &cal).unwrap() > first);
        clock.restart(at(2026, 4, 1)).unwrap();
        assert_eq!(clock.paused_days, 0);
        assert_eq!(clock.due(0, &cal), Some(award_due(at(2026, 4, 1), 0, &cal)));
        assert!(AwardClock::default().pause(Pause::PublicNotice, at(2026, 4, 1)).is_err(), "not accepted");
    }
}
