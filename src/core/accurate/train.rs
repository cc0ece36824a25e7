//! Training a segmentation model: an averaged structured perceptron over the four position
//! tags, and, for a tagged corpus, an averaged perceptron tagging words left to right.
//!
//! Weights move by whole units, so training is integer arithmetic: the same corpus, settings
//! and seed give the same model, byte for byte, on any machine. Averaging uses the usual
//! trick: beside each weight `w`, a sum `u` of each update times the count of sentences seen
//! when it was made; the average is `w - u / c`.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::corpus::Sentence;
use super::decode::{Lattice, tags_of_lengths, viterbi};
use super::features::{MAX_VOCABULARY, Prepared, TEMPLATES, Vocabulary, normalize_into};
use super::model::{Parts, SegmenterHeader, SegmenterModel, SegmenterTrainingRecord};
use super::tagger::{EDGE_TAG, HISTORY_TEMPLATES, WORD_TEMPLATES, Words, best_tag};
use super::{Dictionary, note_dictionary_words_if};
use crate::core::builtin::BUILTIN_DICT_SHA256;
use crate::core::split_mix::SplitMix;

/// How to train a segmentation model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmenterTrainConfig {
    /// Passes of the segmentation perceptron over the sentences.
    pub epochs: u32,
    /// Passes of the tagging perceptron (a tagged corpus only).
    pub tag_epochs: u32,
    /// Seed of the sentence order and of the dictionary dropout.
    pub seed: u64,
    /// How many of every thousand occurrences of dictionary words in the corpus are hidden from
    /// the model while training (see `train_segmentation`).
    pub dictionary_dropout: u32,
    /// Averaged weights smaller than this (in updates) are dropped: on the PKU dev split,
    /// dropping those under 1 kept F1 within 0.0002 and halved the model, and a serving
    /// lookup that misses the cache less often is faster.
    pub min_weight: f32,
}

impl Default for SegmenterTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 15,
            tag_epochs: 8,
            seed: 1,
            dictionary_dropout: 80,
            min_weight: 1.0,
        }
    }
}

/// What training is doing, for a progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmenterProgress {
    /// `"segmentation"` or `"tagging"`.
    pub stage: &'static str,
    /// The pass, from 1.
    pub epoch: u32,
    /// Passes in this stage.
    pub epochs: u32,
    /// Sentences done in this pass.
    pub done: usize,
    /// Sentences in a pass.
    pub total: usize,
    /// Characters (segmentation) or words (tagging) the model got wrong so far in this pass.
    pub errors: usize,
}

/// Why a segmentation model cannot be trained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmenterTrainError {
    /// No sentences.
    #[error("no sentences to train on")]
    Empty,
    /// Too many distinct characters.
    #[error("the corpus has {0} distinct characters; a model holds at most {MAX_VOCABULARY}")]
    Vocabulary(usize),
    /// Too many distinct tags.
    #[error("the corpus has {0} distinct tags; a model holds at most 250")]
    Tags(usize),
    /// Zero passes.
    #[error("epochs must be at least 1")]
    Epochs,
    /// The trained weights do not make a model (a bug).
    #[error("the trained weights do not make a model: {0}")]
    Model(String),
}

/// Feature indices by key, assigned in order of first sight.
#[derive(Default)]
struct Index(FxHashMap<u64, u32>);

impl Index {
    fn of(&mut self, key: u64) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(key).or_insert(next)
    }

    /// The keys, by index.
    fn keys(&self) -> Vec<u64> {
        let mut keys = vec![0; self.0.len()];
        for (&key, &i) in &self.0 {
            keys[i as usize] = key;
        }
        keys
    }
}

/// Integer weights and their averaging sums.
struct Averaged {
    w: Vec<i32>,
    u: Vec<i64>,
}

impl Averaged {
    fn new(len: usize) -> Self {
        Self {
            w: vec![0; len],
            u: vec![0; len],
        }
    }

    fn grow(&mut self, len: usize) {
        if self.w.len() < len {
            self.w.resize(len, 0);
            self.u.resize(len, 0);
        }
    }

