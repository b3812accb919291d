//! The addresses a process bound, written down for whoever started it.
//!
//! A supervisor or a test that starts a service on port 0 (`listen =
//! "127.0.0.1:0"`) learns the port the system picked from the file named by
//! `address_file`: one `name=host:port` line per listener (`grpc`, `open311`,
//! `metrics`), each appended whole once the socket is bound. Picking a "free"
//! port in advance and handing it over races with every other process on the
//! machine; binding port 0 cannot.

use std::{
    io::Write,
    net::SocketAddr,
    path::PathBuf,
    sync::{Mutex, OnceLock},
};

static FILE: OnceLock<PathBuf> = OnceLock::new();
static BOUND: Mutex<Vec<(String, SocketAddr)>> = Mutex::new(Vec::new());

/// Where bound addresses are written from now on (the first call wins).
pub fn record_to(path: PathBuf) {
    let _ = FILE.set(path);
}

/// Notes that listener `name` is bound at `addr`.
pub fn bound(name: &str, addr: SocketAddr) {
    BOUND.lock().unwrap_or_else(|e| e.into_inner()).push((name.to_string(), addr));
    let Some(path) = FILE.get() else { return };
    let line = format!("{name}={addr}\n");
    // One write of a short line to a file opened for appending: a reader
    // sees the whole line or none of it.
    let written =
        std::fs::OpenOptions::new().create(true).append(true).open(path).and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(error = %e, path = %path.display(), "cannot write the bound address");
    }
}

/// The address this process bound last for listener `name`.
pub fn of(name: &str) -> Option<SocketAddr> {
    BOUND.lock().unwrap_or_else(|e| e.into_inner()).iter().rev().find(|(n, _)| n == name).map(|(_, a)| *a)
}
