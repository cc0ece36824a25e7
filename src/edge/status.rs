//! The one place where failures become statuses: the handlers' errors ([`ApiError`], core
//! errors included, as `core_errors.rs` classifies them), the edge's refusals ([`Refusal`]) and tonic's own rejections, each to a
//! gRPC status, and each gRPC code to the HTTP status an HTTP door answers with.
//!
//! The set of codes is deliberately small: INVALID_ARGUMENT for anything wrong in a request
//! (with `google.rpc.BadRequest` field violations), NOT_FOUND for an unknown model or
//! dictionary profile (with `google.rpc.ResourceInfo`), RESOURCE_EXHAUSTED when load is shed or
//! the memory budget is spent, DEADLINE_EXCEEDED when the call's deadline passes first,
//! UNAUTHENTICATED and PERMISSION_DENIED for missing or wrong tokens, and INTERNAL only for a
//! bug in the server (a panic in the analysis), never for anything a client sent. Admin calls
//! add FAILED_PRECONDITION (a dictionary file the server cannot load; a damaged word-edits
//! file) and UNAVAILABLE (a word edit that could not be saved, so was not applied). A draining
//! server refuses nothing: it sends GOAWAY (see `server`), so no status here means "shutting
//! down". Requests that are not gRPC at all get HTTP 405 or 415. The HTTP/JSON door answers each
//! status with the HTTP status of its code (a few refusals have their own: 404, 405, 413, 415)
//! and a JSON `google.rpc.Status` body ([`json_answer`]).

use tonic::codegen::http::{HeaderValue, Response, StatusCode};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::http_status::HTTP_STATUS_KEY;
use super::limits::MAX_BATCH;
use super::routes::OPENAPI_PATH;
use crate::core::UnknownProfile;

/// One field of a request that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `text` or `keywords.top_k`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Why a call failed.
#[derive(Debug)]
pub enum ApiError {
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
    /// The analysis needs more of the memory budget than other calls leave now.
    NoRoomForWork {
        /// The characters to analyse.
        chars: usize,
        /// What their analysis needs of the budget.
        room: usize,
    },
    /// The call's deadline (the client's `grpc-timeout` or the server's default) passed.
    DeadlineExceeded,
    /// The server is not in a state to do what was asked (a file it cannot load, no state
    /// directory); the operator must act first.
    FailedPrecondition(String),
    /// What the call would create exists already (a profile of that name).
    AlreadyExists(String),
    /// The call would take the server past a bound the operator set (`--max-profiles`).
    LimitReached(String),
    /// The server could not do it now (saving failed); nothing changed, and a retry may work.
    Unavailable(String),
    /// The analysis itself failed: a server bug, logged with its cause.
    Internal(String),
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
            ApiError::NoRoomForWork { chars, room } => Status::resource_exhausted(format!(
                "analysing {chars} characters needs {room} bytes of the server's memory budget, \
                 which other calls hold now; retry with backoff"
            )),
            ApiError::DeadlineExceeded => Status::deadline_exceeded(
                "the call's deadline passed before its analysis finished (the client's \
                 grpc-timeout, or the server's default timeout)",
            ),
            ApiError::FailedPrecondition(message) => Status::failed_precondition(message),
            ApiError::AlreadyExists(message) => Status::already_exists(message),
            ApiError::LimitReached(message) => Status::resource_exhausted(message),
            ApiError::Unavailable(message) => Status::unavailable(message),
            ApiError::Internal(cause) => Status::internal(format!("analysis failed: {cause}")),
        }
    }
}

/// Why the edge refused a call before any handler ran (or, for a body, while it arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a POST: not gRPC (HTTP 405).
    NotPost,
    /// Not `application/grpc…`: not gRPC (HTTP 415).
    NotGrpc,
    /// A `grpc-timeout` header that does not parse; the value as sent.
    MalformedTimeout(String),
    /// The call's connection has more answer bytes unread than its bound.
    ConnectionSaturated {
        /// The bytes its client has not read.
        pending: usize,
    },
    /// The memory budget is spent (requests arriving, answers not yet read).
    BudgetSpent,
    /// A request needs more of the memory budget than other calls leave now.
    NoRoomInBudget {
        /// The request message's length.
        message: usize,
        /// What it needs of the budget.
        room: usize,
    },
    /// An `AnalyzeBatch` with more documents than a call may carry (counted before decoding).
    BatchTooLarge {
        /// The documents seen when it was refused.
        documents: usize,
    },
    /// The request did not arrive in full within the call's deadline.
    BodyTooSlow,
    /// The call carries no accepted client token, or two `authorization` headers.
    Unauthenticated,
    /// An Admin call carries no accepted admin token.
    PermissionDenied,
    /// An HTTP request for a path the HTTP door has no route for (HTTP 404).
    NoRoute {
        /// The path asked for.
        path: String,
    },
    /// An HTTP request with a verb its route does not answer (HTTP 405).
    WrongVerb {
        /// The verb the route answers.
        allowed: &'static str,
    },
    /// An HTTP/JSON request whose content type is not JSON (HTTP 415).
    NotJson {
        /// The content type as sent.
        content_type: String,
    },
    /// An HTTP/JSON request body over the size limit (HTTP 413).
    BodyTooLarge {
        /// Its length, declared or received so far.
        length: u64,
        /// The limit.
        limit: usize,
    },
}

