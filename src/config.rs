//! Command line and environment configuration (`TEXTANALYSIS_*`), validated before binding.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::core::accurate::SegmenterTrainConfig;
use crate::core::classify::{FeatureSpec, TrainConfig};
use crate::core::{AnalyzerConfig, LoadError, ProfileSpec, Script, StartError, read_text};
use crate::edge::transport::ConnectionLimits;
use crate::edge::{BearerTokens, Limits, TokenError};
use crate::server::Settings;
use crate::telemetry::LogFormat;

/// Why the serving configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A certificate or key file cannot be read.
    #[error(transparent)]
    Read(#[from] LoadError),
    /// The client or admin tokens cannot be used.
    #[error(transparent)]
    Tokens(#[from] TokenError),
}

/// textanalysis: a gRPC service for Chinese text analysis: segmentation (jieba's modes and a
/// trained accurate segmenter), part-of-speech tags, keywords and classification. With no
/// subcommand it serves.
#[derive(Debug, Parser)]
#[command(name = "textanalysis", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serving options, when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

impl Cli {
    /// Parses the command line and the `TEXTANALYSIS_*` variables, or exits with a usage error
    /// (code 2). A bad value that came from a variable is reported under the variable's name.
    pub fn parse_or_exit() -> Self {
        Self::try_parse().unwrap_or_else(|e| {
            let args: Vec<String> = std::env::args().collect();
            match variable_at_fault(&e, &args) {
                Some(variable) => Self::command()
                    .error(
                        ErrorKind::ValueValidation,
                        format!(
                            "{variable}: {}",
                            e.to_string()
                                .lines()
                                .next()
                                .unwrap_or_default()
                                .trim_start_matches("error: ")
                        ),
                    )
                    .exit(),
                None => e.exit(),
            }
        })
    }

    /// The command to run, `serve` by default.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(Box::new(self.serve)))
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (the default).
    Serve(Box<ServeArgs>),
    /// Ask a running server whether it is SERVING; exit 0 if so, 1 otherwise (for container
    /// health checks, no shell or grpcurl needed).
    Health(HealthArgs),
    /// Train a classification model from labelled texts.
    Train(TrainArgs),
    /// Evaluate a model on labelled texts: accuracy, per-label precision/recall/F1, confusion.
    Eval(EvalArgs),
    /// Train a segmentation model (mode ACCURATE) from a segmented corpus, in the PKU format
    /// (`word/TAG` separated by spaces, one sentence a line) or the SIGHAN format (words
    /// separated by spaces).
    TrainSegmenter(TrainSegmenterArgs),
    /// Score a segmentation model on a segmented corpus: word precision, recall and F1, recall
    /// of out-of-vocabulary words, tagging accuracy.
    EvalSegmenter(EvalSegmenterArgs),
}

/// The environment variable that supplied the value `error` rejects, if the value came from one
/// (its flag is not among `args`, and the variable is set).
fn variable_at_fault(error: &clap::Error, args: &[String]) -> Option<String> {
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split_whitespace().next()?;
    if args
        .iter()
        .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    {
        return None;
    }
    let long = flag.strip_prefix("--")?;
    let command = Cli::command();
    let serve = command.find_subcommand("serve");
    let variable = command
        .get_arguments()
        .chain(serve.into_iter().flat_map(|s| s.get_arguments()))
        .find(|a| a.get_long() == Some(long))?
        .get_env()?
        .to_str()?
        .to_owned();
    std::env::var_os(&variable).map(|_| variable)
}

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

    /// The most named profiles; more is a start-up error. Each holds its own segmenter, about
    /// 30 MB (BENCHMARKS.md, "Dictionary profiles").
    #[arg(long, env = "TEXTANALYSIS_MAX_PROFILES", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(0..=64))]
    pub max_profiles: u16,

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

    /// Seconds a new connection has to send the HTTP/2 preface.
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

/// Options of `health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// The server to ask, as HOST:PORT; the host may be a name (`textanalysis:50051`, as
    /// compose and Kubernetes address replicas) or an address.
    #[arg(
        long,
        env = "TEXTANALYSIS_HEALTH_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub addr: String,

    /// The service to ask about; empty means the whole server.
    #[arg(long, default_value = "")]
    pub service: String,

    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout_secs: u64,

    /// Connect with TLS, trusting this CA (PEM).
    #[arg(long, env = "TEXTANALYSIS_HEALTH_TLS_CA")]
    pub tls_ca: Option<PathBuf>,

    /// The server name its certificate must carry (with --tls-ca).
    #[arg(long, default_value = "localhost", requires = "tls_ca")]
    pub tls_domain: String,

    /// A client certificate (PEM) for servers that require one (mutual TLS); needs
    /// --tls-key.
    #[arg(long, requires_all = ["tls_ca", "tls_key"])]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Options of `train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Labelled texts: `label<TAB>text` or fastText `__label__label text` lines.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the model (its file name, less `.model`, is its name on a server).
    #[arg(long)]
    pub output: PathBuf,
    /// Passes over the data.
    #[arg(long, default_value_t = TrainConfig::default().epochs,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub epochs: u32,
    /// Step size of the optimiser (AdaGrad).
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub learning_rate: f32,
    /// L2 regularisation strength.
    #[arg(long, default_value_t = TrainConfig::default().l2)]
    pub l2: f32,
    /// Seed of the example order; the same input and seed give a byte-identical model.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Number of hash buckets for features (a power of two is usual).
    #[arg(long, default_value_t = FeatureSpec::default().buckets,
          value_parser = clap::value_parser!(u32).range(16..=(1 << 26)))]
    pub buckets: u32,
    /// Longest word n-gram used as a feature (1: words; 2: words and word pairs).
    #[arg(long, default_value_t = FeatureSpec::default().word_ngrams,
          value_parser = clap::value_parser!(u8).range(1..=2))]
    pub word_ngrams: u8,
    /// Shortest character n-gram used as a feature (0: none).
    #[arg(long, default_value_t = FeatureSpec::default().min_char_ngram,
          value_parser = clap::value_parser!(u8).range(0..=8))]
    pub min_char_ngram: u8,
    /// Longest character n-gram used as a feature.
    #[arg(long, default_value_t = FeatureSpec::default().max_char_ngram,
          value_parser = clap::value_parser!(u8).range(0..=8))]
    pub max_char_ngram: u8,
    /// Skip malformed lines (and report how many) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

