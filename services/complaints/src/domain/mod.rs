//! The rules of residents' requests, free of transport and storage.

pub mod complaint;
