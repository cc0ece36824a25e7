//! Codes for failures that happen inside tonic, before a handler runs, made to say whose
//! fault they are.
//!
//! tonic answers a request over the message size limit with OUT_OF_RANGE, and with INTERNAL a
//! request whose protobuf does not decode (say, a `string` field holding invalid UTF-8), a
//! message with a compressed flag other than 0 or 1, a body that ends inside a message (a
//! length prefix longer than what follows, or a prefix cut short), and a unary call with no
//! message at all. All are the client's doing: they become RESOURCE_EXHAUSTED and
//! INVALID_ARGUMENT. (A compressed flag of 1 with no `grpc-encoding` stays INTERNAL, as the
//! gRPC protocol document requires.) Handlers never produce the original codes with these
//! messages, so nothing else is rewritten.

use tonic::codegen::http::{HeaderValue, Response};
use tonic::{Code, Status};

const DECODE_FAILURE: &str = "failed to decode Protobuf message";
const TOO_LARGE: &str = "Error, decoded message length too large";
/// tonic's own words for framing mistakes (tonic 0.14, `codec/decode.rs`, `server/grpc.rs`).
const FRAMING_MISTAKES: [&str; 3] = [
    "protocol error: received message with invalid compression flag",
    "Unexpected EOF decoding stream",
    "Missing request message",
];

/// The code tonic should have used for one of its own rejections, if it is one.
fn client_fault_code(status: &Status) -> Option<Code> {
    match status.code() {
        Code::Internal
            if status.message().starts_with(DECODE_FAILURE)
                || FRAMING_MISTAKES
                    .iter()
                    .any(|m| status.message().starts_with(m)) =>
        {
            Some(Code::InvalidArgument)
        }
        Code::OutOfRange if status.message().starts_with(TOO_LARGE) => {
            Some(Code::ResourceExhausted)
        }
        _ => None,
    }
}

/// Rewrites the status of a trailers-only response, as tonic sends for a request it rejected;
/// with the new code when it did.
pub(crate) fn client_fault_codes<B>(mut response: Response<B>) -> (Response<B>, Option<Code>) {
    let headers = response.headers_mut();
    let Some(code) = Status::from_header_map(headers)
        .as_ref()
        .and_then(client_fault_code)
    else {
        return (response, None);
    };
    headers.insert("grpc-status", HeaderValue::from(code as i32));
    (response, Some(code))
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
