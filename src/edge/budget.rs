//! The server's memory budget: the bytes of requests being received and of answers made but not
//! yet written to their connections, across all connections. Calls past it are refused at once
//! (RESOURCE_EXHAUSTED) rather than queued, so no client behaviour can make a replica hold
//! memory without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A shared count of bytes held against a limit. Cloning shares it.
#[derive(Debug, Clone)]
pub struct MemoryBudget(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, none used.
    pub fn new(limit: usize) -> Self {
        Self(Arc::new(Inner {
            limit,
            used: AtomicUsize::new(0),
        }))
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.0.used.load(Ordering::Relaxed)
    }

    /// Whether the bytes held have reached the limit: new calls are refused.
    pub fn exhausted(&self) -> bool {
        self.used() >= self.0.limit
    }

    /// Counts `n` bytes that are held already (received, or made), even past the limit.
    pub fn hold(&self, n: usize) {
        self.0.used.fetch_add(n, Ordering::Relaxed);
    }

    /// Stops counting `n` bytes.
    pub fn release(&self, n: usize) {
        let _ = self
            .0
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }

    /// Reserves `n` bytes if they fit under the limit; they are released when the reservation
    /// is dropped.
    pub fn try_reserve(&self, n: usize) -> Option<Reservation> {
        self.0
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                u.checked_add(n).filter(|&t| t <= self.0.limit)
            })
            .ok()
            .map(|_| Reservation {
                budget: self.clone(),
                bytes: n,
            })
    }
}

/// Bytes reserved from a [`MemoryBudget`] until dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: MemoryBudget,
    bytes: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_fit_under_the_limit_and_are_released() {
        let budget = MemoryBudget::new(100);
        let a = budget.try_reserve(60).unwrap();
        assert!(budget.try_reserve(50).is_none());
        budget.hold(30);
        assert_eq!(budget.used(), 90);
        assert!(!budget.exhausted());
        budget.hold(20);
        assert!(budget.exhausted());
        drop(a);
        budget.release(1000);
        assert_eq!(budget.used(), 0);
    }
}
