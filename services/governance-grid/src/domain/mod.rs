//! The governance network's rules, free of transport and storage.

pub mod escalation;
pub mod incident;
pub mod map;
pub mod whistle;
