//! A resident's request (诉求): kinds, channels, its deadline and lifecycle
//! filed → accepted → dispatched → replied → rated, following the incident
//! it opened; a dissatisfied rating reopens it.

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use dualnet_platform::calendar::Calendar;
use uuid::Uuid;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
        pub enum $name { $(#[strum(serialize = $text)] $variant),+ }
    };
}

named_enum!(Kind {
    Consultation = "consultation",
    Help = "help",
    Complaint = "complaint",
    Report = "report",
    Suggestion = "suggestion",
});

named_enum!(Channel {
    Hotline = "hotline",
    App = "app",
    WalkIn = "walk_in",
    LettersAndVisits = "letters_and_visits",
    WechatGroup = "wechat_group",
    OnBehalf = "on_behalf",
});

named_enum!(Status {
    Filed = "filed",
    Accepted = "accepted",
    Dispatched = "dispatched",
    Replied = "replied",
    Rated = "rated",
});

named_enum!(Resolution { Solved = "solved", PartlySolved = "partly_solved", NotSolved = "not_solved" });

named_enum!(Satisfaction {
    Satisfied = "satisfied",
    BasicallySatisfied = "basically_satisfied",
    Dissatisfied = "dissatisfied",
});

/// Categories under this prefix are labour disputes and reach arbitration.
pub const LABOUR_PREFIX: &str = "labour.";

impl Kind {
    /// Working days allowed (Guangdong practice): consultations 2, help and
    /// suggestions 10, complaints and reports 15.
    pub fn working_days(self) -> u32 {
        match self {
            Kind::Consultation => 2,
            Kind::Help | Kind::Suggestion => 10,
            Kind::Complaint | Kind::Report => 15,
        }
    }
}

/// When a request is due: by its category's own deadline when the catalogue
/// sets one, else by its kind.
pub fn deadline(
    kind: Kind,
    category: Option<CategoryDeadline>,
    from: DateTime<Utc>,
    calendar: &Calendar,
) -> DateTime<Utc> {
    match category {
        Some(CategoryDeadline::WorkingDays(n)) => calendar.add_working_days(from, n),
        Some(CategoryDeadline::Hours(n)) => calendar.add_hours(from, n),
        None => calendar.add_working_days(from, kind.working_days()),
    }
}

/// A deadline the catalogue sets for a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryDeadline {
    WorkingDays(u32),
    /// Emergencies are counted in hours, holidays or not.
    Hours(u32),
}

pub fn is_labour(category: &str) -> bool {
    category.starts_with(LABOUR_PREFIX)
}

/// Category codes: lowercase letters, digits, `_` and `.`, e.g. `noise`,
/// `labour.wage_arrears`.
pub fn valid_category(category: &str) -> bool {
    !category.is_empty()
        && category.len() <= 64
        && category.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalStep(pub String);

impl std::fmt::Display for IllegalStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The lead department accepts the request.
pub fn accept(s: Status) -> Result<Status, IllegalStep> {
    match s {
        Status::Filed => Ok(Status::Accepted),
        // The incident may be opened before the department accepts: it
        // stays dispatched.
        Status::Dispatched => Ok(Status::Dispatched),
        other => Err(IllegalStep(format!("a complaint that is {} cannot be accepted", other.as_str()))),
    }
}

/// The incident opened for the complaint: it is now being handled.
pub fn dispatch(s: Status) -> Option<Status> {
    matches!(s, Status::Filed | Status::Accepted).then_some(Status::Dispatched)
}

/// The incident closed: the resident gets the reply.
pub fn reply(s: Status) -> Option<Status> {
    matches!(s, Status::Filed | Status::Accepted | Status::Dispatched).then_some(Status::Replied)
}

/// A rating of the reply. Satisfied or basically satisfied rates it; a
/// dissatisfied rating reopens it: it goes back to the lead department,
/// to be dispatched again on a restarted clock.
pub fn rate(s: Status, satisfaction: Satisfaction) -> Result<Status, IllegalStep> {
    match s {
        Status::Replied if satisfaction == Satisfaction::Dissatisfied => Ok(Status::Accepted),
        Status::Replied => Ok(Status::Rated),
        other => Err(IllegalStep(format!("a complaint that is {} cannot be rated yet", other.as_str()))),
    }
}

/// Still waiting for its reply.
pub fn is_open(s: Status) -> bool {
    matches!(s, Status::Filed | Status::Accepted | Status::Dispatched)
}

/// Open311 `status`: open until replied.
pub fn open311(s: Status) -> &'static str {
    if is_open(s) { "open" } else { "closed" }
}

