//! party-grid's tests, one binary (one link on a slow machine): each module
//! drives the service in-process through its gRPC API, fed
//! governance-grid's events directly.

#![allow(clippy::too_many_lines)]

mod council;
mod mobilisation;
mod pages;
mod scope;
