//! A failure as an HTTP door answers it: each gRPC code's HTTP status by gRPC's published
//! mapping (and the refusals that have their own), and for the HTTP/JSON door a body shaped
//! like `google.rpc.Status` in protobuf's JSON mapping: `code`, `message`, and the same
//! `details` as over gRPC (`google.rpc.BadRequest`'s field violations,
//! `google.rpc.ResourceInfo`), each with its `@type`.

use serde::Serialize;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http::{HeaderValue, Response, StatusCode, header};
use tonic_types::StatusExt;

use tonic::Code;

use super::status::Refusal;

/// The metadata key of a status that an HTTP door answers with an HTTP status of its own.
pub(crate) const HTTP_STATUS_KEY: &str = "x-http-status";

/// The HTTP status an HTTP door answers a gRPC code with: gRPC's published mapping
/// (`google.rpc.Code`'s comments, as grpc-gateway uses it).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

impl Refusal {
    /// The HTTP status the HTTP door answers the refusal with: its own for what only HTTP
    /// requests can get wrong, else the one of its gRPC code.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Refusal::NoRoute { .. } => StatusCode::NOT_FOUND,
            Refusal::WrongVerb { .. } | Refusal::NotPost => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::NotJson { .. } | Refusal::NotGrpc => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            other => http_status(other.status().code()),
        }
    }
}

/// The JSON answer of `status` with the HTTP status of its code (or the one the edge gave it).
pub fn json_answer(status: &Status) -> Response<Body> {
    let http = status
        .metadata()
        .get(HTTP_STATUS_KEY)
        .and_then(|v| v.to_str().ok()?.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or_else(|| http_status(status.code()));
    json_answer_as(status, http)
}

/// The JSON answer of `status` with HTTP status `http`. A 429 says when to come back
/// (`Retry-After`, a second: the server sheds load only while it is full).
pub fn json_answer_as(status: &Status, http: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::new(http_body_util::Full::new(
        json_status(status).into(),
    )));
    *response.status_mut() = http;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if http == StatusCode::TOO_MANY_REQUESTS {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// `status` as the JSON of a `google.rpc.Status`, ending in a newline.
pub fn json_status(status: &Status) -> Vec<u8> {
    let mut out = serde_json::to_vec(&JsonStatus::of(status)).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A `google.rpc.Status` as protobuf's JSON mapping writes it (fields in declaration order).
#[derive(Debug, Serialize)]
pub struct JsonStatus {
    code: i32,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<Detail>,
}

/// One `google.protobuf.Any` of a status's details.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Detail {
    BadRequest {
        #[serde(rename = "@type")]
        kind: &'static str,
        #[serde(rename = "fieldViolations")]
        field_violations: Vec<Violation>,
    },
    ResourceInfo {
        #[serde(rename = "@type")]
        kind: &'static str,
        #[serde(rename = "resourceType")]
        resource_type: String,
        #[serde(rename = "resourceName")]
        resource_name: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        owner: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        description: String,
    },
}

#[derive(Debug, Serialize)]
struct Violation {
    field: String,
    description: String,
}

impl JsonStatus {
    /// The JSON form of `status`, with the details the server sends.
    pub fn of(status: &Status) -> Self {
        let details = status.get_error_details();
        let mut listed = Vec::new();
        if let Some(bad) = details.bad_request() {
            listed.push(Detail::BadRequest {
                kind: "type.googleapis.com/google.rpc.BadRequest",
                field_violations: bad
                    .field_violations
                    .iter()
                    .map(|v| Violation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                    })
                    .collect(),
            });
        }
        if let Some(resource) = details.resource_info() {
            listed.push(Detail::ResourceInfo {
                kind: "type.googleapis.com/google.rpc.ResourceInfo",
                resource_type: resource.resource_type.clone(),
                resource_name: resource.resource_name.clone(),
                owner: resource.owner.clone(),
                description: resource.description.clone(),
            });
        }
        Self {
            code: status.code() as i32,
            message: status.message().to_owned(),
            details: listed,
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::ErrorDetails;

    use super::*;

    #[test]
    fn details_are_written_as_google_rpc_json() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "bad",
            ErrorDetails::with_bad_request_violation("text", "must not be empty"),
        );
        let value = serde_json::to_value(JsonStatus::of(&status)).unwrap();
        assert_eq!(value["code"], 3);
        assert_eq!(value["message"], "bad");
        assert_eq!(
            value["details"][0]["@type"],
            "type.googleapis.com/google.rpc.BadRequest"
        );
        assert_eq!(value["details"][0]["fieldViolations"][0]["field"], "text");
        let answer = json_answer(&Status::resource_exhausted("full"));
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.headers()[header::RETRY_AFTER], "1");
        let text = String::from_utf8(json_status(&Status::not_found("x"))).unwrap();
        assert_eq!(text, "{\"code\":5,\"message\":\"x\"}\n");
    }

    #[test]
    fn codes_map_to_http_as_grpc_publishes() {
        // gRPC's published mapping to HTTP, for the codes the server answers with.
        for (code, http) in [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::ResourceExhausted, 429),
            (Code::Internal, 500),
            (Code::Unimplemented, 501),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
        ] {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }
}
