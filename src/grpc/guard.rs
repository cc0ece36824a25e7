//! The gate every call passes first.
//!
//! - The gRPC over HTTP/2 protocol's own rules: a method other than POST is answered HTTP 405,
//!   a content-type that is not `application/grpc…` HTTP 415, and a `grpc-timeout` that does
//!   not parse INVALID_ARGUMENT.
//! - Admission: while the server's [`MemoryBudget`] is spent, or the call's connection has more
//!   answer bytes unread than its bound, the call is refused at once with RESOURCE_EXHAUSTED.
//! - The request body must arrive within the call's deadline (the client's `grpc-timeout` or
//!   `--default-timeout-secs`, counted from the headers; for request streams the client's
//!   alone), else DEADLINE_EXCEEDED. A unary request reserves its declared length in the budget
//!   until its answer is done (tonic makes room for the whole message at once).
//! - An `AnalyzeBatch` is read as it arrives: more documents than a call may carry is refused
//!   before they are decoded, and the batch reserves room in the budget for its work.
//! - tonic's own rejections get the code that says whose fault they are (`status_codes`).
//!
//! Every call refused here is logged and counted like the calls the handlers answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Sleep;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use tonic::codegen::{Bytes, Service};

use super::BoxFuture;

use super::convert::{Limits, MAX_BATCH, parse_grpc_timeout};
use super::error::{ApiError, FieldViolation};
use super::status_codes::client_fault_codes;
use crate::budget::{MemoryBudget, Reservation};
use crate::metrics::Metrics;
use crate::transport::{ConnectionInfo, ConnectionState, OpenCall};

/// When a call's headers arrived, as the guard saw it: what its deadline counts from (also
/// in the handlers, so that a body slow to arrive does not move it later than the transport's
/// own timer, which answers CANCELLED).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrived(pub(crate) Instant);

impl Arrived {
    /// When the call with these extensions arrived; now, for a call that did not pass the
    /// guard (none does not, but for tests of the handlers alone).
    pub(crate) fn of(extensions: &tonic::Extensions) -> Instant {
        extensions
            .get::<Arrived>()
            .map_or_else(Instant::now, |a| a.0)
    }
}

/// Room an `AnalyzeBatch` reserves in the memory budget for each byte of its message, besides
/// the message itself: its decoded documents and the answers it makes.
const BATCH_BYTES_PER_MESSAGE_BYTE: usize = 8;

