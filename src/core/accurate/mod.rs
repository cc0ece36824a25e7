//! The accurate segmenter: a trained character-tagging model (`ACCURATE`), beside jieba's
//! modes, for words as a reader would draw them.
//!
//! Each character gets one of four tags (`B`egins, is `M`iddle of, `E`nds a word, or is a
//! `S`ingle-character word) from an averaged structured perceptron ([`train`]) over the
//! characters in a window of two either side, their classes, and what the serving dictionary
//! says of the position (the longest word starting, ending and running through it). Words are
//! then tagged with their part of speech by a second perceptron, left to right. The model is
//! trained by `textanalysis train-segmenter` on a segmented corpus (the built-in one on
//! People's Daily, January 1998, in the PKU standard).
//!
//! Characters are read in a normalised form ([`chars`]) so that full-width and half-width
//! digits and letters are alike; words are slices of the text as sent. A user's words are kept
//! whole ([`UserWords`]).

mod chars;
mod corpus;
mod decode;
mod eval;
mod features;
mod loaded;
mod model;
mod sentences;
mod table;
mod tagger;
mod train;
mod user_words;
mod weights;

use std::cell::RefCell;

pub use corpus::{Corpus, CorpusError, Sentence, parse_corpus, read_corpus};
pub use eval::SegmentationScores;
pub use loaded::{LoadedSegmenter, SEGMENTER_NAME};
pub use model::{
    DevRecord, SEGMENTER_FORMAT_VERSION, SegmenterHeader, SegmenterModel, SegmenterTrainingRecord,
    segmenter_content_hash,
};
pub(crate) use sentences::piece_len;
pub(crate) use train::train_segmenter;
pub use train::{SegmenterProgress, SegmenterTrainConfig, SegmenterTrainError};
pub(crate) use user_words::UserWords;

use super::Token;
use chars::normalize;
use decode::{ANY, Lattice, viterbi, word_ends};
use features::{DictAt, Prepared};
use sentences::{Span, spans};
use tagger::{EDGE_TAG, HISTORY_TEMPLATES, WORD_TEMPLATES, Words, best_tag};

/// The dictionary whose words are features: the serving profile's segmenter.
pub(crate) use super::dictionary::Dictionary;

/// The tag of a white-space token when tags are asked for (PKU's tag for symbols).
const SPACE_TAG: &str = "w";

/// Notes in `at` what the dictionary says of each character of `normalized` (`text` is
/// scratch space): where its words of two or more Han characters start, end and run through,
/// and where jieba's route (precise mode without the HMM, which weighs the words by their
/// frequencies) places the character.
pub(crate) fn note_dictionary_words(
    dictionary: &Dictionary,
    normalized: &[char],
    text: &mut String,
    at: &mut [DictAt],
) {
    note_dictionary_words_if(dictionary, normalized, text, at, |_, _| true);
}

/// [`note_dictionary_words`], as if the dictionary lacked each word over characters
/// `start..end` for which `keep(start, end)` is false: it is not noted, and where the route took
/// it, its characters are single.
pub(crate) fn note_dictionary_words_if(
    dictionary: &Dictionary,
    normalized: &[char],
    text: &mut String,
    at: &mut [DictAt],
    mut keep: impl FnMut(usize, usize) -> bool,
) {
    text.clear();
    text.extend(normalized);
    let n = at.len();
    for t in dictionary.cut(text, false) {
        if t.end > n {
            break;
        }
        DictAt::note_route(at, t.start, t.end);
    }
    dictionary.each_word(text, |start, end| {
        if end - start < 2 || end > n {
            return;
        }
        if keep(start, end) {
            DictAt::note(at, start, end);
        } else if DictAt::route_took(at, start, end) {
            for k in start..end {
                DictAt::note_route(at, k, k + 1);
            }
        }
    });
}

/// Buffers reused from sentence to sentence on a thread.
#[derive(Default)]
struct Scratch {
    normalized: Vec<char>,
    normalized_text: String,
    dictionary_text: String,
    /// Byte offsets of the normalised characters in `normalized_text`, then its length.
    normalized_starts: Vec<u32>,
    /// Byte offsets of the sentence's characters as sent, then its length.
    starts: Vec<u32>,
    prepared: Prepared,
    emissions: Vec<[i32; 4]>,
    masks: Vec<u8>,
    lattice: Lattice,
    tags: Vec<u8>,
    words: Words,
    ends: Vec<usize>,
    scores: Vec<i32>,
    /// Each word's tag scores from its own features, word after word.
    word_scores: Vec<i32>,
    keys: Vec<u64>,
    ranges: Vec<(u32, u32)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A model at work: with the serving dictionary and the user's words to keep.
#[derive(Clone, Copy)]
pub(crate) struct Accurate<'m> {
    pub(crate) model: &'m SegmenterModel,
    pub(crate) dictionary: &'m Dictionary,
    pub(crate) user_words: &'m UserWords,
}

