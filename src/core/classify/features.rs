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
            word_ngrams: 2,
            min_char_ngram: 1,
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

    /// Folds bytes one at a time (FNV-1a), then their count, so different splits of the same
    /// bytes hash differently.
    fn bytes(mut self, bytes: &[u8]) -> Self {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.word(bytes.len() as u64)
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

    /// The damped counts (1 + ln n) of a text's features given its words (precise mode, HMM
    /// on), in two groups: word features (words and word pairs) and character n-grams.
    pub(crate) fn counts(&self, words: &[&str], text: &str) -> Counts {
        let mut word_buckets: Vec<u32> = Vec::with_capacity(words.len() * 2);
        let mut previous: Option<&str> = None;
        // Blank words (white space only) are skipped; a word's first character usually says so.
        let blank = |w: &&str| w.chars().all(char::is_whitespace);
        for word in words.iter().copied().filter(|w| !blank(w)) {
            word_buckets.push(self.bucket(Hash::new(b'w').bytes(word.as_bytes())));
            if self.word_ngrams >= 2
                && let Some(previous) = previous
            {
                let pair = Hash::new(b'b')
                    .bytes(previous.as_bytes())
                    .bytes(word.as_bytes());
                word_buckets.push(self.bucket(pair));
            }
            previous = Some(word);
        }
        let (min, max) = (
            usize::from(self.min_char_ngram),
            usize::from(self.max_char_ngram),
        );
        let mut char_buckets: Vec<u32> = Vec::with_capacity(text.len() * max.max(1) / 2);
        if min > 0 {
            // The last `max` characters, newest first.
            let mut window = ['\0'; 8];
            let mut seen = 0usize;
            for c in text.chars().filter(|c| !c.is_whitespace()) {
                window.copy_within(0..7, 1);
                window[0] = c;
                seen += 1;
                let mut h = Hash::new(b'c');
                for n in 1..=max.min(seen) {
                    h = h.char(window[n - 1]);
                    if n >= min {
                        char_buckets.push(self.bucket(h));
                    }
                }
            }
        }
        Counts {
            groups: [damped(word_buckets), damped(char_buckets)],
        }
    }
}

/// A text's damped feature counts, by group (in hash-table order, which is fixed).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counts {
    groups: [Sparse; 2],
}

impl Counts {
    /// The feature vector: each group scaled to unit length and the groups weighted equally,
    /// so its length is 1 (or 0 for a text without features). A bucket that both groups hit
    /// appears twice, which sums the same in a dot product.
    pub(crate) fn vector(&self) -> Sparse {
        let norm = |g: &Sparse| g.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        let norms = self.groups.each_ref().map(norm);
        let present = norms.iter().filter(|&&n| n > 0.0).count();
        if present == 0 {
            return Vec::new();
        }
        let share = (present as f32).sqrt().recip();
        let mut out: Sparse = Vec::with_capacity(self.groups[0].len() + self.groups[1].len());
        for (group, n) in self.groups.iter().zip(norms) {
            if n > 0.0 {
                out.extend(group.iter().map(|&(j, v)| (j, v * share / n)));
            }
        }
        out
    }
}

/// Counts the distinct buckets with a small open-addressing table (no sort), damped to
/// 1 + ln n.
fn damped(buckets: Vec<u32>) -> Sparse {
    const EMPTY: u32 = u32::MAX;
    let slots = (buckets.len() * 2).next_power_of_two().max(8);
    let mask = slots - 1;
    let mut table: Vec<(u32, u32)> = vec![(EMPTY, 0); slots];
    for j in buckets {
        let mut at = (j as usize).wrapping_mul(0x9e37_79b9) & mask;
        loop {
            match &mut table[at] {
                (key, count) if *key == j => {
                    *count += 1;
                    break;
                }
                (key, count) if *key == EMPTY => {
                    *key = j;
                    *count = 1;
                    break;
                }
                _ => at = (at + 1) & mask,
            }
        }
    }
    table
        .into_iter()
        .filter(|&(key, _)| key != EMPTY)
        // Most features occur once: skip the logarithm for them.
        .map(|(key, count)| {
            (
                key,
                if count == 1 {
                    1.0
                } else {
                    1.0 + (count as f32).ln()
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_unit_length_distinct_and_deterministic() {
        let spec = FeatureSpec::default();
        let a = spec.counts(&["质量", "很", "好"], "质量很好").vector();
        let b = spec.counts(&["质量", "很", "好"], "质量很好").vector();
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
    }

    #[test]
    fn the_hash_is_stable() {
        // A model file's meaning depends on these exact buckets.
        let spec = FeatureSpec::default();
        // Checked against an independent Python implementation of the same hash.
        assert_eq!(spec.bucket(Hash::new(b'w').bytes("好".as_bytes())), 484_411);
        assert_eq!(spec.bucket(Hash::new(b'c').char('好')), 312_665);
    }

    #[test]
    fn empty_text_has_no_features() {
        assert!(FeatureSpec::default().counts(&[], "").vector().is_empty());
        assert!(
            FeatureSpec::default()
                .counts(&[" "], " \n")
                .vector()
                .is_empty()
        );
    }
}