    #[inline]
    fn update(&mut self, at: usize, by: i32, count: i64) {
        self.w[at] += by;
        self.u[at] += i64::from(by) * count;
    }

    fn average(&self, at: usize, count: i64) -> f32 {
        (f64::from(self.w[at]) - self.u[at] as f64 / count as f64) as f32
    }
}

/// Trains a model on `sentences` with `dictionary`'s words as features, reporting progress.
pub(crate) fn train_segmenter(
    sentences: &[Sentence],
    dictionary: &Dictionary,
    config: &SegmenterTrainConfig,
    mut progress: impl FnMut(&SegmenterProgress),
) -> Result<SegmenterModel, SegmenterTrainError> {
    if sentences.is_empty() {
        return Err(SegmenterTrainError::Empty);
    }
    if config.epochs == 0 {
        return Err(SegmenterTrainError::Epochs);
    }
    let mut chars: Vec<char> = Vec::new();
    for s in sentences {
        for w in &s.words {
            normalize_into(w, &mut chars);
        }
        if chars.len() > 1 << 20 {
            chars.sort_unstable();
            chars.dedup();
        }
    }
    chars.sort_unstable();
    chars.dedup();
    if chars.len() > MAX_VOCABULARY {
        return Err(SegmenterTrainError::Vocabulary(chars.len()));
    }
    let vocabulary = Vocabulary::new(chars.clone());
    let tagged = sentences.iter().all(|s| s.tags.len() == s.words.len());
    let mut tag_names: Vec<String> = if tagged {
        sentences
            .iter()
            .flat_map(|s| s.tags.iter().cloned())
            .collect()
    } else {
        Vec::new()
    };
    tag_names.sort_unstable();
    tag_names.dedup();
    if tag_names.len() > 250 {
        return Err(SegmenterTrainError::Tags(tag_names.len()));
    }

    let (segment, transitions, characters) =
        train_segmentation(sentences, dictionary, &vocabulary, config, &mut progress);
    let tagging = if tagged && config.tag_epochs > 0 {
        train_tagging(sentences, &tag_names, config, &mut progress)
    } else {
        tag_names.clear();
        Vec::new()
    };
    let header = SegmenterHeader {
        feature_set: 0,
        characters: 0,
        segment_features: 0,
        tags: tag_names,
        tag_features: 0,
        tag_entries: 0,
        segment_scale: 0.0,
        tag_scale: 0.0,
        training: SegmenterTrainingRecord {
            sentences: sentences.len(),
            characters,
            epochs: config.epochs,
            tag_epochs: if tagged { config.tag_epochs } else { 0 },
            seed: config.seed,
            dictionary_dropout: config.dictionary_dropout,
            min_weight: config.min_weight,
            dictionary: BUILTIN_DICT_SHA256.to_owned(),
        },
        dev: None,
    };
    SegmenterModel::from_parts(
        header,
        Parts {
            chars,
            segment,
            transitions,
            tagging,
        },
    )
    .map_err(|e| SegmenterTrainError::Model(e.to_string()))
}

type SegmentWeights = (Vec<(u64, [f32; 4])>, [[f32; 4]; 4], usize);

