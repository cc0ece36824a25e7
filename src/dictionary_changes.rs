//! Changes to what the server serves (a reload of every file, words added or removed, files
//! changed on disk, profiles created and removed), applied off the reactor, logged and
//! counted: the one path that SIGHUP, the `Admin` service and the watch on the files all take.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::core::word_edits::WordEntry;
use crate::core::{Analyzer, ChangeError, LiveAnalyzer, ProfileChangeError, Profiles, SetChange};
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
    /// What kind of change it is.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::Reload => ChangeKind::Reload,
            Change::AddWords(_) => ChangeKind::AddWords,
            Change::RemoveWords(_) => ChangeKind::RemoveWords,
        }
    }
}

/// The kinds of change, as logs and metrics tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Every file read again, when asked (SIGHUP, `Admin/Reload`).
    Reload,
    /// Every file read again because the files changed on disk.
    Refresh,
    /// Words added.
    AddWords,
    /// Words removed.
    RemoveWords,
    /// A profile created (through `Admin`, or found in the dictionary directory).
    CreateProfile,
    /// A profile removed.
    RemoveProfile,
}

impl ChangeKind {
    /// Its name in logs and in the `change` label of the metrics.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Reload => "reload",
            ChangeKind::Refresh => "refresh",
            ChangeKind::AddWords => "add_words",
            ChangeKind::RemoveWords => "remove_words",
            ChangeKind::CreateProfile => "create_profile",
            ChangeKind::RemoveProfile => "remove_profile",
        }
    }

    /// Whether it reads every file, and so tells whether the files on disk load.
    fn reads_files(self) -> bool {
        matches!(self, ChangeKind::Reload | ChangeKind::Refresh)
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

/// Applies `change` to `live`, the profile called `profile`, on a blocking thread (building an
/// analyzer takes a few hundred milliseconds), logs one line, counts it in `metrics`, and on
/// success describes the new analyzer there.
pub async fn apply(
    profile: &str,
    live: &Arc<LiveAnalyzer>,
    metrics: &Metrics,
    change: Change,
) -> Result<Changed, ChangeFailed> {
    let started = Instant::now();
    let kind = change.kind();
    let live = Arc::clone(live);
    let result = off_reactor(move || match change {
        Change::Reload => live.reload(),
        Change::AddWords(entries) => live.add_words(entries),
        Change::RemoveWords(words) => live.remove_words(words),
    })
    .await;
    finish(metrics, profile, kind, started, result)
}

/// Reloads every profile (SIGHUP), one after the other, each as [`apply`] does.
pub async fn reload_all(profiles: &Profiles, metrics: &Metrics) {
    for (profile, live) in profiles.all() {
        // The outcome is logged and counted by `apply`; the old analyzer serves on failure.
        let _ = apply(&profile, &live, metrics, Change::Reload).await;
    }
}

/// Reloads `live`, the profile called `profile`, if the files it reads changed on disk (a word
/// edit through another server sharing its directory, a file an operator replaced; see
/// [`LiveAnalyzer::refresh`]), logged and counted as `apply` does, as a
/// [`ChangeKind::Refresh`]. `Ok(None)`: nothing changed.
pub async fn refresh(
    profile: &str,
    live: &Arc<LiveAnalyzer>,
    metrics: &Metrics,
) -> Result<Option<Changed>, ChangeFailed> {
    let started = Instant::now();
    let live = Arc::clone(live);
    let result = match off_reactor(move || live.refresh()).await {
        Ok(None) => return Ok(None),
        Ok(Some(analyzer)) => Ok(analyzer),
        Err(error) => Err(error),
    };
    finish(metrics, profile, ChangeKind::Refresh, started, result).map(Some)
}

/// Every `interval`, for as long as the task runs, serves the profiles that appeared in the
/// dictionary directory's `profiles/` and drops those that went ([`Profiles::sync`]), then
/// reloads every profile whose files changed (as [`refresh`] does): how a server follows a
/// dictionary directory that other servers or an operator change. One blocking task a tick
/// looks at every profile (a thousand profiles: a thousand looks at their files' metadata).
pub async fn follow(profiles: Arc<Profiles>, metrics: Arc<Metrics>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let all = Arc::clone(&profiles);
        let looked = tokio::task::spawn_blocking(move || {
            let set = all.sync();
            let refreshed: Vec<_> = all
                .all()
                .into_iter()
                .filter_map(|(profile, live)| {
                    let started = Instant::now();
                    match live.refresh() {
                        Ok(None) => None,
                        Ok(Some(analyzer)) => Some((profile, started, Ok(analyzer))),
                        Err(error) => Some((profile, started, Err(ChangeFailed::from(error)))),
                    }
                })
                .collect();
            (set, refreshed)
        })
        .await;
        let Ok((set, refreshed)) = looked else {
            tracing::error!("looking at the dictionary directory panicked");
            continue;
        };
        set_changed(&metrics, set);
        for (profile, started, result) in refreshed {
            // Logged and counted; the old analyzer serves on failure.
            let _ = finish(&metrics, &profile, ChangeKind::Refresh, started, result);
        }
    }
}

