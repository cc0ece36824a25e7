//! Which [`ApiError`] each error of the core is (a bad request, an unknown name, a file that
//! does not load, …): with `status.rs`, which turns each [`ApiError`] into a status, the one
//! place where failures become statuses.

use super::status::{ApiError, FieldViolation};
use crate::core::word_edits::{StateError, WordViolation};
use crate::core::{
    AnalysisError, ChangeError, ClassifyError, DeadlineExceeded, ProfileChangeError, UnknownProfile,
};

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
    pub fn from_change(error: ChangeError, field: impl Fn(&WordViolation) -> String) -> Self {
        match error {
            ChangeError::Invalid(violations) => Self::InvalidArgument(
                violations
                    .iter()
                    .map(|v| FieldViolation::new(field(v), v.reason.clone()))
                    .collect(),
            ),
            e @ ChangeError::NoStateDir => Self::FailedPrecondition(format!(
                "{e}: start it with --state-dir (or --dictionary-dir) to allow word edits"
            )),
            e @ (ChangeError::Load(_) | ChangeError::State(StateError::Corrupt { .. })) => {
                Self::FailedPrecondition(e.to_string())
            }
            e @ ChangeError::State(StateError::Io { .. }) => Self::Unavailable(e.to_string()),
        }
    }
}

impl ApiError {
    /// The status of a profile that could not be created or removed; `field` names the
    /// request field of a bad word.
    pub fn from_profile_change(
        error: ProfileChangeError,
        field: impl Fn(&WordViolation) -> String,
    ) -> Self {
        match error {
            ProfileChangeError::BadName(reason) => {
                Self::InvalidArgument(vec![FieldViolation::new("profile", reason)])
            }
            ProfileChangeError::BadWords(violations) => Self::InvalidArgument(
                violations
                    .iter()
                    .map(|v| FieldViolation::new(field(v), v.reason.clone()))
                    .collect(),
            ),
            e @ ProfileChangeError::Exists(_) => Self::AlreadyExists(e.to_string()),
            ProfileChangeError::Unknown(unknown) => Self::UnknownProfile(unknown),
            e @ (ProfileChangeError::TooMany { .. } | ProfileChangeError::TooLarge { .. }) => {
                Self::LimitReached(e.to_string())
            }
            e @ (ProfileChangeError::NoDirectory
            | ProfileChangeError::Declared(_)
            | ProfileChangeError::Start(_)) => Self::FailedPrecondition(e.to_string()),
            e @ ProfileChangeError::Io { .. } => Self::Unavailable(e.to_string()),
        }
    }
}
