//! Calls in flight, for the drain and the `in_flight_calls` gauge. A TextAnalysis call is counted
//! as in flight from its arrival until hyper has taken its whole response body, so the drain
//! never closes a connection between a handler's return and its response being written.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::Notify;
use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::codegen::{Bytes, Service};

use super::BoxFuture;
use super::call::Call;
use crate::metrics::Metrics;

/// What the server is doing, shared between the tracking layer and whoever runs the server: the
/// number of calls in flight, also kept in the metrics' gauge.
#[derive(Debug, Clone)]
pub struct Activity(Arc<ActivityState>);

#[derive(Debug)]
struct ActivityState {
    in_flight: AtomicUsize,
    /// Woken when the last call in flight finishes.
    idle: Notify,
    /// Woken whenever a call arrives.
    entered: Notify,
    metrics: Arc<Metrics>,
}

impl Activity {
    /// No call in flight yet; calls are also counted in `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self(Arc::new(ActivityState {
            in_flight: AtomicUsize::new(0),
            idle: Notify::new(),
            entered: Notify::new(),
            metrics,
        }))
    }

    /// Calls accepted and not yet answered (queued for a worker or running).
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::SeqCst)
    }

    /// Completes when no call is in flight.
    pub async fn idle(&self) {
        loop {
            let notified = self.0.idle.notified();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Completes once at least `n` calls are in flight.
    pub async fn at_least(&self, n: usize) {
        loop {
            let entered = self.0.entered.notified();
            if self.in_flight() >= n {
                return;
            }
            entered.await;
        }
    }

    /// Counts a call as in flight until the returned guard is dropped.
    pub(crate) fn enter(&self) -> InFlight {
        self.0.metrics.call_entered();
        self.0.in_flight.fetch_add(1, Ordering::SeqCst);
        self.0.entered.notify_waiters();
        InFlight(self.clone())
    }
}

/// Keeps one call counted as in flight while it lives.
pub(crate) struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        let state = &self.0.0;
        state.metrics.call_left();
        if state.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            state.idle.notify_waiters();
        }
    }
}

/// A layer adding [`TrackCalls`].
#[derive(Debug, Clone)]
pub(crate) struct TrackCallsLayer(pub(crate) Activity);

impl<S> tower::Layer<S> for TrackCallsLayer {
    type Service = TrackCalls<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TrackCalls {
            inner,
            activity: self.0.clone(),
        }
    }
}

/// Wraps the router: TextAnalysis responses carry an in-flight guard in their body.
#[derive(Debug, Clone)]
pub(crate) struct TrackCalls<S> {
    inner: S,
    activity: Activity,
}

impl<S, B> Service<Request<B>> for TrackCalls<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let guard = Call::in_extensions(request.extensions())
            .holds_drain()
            .then(|| self.activity.enter());
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(match guard {
                Some(guard) => response.map(|inner| {
                    Body::new(Tracked {
                        inner,
                        _guard: guard,
                    })
                }),
                None => response,
            })
        })
    }
}

/// A response body that keeps its call counted until hyper drops it.
struct Tracked {
    inner: Body,
    _guard: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