const BATCH_PATH: &str = "/textanalysis.v1.TextAnalysis/AnalyzeBatch";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A layer adding [`Guard`].
#[derive(Debug, Clone)]
pub(crate) struct GuardLayer {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) budget: MemoryBudget,
    pub(crate) limits: Limits,
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guard {
            inner,
            gate: self.clone(),
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Guard<S> {
    inner: S,
    gate: GuardLayer,
}

/// The method's name in logs and metrics: the last part of the path.
fn method_of(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

/// Whether the call's request is a stream, whose body lasts as long as the client wants.
fn streams_requests(path: &str) -> bool {
    path.ends_with("/AnalyzeStream") || path.contains(".ServerReflection/")
}

/// Whether the call's answer is a stream (not ready at once).
fn streams_responses(path: &str) -> bool {
    streams_requests(path) || path.ends_with("/Watch")
}

impl GuardLayer {
    /// Logs and counts a call refused before it reached a handler.
    fn refused(&self, method: &str, code: &str, started: Instant, why: &str) {
        self.metrics.record_call(method, code, started.elapsed(), 0);
        tracing::info!(method, code, reason = why, "call refused");
    }

    /// The HTTP answer to a request that is not gRPC at all.
    fn http_refusal(&self, method: &str, status: StatusCode, started: Instant) -> Response<Body> {
        let why = if status == StatusCode::METHOD_NOT_ALLOWED {
            "gRPC calls are POST requests"
        } else {
            "gRPC calls have content-type application/grpc"
        };
        self.refused(method, &format!("Http{}", status.as_u16()), started, why);
        let mut response = Response::new(Body::empty());
        *response.status_mut() = status;
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }

    /// The gRPC answer to a call refused before its handler.
    fn status_refusal(&self, method: &str, status: Status, started: Instant) -> Response<Body> {
        self.refused(
            method,
            &format!("{:?}", status.code()),
            started,
            status.message(),
        );
        status.into_http()
    }

    /// Why a call must be refused before anything else is done, if it must.
    fn admission(
        &self,
        method: &str,
        http: &Method,
        headers: &tonic::codegen::http::HeaderMap,
        connection: Option<&ConnectionState>,
        started: Instant,
    ) -> Result<Option<Duration>, Box<Response<Body>>> {
        if http != Method::POST {
            return Err(Box::new(self.http_refusal(
                method,
                StatusCode::METHOD_NOT_ALLOWED,
                started,
            )));
        }
        let grpc = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/grpc"));
        if !grpc {
            return Err(Box::new(self.http_refusal(
                method,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                started,
            )));
        }
        let timeout = match headers.get("grpc-timeout") {
            None => None,
            Some(value) => match value.to_str().ok().and_then(parse_grpc_timeout) {
                Some(timeout) => Some(timeout),
                None => {
                    let status = Status::invalid_argument(format!(
                        "grpc-timeout `{}` is malformed: 1 to 8 digits and a unit (H, M, S, m, u, n)",
                        String::from_utf8_lossy(value.as_bytes())
                    ));
                    return Err(Box::new(self.status_refusal(method, status, started)));
                }
            },
        };
        if let Some(connection) = connection
            && connection.saturated()
        {
            let status = Status::resource_exhausted(format!(
                "this connection has {} bytes of answers its client has not read; read them \
                 before starting more calls",
                connection.pending_answer_bytes()
            ));
            return Err(Box::new(self.status_refusal(method, status, started)));
        }
        if self.budget.exhausted() {
            let status = Status::resource_exhausted(
                "the server's memory budget is spent (requests arriving, answers not yet read); \
                 retry with backoff",
            );
            return Err(Box::new(self.status_refusal(method, status, started)));
        }
        Ok(timeout)
    }
}

impl<S, B> Service<Request<B>> for Guard<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let path = request.uri().path().to_owned();
        let method = method_of(&path);
        let connection = request
            .extensions()
            .get::<ConnectionInfo>()
            .map(|c| Arc::clone(&c.state));
        let gate = self.gate.clone();
        let timeout = match gate.admission(
            &method,
            request.method(),
            request.headers(),
            connection.as_deref(),
            started,
        ) {
            Ok(timeout) => timeout,
            Err(refusal) => return Box::pin(std::future::ready(Ok(*refusal))),
        };
        let deadline = if streams_requests(&path) {
            timeout.map(|t| started + t)
        } else {
            gate.limits.deadline_for(timeout, started).instant()
        };
        let reservation = Arc::new(Mutex::new(Vec::new()));
        let mut request = request;
        request.extensions_mut().insert(Arrived(started));
        let request = request.map(|inner| {
            Body::new(GuardedBody {
                inner: Some(Box::pin(inner)),
                budget: gate.budget.clone(),
                deadline: deadline.map(|at| (at, Box::pin(tokio::time::sleep_until(at.into())))),
                scan: (!streams_requests(&path)).then(|| BatchScan {
                    count_documents: path == BATCH_PATH,
                    ..BatchScan::default()
                }),
                reservation: Arc::clone(&reservation),
                refusal: Some((gate.clone(), method.clone(), started)),
            })
        });
        let open = connection.as_ref().map(ConnectionState::call_opened);
        let response = self.inner.call(request);
        Box::pin(async move {
            let (response, rewritten) = client_fault_codes(response.await?);
            if let Some(code) = rewritten {
                gate.refused(
                    &method,
                    &format!("{code:?}"),
                    started,
                    "malformed gRPC request",
                );
            }
            let (parts, mut inner) = response.into_parts();
            // A unary answer is ready at once: take it now (as bytes), so that it is counted
            // from the start, even if the client never lets a byte of it be sent.
            let first = if streams_responses(&path) {
                None
            } else {
                std::future::poll_fn(|cx| {
                    Poll::Ready(match Pin::new(&mut inner).poll_frame(cx) {
                        Poll::Ready(frame) => Some(frame),
                        Poll::Pending => None,
                    })
                })
                .await
            };
            // A client that leaves answers unread has its new ones dropped (and refused)
            // rather than held once its connection is past its bound: the connection holds at
            // most its bound and one answer, while a client that reads keeps getting even
            // answers larger than the bound.
            if let (Some(Some(Ok(frame))), Some(connection)) = (&first, &connection)
                && frame.is_data()
                && connection.saturated()
            {
                let status = Status::resource_exhausted(format!(
                    "this connection has {} bytes of answers its client has not read; read them \
                     before starting more calls",
                    connection.pending_answer_bytes()
                ));
                return Ok(gate.status_refusal(&method, status, started));
            }
            let mut answer = CountedAnswer {
                first: None,
                inner,
                connection,
                _open: open,
                _reservation: reservation,
            };
            if let Some(first) = first {
                answer.hold(first);
            }
            Ok(Response::from_parts(parts, Body::new(answer)))
        })
    }
}

