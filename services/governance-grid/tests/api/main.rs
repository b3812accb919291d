//! governance-grid's tests, one binary (one link on a slow machine): each
//! module drives the service in-process through its gRPC API.

#![allow(clippy::too_many_lines)]

mod council;
mod escalation;
mod identity;
mod map;
mod notices;
mod pages;
mod patrol;
mod rental;
mod running;
mod scope;
mod statistics;
mod warnings;
