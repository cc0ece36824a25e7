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
    /// A bit for the first two characters of each word of its own, by [`pair_bit`], so that a
    /// walk from two characters no such word starts with stops before the trie (8 KB: without
    /// it, a profile of 1,000 words of its own segmented a review in 2,600 more instructions
    /// than one of a single word, most of them probing the trie for words that are not there).
    pairs: Vec<u64>,
    /// Whether a word of its own is one character long (the pairs cannot rule those out).
    single_chars: bool,
}

/// Where the first two characters `a`, `b` of a word are in [`Overlay::pairs`]: a word and a
/// bit of it (Fibonacci hashing of both into 16 bits).
#[inline]
fn pair_bit(a: char, b: char) -> (usize, u64) {
    let key = (u64::from(a) << 21 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48;
    ((key / 64) as usize, 1 << (key % 64))
}

impl Default for Overlay {
    fn default() -> Self {
        Self {
            freqs: FxHashMap::default(),
            removed: FxHashSet::default(),
            own: Vec::new(),
            trie: CharTrie::new(false),
            tags: Vec::new(),
            pairs: vec![0; (1 << 16) / 64],
            single_chars: false,
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
        self.trie.insert(word, id, 0);
        let mut chars = word.chars();
        match (chars.next(), chars.next()) {
            (Some(a), Some(b)) => {
                let (at, bit) = pair_bit(a, b);
                self.pairs[at] |= bit;
            }
            _ => self.single_chars = true,
        }
    }

    /// The words of its own that `chars` starts with, with their lengths in characters.
    #[inline]
    pub(super) fn prefixes(&self, chars: &[char], mut each: impl FnMut(u32, usize)) {
        if !self.single_chars {
            let [a, b, ..] = *chars else {
                return;
            };
            let (at, bit) = pair_bit(a, b);
            if self.pairs[at] & bit == 0 {
                return;
            }
        }
        self.trie.prefixes(chars, |id, _, len| each(id, len));
    }
}
