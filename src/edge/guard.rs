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
use super::batch_scan::BatchScan;
use super::budget::{MemoryBudget, Reservation};
use super::call::{Arrived, Call};
use super::limits::{Limits, parse_grpc_timeout};
use super::status::{Refusal, client_fault_codes};
use super::transport::{ConnectionInfo, ConnectionState, OpenCall};
use crate::metrics::Metrics;

/// Room an `AnalyzeBatch` reserves in the memory budget for each byte of its message, besides
/// the message itself: its decoded documents and the answers it makes.
const BATCH_BYTES_PER_MESSAGE_BYTE: usize = 8;

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

impl GuardLayer {
    /// Logs and counts a call refused before it reached a handler.
    fn refused(&self, method: &str, code: &str, started: Instant, why: &str) {
        self.metrics.record_call(method, code, started.elapsed(), 0);
        tracing::info!(method, code, reason = why, "call refused");
    }

    /// Logs and counts `refusal`, and gives the answer that says it: an HTTP status for a
    /// request that is not gRPC, a gRPC status otherwise.
    fn refuse(&self, method: &str, refusal: &Refusal, started: Instant) -> Response<Body> {
        let status = refusal.status();
        match refusal.http_only() {
            Some(http) => {
                let code = format!("Http{}", http.as_u16());
                self.refused(method, &code, started, status.message());
                let mut response = Response::new(Body::empty());
                *response.status_mut() = http;
                if http == StatusCode::METHOD_NOT_ALLOWED {
                    response
                        .headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static("POST"));
                }
                response
            }
            None => {
                self.refused(
                    method,
                    &format!("{:?}", status.code()),
                    started,
                    status.message(),
                );
                status.into_http()
            }
        }
    }

    /// Why a call must be refused before anything else is done, if it must; otherwise the
    /// client's timeout, if it sent one.
    fn admission(
        &self,
        http: &Method,
        headers: &tonic::codegen::http::HeaderMap,
        connection: Option<&ConnectionState>,
    ) -> Result<Option<Duration>, Refusal> {
        if http != Method::POST {
            return Err(Refusal::NotPost);
        }
        let grpc = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/grpc"));
        if !grpc {
            return Err(Refusal::NotGrpc);
        }
        let timeout = match headers.get("grpc-timeout") {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .ok()
                    .and_then(parse_grpc_timeout)
                    .ok_or_else(|| {
                        Refusal::MalformedTimeout(String::from_utf8_lossy(value.as_bytes()).into())
                    })?,
            ),
        };
        if let Some(connection) = connection
            && connection.saturated()
        {
            return Err(Refusal::ConnectionSaturated {
                pending: connection.pending_answer_bytes(),
            });
        }
        if self.budget.exhausted() {
            return Err(Refusal::BudgetSpent);
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

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let call = Call::of(request.uri().path());
        let method = call.method.to_string();
        let connection = request
            .extensions()
            .get::<ConnectionInfo>()
            .map(|c| Arc::clone(&c.state));
        let gate = self.gate.clone();
        let timeout =
            match gate.admission(request.method(), request.headers(), connection.as_deref()) {
                Ok(timeout) => timeout,
                Err(refusal) => {
                    let answer = gate.refuse(&method, &refusal, started);
                    return Box::pin(std::future::ready(Ok(answer)));
                }
            };
        let deadline = if call.streams_requests() {
            timeout.map(|t| started + t)
        } else {
            gate.limits.deadline_for(timeout, started).instant()
        };
        let streams_responses = call.streams_responses();
        let reservation = Arc::new(Mutex::new(Vec::new()));
        request.extensions_mut().insert(Arrived(started));
        let scan = (!call.streams_requests()).then(|| BatchScan::new(call.is_batch()));
        request.extensions_mut().insert(call);
        let request = request.map(|inner| {
            Body::new(GuardedBody {
                inner: Some(Box::pin(inner)),
                budget: gate.budget.clone(),
                deadline: deadline.map(|at| (at, Box::pin(tokio::time::sleep_until(at.into())))),
                scan,
                reservation: Arc::clone(&reservation),
                refusal: Some((gate.clone(), method.clone(), started)),
            })
        });
        let open = connection.as_ref().map(ConnectionState::call_opened);
        let response = self.inner.call(request);
        Box::pin(async move {
            let (response, rewritten) = client_fault_codes(response.await?);
            if let Some((code, why)) = rewritten {
                gate.refused(&method, &format!("{code:?}"), started, why);
            }
            let (parts, mut inner) = response.into_parts();
            // A unary answer is ready at once: take it now (as bytes), so that it is counted
            // from the start, even if the client never lets a byte of it be sent.
            let first = if streams_responses {
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
                let refusal = Refusal::ConnectionSaturated {
                    pending: connection.pending_answer_bytes(),
                };
                return Ok(gate.refuse(&method, &refusal, started));
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
    /// The status of `refusal`, logged and counted (once a call).
    fn refuse(&mut self, refusal: Refusal) -> Status {
        let status = refusal.status();
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
    fn received(&mut self, data: &[u8]) -> Result<(), Refusal> {
        if let Some(scan) = &mut self.scan {
            let batch = scan.count_documents;
            match scan.feed(data) {
                Err(documents) => return Err(Refusal::BatchTooLarge { documents }),
                Ok(Some(message_len)) => {
                    let factor = if batch {
                        1 + BATCH_BYTES_PER_MESSAGE_BYTE
                    } else {
                        1
                    };
                    let room = message_len.saturating_mul(factor);
                    let reserved =
                        self.budget
                            .try_reserve(room)
                            .ok_or(Refusal::NoRoomInBudget {
                                message: message_len,
                                room,
                            })?;
                    if let Ok(mut slot) = self.reservation.lock() {
                        slot.push(reserved);
                    }
                }
                Ok(None) => {}
            }
        }
        if self.budget.exhausted() {
            return Err(Refusal::BudgetSpent);
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
            return Poll::Ready(Some(Err(this.refuse(Refusal::BodyTooSlow))));
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
            && let Err(refusal) = this.received(data)
        {
            this.inner = None;
            return Poll::Ready(Some(Err(this.refuse(refusal))));
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
