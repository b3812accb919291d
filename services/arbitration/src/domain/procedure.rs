//! How a case is heard: the ordinary procedure, or simply (简易处理, 2017
//! Labour and Personnel Dispute Arbitration Rules Arts 56-61) — when the
//! commission may choose it, on what ground, and how far the defence period
//! may be shortened.

use super::{award_clock::Pause, case::Case};

/// How a case is heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Track {
    /// A tribunal and the statute's notice periods (LDMAL Arts 30-35).
    #[default]
    Ordinary,
    /// 简易处理 (2017 Arbitration Rules Arts 56-61): a sole arbitrator, the
    /// defence period shortened or waived with consent (Art. 58), the
    /// hearing date set by the tribunal (Art. 60).
    Simple,
}

/// Rules Art. 56: the grounds on which a case may be handled simply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimpleGround {
    /// Clear facts, clear rights and duties, little in dispute.
    ClearFacts,
    /// Within the province's average annual wage of the previous year.
    SmallAmount,
    /// Both parties agree.
    PartiesAgree,
}

impl SimpleGround {
    pub const ALL: [SimpleGround; 3] =
        [SimpleGround::ClearFacts, SimpleGround::SmallAmount, SimpleGround::PartiesAgree];

    /// As the history records it.
    pub fn said(self) -> &'static str {
        match self {
            SimpleGround::ClearFacts => "clear facts, clear rights and duties, little in dispute",
            SimpleGround::SmallAmount => "the amount within the province's average annual wage of the previous year",
            SimpleGround::PartiesAgree => "both parties agree",
        }
    }
}

/// Rules Art. 57: why a case may not be handled simply, if it may not. A
/// collective dispute is heard under the Rules' own procedure for
/// collective disputes, with priority and a tribunal (Arts 62 ff.); a
/// respondent served by public notice is one whose whereabouts are unknown
/// (Art. 57(3)).
pub fn simple_barred(case: &Case) -> Option<&'static str> {
    if case.collective() {
        return Some(
            "a collective dispute is heard by a tribunal under the collective procedure (2017 Arbitration Rules Arts 57, 62)",
        );
    }
    if matches!(case.award_clock.paused, Some((Pause::PublicNotice, _))) {
        return Some(
            "the respondent's whereabouts are unknown (served by public notice; 2017 Arbitration Rules Art. 57(3))",
        );
    }
    None
}

/// Rules Art. 58: the longest defence period a shortening may leave (less
/// than Art. 30's ten working days; 0 waives it).
pub const SHORTENED_DEFENCE_MAX_DAYS: u32 = 9;
