//! Command line and environment configuration (`TEXTANALYSIS_*`), validated before binding.

mod serve;
mod tools;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

pub use serve::ServeArgs;
pub use tools::{
    EvalArgs, EvalSegmenterArgs, HealthArgs, ScriptArg, TrainArgs, TrainSegmenterArgs,
};

use crate::core::LoadError;
use crate::edge::TokenError;

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
    /// Print the OpenAPI 3 document of the HTTP/JSON API (the one served at /v1/openapi.json),
    /// generated from the proto.
    Openapi,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::AnalyzerConfig;
    use crate::core::accurate::SegmenterTrainConfig;
    use crate::core::classify::TrainConfig;
    use crate::server::Settings;

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
