//! The flags of the subcommands that are not the server: `health`, `train`, `eval`,
//! `train-segmenter`, `eval-segmenter`.

use std::path::PathBuf;

use clap::Args;

use crate::core::Script;
use crate::core::accurate::SegmenterTrainConfig;
use crate::core::classify::{FeatureSpec, TrainConfig};

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
