//! An application as the API takes it (LDMAL Art. 28): parsed field by
//! field into the domain's values, every bad field reported at once.

use dualnet_platform::{
    ApiError, Fields,
    fields::{NAME_MAX, TEXT_MAX},
    personal_data,
};
use dualnet_proto::arbitration::v1 as pb;

use crate::{
    domain::{
        award::Claim,
        case::{Claimant, LimitationFacts},
        limitation::Suspension,
    },
    store::Application,
    wire,
};

/// Most claimants and claims one case may list.
const CLAIMANTS_MAX: usize = 2000;
const CLAIMS_MAX: usize = 50;
/// Most representatives one application may name.
const REPRESENTATIVES_MAX: usize = 50;
/// The largest amount one claim may state, in fen (1 billion yuan).
const AMOUNT_MAX_FEN: i64 = 100_000_000_000;

/// The application `r` makes; `me`, the representative applying (who is
/// then one of the case's representatives).
pub(super) fn parse(r: pb::ApplyCaseRequest, me: Option<String>) -> Result<Application, ApiError> {
    let mut f = Fields::new();
    let draft_id = f.optional_id("draft_id", &r.draft_id);
    let enterprise_id = f.optional_id("enterprise_id", &r.enterprise_id);
    let respondent = f.text("respondent", &r.respondent, NAME_MAX);
    let category = f.optional_text("category", &r.category, NAME_MAX).unwrap_or_else(|| "labour".into());
    let facts = f.text("facts", &r.facts, TEXT_MAX);
    let claimants = claimants(&mut f, &r.claimants);
    let mut representatives = representatives(&mut f, "representatives", &r.representatives);
    representatives.extend(me);
    let claims = claims(&mut f, &r.claims);
    let limitation = limitation(&mut f, &r);
    let mediation_started_on = f.optional_date("mediation_started_on", &r.mediation_started_on);
    if r.workers < 0 || r.workers > 100_000 {
        f.violation("workers", "must be between 0 and 100000");
    }
    f.finish()?;
    Ok(Application {
        draft_id,
        enterprise_id,
        respondent,
        category,
        workers: r.workers,
        claimants,
        claims,
        facts,
        limitation,
        mediation_started_on,
        representatives,
    })
}

fn claimants(f: &mut Fields, given: &[pb::Claimant]) -> Vec<Claimant> {
    if given.is_empty() || given.len() > CLAIMANTS_MAX {
        f.violation("claimants", format!("list between 1 and {CLAIMANTS_MAX} claimants"));
    }
    given
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let phone = f.optional_text(&format!("claimants[{i}].phone"), &c.phone, 32);
            if phone.as_deref().is_some_and(|p| !personal_data::valid_phone(p)) {
                f.violation(&format!("claimants[{i}].phone"), "must be a phone number (digits, '+', '-', spaces)");
            }
            let id_number =
                f.optional_text(&format!("claimants[{i}].id_number"), &c.id_number, 18).map(|n| n.to_uppercase());
            if id_number.as_deref().is_some_and(|n| !personal_data::valid_id_number(n)) {
                f.violation(
                    &format!("claimants[{i}].id_number"),
                    "must be an 18-character identity card number with a valid check character",
                );
            }
            Claimant {
                name: f.text(&format!("claimants[{i}].name"), &c.name, NAME_MAX),
                phone,
                id_number,
                representative: c.representative,
                unreadable: None,
            }
        })
        .collect()
}

/// The token subjects a list names as representatives, field `field`.
pub(super) fn representatives(f: &mut Fields, field: &str, given: &[String]) -> Vec<String> {
    if given.len() > REPRESENTATIVES_MAX {
        f.violation(field, format!("name at most {REPRESENTATIVES_MAX} representatives"));
    }
    given.iter().enumerate().map(|(i, sub)| f.text(&format!("{field}[{i}]"), sub, NAME_MAX)).collect()
}

fn claims(f: &mut Fields, given: &[pb::Claim]) -> Vec<Claim> {
    if given.is_empty() || given.len() > CLAIMS_MAX {
        f.violation("claims", format!("state between 1 and {CLAIMS_MAX} claims"));
    }
    let mut claims = Vec::new();
    for (i, c) in given.iter().enumerate() {
        let kind = f.enumeration::<pb::ClaimKind>(&format!("claims[{i}].kind"), c.kind).and_then(wire::claim_kind_from);
        if !(0..=AMOUNT_MAX_FEN).contains(&c.amount_fen) {
            f.violation(&format!("claims[{i}].amount_fen"), format!("must be between 0 and {AMOUNT_MAX_FEN}"));
        }
        let description =
            f.optional_text(&format!("claims[{i}].description"), &c.description, TEXT_MAX).unwrap_or_default();
        if let Some(kind) = kind {
            claims.push(Claim {
                kind,
                amount_fen: c.amount_fen,
                description,
                limitation_expires: None,
                time_barred: false,
                awarded_fen: None,
            });
        }
    }
    claims
}

/// What the limitation period (Art. 27) is worked out from.
fn limitation(f: &mut Fields, r: &pb::ApplyCaseRequest) -> LimitationFacts {
    let right_known_on = f.optional_date("right_known_on", &r.right_known_on);
    if right_known_on.is_none() && r.right_known_on.trim().is_empty() {
        f.violation("right_known_on", "give the day the right was known to be infringed (LDMAL Art. 27)");
    }
    let employment_ended_on = f.optional_date("employment_ended_on", &r.employment_ended_on);
    let interruptions: Vec<_> = r
        .interruptions
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let field = format!("interruptions[{i}]");
            if d.trim().is_empty() {
                f.violation(&field, "must be a date, YYYY-MM-DD");
            }
            f.optional_date(&field, d)
        })
        .collect();
    let mut suspensions = Vec::new();
    for (i, s) in r.suspensions.iter().enumerate() {
        let from = f.optional_date(&format!("suspensions[{i}].from"), &s.from);
        let to = f.optional_date(&format!("suspensions[{i}].to"), &s.to);
        match (from, to) {
            (Some(from), Some(to)) if from <= to => suspensions.push(Suspension { from, to }),
            (Some(_), Some(_)) => f.violation(&format!("suspensions[{i}].to"), "must not be before from"),
            _ => f.violation(&format!("suspensions[{i}]"), "give both days"),
        }
    }
    LimitationFacts { right_known_on, employment_ended_on, interruptions, suspensions }
}