/// A request body held to the call's deadline and the memory budget (see the module
/// documentation).
struct GuardedBody<B> {
    inner: Option<Pin<Box<B>>>,
    budget: MemoryBudget,
    /// When the body must have arrived, and a timer that wakes the call then. The instant is
    /// also compared with the clock on every poll: a timer set in the past may not fire before
    /// the transport's own one (which would answer CANCELLED).
    deadline: Option<(Instant, Pin<Box<Sleep>>)>,
    /// A unary request's reading: its message's declared length is reserved in the budget
    /// (tonic makes room for that much at once) until the call's answer is done, and a batch's
    /// documents are counted. A request stream's messages are only held to the budget.
    scan: Option<BatchScan>,
    /// Where the call keeps its reservations for as long as its answer lives.
    reservation: Arc<Mutex<Vec<Reservation>>>,
    /// What a refusal is logged with; taken by the first one.
    refusal: Option<(GuardLayer, String, Instant)>,
}

impl<B> GuardedBody<B> {
    fn refuse(&mut self, status: Status) -> Status {
        if let Some((gate, method, started)) = self.refusal.take() {
            gate.refused(
                &method,
                &format!("{:?}", status.code()),
                started,
                status.message(),
            );
        }
        status
    }

    /// Reads a data frame: reserves a unary request's declared length (more for a batch),
    /// counts a batch's documents, and checks the budget.
    fn received(&mut self, data: &[u8]) -> Result<(), Status> {
        if let Some(scan) = &mut self.scan {
            let batch = scan.count_documents;
            match scan.feed(data) {
                Err(count) => {
                    return Err(ApiError::InvalidArgument(vec![FieldViolation::new(
                        "documents",
                        format!(
                            "has more than {MAX_BATCH} documents ({count} so far); at most \
                             {MAX_BATCH} are accepted a call"
                        ),
                    )])
                    .into());
                }
                Ok(Some(message_len)) => {
                    let factor = if batch {
                        1 + BATCH_BYTES_PER_MESSAGE_BYTE
                    } else {
                        1
                    };
                    let room = message_len.saturating_mul(factor);
                    let reserved = self.budget.try_reserve(room).ok_or_else(|| {
                        Status::resource_exhausted(format!(
                            "a request of {message_len} bytes needs {room} bytes of the \
                             server's memory budget, which other calls hold now; retry with \
                             backoff"
                        ))
                    })?;
                    if let Ok(mut slot) = self.reservation.lock() {
                        slot.push(reserved);
                    }
                }
                Ok(None) => {}
            }
        }
        if self.budget.exhausted() {
            return Err(Status::resource_exhausted(
                "the server's memory budget is spent (requests arriving, answers not yet read); \
                 retry with backoff",
            ));
        }
        Ok(())
    }
}

