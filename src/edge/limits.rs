//! [`Limits`]: what one request may ask of the server (its text's length, its time), and the
//! deadline a call gets from them and from the client's `grpc-timeout`.

use std::time::{Duration, Instant};

use tonic::metadata::MetadataMap;

use crate::core::Deadline;

/// The most documents in one `AnalyzeBatch` call.
pub const MAX_BATCH: usize = 1000;

/// Limits on what one request may ask of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest text accepted, in Unicode code points.
    pub max_text_chars: usize,
    /// The longest a call may take when the client sets no shorter deadline (`grpc-timeout`);
    /// `None` for no limit.
    pub default_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text_chars: 1_000_000,
            default_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// How much earlier than the client's deadline the server gives up, so that its
/// DEADLINE_EXCEEDED reaches the client before the transport's own timer cancels the call.
const DEADLINE_MARGIN: Duration = Duration::from_millis(2);

impl Limits {
    /// The deadline of a call that arrived at `arrived` with `metadata`: the client's
    /// `grpc-timeout` (less a small margin) or the server's default timeout, whichever is
    /// sooner.
    pub fn deadline(&self, metadata: &MetadataMap, arrived: Instant) -> Deadline {
        client_deadline(metadata, arrived).earliest(self.default_deadline(arrived))
    }

    /// The deadline of a call that arrived at `arrived` with the client's `timeout` (from
    /// `grpc-timeout`; less a small margin) or the server's default, whichever is sooner.
    pub fn deadline_for(&self, timeout: Option<Duration>, arrived: Instant) -> Deadline {
        timeout
            .map_or(Deadline::NONE, |t| {
                Deadline::at(arrived + t.saturating_sub(DEADLINE_MARGIN))
            })
            .earliest(self.default_deadline(arrived))
    }

    /// The server's default deadline for work that starts at `start`.
    pub fn default_deadline(&self, start: Instant) -> Deadline {
        self.default_timeout
            .map_or(Deadline::NONE, |t| Deadline::at(start + t))
    }
}

/// The client's deadline (`grpc-timeout`, less a small margin) of a call that arrived at
/// `arrived`.
pub fn client_deadline(metadata: &MetadataMap, arrived: Instant) -> Deadline {
    metadata
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
        .map_or(Deadline::NONE, |t| {
            Deadline::at(arrived + t.saturating_sub(DEADLINE_MARGIN))
        })
}

/// Parses a `grpc-timeout` header value: at most 8 digits and a unit (`H`, `M`, `S`, `m`, `u`,
/// `n`), as the gRPC over HTTP/2 protocol defines it. The guard refuses a call whose value does
/// not parse (INVALID_ARGUMENT), so handlers only ever see well-formed ones.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}
