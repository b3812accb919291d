//! The governance network's rules, free of transport and storage.

pub mod deadline;
pub mod escalation;
pub mod incident;
pub mod map;
pub mod map_import;
pub mod rental;
pub mod statistics;
pub mod warning;
pub mod whistle;
