//! `train-segmenter` and `eval-segmenter`: training a segmentation model on a segmented corpus
//! and scoring one against a gold standard.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::CommandError;
use crate::config::{EvalSegmenterArgs, TrainSegmenterArgs};
use crate::core::accurate::{
    DevRecord, LoadedSegmenter, SegmentationScores, SegmenterModel, SegmenterProgress, Sentence,
    read_corpus, segmenter_content_hash,
};
use crate::core::{Analyzer, AnalyzerConfig, Script, write_atomically};

/// The lines of a corpus split by `hold_out`: those whose 0-based number is `n - 1` modulo `n`
/// held out, the rest kept; all kept without it.
fn split(
    sentences: Vec<(usize, Sentence)>,
    hold_out: Option<u32>,
) -> (Vec<Sentence>, Vec<Sentence>) {
    let mut kept = Vec::with_capacity(sentences.len());
    let mut held = Vec::new();
    for (line, sentence) in sentences {
        match hold_out {
            Some(n) if line % n as usize == n as usize - 1 => held.push(sentence),
            _ => kept.push(sentence),
        }
    }
    (kept, held)
}

/// The words of `sentences`.
fn words_of(sentences: &[Sentence]) -> HashSet<String> {
    sentences
        .iter()
        .flat_map(|s| s.words.iter().cloned())
        .collect()
}

/// Scores `model` on `gold`, a word being in the vocabulary when the analyzer's dictionary or
/// `known` holds it.
fn score(
    analyzer: &Analyzer,
    model: &SegmenterModel,
    gold: &[Sentence],
    known: &HashSet<String>,
    script: Script,
) -> SegmentationScores {
    analyzer.evaluate_segmenter(model, gold, script, |w| {
        known.contains(w) || analyzer.has_word(w)
    })
}

/// Trains a segmentation model as `args` say, reporting progress on standard error (a bar on a
/// terminal, a line per pass always), scores it on the dev set if there is one, and writes it
/// atomically.
pub fn train_segmenter(args: &TrainSegmenterArgs) -> Result<SegmenterModel, CommandError> {
    let started = Instant::now();
    let mut log = std::io::stderr();
    let corpus = read_corpus(&args.input, args.skip_bad_lines)?;
    let (train, mut dev) = split(corpus.sentences, args.hold_out);
    if let Some(path) = &args.dev {
        dev = read_corpus(path, args.skip_bad_lines)?
            .sentences
            .into_iter()
            .map(|(_, s)| s)
            .collect();
    }
    let _ = writeln!(
        log,
        "read {} sentences from {} ({}{}); training on {}, {} held out",
        train.len() + if args.dev.is_some() { 0 } else { dev.len() },
        args.input.display(),
        if corpus.tagged {
            "PKU format: words and tags"
        } else {
            "SIGHAN format: words"
        },
        if corpus.skipped > 0 {
            format!(", {} malformed lines skipped", corpus.skipped)
        } else {
            String::new()
        },
        train.len(),
        dev.len()
    );
    let analyzer = Analyzer::new(&AnalyzerConfig::default())?;
    let config = args.config();
    let passes = u64::from(config.epochs)
        + if corpus.tagged {
            u64::from(config.tag_epochs)
        } else {
            0
        };
    let bar = ProgressBar::new(passes * train.len() as u64).with_style(
        ProgressStyle::with_template("{msg:28} [{bar:32}] {percent:>3}% {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut finished = 0u64;
    let mut model = analyzer.train_segmenter(&train, &config, |p: &SegmenterProgress| {
        bar.set_message(format!("{} pass {}/{}", p.stage, p.epoch, p.epochs));
        bar.set_position(finished + p.done as u64);
        if p.done == p.total {
            finished += p.total as u64;
            bar.suspend(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "{} pass {}/{}: {} {} wrong ({:.1} s)",
                    p.stage,
                    p.epoch,
                    p.epochs,
                    p.errors,
                    if p.stage == "tagging" {
                        "words"
                    } else {
                        "characters"
                    },
                    started.elapsed().as_secs_f64()
                );
            });
        }
    })?;
    bar.finish_and_clear();
    if !dev.is_empty() {
        let scores = score(
            &analyzer,
            &model,
            &dev,
            &words_of(&train),
            Script::Simplified,
        );
        let _ = write!(log, "held out:\n{scores}");
        model.set_dev(DevRecord {
            sentences: scores.sentences,
            f1: scores.f1(),
            oov_recall: scores.oov_recall(),
            pos_accuracy: scores.pos_accuracy(),
        });
    }
    let bytes = model.to_bytes();
    write_atomically(&args.output, &bytes).map_err(|source| CommandError::Write {
        path: args.output.display().to_string(),
        source,
    })?;
    let header = model.header();
    let _ = writeln!(
        log,
        "wrote {} ({} segmentation features, {} tagging features, {} tags; {} bytes; content hash {}) in {:.1} s",
        args.output.display(),
        header.segment_features,
        header.tag_features,
        header.tags.len(),
        bytes.len(),
        segmenter_content_hash(&bytes),
        started.elapsed().as_secs_f64()
    );
    Ok(model)
}

/// Reads the model `path` names, or gives the built-in one.
fn load(path: Option<&Path>) -> Result<LoadedSegmenter, CommandError> {
    Ok(match path {
        Some(path) => LoadedSegmenter::from_file(path)?,
        None => LoadedSegmenter::builtin()?,
    })
}

/// Scores a segmentation model on a gold corpus and writes the report to `out`.
pub fn eval_segmenter(args: &EvalSegmenterArgs, out: &mut impl Write) -> Result<(), CommandError> {
    let loaded = load(args.model.as_deref())?;
    let corpus = read_corpus(&args.input, args.skip_bad_lines)?;
    let (rest, held) = split(corpus.sentences, args.hold_out);
    let (gold, mut known) = match args.hold_out {
        Some(_) => {
            let known = words_of(&rest);
            (held, known)
        }
        None => (rest, HashSet::new()),
    };
    if let Some(path) = &args.train {
        let train = read_corpus(path, args.skip_bad_lines)?;
        known.extend(
            train
                .sentences
                .into_iter()
                .flat_map(|(_, s)| s.words.into_iter()),
        );
    }
    if gold.is_empty() {
        return Err(CommandError::NoExamples(args.input.display().to_string()));
    }
    let analyzer = Analyzer::new(&AnalyzerConfig::default())?;
    let started = Instant::now();
    let model = loaded.model();
    let scores = score(&analyzer, model, &gold, &known, args.script.into());
    let seconds = started.elapsed().as_secs_f64();
    let bytes: usize = gold
        .iter()
        .map(|s| s.words.iter().map(String::len).sum::<usize>())
        .sum();
    let _ = writeln!(
        out,
        "model: {} (content hash {})",
        loaded.source(),
        loaded.content_hash()
    );
    let _ = writeln!(
        out,
        "input: {}{}",
        args.input.display(),
        args.hold_out
            .map(|n| format!(" (lines {} modulo {n})", n - 1))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "script: {}", args.script);
    if corpus.skipped > 0 {
        let _ = writeln!(out, "malformed lines skipped: {}", corpus.skipped);
    }
    let _ = write!(out, "{scores}");
    let _ = writeln!(
        out,
        "time: {seconds:.2} s for {bytes} bytes, with tags and scoring"
    );
    Ok(())
}
