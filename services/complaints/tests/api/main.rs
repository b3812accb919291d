//! complaints' tests, one binary (one link on a slow machine): each module
//! drives the service in-process through its gRPC API and Open311 face.

#![allow(clippy::too_many_lines)]

mod identity;
mod requests;
mod running;
