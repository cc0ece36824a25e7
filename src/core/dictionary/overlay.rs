//! What a dictionary changes of the built-in one: its own words, the built-in words it gives
//! another frequency, and the built-in words it removed. A profile with a thousand words of its
//! own holds a few hundred kilobytes here, and the built-in dictionary once per process.

use rustc_hash::{FxHashMap, FxHashSet};
use yada::DoubleArray;
use yada::builder::DoubleArrayBuilder;

use super::base::BaseId;

/// A word the built-in dictionary lacks (or removed), as the overlay holds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct OwnWord {
    pub(super) freq: usize,
    pub(super) log_freq: f64,
    /// An index into [`Overlay::tags`].
    pub(super) tag: u32,
}

/// The trie of an overlay's own words.
struct OwnTrie(DoubleArray<Vec<u8>>);

impl std::fmt::Debug for OwnTrie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OwnTrie({} bytes)", self.0.0.len())
    }
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
    /// Their text, by index.
    own_words: Vec<Box<str>>,
    /// While words are added: every prefix of a word of its own, with that word's index in
    /// `own` when the prefix is the word itself (Python jieba's prefix dictionary, `FREQ`, for
    /// these words), and the words' first characters.
    stems: FxHashMap<Box<str>, Option<u32>>,
    first_chars: FxHashSet<char>,
    /// Once [`freeze`](Self::freeze)d: the words of its own as a double-array trie, each to its
    /// index, instead of `stems`. Looking for words at every position of a text through the
    /// prefixes' hash table took half of a profile's segmentation time (1,000 words of its own,
    /// `cargo bench --bench core -- profile_`).
    trie: Option<OwnTrie>,
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
        match &self.trie {
            // The trie cannot hold a NUL (and its search asserts there is none).
            Some(trie) if !word.is_empty() && memchr::memchr(0, word.as_bytes()).is_none() => {
                trie.0.exact_match_search(word)
            }
            Some(_) => None,
            None => self.stems.get(word).copied().flatten(),
        }
    }

    /// Builds the trie of the words of its own (see `trie`), once they are all added.
    pub(super) fn freeze(&mut self) {
        if self.own.is_empty() || self.trie.is_some() {
            return;
        }
        let mut keys: Vec<(&[u8], u32)> = self
            .own_words
            .iter()
            .zip(0u32..)
            .map(|(word, id)| (word.as_bytes(), id))
            .collect();
        keys.sort_unstable();
        // Words are distinct, non-empty and hold no NUL (word validation and the user
        // dictionary reader refuse control characters), so the trie can always be built;
        // should it fail, the hash table of prefixes stays.
        if let Some(bytes) = DoubleArrayBuilder::build(&keys) {
            self.trie = Some(OwnTrie(DoubleArray::new(bytes)));
            self.stems = FxHashMap::default();
            self.first_chars = FxHashSet::default();
        }
    }

    /// Back to the hash table of prefixes, to add more words.
    fn thaw(&mut self) {
        if self.trie.take().is_some() {
            for (word, id) in self.own_words.iter().zip(0u32..) {
                Self::note_stems(&mut self.stems, &mut self.first_chars, word, id);
            }
        }
    }

    fn note_stems(
        stems: &mut FxHashMap<Box<str>, Option<u32>>,
        first_chars: &mut FxHashSet<char>,
        word: &str,
        id: u32,
    ) {
        for (at, c) in word.char_indices() {
            if at == 0 {
                first_chars.insert(c);
            } else {
                stems.entry(word[..at].into()).or_insert(None);
            }
        }
        stems.insert(word.into(), Some(id));
    }

    /// Adds `word` as a word of its own.
    pub(super) fn push(&mut self, word: &str, freq: usize, tag: &str) {
        self.thaw();
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
        self.own_words.push(word.into());
        Self::note_stems(&mut self.stems, &mut self.first_chars, word, id);
    }

    /// The words of its own that `text` starts with, with their lengths in bytes.
    #[inline]
    pub(super) fn prefixes(&self, text: &str, mut each: impl FnMut(u32, usize)) {
        if let Some(trie) = &self.trie {
            for (id, len) in trie.0.common_prefix_search(text.as_bytes()) {
                each(id, len);
            }
            return;
        }
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
