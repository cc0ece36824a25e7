//! What a dictionary changes of the built-in one: its own words, the built-in words it gives
//! another frequency, and the built-in words it removed. A profile with a thousand words of its
//! own holds a few hundred kilobytes here, and the built-in dictionary once per process.
//!
//! Its own words are found through a hash table of their prefixes (Python jieba's `FREQ`).
//! A double-array trie of them (yada, as the built-in words) cut a profile's segmentation
//! time by 15 to 24 %, but building it for 1,000 compounds of common words took 13 ms a
//! profile and about twice the memory, so 1,000 profiles started in 13 s instead of 3.

use rustc_hash::{FxHashMap, FxHashSet};

use super::base::BaseId;

/// A word the built-in dictionary lacks (or removed), as the overlay holds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct OwnWord {
    pub(super) freq: usize,
    pub(super) log_freq: f64,
    /// An index into [`Overlay::tags`].
    pub(super) tag: u32,
}

/// See the module's comment.
#[derive(Debug, Default)]
pub(super) struct Overlay {
    /// Built-in words with a frequency of their own, and its `ln`.
    pub(super) freqs: FxHashMap<BaseId, (usize, f64)>,
    /// Built-in words this dictionary does not have.
    pub(super) removed: FxHashSet<BaseId>,
    /// The words of its own.
    pub(super) own: Vec<OwnWord>,
    /// Every prefix of a word of its own, with that word's index in `own` when the prefix is
    /// the word itself (Python jieba's prefix dictionary, `FREQ`, for these words).
    pub(super) stems: FxHashMap<Box<str>, Option<u32>>,
    /// The first character of each word of its own (most positions of a text start none).
    pub(super) first_chars: FxHashSet<char>,
    /// The tags of its own words.
    pub(super) tags: Vec<Box<str>>,
}

impl Overlay {
    /// The index of `word` among the words of its own.
    #[inline]
    pub(super) fn own(&self, word: &str) -> Option<u32> {
        if self.own.is_empty() {
            return None;
        }
        self.stems.get(word).copied().flatten()
    }

    /// Adds `word` as a word of its own.
    pub(super) fn push(&mut self, word: &str, freq: usize, tag: &str) {
        let tag = match self.tags.iter().position(|t| &**t == tag) {
            Some(at) => at,
            None => {
                self.tags.push(tag.into());
                self.tags.len() - 1
            }
        };
        let id = u32::try_from(self.own.len()).unwrap_or(u32::MAX);
        self.own.push(OwnWord {
            freq,
            log_freq: (freq as f64).ln(),
            tag: u32::try_from(tag).unwrap_or(u32::MAX),
        });
        for (at, c) in word.char_indices() {
            if at == 0 {
                self.first_chars.insert(c);
            } else {
                self.stems.entry(word[..at].into()).or_insert(None);
            }
        }
        self.stems.insert(word.into(), Some(id));
    }

    /// The words of its own that `text` starts with, with their lengths in bytes.
    #[inline]
    pub(super) fn prefixes(&self, text: &str, mut each: impl FnMut(u32, usize)) {
        let mut chars = text.char_indices();
        match chars.next() {
            Some((_, first)) if self.first_chars.contains(&first) => {}
            _ => return,
        }
        for end in chars.map(|(at, _)| at).chain([text.len()]) {
            match self.stems.get(&text[..end]) {
                Some(Some(id)) => each(*id, end),
                Some(None) => {}
                None => return,
            }
        }
    }

    /// Whether it changes nothing of the built-in dictionary.
    pub(super) fn is_empty(&self) -> bool {
        self.own.is_empty() && self.freqs.is_empty() && self.removed.is_empty()
    }
}