impl<B> HttpBody for GuardedBody<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Some((at, timer)) = &mut this.deadline
            && (*at <= Instant::now() || timer.as_mut().poll(cx).is_ready())
        {
            this.inner = None;
            let status = Status::deadline_exceeded(
                "the request did not arrive in full within the call's deadline (the client's \
                 grpc-timeout, or the server's --default-timeout-secs)",
            );
            return Poll::Ready(Some(Err(this.refuse(status))));
        }
        let frame = match ready!(inner.as_mut().poll_frame(cx)) {
            None => {
                this.inner = None;
                return Poll::Ready(None);
            }
            Some(Err(e)) => return Poll::Ready(Some(Err(Status::from_error(e.into())))),
            Some(Ok(frame)) => frame,
        };
        if let Some(data) = frame.data_ref()
            && let Err(status) = this.received(data)
        {
            this.inner = None;
            return Poll::Ready(Some(Err(this.refuse(status))));
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |b| b.size_hint())
    }
}

/// An answer body whose data is counted as made for its connection (until the connection has
/// written it), keeping the call open on the connection, and a batch's reservation, until
/// hyper drops it.
struct CountedAnswer {
    /// The first frame, taken before hyper asked for it (see [`CountedAnswer::hold`]).
    first: Option<Option<Result<Frame<Bytes>, Status>>>,
    inner: Body,
    connection: Option<Arc<ConnectionState>>,
    _open: Option<OpenCall>,
    _reservation: Arc<Mutex<Vec<Reservation>>>,
}

impl CountedAnswer {
    /// Keeps `first`, the answer's first frame taken early, counting its data as made.
    fn hold(&mut self, first: Option<Result<Frame<Bytes>, Status>>) {
        if let (Some(Ok(frame)), Some(connection)) = (&first, &self.connection)
            && let Some(data) = frame.data_ref()
        {
            connection.answer_made(data.len());
        }
        self.first = Some(first);
    }
}

impl HttpBody for CountedAnswer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(first);
        }
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let (Some(Ok(frame)), Some(connection)) = (&frame, &self.connection)
            && let Some(data) = frame.data_ref()
        {
            connection.answer_made(data.len());
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        match &self.first {
            Some(None) => true,
            Some(Some(_)) => false,
            None => self.inner.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.first {
            None => self.inner.size_hint(),
            Some(_) => SizeHint::default(),
        }
    }
}

/// Reads an `AnalyzeBatch` request's bytes as they arrive: the gRPC message prefix, then the
/// message's top-level fields, counting field 1 (`documents`) without decoding it.
#[derive(Debug, Default)]
struct BatchScan {
    /// Whether to read the message's fields (an `AnalyzeBatch`), or only its prefix.
    count_documents: bool,
    state: Scan,
    /// The 5-byte gRPC message prefix, as it arrives.
    prefix: Vec<u8>,
    /// Message bytes still to read.
    remaining: usize,
    documents: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Reading the 5-byte prefix.
    #[default]
    Prefix,
    /// Reading a field's key (a varint).
    Key { value: u64, shift: u32 },
    /// Skipping a varint value.
    Varint,
    /// Reading a length-delimited field's length.
    Length { value: u64, shift: u32 },
    /// Skipping this many bytes.
    Skip(u64),
    /// Done, or not a message this scan understands: prost decides.
    Done,
}

