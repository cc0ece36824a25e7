//! Prometheus metrics: what is counted (this file), how a page is written in the format the
//! scraper asks for (`exposition`), and the HTTP port that serves it (`http`, `--metrics-addr`).
//!
//! What is counted is recorded in one place per call (the handlers' log line, see
//! `grpc::service`), so logs and metrics always agree.

mod dictionary;
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

use dictionary::DictionaryMetrics;

use crate::core::Analyzer;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    code: String,
    protocol: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
    protocol: String,
}

type Histograms = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// How many bytes of the memory budget are in use, asked when a page is made.
struct UsedBytes(Box<dyn Fn() -> usize + Send + Sync>);

impl std::fmt::Debug for UsedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UsedBytes")
    }
}

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
    budget_limit: Gauge,
    resident: Gauge,
    /// Tells the memory budget's use when a page is made (set by whoever owns the budget).
    budget: std::sync::OnceLock<UsedBytes>,
    in_flight: Gauge,
    dictionary: DictionaryMetrics,
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
            "Bytes of requests being received, analyses under way and answers not yet written, \
             counted against the memory budget",
            budget_used.clone(),
        );
        let budget_limit = Gauge::default();
        registry.register(
            "memory_budget_bytes",
            "The memory budget: beyond it, calls are refused with RESOURCE_EXHAUSTED",
            budget_limit.clone(),
        );
        let resident = Gauge::default();
        registry.register(
            "resident_memory_bytes",
            "The process's resident memory (VmRSS), read when the page is made",
            resident.clone(),
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
        let dictionary = DictionaryMetrics::register(&mut registry);
        Self {
            registry: Mutex::new(registry),
            calls,
            latency,
            text_chars,
            shed,
            accept_errors,
            budget_used,
            budget_limit,
            resident,
            budget: std::sync::OnceLock::new(),
            in_flight,
            dictionary,
        }
    }

    /// Describes what `analyzer` serves as the profile called `profile` (the models too, for
    /// the default profile): at start-up and after every change.
    pub fn describe(&self, profile: &str, analyzer: &Analyzer) {
        self.dictionary.describe(profile, analyzer);
    }

    /// Takes every series of `profile` away: it was removed.
    pub fn forget(&self, profile: &str) {
        self.dictionary.forget(profile);
    }

    /// Leaves out the dictionary series of named profiles, for a server of many tenants
    /// (`--no-profile-metrics`): only `default` has them, and `dictionary_profiles` counts
    /// every profile.
    pub fn only_default_profile(&self) {
        self.dictionary.only_default_profile();
    }

    /// Whether `profile`'s files on disk fail to load (set by every reload and refresh).
    pub fn set_files_failing(&self, profile: &str, failing: bool) {
        self.dictionary.set_files_failing(profile, failing);
    }

    /// Counts one change (`reload`, `refresh`, `add_words`, `remove_words`) of `profile`'s
    /// dictionary and whether it took effect.
    pub fn record_change(&self, profile: &str, change: &'static str, ok: bool) {
        self.dictionary.record_change(profile, change, ok);
    }

    /// Counts one answered call; `protocol` is the door it came by (`grpc`, `grpc-web`, `http`),
    /// `code` its gRPC status code's name (`Ok`, `InvalidArgument`).
    pub fn record_call(
        &self,
        method: &str,
        protocol: &str,
        code: &str,
        latency: Duration,
        text_chars: usize,
    ) {
        let method = method.to_owned();
        let protocol = protocol.to_owned();
        self.calls
            .get_or_create(&CallLabels {
                method: method.clone(),
                code: code.to_owned(),
                protocol: protocol.clone(),
            })
            .inc();
        let by_method = MethodLabels { method, protocol };
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

    /// Reports a memory budget of `limit` bytes, and its use as `used` tells it, in every page
    /// from now on.
    pub fn watch_budget(&self, limit: usize, used: impl Fn() -> usize + Send + Sync + 'static) {
        self.budget_limit
            .set(i64::try_from(limit).unwrap_or(i64::MAX));
        let _ = self.budget.set(UsedBytes(Box::new(used)));
    }

    /// The metrics page in `format`.
    pub fn encode(&self, format: Format) -> String {
        if let Some(UsedBytes(used)) = self.budget.get() {
            self.budget_used
                .set(i64::try_from(used()).unwrap_or(i64::MAX));
        }
        self.dictionary.refresh_profile_set();
        if let Some(bytes) = resident_bytes() {
            self.resident.set(i64::try_from(bytes).unwrap_or(i64::MAX));
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

/// The process's resident memory, from `/proc/self/status` (none where there is no procfs).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kilobytes = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kilobytes * 1024)
}

impl Metrics {
    /// A connection could not be accepted (descriptors exhausted, say).
    pub fn accept_failed(&self) {
        self.accept_errors.inc();
    }
}
