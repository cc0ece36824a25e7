//! Prometheus metrics: what is counted (this file), how a page is written in the format the
//! scraper asks for (`exposition`), and the HTTP port that serves it (`http`, `--metrics-addr`).
//!
//! What is counted is recorded in one place per call (the handlers' log line, see
//! `grpc::service`), so logs and metrics always agree.

mod exposition;
mod http;

pub use exposition::Format;
pub use http::serve;

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::budget::MemoryBudget;
use crate::core::Analyzer;
use crate::transport::AcceptErrors;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    name: String,
    labels: String,
    content_hash: String,
    default: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileLabels {
    kind: String,
    path: String,
    content_hash: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServingLabels {
    version: &'static str,
    content_version: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EditLabels {
    edit: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChangeLabels {
    change: &'static str,
    result: &'static str,
}

type Histograms = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    calls: Family<CallLabels, Counter>,
    latency: Histograms,
    text_chars: Family<MethodLabels, Counter>,
    shed: Counter,
    accept_errors: Counter,
    budget_used: Gauge,
    budget: std::sync::OnceLock<MemoryBudget>,
    in_flight: Gauge,
    models: Family<ModelLabels, Gauge>,
    generation: Gauge,
    dictionary_files: Family<FileLabels, Gauge>,
    word_edits: Family<EditLabels, Gauge>,
    changes: Family<ChangeLabels, Counter>,
    serving: Family<ServingLabels, Gauge>,
    files_failing: Gauge,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 13 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty set of metrics, with the build's version as an info metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("textanalysis");
        let calls = Family::<CallLabels, Counter>::default();
        let latency = Histograms::new_with_constructor(latency_histogram);
        let text_chars = Family::<MethodLabels, Counter>::default();
        let shed = Counter::default();
        let in_flight = Gauge::default();
        let accept_errors = Counter::default();
        registry.register(
            "accept_errors",
            "Connections that could not be accepted (descriptors exhausted, say); the accept \
             loop pauses after each",
            accept_errors.clone(),
        );
        let budget_used = Gauge::default();
        registry.register(
            "memory_budget_used_bytes",
            "Bytes of requests being received and answers not yet written, counted against \
             --memory-budget-mb",
            budget_used.clone(),
        );
        registry.register(
            "calls",
            "Calls answered, by method and gRPC status code",
            calls.clone(),
        );
        registry.register(
            "call_duration_seconds",
            "Time from a call's arrival to its answer, by method",
            latency.clone(),
        );
        registry.register(
            "text_chars",
            "Characters of text analysed, by method",
            text_chars.clone(),
        );
        registry.register(
            "shed",
            "Calls refused with RESOURCE_EXHAUSTED because every worker was busy and the queue full",
            shed.clone(),
        );
        registry.register(
            "in_flight_calls",
            "Calls received and not yet answered",
            in_flight.clone(),
        );
        registry.register(
            "build",
            "The server's version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        let models = Family::<ModelLabels, Gauge>::default();
        registry.register(
            "model",
            "The classification models the server has loaded (value 1 each)",
            models.clone(),
        );
        let generation = Gauge::default();
        registry.register(
            "dictionary_generation",
            "Counts the analyzers swapped in since start-up (reloads and word edits); 1 at start",
            generation.clone(),
        );
        let dictionary_files = Family::<FileLabels, Gauge>::default();
        registry.register(
            "dictionary_file_entries",
            "The dictionary, IDF and stop-word files in use, by kind, path and content hash: \
             their entries",
            dictionary_files.clone(),
        );
        let word_edits = Family::<EditLabels, Gauge>::default();
        registry.register(
            "dictionary_word_edits",
            "Words added or removed at run time and in force",
            word_edits.clone(),
        );
        let changes = Family::<ChangeLabels, Counter>::default();
        registry.register(
            "dictionary_changes",
            "Reloads, word edits and refreshes after files changed on disk, by kind and result \
             (error: the old analyzer kept serving)",
            changes.clone(),
        );
        let serving = Family::<ServingLabels, Gauge>::default();
        registry.register(
            "serving_info",
            "What this replica serves (value 1): its version and the content version of its \
             dictionary, a digest of the dictionaries, word edits, IDF table, stop words and \
             models. Replicas serving the same data show the same content_version",
            serving.clone(),
        );
        let files_failing = Gauge::default();
        registry.register(
            "dictionary_files_failing",
            "1 while the files on disk (dictionary directory, user dictionaries, word edits) do \
             not load: the last dictionary that did keeps serving; 0 otherwise",
            files_failing.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            calls,
            latency,
            text_chars,
            shed,
            accept_errors,
            budget_used,
            budget: std::sync::OnceLock::new(),
            in_flight,
            models,
            generation,
            dictionary_files,
            word_edits,
            changes,
            serving,
            files_failing,
        }
    }

    /// Records what `analyzer` serves (each model; the dictionary's files, run-time edits and
    /// generation), replacing what an earlier analyzer served. Called at start-up and after
    /// every swap.
    pub fn describe(&self, analyzer: &Analyzer) {
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
        let identity = analyzer.identity();
        self.serving.clear();
        self.serving
            .get_or_create(&ServingLabels {
                version: env!("CARGO_PKG_VERSION"),
                content_version: identity.content_version.clone(),
            })
            .set(1);
        self.generation
            .set(i64::try_from(identity.generation).unwrap_or(i64::MAX));
        self.dictionary_files.clear();
        for file in &identity.files {
            let labels = FileLabels {
                kind: format!("{:?}", file.kind),
                path: file.path.display().to_string(),
                content_hash: file.content_hash.clone(),
            };
            self.dictionary_files
                .get_or_create(&labels)
                .set(i64::try_from(file.entries).unwrap_or(i64::MAX));
        }
        for (edit, count) in [
            ("added", identity.added_words),
            ("removed", identity.removed_words),
        ] {
            self.word_edits
                .get_or_create(&EditLabels { edit })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// Whether the files on disk fail to load (set by every reload and refresh).
    pub fn set_files_failing(&self, failing: bool) {
        self.files_failing.set(i64::from(failing));
    }

    /// Counts one dictionary change (`reload`, `refresh`, `add_words`, `remove_words`) and
    /// whether it took effect.
    pub fn record_change(&self, change: &'static str, ok: bool) {
        self.changes
            .get_or_create(&ChangeLabels {
                change,
                result: if ok { "ok" } else { "error" },
            })
            .inc();
    }

    /// Counts one answered call; `code` is its gRPC status code's name (`Ok`, `InvalidArgument`).
    pub fn record_call(&self, method: &str, code: &str, latency: Duration, text_chars: usize) {
        let method = method.to_owned();
        self.calls
            .get_or_create(&CallLabels {
                method: method.clone(),
                code: code.to_owned(),
            })
            .inc();
        let by_method = MethodLabels { method };
        self.latency
            .get_or_create(&by_method)
            .observe(latency.as_secs_f64());
        self.text_chars
            .get_or_create(&by_method)
            .inc_by(text_chars as u64);
    }

    /// Counts one call shed for lack of capacity.
    pub fn record_shed(&self) {
        self.shed.inc();
    }

    /// A call arrived: one more in flight (the layer that tracks calls reports both ends).
    pub fn call_entered(&self) {
        self.in_flight.inc();
    }

    /// A call's answer was handed over: one fewer in flight.
    pub fn call_left(&self) {
        self.in_flight.dec();
    }

    /// Reports `budget`'s use in every page from now on.
    pub fn watch_budget(&self, budget: MemoryBudget) {
        let _ = self.budget.set(budget);
    }

    /// The metrics page in `format`.
    pub fn encode(&self, format: Format) -> String {
        if let Some(budget) = self.budget.get() {
            self.budget_used
                .set(i64::try_from(budget.used()).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        if let Ok(registry) = self.registry.lock() {
            // Writing into a String cannot fail.
            let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        }
        match format {
            Format::OpenMetrics => text,
            Format::Classic => exposition::classic_from_openmetrics(&text),
        }
    }
}

impl AcceptErrors for Metrics {
    fn accept_failed(&self, _error: &std::io::Error) {
        self.accept_errors.inc();
    }
}
