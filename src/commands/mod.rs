//! The subcommands that are not the server: `train` and `eval` (classification models, here)
//! and `train-segmenter` and `eval-segmenter` (segmentation models, in `segmenter`).

mod segmenter;

pub use segmenter::{eval_segmenter, train_segmenter};

use std::io::Write;
use std::time::Instant;

use crate::config::{EvalArgs, TrainArgs};
use crate::core::accurate::{CorpusError, SegmenterTrainError};
use crate::core::classify::{self, Model, TrainError};
use crate::core::{Analyzer, AnalyzerConfig, LoadError, write_atomically};

/// Why a command failed; every variant is the user's input or environment at fault.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// An input file could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The settings or the examples cannot train a model.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The input has no usable example.
    #[error("{0}: no examples")]
    NoExamples(String),
    /// A corpus could not be read.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// The corpus and settings cannot train a segmentation model.
    #[error(transparent)]
    TrainSegmenter(#[from] SegmenterTrainError),
    /// The model could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The model path.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Trains a model and writes it atomically ([`write_atomically`]), reporting progress on `log`.
pub fn train(args: &TrainArgs, log: &mut impl Write) -> Result<Model, CommandError> {
    let started = Instant::now();
    let read = classify::read_examples(&args.input, args.skip_bad_lines)?;
    if read.examples.is_empty() {
        return Err(CommandError::NoExamples(args.input.display().to_string()));
    }
    let _ = writeln!(
        log,
        "read {} examples from {}{}",
        read.examples.len(),
        args.input.display(),
        if read.skipped > 0 {
            format!(" ({} malformed lines skipped)", read.skipped)
        } else {
            String::new()
        }
    );
    let analyzer = Analyzer::new(&AnalyzerConfig::default())?;
    let config = args.config();
    let model = analyzer.train(&read.examples, &config, |p| {
        let _ = writeln!(
            log,
            "epoch {}/{}: loss {:.4}, training accuracy {:.4} ({:.1} s)",
            p.epoch,
            p.epochs,
            p.loss,
            p.accuracy,
            started.elapsed().as_secs_f64()
        );
    })?;
    let bytes = model.to_bytes();
    write_atomically(&args.output, &bytes).map_err(|source| CommandError::Write {
        path: args.output.display().to_string(),
        source,
    })?;
    let _ = writeln!(
        log,
        "wrote {} ({} labels: {}; {} bytes; content hash {}) in {:.1} s",
        args.output.display(),
        model.labels().len(),
        model.labels().join(", "),
        bytes.len(),
        classify::content_hash(&bytes),
        started.elapsed().as_secs_f64()
    );
    Ok(model)
}

/// Evaluates a model file on labelled texts and writes the report to `out`.
pub fn eval(args: &EvalArgs, out: &mut impl Write) -> Result<(), CommandError> {
    let bytes = std::fs::read(&args.model).map_err(|source| LoadError::Io {
        path: args.model.clone(),
        source,
    })?;
    let model = Model::from_bytes(&bytes).map_err(|e| LoadError::Model {
        path: args.model.clone(),
        reason: e.to_string(),
    })?;
    let read = classify::read_examples(&args.input, args.skip_bad_lines)?;
    if read.examples.is_empty() {
        return Err(CommandError::NoExamples(args.input.display().to_string()));
    }
    let analyzer = Analyzer::new(&AnalyzerConfig::default())?;
    let evaluation = analyzer.evaluate(&model, &read.examples, args.script.into());
    let _ = writeln!(
        out,
        "model: {} (content hash {})",
        args.model.display(),
        classify::content_hash(&bytes)
    );
    let _ = writeln!(out, "input: {}", args.input.display());
    let _ = writeln!(out, "script: {}", args.script);
    if read.skipped > 0 {
        let _ = writeln!(out, "malformed lines skipped: {}", read.skipped);
    }
    let _ = write!(out, "{evaluation}");
    Ok(())
}
