//! Precise segmentation on a tenant's profile beside the default profile, by time, in one
//! process: batches of calls on one and then the other, in turn, so that whatever the machine
//! does meanwhile falls on both alike; prints the median time a call of each and their ratio
//! (the tenant's speed to the default's). Criterion's `profile_` group times each in a run of
//! its own, seconds apart, which on a shared machine moved the ratio by a third.
//!
//! Usage: `cargo run --release --example side_by_side -- [FILE] [BATCHES]`: the text of FILE
//! (default: the ~100-character review of `benches/core.rs`), 200 batches of 10 calls
//! (`BATCH` to change the size); the tenant as `bench/shared.rs` makes it.

use std::process::ExitCode;
use std::time::Instant;

use textanalysis::core::{Analyzer, AnalyzerConfig, Deadline, SegmentMode, SegmentOptions};

#[path = "shared.rs"]
mod shared;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = match args.first() {
        Some(file) => match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        },
        None => shared::review()
            .expect("a review of about 100 characters")
            .to_owned(),
    };
    let parse = |v: Option<String>, or| v.and_then(|v| v.parse().ok()).unwrap_or(or);
    let batches: usize = parse(args.get(1).cloned(), 200).max(1);
    let batch: usize = parse(std::env::var("BATCH").ok(), 10).max(1);
    let default = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    let tenant = shared::tenant(&default);
    let options = SegmentOptions {
        mode: SegmentMode::Precise,
        hmm: true,
        with_pos: false,
    };
    // A batch's time a call.
    let time = |analyzer: &Analyzer| {
        let start = Instant::now();
        for _ in 0..batch {
            let tokens = analyzer.segment(std::hint::black_box(&text), &options, Deadline::NONE);
            std::hint::black_box(tokens.expect("the text is segmented"));
        }
        start.elapsed().as_secs_f64() / batch as f64
    };
    // Warm up both: what a first call makes once (the built-in words' index, the HMM).
    time(&default);
    time(&tenant);
    let (mut d, mut t) = (Vec::with_capacity(batches), Vec::with_capacity(batches));
    for _ in 0..batches {
        d.push(time(&default));
        t.push(time(&tenant));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (d, t) = (median(&mut d), median(&mut t));
    println!(
        "{} characters, {batches} batches of {batch}: default {:.2} µs, tenant {:.2} µs a call; \
         tenant's speed {:.3}x the default's",
        text.chars().count(),
        d * 1e6,
        t * 1e6,
        d / t
    );
    ExitCode::SUCCESS
}
