//! The bounded pool that runs analysis off the async reactor.

use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::core::Deadline;
use crate::edge::{ApiError, MemoryBudget};
use crate::metrics::Metrics;

/// Runs CPU-bound analysis on tokio's blocking threads, at most `workers` at a time, so that a
/// long document never stalls the reactor (health checks, other calls) and the number of busy
/// threads stays bounded. Up to `max_queued` more wait for a free worker; beyond that, work is
/// shed at once (RESOURCE_EXHAUSTED) rather than queued without bound.
///
/// With a memory budget ([`WorkPool::with_budget`]), work that starts reserves its working set
/// in it ([`WORKING_BYTES_PER_CHAR`]) until it ends, or is refused (RESOURCE_EXHAUSTED) when
/// other calls hold too much: what the budget bounds includes the analyses under way.
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
    budget: Option<MemoryBudget>,
}

/// How much text a piece of work reads: in all (whether it is worth a thread), and at most at
/// once (what its working set grows with: a batch's share analyses its documents one after
/// another, their answers counted with the batch's request).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkSize {
    chars: usize,
    at_once: usize,
}

impl WorkSize {
    /// One text of `chars` characters.
    pub(crate) fn text(chars: usize) -> Self {
        Self {
            chars,
            at_once: chars,
        }
    }

    /// Documents of these lengths in characters, analysed one after another.
    pub(crate) fn documents(lengths: impl IntoIterator<Item = usize>) -> Self {
        lengths.into_iter().fold(Self::text(0), |size, chars| Self {
            chars: size.chars + chars,
            at_once: size.at_once.max(chars),
        })
    }
}

/// Bytes of the memory budget an analysis reserves for each character of its text while it
/// runs: a Chinese character is three bytes of UTF-8, and a segmentation with tokens holds
/// about eleven bytes for each byte of text at its peak (the text normalized, the answer being
/// written with its room to spare, `wire::SegmentResponse::for_text`, and tonic's encoding of
/// it); the other analyses hold less.
pub(crate) const WORKING_BYTES_PER_CHAR: usize = 32;

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
            budget: None,
        }
    }

    /// The pool, its work reserving its working set in `budget` while it runs.
    #[must_use]
    pub fn with_budget(mut self, budget: MemoryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The number of analyses that may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `work`, which reads text of `size`, with `analyzers` (an analyzer, or
    /// every profile's, as the service hands them): on the calling task when that is small work, otherwise on a blocking
    /// thread once a worker is free. Work is not started once `deadline` has passed, nor waits
    /// for a worker beyond it; work under way checks it itself (see [`Deadline`]).
    pub(crate) async fn run_on<A, T, F>(
        &self,
        analyzers: A,
        size: WorkSize,
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
        if size.chars <= INLINE_MAX_CHARS {
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
        let reserved = match &self.budget {
            Some(budget) => {
                let chars = size.at_once;
                let room = chars.saturating_mul(WORKING_BYTES_PER_CHAR);
                Some(
                    budget
                        .try_reserve(room)
                        .ok_or(ApiError::NoRoomForWork { chars, room })?,
                )
            }
            None => None,
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _reserved = reserved;
            work(&analyzers)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(budget: &MemoryBudget) -> WorkPool {
        WorkPool::new(1, 1, Arc::new(Metrics::new())).with_budget(budget.clone())
    }

    #[tokio::test]
    async fn work_holds_its_working_set_in_the_budget_while_it_runs() {
        let budget = MemoryBudget::new(1 << 20);
        let chars = 1000;
        let seen = budget.clone();
        let during = pool(&budget)
            .run_on((), WorkSize::text(chars), Deadline::NONE, move |()| {
                Ok(seen.used())
            })
            .await
            .unwrap();
        assert_eq!(during, chars * WORKING_BYTES_PER_CHAR);
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test]
    async fn work_that_does_not_fit_the_budget_is_refused_and_small_work_needs_none() {
        let budget = MemoryBudget::new(1000 * WORKING_BYTES_PER_CHAR);
        let refused = pool(&budget)
            .run_on((), WorkSize::text(1001), Deadline::NONE, |()| Ok(()))
            .await
            .unwrap_err();
        assert!(matches!(
            refused,
            ApiError::NoRoomForWork { chars: 1001, room } if room == 1001 * WORKING_BYTES_PER_CHAR
        ));
        budget.hold(budget.limit());
        // Work done on the calling task is too short to need room.
        pool(&budget)
            .run_on((), WorkSize::text(INLINE_MAX_CHARS), Deadline::NONE, |()| {
                Ok(())
            })
            .await
            .unwrap();
        budget.release(budget.limit());
    }

    #[tokio::test]
    async fn a_share_of_documents_holds_the_working_set_of_its_longest() {
        let budget = MemoryBudget::new(1 << 20);
        let seen = budget.clone();
        let size = WorkSize::documents([300, 1000, 200]);
        let during = pool(&budget)
            .run_on((), size, Deadline::NONE, move |()| Ok(seen.used()))
            .await
            .unwrap();
        assert_eq!(during, 1000 * WORKING_BYTES_PER_CHAR);
    }
}
