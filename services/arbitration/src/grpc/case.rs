//! A case as the API answers it: its clocks and deadlines as the statute
//! counts them, its claims with their finality (Art. 47) and limitation
//! (Art. 27), its claimants masked unless the read is audited.

use dualnet_platform::{
    calendar::{china_date, last_day},
    personal_data,
    timestamp::to_proto,
};
use dualnet_proto::arbitration::v1 as pb;

use super::Api;
use crate::{
    domain::{
        award,
        case::Claimant,
        clocks::{self, Deadline, Kind},
        limitation::Limitation,
    },
    store::CaseView,
    wire,
};

pub(super) fn deadline(d: &Deadline) -> pb::Deadline {
    pb::Deadline {
        case_id: d.case_id.to_string(),
        kind: wire::deadline_kind(d.kind) as i32,
        due_at: Some(to_proto(d.due_at)),
        state: wire::deadline_state(d.state) as i32,
        consequence: d.kind.consequence().into(),
        arbitrator: d.arbitrator.clone().unwrap_or_default(),
    }
}

/// A claimant as answered: unmasked only where the read is audited.
fn claimant(p: &Claimant, unmasked: bool) -> pb::Claimant {
    let (phone, id_number) = (p.phone.clone().unwrap_or_default(), p.id_number.clone().unwrap_or_default());
    if let Some(why) = &p.unreadable {
        return pb::Claimant {
            representative: p.representative,
            masked: true,
            unreadable: why.clone(),
            ..Default::default()
        };
    }
    if unmasked {
        return pb::Claimant {
            name: p.name.clone(),
            representative: p.representative,
            phone,
            id_number,
            masked: false,
            unreadable: String::new(),
        };
    }
    pb::Claimant {
        name: personal_data::mask_name(&p.name),
        representative: p.representative,
        phone: personal_data::mask_phone(&phone),
        id_number: personal_data::mask_id_number(&id_number),
        masked: true,
        unreadable: String::new(),
    }
}

impl Api {
    /// The case with its claimants masked.
    pub(super) fn view(&self, v: CaseView) -> pb::Case {
        self.view_as(v, false)
    }

    pub(super) fn view_as(&self, v: CaseView, unmasked: bool) -> pb::Case {
        let c = v.case;
        let text = |id: Option<uuid::Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
        // A deadline standing still has no end while it does.
        let due_at =
            |k: Kind| v.deadlines.iter().find(|d| d.kind == k && d.state != clocks::State::Paused).map(|d| d.due_at);
        let due = |k: Kind| due_at(k).map(to_proto);
        let due_on = |k: Kind| due_at(k).map(|t| last_day(t).to_string()).unwrap_or_default();
        let calendar = self.store.calendar();
        let from = china_date(c.applied_at.unwrap_or(c.opened_at));
        // A period still running, counted past the years the calendar holds.
        let provisional = v
            .deadlines
            .iter()
            .any(|d| d.state == clocks::State::Pending && calendar.provisional(from, last_day(d.due_at)));
        let clocks = pb::Clocks {
            mediation_period_ends: due(Kind::MediationOver),
            limitation_expires: match v.limitation {
                Some(Limitation::Expires(d)) => d.to_string(),
                _ => String::new(),
            },
            time_barred: v.time_barred,
            acceptance_due: due(Kind::Acceptance),
            service_due: due(Kind::Service),
            defence_due: due(Kind::Defence),
            tribunal_notice_due: due(Kind::TribunalNotice),
            hearing_at: c.hearing_at.map(to_proto),
            award_due: due(Kind::Award),
            award_extension_days: i32::try_from(c.award_extension_days).unwrap_or(0),
            mediation_period_ends_on: due_on(Kind::MediationOver),
            acceptance_due_on: due_on(Kind::Acceptance),
            service_due_on: due_on(Kind::Service),
            defence_due_on: due_on(Kind::Defence),
            tribunal_notice_due_on: due_on(Kind::TribunalNotice),
            award_due_on: due_on(Kind::Award),
            provisional,
            award_paused: c.award_clock.paused.is_some(),
            award_days_not_counted: i32::try_from(c.award_clock.paused_days).unwrap_or(i32::MAX),
        };
        // Art. 47 is judged at the figure in force on the day of the award;
        // before it, on today's, provisionally.
        let judged_on = china_date(c.awarded_at.unwrap_or_else(|| self.clock.now()));
        let wage_fen = self.minimum_wage.on(judged_on);
        let claims = c
            .claims
            .iter()
            .map(|k| pb::Claim {
                kind: wire::claim_kind(k.kind) as i32,
                amount_fen: k.amount_fen,
                description: k.description.clone(),
                final_award: award::is_final(k, wage_fen),
                limitation_expires: k.limitation_expires.map(|d| d.to_string()).unwrap_or_default(),
                time_barred: k.time_barred,
            })
            .collect();
        pb::Case {
            id: c.id.to_string(),
            complaint_id: text(c.complaint_id),
            enterprise_id: text(c.enterprise_id),
            category: c.category.clone(),
            claimants: c.claimant_count,
            status: wire::status(c.status) as i32,
            collective: c.collective(),
            priority: c.collective(),
            correlation_id: c.correlation_id.to_string(),
            applied_at: c.applied_at.map(to_proto),
            acceptance_due: clocks.acceptance_due,
            respondent: c.respondent.clone(),
            claimant_list: c.claimants.iter().map(|p| claimant(p, unmasked)).collect(),
            representatives: v.representatives,
            final_award: award::all_final(&c.claims, wage_fen),
            minimum_wage_fen: wage_fen,
            minimum_wage_on: judged_on.to_string(),
            final_award_provisional: c.awarded_at.is_none(),
            claims,
            facts: c.facts.clone(),
            arbitrator: c.arbitrator.clone().unwrap_or_default(),
            clocks: Some(clocks),
        }
    }
}
