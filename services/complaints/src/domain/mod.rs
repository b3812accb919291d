//! The complaints service's rules, free of transport and storage.

pub mod catalogue;
pub mod complaint;
pub mod duplicate;
pub mod location;
pub mod publication;
pub mod referral;
