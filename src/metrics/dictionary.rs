//! What each dictionary profile serves (files, word edits, generation, content version), the
//! models, and the changes made to them: every series here carries the `profile` label
//! (`default` for the unnamed profile), except the models, which all profiles share.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::core::{Analyzer, DEFAULT_PROFILE, DictionaryIdentity, profile_bytes, profiles_version};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    name: String,
    labels: String,
    content_hash: String,
    default: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProfileLabels {
    profile: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileLabels {
    profile: String,
    kind: String,
    path: String,
    content_hash: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServingLabels {
    profile: String,
    version: &'static str,
    content_version: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProfilesLabels {
    profiles_version: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EditLabels {
    profile: String,
    edit: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChangeLabels {
    profile: String,
    change: &'static str,
    result: &'static str,
}

fn gauge_value(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// The dictionary and model metrics (see the module documentation).
#[derive(Debug)]
pub(super) struct DictionaryMetrics {
    /// Each profile's dictionary as last described: the series are written again from these
    /// whenever one changes, so a profile's old files leave with it.
    described: Mutex<BTreeMap<String, DictionaryIdentity>>,
    models: Family<ModelLabels, Gauge>,
    generation: Family<ProfileLabels, Gauge>,
    files: Family<FileLabels, Gauge>,
    word_edits: Family<EditLabels, Gauge>,
    changes: Family<ChangeLabels, Counter>,
    serving: Family<ServingLabels, Gauge>,
    files_failing: Family<ProfileLabels, Gauge>,
    /// How many profiles are described.
    profiles: Gauge,
    /// The version of the whole set of profiles described (value 1), and that version.
    profiles_info: Family<ProfilesLabels, Gauge>,
    /// What the named profiles are reckoned to hold (`core::profile_bytes`).
    profiles_bytes: Gauge,
    profiles_version: Mutex<Option<String>>,
    /// Whether only the default profile has series of its own.
    default_only: std::sync::atomic::AtomicBool,
}

/// The changes `record_change` is told of (`dictionary_changes::ChangeKind`'s names), whose
/// series go with a removed profile.
const CHANGES: [&str; 6] = [
    "reload",
    "refresh",
    "add_words",
    "remove_words",
    "create_profile",
    "remove_profile",
];

fn serving_labels(profile: &str, identity: &DictionaryIdentity) -> ServingLabels {
    ServingLabels {
        profile: profile.to_owned(),
        version: env!("CARGO_PKG_VERSION"),
        content_version: identity.content_version.clone(),
    }
}

fn file_labels(profile: &str, file: &crate::core::SourceFile) -> FileLabels {
    FileLabels {
        profile: profile.to_owned(),
        kind: format!("{:?}", file.kind),
        path: file.path.display().to_string(),
        content_hash: file.content_hash.clone(),
    }
}

impl DictionaryMetrics {
    /// The metrics, registered in `registry`.
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            described: Mutex::default(),
            models: Family::default(),
            generation: Family::default(),
            files: Family::default(),
            word_edits: Family::default(),
            changes: Family::default(),
            serving: Family::default(),
            files_failing: Family::default(),
            profiles: Gauge::default(),
            profiles_info: Family::default(),
            profiles_bytes: Gauge::default(),
            profiles_version: Mutex::default(),
            default_only: std::sync::atomic::AtomicBool::new(false),
        };
        registry.register(
            "dictionary_profiles",
            "The dictionary profiles served, the default one included",
            metrics.profiles.clone(),
        );
        registry.register(
            "dictionary_profiles_info",
            "The set of dictionary profiles served (value 1), by profiles_version: a digest of \
             every profile's name and content version, named profiles included when their own \
             series are left out. Replicas serving the same profiles with the same data show the \
             same profiles_version",
            metrics.profiles_info.clone(),
        );
        registry.register(
            "dictionary_profiles_reckoned_bytes",
            "The memory the named profiles hold by the server's reckoning (16 KiB a profile, 340 \
             bytes a word of its files or word edit, 64 a line of its IDF table or stop words), \
             which --max-profiles-memory-mb bounds",
            metrics.profiles_bytes.clone(),
        );
        registry.register(
            "model",
            "The classification models the server has loaded (value 1 each)",
            metrics.models.clone(),
        );
        registry.register(
            "dictionary_generation",
            "Counts the analyzers a profile swapped in since start-up (reloads and word edits); \
             1 at start",
            metrics.generation.clone(),
        );
        registry.register(
            "dictionary_file_entries",
            "The dictionary, IDF and stop-word files in use, by profile, kind, path and content \
             hash: their entries",
            metrics.files.clone(),
        );
        registry.register(
            "dictionary_word_edits",
            "Words added or removed at run time and in force, by profile",
            metrics.word_edits.clone(),
        );
        registry.register(
            "dictionary_changes",
            "Reloads, word edits and refreshes after files changed on disk, by profile, kind and \
             result (error: the old analyzer kept serving)",
            metrics.changes.clone(),
        );
        registry.register(
            "serving_info",
            "What this replica serves (value 1), by profile: its version and the content \
             version of the profile's dictionary, a digest of the dictionaries, word edits, IDF \
             table, stop words and models. Replicas serving the same data show the same \
             content_version",
            metrics.serving.clone(),
        );
        registry.register(
            "dictionary_files_failing",
            "1 while a profile's files on disk (dictionary directory, user dictionaries, word \
             edits) do not load: the last dictionary that did keeps serving; 0 otherwise",
            metrics.files_failing.clone(),
        );
        metrics
    }

    /// Describes what `analyzer` serves, as the profile called `profile` (and, for the
    /// default profile, the models): its series are written again, the others left as they are.
    pub(super) fn describe(&self, profile: &str, analyzer: &Analyzer) {
        if profile == DEFAULT_PROFILE {
            self.describe_models(analyzer);
        }
        let mut described = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let identity = analyzer.identity().clone();
        let old = described.insert(profile.to_owned(), identity.clone());
        self.profiles.set(gauge_value(described.len()));
        if !self.shows(profile) {
            return;
        }
        if let Some(old) = old {
            self.remove_described(profile, &old);
        }
        let by_profile = ProfileLabels {
            profile: profile.to_owned(),
        };
        self.serving
            .get_or_create(&serving_labels(profile, &identity))
            .set(1);
        self.generation
            .get_or_create(&by_profile)
            .set(gauge_value(identity.generation));
        // 0 from the first description on (a reload or refresh sets it).
        drop(self.files_failing.get_or_create(&by_profile));
        for file in &identity.files {
            self.files
                .get_or_create(&file_labels(profile, file))
                .set(gauge_value(file.entries));
        }
        for (edit, count) in [
            ("added", identity.added_words),
            ("removed", identity.removed_words),
        ] {
            let labels = EditLabels {
                profile: profile.to_owned(),
                edit,
            };
            self.word_edits
                .get_or_create(&labels)
                .set(gauge_value(count));
        }
    }

    /// Writes the version of the set of profiles described and what the named ones are
    /// reckoned to hold, as they are now (made when the page is: with a thousand profiles,
    /// once a scrape rather than once a change).
    pub(super) fn refresh_profile_set(&self) {
        let version = {
            let described = self
                .described
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let named_bytes: u64 = described
                .iter()
                .filter(|(name, _)| name.as_str() != DEFAULT_PROFILE)
                .map(|(_, identity)| profile_bytes(identity))
                .sum();
            self.profiles_bytes.set(gauge_value(named_bytes));
            profiles_version(
                described
                    .iter()
                    .map(|(name, identity)| (name.as_str(), identity.content_version.as_str())),
            )
        };
        let mut last = self
            .profiles_version
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.as_deref() == Some(version.as_str()) {
            return;
        }
        if let Some(old) = last.take() {
            self.profiles_info.remove(&ProfilesLabels {
                profiles_version: old,
            });
        }
        self.profiles_info
            .get_or_create(&ProfilesLabels {
                profiles_version: version.clone(),
            })
            .set(1);
        *last = Some(version);
    }

    /// Takes every series of `profile` away (it was removed).
    pub(super) fn forget(&self, profile: &str) {
        let mut described = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = described.remove(profile) {
            self.remove_described(profile, &old);
        }
        self.profiles.set(gauge_value(described.len()));
        let by_profile = ProfileLabels {
            profile: profile.to_owned(),
        };
        self.generation.remove(&by_profile);
        self.files_failing.remove(&by_profile);
        for edit in ["added", "removed"] {
            self.word_edits.remove(&EditLabels {
                profile: profile.to_owned(),
                edit,
            });
        }
        for change in CHANGES {
            for result in ["ok", "error"] {
                self.changes.remove(&ChangeLabels {
                    profile: profile.to_owned(),
                    change,
                    result,
                });
            }
        }
    }

    /// Leaves out the series of named profiles (their count stays in `dictionary_profiles`).
    pub(super) fn only_default_profile(&self) {
        self.default_only
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether `profile` has series of its own.
    fn shows(&self, profile: &str) -> bool {
        profile == DEFAULT_PROFILE || !self.default_only.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes away the series that name what `old` described: its content version and files.
    fn remove_described(&self, profile: &str, old: &DictionaryIdentity) {
        self.serving.remove(&serving_labels(profile, old));
        for file in &old.files {
            self.files.remove(&file_labels(profile, file));
        }
    }

    fn describe_models(&self, analyzer: &Analyzer) {
        let models = analyzer.models();
        let default = models.default_name().map(str::to_owned);
        self.models.clear();
        for model in models.iter() {
            let labels = ModelLabels {
                name: model.name.clone(),
                labels: model.model.labels().join(","),
                content_hash: model.content_hash.clone(),
                default: (Some(&model.name) == default.as_ref()).to_string(),
            };
            self.models.get_or_create(&labels).set(1);
        }
    }

    /// Whether `profile`'s files on disk fail to load (set by every reload and refresh).
    pub(super) fn set_files_failing(&self, profile: &str, failing: bool) {
        if !self.shows(profile) {
            return;
        }
        self.files_failing
            .get_or_create(&ProfileLabels {
                profile: profile.to_owned(),
            })
            .set(i64::from(failing));
    }

    /// Counts one change of `profile`'s dictionary and whether it took effect.
    pub(super) fn record_change(&self, profile: &str, change: &'static str, ok: bool) {
        if !self.shows(profile) {
            return;
        }
        self.changes
            .get_or_create(&ChangeLabels {
                profile: profile.to_owned(),
                change,
                result: if ok { "ok" } else { "error" },
            })
            .inc();
    }
}
