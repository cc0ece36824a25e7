//! The server's flags (`serve`): what the analyzer loads and how the server runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::ConfigError;
use crate::core::{AnalyzerConfig, ProfileSpec, StartError, read_text};
use crate::edge::transport::ConnectionLimits;
use crate::edge::{BearerTokens, Limits};
use crate::server::Settings;
use crate::telemetry::LogFormat;

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TEXTANALYSIS_ADDR", default_value = "0.0.0.0:50051")]
    pub addr: SocketAddr,

    /// A user dictionary in jieba's `word [freq] [tag]` format; repeat for several (in the
    /// environment, separate paths with commas).
    #[arg(
        long = "user-dict",
        env = "TEXTANALYSIS_USER_DICT",
        value_delimiter = ','
    )]
    pub user_dicts: Vec<PathBuf>,

    /// An IDF table in jieba's `word idf` format for TF-IDF keywords, replacing the built-in
    /// one (Python jieba's `set_idf_path`).
    #[arg(long, env = "TEXTANALYSIS_IDF")]
    pub idf: Option<PathBuf>,

    /// Stop words, one a line, never returned as keywords; added to jieba's built-in English
    /// ones (Python jieba's `set_stop_words`).
    #[arg(long, env = "TEXTANALYSIS_STOP_WORDS")]
    pub stop_words: Option<PathBuf>,

    /// A directory where words added or removed at run time (Admin/AddWords, RemoveWords) are
    /// kept, so they survive restarts; created if missing. Default: the dictionary directory,
    /// if any. Without either, word edits are refused.
    #[arg(long, env = "TEXTANALYSIS_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// A directory holding what the analyzer reads, by conventional names: user dictionaries
    /// `*.dict` (in name order), `idf.txt`, `stop-words.txt`, `models/*.model`, and the word
    /// edits. Replicas that share it serve the same data: each follows changes to it (see
    /// --watch-interval-ms) and word edits are saved there under a lock.
    #[arg(long, env = "TEXTANALYSIS_DICTIONARY_DIR")]
    pub dictionary_dir: Option<PathBuf>,

    /// A named dictionary profile, NAME=DIR: the built-in dictionary plus DIR's `*.dict`, and
    /// its `idf.txt` and `stop-words.txt` if there, chosen by requests with `profile: NAME`;
    /// repeat for several (in the environment, separate them with commas). Each directory of
    /// the dictionary directory's `profiles/` is a profile too, named by the directory.
    #[arg(
        long = "profile",
        env = "TEXTANALYSIS_PROFILES",
        value_name = "NAME=DIR",
        value_delimiter = ','
    )]
    pub profiles: Vec<ProfileSpec>,

    /// The most named profiles; more is a start-up error. A profile holds only what its files
    /// change of the built-in dictionary (a few hundred kilobytes for a thousand words of its
    /// own; BENCHMARKS.md, "Dictionary profiles").
    #[arg(long, env = "TEXTANALYSIS_MAX_PROFILES", default_value_t = 1000,
          value_parser = clap::value_parser!(u16).range(0..=10_000))]
    pub max_profiles: u16,

    /// The most memory the named profiles may hold, in MB, by the server's reckoning: 16 KiB a
    /// profile, 340 bytes for each word of its files and each word edit, 64 for each line of its
    /// IDF table or stop words (a profile of 1,000 words of its own: 0.36 MB). Creating or finding a profile that would pass it is
    /// refused; passing it at start-up is a start-up error. The default holds about 3,000 such
    /// profiles.
    #[arg(long, env = "TEXTANALYSIS_MAX_PROFILES_MEMORY_MB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub max_profiles_memory_mb: u64,

    /// Milliseconds between checks of every file the analyzer reads (and of the word edits)
    /// for changes made by another replica or an operator; a change is served once two checks
    /// in a row see the same files, so a file is never read half-written (0: never check;
    /// reload with SIGHUP or Admin/Reload).
    #[arg(long, env = "TEXTANALYSIS_WATCH_INTERVAL_MS", default_value_t = 250,
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub watch_interval_ms: u64,

    /// A file of admin tokens, one a line. Only with it is the Admin service (reload, word
    /// edits) on, and then each admin call needs `authorization: Bearer <admin token>`.
    #[arg(long, env = "TEXTANALYSIS_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,

    /// A directory of classification models (`*.model`), each named by its file name; a
    /// `sentiment.model` there replaces the built-in one.
    #[arg(long = "models", env = "TEXTANALYSIS_MODELS")]
    pub models_dir: Option<PathBuf>,

    /// The model used when a request names none.
    #[arg(long, env = "TEXTANALYSIS_DEFAULT_MODEL")]
    pub default_model: Option<String>,

    /// The longest text accepted, in characters (Unicode code points).
    #[arg(long, env = "TEXTANALYSIS_MAX_TEXT_CHARS", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub max_text_chars: u64,

    /// Seconds a call may take when the client sets no shorter deadline (grpc-timeout); past
    /// it the call ends with DEADLINE_EXCEEDED (0: no limit). A stream's documents get this
    /// each.
    #[arg(long, env = "TEXTANALYSIS_DEFAULT_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub default_timeout_secs: u64,

    /// The largest request message accepted, in bytes.
    #[arg(long, env = "TEXTANALYSIS_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_message_bytes: u64,

    /// How many analyses may run at once (default: the number of CPU cores).
    #[arg(long, env = "TEXTANALYSIS_WORKERS",
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: Option<u64>,

    /// How many analyses may wait for a worker; beyond that, calls fail fast with
    /// RESOURCE_EXHAUSTED.
    #[arg(long, env = "TEXTANALYSIS_MAX_QUEUED", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub max_queued: u64,

    /// The most concurrent calls (HTTP/2 streams) on one connection.
    #[arg(long, env = "TEXTANALYSIS_MAX_CONCURRENT_STREAMS", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_streams: u32,

    /// Seconds after which a connection is closed gracefully so clients rebalance (0: never).
    #[arg(
        long,
        env = "TEXTANALYSIS_MAX_CONNECTION_AGE_SECS",
        default_value_t = 1800
    )]
    pub max_connection_age_secs: u64,

    /// MiB of requests (received, or being analysed) and answers not yet written that the
    /// server holds at most, across all connections; past them, new calls are refused with
    /// RESOURCE_EXHAUSTED.
    #[arg(long, env = "TEXTANALYSIS_MEMORY_BUDGET_MB", default_value_t = 96,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub memory_budget_mb: u64,

    /// MiB of answers one connection's client may leave unread before its new calls are
    /// refused with RESOURCE_EXHAUSTED.
    #[arg(long, env = "TEXTANALYSIS_MAX_UNREAD_MB", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub max_unread_mb: u64,

    /// Seconds a connection with answers unread may write nothing (its client stopped
    /// reading) before it is closed, and its calls with it.
    #[arg(long, env = "TEXTANALYSIS_STALL_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stall_timeout_secs: u64,

    /// Seconds a new connection has to send the HTTP/2 preface, and an HTTP/1.1 request its
    /// headers.
    #[arg(long, env = "TEXTANALYSIS_HANDSHAKE_TIMEOUT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub handshake_timeout_secs: u64,

    /// Seconds a connection may stay open with no call on it (0: no limit).
    #[arg(long, env = "TEXTANALYSIS_IDLE_TIMEOUT_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub idle_timeout_secs: u64,

    /// Seconds that calls in flight may take to finish after SIGTERM or SIGINT.
    #[arg(long, env = "TEXTANALYSIS_SHUTDOWN_GRACE_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: u64,

    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "TEXTANALYSIS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "TEXTANALYSIS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require clients to present a certificate signed by this CA (PEM): mutual TLS.
    #[arg(long, env = "TEXTANALYSIS_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// Browser origins allowed to call the server (CORS, for gRPC-Web and the JSON API), such as
    /// https://app.example.com; `*` allows any. Off unless set.
    #[arg(
        long = "cors-allow-origin",
        env = "TEXTANALYSIS_CORS_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_allow_origins: Vec<String>,

    /// Do not serve the playground page at / (the JSON API and its OpenAPI document stay).
    #[arg(long, env = "TEXTANALYSIS_NO_PLAYGROUND")]
    pub no_playground: bool,

    /// Leave the named profiles' dictionary series out of the metrics (only `default` keeps
    /// them; `textanalysis_dictionary_profiles` counts every profile): about 7 series a profile,
    /// too many for a server of a thousand tenants' profiles.
    #[arg(long, env = "TEXTANALYSIS_NO_PROFILE_METRICS")]
    pub no_profile_metrics: bool,

    /// Serve Prometheus metrics at http://ADDR/metrics (off unless set; e.g. 0.0.0.0:9090).
    #[arg(long, env = "TEXTANALYSIS_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// A file of bearer tokens, one a line. With tokens configured (here or in
    /// TEXTANALYSIS_AUTH_TOKENS), every call but health checks needs
    /// `authorization: Bearer <token>`; others get UNAUTHENTICATED.
    #[arg(long, env = "TEXTANALYSIS_AUTH_TOKEN_FILE")]
    pub auth_token_file: Option<PathBuf>,

    /// Bearer tokens, comma-separated; best set in the environment, out of sight of `ps`.
    #[arg(
        long,
        env = "TEXTANALYSIS_AUTH_TOKENS",
        hide = true,
        hide_env_values = true
    )]
    pub auth_tokens: Option<String>,

    /// Log format.
    #[arg(long, env = "TEXTANALYSIS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl ServeArgs {
    /// Why the server could not start, in the words of its command line.
    pub fn explain(error: &StartError) -> String {
        match error {
            StartError::TooManyProfiles { .. } => format!("{error} (raise --max-profiles)"),
            StartError::ProfilesTooLarge { .. } => {
                format!("{error} (raise --max-profiles-memory-mb)")
            }
            _ => error.to_string(),
        }
    }

    /// What the analyzer loads.
    pub fn analyzer_config(&self) -> AnalyzerConfig {
        AnalyzerConfig {
            dictionary_dir: self.dictionary_dir.clone(),
            user_dicts: self.user_dicts.clone(),
            idf: self.idf.clone(),
            stop_words: self.stop_words.clone(),
            models_dir: self.models_dir.clone(),
            default_model: self.default_model.clone(),
            profile_dir: None,
        }
    }

    /// How the server runs; reads and checks the token and certificate files.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                let identity = Identity::from_pem(read_text(cert)?, read_text(key)?);
                let mut tls = ServerTlsConfig::new().identity(identity);
                if let Some(ca) = &self.tls_client_ca {
                    tls = tls.client_ca_root(Certificate::from_pem(read_text(ca)?));
                }
                Some(tls)
            }
            _ => None,
        };
        Ok(Settings {
            auth: BearerTokens::load(self.auth_token_file.as_deref(), self.auth_tokens.as_deref())?,
            admin: match &self.admin_token_file {
                Some(file) => BearerTokens::load(Some(file), None)?,
                None => None,
            },
            tls,
            cors_allow_origins: self.cors_allow_origins.clone(),
            playground: !self.no_playground,
            profile_metrics: !self.no_profile_metrics,
            limits: Limits {
                max_text_chars: saturate(self.max_text_chars),
                default_timeout: (self.default_timeout_secs > 0)
                    .then(|| Duration::from_secs(self.default_timeout_secs)),
            },
            max_message_bytes: saturate(self.max_message_bytes),
            workers: self.workers.map_or(Settings::default().workers, saturate),
            grace_period: Duration::from_secs(self.shutdown_grace_secs),
            max_queued: saturate(self.max_queued),
            max_concurrent_streams: self.max_concurrent_streams,
            max_connection_age: (self.max_connection_age_secs > 0)
                .then(|| Duration::from_secs(self.max_connection_age_secs)),
            memory_budget_bytes: saturate(self.memory_budget_mb << 20),
            watch_interval: (self.watch_interval_ms > 0)
                .then(|| Duration::from_millis(self.watch_interval_ms)),
            connections: ConnectionLimits {
                handshake_timeout: Duration::from_secs(self.handshake_timeout_secs),
                idle_timeout: (self.idle_timeout_secs > 0)
                    .then(|| Duration::from_secs(self.idle_timeout_secs)),
                stall_timeout: Duration::from_secs(self.stall_timeout_secs),
                max_pending_answer_bytes: saturate(self.max_unread_mb << 20),
            },
        })
    }
}

fn saturate(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
