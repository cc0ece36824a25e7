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
//! - A request that is not gRPC (nor gRPC-Web, already translated) is for the HTTP/JSON door:
//!   its route must exist (404) and answer its verb (405), its body be JSON (415) within
//!   `--max-message-bytes` (413, refused from a `Content-Length` before a byte of the body is
//!   read), its timeout (`X-Timeout-Ms` or `grpc-timeout`) well-formed (400). Its body is held
//!   to the deadline as a gRPC one, and reserved in the memory budget twice over (the JSON and
//!   the message made of it): all at once from a `Content-Length`, else chunk by chunk as it
//!   arrives. Its refusals are answered as JSON (`http_status`).
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
use tonic::codegen::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use tonic::codegen::{Bytes, Service};

use super::BoxFuture;
use super::batch_scan::BatchScan;
use super::budget::{MemoryBudget, Reservation};
use super::call::{Arrived, Call, CallService, Protocol};
use super::http_rules::{self, JsonIntake};
use super::http_status::json_answer_as;
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
    /// The largest HTTP/JSON request body accepted (gRPC's message size limit).
    pub(crate) max_body_bytes: usize,
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
    fn refused(&self, call: &Call, code: &str, started: Instant, why: &str) {
        let (method, protocol) = (&*call.method, call.protocol.as_str());
        self.metrics
            .record_call(method, protocol, code, started.elapsed(), 0);
        tracing::info!(method, protocol, code, reason = why, "call refused");
    }

    /// Logs and counts `refusal`, and gives the answer that says it: JSON for an HTTP/JSON
    /// call, an HTTP status for a request that is not gRPC, a gRPC status otherwise.
    fn refuse(&self, call: &Call, refusal: &Refusal, started: Instant) -> Response<Body> {
        let status = refusal.status();
        if call.protocol == Protocol::Http {
            self.refused(
                call,
                &format!("{:?}", status.code()),
                started,
                status.message(),
            );
            let mut answer = json_answer_as(&status, refusal.http_status());
            if let Refusal::WrongVerb { allowed } = refusal {
                answer
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allowed));
            }
            return answer;
        }
        match refusal.http_only() {
            Some(http) => {
                let code = format!("Http{}", http.as_u16());
                self.refused(call, &code, started, status.message());
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
                    call,
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
        call: &Call,
        http: &Method,
        headers: &HeaderMap,
        connection: Option<&ConnectionState>,
    ) -> Result<Option<Duration>, Refusal> {
        let timeout = match call.protocol {
            Protocol::Http => http_rules::admission(call, http, headers, self.max_body_bytes)?,
            Protocol::Grpc | Protocol::GrpcWeb => {
                if http != Method::POST {
                    return Err(Refusal::NotPost);
                }
                if !is_grpc(headers) {
                    return Err(Refusal::NotGrpc);
                }
                grpc_timeout(headers)?
            }
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

/// Whether a request's content type is gRPC's.
fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

/// The client's `grpc-timeout`, if it sent one.
pub(super) fn grpc_timeout(headers: &HeaderMap) -> Result<Option<Duration>, Refusal> {
    match headers.get("grpc-timeout") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(parse_grpc_timeout)
            .map(Some)
            .ok_or_else(|| {
                Refusal::MalformedTimeout(String::from_utf8_lossy(value.as_bytes()).into())
            }),
    }
}

/// The call a request makes: a gRPC (or translated gRPC-Web) call by its path, else the
/// HTTP/JSON call of its route; a refusal for a path the HTTP door has no route for (a gRPC
/// path sent without gRPC's content type is told so).
fn call_of<B>(request: &Request<B>) -> Result<Call, (Call, Refusal)> {
    let path = request.uri().path();
    let marked = request.extensions().get::<Protocol>().copied();
    if marked == Some(Protocol::GrpcWeb) || is_grpc(request.headers()) {
        return Ok(Call {
            protocol: marked.unwrap_or_default(),
            ..Call::of(path)
        });
    }
    if let Some(call) = Call::of_http(path) {
        return Ok(call);
    }
    let grpc = Call::of(path);
    if grpc.service != CallService::Other {
        let refusal = if request.method() == Method::POST {
            Refusal::NotGrpc
        } else {
            Refusal::NotPost
        };
        return Err((grpc, refusal));
    }
    let call = Call {
        protocol: Protocol::Http,
        ..grpc
    };
    Err((
        call,
        Refusal::NoRoute {
            path: path.to_owned(),
        },
    ))
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
        let gate = self.gate.clone();
        let connection = request
            .extensions()
            .get::<ConnectionInfo>()
            .map(|c| Arc::clone(&c.state));
        if let Some(connection) = &connection {
            connection.request_arrived();
        }
        let call = match call_of(&request) {
            Ok(call) => call,
            Err((call, refusal)) => {
                let answer = gate.refuse(&call, &refusal, started);
                return Box::pin(std::future::ready(Ok(answer)));
            }
        };
        let admitted = gate
            .admission(
                &call,
                request.method(),
                request.headers(),
                connection.as_deref(),
            )
            .and_then(|timeout| {
                let intake =
                    JsonIntake::start(&call, request.headers(), &gate.budget, gate.max_body_bytes)?;
                Ok((timeout, intake))
            });
        let (timeout, json) = match admitted {
            Ok(admitted) => admitted,
            Err(refusal) => {
                let answer = gate.refuse(&call, &refusal, started);
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
        let scan = (!call.streams_requests() && call.protocol != Protocol::Http)
            .then(|| BatchScan::new(call.is_batch()));
        let json = json.map(|(intake, reserved)| {
            if let (Some(reserved), Ok(mut slot)) = (reserved, reservation.lock()) {
                slot.push(reserved);
            }
            intake
        });
        let logged = call.clone();
        request.extensions_mut().insert(call);
        let request = request.map(|inner| {
            Body::new(GuardedBody {
                inner: Some(Box::pin(inner)),
                budget: gate.budget.clone(),
                deadline: deadline.map(|at| (at, Box::pin(tokio::time::sleep_until(at.into())))),
                scan,
                json,
                reservation: Arc::clone(&reservation),
                refusal: Some((gate.clone(), logged.clone(), started)),
            })
        });
        let open = connection.as_ref().map(ConnectionState::call_opened);
        let response = self.inner.call(request);
        Box::pin(async move {
            let (response, rewritten) = client_fault_codes(response.await?);
            if let Some((code, why)) = rewritten {
                gate.refused(&logged, &format!("{code:?}"), started, why);
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
                return Ok(gate.refuse(&logged, &refusal, started));
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
    /// An HTTP/JSON body's intake: what arrives past its declared length is reserved as it
    /// arrives.
    json: Option<JsonIntake>,
    /// Where the call keeps its reservations for as long as its answer lives.
    reservation: Arc<Mutex<Vec<Reservation>>>,
    /// What a refusal is logged with; taken by the first one.
    refusal: Option<(GuardLayer, Call, Instant)>,
}

impl<B> GuardedBody<B> {
    /// The status of `refusal`, logged and counted (once a call).
    fn refuse(&mut self, refusal: Refusal) -> Status {
        let status = refusal.status();
        if let Some((gate, call, started)) = self.refusal.take() {
            gate.refused(
                &call,
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
        if let Some(json) = &mut self.json
            && let Some(reserved) = json.received(data.len(), &self.budget)?
            && let Ok(mut slot) = self.reservation.lock()
        {
            slot.push(reserved);
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
