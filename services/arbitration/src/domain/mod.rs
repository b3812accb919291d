//! Labour arbitration's rules, free of transport and storage.

pub mod award;
pub mod award_clock;
pub mod case;
pub mod clocks;
pub mod limitation;
pub mod procedure;
pub mod risk;