impl TrainArgs {
    /// The training settings.
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            features: FeatureSpec {
                buckets: self.buckets,
                word_ngrams: self.word_ngrams,
                min_char_ngram: self.min_char_ngram,
                max_char_ngram: self.max_char_ngram,
            },
            epochs: self.epochs,
            learning_rate: self.learning_rate,
            l2: self.l2,
            seed: self.seed,
        }
    }
}

/// Options of `eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// Labelled texts, in the same formats as for `train`.
    #[arg(long)]
    pub input: PathBuf,
    /// Skip malformed lines (and report how many) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// The texts' script, as a request's `script`: `traditional` reads them in Simplified form
    /// (OpenCC t2s), `auto` does for the texts it detects as Traditional.
    #[arg(long, value_enum, default_value_t = ScriptArg::Simplified)]
    pub script: ScriptArg,
}

/// Options of `train-segmenter`.
#[derive(Debug, Clone, Args)]
pub struct TrainSegmenterArgs {
    /// The segmented corpus: PKU format (tags train a tagger too) or SIGHAN format.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the model; `accurate.segmenter` in a server's models directory replaces
    /// the built-in one.
    #[arg(long)]
    pub output: PathBuf,
    /// Hold out every Nth line of the input (those whose 0-based number is N-1 modulo N) as the
    /// dev set: not trained on, scored at the end.
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..))]
    pub hold_out: Option<u32>,
    /// A separate segmented corpus to score the model on at the end.
    #[arg(long, conflicts_with = "hold_out")]
    pub dev: Option<PathBuf>,
    /// Passes of the segmentation perceptron.
    #[arg(long, default_value_t = SegmenterTrainConfig::default().epochs,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub epochs: u32,
    /// Passes of the tagging perceptron (a tagged corpus only).
    #[arg(long, default_value_t = SegmenterTrainConfig::default().tag_epochs,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub tag_epochs: u32,
    /// Seed of the sentence order; the same corpus and seed give a byte-identical model.
    #[arg(long, default_value_t = SegmenterTrainConfig::default().seed)]
    pub seed: u64,
    /// Dictionary words hidden from the model while training, per thousand occurrences.
    #[arg(long, default_value_t = SegmenterTrainConfig::default().dictionary_dropout,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub dictionary_dropout: u32,
    /// Weights smaller than this (in perceptron updates) are left out of the model.
    #[arg(long, default_value_t = SegmenterTrainConfig::default().min_weight)]
    pub min_weight: f32,
    /// Skip malformed lines (and report how many) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

