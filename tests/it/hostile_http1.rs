//! Hostile HTTP/1.1 clients of the JSON door, over raw TCP as an attacker writes them: a
//! slow-loris head, bodies that never end (declared or chunked), a 1 GB `Content-Length`, a
//! client that never reads, and 10,000 idle keep-alive connections. Each is bounded in time and
//! asserts its bound (status, connection closed, RSS of the real binary from `/proc`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use textanalysis::edge::Limits;
use textanalysis::edge::transport::ConnectionLimits;
use textanalysis::server::Settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{TestServer, long_text, within_limit};
use crate::hostile::{
    assert_bounded_and_released, closed_by_server, idle_binary_with, peak_rss, rss, served,
};

/// A request head for `path` with `headers` (each line without its CRLF).
fn head(path: &str, headers: &[&str]) -> String {
    let mut out = format!("POST {path} HTTP/1.1\r\nhost: textanalysis\r\n");
    for header in headers {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// A whole JSON request for `path`.
fn json_request(path: &str, body: &str) -> String {
    let mut out = head(
        path,
        &[
            "content-type: application/json",
            &format!("content-length: {}", body.len()),
        ],
    );
    out.push_str(body);
    out
}

/// Reads one answer's status line and headers, and as much of its body as its
/// `content-length` says; the status.
async fn read_answer(stream: &mut TcpStream) -> u16 {
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (head_end, status, length) = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed before an answer: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let status: u16 = text[9..12].parse().unwrap();
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            break (end + 4, status, length);
        }
    };
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        data.extend_from_slice(&buf[..n]);
    }
    status
}

fn limits() -> Settings {
    Settings {
        limits: Limits {
            default_timeout: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        connections: ConnectionLimits {
            handshake_timeout: Duration::from_millis(500),
            idle_timeout: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn slow_heads_unfinished_bodies_and_huge_declared_lengths_are_cut_short() {
    let server = TestServer::with_options(limits()).await;
    let addr = server.addr;

    // A slow-loris head: well past the HTTP/2 preface's length, then a header line every 100 ms.
    let started = Instant::now();
    let mut loris = TcpStream::connect(addr).await.unwrap();
    loris
        .write_all(b"POST /v1/segment HTTP/1.1\r\nhost: textanalysis\r\n")
        .await
        .unwrap();
    within_limit("the slow-loris head cut off", async {
        let mut buf = [0u8; 256];
        loop {
            tokio::select! {
                read = loris.read(&mut buf) => if matches!(read, Ok(0) | Err(_)) { break },
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    if loris.write_all(b"x-slow: 1\r\n").await.is_err() { break }
                }
            }
        }
    })
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "closed after {took:?}");

    // Bodies that never end, declared and chunked: 504 at the deadline, the connection closed.
    for headers in [
        &["content-type: application/json", "content-length: 1000"][..],
        &[
            "content-type: application/json",
            "transfer-encoding: chunked",
        ][..],
    ] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut request = head("/v1/segment", headers);
        request.push_str(if headers[1].starts_with("transfer") {
            "7\r\n{\"text\"\r\n"
        } else {
            "{\"text\""
        });
        stream.write_all(request.as_bytes()).await.unwrap();
        let status = within_limit(
            "an answer to a body that never ends",
            read_answer(&mut stream),
        )
        .await;
        assert_eq!(status, 504, "{headers:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        closed_by_server("a connection whose body never ended", &mut stream).await;
    }

    // A 1 GB Content-Length: refused from the head, before a byte of the body.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = head(
        "/v1/segment",
        &[
            "content-type: application/json",
            "content-length: 1000000000",
        ],
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let status = within_limit("a 1 GB declaration refused", read_answer(&mut stream)).await;
    assert_eq!(status, 413);
    crate::hostile::budget_released(&server).await;

    // Keep-alive connections that went quiet after a call: closed at the idle timeout.
    let mut quiet = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(json_request("/v1/segment", r#"{"text":"好"}"#).as_bytes())
            .await
            .unwrap();
        assert_eq!(read_answer(&mut stream).await, 200);
        quiet.push(stream);
    }
    for stream in &mut quiet {
        closed_by_server("an idle keep-alive connection", stream).await;
    }
    served(&server).await;
    server.shutdown().await;
}

/// Opens `n` keep-alive connections to `addr`, each answered one small call and then left
/// idle, `parallel` at a time.
async fn idle_keep_alive(addr: SocketAddr, n: usize, parallel: usize) -> Vec<TcpStream> {
    let request = json_request("/v1/segment", r#"{"text":"好"}"#);
    let mut open = Vec::with_capacity(n);
    for start in (0..n).step_by(parallel) {
        let batch = (start..n.min(start + parallel)).map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(request.as_bytes()).await.unwrap();
                assert_eq!(read_answer(&mut stream).await, 200);
                stream
            })
        });
        for stream in futures_util::future::join_all(batch).await {
            open.push(stream.unwrap());
        }
    }
    open
}

