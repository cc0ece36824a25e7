//! The HTTP/JSON door: every RPC that the proto gives a `google.api.http` route is served as
//! JSON over HTTP/1.1 and HTTP/2 on the gRPC port, by transcoding. A JSON call is turned into
//! the gRPC call of its method (its body parsed with protobuf's JSON mapping and encoded as a
//! gRPC message, its `X-Timeout-Ms` as `grpc-timeout`), passed to the same layers and handlers
//! as every gRPC call, and its answer turned back: the message as JSON, a status as the HTTP
//! status of its code with a `google.rpc.Status` body. `AnalyzeStream` takes and gives
//! newline-delimited JSON, one answer per line as each is ready.
//!
//! The layer sits after the guard, which has already held the request to its route, the size
//! limit, the memory budget and its deadline (`edge::guard`), and before authentication, so a
//! JSON call is authenticated, tracked, counted and answered exactly as its gRPC twin. Requests
//! that are not HTTP/JSON pass through untouched.

mod codec;
mod documents;
mod stream;

use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::request::Parts;
use tonic::codegen::http::{
    HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header,
};

use crate::edge::routes::{ROUTES, route_at};
use crate::edge::{Call, CallService, Protocol, json_answer, json_answer_as};

pub use documents::{OPENAPI, playground_bytes};

/// A layer adding [`JsonDoor`].
#[derive(Debug, Clone, Copy)]
pub struct JsonDoorLayer {
    /// The longest line of a newline-delimited JSON stream (the gRPC message size limit).
    pub max_line_bytes: usize,
    /// Whether the playground page is served.
    pub playground: bool,
}

impl<S> tower::Layer<S> for JsonDoorLayer {
    type Service = JsonDoor<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JsonDoor {
            inner,
            max_line_bytes: self.max_line_bytes,
            playground: self.playground,
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct JsonDoor<S> {
    inner: S,
    max_line_bytes: usize,
    playground: bool,
}

type BoxFuture<T, E> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send>>;

impl<S> Service<Request<Body>> for JsonDoor<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let call = Call::in_extensions(request.extensions());
        if call.protocol != Protocol::Http {
            return Box::pin(self.inner.call(request));
        }
        let Some(route) = call.route else {
            // The guard lets through only routes and the documents.
            debug_assert_eq!(call.service, CallService::Documents);
            let path = request.uri().path();
            let answer = documents::document(path, self.playground).unwrap_or_else(|| {
                json_answer_as(
                    &Status::not_found(format!("no document {path}: the playground is off")),
                    StatusCode::NOT_FOUND,
                )
            });
            return Box::pin(std::future::ready(Ok(answer)));
        };
        // The service that was made ready answers this call; a clone waits for the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let max_line_bytes = self.max_line_bytes;
        Box::pin(async move {
            if ROUTES[route].streaming {
                stream::call(inner, request, route, max_line_bytes).await
            } else {
                unary(inner, request, route).await
            }
        })
    }
}

/// One unary call: the whole body (held to the limits by the guard) as the method's request,
/// the answer as JSON.
async fn unary<S>(
    mut inner: S,
    request: Request<Body>,
    route: usize,
) -> Result<Response<Body>, S::Error>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    let (mut parts, body) = request.into_parts();
    let json = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(status) => return Ok(json_answer(&status)),
    };
    let mut message = Vec::with_capacity(json.len() + 5);
    if let Err(status) = frame_json(route, &json, &mut message) {
        return Ok(json_answer(&status));
    }
    grpc_request(&mut parts, route);
    let request = Request::from_parts(parts, Body::new(Full::new(Bytes::from(message))));
    let response = inner.call(request).await?;
    if let Some(status) = failed(response.headers()) {
        return Ok(json_answer(&status));
    }
    let collected = match response.into_body().collect().await {
        Ok(collected) => collected,
        Err(status) => return Ok(json_answer(&status)),
    };
    if let Some(status) = collected.trailers().and_then(failed) {
        return Ok(json_answer(&status));
    }
    let bytes = collected.to_bytes();
    let mut out = Vec::with_capacity(json_capacity(bytes.len()));
    let written = match split_message(&bytes) {
        Some((message, _)) => {
            codec::answer_to_json(route, message, &mut out).map_err(|e| e.to_string())
        }
        None => Err("the answer has no message".to_owned()),
    };
    if let Err(defect) = written {
        // Our own handler's answer: a defect of the server, never of the request.
        tracing::error!(route = ROUTES[route].path, %defect, "answer not written as JSON");
        return Ok(json_answer(&Status::internal(defect)));
    }
    let mut response = Response::new(Body::new(Full::new(Bytes::from(out))));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// What the door makes of the JSON request `json` for the route at `path`: the gRPC message it
