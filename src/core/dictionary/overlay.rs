//! What a dictionary changes of the built-in one: its own words, the built-in words it gives
//! another frequency, and the built-in words it removed. A profile with a thousand words of its
//! own holds a few hundred kilobytes here, and the built-in dictionary once per process.

use rustc_hash::{FxHashMap, FxHashSet};

use super::base::BaseId;
use super::trie::CharTrie;

/// A word the built-in dictionary lacks (or removed), as the overlay holds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct OwnWord {
    pub(super) freq: usize,
    pub(super) log_freq: f64,
    /// An index into [`Overlay::tags`].
    pub(super) tag: u32,
}

/// See the module's comment.
#[derive(Debug)]
pub(super) struct Overlay {
    /// Built-in words with a frequency of their own, and its `ln`.
    pub(super) freqs: FxHashMap<BaseId, (usize, f64)>,
    /// Built-in words this dictionary does not have.
    pub(super) removed: FxHashSet<BaseId>,
    /// The words of its own.
    pub(super) own: Vec<OwnWord>,
    /// The words of its own, each to its index in `own`.
    trie: CharTrie,
    /// The tags of its own words.
    pub(super) tags: Vec<Box<str>>,
}

impl Default for Overlay {
    fn default() -> Self {
        Self {
            freqs: FxHashMap::default(),
            removed: FxHashSet::default(),
            own: Vec::new(),
            trie: CharTrie::new(false),
            tags: Vec::new(),
        }
    }
}

impl Overlay {
    /// The index of `word` among the words of its own.
    #[inline]
    pub(super) fn own(&self, word: &str) -> Option<u32> {
        if self.own.is_empty() {
            return None;
        }
        self.trie.get(word)
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
        self.trie.insert(word, id);
    }

    /// The words of its own that `chars` starts with, with their lengths in characters.
    #[inline]
    pub(super) fn prefixes(&self, chars: &[char], each: impl FnMut(u32, usize)) {
        self.trie.prefixes(chars, each);
    }
}
