//! [`Deadline`]: when an analysis must give up.

use std::time::Instant;

/// When an analysis must give up: checked before it starts and between the pieces of a long
/// text (see [`PIECE_BYTES`]), so a caller that stopped waiting does not keep a worker busy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline: the analysis always finishes.
    pub const NONE: Self = Self(None);

    /// Give up once `instant` has passed.
    pub fn at(instant: Instant) -> Self {
        Self(Some(instant))
    }

    /// The instant, if there is a deadline.
    pub fn instant(&self) -> Option<Instant> {
        self.0
    }

    /// The sooner of two deadlines.
    pub fn earliest(self, other: Self) -> Self {
        match (self.0, other.0) {
            (Some(a), Some(b)) => Self(Some(a.min(b))),
            (a, b) => Self(a.or(b)),
        }
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        self.0.is_some_and(|d| Instant::now() >= d)
    }

    pub(crate) fn check(&self) -> Result<(), DeadlineExceeded> {
        if self.passed() {
            Err(DeadlineExceeded)
        } else {
            Ok(())
        }
    }
}

/// The deadline passed before the analysis finished; its partial work was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the deadline passed before the analysis finished")]
pub struct DeadlineExceeded;