#[derive(Debug, Clone)]
pub struct Complaint {
    pub id: Uuid,
    pub kind: Kind,
    pub category: String,
    pub channel: Channel,
    pub building_id: Option<Uuid>,
    pub grid_id: Option<Uuid>,
    pub community_id: Option<Uuid>,
    pub description: String,
    pub status: Status,
    pub incident_id: Option<Uuid>,
    pub correlation_id: Uuid,
    pub reply: String,
    pub satisfaction: Option<Satisfaction>,
    pub enterprise_id: Option<Uuid>,
    pub workers: i32,
    pub filed_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub address: String,
    pub location: Option<(f64, f64)>,
    pub located_by: super::location::LocatedBy,
    pub department: String,
    pub overdue: bool,
    pub supervised_by: Option<String>,
    pub resolution: Option<Resolution>,
    pub merged_into: Option<Uuid>,
    pub reopened: i32,
    pub filed_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_consultation_is_due_in_two_working_days_and_a_complaint_in_fifteen() {
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let cal = Calendar::default();
        let due = |k| deadline(k, None, monday, &cal);
        // Periods end at 24:00 China time of their last day (16:00 UTC).
        assert_eq!(due(Kind::Consultation), Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap());
        assert_eq!(due(Kind::Complaint), Utc.with_ymd_and_hms(2026, 12, 14, 16, 0, 0).unwrap());
    }

    #[test]
    fn a_category_deadline_overrides_the_kind_and_emergencies_count_hours() {
        let friday = Utc.with_ymd_and_hms(2026, 9, 30, 9, 0, 0).unwrap();
        let cal = Calendar::load(None).unwrap();
        let gas = deadline(Kind::Report, Some(CategoryDeadline::Hours(4)), friday, &cal);
        assert_eq!(gas, friday + chrono::Duration::hours(4));
        // 2 working days from Wednesday 30 September across National Day:
        // Thursday 8 and Friday 9 October.
        let d = deadline(Kind::Complaint, Some(CategoryDeadline::WorkingDays(2)), friday, &cal);
        assert_eq!(d, Utc.with_ymd_and_hms(2026, 10, 9, 16, 0, 0).unwrap());
    }

    #[test]
    fn only_a_replied_complaint_can_be_rated_and_dissatisfaction_reopens_it() {
        assert!(rate(Status::Filed, Satisfaction::Satisfied).is_err());
        assert!(rate(Status::Dispatched, Satisfaction::Satisfied).is_err());
        assert_eq!(rate(Status::Replied, Satisfaction::Satisfied), Ok(Status::Rated));
        assert_eq!(rate(Status::Replied, Satisfaction::BasicallySatisfied), Ok(Status::Rated));
        assert_eq!(rate(Status::Replied, Satisfaction::Dissatisfied), Ok(Status::Accepted));
        assert!(rate(Status::Rated, Satisfaction::Satisfied).is_err());
    }

    #[test]
    fn a_request_is_accepted_before_or_after_its_incident_opens() {
        assert_eq!(accept(Status::Filed), Ok(Status::Accepted));
        assert_eq!(accept(Status::Dispatched), Ok(Status::Dispatched));
        assert!(accept(Status::Replied).is_err());
        assert_eq!(dispatch(Status::Accepted), Some(Status::Dispatched));
    }

    #[test]
    fn open311_status_is_closed_once_replied() {
        assert_eq!(open311(Status::Dispatched), "open");
        assert_eq!(open311(Status::Replied), "closed");
    }

    #[test]
    fn labour_categories_are_recognised() {
        assert!(is_labour("labour.wage_arrears"));
        assert!(!is_labour("noise"));
    }

    #[test]
    fn categories_are_checked() {
        assert!(valid_category("labour.wage_arrears"));
        assert!(!valid_category("Noise!"));
    }

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
    }
}
