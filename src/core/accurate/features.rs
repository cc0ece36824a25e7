//! The features of a character position: what the segmentation model scores.
//!
//! Each feature is a 64-bit key: a template number in the top five bits and what the template
//! reads below them, packed exactly (no hashing), so two features never share a weight.
//! Characters are read as ids in the model's character vocabulary (19 bits each, three to a
//! key at most).
//!
//! Templates come in four kinds, which the serving model lays out differently
//! (`weights.rs`): *character* templates read one character and a small code (its class, or
//! what the dictionary says of the position), *pair* templates two adjacent characters,
//! *hashed* templates three characters, and *dense* templates a small code alone (classes,
//! dictionary lengths). Training sees only the keys.

use rustc_hash::FxHashMap;

use super::chars::{Class, class, normalize};
use super::decode::{B, E, M, S};

/// How many features a position has.
pub(crate) const TEMPLATES: usize = CHAR_TEMPLATES + PAIR_TEMPLATES + OTHER_TEMPLATES;

/// Templates 1 to 14 read one character and a code: their payload is `code << ID_BITS | id`.
pub(crate) const CHAR_TEMPLATES: usize = 14;
/// For each character template, from template 1: the character it reads (its offset from the
/// position) and how many codes it has.
pub(crate) const CHAR_LAYOUT: [(usize, u8); CHAR_TEMPLATES] = [
    // The characters from two before to two after the position.
    (0, 1),
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    // The position's character with the class of the one before, and of the one after.
    (2, 8),
    (2, 8),
    // The position's character with the longest dictionary word starting there, and ending.
    (2, 7),
    (2, 7),
    // The next character with the longest word ending here; the previous one with the longest
    // starting here.
    (3, 7),
    (1, 7),
    // The position's character with the longest word ending before it, and starting after.
    (2, 7),
    (2, 7),
    // The position's character with its place in jieba's route.
    (2, 32),
];
/// Templates 15 to 18 read two adjacent characters (`first << ID_BITS | second`): those from
/// two before, one before, the position and one after.
pub(crate) const PAIR_TEMPLATES: usize = 4;
/// Templates 19 and 20 read three characters (one before, one after; and the three).
pub(crate) const HASHED_TEMPLATES: usize = 2;
/// Templates 21 to 27 read a small code: for each, how many codes it has.
pub(crate) const DENSE_LAYOUT: [usize; DENSE_TEMPLATES] = [1 << 15, 1 << 13, 7, 7, 7, 1 << 11, 32];
/// Templates 21 to 27.
pub(crate) const DENSE_TEMPLATES: usize = 7;
/// Templates 19 to 27: everything but characters and pairs.
pub(crate) const OTHER_TEMPLATES: usize = HASHED_TEMPLATES + DENSE_TEMPLATES;
/// The first dense template.
pub(crate) const FIRST_DENSE: u64 = (CHAR_TEMPLATES + PAIR_TEMPLATES + HASHED_TEMPLATES) as u64 + 1;
/// The first pair template.
pub(crate) const FIRST_PAIR: u64 = CHAR_TEMPLATES as u64 + 1;

/// Bits of a character id.
pub(crate) const ID_BITS: u32 = 19;
/// The id bits of a payload.
pub(crate) const ID_MASK: u64 = (1 << ID_BITS) - 1;
/// The most characters a vocabulary holds (ids 0 and 1 are taken).
pub(crate) const MAX_VOCABULARY: usize = (1 << ID_BITS) - 2;
/// Characters the model has not seen.
const UNKNOWN: u32 = 0;
/// Before the first character and after the last.
const EDGE: u32 = 1;
/// The longest dictionary word length told apart; longer words count as this long.
const MAX_DICT_LEN: u8 = 6;

/// A key from a template and the bits it reads (below the template's five bits).
pub(crate) const fn key(template: u64, payload: u64) -> u64 {
    (template << 59) | payload
}

/// The template of a key.
pub(crate) const fn template(key: u64) -> u64 {
    key >> 59
}

/// The bits of a key below its template.
pub(crate) const fn payload(key: u64) -> u64 {
    key & ((1 << 59) - 1)
}

/// The characters a model knows, by id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vocabulary {
    /// Ids of the Basic Multilingual Plane's characters, indexed by code point (0: unknown).
    bmp: Vec<u32>,
    /// Ids of the characters above it.
    astral: FxHashMap<char, u32>,
    /// The characters in id order (from id 2).
    chars: Vec<char>,
}

