//! TextRank, as `jieba.analyse.textrank`: an undirected graph of candidate words that occur
//! within a window of five tokens, ranked by ten Gauss-Seidel sweeps in sorted word order, then
//! scaled so the best word has weight 1.0.

use std::collections::HashMap;

use super::{CandidateFilter, sort_best_first};
use crate::core::Token;

/// Tokens `i + 1 .. i + SPAN` are `i`'s neighbours.
const SPAN: usize = 5;
const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 10;

/// Every word in the co-occurrence graph with its scaled rank, best first.
pub(super) fn rank<'t>(tokens: &[Token<'t>], filter: &CandidateFilter<'_>) -> Vec<(&'t str, f64)> {
    let candidate: Vec<bool> = tokens.iter().map(|t| filter.accepts(t)).collect();

    // Co-occurrence counts of ordered word pairs, in order of first occurrence.
    let mut pair_index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut pairs: Vec<((&'t str, &'t str), f64)> = Vec::new();
    for i in (0..tokens.len()).filter(|&i| candidate[i]) {
        for j in (i + 1..(i + SPAN).min(tokens.len())).filter(|&j| candidate[j]) {
            let key = (tokens[i].word, tokens[j].word);
            let slot = *pair_index.entry(key).or_insert_with(|| {
                pairs.push((key, 0.0));
                pairs.len() - 1
            });
            pairs[slot].1 += 1.0;
        }
    }

    // The graph: nodes in order of insertion, each edge stored at both ends.
    let mut node_index: HashMap<&str, usize> = HashMap::new();
    let mut nodes: Vec<&'t str> = Vec::new();
    let mut edges: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut node = |word: &'t str, edges: &mut Vec<Vec<(usize, f64)>>| {
        *node_index.entry(word).or_insert_with(|| {
            nodes.push(word);
            edges.push(Vec::new());
            nodes.len() - 1
        })
    };
    for &((from, to), weight) in &pairs {
        let a = node(from, &mut edges);
        let b = node(to, &mut edges);
        edges[a].push((b, weight));
        edges[b].push((a, weight));
    }
    if nodes.is_empty() {
        return Vec::new();
    }

    let out_sum: Vec<f64> = edges
        .iter()
        .map(|out| out.iter().map(|(_, w)| w).sum())
        .collect();
    let mut scores = vec![1.0 / nodes.len() as f64; nodes.len()];
    let mut sweep_order: Vec<usize> = (0..nodes.len()).collect();
    sweep_order.sort_by_key(|&n| nodes[n]);
    for _ in 0..ITERATIONS {
        for &n in &sweep_order {
            let s: f64 = edges[n]
                .iter()
                .fold(0.0, |s, &(m, w)| s + w / out_sum[m] * scores[m]);
            scores[n] = (1.0 - DAMPING) + DAMPING * s;
        }
    }

    // Python starts from sys.float_info.max and sys.float_info.min.
    let (min, max) = scores
        .iter()
        .fold((f64::MAX, f64::MIN_POSITIVE), |(lo, hi), &s| {
            (lo.min(s), hi.max(s))
        });
    let mut ranked: Vec<(&'t str, f64)> = nodes
        .iter()
        .zip(&scores)
        .map(|(&word, &s)| (word, (s - min / 10.0) / (max - min / 10.0)))
        .collect();
    sort_best_first(&mut ranked);
    ranked
}
