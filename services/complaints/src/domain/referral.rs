//! Referrals of a request to mediation — people's, administrative, judicial
//! (人民调解/行政调解/司法调解) — or to legal aid (法律援助), and their outcomes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    PeoplesMediation,
    AdministrativeMediation,
    JudicialMediation,
    LegalAid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    Settled,
    NotSettled,
    AidGranted,
    AidRefused,
    Withdrawn,
}

/// Whether `outcome` can end a referral of `kind`: mediation settles or not,
/// legal aid is granted or refused; any may be withdrawn.
pub fn fits(kind: Kind, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Withdrawn => true,
        Outcome::Settled | Outcome::NotSettled => kind != Kind::LegalAid,
        Outcome::AidGranted | Outcome::AidRefused => kind == Kind::LegalAid,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub kind: Kind,
    pub note: String,
    pub referred_at: DateTime<Utc>,
    pub outcome: Option<(Outcome, String, DateTime<Utc>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mediation_settles_and_legal_aid_is_granted_not_the_other_way_round() {
        assert!(fits(Kind::PeoplesMediation, Outcome::Settled));
        assert!(!fits(Kind::PeoplesMediation, Outcome::AidGranted));
        assert!(fits(Kind::LegalAid, Outcome::AidRefused));
        assert!(!fits(Kind::LegalAid, Outcome::Settled));
        assert!(fits(Kind::JudicialMediation, Outcome::Withdrawn));
    }
}