/// Logs and counts what [`Profiles::sync`] changed.
fn set_changed(metrics: &Metrics, set: SetChange) {
    for (profile, live) in set.added {
        let analyzer = live.current();
        tracing::info!(
            profile = &*profile,
            content_version = analyzer.identity().content_version,
            "dictionary profile appeared in the dictionary directory; serving it"
        );
        metrics.record_change(&profile, ChangeKind::CreateProfile.name(), true);
        metrics.describe(&profile, &analyzer);
    }
    for profile in set.removed {
        tracing::info!(
            profile = &*profile,
            "dictionary profile left the dictionary directory; no longer serving it"
        );
        metrics.forget(&profile);
    }
    for (profile, error) in set.failed {
        tracing::warn!(profile, %error, "dictionary profile in the dictionary directory not served");
    }
}

/// Creates the profile `profile` from `words` ([`Profiles::create`]) off the reactor, logged
/// and counted.
pub async fn create_profile(
    profiles: &Arc<Profiles>,
    metrics: &Metrics,
    profile: String,
    words: Vec<WordEntry>,
) -> Result<Changed, ProfileFailed> {
    let started = Instant::now();
    let all = Arc::clone(profiles);
    let name = profile.clone();
    let result = profiles_off_reactor(move || all.create(&name, &words)).await;
    let build_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let kind = ChangeKind::CreateProfile.name();
    match result {
        Ok(live) => {
            let analyzer = live.current();
            tracing::info!(
                profile,
                change = kind,
                content_version = analyzer.identity().content_version,
                build_ms,
                "dictionary profile created"
            );
            metrics.record_change(&profile, kind, true);
            metrics.describe(&profile, &analyzer);
            Ok(Changed { analyzer, build_ms })
        }
        Err(error) => {
            tracing::warn!(profile, change = kind, %error, "dictionary profile not created");
            Err(error)
        }
    }
}

/// Removes the profile `profile` ([`Profiles::remove`]) off the reactor, logged and counted.
pub async fn remove_profile(
    profiles: &Arc<Profiles>,
    metrics: &Metrics,
    profile: String,
) -> Result<(), ProfileFailed> {
    let all = Arc::clone(profiles);
    let name = profile.clone();
    let result = profiles_off_reactor(move || all.remove(&name)).await;
    let kind = ChangeKind::RemoveProfile.name();
    match &result {
        Ok(()) => {
            tracing::info!(profile, change = kind, "dictionary profile removed");
            metrics.forget(&profile);
        }
        Err(error) => {
            tracing::warn!(profile, change = kind, %error, "dictionary profile not removed");
        }
    }
    result
}

/// Runs `work` (a change of the set of profiles) on a blocking thread; a panic there is a
/// [`ProfileFailed::Panicked`].
async fn profiles_off_reactor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ProfileChangeError> + Send + 'static,
) -> Result<T, ProfileFailed> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ProfileFailed::Panicked(e.to_string()))
        .and_then(|r| r.map_err(ProfileFailed::Refused))
}

/// Why a profile was not created or removed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileFailed {
    /// Refused (a bad name or word, one of that name already, too many, files that do not
    /// load, no dictionary directory).
    #[error(transparent)]
    Refused(ProfileChangeError),
    /// The thread doing it panicked: a server bug.
    #[error("changing the profiles failed: {0}")]
    Panicked(String),
}

/// Runs `work` on a blocking thread; a panic there is a [`ChangeFailed::Panicked`].
async fn off_reactor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ChangeError> + Send + 'static,
) -> Result<T, ChangeFailed> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ChangeFailed::Panicked(e.to_string()))
        .and_then(|r| r.map_err(ChangeFailed::from))
}

/// Logs and counts a change's outcome, and describes the new analyzer in `metrics`. A reload
/// or refresh (which read every file) also tells whether the files on disk load.
fn finish(
    metrics: &Metrics,
    profile: &str,
    kind: ChangeKind,
    started: Instant,
    result: Result<Arc<Analyzer>, ChangeFailed>,
) -> Result<Changed, ChangeFailed> {
    let build_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let name = kind.name();
    metrics.record_change(profile, name, result.is_ok());
    if kind.reads_files() {
        metrics.set_files_failing(profile, result.is_err());
    }
    match result {
        Ok(analyzer) => {
            let identity = analyzer.identity();
            tracing::info!(
                profile,
                change = name,
                generation = identity.generation,
                content_version = identity.content_version,
                added_words = identity.added_words,
                removed_words = identity.removed_words,
                build_ms,
                "dictionary changed"
            );
            metrics.describe(profile, &analyzer);
            Ok(Changed { analyzer, build_ms })
        }
        Err(error) => {
            tracing::warn!(
                profile,
                change = name,
                %error,
                build_ms,
                "dictionary change refused; the analyzer serving before still serves"
            );
            Err(error)
        }
    }
}
