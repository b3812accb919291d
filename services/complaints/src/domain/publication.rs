//! What of a request may be shown to the public (Open311 reads without an
//! api_key, when a deployment turns them on). Petitions (信访) and the
//! people behind them are confidential (信访工作条例 Art. 45), as are
//! reporters and what they report (the reporting rules); labour complaints
//! name employers and workers. So a public read never shows a `report`, a
//! request from the letters-and-visits or on-behalf channels, or a labour
//! category, and shows only categories the deployment lists as public; the
//! description leaves with phone numbers, identity numbers, e-mail addresses
//! and flat numbers masked; the place is the building and a point rounded
//! to about 100 m; the notes are status words alone.

pub use dualnet_platform::redaction::redact;

use super::complaint::{Channel, Complaint, Kind, is_labour};

/// Decimal places a public point keeps (0.001° ≈ 100 m).
const PUBLIC_DECIMALS: i32 = 3;

/// Whether `c` may be shown to the public, `public` being the categories
/// the deployment publishes.
pub fn is_public(c: &Complaint, public: &[String]) -> bool {
    c.kind != Kind::Report
        && !matches!(c.channel, Channel::LettersAndVisits | Channel::OnBehalf)
        && !is_labour(&c.category)
        && public.contains(&c.category)
}

/// A coordinate as the public sees it.
pub fn rounded(degrees: f64) -> f64 {
    let scale = 10f64.powi(PUBLIC_DECIMALS);
    (degrees * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_point_is_rounded_to_about_100_m() {
        assert_eq!(rounded(22.654_321), 22.654);
        assert_eq!(rounded(114.065_9), 114.066);
    }
}
