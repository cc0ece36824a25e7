//! Hostile and broken clients, driven with a raw HTTP/2 client (the `h2` crate) as an attacker
//! or a buggy client would: every row of the table in docs/operations.md ("Hostile clients"),
//! each bounded in time and asserting its bound (status, connection closed, budget released,
//! RSS of the real binary read from `/proc`), with a normal client served meanwhile.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use h2::client::SendRequest;
use prost::Message;
use textanalysis::edge::transport::ConnectionLimits;
use textanalysis::edge::{BearerTokens, Limits};
use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;
use textanalysis::grpc::pb::{AnalyzeBatchRequest, AnalyzeRequest, SegmentRequest};
use textanalysis::server::Settings;
use tokio::io::AsyncReadExt;
use tonic::Code;
use tonic::codegen::Bytes;

use crate::common::{TestServer, long_text, within_limit};

const SEGMENT: &str = "/textanalysis.v1.TextAnalysis/Segment";

/// An HTTP/2 connection to `addr` made by `builder`.
async fn connect_with(addr: SocketAddr, builder: h2::client::Builder) -> SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (client, connection) = builder.handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    client.ready().await.unwrap()
}

async fn connect(addr: SocketAddr) -> SendRequest<Bytes> {
    connect_with(addr, h2::client::Builder::new()).await
}

