//! The dualnet event pipeline (DESIGN §3), shared by every service.
//!
//! - [`envelope`]: CloudEvents 1.0 in Kafka binary mode, with the
//!   `correlationid`/`causationid` extensions and W3C trace context.
//! - [`outbox`] and [`relay`]: events committed with the state change that
//!   caused them, then published in order; nothing committed is lost.
//! - [`consumer`]: the inbox; each event applied once, offsets stored after
//!   the commit, bounded retries, then [`deadletter`]; [`infrastructure`]
//!   faults are waited out, never dead-lettered.
//! - [`transport`]: one trait, two transports — [`kafka`] and [`pglog`] (the
//!   PostgreSQL log of a one-node deployment).
//! - [`retention`]: published outbox rows, inbox rows and log records
//!   deleted once past their retention (bounded storage).

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod chain;
pub mod consumer;
pub mod deadletter;
pub mod envelope;
pub mod infrastructure;
pub mod kafka;
mod metrics;
pub mod outbox;
pub mod pglog;
pub mod producers;
pub mod record;
pub mod relay;
pub mod retention;
pub mod trace;
pub mod transport;

pub use chain::Chain;
pub use consumer::{Consumer, ConsumerSettings, Event, HandleError, Handler};
pub use envelope::Envelope;
pub use producers::{Producer, Producers};
pub use record::{Delivery, Header, Record};
pub use relay::{Relay, RelaySettings};
pub use transport::{Position, Publisher, Subscription, Transport, TransportError};

/// Migrations of the outbox and inbox tables, run in every service database
/// beside the service's own (their versions never collide: the pipeline's
/// are below 1000, the services' from 1000 up).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
