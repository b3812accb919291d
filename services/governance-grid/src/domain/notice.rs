//! Community notices (信息公开): what residents may read about their
//! community without signing in — a council's resolutions and their
//! implementation, the outcome of closed incidents, patrol campaigns.
//!
//! A notice is public by construction: its text passes through
//! `redaction::redact` (phone and identity numbers, e-mail addresses, flat
//! numbers masked), residents are never named (the council's members and
//! the reporters of incidents are not part of any notice), officials appear
//! by role, and labour matters — which name employers and workers — are
//! never published.

use chrono::{DateTime, Utc};
use dualnet_platform::Named;
use uuid::Uuid;

use super::incident::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum NoticeKind {
    Resolution,
    Implementation,
    IncidentOutcome,
    PatrolCampaign,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: Uuid,
    pub community_id: Uuid,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    pub subject_id: Uuid,
    pub published_at: DateTime<Utc>,
}

/// The most characters of a notice's body.
pub const BODY_MAX: usize = 2000;

/// `text` as a notice may carry it: redacted, cleaned, capped.
pub fn public_text(text: &str, max: usize) -> String {
    dualnet_platform::fields::clean(&dualnet_platform::redaction::redact(text), max)
}

/// Whether an incident's outcome may be published: closed (or rated after
/// closing), in a community, and not a labour matter.
pub fn outcome_publishable(status: Status, category: &str, community: Option<Uuid>) -> Result<Uuid, String> {
    if category == "labour" || category.starts_with("labour.") {
        return Err("labour incidents name employers and workers: never public".into());
    }
    if !matches!(status, Status::Closed | Status::Rated) {
        return Err(format!("only a closed incident's outcome is published; this one is {}", status.as_str()));
    }
    community.ok_or_else(|| "the incident has no community to publish to".into())
}

/// A notice's title for a closed incident of `category`.
pub fn outcome_title(category: &str) -> String {
    format!("事件已办结 · {category}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labour_and_open_incidents_are_never_published() {
        let id = Uuid::now_v7();
        let c = Some(id);
        assert!(outcome_publishable(Status::Closed, "labour.wages", c).is_err());
        assert!(outcome_publishable(Status::Closed, "labour", c).is_err());
        assert!(outcome_publishable(Status::Dispatched, "noise", c).is_err());
        assert!(outcome_publishable(Status::Closed, "noise", None).is_err());
        assert_eq!(outcome_publishable(Status::Rated, "labourer_housing", c), Ok(id));
    }

    #[test]
    fn public_text_masks_what_could_reach_a_person() {
        assert_eq!(public_text("已联系住户13800138000处理完毕", 100), "已联系住户***处理完毕");
        assert_eq!(public_text("城市广场3栋1203室的噪音已消除", 100), "城市广场3栋***室的噪音已消除");
    }
}