/// The segmentation perceptron: every position's feature indices are found once, then each
/// pass decodes each sentence with the current weights and moves them towards the gold tags
/// where it went wrong.
fn train_segmentation(
    sentences: &[Sentence],
    dictionary: &Dictionary,
    vocabulary: &Vocabulary,
    config: &SegmenterTrainConfig,
    progress: &mut impl FnMut(&SegmenterProgress),
) -> SegmentWeights {
    let mut index = Index::default();
    let mut features: Vec<u32> = Vec::new();
    let mut gold: Vec<u8> = Vec::new();
    let mut starts: Vec<usize> = vec![0];
    let mut prepared = Prepared::default();
    let (mut normalized, mut text) = (Vec::new(), String::new());
    let mut keys = [0u64; TEMPLATES];
    for (n, s) in sentences.iter().enumerate() {
        normalized.clear();
        for w in &s.words {
            normalize_into(w, &mut normalized);
        }
        prepared.fill(vocabulary, &normalized);
        // Each occurrence of a dictionary word is dropped with the same chance, decided by a
        // hash of where it is, so the model learns not to trust the dictionary blindly: the
        // words it will meet that are in neither the corpus nor the dictionary often hold
        // dictionary words that are not theirs (`南苑` in `南苑乡`).
        note_dictionary_words_if(
            dictionary,
            &normalized,
            &mut text,
            &mut prepared.dict,
            |start, end| {
                let place = (n as u64) << 24 ^ (start as u64) << 12 ^ end as u64;
                SplitMix(config.seed ^ place).next() % 1000 >= u64::from(config.dictionary_dropout)
            },
        );
        tags_of_lengths(s.words.iter().map(|w| w.chars().count()), &mut gold);
        for i in 0..prepared.len() {
            prepared.keys(i, &mut keys);
            features.extend(keys.iter().map(|&k| index.of(k)));
        }
        starts.push(gold.len());
    }
    let characters = gold.len();
    let n_features = index.0.len();
    let mut weights = Averaged::new(n_features * 4);
    let mut transitions = Averaged::new(16);
    let mut count: i64 = 1;
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    let mut rng = SplitMix(config.seed);
    let (mut emissions, mut predicted, mut lattice) = (Vec::new(), Vec::new(), Lattice::default());
    for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let mut errors = 0;
        for (done, &s) in order.iter().enumerate() {
            let (from, to) = (starts[s], starts[s + 1]);
            emissions.clear();
            for p in from..to {
                let mut e = [0i64; 4];
                for &f in &features[p * TEMPLATES..(p + 1) * TEMPLATES] {
                    let w = &weights.w[f as usize * 4..f as usize * 4 + 4];
                    for t in 0..4 {
                        e[t] += i64::from(w[t]);
                    }
                }
                emissions.push(e);
            }
            let mut trans = [[0i64; 4]; 4];
            for (a, row) in trans.iter_mut().enumerate() {
                for (b, t) in row.iter_mut().enumerate() {
                    *t = i64::from(transitions.w[a * 4 + b]);
                }
            }
            viterbi(&emissions, &trans, &[], &mut lattice, &mut predicted);
            let truth = &gold[from..to];
            for (i, (&g, &p)) in truth.iter().zip(&predicted).enumerate() {
                if g != p {
                    errors += 1;
                    for &f in &features[(from + i) * TEMPLATES..(from + i + 1) * TEMPLATES] {
                        weights.update(f as usize * 4 + g as usize, 1, count);
                        weights.update(f as usize * 4 + p as usize, -1, count);
                    }
                }
                if i > 0 && (truth[i - 1], g) != (predicted[i - 1], p) {
                    let at = |a: u8, b: u8| a as usize * 4 + b as usize;
                    transitions.update(at(truth[i - 1], g), 1, count);
                    transitions.update(at(predicted[i - 1], p), -1, count);
                }
            }
            count += 1;
            if done % 2000 == 1999 || done + 1 == sentences.len() {
                progress(&SegmenterProgress {
                    stage: "segmentation",
                    epoch,
                    epochs: config.epochs,
                    done: done + 1,
                    total: sentences.len(),
                    errors,
                });
            }
        }
    }
    let keys = index.keys();
    let mut segment: Vec<(u64, [f32; 4])> = (0..n_features)
        .filter_map(|f| {
            let w = [0, 1, 2, 3].map(|t| weights.average(f * 4 + t, count));
            w.iter()
                .any(|&x| x.abs() >= config.min_weight.max(f32::MIN_POSITIVE))
                .then_some((keys[f], w))
        })
        .collect();
    segment.sort_unstable_by_key(|e| e.0);
    let mut trans = [[0.0; 4]; 4];
    for (a, row) in trans.iter_mut().enumerate() {
        for (b, t) in row.iter_mut().enumerate() {
            *t = transitions.average(a * 4 + b, count);
        }
    }
    (segment, trans, characters)
}

