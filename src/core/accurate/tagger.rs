//! The features of a word for part-of-speech tagging.
//!
//! Words are tagged left to right, each tag chosen from the word, its neighbours, its first and
//! last characters and the two tags before it. Keys are a template number in the top five bits
//! over a 59-bit FNV-1a hash of what the template reads.

use super::chars::{Class, class};

/// Features of a word that do not depend on the tags chosen before it.
pub(crate) const WORD_TEMPLATES: usize = 8;
/// Features that do.
pub(crate) const HISTORY_TEMPLATES: usize = 2;
/// The tag before the first word.
pub(crate) const EDGE_TAG: u8 = u8::MAX;

const PAYLOAD: u64 = (1 << 59) - 1;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, value: u64) -> u64 {
    for byte in value.to_le_bytes() {
        h = (h ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
    }
    h
}

fn key(template: u64, hash: u64) -> u64 {
    (template << 59) | (hash & PAYLOAD)
}

/// What tagging reads of one word (normalised characters).
#[derive(Debug, Clone, Copy)]
struct Word {
    hash: u64,
    first: char,
    last: char,
    /// The first two characters (the first twice for a word of one).
    prefix: u64,
    /// The last two characters.
    suffix: u64,
    /// Length, capped at 5, and the classes present.
    shape: u64,
}

const EDGE_WORD: Word = Word {
    hash: 1,
    first: '\0',
    last: '\0',
    prefix: 1,
    suffix: 1,
    shape: 0,
};

impl Word {
    fn new(chars: &[char]) -> Self {
        let hash = chars.iter().fold(FNV_OFFSET, |h, &c| fnv(h, u64::from(c)));
        let first = chars.first().copied().unwrap_or('\0');
        let last = chars.last().copied().unwrap_or('\0');
        let second = chars.get(1).copied().unwrap_or(first);
        let before_last = chars.len().checked_sub(2).map_or(last, |i| chars[i]);
        let classes = chars
            .iter()
            .fold(0u64, |bits, &c| bits | 1 << (class(c) as u8));
        let digits_only = chars
            .iter()
            .all(|&c| matches!(class(c), Class::Digit | Class::Numeral | Class::Punctuation));
        Self {
            hash,
            first,
            last,
            prefix: u64::from(first) << 21 | u64::from(second),
            suffix: u64::from(before_last) << 21 | u64::from(last),
            shape: (chars.len().min(5) as u64) << 9 | u64::from(digits_only) << 8 | classes,
        }
    }
}

/// The words of a sentence as tagging reads them.
#[derive(Debug, Default)]
pub(crate) struct Words {
    words: Vec<Word>,
}

impl Words {
    /// Reads the words of a sentence, given as the normalised characters of each.
    pub(crate) fn fill<'c>(&mut self, words: impl Iterator<Item = &'c [char]>) {
        self.words.clear();
        self.words.push(EDGE_WORD);
        self.words.push(EDGE_WORD);
        self.words.extend(words.map(Word::new));
        self.words.push(EDGE_WORD);
        self.words.push(EDGE_WORD);
    }

    /// Words in the sentence.
    pub(crate) fn len(&self) -> usize {
        self.words.len() - 4
    }

    /// The keys of word `i`'s features that do not depend on tags.
    pub(crate) fn word_keys(&self, i: usize, out: &mut [u64; WORD_TEMPLATES]) {
        let p = i + 2;
        let w = &self.words;
        let (prev2, prev, this, next, next2) = (w[p - 2], w[p - 1], w[p], w[p + 1], w[p + 2]);
        let pair = |a: u64, b: u64| fnv(fnv(FNV_OFFSET, a), b);
        let _ = (prev2, next2);
        *out = [
            key(1, this.hash),
            key(2, prev.hash),
            key(3, next.hash),
            key(8, pair(1, u64::from(this.first))),
            key(9, pair(2, u64::from(this.last))),
            key(10, pair(3, this.prefix)),
            key(11, pair(4, this.suffix)),
            key(12, pair(5, this.shape)),
        ];
    }

    /// The keys of word `i`'s features that read the two tags before it.
    pub(crate) fn history_keys(
        &self,
        i: usize,
        prev_tag: u8,
        prev2_tag: u8,
        out: &mut [u64; HISTORY_TEMPLATES],
    ) {
        let this = self.words[i + 2];
        let (t1, t2) = (u64::from(prev_tag), u64::from(prev2_tag));
        let _ = this;
        *out = [key(20, t1), key(21, t2 << 8 | t1)];
    }
}

/// The index of the highest score, the lowest index among equals.
pub(crate) fn best_tag<T: PartialOrd + Copy>(scores: &[T]) -> u8 {
    let mut best = 0;
    for (t, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = t;
        }
    }
    best as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_words_differ() {
        let mut words = Words::default();
        let sentence: Vec<Vec<char>> = ["中国", "人民", "。"]
            .iter()
            .map(|w| w.chars().collect())
            .collect();
        words.fill(sentence.iter().map(Vec::as_slice));
        assert_eq!(words.len(), 3);
        let mut a = [0; WORD_TEMPLATES];
        let mut b = [0; WORD_TEMPLATES];
        words.word_keys(0, &mut a);
        words.word_keys(1, &mut b);
        assert_ne!(a[0], b[0]);
        assert_eq!(a[0] >> 59, 1);
        let mut h = [0; HISTORY_TEMPLATES];
        words.history_keys(1, 3, EDGE_TAG, &mut h);
        assert_eq!(h[0] >> 59, 20);
    }
}
