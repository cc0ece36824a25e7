//! The tenant's profile measured beside the default profile: by `benches/core.rs`'s `profile_`
//! group and the examples in `bench/`.

use textanalysis::core::Analyzer;
use textanalysis::core::word_edits::{WordEdits, WordEntry};

/// The analyzer of a tenant's profile beside `default`: 1,000 words of its own (`TENANT_WORDS`
/// to change it), compounds of two built-in words, every tenth without a frequency, as
/// `bench/profiles.sh` makes them.
pub(crate) fn tenant(default: &Analyzer) -> Analyzer {
    let two: Vec<&str> = include_str!("../data/jieba/dict.txt")
        .lines()
        .filter_map(|l| l.split_ascii_whitespace().next())
        .filter(|w| w.chars().count() == 2)
        .collect();
    let mut edits = WordEdits::default();
    let n: usize = std::env::var("TENANT_WORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    edits.add((0..n).map(|k| WordEntry {
        word: format!(
            "{}{}",
            two[k * 7919 % two.len()],
            two[k * 104_729 % two.len()]
        ),
        freq: (k % 10 != 0).then_some(10 + k as u64 % 90),
        tag: Some("nz".to_owned()),
    }));
    Analyzer::build(std::sync::Arc::clone(default.sources()), &edits, 1)
}
