//! What the examples in `bench/` and `benches/core.rs`'s `profile_` group measure alike: the
//! tenant's profile beside the default profile, and the ~100-character review.

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

/// The first review of `data/sentiment/dev.tsv` of 90 to 110 characters (the one
/// `benches/core.rs` calls "short").
#[allow(dead_code)] // `benches/core.rs` reads its texts from files.
pub(crate) fn review() -> Option<&'static str> {
    include_str!("../data/sentiment/dev.tsv")
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t))
        .find(|t| (90..=110).contains(&t.chars().count()))
}
