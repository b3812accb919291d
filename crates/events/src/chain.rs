//! The chain an event belongs to: its correlation id (one per complaint or
//! request, carried by every record and event that follows from it) and the
//! event that caused it.

use uuid::Uuid;

use crate::envelope::Envelope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

impl Chain {
    /// A new chain, started by a request from outside.
    pub fn start(correlation_id: Uuid) -> Self {
        Self { correlation_id, causation_id: None }
    }

    /// The chain of an event produced in reaction to `cause`.
    pub fn caused_by(cause: &Envelope) -> Self {
        Self { correlation_id: cause.correlation_id, causation_id: Some(cause.id) }
    }
}