impl Vocabulary {
    /// A vocabulary of `chars`, in that order (normalised characters, each once).
    pub(crate) fn new(chars: Vec<char>) -> Self {
        let mut bmp = vec![UNKNOWN; 0x1_0000];
        let mut astral = FxHashMap::default();
        for (i, &c) in chars.iter().enumerate() {
            let id = i as u32 + 2;
            match bmp.get_mut(c as usize) {
                Some(slot) => *slot = id,
                None => {
                    astral.insert(c, id);
                }
            }
        }
        Self { bmp, astral, chars }
    }

    /// The characters in id order.
    pub(crate) fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of a normalised character.
    #[inline]
    pub(crate) fn id(&self, c: char) -> u32 {
        match self.bmp.get(c as usize) {
            Some(&id) => id,
            None => self.astral.get(&c).copied().unwrap_or(UNKNOWN),
        }
    }
}

/// What a dictionary says of a position: the longest dictionary word that starts there, ends
/// there, and runs through it (neither starting nor ending), each in characters (0: none),
/// capped at [`MAX_DICT_LEN`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DictAt {
    pub(crate) starts: u8,
    pub(crate) ends: u8,
    pub(crate) inside: u8,
    /// Where jieba's route places the character: its tag in the route's word (B, M, E, S)
    /// times 8, plus the word's length (capped); 0 when not known.
    pub(crate) route: u8,
}

impl DictAt {
    /// Notes that jieba's route takes characters `start..end` of a sentence as a word.
    pub(crate) fn note_route(at: &mut [DictAt], start: usize, end: usize) {
        let len = (end - start).min(MAX_DICT_LEN as usize) as u8;
        if end - start == 1 {
            at[start].route = (S << 3) | 1;
        } else {
            at[start].route = (B << 3) | len;
            for a in &mut at[start + 1..end - 1] {
                a.route = (M << 3) | len;
            }
            at[end - 1].route = (E << 3) | len;
        }
    }

    /// Whether the route noted in `at` takes characters `start..end` as one word.
    pub(crate) fn route_took(at: &[DictAt], start: usize, end: usize) -> bool {
        let len = (end - start).min(MAX_DICT_LEN as usize) as u8;
        at[start].route == (B << 3) | len && at[end - 1].route == (E << 3) | len
    }

    /// Notes a dictionary word over characters `start..end` of a sentence in `at`.
    pub(crate) fn note(at: &mut [DictAt], start: usize, end: usize) {
        let len = (end - start).min(MAX_DICT_LEN as usize) as u8;
        if end - start < 2 || end > at.len() {
            return;
        }
        at[start].starts = at[start].starts.max(len);
        at[end - 1].ends = at[end - 1].ends.max(len);
        for a in &mut at[start + 1..end - 1] {
            a.inside = a.inside.max(len);
        }
    }
}

/// A sentence as the model reads it: each character's id and class, with two edge positions
/// before and after, and what the dictionary says of each character.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    ids: Vec<u32>,
    classes: Vec<u8>,
    /// The normalised characters, with edges as `\0`.
    chars: Vec<char>,
    pub(crate) dict: Vec<DictAt>,
}

impl Prepared {
    /// Prepares `sentence`'s normalised characters; the dictionary's words are noted by the
    /// caller in [`Prepared::dict`].
    pub(crate) fn fill(&mut self, vocabulary: &Vocabulary, normalized: &[char]) {
        self.ids.clear();
        self.classes.clear();
        self.chars.clear();
        self.dict.clear();
        self.dict.resize(normalized.len(), DictAt::default());
        let edge = |p: &mut Self| {
            p.ids.push(EDGE);
            p.classes.push(Class::Edge as u8);
            p.chars.push('\0');
        };
        edge(self);
        edge(self);
        for &c in normalized {
            self.ids.push(vocabulary.id(c));
            self.classes.push(class(c) as u8);
            self.chars.push(c);
        }
        edge(self);
        edge(self);
    }

    /// Characters in the sentence.
    pub(crate) fn len(&self) -> usize {
        self.dict.len()
    }

    /// The character ids, with the two edge positions either side: position `i` is at `i + 2`.
    pub(crate) fn padded_ids(&self) -> &[u32] {
        &self.ids
    }

    /// The codes of position `i`'s character templates (see [`CHAR_LAYOUT`]).
    #[inline]
    pub(crate) fn char_codes(&self, i: usize) -> [u8; CHAR_TEMPLATES] {
        let p = i + 2;
        let (kb, kd) = (self.classes[p - 1], self.classes[p + 1]);
        let dict = self.dict[i];
        let ends_before = i.checked_sub(1).map_or(0, |k| self.dict[k].ends);
        let starts_after = self.dict.get(i + 1).map_or(0, |d| d.starts);
        [
            0,
            0,
            0,
            0,
            0,
            kb,
            kd,
            dict.starts,
            dict.ends,
            dict.ends,
            dict.starts,
            ends_before,
            starts_after,
            dict.route,
        ]
    }

