//! The built-in dictionary, held once per process and shared by every analyzer of every
//! profile: its words in a [`CharTrie`] and each word's frequency and tag by its line.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;

use super::super::builtin::{BUILTIN_DICT, jieba_with_dict};
use super::trie::CharTrie;

/// A word of the built-in dictionary: its line in `data/jieba/dict.txt`.
pub(super) type BaseId = u32;

/// The built-in dictionary (see the module's comment).
pub(crate) struct BaseWords {
    /// Each word to its line.
    trie: CharTrie,
    /// Each word's frequency, by line.
    freqs: Vec<u32>,
    /// `ln` of each frequency, apart so that the route reads a dense array.
    log_freqs: Vec<f64>,
    /// Each word's tag, an index into `tag_names`.
    tags: Vec<u8>,
    tag_names: Vec<Box<str>>,
    /// The sum of the frequencies.
    total: usize,
    /// jieba-rs with the same words, which cuts for a dictionary that changes nothing of them:
    /// its route is faster than [`Dictionary`](super::Dictionary)'s over base and overlay
    /// (BENCHMARKS.md, "Profiles"), so the default profile keeps its speed.
    jieba: Jieba,
}

impl std::fmt::Debug for BaseWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseWords")
            .field("words", &self.freqs.len())
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl BaseWords {
    /// Reads the frequencies and tags of the built-in dictionary (every line is `word freq
    /// tag`, which a unit test and the build's trie keep true).
    fn load() -> Self {
        let lines = BUILTIN_DICT.lines().count();
        let (mut freqs, mut log_freqs, mut tags) = (
            Vec::with_capacity(lines),
            Vec::with_capacity(lines),
            Vec::with_capacity(lines),
        );
        let mut tag_names: Vec<Box<str>> = Vec::new();
        let mut total = 0usize;
        let mut trie = CharTrie::new(true);
        for (id, line) in (0u32..).zip(BUILTIN_DICT.lines()) {
            let mut fields = line.split_ascii_whitespace();
            trie.insert(fields.next().unwrap_or(""), id);
            let freq: u32 = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
            let tag = fields.next().unwrap_or("");
            let id = match tag_names.iter().position(|t| &**t == tag) {
                Some(id) => id,
                None => {
                    tag_names.push(tag.into());
                    tag_names.len() - 1
                }
            };
            freqs.push(freq);
            log_freqs.push(f64::from(freq).ln());
            tags.push(u8::try_from(id).unwrap_or(u8::MAX));
            total += freq as usize;
        }
        Self {
            trie,
            freqs,
            log_freqs,
            tags,
            tag_names,
            total,
            jieba: jieba_with_dict(BUILTIN_DICT),
        }
    }

    /// The word `word`, when the dictionary has it.
    #[inline]
    pub(super) fn id(&self, word: &str) -> Option<BaseId> {
        self.trie.get(word)
    }

    /// The words that `chars` starts with, shortest first, with their lengths in characters.
    #[inline]
    pub(super) fn prefixes(&self, chars: &[char], each: impl FnMut(BaseId, usize)) {
        self.trie.prefixes(chars, each);
    }

    pub(super) fn freq(&self, id: BaseId) -> usize {
        self.freqs[id as usize] as usize
    }

    #[inline]
    pub(super) fn log_freq(&self, id: BaseId) -> f64 {
        self.log_freqs[id as usize]
    }

    pub(super) fn tag(&self, id: BaseId) -> &str {
        &self.tag_names[usize::from(self.tags[id as usize])]
    }

    pub(super) fn total(&self) -> usize {
        self.total
    }

    /// jieba-rs with the same words.
    pub(super) fn jieba(&self) -> &Jieba {
        &self.jieba
    }
}

/// The built-in dictionary of this process, read on first use.
pub(crate) fn builtin_words() -> Arc<BaseWords> {
    static WORDS: LazyLock<Arc<BaseWords>> = LazyLock::new(|| Arc::new(BaseWords::load()));
    Arc::clone(&WORDS)
}
