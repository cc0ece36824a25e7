//! Keyword extraction over an already tagged text, one algorithm a file, each a faithful port of
//! Python jieba 0.42.1's `jieba.analyse` so weights and ties come out the same.

mod textrank;
mod tfidf;

use super::{IdfTable, StopWords, Token};

/// jieba's default `allowPOS` for TextRank: place names, nouns, verbal nouns and verbs.
pub(crate) const DEFAULT_TEXTRANK_POS: [&str; 4] = ["ns", "n", "vn", "v"];

/// Whose words keywords are ranked over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Segmenter {
    /// jieba's precise mode, as Python jieba's keyword extractors read it.
    #[default]
    Jieba,
    /// The trained segmenter's.
    Accurate,
}

/// How keywords are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeywordMethod {
    /// Term frequency times inverse document frequency (`jieba.analyse.extract_tags`).
    #[default]
    TfIdf,
    /// Co-occurrence graph ranking (`jieba.analyse.textrank`), best scaled to 1.0.
    TextRank,
}

/// What keywords to extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordOptions {
    /// The ranking algorithm.
    pub method: KeywordMethod,
    /// The most keywords to return.
    pub top_k: usize,
    /// Candidate words must carry one of these tags; empty means any tag for TF-IDF and
    /// [`DEFAULT_TEXTRANK_POS`] for TextRank.
    pub allowed_pos: Vec<String>,
    /// Whose words are ranked: jieba's (as Python's `jieba.analyse`) or the accurate
    /// segmenter's (with jieba's IDF table and stop words; a word missing from the table gets
    /// its median IDF, as jieba does).
    pub segmenter: Segmenter,
}

impl Default for KeywordOptions {
    fn default() -> Self {
        Self {
            method: KeywordMethod::TfIdf,
            top_k: 20,
            allowed_pos: Vec::new(),
            segmenter: Segmenter::Jieba,
        }
    }
}

/// A keyword with its score; higher is better.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword {
    /// The word.
    pub word: String,
    /// Its TF-IDF value, or its TextRank rank scaled so the best is 1.0.
    pub weight: f64,
}

/// Extracts keywords from `tokens`, the tagged precise-mode segmentation (HMM on) of a text.
pub(crate) fn extract(
    tokens: &[Token<'_>],
    options: &KeywordOptions,
    idf: &IdfTable,
    stop_words: &StopWords,
) -> Vec<Keyword> {
    let filter = CandidateFilter {
        allowed_pos: &options.allowed_pos,
        stop_words,
    };
    let mut ranked = match options.method {
        KeywordMethod::TfIdf => tfidf::rank(tokens, &filter, idf),
        KeywordMethod::TextRank => {
            let defaults: Vec<String> = DEFAULT_TEXTRANK_POS.map(String::from).to_vec();
            let filter = if options.allowed_pos.is_empty() {
                CandidateFilter {
                    allowed_pos: &defaults,
                    ..filter
                }
            } else {
                filter
            };
            textrank::rank(tokens, &filter)
        }
    };
    ranked.truncate(options.top_k);
    ranked
        .into_iter()
        .map(|(word, weight)| Keyword {
            word: word.to_owned(),
            weight,
        })
        .collect()
}

/// Which tokens may become keywords: jieba's `allowPOS` test plus its word test (at least two
/// characters once surrounding white space is stripped, and not a stop word).
#[derive(Clone, Copy)]
struct CandidateFilter<'a> {
    allowed_pos: &'a [String],
    stop_words: &'a StopWords,
}

impl CandidateFilter<'_> {
    fn accepts(&self, token: &Token<'_>) -> bool {
        let tag_ok = self.allowed_pos.is_empty()
            || token
                .pos
                .is_some_and(|pos| self.allowed_pos.iter().any(|p| p == pos));
        tag_ok
            && token.word.trim().chars().nth(1).is_some()
            && !self.stop_words.contains(token.word)
    }
}

/// Sorts `(word, weight)` pairs best first. The sort is stable, so equal weights keep the order
/// they came in, which is the order Python's dict kept and `sorted(..., reverse=True)` keeps.
fn sort_best_first(ranked: &mut [(&str, f64)]) {
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
}
