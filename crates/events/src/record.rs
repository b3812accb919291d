//! Records as the transports carry them.

/// One record header; values are bytes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Vec<u8>,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        Self { name: name.into(), value: value.as_ref().to_vec() }
    }

    pub fn value_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }
}

/// A record to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub key: String,
    pub headers: Vec<Header>,
    pub payload: Vec<u8>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.name == name).and_then(Header::value_str)
    }

    /// `message` as the event `id` from `source` about `subject`, keyed by
    /// the subject and correlated by it — how a test feeds a service the
    /// events another service would publish.
    pub fn of_message<M: prost::Name>(
        topic: &str,
        source: &str,
        id: uuid::Uuid,
        subject: uuid::Uuid,
        message: &M,
    ) -> Self {
        let envelope = crate::Envelope {
            id,
            source: source.into(),
            ty: M::full_name(),
            subject: subject.to_string(),
            time: chrono::Utc::now(),
            correlation_id: subject,
            causation_id: None,
            traceparent: None,
            tracestate: None,
        };
        Record {
            topic: topic.into(),
            key: subject.to_string(),
            headers: envelope.to_headers(),
            payload: message.encode_to_vec(),
        }
    }
}

/// A record received from a subscription, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub record: Record,
    pub partition: i32,
    pub offset: i64,
}
