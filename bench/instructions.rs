//! The analysis core, call by call, for counting instructions with callgrind
//! (`bench/instructions.sh` runs it): builds the analyzer with the built-in data, then analyses
//! one ~100-character review (the one `benches/core.rs` calls "short") `N` times in the way
//! named.
//!
//! Usage: `instructions precise|pos|classify N`.

use std::process::ExitCode;

use textanalysis::core::{
    Analyzer, AnalyzerConfig, ClassifyOptions, Deadline, SegmentMode, SegmentOptions,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(what), Some(Ok(n))) = (args.first(), args.get(1).map(|n| n.parse::<usize>())) else {
        eprintln!("usage: instructions precise|pos|classify N");
        return ExitCode::from(2);
    };
    let analyzer = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    let reviews = include_str!("../data/sentiment/dev.tsv");
    let Some(review) = reviews
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t))
        .find(|t| (90..=110).contains(&t.chars().count()))
    else {
        eprintln!("no review of about 100 characters");
        return ExitCode::FAILURE;
    };
    let segment = |with_pos| SegmentOptions {
        mode: SegmentMode::Precise,
        hmm: true,
        with_pos,
    };
    let mut results = 0;
    for _ in 0..n {
        results += match what.as_str() {
            "precise" => analyzer
                .segment(review, &segment(false), Deadline::NONE)
                .map(|t| t.len())
                .ok(),
            "pos" => analyzer
                .segment(review, &segment(true), Deadline::NONE)
                .map(|t| t.len())
                .ok(),
            "classify" => analyzer
                .classify(review, &ClassifyOptions::default(), Deadline::NONE)
                .map(|c| c.labels.len())
                .ok(),
            _ => {
                eprintln!("unknown analysis `{what}`: precise, pos or classify");
                return ExitCode::from(2);
            }
        }
        .expect("the review is analysed");
    }
    println!("{results}");
    ExitCode::SUCCESS
}
