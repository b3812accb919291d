//! The CloudEvents 1.0 envelope in Kafka binary mode: the protobuf payload is
//! the record value, the attributes travel as `ce_*` headers.

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::record::Header;

pub const CONTENT_TYPE: &str = "application/protobuf";
pub const SPEC_VERSION: &str = "1.0";

/// The CloudEvents attributes of one event, plus dualnet's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub id: Uuid,
    /// `/dualnet/<service>`.
    pub source: String,
    /// The protobuf full name of the payload message.
    pub ty: String,
    /// The aggregate id; also the record key.
    pub subject: String,
    pub time: DateTime<Utc>,
    /// Ties every record and event of one chain (e.g. one complaint).
    pub correlation_id: Uuid,
    /// The event this one was produced in reaction to, if any.
    pub causation_id: Option<Uuid>,
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("header {0} is not valid: {1}")]
    Invalid(&'static str, String),
}

fn header<'a>(headers: &'a [Header], name: &'static str) -> Result<Option<&'a str>, EnvelopeError> {
    match headers.iter().find(|h| h.name == name) {
        None => Ok(None),
        Some(h) => {
            std::str::from_utf8(&h.value).map(Some).map_err(|_| EnvelopeError::Invalid(name, "not utf-8".into()))
        }
    }
}

fn required<'a>(headers: &'a [Header], name: &'static str) -> Result<&'a str, EnvelopeError> {
    header(headers, name)?.filter(|v| !v.is_empty()).ok_or(EnvelopeError::Missing(name))
}

fn uuid(name: &'static str, value: &str) -> Result<Uuid, EnvelopeError> {
    Uuid::parse_str(value).map_err(|e| EnvelopeError::Invalid(name, e.to_string()))
}

impl Envelope {
    pub fn to_headers(&self) -> Vec<Header> {
        let mut headers = vec![
            Header::new("ce_specversion", SPEC_VERSION),
            Header::new("ce_id", self.id.to_string()),
            Header::new("ce_source", &self.source),
            Header::new("ce_type", &self.ty),
            Header::new("ce_subject", &self.subject),
            Header::new("ce_time", self.time.to_rfc3339_opts(SecondsFormat::Micros, true)),
            Header::new("content-type", CONTENT_TYPE),
            Header::new("ce_correlationid", self.correlation_id.to_string()),
        ];
        if let Some(c) = self.causation_id {
            headers.push(Header::new("ce_causationid", c.to_string()));
        }
        if let Some(t) = &self.traceparent {
            headers.push(Header::new("traceparent", t));
        }
        if let Some(t) = &self.tracestate {
            headers.push(Header::new("tracestate", t));
        }
        headers
    }

    pub fn from_headers(headers: &[Header]) -> Result<Self, EnvelopeError> {
        let spec = required(headers, "ce_specversion")?;
        if spec != SPEC_VERSION {
            return Err(EnvelopeError::Invalid("ce_specversion", spec.to_string()));
        }
        let id = uuid("ce_id", required(headers, "ce_id")?)?;
        let time = match header(headers, "ce_time")? {
            Some(t) => DateTime::parse_from_rfc3339(t)
                .map_err(|e| EnvelopeError::Invalid("ce_time", e.to_string()))?
                .with_timezone(&Utc),
            None => Utc::now(),
        };
        let correlation_id = match header(headers, "ce_correlationid")? {
            Some(c) => uuid("ce_correlationid", c)?,
            // An event from outside dualnet starts its own chain.
            None => id,
        };
        let causation_id = header(headers, "ce_causationid")?.map(|c| uuid("ce_causationid", c)).transpose()?;
        Ok(Self {
            id,
            source: required(headers, "ce_source")?.to_string(),
            ty: required(headers, "ce_type")?.to_string(),
            subject: header(headers, "ce_subject")?.unwrap_or_default().to_string(),
            time,
            correlation_id,
            causation_id,
            traceparent: header(headers, "traceparent")?.map(str::to_string),
            tracestate: header(headers, "tracestate")?.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope {
            id: Uuid::now_v7(),
            source: "/dualnet/complaints".into(),
            ty: "dualnet.complaints.v1.ComplaintFiled".into(),
            subject: "c-1".into(),
            time: Utc::now(),
            correlation_id: Uuid::now_v7(),
            causation_id: Some(Uuid::now_v7()),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
            tracestate: None,
        }
    }

    #[test]
    fn headers_round_trip_to_the_same_envelope() {
        let env = sample();
        let back = Envelope::from_headers(&env.to_headers()).unwrap();
        assert_eq!(back.id, env.id);
        assert_eq!(back.correlation_id, env.correlation_id);
        assert_eq!(back.causation_id, env.causation_id);
        assert_eq!(back.traceparent, env.traceparent);
        assert_eq!(back.ty, env.ty);
        assert_eq!(back.time.timestamp_micros(), env.time.timestamp_micros());
    }

    #[test]
    fn headers_use_the_cloudevents_kafka_binding_names() {
        let names: Vec<_> = sample().to_headers().into_iter().map(|h| h.name).collect();
        for required in ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"] {
            assert!(names.iter().any(|n| n == required), "{required} missing");
        }
    }

    #[test]
    fn a_record_without_an_id_is_rejected() {
        let headers: Vec<_> = sample().to_headers().into_iter().filter(|h| h.name != "ce_id").collect();
        assert_eq!(Envelope::from_headers(&headers), Err(EnvelopeError::Missing("ce_id")));
    }

    #[test]
    fn a_malformed_id_is_rejected() {
        let mut headers = sample().to_headers();
        headers.iter_mut().find(|h| h.name == "ce_id").unwrap().value = b"not-a-uuid".to_vec();
        assert!(matches!(Envelope::from_headers(&headers), Err(EnvelopeError::Invalid("ce_id", _))));
    }
}
