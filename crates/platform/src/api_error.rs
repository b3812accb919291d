//! Errors an API caller can act on, and their gRPC status. Internal error
//! text is logged, never returned.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Per-field violations: `(field, description)`.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is valid but not in the aggregate's current state.
    #[error("{0}")]
    FailedPrecondition(String),
    /// Allowed to the caller's roles, but not over this much of the network.
    #[error("{0}")]
    PermissionDenied(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![(field.to_string(), description.into())])
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return Self::AlreadyExists("already exists".into());
            }
            // 22021, 22P05: a character text or JSON cannot hold (NUL) that reached the
            // database past the field checks; still the caller's input.
            if matches!(db.code().as_deref(), Some("22021" | "22P05")) {
                return Self::field("request", "text must not contain NUL characters");
            }
        }
        Self::Internal(e.into())
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::InvalidArgument(violations) => {
                let summary = violations.iter().map(|(f, d)| format!("{f}: {d}")).collect::<Vec<_>>().join("; ");
                let mut details = ErrorDetails::new();
                for (field, description) in violations {
                    details.add_bad_request_violation(field, description);
                }
                Status::with_error_details(Code::InvalidArgument, summary, details)
            }
            ApiError::NotFound(what) => Status::not_found(format!("{what} not found")),
            ApiError::AlreadyExists(m) => Status::already_exists(m),
            ApiError::FailedPrecondition(m) => Status::failed_precondition(m),
            ApiError::PermissionDenied(m) => Status::permission_denied(m),
            // The database unreachable, failing over or out of connections:
            // nothing is wrong with the request, and a retry may succeed.
            ApiError::Internal(e) if dualnet_events::infrastructure::is_fault(&e) => {
                tracing::warn!(error = format!("{e:#}"), "database unavailable");
                Status::unavailable("temporarily unavailable; retry")
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_each_field_violation() {
        let status: Status = ApiError::InvalidArgument(vec![
            ("name".into(), "must not be empty".into()),
            ("grid_id".into(), "not a uuid".into()),
        ])
        .into();
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<String> =
            status.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["name", "grid_id"]);
    }

    #[test]
    fn internal_errors_do_not_leak_their_text() {
        let status: Status = ApiError::Internal(anyhow::anyhow!("password=hunter2 connection refused")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }

    #[test]
    fn an_unreachable_database_is_unavailable_and_says_nothing_of_itself() {
        let status: Status = ApiError::from(sqlx::Error::PoolTimedOut).into();
        assert_eq!(status.code(), Code::Unavailable);
        assert!(!status.message().contains("pool"), "{}", status.message());
    }
}
