//! The correlation id of a request: the caller's `x-correlation-id` when it
//! is a UUID, otherwise a new one. Everything the request causes carries it.

use uuid::Uuid;

pub const METADATA_KEY: &str = "x-correlation-id";

pub fn of<T>(request: &tonic::Request<T>) -> Uuid {
    request
        .metadata()
        .get(METADATA_KEY)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_else(Uuid::now_v7)
}