impl TrainSegmenterArgs {
    /// The training settings.
    pub fn config(&self) -> SegmenterTrainConfig {
        SegmenterTrainConfig {
            epochs: self.epochs,
            tag_epochs: self.tag_epochs,
            seed: self.seed,
            dictionary_dropout: self.dictionary_dropout,
            min_weight: self.min_weight,
        }
    }
}

/// Options of `eval-segmenter`.
#[derive(Debug, Clone, Args)]
pub struct EvalSegmenterArgs {
    /// The model file; the built-in model when not set.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The gold standard: a segmented corpus in the PKU or SIGHAN format.
    #[arg(long)]
    pub input: PathBuf,
    /// Score only every Nth line (0-based number N-1 modulo N), as `train-segmenter
    /// --hold-out N` held out; the other lines count as the training corpus for the
    /// out-of-vocabulary recall.
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..))]
    pub hold_out: Option<u32>,
    /// The corpus the model was trained on, whose words (with the dictionary's) are in the
    /// vocabulary for the out-of-vocabulary recall.
    #[arg(long)]
    pub train: Option<PathBuf>,
    /// The texts' script, as a request's `script`.
    #[arg(long, value_enum, default_value_t = ScriptArg::Simplified)]
    pub script: ScriptArg,
    /// Skip malformed lines (and report how many) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

/// A script on the command line (see `Script`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScriptArg {
    /// As the texts are.
    Simplified,
    /// Traditional: read in Simplified form.
    Traditional,
    /// Detected per text.
    Auto,
}

impl From<ScriptArg> for Script {
    fn from(script: ScriptArg) -> Self {
        match script {
            ScriptArg::Simplified => Script::Simplified,
            ScriptArg::Traditional => Script::Traditional,
            ScriptArg::Auto => Script::Auto,
        }
    }
}

impl std::fmt::Display for ScriptArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScriptArg::Simplified => "simplified",
            ScriptArg::Traditional => "traditional",
            ScriptArg::Auto => "auto",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(args).map(Cli::into_command)
    }

    #[test]
    fn bare_and_serve_forms_both_serve() {
        for args in [
            &["textanalysis", "--addr", "127.0.0.1:1"][..],
            &["textanalysis", "serve", "--addr", "127.0.0.1:1"],
        ] {
            let Ok(Command::Serve(serve)) = parse(args) else {
                panic!("{args:?}")
            };
            assert_eq!(serve.addr.to_string(), "127.0.0.1:1");
        }
    }

    /// The defaults of the flags are the defaults of what they set: the server's `Settings`
    /// (limits, connections, budget), the analyzer's configuration, and both trainings'. A flag
    /// whose default drifts from the `Default` the tests and the fuzzer run on fails here.
    #[test]
    fn every_default_is_the_one_of_what_it_sets() {
        let Ok(Command::Serve(serve)) = parse(&["textanalysis"]) else {
            panic!("serves by default")
        };
        let settings = serve.settings().unwrap();
        assert_eq!(
            format!("{settings:?}"),
            format!("{:?}", Settings::default())
        );
        assert_eq!(
            format!("{:?}", serve.analyzer_config()),
            format!("{:?}", AnalyzerConfig::default())
        );
        let Ok(Command::Train(train)) =
            parse(&["textanalysis", "train", "--input", "x", "--output", "y"])
        else {
            panic!("train")
        };
        assert_eq!(train.config(), TrainConfig::default());
        let Ok(Command::TrainSegmenter(segmenter)) = parse(&[
            "textanalysis",
            "train-segmenter",
            "--input",
            "x",
            "--output",
            "y",
        ]) else {
            panic!("train-segmenter")
        };
        assert_eq!(segmenter.config(), SegmenterTrainConfig::default());
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["textanalysis", "--addr", "nowhere"][..],
            &["textanalysis", "--max-text-chars", "0"],
            &["textanalysis", "--workers", "-1"],
            &["textanalysis", "--log-format", "xml"],
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
