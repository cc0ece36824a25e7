//! The built-in dictionary, held once per process and shared by every analyzer of every
//! profile: jieba-rs's segmenter of it, which cuts for every dictionary that changes nothing of
//! it, and, made on the first dictionary that does (a profile with words of its own), its words
//! in a [`CharTrie`] with each word's frequency and tag by its line. A server without such
//! profiles never makes the second (about 14 MB and 0.15 s).

use std::sync::{Arc, LazyLock, OnceLock};

use jieba_rs::Jieba;
use rustc_hash::FxHashMap;

use super::super::builtin::{BUILTIN_DICT, BUILTIN_TOTAL, jieba_with_dict};
use super::trie::CharTrie;

/// A word of the built-in dictionary: its line in `data/jieba/dict.txt`.
pub(super) type BaseId = u32;

/// The built-in dictionary (see the module's comment).
pub(crate) struct BaseWords {
    /// jieba-rs with the built-in words, which cuts for a dictionary that changes nothing of
    /// them: its route is faster than [`Dictionary`](super::Dictionary)'s over base and overlay
    /// (BENCHMARKS.md, "Dictionary profiles"), so the default profile keeps its speed.
    jieba: Jieba,
    /// The words for the route over base and overlay, made on first use.
    index: OnceLock<Index>,
}

/// The built-in words, for the route over base and overlay.
struct Index {
    /// Each word to its line.
    trie: CharTrie,
    /// Each word's frequency, by line.
    freqs: Vec<u32>,
    /// Each word's frequency as an index into `logs` (also kept in the trie, where the route
    /// reads it from the slot it reads anyway), by line.
    classes: Vec<u16>,
    /// `ln` of each frequency some word has (5,087 of them: 40 KB, where a table by line held
    /// 2.8 MB that the route read at random).
    logs: Vec<f64>,
    /// Each word's tag, an index into `tag_names`.
    tags: Vec<u8>,
    tag_names: Vec<Box<str>>,
}

impl std::fmt::Debug for BaseWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseWords")
            .field("indexed", &self.index.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Reads the words, frequencies and tags of the built-in dictionary (every line is `word
    /// freq tag`, which a unit test keeps true).
    fn load() -> Self {
        let lines = BUILTIN_DICT.lines().count();
        let (mut freqs, mut classes, mut tags) = (
            Vec::with_capacity(lines),
            Vec::with_capacity(lines),
            Vec::with_capacity(lines),
        );
        let (mut logs, mut class_of) = (Vec::new(), FxHashMap::default());
        let mut tag_names: Vec<Box<str>> = Vec::new();
        let mut trie = CharTrie::new(true);
        for (id, line) in (0u32..).zip(BUILTIN_DICT.lines()) {
            let mut fields = line.split_ascii_whitespace();
            let word = fields.next().unwrap_or("");
            let freq: u32 = fields.next().and_then(|f| f.parse().ok()).unwrap_or(0);
            let class = *class_of.entry(freq).or_insert_with(|| {
                logs.push(f64::from(freq).ln());
                u16::try_from(logs.len() - 1).expect("fewer than 65,536 frequencies")
            });
            trie.insert(word, id, class);
            let tag = fields.next().unwrap_or("");
            let id = match tag_names.iter().position(|t| &**t == tag) {
                Some(id) => id,
                None => {
                    tag_names.push(tag.into());
                    tag_names.len() - 1
                }
            };
            freqs.push(freq);
            classes.push(class);
            tags.push(u8::try_from(id).unwrap_or(u8::MAX));
        }
        Self {
            trie,
            freqs,
            classes,
            logs,
            tags,
            tag_names,
        }
    }
}

impl BaseWords {
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            // Every dictionary that needs the index cuts with the HMM too.
            super::hmm::load();
            Index::load()
        })
    }

    /// The word `word`, when the dictionary has it.
    #[inline]
    pub(super) fn id(&self, word: &str) -> Option<BaseId> {
        self.index().trie.get(word)
    }

    /// The words that `chars` starts with, shortest first, with `ln` of their frequencies and
    /// their lengths in characters.
    #[inline]
    pub(super) fn prefixes(&self, chars: &[char], mut each: impl FnMut(BaseId, f64, usize)) {
        let index = self.index();
        index.trie.prefixes(chars, |id, class, len| {
            each(id, index.logs[usize::from(class)], len)
        });
    }

    /// See [`CharTrie::prefetch`].
    #[inline]
    pub(super) fn prefetch(&self, a: char, b: char) {
        self.index().trie.prefetch(a, b);
    }

    pub(super) fn freq(&self, id: BaseId) -> usize {
        self.index().freqs[id as usize] as usize
    }

    #[inline]
    pub(super) fn log_freq(&self, id: BaseId) -> f64 {
        let index = self.index();
        index.logs[usize::from(index.classes[id as usize])]
    }

    pub(super) fn tag(&self, id: BaseId) -> &str {
        let index = self.index();
        &index.tag_names[usize::from(index.tags[id as usize])]
    }

    pub(super) fn total(&self) -> usize {
        BUILTIN_TOTAL
    }

    /// jieba-rs with the same words.
    #[inline]
    pub(super) fn jieba(&self) -> &Jieba {
        &self.jieba
    }
}

/// The built-in dictionary of this process, read on first use.
pub(crate) fn builtin_words() -> Arc<BaseWords> {
    static WORDS: LazyLock<Arc<BaseWords>> = LazyLock::new(|| {
        Arc::new(BaseWords {
            jieba: jieba_with_dict(BUILTIN_DICT),
            index: OnceLock::new(),
        })
    });
    Arc::clone(&WORDS)
}
