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

use crate::core::{Analyzer, DEFAULT_PROFILE, DictionaryIdentity};

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
        };
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
    /// default profile, the models).
    pub(super) fn describe(&self, profile: &str, analyzer: &Analyzer) {
        if profile == DEFAULT_PROFILE {
            self.describe_models(analyzer);
        }
        let mut described = self
            .described
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        described.insert(profile.to_owned(), analyzer.identity().clone());
        self.serving.clear();
        self.files.clear();
        for (profile, identity) in described.iter() {
            let profile = profile.clone();
            self.serving
                .get_or_create(&ServingLabels {
                    profile: profile.clone(),
                    version: env!("CARGO_PKG_VERSION"),
                    content_version: identity.content_version.clone(),
                })
                .set(1);
            let by_profile = ProfileLabels {
                profile: profile.clone(),
            };
            self.generation
                .get_or_create(&by_profile)
                .set(gauge_value(identity.generation));
            // 0 from the first description on (a reload or refresh sets it).
            drop(self.files_failing.get_or_create(&by_profile));
            for file in &identity.files {
                let labels = FileLabels {
                    profile: profile.clone(),
                    kind: format!("{:?}", file.kind),
                    path: file.path.display().to_string(),
                    content_hash: file.content_hash.clone(),
                };
                self.files
                    .get_or_create(&labels)
                    .set(gauge_value(file.entries));
            }
            for (edit, count) in [
                ("added", identity.added_words),
                ("removed", identity.removed_words),
            ] {
                let labels = EditLabels {
                    profile: profile.clone(),
                    edit,
                };
                self.word_edits
                    .get_or_create(&labels)
                    .set(gauge_value(count));
            }
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
        self.files_failing
            .get_or_create(&ProfileLabels {
                profile: profile.to_owned(),
            })
            .set(i64::from(failing));
    }

    /// Counts one change of `profile`'s dictionary and whether it took effect.
    pub(super) fn record_change(&self, profile: &str, change: &'static str, ok: bool) {
        self.changes
            .get_or_create(&ChangeLabels {
                profile: profile.to_owned(),
                change,
                result: if ok { "ok" } else { "error" },
            })
            .inc();
    }
}
