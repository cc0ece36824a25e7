//! The HTTP/JSON door's rules at the gate (the guard applies them to requests that are not
//! gRPC): the route answers the request's verb (`HEAD` too for a `GET` route), the body is JSON,
//! a declared `Content-Length` is within `--max-message-bytes`, the timeout (`X-Timeout-Ms`,
//! else `grpc-timeout`) is well-formed; and a body's intake in the memory budget, twice over
//! (the JSON and the message made of it), from its `Content-Length` at once or as it arrives.

use std::time::Duration;

use tonic::codegen::http::{HeaderMap, Method, header};

use super::budget::{MemoryBudget, Reservation};
use super::call::{Call, Protocol};
use super::guard::grpc_timeout;
use super::routes::Verb;
use super::status::Refusal;

/// Room an HTTP/JSON request reserves in the memory budget for each byte of its body: the JSON
/// and the protobuf message it is transcoded into.
const JSON_BYTES_HELD_PER_BYTE: usize = 2;

/// The content types an HTTP/JSON body may be sent with (besides none): JSON, newline-delimited
/// JSON, and curl's default for `-d`.
const JSON_CONTENT_TYPES: [&str; 3] = [
    "application/json",
    "application/x-ndjson",
    "application/x-www-form-urlencoded",
];

/// The HTTP/JSON door's own rules for a call's head (see the module documentation); the
/// client's timeout.
pub(super) fn admission(
    call: &Call,
    http: &Method,
    headers: &HeaderMap,
    max_body_bytes: usize,
) -> Result<Option<Duration>, Refusal> {
    let verb = call.http_route().map_or(Verb::Get, |r| r.verb);
    let head = verb == Verb::Get && http == Method::HEAD;
    if http.as_str() != verb.as_str() && !head {
        return Err(Refusal::WrongVerb {
            allowed: verb.as_str(),
        });
    }
    if let Some(value) = headers.get(header::CONTENT_TYPE) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let mime = text.split(';').next().unwrap_or_default().trim();
        if verb == Verb::Post
            && !JSON_CONTENT_TYPES
                .iter()
                .any(|t| mime.eq_ignore_ascii_case(t))
        {
            return Err(Refusal::NotJson {
                content_type: text.into_owned(),
            });
        }
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(length) = declared
        && length > max_body_bytes as u64
    {
        return Err(Refusal::BodyTooLarge {
            length,
            limit: max_body_bytes,
        });
    }
    match headers.get("x-timeout-ms") {
        Some(value) => value
            .to_str()
            .ok()
            .filter(|v| (1..=9).contains(&v.len()))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|ms| Some(Duration::from_millis(ms)))
            .ok_or_else(|| {
                Refusal::MalformedTimeout(String::from_utf8_lossy(value.as_bytes()).into())
            }),
        None => grpc_timeout(headers),
    }
}

/// How much of an HTTP/JSON body (not a stream's) has arrived, and how much of it the
/// reservation taken from its `Content-Length` covers; the rest is reserved as it arrives.
#[derive(Debug)]
pub(super) struct JsonIntake {
    covered: usize,
    received: usize,
    limit: usize,
}

impl JsonIntake {
    /// The intake of an HTTP/JSON call with a body, and the reservation of its declared length
    /// (refused without room); `None` for other calls.
    pub(super) fn start(
        call: &Call,
        headers: &HeaderMap,
        budget: &MemoryBudget,
        limit: usize,
    ) -> Result<Option<(Self, Option<Reservation>)>, Refusal> {
        if call.protocol != Protocol::Http || call.streams_requests() {
            return Ok(None);
        }
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(0);
        let room = declared.saturating_mul(JSON_BYTES_HELD_PER_BYTE);
        let reserved = if declared > 0 {
            Some(budget.try_reserve(room).ok_or(Refusal::NoRoomInBudget {
                message: declared,
                room,
            })?)
        } else {
            None
        };
        let intake = Self {
            covered: declared,
            received: 0,
            limit,
        };
        Ok(Some((intake, reserved)))
    }

    /// `n` more bytes arrived: refused past the limit; what of them the declared length did not
    /// cover is reserved.
    pub(super) fn received(
        &mut self,
        n: usize,
        budget: &MemoryBudget,
    ) -> Result<Option<Reservation>, Refusal> {
        let uncovered = (self.received + n).saturating_sub(self.covered.max(self.received));
        self.received += n;
        if self.received > self.limit {
            return Err(Refusal::BodyTooLarge {
                length: self.received as u64,
                limit: self.limit,
            });
        }
        if uncovered == 0 {
            return Ok(None);
        }
        let room = uncovered.saturating_mul(JSON_BYTES_HELD_PER_BYTE);
        budget
            .try_reserve(room)
            .map(Some)
            .ok_or(Refusal::NoRoomInBudget {
                message: self.received,
                room,
            })
    }
}

#[cfg(test)]
mod tests {
    use tonic::codegen::http::HeaderValue;

    use super::*;

    fn segment() -> Call {
        Call::of_http("/v1/segment").unwrap()
    }

    #[test]
    fn a_declared_body_is_reserved_at_once_and_a_chunked_one_as_it_arrives() {
        let budget = MemoryBudget::new(1000);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(100));
        let (mut declared, reserved) = JsonIntake::start(&segment(), &headers, &budget, 300)
            .unwrap()
            .unwrap();
        assert_eq!(budget.used(), 200);
        assert!(declared.received(100, &budget).unwrap().is_none());
        let extra = declared.received(10, &budget).unwrap();
        assert_eq!(budget.used(), 220);
        drop((reserved, extra));
        assert_eq!(budget.used(), 0);

        let (mut chunked, none) = JsonIntake::start(&segment(), &HeaderMap::new(), &budget, 300)
            .unwrap()
            .unwrap();
        assert!(none.is_none());
        let first = chunked.received(250, &budget).unwrap();
        assert_eq!(budget.used(), 500);
        let over = chunked.received(51, &budget).unwrap_err();
        assert_eq!(
            over,
            Refusal::BodyTooLarge {
                length: 301,
                limit: 300
            }
        );
        drop(first);
        // A request stream's lines are not reserved (as gRPC streams' messages are not).
        let stream = Call::of_http("/v1/analyze:stream").unwrap();
        assert!(
            JsonIntake::start(&stream, &headers, &budget, 300)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn verbs_content_types_and_timeouts_are_checked_from_the_head() {
        let mut headers = HeaderMap::new();
        let check =
            |method: Method, headers: &HeaderMap| admission(&segment(), &method, headers, 1000);
        assert_eq!(
            check(Method::GET, &headers),
            Err(Refusal::WrongVerb { allowed: "POST" })
        );
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        assert!(matches!(
            check(Method::POST, &headers),
            Err(Refusal::NotJson { .. })
        ));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert("x-timeout-ms", HeaderValue::from_static("250"));
        assert_eq!(
            check(Method::POST, &headers),
            Ok(Some(Duration::from_millis(250)))
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(1001));
        assert!(matches!(
            check(Method::POST, &headers),
            Err(Refusal::BodyTooLarge { length: 1001, .. })
        ));
        let models = Call::of_http("/v1/models").unwrap();
        assert_eq!(
            admission(&models, &Method::HEAD, &HeaderMap::new(), 1000),
            Ok(None)
        );
    }
}