/// sends on (its 5-byte prefix and protobuf), or the status the client gets; `None` for a path
/// that is no route. (Public for the fuzz target.)
pub fn request_message(path: &str, json: &[u8]) -> Option<Result<Vec<u8>, Status>> {
    let (route, _) = route_at(path)?;
    let mut out = Vec::new();
    Some(frame_json(route, json, &mut out).map(|()| out))
}

/// The JSON the door writes for the protobuf answer `message` of the route at `path`, or why it
/// cannot; `None` for a path that is no route. (Public for the fuzz target.)
pub fn answer_json(path: &str, message: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let (route, _) = route_at(path)?;
    let mut out = Vec::new();
    Some(
        codec::answer_to_json(route, message, &mut out)
            .map(|()| out)
            .map_err(|e| e.to_string()),
    )
}

/// Room for the JSON of a protobuf answer of `length` bytes: a Segment answer's JSON is about
/// 3.4 times its protobuf (12,907 bytes for 3,805), so the buffer is not grown and copied while
/// it is written.
fn json_capacity(length: usize) -> usize {
    length.saturating_mul(4).saturating_add(64)
}

/// Appends one JSON request (an empty body is `{}`) as a gRPC message (its 5-byte prefix and
/// protobuf) to `out`.
fn frame_json(route: usize, json: &[u8], out: &mut Vec<u8>) -> Result<(), Status> {
    let json: &[u8] = if json.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        json
    };
    let start = out.len();
    out.extend_from_slice(&[0; 5]);
    codec::request_to_proto(route, json, out).map_err(|e| {
        Status::invalid_argument(format!(
            "the body is not a JSON {} request: {e}",
            ROUTES[route].method
        ))
    })?;
    let length = u32::try_from(out.len() - start - 5)
        .map_err(|_| Status::resource_exhausted("the request is too large"))?;
    out[start + 1..start + 5].copy_from_slice(&length.to_be_bytes());
    Ok(())
}

/// Turns the JSON request's head into its gRPC call's: the method's path, gRPC's content type,
/// and the client's `X-Timeout-Ms` as `grpc-timeout` (the guard has checked it). The
/// extensions (which call it is, when it arrived, its connection) stay.
fn grpc_request(parts: &mut Parts, route: usize) {
    parts.method = Method::POST;
    parts.version = Version::HTTP_2;
    parts.uri = Uri::from_static(ROUTES[route].grpc_path);
    let headers = &mut parts.headers;
    let timeout = headers
        .remove("x-timeout-ms")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(ms) = timeout {
        // grpc-timeout has at most 8 digits.
        let value = if ms < 100_000_000 {
            format!("{ms}m")
        } else {
            format!("{}S", ms.div_ceil(1000))
        };
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert("grpc-timeout", value);
        }
    }
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
}

/// The status in these headers or trailers, when it is not OK.
fn failed(headers: &tonic::codegen::http::HeaderMap) -> Option<Status> {
    Status::from_header_map(headers).filter(|s| s.code() != tonic::Code::Ok)
}

/// The first complete gRPC message of `bytes` and what follows it.
fn split_message(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let prefix = bytes.get(..5)?;
    let length = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize;
    let end = 5usize.checked_add(length)?;
    Some((bytes.get(5..end)?, &bytes[end..]))
}