/// The tagging perceptron: words tagged left to right, each from its features and the two tags
/// chosen before it (the model's own, as when serving).
fn train_tagging(
    sentences: &[Sentence],
    tag_names: &[String],
    config: &SegmenterTrainConfig,
    progress: &mut impl FnMut(&SegmenterProgress),
) -> Vec<(u64, Vec<(u32, f32)>)> {
    let tags = tag_names.len();
    let tag_of: FxHashMap<&str, u8> = tag_names
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i as u8))
        .collect();
    let mut index = Index::default();
    let mut features: Vec<u32> = Vec::new();
    let mut gold: Vec<u8> = Vec::new();
    let mut starts: Vec<usize> = vec![0];
    let mut words = Words::default();
    let mut keys = [0u64; WORD_TEMPLATES];
    let mut normalized: Vec<Vec<char>> = Vec::new();
    // The words' own features are found once; the history features as tags are chosen.
    let mut sentence_words: Vec<Words> = Vec::with_capacity(sentences.len());
    for s in sentences {
        normalized.clear();
        for w in &s.words {
            let mut chars = Vec::new();
            normalize_into(w, &mut chars);
            normalized.push(chars);
        }
        words.fill(normalized.iter().map(Vec::as_slice));
        for i in 0..words.len() {
            words.word_keys(i, &mut keys);
            features.extend(keys.iter().map(|&k| index.of(k)));
        }
        gold.extend(
            s.tags
                .iter()
                .map(|t| tag_of.get(t.as_str()).copied().unwrap_or(0)),
        );
        starts.push(gold.len());
        sentence_words.push(std::mem::take(&mut words));
    }
    let mut weights = Averaged::new(index.0.len() * tags);
    let mut count: i64 = 1;
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    let mut rng = SplitMix(config.seed ^ 0x7A66);
    let mut history = [0u64; HISTORY_TEMPLATES];
    let mut scores = vec![0i64; tags];
    let mut active: Vec<usize> = Vec::with_capacity(WORD_TEMPLATES + HISTORY_TEMPLATES);
    for epoch in 1..=config.tag_epochs {
        rng.shuffle(&mut order);
        let mut errors = 0;
        for (done, &s) in order.iter().enumerate() {
            let (from, to) = (starts[s], starts[s + 1]);
            let (mut prev, mut prev2) = (EDGE_TAG, EDGE_TAG);
            for i in 0..to - from {
                active.clear();
                active.extend(
                    features[(from + i) * WORD_TEMPLATES..(from + i + 1) * WORD_TEMPLATES]
                        .iter()
                        .map(|&f| f as usize),
                );
                sentence_words[s].history_keys(i, prev, prev2, &mut history);
                for &k in &history {
                    active.push(index.of(k) as usize);
                }
                weights.grow(index.0.len() * tags);
                scores.fill(0);
                for &f in &active {
                    for (t, score) in scores.iter_mut().enumerate() {
                        *score += i64::from(weights.w[f * tags + t]);
                    }
                }
                let best = best_tag(&scores);
                let truth = gold[from + i];
                if best != truth {
                    errors += 1;
                    for &f in &active {
                        weights.update(f * tags + truth as usize, 1, count);
                        weights.update(f * tags + best as usize, -1, count);
                    }
                }
                prev2 = prev;
                prev = best;
            }
            count += 1;
            if done % 2000 == 1999 || done + 1 == sentences.len() {
                progress(&SegmenterProgress {
                    stage: "tagging",
                    epoch,
                    epochs: config.tag_epochs,
                    done: done + 1,
                    total: sentences.len(),
                    errors,
                });
            }
        }
    }
    let keys = index.keys();
    let mut out: Vec<(u64, Vec<(u32, f32)>)> = (0..keys.len())
        .filter_map(|f| {
            let entries: Vec<(u32, f32)> = (0..tags)
                .filter_map(|t| {
                    let w = weights.average(f * tags + t, count);
                    (w.abs() >= config.min_weight.max(f32::MIN_POSITIVE)).then_some((t as u32, w))
                })
                .collect();
            (!entries.is_empty()).then_some((keys[f], entries))
        })
        .collect();
    out.sort_unstable_by_key(|e| e.0);
    out
}
