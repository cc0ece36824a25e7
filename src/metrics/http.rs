//! The metrics port: `GET /metrics` over HTTP/1.1, bounded in connections and time, in the
//! format the scraper's `Accept` header asks for.
//!
//! A handful of connections that never send a request must not lock a scraper out. At most
//! [`MAX_SCRAPE_CONNECTIONS`] are open at once; when a new one arrives and the port is full,
//! the oldest connection that has not sent a request yet is closed to make room (a scraper
//! sends its request as soon as it connects, so it is never the oldest such one for long). Only
//! when every open connection has sent a request is the new one refused.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ACCEPT, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::AbortHandle;

use super::{Format, Metrics};

/// The most connections the metrics port holds open at once.
const MAX_SCRAPE_CONNECTIONS: usize = 32;
/// A scraper must send a request's headers within this long.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A metrics connection is closed after this long, however busy.
const MAX_SCRAPE_CONNECTION_AGE: Duration = Duration::from_secs(300);

/// One open connection.
#[derive(Debug, Default)]
struct Slot {
    /// Whether it has sent a whole request.
    served: bool,
    /// Closes it (set just after its task starts).
    close: Option<AbortHandle>,
}

/// The open connections by accept order (their ids), oldest first.
#[derive(Debug, Default)]
struct Slots(BTreeMap<u64, Slot>);

impl Slots {
    /// Makes room for connection `id`: `Some` with the connection to close (if one must be), or
    /// `None` when every open connection is serving and the new one must be refused.
    fn admit(&mut self, id: u64) -> Option<Option<AbortHandle>> {
        let mut evicted = None;
        if self.0.len() >= MAX_SCRAPE_CONNECTIONS {
            let oldest = self
                .0
                .iter()
                .find(|(_, slot)| !slot.served)
                .map(|(&id, _)| id)?;
            evicted = self.0.remove(&oldest).and_then(|s| s.close);
        }
        self.0.insert(id, Slot::default());
        Some(evicted)
    }
}

/// Removes its connection's slot when the connection's task ends (or is aborted).
struct Leave {
    slots: Arc<Mutex<Slots>>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        lock(&self.slots).0.remove(&self.id);
    }
}

fn lock(slots: &Mutex<Slots>) -> std::sync::MutexGuard<'_, Slots> {
    slots.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves `GET /metrics` on `listener` until the process ends, holding at most
/// [`MAX_SCRAPE_CONNECTIONS`] connections (making room as the module documentation says); each
/// must send its headers within [`HEADER_READ_TIMEOUT`], and none lives longer than
/// [`MAX_SCRAPE_CONNECTION_AGE`].
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let slots = Arc::new(Mutex::new(Slots::default()));
    let mut next_id = 0u64;
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
        let id = next_id;
        next_id += 1;
        let admitted = lock(&slots).admit(id);
        let Some(evicted) = admitted else {
            drop(stream);
            continue;
        };
        if let Some(close) = evicted {
            close.abort();
        }
        let (metrics, leave) = (
            Arc::clone(&metrics),
            Leave {
                slots: Arc::clone(&slots),
                id,
            },
        );
        let task = tokio::spawn(async move {
            let leave = leave;
            let served = Arc::clone(&leave.slots);
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                if let Some(slot) = lock(&served).0.get_mut(&id) {
                    slot.served = true;
                }
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
            drop(leave);
        });
        if let Some(slot) = lock(&slots).0.get_mut(&id) {
            slot.close = Some(task.abort_handle());
        }
        // Let the new connection read the request it may already hold before more are
        // accepted: a flood of connections must not push a scraper out before it is heard.
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_connection_without_a_request_makes_room() {
        let mut slots = Slots::default();
        for id in 0..MAX_SCRAPE_CONNECTIONS as u64 {
            assert!(slots.admit(id).is_some());
        }
        slots.0.get_mut(&0).unwrap().served = true;
        assert!(slots.admit(100).is_some());
        assert!(
            slots.0.contains_key(&0),
            "a connection that has served stays"
        );
        assert!(
            !slots.0.contains_key(&1),
            "the oldest without a request goes"
        );
        assert_eq!(slots.0.len(), MAX_SCRAPE_CONNECTIONS);
        for slot in slots.0.values_mut() {
            slot.served = true;
        }
        assert!(
            slots.admit(101).is_none(),
            "every connection serving: refused"
        );
    }
}
