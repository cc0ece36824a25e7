//! `AnalyzeStream` as newline-delimited JSON: each line of the request body is one request,
//! each answer one line as soon as it is ready, in order. Nothing is read ahead: a line is
//! parsed when the gRPC stream asks for its next message, and an answer is taken from the
//! handler when the client's connection asks for more, so the stream's flow control (a client
//! that stops reading stops the reading of its requests) holds as over gRPC. A line that is
//! not a request ends the stream with an error; a stream that ends with an error (once answers
//! have begun, so after the HTTP status 200) ends with a last line `{"error": <google.rpc.Status>}`.

use bytes::{Buf, Bytes, BytesMut};
use futures_util::stream::{self, StreamExt};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::{HeaderValue, Request, Response, header};

use super::{codec, failed, frame_json, grpc_request, json_capacity, split_message};
use crate::edge::{JsonStatus, json_answer};

/// One streaming call (see the module documentation).
pub(super) async fn call<S>(
    mut inner: S,
    request: Request<Body>,
    route: usize,
    max_line_bytes: usize,
) -> Result<Response<Body>, S::Error>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    let (mut parts, body) = request.into_parts();
    grpc_request(&mut parts, route);
    let requests = Lines {
        body,
        buffer: BytesMut::new(),
        scanned: 0,
        line: 0,
        done: false,
        max_line_bytes,
    };
    let messages = stream::unfold(requests, move |mut lines| async move {
        let message = lines.next_message(route).await?;
        Some((message.map(Frame::data), lines))
    });
    let request = Request::from_parts(parts, Body::new(StreamBody::new(messages)));
    let response = inner.call(request).await?;
    if let Some(status) = failed(response.headers()) {
        return Ok(json_answer(&status));
    }
    let answers = Answers {
        body: response.into_body(),
        buffer: BytesMut::new(),
        done: false,
    };
    let lines = stream::unfold(answers, move |mut answers| async move {
        let line = answers.next_line(route).await?;
        Some((Ok::<_, Status>(Frame::data(line)), answers))
    });
    let mut response = Response::new(Body::new(StreamBody::new(lines.boxed())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

/// The request body read line by line.
struct Lines {
    body: Body,
    buffer: BytesMut,
    /// How much of `buffer` is known to hold no newline (a long line arriving in many pieces
    /// is searched once, not once a piece).
    scanned: usize,
    /// Lines taken so far (for messages).
    line: usize,
    done: bool,
    max_line_bytes: usize,
}

impl Lines {
    /// The next request as a gRPC message; an error for a line that is not one (which ends
    /// the stream); `None` at the end.
    async fn next_message(&mut self, route: usize) -> Option<Result<Bytes, Status>> {
        loop {
            if let Some(end) = memchr::memchr(b'\n', &self.buffer[self.scanned..]) {
                let line = self.buffer.split_to(self.scanned + end + 1);
                self.scanned = 0;
                self.line += 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(self.message(route, &line));
            }
            self.scanned = self.buffer.len();
            if self.buffer.len() > self.max_line_bytes {
                return self.fail(Status::resource_exhausted(format!(
                    "line {} is longer than {} bytes (--max-message-bytes)",
                    self.line + 1,
                    self.max_line_bytes
                )));
            }
            if self.done {
                if self.buffer.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
                // The last line, without its newline.
                let line = self.buffer.split();
                self.scanned = 0;
                self.line += 1;
                return Some(self.message(route, &line));
            }
            match self.body.frame().await {
                None => self.done = true,
                Some(Err(status)) => return self.fail(status),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
            }
        }
    }

    fn message(&mut self, route: usize, line: &[u8]) -> Result<Bytes, Status> {
        let mut message = Vec::with_capacity(line.len() + 5);
        match frame_json(route, line, &mut message) {
            Ok(()) => Ok(Bytes::from(message)),
            Err(status) => {
                self.done = true;
                self.buffer.clear();
                self.scanned = 0;
                Err(Status::new(
                    status.code(),
                    format!("line {}: {}", self.line, status.message()),
                ))
            }
        }
    }

    fn fail(&mut self, status: Status) -> Option<Result<Bytes, Status>> {
        self.done = true;
        self.buffer.clear();
        self.scanned = 0;
        Some(Err(status))
    }
}

/// The gRPC answer stream read message by message.
struct Answers {
    body: Body,
    buffer: BytesMut,
    done: bool,
}

impl Answers {
    /// The next answer as a JSON line; the error line for a stream that failed; `None` at the
    /// end.
    async fn next_line(&mut self, route: usize) -> Option<Bytes> {
        loop {
            if let Some((message, rest)) = split_message(&self.buffer) {
                let mut line = Vec::with_capacity(json_capacity(message.len()));
                let consumed = self.buffer.len() - rest.len();
                let written = codec::answer_to_json(route, message, &mut line);
                self.buffer.advance(consumed);
                return Some(match written {
                    Ok(()) => {
                        line.push(b'\n');
                        Bytes::from(line)
                    }
                    Err(e) => self.error_line(&Status::internal(e.to_string())),
                });
            }
            if self.done {
                return None;
            }
            match self.body.frame().await {
                None => self.done = true,
                Some(Err(status)) => return Some(self.error_line(&status)),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.buffer.extend_from_slice(&data),
                    Err(frame) => {
                        if let Some(status) = frame.trailers_ref().and_then(failed) {
                            return Some(self.error_line(&status));
                        }
                    }
                },
            }
        }
    }

    /// The last line of a stream that failed.
    fn error_line(&mut self, status: &Status) -> Bytes {
        self.done = true;
        self.buffer.clear();
        #[derive(serde::Serialize)]
        struct Failed {
            error: JsonStatus,
        }
        let failed = Failed {
            error: JsonStatus::of(status),
        };
        let mut line = serde_json::to_vec(&failed).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::routes::route_at;

    fn lines(chunks: &[&'static str], max_line_bytes: usize) -> Lines {
        let frames: Vec<Result<Frame<Bytes>, Status>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from_static(c.as_bytes()))))
            .collect();
        Lines {
            body: Body::new(StreamBody::new(stream::iter(frames))),
            buffer: BytesMut::new(),
            scanned: 0,
            line: 0,
            done: false,
            max_line_bytes,
        }
    }

    #[tokio::test]
    async fn lines_split_across_pieces_blank_ones_skipped_and_long_ones_refused() {
        let (route, _) = route_at("/v1/analyze:stream").unwrap();
        let mut requests = lines(&["{\"text\":\"a\"}\n\n{\"te", "xt\":\"b\"", "}"], 100);
        let mut got = 0;
        while let Some(message) = requests.next_message(route).await {
            assert!(message.unwrap().len() > 5);
            got += 1;
        }
        assert_eq!(got, 2);
        let mut long = lines(&["{\"text\":\"", "aaaaaaaaaa", "aaaaaaaaaa"], 16);
        let refused = long.next_message(route).await.unwrap().unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert!(long.next_message(route).await.is_none());
        let mut bad = lines(&["{\"text\":\"a\"}\nnope\n{\"text\":\"b\"}\n"], 100);
        assert!(bad.next_message(route).await.unwrap().is_ok());
        let wrong = bad.next_message(route).await.unwrap().unwrap_err();
        assert!(wrong.message().starts_with("line 2:"), "{wrong:?}");
        assert!(bad.next_message(route).await.is_none());
    }
}
