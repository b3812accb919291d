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
                return Self::AlreadyExists(duplicate(db.table(), db.constraint()));
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

/// What a caller is told of an error, on either face: the gRPC code, the
/// HTTP status (Open311), the message, and the bad fields.
#[derive(Debug)]
pub struct Told {
    pub code: Code,
    pub http: u16,
    pub message: String,
    pub violations: Vec<(String, String)>,
}

impl ApiError {
    /// The one code table of both faces. An internal fault is told only
    /// that it happened; its detail goes to the log, here. (Open311 answers
    /// its request failures 400, as GeoReport v2 has it.)
    pub fn told(self) -> Told {
        let told = |code, http, message: String| Told { code, http, message, violations: Vec::new() };
        match self {
            ApiError::InvalidArgument(violations) => Told {
                code: Code::InvalidArgument,
                http: 400,
                message: violations.iter().map(|(f, d)| format!("{f}: {d}")).collect::<Vec<_>>().join("; "),
                violations,
            },
            ApiError::NotFound(what) => told(Code::NotFound, 404, format!("{what} not found")),
            ApiError::AlreadyExists(m) => told(Code::AlreadyExists, 400, m),
            ApiError::FailedPrecondition(m) => told(Code::FailedPrecondition, 400, m),
            ApiError::PermissionDenied(m) => told(Code::PermissionDenied, 403, m),
            // The database unreachable, failing over or out of connections:
            // nothing is wrong with the request, and a retry may succeed.
            ApiError::Internal(e) if dualnet_events::infrastructure::is_fault(&e) => {
                tracing::warn!(error = format!("{e:#}"), "database unavailable");
                told(Code::Unavailable, 503, "temporarily unavailable; retry".into())
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                told(Code::Internal, 500, "internal error".into())
            }
        }
    }
}

/// What a unique violation says already exists, from the constraint's
/// name: `grids_code_key` on `grids` is "grids: an entry with the same code
/// already exists (grids_code_key)".
fn duplicate(table: Option<&str>, constraint: Option<&str>) -> String {
    let Some(constraint) = constraint else { return "an entry with the same key already exists".into() };
    let table = table.unwrap_or_default();
    // `<table>_<columns>_key` (or `_idx`); `<table>_pkey` is the id.
    let columns = constraint.strip_prefix(table).unwrap_or(constraint).trim_start_matches('_');
    let what = match columns.strip_suffix("_key").or_else(|| columns.strip_suffix("_idx")) {
        Some(columns) if !columns.is_empty() => columns.replace('_', " "),
        _ => "id".into(),
    };
    let entry = format!("an entry with the same {what} already exists ({constraint})");
    if table.is_empty() { entry } else { format!("{table}: {entry}") }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Self {
        let told = e.told();
        if told.violations.is_empty() {
            return Status::new(told.code, told.message);
        }
        let mut details = ErrorDetails::new();
        for (field, description) in told.violations {
            details.add_bad_request_violation(field, description);
        }
        Status::with_error_details(told.code, told.message, details)
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
    fn a_unique_violation_names_what_already_exists() {
        assert_eq!(
            duplicate(Some("grids"), Some("grids_code_key")),
            "grids: an entry with the same code already exists (grids_code_key)"
        );
        assert_eq!(
            duplicate(Some("grid_workers"), Some("grid_workers_pkey")),
            "grid_workers: an entry with the same id already exists (grid_workers_pkey)"
        );
        assert_eq!(duplicate(None, None), "an entry with the same key already exists");
    }

    #[test]
    fn open311_and_grpc_read_one_table() {
        let told = ApiError::NotFound("service request".into()).told();
        assert_eq!((told.code, told.http, told.message.as_str()), (Code::NotFound, 404, "service request not found"));
        assert_eq!(ApiError::PermissionDenied("no".into()).told().http, 403);
        assert_eq!(ApiError::field("x", "bad").told().http, 400);
        let down = ApiError::from(sqlx::Error::PoolTimedOut).told();
        assert_eq!((down.code, down.http), (Code::Unavailable, 503));
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
