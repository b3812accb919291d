//! The party network's rules, free of transport and storage.

pub mod binding;
pub mod coverage;
pub mod member;
pub mod task;
pub mod volunteers;
