//! The one place where failures become gRPC statuses.
//!
//! The set of codes is deliberately small: INVALID_ARGUMENT for anything wrong in a request
//! (with `google.rpc.BadRequest` field violations), UNAVAILABLE while draining, and INTERNAL
//! only for a bug in the server (a panic in the analysis), never for anything a client sent.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One field of a request that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldViolation {
    /// The field's path in the request, e.g. `text` or `keywords.top_k`.
    pub(crate) field: String,
    /// What is wrong with it.
    pub(crate) description: String,
}

impl FieldViolation {
    pub(crate) fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The request has one or more bad fields.
    InvalidArgument(Vec<FieldViolation>),
    /// The server is shutting down and takes no new work.
    Draining,
    /// The analysis itself failed: a server bug, logged with its cause.
    Internal(String),
}

impl From<Vec<FieldViolation>> for ApiError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::InvalidArgument(violations) => {
                let message = violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description))
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut details = ErrorDetails::new();
                for v in violations {
                    details.add_bad_request_violation(v.field, v.description);
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ApiError::Draining => {
                Status::unavailable("the server is shutting down; retry on another replica")
            }
            ApiError::Internal(cause) => Status::internal(format!("analysis failed: {cause}")),
        }
    }
}
