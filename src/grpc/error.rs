//! The one place where failures become gRPC statuses.
//!
//! The set of codes is deliberately small: INVALID_ARGUMENT for anything wrong in a request
//! (with `google.rpc.BadRequest` field violations), NOT_FOUND for an unknown model or
//! dictionary profile (with `google.rpc.ResourceInfo`), RESOURCE_EXHAUSTED when load is shed, DEADLINE_EXCEEDED when
//! the call's deadline passes first, UNAUTHENTICATED and PERMISSION_DENIED for missing or wrong
//! tokens (see `auth`), and INTERNAL only for a bug in the server (a panic in the analysis),
//! never for anything a client sent. Admin calls add FAILED_PRECONDITION (a dictionary file the
//! server cannot load; word edits without a state directory) and UNAVAILABLE (a word edit that
//! could not be saved, so was not applied). A draining server refuses nothing: it sends GOAWAY
//! (see `server`), so no status here means "shutting down". tonic's own rejections are
//! re-coded in `status_codes`.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::pb;
use crate::core::word_edits::{StateError, WordViolation};
use crate::core::{AnalysisError, ChangeError, ClassifyError, DeadlineExceeded, UnknownProfile};

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
    /// The request names a model the server does not have.
    UnknownModel {
        /// The name asked for.
        requested: String,
        /// The models that exist.
        available: Vec<String>,
    },
    /// The request names a dictionary profile the server does not have.
    UnknownProfile(UnknownProfile),
    /// Every worker is busy and the queue is full: the call is shed.
    Overloaded,
    /// The call's deadline (the client's `grpc-timeout` or the server's default) passed.
    DeadlineExceeded,
    /// The call carries no accepted client token.
    Unauthenticated,
    /// An Admin call carries no accepted admin token.
    PermissionDenied,
    /// The server is not in a state to do what was asked (a file it cannot load, no state
    /// directory); the operator must act first.
    FailedPrecondition(String),
    /// The server could not do it now (saving failed); nothing changed, and a retry may work.
    Unavailable(String),
    /// The analysis itself failed: a server bug, logged with its cause.
    Internal(String),
}

impl From<Vec<FieldViolation>> for ApiError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(violations)
    }
}

impl From<ClassifyError> for ApiError {
    fn from(error: ClassifyError) -> Self {
        match error {
            ClassifyError::UnknownModel {
                requested,
                available,
            } => Self::UnknownModel {
                requested,
                available,
            },
        }
    }
}

impl From<UnknownProfile> for ApiError {
    fn from(error: UnknownProfile) -> Self {
        Self::UnknownProfile(error)
    }
}

impl From<DeadlineExceeded> for ApiError {
    fn from(_: DeadlineExceeded) -> Self {
        Self::DeadlineExceeded
    }
}

impl From<AnalysisError> for ApiError {
    fn from(error: AnalysisError) -> Self {
        match error {
            AnalysisError::Classify(e) => e.into(),
            AnalysisError::DeadlineExceeded(e) => e.into(),
        }
    }
}

impl ApiError {
    /// The error of a reload or word edit; `field` names the request field of a bad word.
    pub(crate) fn from_change(
        error: ChangeError,
        field: impl Fn(&WordViolation) -> String,
    ) -> Self {
        match error {
            ChangeError::Invalid(violations) => Self::InvalidArgument(
                violations
                    .iter()
                    .map(|v| FieldViolation::new(field(v), v.reason.clone()))
                    .collect(),
            ),
            e @ (ChangeError::Load(_)
            | ChangeError::NoStateDir
            | ChangeError::State(StateError::Corrupt { .. })) => {
                Self::FailedPrecondition(e.to_string())
            }
            e @ ChangeError::State(StateError::Io { .. }) => Self::Unavailable(e.to_string()),
        }
    }

    /// The error of one document in a batch or stream: the code and message the same request
    /// would get alone, and its field violations.
    pub(crate) fn into_document_error(self) -> pb::DocumentError {
        let field_violations = match &self {
            ApiError::InvalidArgument(violations) => violations
                .iter()
                .map(|v| pb::FieldViolation {
                    field: v.field.clone(),
                    description: v.description.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let status = Status::from(self);
        pb::DocumentError {
            code: status.code() as i32,
            message: status.message().to_owned(),
            field_violations,
        }
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
            ApiError::UnknownModel {
                requested,
                available,
            } => {
                let list = available.join(", ");
                let message = if requested.is_empty() {
                    format!("no default model is configured; available models: {list}")
                } else {
                    format!("no model named `{requested}`; available models: {list}")
                };
                let mut details = ErrorDetails::new();
                details.set_resource_info("model", requested, "", format!("available: {list}"));
                Status::with_error_details(Code::NotFound, message, details)
            }
            ApiError::UnknownProfile(unknown) => {
                let list = unknown.available.join(", ");
                let message = unknown.to_string();
                let mut details = ErrorDetails::new();
                details.set_resource_info(
                    "profile",
                    unknown.requested,
                    "",
                    format!("available: {list}"),
                );
                Status::with_error_details(Code::NotFound, message, details)
            }
            ApiError::Overloaded => Status::resource_exhausted(
                "the server is at capacity (every worker busy, queue full); retry with backoff",
            ),
            ApiError::DeadlineExceeded => Status::deadline_exceeded(
                "the call's deadline passed before its analysis finished (the client's \
                 grpc-timeout, or the server's --default-timeout-secs)",
            ),
            ApiError::Unauthenticated => Status::unauthenticated(
                "missing or unknown bearer token (send `authorization: Bearer <token>`)",
            ),
            ApiError::PermissionDenied => Status::permission_denied(
                "Admin calls need an admin token (`authorization: Bearer <admin token>`)",
            ),
            ApiError::FailedPrecondition(message) => Status::failed_precondition(message),
            ApiError::Unavailable(message) => Status::unavailable(message),
            ApiError::Internal(cause) => Status::internal(format!("analysis failed: {cause}")),
        }
    }
}
