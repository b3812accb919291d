//! What every dualnet service shares and none owns: configuration,
//! telemetry, database connections and migrations, the gRPC server with
//! health and reflection, API errors and input validation, the business
//! clock, and a private PostgreSQL for one-node runs.

#![cfg_attr(test, allow(clippy::too_many_lines))]

pub mod actor;
pub mod addresses;
pub mod api_error;
pub mod auth;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod correlation;
pub mod db;
pub mod embedded_pg;
pub mod fields;
pub mod grpc_server;
pub mod metrics;
pub mod minimum_wage;
pub mod named;
pub mod page;
pub mod permissions;
pub mod personal_data;
pub mod readiness;
pub mod redaction;
pub mod sealing;
pub mod service;
pub mod telemetry;
pub mod timestamp;

pub use api_error::ApiError;
pub use fields::Fields;
pub use named::Named;
