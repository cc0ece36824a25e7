//! The bounded pool that runs analysis off the async reactor.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::error::ApiError;
use crate::core::Analyzer;

/// Runs CPU-bound analysis on tokio's blocking threads, at most `workers` at a time, so that a
/// long document never stalls the reactor (health checks, other calls) and the number of busy
/// threads stays bounded. Calls beyond the bound wait for a free worker.
#[derive(Debug, Clone)]
pub struct WorkPool {
    analyzer: Arc<Analyzer>,
    permits: Arc<Semaphore>,
    workers: usize,
}

impl WorkPool {
    /// A pool of `workers` (at least one) sharing `analyzer`.
    pub fn new(analyzer: Arc<Analyzer>, workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            analyzer,
            permits: Arc::new(Semaphore::new(workers)),
            workers,
        }
    }

    /// The shared analyzer, for cheap reads that need no worker.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The number of analyses that may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `work` with the analyzer on a blocking thread once a worker is free.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Analyzer) -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Draining)?;
        let analyzer = Arc::clone(&self.analyzer);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&analyzer)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
    }
}
