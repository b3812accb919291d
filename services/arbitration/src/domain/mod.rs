//! The rules of labour arbitration, free of transport and storage.

pub mod case;
pub mod risk;
