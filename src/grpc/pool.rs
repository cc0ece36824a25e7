//! The bounded pool that runs analysis off the async reactor.

use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::core::Deadline;
use crate::edge::ApiError;
use crate::metrics::Metrics;

/// Runs CPU-bound analysis on tokio's blocking threads, at most `workers` at a time, so that a
/// long document never stalls the reactor (health checks, other calls) and the number of busy
/// threads stays bounded. Up to `max_queued` more wait for a free worker; beyond that, work is
/// shed at once (RESOURCE_EXHAUSTED) rather than queued without bound.
///
/// Work on at most [`INLINE_MAX_CHARS`] characters runs on the calling task instead: it takes
/// microseconds, less than handing it to another thread and back would cost.
#[derive(Debug, Clone)]
pub struct WorkPool {
    permits: Arc<Semaphore>,
    workers: usize,
    max_queued: usize,
    queued: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

/// The most characters of text analysed on the calling task: on this much even the slowest
/// analysis is short, and a trip to a blocking thread and back costs more than the fastest
/// ones (BENCHMARKS.md, the load benchmark's short texts).
pub const INLINE_MAX_CHARS: usize = 256;

/// Takes a place in the queue back when dropped (also if the waiting call is cancelled).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl WorkPool {
    /// A pool of `workers` (at least one), with room for `max_queued` waiting jobs; work shed
    /// is counted in `metrics`.
    pub fn new(workers: usize, max_queued: usize, metrics: Arc<Metrics>) -> Self {
        let workers = workers.max(1);
        Self {
            metrics,
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            max_queued,
            queued: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The number of analyses that may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `work`, which reads `chars` characters of text, with `analyzers` (an analyzer, or
    /// every profile's, as the service hands them): on the calling task when that is small work, otherwise on a blocking
    /// thread once a worker is free. Work is not started once `deadline` has passed, nor waits
    /// for a worker beyond it; work under way checks it itself (see [`Deadline`]).
    pub(crate) async fn run_on<A, T, F>(
        &self,
        analyzers: A,
        chars: usize,
        deadline: Deadline,
        work: F,
    ) -> Result<T, ApiError>
    where
        A: Send + 'static,
        T: Send + 'static,
        F: FnOnce(&A) -> Result<T, ApiError> + Send + 'static,
    {
        if deadline.passed() {
            return Err(ApiError::DeadlineExceeded);
        }
        if chars <= INLINE_MAX_CHARS {
            return work(&analyzers);
        }
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.queued.fetch_add(1, Ordering::SeqCst) >= self.max_queued {
                    self.queued.fetch_sub(1, Ordering::SeqCst);
                    self.metrics.record_shed();
                    return Err(ApiError::Overloaded);
                }
                let _place = Queued(&self.queued);
                let acquire = Arc::clone(&self.permits).acquire_owned();
                let acquired = match deadline.instant() {
                    Some(at) => tokio::time::timeout_at(at.into(), acquire)
                        .await
                        .map_err(|_| ApiError::DeadlineExceeded)?,
                    None => acquire.await,
                };
                // The semaphore is never closed, so this cannot fail.
                acquired.map_err(|e| ApiError::Internal(e.to_string()))?
            }
        };
        if deadline.passed() {
            return Err(ApiError::DeadlineExceeded);
        }
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&analyzers)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
    }
}
