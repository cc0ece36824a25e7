//! The segmenter's dictionary: the built-in words, held once per process ([`BaseWords`]), and
//! what one analyzer's files and edits change of them ([`Overlay`]), read together as one
//! dictionary. Every profile is such a pair, so a profile costs what it changes.
//!
//! It answers as a jieba-rs `Jieba` loaded with the built-in dictionary and then given each
//! user's word by `add_word` would: the same words, frequencies, tags and total (which
//! `add_word` moves), the same route (Python jieba's DAG and best route, ties to the longer
//! word), and the same cuts ([`cut`](Dictionary::cut)), over which `core::segmenter` applies
//! Python's rules. jieba-rs holds its dictionary whole in each instance, about 28 MB.

mod base;
mod cut;
mod hmm;
mod overlay;
mod trie;

use std::sync::Arc;

pub(crate) use base::{BaseWords, builtin_words};
pub(crate) use hmm::hmm_cut;

use base::BaseId;
use overlay::Overlay;

/// A word of a [`Dictionary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordId {
    /// A built-in word.
    Base(BaseId),
    /// A word of the overlay's own.
    Own(u32),
}

/// See the module's comment.
#[derive(Debug)]
pub(crate) struct Dictionary {
    base: Arc<BaseWords>,
    overlay: Overlay,
    /// Whether the overlay changes nothing (asked on every word looked up, so kept here).
    unchanged: bool,
    /// The sum of the frequencies, as jieba-rs's `add_word` keeps it.
    total: usize,
    log_total: f64,
}

impl Dictionary {
    /// The built-in dictionary with nothing changed.
    pub(crate) fn new(base: Arc<BaseWords>) -> Self {
        let total = base.total();
        Self {
            base,
            overlay: Overlay::default(),
            unchanged: true,
            total,
            log_total: (total as f64).ln(),
        }
    }

    /// The built-in dictionary of this process, unchanged.
    #[cfg(test)]
    pub(crate) fn builtin() -> Self {
        Self::new(builtin_words())
    }

    /// Takes a built-in word out, as if its line were not in the dictionary; false when
    /// there is no such built-in word. Call it before adding words.
    pub(crate) fn remove_builtin(&mut self, word: &str) -> bool {
        let Some(id) = self.base.id(word) else {
            return false;
        };
        if !self.overlay.removed.insert(id) {
            return false;
        }
        self.unchanged = false;
        self.total -= self.base.freq(id);
        self.log_total = (self.total as f64).ln();
        true
    }

    /// jieba-rs's `add_word`: a word it has gets `freq` (its tag stays), a new word is added
    /// with `freq` and `tag` (`""` when `None`); `freq` defaults to
    /// [`suggest_freq`](Self::suggest_freq). Returns the frequency given.
    pub(crate) fn add_word(&mut self, word: &str, freq: Option<usize>, tag: Option<&str>) -> usize {
        if word.is_empty() {
            return 0;
        }
        let freq = freq.unwrap_or_else(|| self.suggest_freq(word));
        self.unchanged = false;
        match self.lookup(word) {
            Some(id) => {
                let old = self.freq(id);
                match id {
                    WordId::Base(id) => {
                        self.overlay.freqs.insert(id, (freq, (freq as f64).ln()));
                    }
                    WordId::Own(id) => {
                        let own = &mut self.overlay.own[id as usize];
                        own.freq = freq;
                        own.log_freq = (freq as f64).ln();
                    }
                }
                self.total = (self.total + freq).saturating_sub(old);
            }
            None => {
                self.overlay.push(word, freq, tag.unwrap_or(""));
                self.total += freq;
            }
        }
        self.log_total = (self.total as f64).ln();
        freq
    }

    /// Whether it changes nothing of the built-in dictionary.
    #[inline]
    pub(super) fn is_builtin_only(&self) -> bool {
        self.unchanged
    }

    /// jieba-rs's segmenter of the built-in dictionary, when this dictionary changes nothing
    /// of it (it cuts the same, faster).
    pub(crate) fn builtin_jieba(&self) -> Option<&jieba_rs::Jieba> {
        self.is_builtin_only().then(|| self.base.jieba())
    }