    /// The keys of position `i`'s hashed templates.
    #[inline]
    pub(crate) fn hashed_keys(&self, i: usize) -> [u64; HASHED_TEMPLATES] {
        let p = i + 2;
        let id = |k: usize| u64::from(self.ids[k]);
        let (b, c, d) = (id(p - 1), id(p), id(p + 1));
        [
            key(19, b << ID_BITS | d),
            key(20, (b << ID_BITS | c) << ID_BITS | d),
        ]
    }

    /// The codes of position `i`'s dense templates (see [`DENSE_LAYOUT`]).
    #[inline]
    pub(crate) fn dense_codes(&self, i: usize) -> [usize; DENSE_TEMPLATES] {
        let p = i + 2;
        let cl = |k: usize| usize::from(self.classes[k]);
        let (ka, kb, kc, kd, ke) = (cl(p - 2), cl(p - 1), cl(p), cl(p + 1), cl(p + 2));
        let ch = |k: usize| self.chars[k];
        let repeats = usize::from(ch(p) == ch(p + 1))
            | usize::from(ch(p - 1) == ch(p)) << 1
            | usize::from(ch(p - 1) == ch(p + 1)) << 2
            | usize::from(ch(p - 2) == ch(p)) << 3;
        let dict = self.dict[i];
        let (ds, de, di) = (
            usize::from(dict.starts),
            usize::from(dict.ends),
            usize::from(dict.inside),
        );
        [
            ka << 12 | kb << 9 | kc << 6 | kd << 3 | ke,
            repeats << 9 | kb << 6 | kc << 3 | kd,
            ds,
            de,
            di,
            ds << 8 | de << 4 | di,
            usize::from(dict.route),
        ]
    }

    /// The keys of all of position `i`'s features, as training reads them.
    pub(crate) fn keys(&self, i: usize, out: &mut [u64; TEMPLATES]) {
        let p = i + 2;
        let codes = self.char_codes(i);
        for (t, &(at, _)) in CHAR_LAYOUT.iter().enumerate() {
            let id = u64::from(self.ids[p - 2 + at]);
            out[t] = key(t as u64 + 1, u64::from(codes[t]) << ID_BITS | id);
        }
        for k in 0..PAIR_TEMPLATES {
            let first = p - 2 + k;
            let pair = u64::from(self.ids[first]) << ID_BITS | u64::from(self.ids[first + 1]);
            out[CHAR_TEMPLATES + k] = key(FIRST_PAIR + k as u64, pair);
        }
        let first = CHAR_TEMPLATES + PAIR_TEMPLATES;
        out[first..first + HASHED_TEMPLATES].copy_from_slice(&self.hashed_keys(i));
        for (k, code) in self.dense_codes(i).into_iter().enumerate() {
            out[first + HASHED_TEMPLATES + k] = key(FIRST_DENSE + k as u64, code as u64);
        }
    }
}

/// The normalised characters of `text`, appended to `out`.
pub(crate) fn normalize_into(text: &str, out: &mut Vec<char>) {
    out.extend(text.chars().map(normalize));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_template_and_characters() {
        let vocabulary = Vocabulary::new("中国人民".chars().collect());
        let mut p = Prepared::default();
        p.fill(&vocabulary, &"中国人".chars().collect::<Vec<_>>());
        let mut k0 = [0; TEMPLATES];
        let mut k1 = [0; TEMPLATES];
        p.keys(0, &mut k0);
        p.keys(1, &mut k1);
        let mut all: Vec<u64> = k0.iter().chain(&k1).copied().collect();
        all.sort_unstable();
        all.dedup();
        // Only the dictionary templates (no words noted) and the edge two before are shared by
        // the two positions.
        assert_eq!(all.len(), 2 * TEMPLATES - 6);
        for (t, k) in k0.iter().enumerate() {
            assert_eq!(template(*k), t as u64 + 1);
        }
        assert!(k0.iter().all(|&k| k != 0));
    }

    #[test]
    fn dictionary_words_are_noted_at_their_ends_and_inside() {
        let mut at = vec![DictAt::default(); 5];
        DictAt::note(&mut at, 0, 3);
        DictAt::note(&mut at, 2, 4);
        DictAt::note(&mut at, 4, 5);
        assert_eq!(at[0].starts, 3);
        assert_eq!(at[1].inside, 3);
        assert_eq!((at[2].ends, at[2].starts), (3, 2));
        assert_eq!(at[3].ends, 2);
        assert_eq!(at[4], DictAt::default());
    }
}
