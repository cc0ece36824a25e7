//! Codes for failures that happen inside tonic, before a handler runs, made to say whose
//! fault they are.
//!
//! tonic answers a request over the message size limit with OUT_OF_RANGE, and a request whose
//! protobuf does not decode (say, a `string` field holding invalid UTF-8) with INTERNAL. Both
//! are the client's doing: they become RESOURCE_EXHAUSTED and INVALID_ARGUMENT. Handlers never
//! produce either original code with these messages, so nothing else is rewritten.

use tonic::codegen::http::{HeaderValue, Response};
use tonic::{Code, Status};

const DECODE_FAILURE: &str = "failed to decode Protobuf message";
const TOO_LARGE: &str = "Error, decoded message length too large";

/// The code tonic should have used for one of its own rejections, if it is one.
fn client_fault_code(status: &Status) -> Option<Code> {
    match status.code() {
        Code::Internal if status.message().starts_with(DECODE_FAILURE) => {
            Some(Code::InvalidArgument)
        }
        Code::OutOfRange if status.message().starts_with(TOO_LARGE) => {
            Some(Code::ResourceExhausted)
        }
        _ => None,
    }
}

/// Rewrites the status of a trailers-only response, as tonic sends for a request it rejected.
pub(crate) fn client_fault_codes<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    let Some(code) = Status::from_header_map(headers)
        .as_ref()
        .and_then(client_fault_code)
    else {
        return response;
    };
    headers.insert("grpc-status", HeaderValue::from(code as i32));
    response
}

/// The same rewrite for a status met inside a stream (a message of a request stream that does
/// not decode), where it travels in trailers rather than headers.
pub(crate) fn client_fault(status: Status) -> Status {
    match client_fault_code(&status) {
        Some(code) => Status::new(code, status.message()),
        None => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let r = client_fault_codes(response(
            13,
            "failed to decode Protobuf message: invalid string",
        ));
        assert_eq!(status(&r), "3");
        let r = client_fault_codes(response(
            11,
            "Error, decoded message length too large: found 9",
        ));
        assert_eq!(status(&r), "8");
    }

    #[test]
    fn other_statuses_are_left_alone() {
        let r = client_fault_codes(response(13, "analysis failed: bug"));
        assert_eq!(status(&r), "13");
        let r = client_fault_codes(Response::new(()));
        assert!(r.headers().get("grpc-status").is_none());
    }
}
