//! TF-IDF, as `jieba.analyse.extract_tags`.

use std::collections::HashMap;

use super::{CandidateFilter, sort_best_first};
use crate::core::{IdfTable, Token};

/// Every candidate word with its TF-IDF weight, best first.
pub(super) fn rank<'t>(
    tokens: &[Token<'t>],
    filter: &CandidateFilter<'_>,
    idf: &IdfTable,
) -> Vec<(&'t str, f64)> {
    // Counts in order of first occurrence, as Python's dict keeps them.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut counts: Vec<(&'t str, f64)> = Vec::new();
    for token in tokens.iter().filter(|t| filter.accepts(t)) {
        let slot = *index.entry(token.word).or_insert_with(|| {
            counts.push((token.word, 0.0));
            counts.len() - 1
        });
        counts[slot].1 += 1.0;
    }
    let total: f64 = counts.iter().map(|(_, n)| n).sum();
    for (word, weight) in &mut counts {
        // Python: freq[k] *= idf / total, in that order of operations.
        *weight *= idf.get(word) / total;
    }
    sort_best_first(&mut counts);
    counts
}
