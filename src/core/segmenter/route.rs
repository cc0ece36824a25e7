//! The dictionary route of Python's blocks, read from jieba-rs.
//!
//! jieba-rs's `cut(text, false)` walks the same DAG and best route as Python's
//! `__cut_DAG_NO_HMM` (same dictionary, same log-probabilities, same tie-breaking) and gives
//! each route step as a token, joining consecutive single-character steps of ASCII letters and
//! digits into one, as Python does. Its blocks are Python's except that it keeps the CJK
//! ideographs outside `U+4E00..=U+9FD5` in them; cutting the text at those characters first
//! (each a token of its own, as in Python) makes the blocks equal. Posseg cuts at `%` and `-`
//! too ([`is_posseg_block_char`]).

use super::super::dictionary::Dictionary;

use super::super::Token;
use super::super::classes::{is_block_char, is_foreign_ideograph, is_posseg_block_char, runs};
use super::{Tiler, each_char};

/// Which of Python's block rules applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocks {
    /// `jieba.cut`'s `re_han_default`.
    Default,
    /// `jieba.posseg.cut`'s `re_han_internal`.
    Posseg,
}

impl Blocks {
    /// Whether `c` is a block character for jieba-rs but not for this rule.
    fn separates(self, c: char) -> bool {
        match self {
            Self::Default => is_foreign_ideograph(c),
            Self::Posseg => is_foreign_ideograph(c) || matches!(c, '%' | '-'),
        }
    }

    /// Whether `text` may hold a character this rule separates (a quick look at its bytes;
    /// false means it holds none).
    fn may_separate(self, text: &str) -> bool {
        let bytes = text.as_bytes();
        super::may_hold_foreign_ideograph(bytes)
            || (self == Self::Posseg && memchr::memchr2(b'%', b'-', bytes).is_some())
    }

    /// Whether `c` belongs in a block under this rule.
    pub(crate) fn holds(self, c: char) -> bool {
        match self {
            Self::Default => is_block_char(c),
            Self::Posseg => is_posseg_block_char(c),
        }
    }
}

/// What a route token is to Python's walk over the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A character outside every block (or `\r\n`): white space, punctuation and the like.
    Gap,
    /// One or more single-character route steps (jieba-rs joins runs of ASCII letters and
    /// digits into one token).
    Singles,
    /// A dictionary word of two or more characters.
    Word,
}

impl Step {
    /// What `token`, a route token under `blocks`, is. A run of ASCII letters and
    /// digits that is itself a dictionary word is taken for the route's word: the route prefers
    /// it to its letters unless a user dictionary gives single letters huge frequencies.
    pub(crate) fn of(jieba: &Dictionary, blocks: Blocks, token: &Token<'_>) -> Self {
        let word = token.word;
        let Some(first) = word.chars().next() else {
            return Self::Gap;
        };
        if !blocks.holds(first) {
            Self::Gap
        } else if token.end - token.start == 1
            || (word.bytes().all(|b| b.is_ascii_alphanumeric()) && !jieba.has_word(word))
        {
            Self::Singles
        } else {
            Self::Word
        }
    }
}

/// The route tokens of `text`, `jieba.cut(text, HMM=False)` under `blocks`, in order (they tile
/// the text), each with the tag jieba-rs gives it (see [`super::posseg`]); each character
/// `blocks` separates is a token of its own, tagged `x`.
pub(crate) fn tagged_no_hmm_route<'a>(
    jieba: &'a Dictionary,
    text: &'a str,
    blocks: Blocks,
) -> Vec<Token<'a>> {
    let route = |stretch: &'a str| jieba.tag(stretch).into_iter();
    if !blocks.may_separate(text) || !text.chars().any(|c| blocks.separates(c)) {
        return route(text).collect();
    }
    let mut out = Vec::new();
    let mut tiler = Tiler { chars: 0, bytes: 0 };
    for (separators, part) in runs(text, |c| blocks.separates(c)) {
        let part = tiler.next(part, Some("x"));
        if separators {
            each_char(part, |c| out.push(c));
        } else {
            out.extend(route(part.word).map(|t| t.shifted(part.start, part.byte_start)));
        }
    }
    out
}
