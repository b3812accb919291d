//! Claims and final awards (一裁终局, LDMAL Art. 47): a claim for labour
//! remuneration, medical costs of a work injury, economic compensation or
//! damages of at most twelve months of the local monthly minimum wage, and
//! any dispute over the state's labour standards (working hours, rest and
//! leave, social insurance), is decided finally for the employer. (The
//! worker may still sue, Art. 48; the employer may only ask the court to set
//! the award aside, Art. 49.)

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum ClaimKind {
    Wages,
    InjuryMedical,
    Compensation,
    Damages,
    LabourStandards,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: ClaimKind,
    /// In fen (0.01 yuan).
    pub amount_fen: i64,
    pub description: String,
    /// The claim's own limitation period (Art. 27): its last day, none
    /// while it does not run (or before the application), and whether the
    /// application came after it.
    pub limitation_expires: Option<chrono::NaiveDate>,
    pub time_barred: bool,
    /// What the award grants on this claim, once made.
    pub awarded_fen: Option<i64>,
}

/// Art. 47(1): twelve months of the local monthly minimum wage.
pub fn final_threshold_fen(monthly_minimum_wage_fen: i64) -> i64 {
    12 * monthly_minimum_wage_fen
}

/// Whether the award on this claim is final for the employer (Art. 47),
/// judged item by item on the amount the award grants (SPC Interpretation
/// (I) on labour disputes, 2020, Art. 19); before the award, provisionally,
/// on the amount claimed.
pub fn is_final(claim: &Claim, monthly_minimum_wage_fen: i64) -> bool {
    match claim.kind {
        ClaimKind::Wages | ClaimKind::InjuryMedical | ClaimKind::Compensation | ClaimKind::Damages => {
            claim.awarded_fen.unwrap_or(claim.amount_fen) <= final_threshold_fen(monthly_minimum_wage_fen)
        }
        ClaimKind::LabourStandards => true,
        ClaimKind::Other => false,
    }
}

/// The amounts an award grants, checked against the claims (`claimed`, in
/// their order): one per claim, none negative, none above what was claimed
/// — the tribunal decides what was asked, no more. The problem, if any.
pub fn check_awarded(claimed: &[i64], awarded: &[i64]) -> Result<(), String> {
    if awarded.len() != claimed.len() {
        return Err(format!(
            "state the amount awarded on each of the case's {} claims, in their order (got {})",
            claimed.len(),
            awarded.len()
        ));
    }
    match claimed.iter().zip(awarded).position(|(c, a)| *a < 0 || a > c) {
        Some(i) => Err(format!("claim {i}: the award must be between 0 and the {} fen claimed", claimed[i])),
        None => Ok(()),
    }
}

/// The whole case is final when it has claims and every one is.
pub fn all_final(claims: &[Claim], monthly_minimum_wage_fen: i64) -> bool {
    !claims.is_empty() && claims.iter().all(|c| is_final(c, monthly_minimum_wage_fen))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shenzhen's monthly minimum wage of 2,360 yuan (from July 2022).
    const SHENZHEN: i64 = 236_000;

    fn other(fen: i64) -> Claim {
        Claim {
            kind: ClaimKind::Other,
            amount_fen: fen,
            description: String::new(),
            limitation_expires: None,
            time_barred: false,
            awarded_fen: None,
        }
    }

    fn wages(fen: i64) -> Claim {
        Claim { kind: ClaimKind::Wages, amount_fen: fen, ..other(0) }
    }

    #[test]
    fn a_pay_claim_at_twelve_months_minimum_wage_is_final_and_one_fen_more_is_not() {
        let at = 12 * SHENZHEN;
        assert_eq!(at, 2_832_000, "28,320 yuan");
        assert!(is_final(&wages(at - 1), SHENZHEN), "below");
        assert!(is_final(&wages(at), SHENZHEN), "at: 'does not exceed'");
        assert!(!is_final(&wages(at + 1), SHENZHEN), "above");
    }

    #[test]
    fn labour_standards_are_final_whatever_the_amount_and_other_claims_never() {
        let standards = Claim { kind: ClaimKind::LabourStandards, amount_fen: i64::MAX, ..other(0) };
        assert!(is_final(&standards, SHENZHEN));
        let other = other(1);
        assert!(!is_final(&other, SHENZHEN));
    }

    #[test]
    fn once_awarded_a_claim_is_judged_on_the_amount_awarded() {
        let claimed = wages(12 * SHENZHEN + 100_000);
        assert!(!is_final(&claimed, SHENZHEN), "provisionally, on the claim");
        let awarded = Claim { awarded_fen: Some(12 * SHENZHEN), ..claimed.clone() };
        assert!(is_final(&awarded, SHENZHEN), "the award grants no more than twelve months");
        let more = Claim { awarded_fen: Some(12 * SHENZHEN + 1), ..claimed };
        assert!(!is_final(&more, SHENZHEN));
    }

    #[test]
    fn an_award_states_one_amount_per_claim_and_none_above_the_claim() {
        assert_eq!(check_awarded(&[100, 200], &[100, 0]), Ok(()));
        assert!(check_awarded(&[100, 200], &[100]).unwrap_err().contains("each of the case's 2 claims"));
        assert!(check_awarded(&[100, 200], &[100, 201]).unwrap_err().starts_with("claim 1"));
        assert!(check_awarded(&[100], &[-1]).is_err());
    }

    #[test]
    fn a_case_is_final_only_when_every_claim_is() {
        assert!(all_final(&[wages(100), wages(200)], SHENZHEN));
        assert!(!all_final(&[wages(100), wages(12 * SHENZHEN + 1)], SHENZHEN));
        assert!(!all_final(&[], SHENZHEN));
    }
}