    /// Whether `word` is in the dictionary.
    #[inline]
    pub(crate) fn has_word(&self, word: &str) -> bool {
        if self.is_builtin_only() {
            return self.base.jieba().has_word(word);
        }
        self.lookup(word).is_some()
    }

    /// The tag of `word`, when the dictionary has it (`""` for a word added without one).
    pub(crate) fn tag_of(&self, word: &str) -> Option<&str> {
        self.lookup(word).map(|id| self.word_tag(id))
    }

    /// jieba-rs's `suggest_freq`: a frequency high enough for the route to take `segment`
    /// whole.
    pub(crate) fn suggest_freq(&self, segment: &str) -> usize {
        let freq_or_1 = |word: &str| self.lookup(word).map_or(1, |id| self.freq(id));
        let log_freq = self
            .cut(segment, false)
            .iter()
            .map(|t| (freq_or_1(t.word) as f64).ln() - self.log_total)
            .sum::<f64>();
        ((log_freq + self.log_total).exp() as usize + 1).max(freq_or_1(segment))
    }

    /// Whether it is the built-in dictionary unchanged.
    #[cfg(test)]
    pub(crate) fn is_builtin(&self) -> bool {
        self.unchanged
    }

    /// How many words of its own, built-in words with another frequency, and built-in words
    /// removed it holds.
    #[cfg(test)]
    pub(crate) fn changes(&self) -> (usize, usize, usize) {
        (
            self.overlay.own.len(),
            self.overlay.freqs.len(),
            self.overlay.removed.len(),
        )
    }

    #[inline]
    fn lookup(&self, word: &str) -> Option<WordId> {
        if let Some(own) = self.overlay.own(word) {
            return Some(WordId::Own(own));
        }
        self.base
            .id(word)
            .filter(|id| self.overlay.removed.is_empty() || !self.overlay.removed.contains(id))
            .map(WordId::Base)
    }

    fn freq(&self, id: WordId) -> usize {
        match id {
            WordId::Base(id) => self
                .overlay
                .freqs
                .get(&id)
                .map_or_else(|| self.base.freq(id), |&(freq, _)| freq),
            WordId::Own(id) => self.overlay.own[id as usize].freq,
        }
    }

    #[inline]
    fn log_freq(&self, id: WordId) -> f64 {
        match id {
            WordId::Base(id) => {
                if self.overlay.freqs.is_empty() {
                    self.base.log_freq(id)
                } else {
                    self.overlay
                        .freqs
                        .get(&id)
                        .map_or_else(|| self.base.log_freq(id), |&(_, log)| log)
                }
            }
            WordId::Own(id) => self.overlay.own[id as usize].log_freq,
        }
    }

    fn word_tag(&self, id: WordId) -> &str {
        match id {
            WordId::Base(id) => self.base.tag(id),
            WordId::Own(id) => &self.overlay.tags[self.overlay.own[id as usize].tag as usize],
        }
    }

    /// `ln` of the frequency of each word that `chars` starts with, and its length in
    /// characters: [`each_prefix`](Self::each_prefix) for the route, with a loop of its own
    /// for the usual overlay, words of its own and nothing else changed.
    #[inline]
    fn each_weighted_prefix(&self, chars: &[char], mut each: impl FnMut(f64, usize, WordId)) {
        let overlay = &self.overlay;
        if overlay.freqs.is_empty() && overlay.removed.is_empty() {
            self.base.prefixes(chars, |id, log_freq, len| {
                each(log_freq, len, WordId::Base(id));
            });
            if !overlay.own.is_empty() {
                overlay.prefixes(chars, |id, len| {
                    each(overlay.own[id as usize].log_freq, len, WordId::Own(id));
                });
            }
        } else {
            self.each_prefix(chars, |id, len| each(self.log_freq(id), len, id));
        }
    }

    /// Each word that `chars` starts with, with its length in characters.
    #[inline]
    fn each_prefix(&self, chars: &[char], mut each: impl FnMut(WordId, usize)) {
        let removed = &self.overlay.removed;
        self.base.prefixes(chars, |id, _, len| {
            if removed.is_empty() || !removed.contains(&id) {
                each(WordId::Base(id), len);
            }
        });
        if !self.overlay.own.is_empty() {
            self.overlay
                .prefixes(chars, |id, len| each(WordId::Own(id), len));
        }
    }
}

#[cfg(test)]
mod tests;