impl Refusal {
    /// The HTTP status of a request that is not gRPC, answered without a gRPC status.
    pub fn http_only(&self) -> Option<StatusCode> {
        match self {
            Refusal::NotPost => Some(StatusCode::METHOD_NOT_ALLOWED),
            Refusal::NotGrpc => Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            _ => None,
        }
    }

    /// The gRPC status of the refusal.
    pub fn status(&self) -> Status {
        match self {
            Refusal::NotPost => Status::unimplemented("gRPC calls are POST requests"),
            Refusal::NotGrpc => {
                Status::invalid_argument("gRPC calls have content-type application/grpc")
            }
            Refusal::MalformedTimeout(value) => Status::invalid_argument(format!(
                "grpc-timeout `{value}` is malformed: 1 to 8 digits and a unit (H, M, S, m, u, n)"
            )),
            Refusal::ConnectionSaturated { pending } => Status::resource_exhausted(format!(
                "this connection has {pending} bytes of answers its client has not read; read \
                 them before starting more calls"
            )),
            Refusal::BudgetSpent => Status::resource_exhausted(
                "the server's memory budget is spent (requests arriving, answers not yet read); \
                 retry with backoff",
            ),
            Refusal::NoRoomInBudget { message, room } => Status::resource_exhausted(format!(
                "a request of {message} bytes needs {room} bytes of the server's memory budget, \
                 which other calls hold now; retry with backoff"
            )),
            Refusal::BatchTooLarge { documents } => {
                ApiError::InvalidArgument(vec![FieldViolation::new(
                    "documents",
                    format!(
                        "has more than {MAX_BATCH} documents ({documents} so far); at most \
                         {MAX_BATCH} are accepted a call"
                    ),
                )])
                .into()
            }
            Refusal::BodyTooSlow => Status::deadline_exceeded(
                "the request did not arrive in full within the call's deadline (the client's \
                 grpc-timeout, or the server's default timeout)",
            ),
            Refusal::Unauthenticated => Status::unauthenticated(
                "missing or unknown bearer token (send one `authorization: Bearer <token>`)",
            ),
            Refusal::PermissionDenied => Status::permission_denied(
                "Admin calls need an admin token (`authorization: Bearer <admin token>`)",
            ),
            Refusal::NoRoute { path } => Status::not_found(format!(
                "no route {path}: the HTTP/JSON API is described at {OPENAPI_PATH} (gRPC calls \
                 are POST requests with content-type application/grpc)"
            )),
            Refusal::WrongVerb { allowed } => {
                Status::unimplemented(format!("this route answers {allowed} only"))
            }
            Refusal::NotJson { content_type } => Status::invalid_argument(format!(
                "content-type `{content_type}` is not JSON: send application/json \
                 (application/x-ndjson for a stream)"
            )),
            Refusal::BodyTooLarge { length, limit } => {
                let mut status = Status::resource_exhausted(format!(
                    "the request body of {length} bytes is over the limit of {limit} bytes \
                     (--max-message-bytes)"
                ));
                // Met while the body arrives, it reaches the HTTP door as a status: this says
                // which HTTP status it is.
                status.metadata_mut().insert(
                    HTTP_STATUS_KEY,
                    tonic::metadata::MetadataValue::from(413u16),
                );
                status
            }
        }
    }
}

// tonic's own rejections. tonic answers a request over the message size limit with
// OUT_OF_RANGE, and with INTERNAL a request whose protobuf does not decode (say, a `string`
// field holding invalid UTF-8), a message with a compressed flag other than 0 or 1, a body that
// ends inside a message (a length prefix longer than what follows, or a prefix cut short), and
// a unary call with no message at all. All are the client's doing: they become
// RESOURCE_EXHAUSTED and INVALID_ARGUMENT. (A compressed flag of 1 with no `grpc-encoding`
// stays INTERNAL, as the gRPC protocol document requires.) tonic has no typed error for these,
// only its words: `tests/it/hostile.rs` and `tests/it/errors.rs` provoke each one through a real
// server, so a tonic release that words them differently fails the suite rather than drifting
// silently.