impl BatchScan {
    /// Feeds the next bytes of the body. `Ok(Some(len))` once the message's length is known;
    /// `Err(count)` as soon as more than [`MAX_BATCH`] documents have been seen.
    fn feed(&mut self, mut data: &[u8]) -> Result<Option<usize>, usize> {
        let mut message_len = None;
        while let Some((&byte, rest)) = data.split_first() {
            match self.state {
                Scan::Done => return Ok(message_len),
                Scan::Prefix => {
                    self.prefix.push(byte);
                    data = rest;
                    if self.prefix.len() == 5 {
                        let len = u32::from_be_bytes([
                            self.prefix[1],
                            self.prefix[2],
                            self.prefix[3],
                            self.prefix[4],
                        ]) as usize;
                        message_len = Some(len);
                        self.remaining = len;
                        self.state = if len == 0 || !self.count_documents {
                            Scan::Done
                        } else {
                            Scan::Key { value: 0, shift: 0 }
                        };
                    }
                    continue;
                }
                Scan::Skip(n) => {
                    let take = usize::try_from(n).unwrap_or(usize::MAX).min(data.len());
                    data = &data[take..];
                    self.consume(take);
                    self.state = match n - take as u64 {
                        0 => Scan::Key { value: 0, shift: 0 },
                        left => Scan::Skip(left),
                    };
                    continue;
                }
                Scan::Key { shift, .. } | Scan::Length { shift, .. } if shift > 63 => {
                    self.state = Scan::Done;
                    continue;
                }
                Scan::Key { value, shift } => {
                    let value = value | (u64::from(byte & 0x7f) << shift);
                    self.state = if byte & 0x80 != 0 {
                        Scan::Key {
                            value,
                            shift: shift + 7,
                        }
                    } else {
                        match value & 7 {
                            0 => Scan::Varint,
                            1 => Scan::Skip(8),
                            5 => Scan::Skip(4),
                            2 => {
                                if value >> 3 == 1 {
                                    self.documents += 1;
                                    if self.documents > MAX_BATCH {
                                        return Err(self.documents);
                                    }
                                }
                                Scan::Length { value: 0, shift: 0 }
                            }
                            _ => Scan::Done,
                        }
                    };
                }
                Scan::Varint => {
                    if byte & 0x80 == 0 {
                        self.state = Scan::Key { value: 0, shift: 0 };
                    }
                }
                Scan::Length { value, shift } => {
                    let value = value | (u64::from(byte & 0x7f) << shift);
                    self.state = if byte & 0x80 != 0 {
                        Scan::Length {
                            value,
                            shift: shift + 7,
                        }
                    } else if value == 0 {
                        Scan::Key { value: 0, shift: 0 }
                    } else {
                        Scan::Skip(value)
                    };
                }
            }
            data = rest;
            self.consume(1);
        }
        Ok(message_len)
    }

    /// `n` message bytes were read; past the message's end there is nothing to scan.
    fn consume(&mut self, n: usize) {
        self.remaining = self.remaining.saturating_sub(n);
        if self.remaining == 0 && self.state != Scan::Prefix {
            self.state = Scan::Done;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn framed(message: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend((message.len() as u32).to_be_bytes());
        out.extend(message);
        out
    }

    fn batch(documents: usize) -> Vec<u8> {
        let request = super::super::pb::AnalyzeBatchRequest {
            documents: vec![Default::default(); documents],
        };
        framed(&request.encode_to_vec())
    }

    #[test]
    fn documents_are_counted_before_decoding_in_any_cut() {
        for (documents, cut) in [(MAX_BATCH, 1), (MAX_BATCH, 7), (MAX_BATCH + 1, 3)] {
            let bytes = batch(documents);
            let mut scan = BatchScan {
                count_documents: true,
                ..BatchScan::default()
            };
            let mut result = Ok(None);
            for chunk in bytes.chunks(cut) {
                result = scan.feed(chunk);
                if result.is_err() {
                    break;
                }
            }
            if documents > MAX_BATCH {
                assert_eq!(result, Err(MAX_BATCH + 1));
            } else {
                assert!(result.is_ok());
                assert_eq!(scan.documents, documents);
                assert_eq!(scan.state, Scan::Done);
            }
        }
        let text = super::super::pb::AnalyzeBatchRequest {
            documents: vec![
                super::super::pb::AnalyzeRequest {
                    id: "x".repeat(300),
                    text: "文".repeat(100),
                    ..Default::default()
                };
                3
            ],
        };
        let bytes = framed(&text.encode_to_vec());
        let mut scan = BatchScan {
            count_documents: true,
            ..BatchScan::default()
        };
        assert_eq!(scan.feed(&bytes), Ok(Some(bytes.len() - 5)));
        assert_eq!(scan.documents, 3);
    }
}
