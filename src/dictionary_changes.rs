//! Changes to what the server serves (a reload of every file, words added or removed), applied
//! to the live analyzer off the reactor, logged and counted: the one path that SIGHUP and the
//! `Admin` service both take.

use std::sync::Arc;
use std::time::Instant;

use crate::core::word_edits::WordEntry;
use crate::core::{Analyzer, ChangeError, LiveAnalyzer};
use crate::metrics::Metrics;

/// A change to make.
#[derive(Debug)]
pub enum Change {
    /// Read every file (and the models directory) again.
    Reload,
    /// Add (or re-add) these words.
    AddWords(Vec<WordEntry>),
    /// Remove these words.
    RemoveWords(Vec<String>),
}

impl Change {
    /// The change's name in logs and in the `change` label of the metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Reload => "reload",
            Change::AddWords(_) => "add_words",
            Change::RemoveWords(_) => "remove_words",
        }
    }
}

/// A change that took effect: the analyzer now serving, and how long the change took.
#[derive(Debug)]
pub struct Changed {
    /// The analyzer swapped in.
    pub analyzer: Arc<Analyzer>,
    /// Milliseconds from the request to the swap.
    pub build_ms: u32,
}

/// Why a change did not take effect; the analyzer serving before it still serves.
#[derive(Debug, thiserror::Error)]
pub enum ChangeFailed {
    /// The change was refused (bad words, a file that does not load, no state directory).
    #[error(transparent)]
    Refused(#[from] ChangeError),
    /// The thread building the new analyzer panicked: a server bug.
    #[error("building the new analyzer failed: {0}")]
    Panicked(String),
}

/// Applies `change` to `live` on a blocking thread (building an analyzer takes a few hundred
/// milliseconds), logs one line, counts it in `metrics`, and on success describes the new
/// analyzer there.
pub async fn apply(
    live: &Arc<LiveAnalyzer>,
    metrics: &Metrics,
    change: Change,
) -> Result<Changed, ChangeFailed> {
    let started = Instant::now();
    let name = change.name();
    let live = Arc::clone(live);
    let result = tokio::task::spawn_blocking(move || match change {
        Change::Reload => live.reload(),
        Change::AddWords(entries) => live.add_words(entries),
        Change::RemoveWords(words) => live.remove_words(words),
    })
    .await
    .map_err(|e| ChangeFailed::Panicked(e.to_string()))
    .and_then(|r| r.map_err(ChangeFailed::from));
    let build_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    metrics.record_change(name, result.is_ok());
    match result {
        Ok(analyzer) => {
            let identity = analyzer.identity();
            tracing::info!(
                change = name,
                generation = identity.generation,
                added_words = identity.added_words,
                removed_words = identity.removed_words,
                build_ms,
                "dictionary changed"
            );
            metrics.describe(&analyzer);
            Ok(Changed { analyzer, build_ms })
        }
        Err(error) => {
            tracing::warn!(
                change = name,
                %error,
                build_ms,
                "dictionary change refused; the analyzer serving before still serves"
            );
            Err(error)
        }
    }
}