fn request(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut builder = http::Request::post(format!("http://{addr}{path}"))
        .header("te", "trailers")
        .header("content-type", "application/grpc");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

/// A gRPC message with compressed flag `flag`, declaring `declared` bytes (its own length when
/// `None`).
fn framed(flag: u8, declared: Option<u32>, payload: &[u8]) -> Bytes {
    let mut out = vec![flag];
    out.extend(declared.unwrap_or(payload.len() as u32).to_be_bytes());
    out.extend(payload);
    out.into()
}

fn segment(text: &str) -> Vec<u8> {
    SegmentRequest {
        text: text.into(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// What came back: the HTTP status, and the gRPC status if there was one.
#[derive(Debug)]
struct Answer {
    http: u16,
    grpc: Option<Code>,
    message: String,
    /// Response messages received before the status.
    messages: usize,
}

/// Reads an answer in full (headers, data, trailers).
async fn answer(response: h2::client::ResponseFuture) -> Answer {
    let response = response.await.unwrap();
    let http = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = response.into_body();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await.unwrap().unwrap_or_default();
    let status = headers
        .get("grpc-status")
        .or_else(|| trailers.get("grpc-status"));
    let message = headers
        .get("grpc-message")
        .or_else(|| trailers.get("grpc-message"))
        .map(|m| m.to_str().unwrap_or_default().replace("%20", " "))
        .unwrap_or_default();
    let mut messages = 0;
    let mut rest = data.as_slice();
    while rest.len() >= 5 {
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        rest = &rest[(5 + len).min(rest.len())..];
        messages += 1;
    }
    Answer {
        http,
        grpc: status.map(|s| Code::from(s.to_str().unwrap().parse::<i32>().unwrap())),
        message,
        messages,
    }
}

/// Sends `request` with `body` (ending the stream when `end`) and reads the answer.
async fn call(
    client: &mut SendRequest<Bytes>,
    request: http::Request<()>,
    body: Option<Bytes>,
    end: bool,
) -> Answer {
    let (response, mut stream) = client.send_request(request, body.is_none() && end).unwrap();
    if let Some(body) = body {
        stream.reserve_capacity(body.len());
        stream.send_data(body, end).unwrap();
    }
    within_limit("an answer", answer(response)).await
}

/// How many of `responses` were refused with RESOURCE_EXHAUSTED (a trailers-only answer, which
/// needs no flow-control window), each awaited at most `wait`.
async fn resource_exhausted(responses: Vec<h2::client::ResponseFuture>, wait: Duration) -> usize {
    let mut refused = 0;
    for response in responses {
        if let Ok(Ok(response)) = tokio::time::timeout(wait, response).await
            && response.headers().get("grpc-status").map(|s| s.as_bytes()) == Some(b"8")
        {
            refused += 1;
        }
    }
    refused
}

/// Reads (and discards) what the server sends on `stream` until it closes it: end of stream or
/// a reset, within the wait limit.
pub(crate) async fn closed_by_server(what: &str, stream: &mut tokio::net::TcpStream) {
    within_limit(&format!("{what} closed"), async {
        let mut buf = [0u8; 256];
        while let Ok(1..) = stream.read(&mut buf).await {}
    })
    .await;
}

/// Waits until the server's memory budget holds nothing.
pub(crate) async fn budget_released(server: &TestServer) {
    within_limit("the budget released", async {
        while !server
            .metrics
            .encode(textanalysis::metrics::Format::Classic)
            .contains("textanalysis_memory_budget_used_bytes 0\n")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// Whether a normal client is served at once.
pub(crate) async fn served(server: &TestServer) {
    let started = Instant::now();
    let words = crate::common::segment_words(server.channel.clone(), "我来到北京清华大学").await;
    assert_eq!(words, ["我", "来到", "北京", "清华大学"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn framing_mistakes_are_invalid_argument_logged_and_counted() {
    let server = TestServer::start().await;
    let mut client = connect(server.addr).await;
    let payload = segment("我来到北京清华大学");
    let cases: Vec<(&str, Option<Bytes>)> = vec![
        ("compressed flag 2", Some(framed(2, None, &payload))),
        ("compressed flag 255", Some(framed(255, None, &payload))),
        (
            "a length prefix longer than the body",
            Some(framed(0, Some(payload.len() as u32 + 10), &payload)),
        ),
        (
            "3 of the 5 prefix bytes",
            Some(Bytes::from_static(&[0, 0, 0])),
        ),
        ("HEADERS with END_STREAM and no message", None),
    ];
    let count = cases.len();
    for (case, body) in cases {
        let answer = call(&mut client, request(server.addr, SEGMENT, &[]), body, true).await;
        assert_eq!(
            answer.grpc,
            Some(Code::InvalidArgument),
            "{case}: {answer:?}"
        );
    }
    // A stream whose last message is cut short: the first is answered, then the mistake.
    let mut stream_body = framed(
        0,
        None,
        &AnalyzeRequest {
            id: "1".into(),
            text: "很好".into(),
            ..Default::default()
        }
        .encode_to_vec(),
    )
    .to_vec();
    stream_body.extend_from_slice(&[0, 0, 0, 0, 9, 1, 2]);
    let answer = call(
        &mut client,
        request(
            server.addr,
            "/textanalysis.v1.TextAnalysis/AnalyzeStream",
            &[],
        ),
        Some(stream_body.into()),
        true,
    )
    .await;
    assert_eq!(answer.grpc, Some(Code::InvalidArgument), "{answer:?}");
    assert_eq!(answer.messages, 1, "{answer:?}");
    let counted = format!(
        r#"textanalysis_calls_total{{method="Segment",code="InvalidArgument",protocol="grpc"}} {count}"#
    );
    let stream = r#"textanalysis_calls_total{method="AnalyzeStream",code="InvalidArgument",protocol="grpc"} 1"#;
    // The stream's line is written when the server drops it, just after its last answer.
    within_limit("the calls counted", async {
        loop {
            let page = server
                .metrics
                .encode(textanalysis::metrics::Format::Classic);
            if page.contains(&counted) && page.contains(stream) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    served(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn requests_that_are_not_grpc_get_http_statuses_and_malformed_timeouts_a_clear_one() {
    let server = TestServer::start().await;
    let mut client = connect(server.addr).await;
    let get = http::Request::get(format!("http://{}{SEGMENT}", server.addr))
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let answer = call(&mut client, get, None, true).await;
    assert_eq!(answer.http, 405, "{answer:?}");
    for content_type in [Some("text/plain"), Some("application/json"), None] {
        let mut request = request(server.addr, SEGMENT, &[]);
        match content_type {
            Some(t) => drop(
                request
                    .headers_mut()
                    .insert("content-type", t.parse().unwrap()),
            ),
            None => drop(request.headers_mut().remove("content-type")),
        }
        let body = framed(0, None, &segment("好"));
        let answer = call(&mut client, request, Some(body), true).await;
        assert_eq!(answer.http, 415, "{content_type:?}: {answer:?}");
    }
    for timeout in ["-1S", "garbage", "999999999S"] {
        let request = request(server.addr, SEGMENT, &[("grpc-timeout", timeout)]);
        let body = framed(0, None, &segment("好"));
        let answer = call(&mut client, request, Some(body), true).await;
        assert_eq!(
            answer.grpc,
            Some(Code::InvalidArgument),
            "{timeout}: {answer:?}"
        );
        assert!(answer.message.contains("grpc-timeout"), "{answer:?}");
    }
    let page = server
        .metrics
        .encode(textanalysis::metrics::Format::Classic);
    assert!(
        page.contains(r#"code="Http415",protocol="grpc"} 3"#),
        "{page}"
    );
    served(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_that_never_ends_gets_deadline_exceeded_at_its_deadline() {
    let server = TestServer::with_options(Settings {
        limits: Limits {
            default_timeout: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let mut client = connect(server.addr).await;
    for headers in [&[][..], &[("grpc-timeout", "500m")][..]] {
        let started = Instant::now();
        // A complete message, but the stream is never ended.
        let body = framed(0, None, &segment("我来到北京清华大学"));
        let answer = call(
            &mut client,
            request(server.addr, SEGMENT, headers),
            Some(body),
            false,
        )
        .await;
        assert_eq!(
            answer.grpc,
            Some(Code::DeadlineExceeded),
            "{headers:?}: {answer:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    served(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_before_its_documents_are_decoded() {
    let server = TestServer::start().await;
    let mut client = connect(server.addr).await;
    // A million empty documents: 2 MB that would decode into a million structs.
    let batch = AnalyzeBatchRequest {
        documents: vec![AnalyzeRequest::default(); 1_000_000],
    };
    let started = Instant::now();
    let answer = call(
        &mut client,
        request(
            server.addr,
            "/textanalysis.v1.TextAnalysis/AnalyzeBatch",
            &[],
        ),
        Some(framed(0, None, &batch.encode_to_vec())),
        true,
    )
    .await;
    assert_eq!(answer.grpc, Some(Code::InvalidArgument), "{answer:?}");
    assert!(answer.message.contains("documents"), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    served(&server).await;
    server.shutdown().await;
}

fn short_limits() -> ConnectionLimits {
    ConnectionLimits {
        handshake_timeout: Duration::from_millis(500),
        idle_timeout: Some(Duration::from_secs(1)),
        stall_timeout: Duration::from_secs(1),
        max_pending_answer_bytes: 1 << 20,
    }
}

#[tokio::test]
async fn connections_without_a_preface_and_idle_ones_are_closed() {
    let server = TestServer::with_options(Settings {
        connections: short_limits(),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let mut silent: Vec<_> = Vec::new();
    for _ in 0..50 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    for stream in &mut silent {
        // The server's SETTINGS, then the close.
        closed_by_server("a silent connection", stream).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // An HTTP/2 connection with no call: closed after the idle timeout.
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (_client, connection) = h2::client::handshake(tcp).await.unwrap();
    let started = Instant::now();
    let _ = within_limit("an idle connection closed", connection).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    served(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_refused_more_calls_then_cut_off() {
    let server = TestServer::with_options(Settings {
        connections: short_limits(),
        ..Default::default()
    })
    .await;
    // A zero flow-control window: the client lets no answer byte through, but its h2
    // connection keeps answering pings.
    let mut builder = h2::client::Builder::new();
    builder.initial_window_size(0);
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (client, connection) = builder.handshake::<_, Bytes>(tcp).await.unwrap();
    let connection = tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let text = long_text(10);
    let mut pending = Vec::new();
    for _ in 0..20 {
        let (response, mut body) = client
            .send_request(request(server.addr, SEGMENT, &[]), false)
            .unwrap();
        let frame = framed(0, None, &segment(&text));
        body.reserve_capacity(frame.len());
        body.send_data(frame, true).unwrap();
        pending.push(response);
        client = client.ready().await.unwrap();
    }
    // Answers beyond the connection's bound are refused; their statuses need no window.
    let refused = resource_exhausted(pending, Duration::from_millis(300)).await;
    assert!(refused > 0, "no call was refused");
    served(&server).await;
    // Nothing read for the stall timeout: the connection is closed, and what it held released.
    let _ = within_limit("the stalled connection closed", connection).await;
    budget_released(&server).await;
    served(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn bodies_past_the_memory_budget_are_refused_and_released() {
    let server = TestServer::with_options(Settings {
        memory_budget_bytes: 4 << 20,
        ..Default::default()
    })
    .await;
    let mut client = connect(server.addr).await;
    // Streams that each send 1 MB of a 4 MB message and never finish it.
    let mut responses = Vec::new();
    let mut streams = Vec::new();
    let chunk = Bytes::from(vec![b'a'; 1 << 20]);
    for _ in 0..12 {
        let (response, mut body) = client
            .send_request(request(server.addr, SEGMENT, &[]), false)
            .unwrap();
        let mut first = framed(0, Some(4 << 20), &[]).to_vec();
        first.extend_from_slice(&chunk);
        body.reserve_capacity(first.len());
        let _ = body.send_data(first.into(), false);
        responses.push(response);
        streams.push(body);
        client = client.ready().await.unwrap();
    }
    let exhausted = resource_exhausted(responses, Duration::from_millis(500)).await;
    assert!(exhausted > 0, "no stream was refused");
    drop(streams);
    drop(client);
    budget_released(&server).await;
    served(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_two_authorizations_are_refused() {
    let server = TestServer::with_options(Settings {
        auth: BearerTokens::load(None, Some("s3cret")).unwrap(),
        ..Default::default()
    })
    .await;
    let mut client = connect(server.addr).await;
    let body = || Some(framed(0, None, &segment("好")));
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} s3cret");
        let answer = call(
            &mut client,
            request(server.addr, SEGMENT, &[("authorization", &auth)]),
            body(),
            true,
        )
        .await;
        assert_eq!(answer.grpc, Some(Code::Ok), "{scheme}: {answer:?}");
    }
    let mut two = request(server.addr, SEGMENT, &[("authorization", "Bearer s3cret")]);
    two.headers_mut()
        .append("authorization", "Bearer other".parse().unwrap());
    let answer = call(&mut client, two, body(), true).await;
    assert_eq!(answer.grpc, Some(Code::Unauthenticated), "{answer:?}");
    server.shutdown().await;
}

/// The resident memory of process `pid`, in bytes.
pub(crate) fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// A server process with default settings, warmed up, and its idle RSS.
async fn idle_binary() -> (crate::binary::Running, u64) {
    idle_binary_with(&[]).await
}

/// A server process with `args`, warmed up, and its idle RSS.
pub(crate) async fn idle_binary_with(args: &[&str]) -> (crate::binary::Running, u64) {
    let running = crate::binary::Running::start(args, &[]);
    for _ in 0..3 {
        let mut client = connect(running.addr).await;
        let body = framed(0, None, &segment(&long_text(10)));
        call(
            &mut client,
            request(running.addr, SEGMENT, &[]),
            Some(body),
            true,
        )
        .await;
    }
    let idle = rss(running.child.id());
    (running, idle)
}

/// Samples `pid`'s RSS every 50 ms while `attack` runs and for `settle` after; the peak.
pub(crate) async fn peak_rss(
    pid: u32,
    settle: Duration,
    attack: impl std::future::Future<Output = ()>,
) -> u64 {
    let peak = std::sync::atomic::AtomicU64::new(rss(pid));
    let sample = async {
        loop {
            peak.fetch_max(rss(pid), std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let attack = async {
        attack.await;
        tokio::time::sleep(settle).await;
    };
    tokio::select! {
        () = sample => {}
        () = within_limit("the attack", attack) => {}
    }
    peak.load(std::sync::atomic::Ordering::Relaxed)
}

/// The default memory budget, and what the process may grow by over its idle size under it:
/// the budget and a half (the allocator's pages not yet returned, tonic's buffers around
/// what is counted), plus 32 MB (threads' stacks and arenas). Four zero-window readers reached
/// +165 MB here while the rest of the suite ran (+114 to +141 MB alone).
const BUDGET: u64 = 96 << 20;
const BOUND: u64 = BUDGET + BUDGET / 2 + (32 << 20);

/// Asserts that the server's `peak` RSS grew by at most [`BOUND`] over `idle`, and that once the
/// attack is over its RSS comes back within 10 % of idle in 3 s; then stops it (exit code 0).
pub(crate) async fn assert_bounded_and_released(
    row: &str,
    running: crate::binary::Running,
    idle: u64,
    peak: u64,
) {
    let pid = running.child.id();
    let growth = peak.saturating_sub(idle);
    let after = settled_rss(pid, idle, Duration::from_secs(3)).await;
    eprintln!(
        "{row}: idle RSS {} MB, peak {} MB (+{} MB, bound +{} MB), {} MB once over",
        idle >> 20,
        peak >> 20,
        growth >> 20,
        BOUND >> 20,
        after >> 20
    );
    assert!(
        growth <= BOUND,
        "{row}: RSS grew by {} MB, over the budget's bound of {} MB",
        growth >> 20,
        BOUND >> 20
    );
    assert!(
        after <= idle + idle / 10,
        "{row}: {} MB 3 s after the attack, idle {} MB",
        after >> 20,
        idle >> 20
    );
    running.signal("TERM");
    assert_eq!(running.wait().0, 0, "{row}: the server's exit code");
}

/// A client's connections and what it holds of their calls, open until dropped: then their
/// sockets close at once (their calls are never finished, so h2 would keep them open).
struct Open<T>(Vec<(tokio::task::JoinHandle<()>, Vec<T>)>);

impl<T> Drop for Open<T> {
    fn drop(&mut self) {
        for (connection, _) in &self.0 {
            connection.abort();
        }
    }
}

/// An HTTP/2 connection to `addr` made by `builder`, its driving task, and a client ready.
async fn open_connection(
    addr: SocketAddr,
    builder: &h2::client::Builder,
) -> (tokio::task::JoinHandle<()>, SendRequest<Bytes>) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (client, connection) = builder.handshake(tcp).await.unwrap();
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    (connection, client.ready().await.unwrap())
}

/// Starts up to `calls` calls on `client`, each sent by `send`, as long as the server takes
/// them (5 s at most to make room for the next); what `send` keeps of each.
async fn calls_on<T>(
    addr: SocketAddr,
    mut client: SendRequest<Bytes>,
    calls: usize,
    send: impl Fn(h2::client::ResponseFuture, h2::SendStream<Bytes>) -> T,
) -> Vec<T> {
    let mut held = Vec::new();
    for _ in 0..calls {
        let Ok((response, body)) = client.send_request(request(addr, SEGMENT, &[]), false) else {
            break;
        };
        held.push(send(response, body));
        match tokio::time::timeout(Duration::from_secs(5), client.clone().ready()).await {
            Ok(Ok(ready)) => client = ready,
            _ => break,
        }
    }
    held
}

/// `connections` zero-window connections to `addr`, each with 100 calls of `text`: the client
/// lets no answer byte through.
async fn zero_window_readers(
    addr: SocketAddr,
    connections: usize,
    text: &str,
) -> Open<h2::client::ResponseFuture> {
    let mut builder = h2::client::Builder::new();
    builder.initial_window_size(0);
    let frame = framed(0, None, &segment(text));
    let mut open = Open(Vec::new());
    for _ in 0..connections {
        let (connection, client) = open_connection(addr, &builder).await;
        let held = calls_on(addr, client, 100, |response, mut body| {
            body.reserve_capacity(frame.len());
            let _ = body.send_data(frame.clone(), true);
            response
        })
        .await;
        open.0.push((connection, held));
    }
    open
}

/// `connections` connections to `addr`, each with up to `calls` calls that declare a message of
/// `declared` bytes and send `sent` of them, never the rest.
async fn stalled_bodies(
    addr: SocketAddr,
    connections: usize,
    calls: usize,
    declared: u32,
    sent: usize,
) -> Open<(h2::client::ResponseFuture, h2::SendStream<Bytes>)> {
    let builder = h2::client::Builder::new();
    let part = Bytes::from(vec![b'a'; sent]);
    let mut open = Open(Vec::new());
    for _ in 0..connections {
        let (connection, client) = open_connection(addr, &builder).await;
        let held = calls_on(addr, client, calls, |response, mut body| {
            let _ = body.send_data(framed(0, Some(declared), &[]), false);
            body.reserve_capacity(part.len());
            let _ = body.send_data(part.clone(), false);
            (response, body)
        })
        .await;
        open.0.push((connection, held));
    }
    open
}

/// `n` calls at once, each made by `call` on a client of its own to `addr`; their status codes.
async fn at_once<F, Fut>(n: usize, addr: SocketAddr, call: F) -> Vec<Code>
where
    F: Fn(TextAnalysisClient<tonic::transport::Channel>) -> Fut,
    Fut: std::future::Future<Output = Result<(), tonic::Status>>,
{
    let calls = (0..n).map(|_| async {
        let client = TextAnalysisClient::connect(format!("http://{addr}"))
            .await
            .unwrap()
            .max_decoding_message_size(usize::MAX);
        match call(client).await {
            Ok(()) => Code::Ok,
            Err(status) => status.code(),
        }
    });
    futures_util::future::join_all(calls).await
}

/// Asserts that at least one call was answered and every other refused for want of room.
fn some_answered_the_rest_refused(what: &str, outcomes: &[Code]) {
    eprintln!("{what}: {outcomes:?}");
    assert!(outcomes.contains(&Code::Ok), "{what}: {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|c| matches!(c, Code::Ok | Code::ResourceExhausted)),
        "{what}: {outcomes:?}"
    );
}

/// Waits (at most `within`) for `pid`'s RSS to come back within 10 % of `idle`; the RSS then.
async fn settled_rss(pid: u32, idle: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let now = rss(pid);
        if now <= idle + idle / 10 || Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Zero-window connections, 1, 2 and then 4 of them, each with 100 calls of 334K characters,
/// against the real binary with default settings: RSS stays within the budget's bound and
/// comes back to idle once the clients leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_budget_bounds_the_process_under_readers_that_never_read() {
    let text = long_text(35); // 334K characters, 957 KB
    for connections in [1, 2, 4] {
        let (running, idle) = idle_binary().await;
        let pid = running.child.id();
        let mut open = Open(Vec::new());
        let peak = peak_rss(pid, Duration::from_secs(3), async {
            open = zero_window_readers(running.addr, connections, &text).await;
        })
        .await;
        drop(open);
        let row = format!("{connections} zero-window connection(s)");
        assert_bounded_and_released(&row, running, idle, peak).await;
    }
}

/// 100 streams each sending all but the last byte of a 4 MiB message, against the real
/// binary with default settings: RSS stays within the budget's bound and comes back to idle
/// once the client leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_its_memory_bound_under_bodies_that_never_end() {
    let (running, idle) = idle_binary().await;
    let mut open = Open(Vec::new());
    let peak = peak_rss(running.child.id(), Duration::from_secs(3), async {
        open = stalled_bodies(running.addr, 1, 100, 4 << 20, (4 << 20) - 1).await;
    })
    .await;
    drop(open);
    assert_bounded_and_released("unfinished 4 MiB bodies", running, idle, peak).await;
}

/// 50 connections of 200 streams each, every one declaring a 16 KiB message and sending 1 KiB
/// of it: RSS stays within the budget's bound (h2's state for 10,000 streams included) and comes
/// back to idle once the client leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_its_memory_bound_under_many_small_stalled_streams() {
    let (running, idle) = idle_binary().await;
    let mut open = Open(Vec::new());
    let peak = peak_rss(running.child.id(), Duration::from_secs(3), async {
        open = stalled_bodies(running.addr, 50, 200, 16 << 10, 1 << 10).await;
    })
    .await;
    let streams: usize = open.0.iter().map(|(_, held)| held.len()).sum();
    eprintln!("small stalled streams: {streams} opened");
    assert!(streams > 5_000, "{streams}");
    drop(open);
    assert_bounded_and_released("10,000 small stalled streams", running, idle, peak).await;
}

/// Four concurrent `Segment` calls of nearly the longest text accepted (994K characters,
/// 2.8 MB), their answers read: each reserves its request and, while a worker
/// analyses it, its working set; those that do not fit are refused at once, and RSS stays within
/// the budget's bound and comes back to idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_its_memory_bound_under_the_largest_texts() {
    let (running, idle) = idle_binary().await;
    let addr = running.addr;
    let text = long_text(104);
    assert!(text.chars().count() > 990_000);
    let mut outcomes = Vec::new();
    let peak = peak_rss(running.child.id(), Duration::from_secs(1), async {
        outcomes = at_once(4, addr, |mut client| {
            let text = text.clone();
            async move {
                let answer = client
                    .segment(SegmentRequest {
                        text,
                        ..Default::default()
                    })
                    .await?;
                assert!(answer.into_inner().tokens.len() > 500_000);
                Ok(())
            }
        })
        .await;
    })
    .await;
    some_answered_the_rest_refused("4 concurrent texts of 994K characters", &outcomes);
    assert_bounded_and_released("4 concurrent texts of 994K characters", running, idle, peak).await;
}

#[tokio::test]
async fn the_metrics_port_closes_half_sent_requests_and_caps_its_connections() {
    let server = TestServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(textanalysis::metrics::serve(
        listener,
        server.metrics.clone(),
    ));
    let started = Instant::now();
    let mut half = Vec::new();
    for _ in 0..100 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::AsyncWriteExt;
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: t")
            .await
            .unwrap();
        half.push(stream);
    }
    for stream in &mut half {
        closed_by_server("a half-sent request", stream).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let page = crate::common::http_get(addr, "/metrics").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    server.shutdown().await;
}

/// With descriptors exhausted, the accept loop pauses instead of spinning, and serving resumes
/// as soon as descriptors are free again.
#[test]
fn exhausted_descriptors_pause_the_accept_loop_and_serving_resumes() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new("prlimit")
        .args(["--nofile=64:64", "--", env!("CARGO_BIN_EXE_textanalysis")])
        .args([
            "--addr",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--workers",
            "1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs the server");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let serving = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("\"serving\""))
        .expect("the server starts");
    let log: serde_json::Value = serde_json::from_str(&serving).unwrap();
    let addr: SocketAddr = log["addr"].as_str().unwrap().parse().unwrap();
    let pid = child.id();
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    };
    // More idle connections than the server has descriptors.
    let held: Vec<_> = (0..100)
        .filter_map(|_| std::net::TcpStream::connect(addr).ok())
        .collect();
    let before = cpu();
    std::thread::sleep(Duration::from_secs(2));
    let ticks = cpu() - before;
    eprintln!("accept loop with descriptors exhausted: {ticks} clock ticks of CPU in 2 s");
    // Clock ticks are 10 ms: a spinning loop would use about 200 in two seconds.
    assert!(ticks < 50, "the accept loop used {ticks} ticks in 2 s");
    drop(held);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        within_limit("serving again", async {
            loop {
                let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
                    .unwrap()
                    .connect()
                    .await;
                if let Ok(channel) = channel
                    && crate::common::segment_words(channel, "北京").await == ["北京"]
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
    });
    let _ = child.kill();
    let _ = child.wait();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let warnings = rest.iter().filter(|l| l.contains("accept failed")).count();
    // At most one warning a second, and at least one: the accepts did fail.
    assert!(
        (1..=5).contains(&warnings),
        "{warnings} warnings:\n{}",
        rest.join("\n")
    );
}

/// Eight concurrent 4 MB batches, and a batch of a million empty documents, against the real
/// binary with default settings: RSS stays within the budget's bound and comes back to idle,
/// batches past the budget are refused at once, and the rest are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_its_memory_bound_under_large_batches() {
    let (running, idle) = idle_binary().await;
    let addr = running.addr;
    let seed = long_text(1);
    let text: String = seed.chars().take(1300).collect();
    let batch = AnalyzeBatchRequest {
        documents: (0..1000)
            .map(|i| AnalyzeRequest {
                id: i.to_string(),
                text: text.clone(),
                ..Default::default()
            })
            .collect(),
    };
    assert!(batch.encoded_len() < 4 << 20);
    let mut outcomes = Vec::new();
    let peak = peak_rss(running.child.id(), Duration::from_secs(1), async {
        outcomes = at_once(8, addr, |mut client| {
            let batch = batch.clone();
            async move {
                let answer = client.analyze_batch(batch).await?;
                assert_eq!(answer.into_inner().results.len(), 1000);
                Ok(())
            }
        })
        .await;
        let mut client = connect(addr).await;
        let empty = AnalyzeBatchRequest {
            documents: vec![AnalyzeRequest::default(); 1_000_000],
        };
        let answer = call(
            &mut client,
            request(addr, "/textanalysis.v1.TextAnalysis/AnalyzeBatch", &[]),
            Some(framed(0, None, &empty.encode_to_vec())),
            true,
        )
        .await;
        assert_eq!(answer.grpc, Some(Code::InvalidArgument), "{answer:?}");
    })
    .await;
    some_answered_the_rest_refused("8 concurrent 4 MB batches", &outcomes);
    assert_bounded_and_released(
        "8 concurrent 4 MB batches, then a million empty documents",
        running,
        idle,
        peak,
    )
    .await;
}

/// 600 connections to the metrics port, idle or with half-sent headers, renewed as fast as the
/// server closes them, never lock out a scraper: a scrape every second for 30 s is answered
/// every time.
#[tokio::test]
async fn a_scraper_is_never_locked_out_of_the_metrics_port() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(textanalysis::metrics::serve(
        listener,
        server.metrics.clone(),
    ));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // The attacker: 600 connections at a time, half idle and half with half-sent headers,
    // each renewed once the server has closed it.
    let mut attackers = Vec::new();
    for n in 0..600 {
        let (stop, opened) = (std::sync::Arc::clone(&stop), std::sync::Arc::clone(&opened));
        attackers.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n % 2 == 0 {
                    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: t").await;
                }
                // Held until the server closes it (or the test ends).
                let mut buf = [0u8; 64];
                let _ = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
            }
        }));
    }
    // Wait until the attack is in full swing: well over the port's 32 connections opened.
    crate::common::within_limit("600 connections opened", async {
        while opened.load(std::sync::atomic::Ordering::Relaxed) < 600 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    // Each scrape within Prometheus's default scrape timeout (10 s), so the target stays up.
    let (mut answered, mut slowest) = (0, Duration::ZERO);
    for _ in 0..30 {
        let started = Instant::now();
        let scrape = tokio::time::timeout(
            Duration::from_secs(10),
            crate::common::http_get(addr, "/metrics"),
        )
        .await
        .expect("a scrape within Prometheus's default timeout");
        assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape:.200}");
        answered += 1;
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    eprintln!("30 scrapes under attack, the slowest in {slowest:?}");
    assert_eq!(answered, 30);
    assert!(
        opened.load(std::sync::atomic::Ordering::Relaxed) > 600,
        "the attack renewed its connections"
    );
    for attacker in attackers {
        attacker.abort();
    }
    server.shutdown().await;
}