const DECODE_FAILURE: &str = "failed to decode Protobuf message";
const TOO_LARGE: &str = "Error, decoded message length too large";
/// tonic's own words for framing mistakes (tonic 0.14, `codec/decode.rs`, `server/grpc.rs`).
const FRAMING_MISTAKES: [&str; 3] = [
    "protocol error: received message with invalid compression flag",
    "Unexpected EOF decoding stream",
    "Missing request message",
];

/// What tonic should have answered for one of its own rejections, if it is one: the code,
/// the message (a request over the size limit is told which limit), and what to log.
fn client_fault_status(status: &Status) -> Option<(Status, &'static str)> {
    match status.code() {
        Code::Internal
            if status.message().starts_with(DECODE_FAILURE)
                || FRAMING_MISTAKES
                    .iter()
                    .any(|m| status.message().starts_with(m)) =>
        {
            Some((
                Status::invalid_argument(status.message()),
                "malformed gRPC request",
            ))
        }
        Code::OutOfRange if status.message().starts_with(TOO_LARGE) => Some((
            Status::resource_exhausted(format!(
                "{}: the request is larger than this server accepts (its --max-message-bytes); \
                 send shorter texts, or split a batch",
                status.message()
            )),
            "request larger than the message size limit",
        )),
        _ => None,
    }
}

