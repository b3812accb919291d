//! Who may publish what: every topic has one producing service, and an
//! event on it acts only when it names that service as its `ce_source` and
//! carries one of that service's types. An event that claims another
//! producer, or a type another service owns, would make this service do
//! what no caller of its producer could have asked for: it is
//! dead-lettered, unapplied. (That nobody else can write to a topic at all
//! is the broker's part: ACLs per service principal; see
//! docs/operations.md.)

use crate::envelope::Envelope;

/// The one producer of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    pub topic: String,
    /// Its `ce_source`, e.g. `/dualnet/complaints`.
    pub source: String,
    /// What its `ce_type`s start with, e.g. `dualnet.complaints.v1.`.
    pub types: String,
}

/// The producers a consumer trusts. Empty trusts any event (tools that
/// read every topic); a service's consumer lists the topics it reacts to.
#[derive(Debug, Clone, Default)]
pub struct Producers(Vec<Producer>);

impl Producers {
    pub fn new(producers: Vec<Producer>) -> Self {
        Self(producers)
    }

    /// Why an event with `envelope` arriving on `topic` may not act, if it
    /// may not.
    pub fn refusal(&self, topic: &str, envelope: &Envelope) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let Some(producer) = self.0.iter().find(|p| p.topic == topic) else {
            return Some(format!("forbidden: no producer is trusted on topic {topic}"));
        };
        if envelope.source != producer.source {
            return Some(format!(
                "forbidden: {} may not publish to {topic} (only {} does)",
                envelope.source, producer.source
            ));
        }
        if !envelope.ty.starts_with(&producer.types) {
            return Some(format!("forbidden: {} is not an event {} publishes", envelope.ty, producer.source));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn envelope(source: &str, ty: &str) -> Envelope {
        Envelope {
            id: Uuid::now_v7(),
            source: source.into(),
            ty: ty.into(),
            subject: "s".into(),
            time: Utc::now(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            traceparent: None,
            tracestate: None,
        }
    }

    fn complaints() -> Producers {
        Producers::new(vec![Producer {
            topic: "dualnet.complaints.v1".into(),
            source: "/dualnet/complaints".into(),
            types: "dualnet.complaints.v1.".into(),
        }])
    }

    #[test]
    fn an_event_of_the_topics_producer_acts() {
        let e = envelope("/dualnet/complaints", "dualnet.complaints.v1.ComplaintFiled");
        assert_eq!(complaints().refusal("dualnet.complaints.v1", &e), None);
        assert_eq!(Producers::default().refusal("anything", &envelope("/x", "y")), None, "no list trusts all");
    }

    #[test]
    fn another_source_another_services_type_or_an_unknown_topic_is_refused() {
        let p = complaints();
        let forged = envelope("/dualnet/arbitration", "dualnet.complaints.v1.ComplaintFiled");
        assert!(p.refusal("dualnet.complaints.v1", &forged).unwrap().contains("may not publish"));
        let foreign = envelope("/dualnet/complaints", "dualnet.governance.v1.IncidentClosed");
        assert!(p.refusal("dualnet.complaints.v1", &foreign).unwrap().contains("not an event"));
        let ok = envelope("/dualnet/complaints", "dualnet.complaints.v1.ComplaintFiled");
        assert!(p.refusal("dualnet.governance.v1", &ok).unwrap().contains("no producer"));
    }
}
