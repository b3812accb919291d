//! Enterprise labour risk: several cases against one enterprise within a
//! window, one collective dispute, or a relocation notice raise a risk both
//! networks act on.

/// Cases within the window that make a risk.
pub const RISK_CASES: i64 = 3;
/// The window, in days; also how long a raised risk stays raised.
pub const RISK_WINDOW_DAYS: i64 = 30;

/// Why the enterprise is at risk, if it is.
pub fn assess(recent_cases: i64, collective: bool) -> Option<String> {
    if collective {
        Some("a collective labour dispute".into())
    } else if recent_cases >= RISK_CASES {
        Some(format!("{recent_cases} labour cases within {RISK_WINDOW_DAYS} days"))
    } else {
        None
    }
}

/// The reason given for a relocation or closure notice: a risk at once.
pub fn relocation(note: &str) -> String {
    match note.trim() {
        "" => "relocation or closure announced".into(),
        n => format!("relocation or closure announced: {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_cases_or_a_collective_dispute_make_a_risk() {
        assert!(assess(2, false).is_none());
        assert!(assess(3, false).is_some());
        assert!(assess(1, true).is_some());
    }
}