/// 10,000 keep-alive connections left idle after a call each, against the real binary with
/// default limits (but a 5 s idle timeout): RSS stays within the budget's bound, and the
/// server closes them all and comes back to idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_its_memory_bound_under_ten_thousand_idle_keep_alive_connections() {
    let (running, idle) = idle_binary_with(&["--idle-timeout-secs", "5"]).await;
    let addr = running.addr;
    // Opening them takes longer than the other attacks on a busy machine: sampled here, with
    // a deadline of its own.
    let pid = running.child.id();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss(pid)));
    let sampler = {
        let peak = std::sync::Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let mut open =
        tokio::time::timeout(Duration::from_secs(180), idle_keep_alive(addr, 10_000, 200))
            .await
            .expect("10,000 connections opened within 180 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
    sampler.abort();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    within_limit("10,000 idle connections closed by the server", async {
        for stream in &mut open {
            let mut buf = [0u8; 64];
            while let Ok(1..) = stream.read(&mut buf).await {}
        }
    })
    .await;
    drop(open);
    assert_bounded_and_released(
        "10,000 idle HTTP/1.1 keep-alive connections",
        running,
        idle,
        peak,
    )
    .await;
}

/// Clients that send JSON calls with large answers and never read them (4 connections, 3
/// pipelined calls of 334K characters each), against the real binary with default settings:
/// RSS stays within the budget's bound and comes back to idle once they leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_its_memory_bound_under_http1_clients_that_never_read() {
    let (running, idle) = idle_binary_with(&[]).await;
    let addr = running.addr;
    let body = serde_json::json!({"text": long_text(35)}).to_string();
    let request = json_request("/v1/segment", &body);
    let mut open = Held(Vec::new());
    let peak = peak_rss(running.child.id(), Duration::from_secs(3), async {
        for _ in 0..4 {
            let request = request.clone();
            open.0.push(tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                // Pipelined, and nothing read: the server answers the first and waits; the
                // later writes stall once the socket's buffers are full.
                for _ in 0..3 {
                    if stream.write_all(request.as_bytes()).await.is_err() {
                        break;
                    }
                }
                std::future::pending::<()>().await;
                drop(stream);
            }));
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    })
    .await;
    drop(open);
    assert_bounded_and_released("HTTP/1.1 clients that never read", running, idle, peak).await;
}

/// Client tasks holding their connections until dropped.
struct Held(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Held {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// A newline-delimited stream whose client writes documents without end and reads nothing,
/// against the real binary: the server stops reading once the answers it made are unread, so
/// the client's writes stall after a bounded amount, and RSS stays within the budget's bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_stream_that_is_never_read_stops_being_read() {
    let (running, idle) = idle_binary_with(&[]).await;
    let addr = running.addr;
    let line = format!(
        "{}\n",
        serde_json::json!({"text": long_text(1), "segment": {}})
    );
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let mut open = Held(Vec::new());
    let peak = peak_rss(running.child.id(), Duration::from_secs(1), async {
        let counter = std::sync::Arc::clone(&sent);
        open.0.push(tokio::spawn(async move {
            let request = head(
                "/v1/analyze:stream",
                &[
                    "content-type: application/x-ndjson",
                    "transfer-encoding: chunked",
                ],
            );
            writer.write_all(request.as_bytes()).await.unwrap();
            let chunk = format!("{:x}\r\n{line}\r\n", line.len());
            while writer.write_all(chunk.as_bytes()).await.is_ok() {
                counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
            }
        }));
        // Long enough for a client that is read from to send hundreds of megabytes.
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let written = sent.load(std::sync::atomic::Ordering::Relaxed);
    // Answers were made (and wait unread): the stream was served, then held back.
    let mut start = vec![0u8; 64 * 1024];
    let n = within_limit("the first answers", reader.read(&mut start))
        .await
        .unwrap();
    let start = String::from_utf8_lossy(&start[..n]);
    assert!(start.starts_with("HTTP/1.1 200"), "{start:.200}");
    assert!(start.contains("\"tokens\""), "{start:.400}");
    drop((open, reader));
    eprintln!(
        "a stream never read: the client could write {} MB",
        written >> 20
    );
    assert!(
        written < 64 << 20,
        "the server kept reading: {} MB",
        written >> 20
    );
    assert_bounded_and_released("a JSON stream never read", running, idle, peak).await;
}
