//! The parts of a gRPC service config (the JSON that gRPC's own clients read, e.g.
//! `examples/service-config.json`) that this client honours: `round_robin` over every address
//! the server's name resolves to, and each method's `retryPolicy` (attempts, exponential
//! backoff with jitter, retryable status codes), as gRPC's retry design (A6) describes them.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

/// A service config, as read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceConfig {
    #[serde(default)]
    load_balancing_config: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    method_config: Vec<MethodConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MethodConfig {
    #[serde(default)]
    name: Vec<MethodName>,
    retry_policy: Option<RetryPolicy>,
}

#[derive(Debug, Deserialize)]
struct MethodName {
    service: String,
    #[serde(default)]
    method: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: String,
    max_backoff: String,
    backoff_multiplier: f64,
    retryable_status_codes: Vec<String>,
}

/// How to retry one method's calls.
#[derive(Debug, Clone)]
pub(crate) struct Retry {
    /// Attempts in all, the first included (gRPC caps it at 5).
    pub(crate) max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    multiplier: f64,
    codes: Vec<tonic::Code>,
}

impl ServiceConfig {
    /// Reads and checks the service config in `path`.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let config: Self = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a gRPC service config", path.display()))?;
        for method in &config.method_config {
            if let Some(policy) = &method.retry_policy {
                Retry::try_from(policy).with_context(|| format!("{}", path.display()))?;
            }
        }
        Ok(config)
    }

    /// Whether the config asks for `round_robin` (before any other policy it names).
    pub(crate) fn round_robin(&self) -> bool {
        self.load_balancing_config
            .first()
            .is_some_and(|policy| policy.contains_key("round_robin"))
    }

    /// The retry policy of `/service/method`: the entry naming the method, else the one naming
    /// its service.
    pub(crate) fn retry(&self, path: &str) -> Option<Retry> {
        let (service, method) = path.trim_start_matches('/').split_once('/')?;
        let named = |exact: bool| {
            self.method_config.iter().find(|config| {
                config.name.iter().any(|name| {
                    name.service == service
                        && match &name.method {
                            Some(m) => exact && m == method,
                            None => !exact,
                        }
                })
            })
        };
        let config = named(true).or_else(|| named(false))?;
        Retry::try_from(config.retry_policy.as_ref()?).ok()
    }
}

impl TryFrom<&RetryPolicy> for Retry {
    type Error = anyhow::Error;

    fn try_from(policy: &RetryPolicy) -> anyhow::Result<Self> {
        anyhow::ensure!(
            policy.max_attempts >= 2,
            "retryPolicy.maxAttempts must be at least 2"
        );
        anyhow::ensure!(
            policy.backoff_multiplier > 0.0,
            "retryPolicy.backoffMultiplier must be positive"
        );
        let codes = policy
            .retryable_status_codes
            .iter()
            .map(|name| code_named(name).with_context(|| format!("unknown status code {name}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            !codes.is_empty(),
            "retryPolicy.retryableStatusCodes is empty"
        );
        Ok(Self {
            max_attempts: policy.max_attempts.min(5),
            initial_backoff: duration(&policy.initial_backoff)?,
            max_backoff: duration(&policy.max_backoff)?,
            multiplier: policy.backoff_multiplier,
            codes,
        })
    }
}

impl Retry {
    /// Whether a call that ended with `code` is tried again.
    pub(crate) fn retries(&self, code: tonic::Code) -> bool {
        self.codes.contains(&code)
    }

    /// How long to wait before attempt `attempt` (2 for the first retry): a random time up to
    /// `initialBackoff × multiplier^(attempt − 2)`, capped at `maxBackoff`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(2)).unwrap_or(i32::MAX);
        let ceiling = self
            .initial_backoff
            .mul_f64(self.multiplier.powi(exponent))
            .min(self.max_backoff);
        ceiling.mul_f64(jitter())
    }
}

/// A number in [0, 1), different on every call: enough to spread retries apart.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// A protobuf JSON duration: seconds with an `s` suffix ("0.05s").
fn duration(text: &str) -> anyhow::Result<Duration> {
    let seconds: f64 = text
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .with_context(|| format!("`{text}` is not a duration such as \"0.1s\""))?;
    Ok(Duration::from_secs_f64(seconds))
}

/// The status code of a canonical name (`UNAVAILABLE`).
fn code_named(name: &str) -> Option<tonic::Code> {
    use tonic::Code::*;
    let code = match name {
        "OK" => Ok,
        "CANCELLED" => Cancelled,
        "UNKNOWN" => Unknown,
        "INVALID_ARGUMENT" => InvalidArgument,
        "DEADLINE_EXCEEDED" => DeadlineExceeded,
        "NOT_FOUND" => NotFound,
        "ALREADY_EXISTS" => AlreadyExists,
        "PERMISSION_DENIED" => PermissionDenied,
        "RESOURCE_EXHAUSTED" => ResourceExhausted,
        "FAILED_PRECONDITION" => FailedPrecondition,
        "ABORTED" => Aborted,
        "OUT_OF_RANGE" => OutOfRange,
        "UNIMPLEMENTED" => Unimplemented,
        "INTERNAL" => Internal,
        "UNAVAILABLE" => Unavailable,
        "DATA_LOSS" => DataLoss,
        "UNAUTHENTICATED" => Unauthenticated,
        _ => return None,
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_retries_every_analysis_call_on_unavailable() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/service-config.json");
        let config = ServiceConfig::load(&path).unwrap();
        assert!(config.round_robin());
        for method in ["Segment", "Analyze", "AnalyzeBatch", "Classify"] {
            let retry = config
                .retry(&format!("/textanalysis.v1.TextAnalysis/{method}"))
                .unwrap();
            assert_eq!(retry.max_attempts, 5);
            assert!(retry.retries(tonic::Code::Unavailable));
            assert!(!retry.retries(tonic::Code::InvalidArgument));
            assert!(retry.backoff(2) <= Duration::from_millis(50));
            assert!(retry.backoff(9) <= Duration::from_secs(1));
        }
        assert!(config.retry("/textanalysis.v1.Admin/AddWords").is_none());
    }
}
