//! Hashed features of a text: jieba words, word bigrams and character n-grams.

use serde::{Deserialize, Serialize};

/// What features a model reads; stored in the model file, so a model always reads a text the
/// way it was trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Number of hash buckets (the length of each label's weight vector).
    pub buckets: u32,
    /// Longest word n-gram (1 = words only, 2 = words and word bigrams).
    pub word_ngrams: u8,
    /// Shortest and longest character n-gram (0 = no character n-grams).
    pub min_char_ngram: u8,
    /// Longest character n-gram.
    pub max_char_ngram: u8,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        Self {
            buckets: 1 << 20,
            word_ngrams: 1,
            min_char_ngram: 2,
            max_char_ngram: 3,
        }
    }
}

/// A sparse feature vector: bucket indices with their values.
pub(crate) type Sparse = Vec<(u32, f32)>;

/// The feature hash, fixed for all time: a model's buckets depend on it. Bytes are folded one
/// at a time (FNV-1a) and characters and counts one value at a time with a multiply-xorshift
/// mix: fast enough for the hundreds of features of every text.
#[derive(Clone, Copy)]
struct Hash(u64);

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hash {
    fn new(kind: u8) -> Self {
        Self(SEED).word(u64::from(kind))
    }

    fn word(self, w: u64) -> Self {
        let x = (self.0 ^ w).wrapping_mul(MIX);
        Self(x ^ (x >> 29))
    }

    /// Folds bytes into each of `N` hashes (one pass over them), one byte at a time
    /// (FNV-1a), then their count, so different splits of the same bytes hash differently.
    fn fold<const N: usize>(mut hashes: [Self; N], bytes: &[u8]) -> [Self; N] {
        for &b in bytes {
            for h in &mut hashes {
                h.0 = (h.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        hashes.map(|h| h.word(bytes.len() as u64))
    }

    fn char(self, c: char) -> Self {
        self.word(u64::from(c))
    }
}

impl FeatureSpec {
    fn bucket(&self, h: Hash) -> u32 {
        // Fold to 32 bits, then map onto 0..buckets by multiply and shift (no division).
        let folded = (h.0 ^ (h.0 >> 32)) & 0xffff_ffff;
        ((folded * u64::from(self.buckets)) >> 32) as u32
    }

    /// The feature vector of a text given its words (precise mode, HMM on): what a model reads
    /// and training learns from.
    pub(crate) fn vector(&self, words: &[&str], text: &str) -> Sparse {
        self.counts(words, text).into_vector()
    }

    /// The damped counts (1 + ln n) of a text's features given its words, in two groups: word
    /// features (words and word pairs) and character n-grams.
    fn counts(&self, words: &[&str], text: &str) -> Counts {
        let (min, max) = (
            usize::from(self.min_char_ngram),
            usize::from(self.max_char_ngram),
        );
        // Every character but the first few ends an n-gram of each size.
        let char_room = if min > 0 {
            text.chars().count() * (max + 1).saturating_sub(min)
        } else {
            0
        };
        let mut counter = Counter::with_capacity(words.len() * 2 + char_room);
        counter.start_group(words.len() * 2);
        let (word_start, pair_start) = (Hash::new(b'w'), Hash::new(b'b'));
        // A pair's hash starts from its first word's: the previous word's, kept from its turn.
        let mut previous: Option<Hash> = None;
        for word in words.iter().filter(|w| !blank(w)) {
            let bytes = word.as_bytes();
            if self.word_ngrams < 2 {
                let [word] = Hash::fold([word_start], bytes);
                counter.add(self.bucket(word));
            } else if let Some(pair) = previous {
                let [word, next, pair] = Hash::fold([word_start, pair_start, pair], bytes);
                counter.add(self.bucket(word));
                counter.add(self.bucket(pair));
                previous = Some(next);
            } else {
                let [word, next] = Hash::fold([word_start, pair_start], bytes);
                counter.add(self.bucket(word));
                previous = Some(next);
            }
        }
        let words_end = counter.start_group(char_room);
        if min > 0 {
            // The last `max` characters, newest first.
            let mut window = ['\0'; 8];
            let mut seen = 0usize;
            for c in text.chars().filter(|&c| !is_space(c)) {
                window.copy_within(0..7, 1);
                window[0] = c;
                seen = (seen + 1).min(max);
                let mut h = Hash::new(b'c');
                for (n, &c) in window[..seen].iter().enumerate() {
                    h = h.char(c);
                    if n + 1 >= min {
                        counter.add(self.bucket(h));
                    }
                }
            }
        }
        Counts {
            features: counter.damped(),
            words_end,
        }
    }
}

/// Whether a character is white space: `char::is_whitespace`, without its table look-up for
/// the characters past U+3000 (the ideographic space), none of which is white space.
fn is_space(c: char) -> bool {
    u32::from(c) <= 0x3000 && c.is_whitespace()
}

/// Whether a word is white space only (and so no feature); its first character usually says.
fn blank(word: &&str) -> bool {
    word.chars().all(is_space)
}

/// A text's damped feature counts in two groups, word features then character n-grams, each
/// in the order its features first appear.
#[derive(Debug, Clone, PartialEq)]
struct Counts {
    features: Sparse,
    /// Where the word features end and the character n-grams start.
    words_end: usize,
}

impl Counts {
    /// The feature vector: each group scaled to unit length and the groups weighted equally,
    /// so its length is 1 (or 0 for a text without features). A bucket that both groups hit
    /// appears twice, which sums the same in a dot product.
    fn into_vector(mut self) -> Sparse {
        let (words, chars) = self.features.split_at_mut(self.words_end);
        let norm = |g: &[(u32, f32)]| sum_of_squares(g).sqrt();
        let norms = [norm(words), norm(chars)];
        let present = norms.iter().filter(|&&n| n > 0.0).count();
        if present == 0 {
            return Vec::new();
        }
        let share = (present as f32).sqrt().recip();
        for (group, n) in [words, chars].into_iter().zip(norms) {
            // A group without features has nothing to scale.
            let scale = if n > 0.0 { share / n } else { 0.0 };
            for (_, v) in group {
                *v *= scale;
            }
        }
        self.features
    }
}

/// The sum of the squared values, in four running sums: one sum's additions would each wait
/// for the one before.
fn sum_of_squares(features: &[(u32, f32)]) -> f32 {
    let mut sums = [0.0f32; 4];
    let mut quads = features.chunks_exact(4);
    for quad in &mut quads {
        for (sum, &(_, x)) in sums.iter_mut().zip(quad) {
            *sum += x * x;
        }
    }
    for (sum, &(_, x)) in sums.iter_mut().zip(quads.remainder()) {
        *sum += x * x;
    }
    (sums[0] + sums[1]) + (sums[2] + sums[3])
}

/// Where a bucket's probe starts in a table of a power-of-two size (masked by the caller).
fn slot_of(j: u32) -> usize {
    (j as usize).wrapping_mul(0x9e37_79b9)
}

/// Counts distinct buckets group by group, each group's in the order they first appear, with
/// an open-addressing table that points into the answer: no sort, and no pass over the empty
/// slots.
struct Counter {
    /// Empty (0), or one more than a bucket's place in `out`; for the current group only.
    slots: Vec<u32>,
    /// The distinct buckets of each group with their counts (in f32: exact to 2^24, far beyond
    /// any text's repeats).
    out: Sparse,
}

impl Counter {
    /// A counter for at most `features` features in all.
    fn with_capacity(features: usize) -> Self {
        Self {
            slots: Vec::new(),
            out: Vec::with_capacity(features),
        }
    }

    /// Starts a group of at most `features` features; returns where it starts in the answer.
    /// The table has a third more slots than that, so a probe always ends.
    fn start_group(&mut self, features: usize) -> usize {
        self.slots = vec![0; (features + features / 2 + 1).next_power_of_two()];
        self.out.len()
    }

    #[inline(always)]
    fn add(&mut self, j: u32) {
        let mask = self.slots.len() - 1;
        let mut at = slot_of(j) & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                self.out.push((j, 1.0));
                self.slots[at] = self.out.len() as u32;
                return;
            }
            let (key, count) = &mut self.out[slot as usize - 1];
            if *key == j {
                *count += 1.0;
                return;
            }
            at = (at + 1) & mask;
        }
    }

    /// The counts damped to 1 + ln n.
    fn damped(mut self) -> Sparse {
        // Most features occur once: skip the logarithm for them.
        for (_, n) in &mut self.out {
            if *n != 1.0 {
                *n = 1.0 + n.ln();
            }
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of feature: words, word pairs, character 1- to 3-grams.
    fn all_kinds() -> FeatureSpec {
        FeatureSpec {
            word_ngrams: 2,
            min_char_ngram: 1,
            ..FeatureSpec::default()
        }
    }

    #[test]
    fn features_are_unit_length_distinct_and_deterministic() {
        let spec = all_kinds();
        let a = spec.counts(&["质量", "很", "好"], "质量很好").into_vector();
        let b = spec.counts(&["质量", "很", "好"], "质量很好").into_vector();
        assert_eq!(a, b);
        let mut buckets: Vec<u32> = a.iter().map(|&(j, _)| j).collect();
        buckets.sort_unstable();
        buckets.dedup();
        assert_eq!(
            buckets.len(),
            a.len(),
            "each bucket once per group, barring collisions"
        );
        let norm: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        // 3 words + 2 bigrams + 4 + 3 + 2 character n-grams, barring collisions.
        assert_eq!(a.len(), 14);
        // The default: 3 words + 3 + 2 character n-grams.
        let default = FeatureSpec::default().counts(&["质量", "很", "好"], "质量很好");
        assert_eq!(default.into_vector().len(), 8);
    }

    #[test]
    fn repeats_are_counted_once_damped_in_order_of_first_appearance() {
        let spec = all_kinds();
        let counts = spec.counts(&["好", "好", "的"], "好好的");
        let features: Vec<f32> = counts.features.iter().map(|&(_, v)| v).collect();
        let twice = 1.0 + 2f32.ln();
        // Words 好 (twice), 好好, 的, 好的; characters 好 (twice), 好好, 的, 好的, 好好的.
        assert_eq!(counts.words_end, 4);
        assert_eq!(features, [twice, 1.0, 1.0, 1.0, twice, 1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn the_hash_is_stable() {
        // A model file's meaning depends on these exact buckets.
        let spec = FeatureSpec::default();
        // Checked against an independent Python implementation of the same hash.
        let [word] = Hash::fold([Hash::new(b'w')], "好".as_bytes());
        assert_eq!(spec.bucket(word), 484_411);
        assert_eq!(spec.bucket(Hash::new(b'c').char('好')), 312_665);
    }

    #[test]
    fn empty_text_has_no_features() {
        assert!(
            FeatureSpec::default()
                .counts(&[], "")
                .into_vector()
                .is_empty()
        );
        assert!(
            FeatureSpec::default()
                .counts(&[" "], " \n")
                .into_vector()
                .is_empty()
        );
    }
}