/// Rewrites the status of a trailers-only response, as tonic sends for a request it rejected;
/// with the new code, and why, when it did.
pub fn client_fault_codes<B>(
    mut response: Response<B>,
) -> (Response<B>, Option<(Code, &'static str)>) {
    let headers = response.headers_mut();
    let Some((status, why)) = Status::from_header_map(headers)
        .as_ref()
        .and_then(client_fault_status)
    else {
        return (response, None);
    };
    if status.add_header(headers).is_err() {
        headers.insert("grpc-status", HeaderValue::from(status.code() as i32));
    }
    (response, Some((status.code(), why)))
}

/// The same rewrite for a status met inside a stream (a message of a request stream that does
/// not decode), where it travels in trailers rather than headers.
pub fn client_fault(status: Status) -> Status {
    client_fault_status(&status).map_or(status, |(status, _)| status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{AnalysisError, ChangeError, ClassifyError, DeadlineExceeded};

    /// The code of each refusal, decided here: a variant added later does not compile until it
    /// has one. HTTP-only refusals answer no gRPC status.
    fn expected_refusal(refusal: &Refusal) -> Result<Code, StatusCode> {
        match refusal {
            Refusal::NotPost => Err(StatusCode::METHOD_NOT_ALLOWED),
            Refusal::NotGrpc => Err(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            Refusal::MalformedTimeout(_) | Refusal::BatchTooLarge { .. } => {
                Ok(Code::InvalidArgument)
            }
            Refusal::ConnectionSaturated { .. }
            | Refusal::BudgetSpent
            | Refusal::NoRoomInBudget { .. } => Ok(Code::ResourceExhausted),
            Refusal::BodyTooSlow => Ok(Code::DeadlineExceeded),
            Refusal::Unauthenticated => Ok(Code::Unauthenticated),
            Refusal::PermissionDenied => Ok(Code::PermissionDenied),
            Refusal::NoRoute { .. } => Ok(Code::NotFound),
            Refusal::WrongVerb { .. } => Ok(Code::Unimplemented),
            Refusal::NotJson { .. } => Ok(Code::InvalidArgument),
            Refusal::BodyTooLarge { .. } => Ok(Code::ResourceExhausted),
        }
    }

    /// The HTTP status the HTTP door answers each refusal with.
    fn expected_http(refusal: &Refusal) -> u16 {
        match refusal {
            Refusal::NoRoute { .. } => 404,
            Refusal::NotPost | Refusal::WrongVerb { .. } => 405,
            Refusal::NotGrpc | Refusal::NotJson { .. } => 415,
            Refusal::BodyTooLarge { .. } => 413,
            Refusal::MalformedTimeout(_) | Refusal::BatchTooLarge { .. } => 400,
            Refusal::ConnectionSaturated { .. }
            | Refusal::BudgetSpent
            | Refusal::NoRoomInBudget { .. } => 429,
            Refusal::BodyTooSlow => 504,
            Refusal::Unauthenticated => 401,
            Refusal::PermissionDenied => 403,
        }
    }

    /// The code of each handler error, decided here in the same way.
    fn expected_error(error: &ApiError) -> Code {
        match error {
            ApiError::InvalidArgument(_) => Code::InvalidArgument,
            ApiError::UnknownModel { .. } | ApiError::UnknownProfile(_) => Code::NotFound,
            ApiError::Overloaded | ApiError::NoRoomForWork { .. } => Code::ResourceExhausted,
            ApiError::DeadlineExceeded => Code::DeadlineExceeded,
            ApiError::FailedPrecondition(_) => Code::FailedPrecondition,
            ApiError::AlreadyExists(_) => Code::AlreadyExists,
            ApiError::LimitReached(_) => Code::ResourceExhausted,
            ApiError::Unavailable(_) => Code::Unavailable,
            ApiError::Internal(_) => Code::Internal,
        }
    }

    #[test]
    fn every_refusal_and_error_has_its_code_and_http_status() {
        let refusals = [
            Refusal::NotPost,
            Refusal::NotGrpc,
            Refusal::MalformedTimeout("5s".into()),
            Refusal::ConnectionSaturated { pending: 1 },
            Refusal::BudgetSpent,
            Refusal::NoRoomInBudget {
                message: 1,
                room: 2,
            },
            Refusal::BatchTooLarge { documents: 1001 },
            Refusal::BodyTooSlow,
            Refusal::Unauthenticated,
            Refusal::PermissionDenied,
            Refusal::NoRoute { path: "/x".into() },
            Refusal::WrongVerb { allowed: "POST" },
            Refusal::NotJson {
                content_type: "text/xml".into(),
            },
            Refusal::BodyTooLarge {
                length: 1 << 30,
                limit: 1 << 22,
            },
        ];
        for refusal in &refusals {
            assert_eq!(
                refusal.http_status().as_u16(),
                expected_http(refusal),
                "{refusal:?}"
            );
            match expected_refusal(refusal) {
                Ok(code) => {
                    assert_eq!(refusal.http_only(), None, "{refusal:?}");
                    assert_eq!(refusal.status().code(), code, "{refusal:?}");
                }
                Err(http) => assert_eq!(refusal.http_only(), Some(http), "{refusal:?}"),
            }
        }
        let errors = [
            ApiError::InvalidArgument(vec![FieldViolation::new("text", "must not be empty")]),
            ApiError::UnknownModel {
                requested: "x".into(),
                available: vec!["sentiment".into()],
            },
            ApiError::UnknownProfile(UnknownProfile {
                requested: "x".into(),
                available: vec!["default".into()],
            }),
            ApiError::Overloaded,
            ApiError::NoRoomForWork { chars: 1, room: 2 },
            ApiError::DeadlineExceeded,
            ApiError::FailedPrecondition("no state directory".into()),
            ApiError::AlreadyExists("a profile of that name".into()),
            ApiError::LimitReached("--max-profiles".into()),
            ApiError::Unavailable("cannot save".into()),
            ApiError::Internal("bug".into()),
        ];
        for error in errors {
            let code = expected_error(&error);
            assert_eq!(Status::from(error).code(), code);
        }
    }

    #[test]
    fn core_errors_become_the_codes_of_their_kind() {
        let error: ApiError = AnalysisError::DeadlineExceeded(DeadlineExceeded).into();
        assert_eq!(expected_error(&error), Code::DeadlineExceeded);
        let error: ApiError = ClassifyError::UnknownModel {
            requested: "x".into(),
            available: Vec::new(),
        }
        .into();
        assert_eq!(Status::from(error).code(), Code::NotFound);
        let error = ApiError::from_change(ChangeError::NoStateDir, |_| String::new());
        assert_eq!(Status::from(error).code(), Code::FailedPrecondition);
    }

    fn response(code: i32, message: &str) -> Response<()> {
        let mut r = Response::new(());
        r.headers_mut()
            .insert("grpc-status", HeaderValue::from(code));
        let encoded = message.replace(' ', "%20");
        r.headers_mut()
            .insert("grpc-message", HeaderValue::from_str(&encoded).unwrap());
        r
    }

    fn status(r: &Response<()>) -> &str {
        r.headers()["grpc-status"].to_str().unwrap()
    }

    #[test]
    fn tonic_rejections_become_client_faults() {
        for (code, message, expected) in [
            (13, "failed to decode Protobuf message: invalid string", "3"),
            (11, "Error, decoded message length too large: found 9", "8"),
            (
                13,
                "protocol error: received message with invalid compression flag: 2",
                "3",
            ),
            (13, "Unexpected EOF decoding stream.", "3"),
            (13, "Missing request message.", "3"),
        ] {
            let (r, rewritten) = client_fault_codes(response(code, message));
            assert_eq!(status(&r), expected, "{message}");
            assert!(rewritten.is_some());
        }
    }

    #[test]
    fn other_statuses_are_left_alone() {
        let (r, _) = client_fault_codes(response(13, "analysis failed: bug"));
        assert_eq!(status(&r), "13");
        let (r, _) = client_fault_codes(response(
            13,
            "protocol error: received message with compressed-flag but no grpc-encoding was specified",
        ));
        assert_eq!(status(&r), "13");
        let (r, rewritten) = client_fault_codes(Response::new(()));
        assert!(r.headers().get("grpc-status").is_none() && rewritten.is_none());
    }
}
