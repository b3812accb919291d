//! arbitration's tests, one binary (one link on a slow machine): each
//! module drives the service in-process through its gRPC API.

#![allow(clippy::too_many_lines)]

mod access;
mod award;
mod clocks;
mod running;
mod sealing;
mod simple;
