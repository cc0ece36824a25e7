//! The analysis core, call by call, for counting instructions with callgrind
//! (`bench/instructions.sh` runs it): builds the analyzer with the built-in data, then analyses
//! one ~100-character review (the one `benches/core.rs` calls "short") `N` + 1 times in the
//! way named.
//!
//! Usage: `[TEXT_FILE=PATH] instructions precise|pos|classify|tenant N` (`TEXT_FILE`: that
//! text in place of the review; `tenant`: precise segmentation on a
//! profile of 1,000 words of its own, compounds of two built-in words, as `benches/core.rs`'s
//! `profile_` group and `bench/profiles.sh` make them).

use std::process::ExitCode;

use textanalysis::core::{
    Analyzer, AnalyzerConfig, ClassifyOptions, Deadline, SegmentMode, SegmentOptions,
};

#[path = "shared.rs"]
mod shared;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(what), Some(Ok(n))) = (args.first(), args.get(1).map(|n| n.parse::<usize>())) else {
        eprintln!("usage: instructions precise|pos|classify|tenant N");
        return ExitCode::from(2);
    };
    let mut analyzer = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    if what == "tenant" {
        analyzer = shared::tenant(&analyzer);
    }
    let long = std::env::var("TEXT_FILE")
        .ok()
        .map(|f| std::fs::read_to_string(f).unwrap());
    let Some(review) = long.as_deref().or_else(|| shared::review()) else {
        eprintln!("no review of about 100 characters");
        return ExitCode::FAILURE;
    };
    let segment = |with_pos| SegmentOptions {
        mode: SegmentMode::Precise,
        hmm: true,
        with_pos,
    };
    let mut results = 0;
    // Once more than asked, first: what the first call makes once for all (the HMM of a
    // profile's own route, the classifier's buffers) is in the count of 0 calls too, so it
    // drops out of the difference the script takes.
    for _ in 0..=n {
        results += match what.as_str() {
            "precise" | "tenant" => analyzer
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
                eprintln!("unknown analysis `{what}`: precise, pos, classify or tenant");
                return ExitCode::from(2);
            }
        }
        .expect("the review is analysed");
    }
    println!("{results}");
    ExitCode::SUCCESS
}