impl<'m> Accurate<'m> {
    /// The tokens of `text` (offsets from its start), tagged when `with_pos` and the model tags.
    pub(crate) fn segment<'a>(&self, text: &'a str, with_pos: bool) -> Vec<Token<'a>>
    where
        'm: 'a,
    {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        let mut chars = 0;
        SCRATCH.with(|scratch| {
            // A re-entrant call (none exists) would get fresh buffers rather than panic.
            let mut fresh = Scratch::default();
            let mut borrowed = scratch.try_borrow_mut();
            let scratch = borrowed.as_deref_mut().unwrap_or(&mut fresh);
            for (at, span) in spans(text) {
                match span {
                    Span::Space(space) => {
                        let len = space.chars().count();
                        out.push(Token {
                            word: space,
                            start: chars,
                            end: chars + len,
                            byte_start: at,
                            byte_end: at + space.len(),
                            pos: (with_pos && self.model.tags_words()).then_some(SPACE_TAG),
                        });
                        chars += len;
                    }
                    Span::Sentence(sentence) => {
                        chars += self.sentence(sentence, at, chars, with_pos, scratch, &mut out);
                    }
                }
            }
        });
        out
    }

    /// Segments one sentence starting at byte `byte0` and character `char0`, appending its
    /// tokens to `out`; returns its length in characters.
    fn sentence<'a>(
        &self,
        sentence: &'a str,
        byte0: usize,
        char0: usize,
        with_pos: bool,
        s: &mut Scratch,
        out: &mut Vec<Token<'a>>,
    ) -> usize
    where
        'm: 'a,
    {
        s.normalized.clear();
        s.normalized_text.clear();
        s.normalized_starts.clear();
        s.starts.clear();
        for (at, c) in sentence.char_indices() {
            let n = normalize(c);
            s.starts.push(at as u32);
            s.normalized_starts.push(s.normalized_text.len() as u32);
            s.normalized.push(n);
            s.normalized_text.push(n);
        }
        s.starts.push(sentence.len() as u32);
        s.normalized_starts.push(s.normalized_text.len() as u32);
        let n = s.normalized.len();
        let model = self.model;
        s.prepared.fill(&model.vocabulary, &s.normalized);
        note_dictionary_words(
            self.dictionary,
            &s.normalized,
            &mut s.dictionary_text,
            &mut s.prepared.dict,
        );
        s.masks.clear();
        s.masks.resize(n, ANY);
        let mut kept = Vec::new();
        self.user_words.keep(
            &s.normalized_text,
            &s.normalized_starts,
            &mut s.masks,
            &mut kept,
        );
        model.segment.emissions(&s.prepared, &mut s.emissions);
        viterbi(
            &s.emissions,
            &model.segment.transitions,
            &s.masks,
            &mut s.lattice,
            &mut s.tags,
        );
        s.ends.clear();
        s.ends.extend(word_ends(&s.tags));
        let first = out.len();
        let mut start = 0;
        for &end in &s.ends {
            let (b, e) = (s.starts[start] as usize, s.starts[end] as usize);
            out.push(Token {
                word: &sentence[b..e],
                start: char0 + start,
                end: char0 + end,
                byte_start: byte0 + b,
                byte_end: byte0 + e,
                pos: None,
            });
            start = end;
        }
        if with_pos && model.tags_words() {
            self.tag(s, &mut out[first..], &kept);
        }
        n
    }

    /// Tags the words of a sentence (`s.ends` their ends, `s.normalized` its characters), a
    /// kept user's word with the user's tag when there is one.
    fn tag<'a>(
        &self,
        s: &mut Scratch,
        tokens: &mut [Token<'a>],
        kept: &[(usize, usize, Option<&'m str>)],
    ) where
        'm: 'a,
    {
        let model = self.model;
        let tags = &model.header.tags;
        let normalized = &s.normalized;
        let mut start = 0;
        s.words.fill(s.ends.iter().map(|&end| {
            let word = &normalized[start..end];
            start = end;
            word
        }));
        // The words' own features first, for the whole sentence: their lookups are touched
        // before they are read, so the processor waits for them together.
        let (words, nt) = (s.ends.len(), tags.len());
        let table = &model.tagger.table;
        s.keys.clear();
        let mut word_keys = [0u64; WORD_TEMPLATES];
        for i in 0..words {
            s.words.word_keys(i, &mut word_keys);
            s.keys.extend_from_slice(&word_keys);
        }
        for &k in &s.keys {
            table.touch(k);
        }
        let entries = &model.tagger.entries;
        s.ranges.clear();
        s.ranges.extend(
            s.keys
                .iter()
                .map(|&k| table.get(k).copied().unwrap_or((0, 0))),
        );
        for &(from, _) in &s.ranges {
            std::hint::black_box(entries.get(from as usize));
        }
        s.word_scores.clear();
        s.word_scores.resize(words * nt, 0);
        for (i, ranges) in s.ranges.chunks_exact(WORD_TEMPLATES).enumerate() {
            let scores = &mut s.word_scores[i * nt..(i + 1) * nt];
            for &(from, to) in ranges {
                for &(t, w) in &entries[from as usize..to as usize] {
                    scores[t as usize] += i32::from(w);
                }
            }
        }
        let (mut prev, mut prev2) = (EDGE_TAG, EDGE_TAG);
        let mut history = [0u64; HISTORY_TEMPLATES];
        let mut kept = kept.iter().peekable();
        let mut start = 0;
        for (i, token) in tokens.iter_mut().enumerate() {
            s.words.history_keys(i, prev, prev2, &mut history);
            s.scores.clear();
            s.scores
                .extend_from_slice(&s.word_scores[i * nt..(i + 1) * nt]);
            for &k in &history {
                if let Some(&(from, to)) = table.get(k) {
                    for &(t, w) in &model.tagger.entries[from as usize..to as usize] {
                        s.scores[t as usize] += i32::from(w);
                    }
                }
            }
            let best = best_tag(&s.scores);
            let end = s.ends[i];
            while kept.next_if(|k| k.1 <= start).is_some() {}
            let user_tag = kept
                .peek()
                .filter(|k| (k.0, k.1) == (start, end))
                .and_then(|k| k.2);
            token.pos = Some(user_tag.unwrap_or(&tags[best as usize]));
            prev2 = prev;
            prev = best;
            start = end;
        }
    }
}
