//! The metrics port: `GET /metrics` over HTTP/1.1, bounded in connections and time, in the
//! format the scraper's `Accept` header asks for.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ACCEPT, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::{Format, Metrics};

/// The most connections the metrics port serves at once; more are closed at once.
const MAX_SCRAPE_CONNECTIONS: usize = 32;
/// A scraper must send a request's headers within this long.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A metrics connection is closed after this long, however busy.
const MAX_SCRAPE_CONNECTION_AGE: Duration = Duration::from_secs(300);

/// Serves `GET /metrics` on `listener` until the process ends. At most
/// [`MAX_SCRAPE_CONNECTIONS`] connections are served at once, each must send its headers
/// within [`HEADER_READ_TIMEOUT`], and none lives longer than [`MAX_SCRAPE_CONNECTION_AGE`].
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPE_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                metrics.accept_failed();
                tracing::debug!(%error, "metrics: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let _slot = slot;
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let response =
                    if request.method() == Method::GET && request.uri().path() == "/metrics" {
                        let accept = request.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
                        let format = Format::negotiate(accept);
                        Response::builder()
                            .header(CONTENT_TYPE, format.content_type())
                            .body(Full::new(Bytes::from(metrics.encode(format))))
                    } else {
                        Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Full::new(Bytes::from_static(b"metrics are at /metrics\n")))
                    };
                std::future::ready(Ok::<_, Infallible>(response.unwrap_or_default()))
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(MAX_SCRAPE_CONNECTION_AGE, connection).await;
        });
    }
}
