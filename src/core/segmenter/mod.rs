//! Segmentation by Python jieba 0.42.1's rules, over jieba-rs's dictionary route.
//!
//! jieba-rs computes the same DAG, best route and four-state HMM Viterbi as Python jieba, but
//! wraps them in rules of its own: its blocks take in the CJK ideographs outside
//! `U+4E00..=U+9FD5`, its HMM step keeps `2025-06-26` and `mp.weixin.qq.com` whole, its search
//! mode adds the parts of such runs, and its full mode has other blocks and no fallback for a
//! character the dictionary lacks. Users compare us with Python, so this module takes from
//! jieba-rs what is identical (its cuts where its rules agree with Python's, the route of a
//! block, the Viterbi over Han runs in [`finalseg`]) and applies Python's rules around them.
//! [`precise`] is `jieba.cut(text, HMM=hmm)` (`__cut_DAG`, `__cut_DAG_NO_HMM`), [`search`]
//! `jieba.cut_for_search`, [`full()`] `jieba.cut(text, cut_all=True)` (`__cut_all`), and
//! [`posseg::tag`] `jieba.posseg.cut`.
//!
//! The one intended difference: Python's full mode yields empty strings next to white space;
//! we never answer an empty token.

mod finalseg;
mod full;
pub(crate) mod pos_hmm;
pub(crate) mod posseg;
mod route;

use super::dictionary::Dictionary;

pub(crate) use super::classes::{is_block_char, is_posseg_block_char, is_space};
pub(crate) use full::full;

use super::Token;
use super::classes::{is_foreign_ideograph, runs};
use super::token::Origin;
use route::{Blocks, Step};

/// Precise-mode tokens of `text`, as Python's `jieba.cut(text, HMM=hmm)`, offsets from
/// `origin` (where `text` starts in a longer one); they tile the text.
///
/// jieba-rs's own `cut` gives Python's tokens except in two places, which are mended here:
/// - its blocks take in the ideographs outside Python's range, so each of its blocks holding
///   one ([`foreign_regions`]) is cut again by Python's rules ([`python_region`]); jieba-rs cuts
///   each of its blocks on its own, so its tokens never cross one. `foreign_words` says that the
///   dictionary has words holding such ideographs, which jieba-rs can match and Python cannot
///   (every block holding one is cut again then).
/// - with the HMM, a run of single characters that is not a word is cut by `finalseg`, whose
///   `re_skip` splits `2025-06-26` at the `-` (`[a-zA-Z0-9]+(?:\.\d+)?%?`), where jieba-rs
///   keeps runs joined by `.`, `-` and `_` whole. Splitting jieba-rs's pieces again by Python's
///   pattern gives Python's (they end where Python's do, and Python's never run past them), so
///   each token of ASCII holding one of those characters that is not a dictionary word is split
///   again ([`finalseg::split_alphanumeric`]). On the seeds this touches about one token in
///   two hundred; text without those characters costs one vectorised scan more than jieba-rs.
pub(crate) fn precise<'a>(
    jieba: &Dictionary,
    text: &'a str,
    hmm: bool,
    foreign_words: bool,
    origin: Origin,
) -> Vec<Token<'a>> {
    // The built-in dictionary's cut straight from jieba-rs: its tokens converted once, here
    // (converting them in `Dictionary::cut` first cost 3.8 % more instructions on a review).
    match jieba.builtin_jieba() {
        Some(builtin) => mended(
            jieba,
            builtin.cut(text, hmm),
            text,
            hmm,
            foreign_words,
            origin,
        ),
        None => mended(
            jieba,
            jieba.cut(text, hmm),
            text,
            hmm,
            foreign_words,
            origin,
        ),
    }
}

/// A token of a cut: jieba-rs's or ours.
trait CutToken<'a>: Sized {
    fn token(&self) -> Token<'a>;

    /// All of `tokens`, each shifted by `origin`.
    fn all_shifted(tokens: Vec<Self>, origin: Origin) -> Vec<Token<'a>> {
        tokens
            .iter()
            .map(|t| t.token().shifted(origin.chars, origin.bytes))
            .collect()
    }
}

impl<'a> CutToken<'a> for Token<'a> {
    #[inline]
    fn token(&self) -> Token<'a> {
        *self
    }

    /// In place, without a second vector.
    fn all_shifted(mut tokens: Vec<Self>, origin: Origin) -> Vec<Token<'a>> {
        if origin != Origin::default() {
            for t in &mut tokens {
                *t = t.shifted(origin.chars, origin.bytes);
            }
        }
        tokens
    }
}

impl<'a> CutToken<'a> for jieba_rs::Token<'a> {
    #[inline]
    fn token(&self) -> Token<'a> {
        Token::from(self)
    }
}

/// [`precise`]'s mending of the dictionary's cut `tokens` of `text`.
fn mended<'a, T: CutToken<'a>>(
    jieba: &Dictionary,
    tokens: Vec<T>,
    text: &'a str,
    hmm: bool,
    foreign_words: bool,
    origin: Origin,
) -> Vec<Token<'a>> {
    let from_jieba = |t: &T| t.token().shifted(origin.chars, origin.bytes);
    let regions = foreign_regions(text, foreign_words);
    let joined = if hmm {
        memchr::memchr3(b'.', b'-', b'_', text.as_bytes())
    } else {
        None
    };
    if regions.is_empty() && joined.is_none() {
        return T::all_shifted(tokens, origin);
    }
    let mut out: Vec<Token<'a>> = Vec::with_capacity(tokens.len() + 16);
    // Tokens before `copied` are in `out`, or were replaced.
    let mut copied = 0;
    let mend = |out: &mut Vec<Token<'a>>, copied: &mut usize, until: usize| {
        // The joined runs among tokens[*copied..until], split again.
        let Some(first) = joined else {
            return;
        };
        let mut k =
            *copied + tokens[*copied..until].partition_point(|t| t.token().byte_end <= first);
        while k < until {
            let t = tokens[k].token();
            if t.word.is_ascii()
                && t.word.bytes().any(|b| matches!(b, b'.' | b'-' | b'_'))
                && !jieba.has_word(t.word)
            {
                out.extend(tokens[*copied..k].iter().map(from_jieba));
                let mut tiler = Tiler {
                    chars: origin.chars + t.start,
                    bytes: origin.bytes + t.byte_start,
                };
                finalseg::split_alphanumeric(t.word, |piece| out.push(tiler.next(piece, None)));
                *copied = k + 1;
            }
            k += 1;
        }
    };
    for (from, to) in regions {
        let first = copied + tokens[copied..].partition_point(|t| t.token().byte_start < from);
        mend(&mut out, &mut copied, first);
        out.extend(tokens[copied..first].iter().map(from_jieba));
        copied = first + tokens[first..].partition_point(|t| t.token().byte_start < to);
        let start = tokens.get(first).map_or(0, |t| t.token().start);
        let mut tiler = Tiler {
            chars: origin.chars + start,
            bytes: origin.bytes + from,
        };
        let region = tiler.next(&text[from..to], None);
        python_region(jieba, region, hmm, &mut out);
    }
    mend(&mut out, &mut copied, tokens.len());
    out.extend(tokens[copied..].iter().map(from_jieba));
    out
}

/// The blocks of jieba-rs (runs of Python's block characters and the ideographs outside its
/// range) in `text` that hold such an ideograph (with `foreign_words`, any block that does),
/// in order, as byte ranges.
fn foreign_regions(text: &str, foreign_words: bool) -> Vec<(usize, usize)> {
    let mut regions: Vec<(usize, usize)> = Vec::new();
    if foreign_words || may_hold_foreign_ideograph(text.as_bytes()) {
        for (at, c) in text.char_indices() {
            if is_foreign_ideograph(c) && regions.last().is_none_or(|&(_, end)| at >= end) {
                regions.push(jieba_block_around(text, at));
            }
        }
    }
    regions
}

/// Whether `bytes` (UTF-8) may hold an ideograph outside U+4E00..=U+9FD5, by their first two
/// bytes: U+3400..=U+4DBF (E3 90 to E4 B7), U+9FD6..=U+9FFF (E9 BF), U+F900..=U+FAFF (EF A4 to
/// EF AB), U+20000 on (F0 and above; emoji too, which the exact look then rules out).
/// Branch-free over pairs of bytes, so that the compiler vectorises it.
pub(super) fn may_hold_foreign_ideograph(bytes: &[u8]) -> bool {
    const LANES: usize = 32;
    let flag = |b: u8, n: u8| {
        (u8::from(b == 0xE3) & u8::from(n >= 0x90))
            | (u8::from(b == 0xE4) & u8::from(n < 0xB8))
            | (u8::from(b == 0xE9) & u8::from(n == 0xBF))
            | (u8::from(b == 0xEF) & u8::from(n.wrapping_sub(0xA4) < 8))
            | u8::from(b >= 0xF0)
    };
    // Each byte with the one after it (the very last byte starts no character that matters).
    let Some(next) = bytes.get(1..) else {
        return false;
    };
    let leads = &bytes[..next.len()];
    let mut lead_chunks = leads.chunks_exact(LANES);
    let mut next_chunks = next.chunks_exact(LANES);
    let any = |lead: &[u8], next: &[u8]| {
        lead.iter()
            .zip(next)
            .fold(0, |acc, (&b, &n)| acc | flag(b, n))
            != 0
    };
    lead_chunks
        .by_ref()
        .zip(next_chunks.by_ref())
        .any(|(l, n)| any(l, n))
        || any(lead_chunks.remainder(), next_chunks.remainder())
}

/// The block of jieba-rs around byte `at` of `text` (a character boundary), as a byte range.
fn jieba_block_around(text: &str, at: usize) -> (usize, usize) {
    let in_block = |c: char| is_block_char(c) || is_foreign_ideograph(c);
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| in_block(c))
        .last()
        .map_or(at, |(k, _)| k);
    let end = text[at..]
        .char_indices()
        .find(|&(_, c)| !in_block(c))
        .map_or(text.len(), |(k, _)| at + k);
    (start, end)
}

/// Cuts `region`, a block of jieba-rs, by Python's rules: each ideograph outside Python's
/// range a token, each of Python's blocks between them by [`walk_block`].
fn python_region<'a>(jieba: &Dictionary, region: Token<'a>, hmm: bool, out: &mut Vec<Token<'a>>) {
    let mut tiler = Tiler::at(&region);
    for (foreign, part) in runs(region.word, is_foreign_ideograph) {
        let part = tiler.next(part, None);
        if foreign {
            each_char(part, |c| out.push(c));
        } else {
            walk_block(jieba, part, hmm, out);
        }
    }
}

/// Python's `__cut_DAG` over one block (with the HMM): the route's words, and each buffer of
/// single steps as one character, its characters one by one when it is a word, or through
/// [`finalseg`] when not.
fn walk_block<'a>(jieba: &Dictionary, block: Token<'a>, hmm: bool, out: &mut Vec<Token<'a>>) {
    let route = jieba.cut(block.word, false);
    let (chars, bytes) = (block.start, block.byte_start);
    if !hmm {
        out.extend(route.into_iter().map(|t| t.shifted(chars, bytes)));
        return;
    }
    let mut push = |t: Token<'a>| out.push(t.shifted(chars, bytes));
    each_group(
        jieba,
        Blocks::Default,
        &route,
        block.word,
        |group| match group {
            Group::Step(token) => push(token),
            Group::Singles(span, _) => {
                if span.end - span.start == 1 {
                    push(span);
                } else if jieba.has_word(span.word) {
                    each_char(span, &mut push);
                } else {
                    finalseg::cut(span, &mut push);
                }
            }
        },
    );
}

/// Whether `word` holds an ideograph outside Python's Han range (see [`precise`]).
pub(crate) fn has_foreign_ideograph(word: &str) -> bool {
    word.chars().any(is_foreign_ideograph)
}

/// Search-mode tokens of `text`, as `jieba.cut_for_search(text, HMM=hmm)`: each precise-mode
/// token, after the two- and then three-character dictionary words inside it.
pub(crate) fn search<'a>(
    jieba: &Dictionary,
    text: &'a str,
    hmm: bool,
    foreign_words: bool,
) -> Vec<Token<'a>> {
    let words = precise(jieba, text, hmm, foreign_words, Origin::default());
    let mut out = Vec::with_capacity(words.len() + words.len() / 4);
    for word in words {
        let n = word.end - word.start;
        if n > 2 {
            let chars: Vec<usize> = word
                .word
                .char_indices()
                .map(|(i, _)| i)
                .chain([word.word.len()])
                .collect();
            for len in [2, 3].into_iter().filter(|&len| n > len) {
                for i in 0..=n - len {
                    let gram = &word.word[chars[i]..chars[i + len]];
                    if jieba.has_word(gram) {
                        out.push(Token {
                            word: gram,
                            start: word.start + i,
                            end: word.start + i + len,
                            byte_start: word.byte_start + chars[i],
                            byte_end: word.byte_start + chars[i + len],
                            pos: None,
                        });
                    }
                }
            }
        }
        out.push(word);
    }
    out
}

/// A route token, or a run of single-character route steps that Python gathers into its
/// buffer.
enum Group<'a, 'r> {
    /// A dictionary word or a character outside the blocks.
    Step(Token<'a>),
    /// The buffer: the token spanning it, and the route tokens it is made of.
    Singles(Token<'a>, &'r [Token<'a>]),
}

/// Walks `route` as Python's `__cut_DAG` does, handing `visit` each word and each buffer of
/// single steps.
fn each_group<'a, 'r>(
    jieba: &Dictionary,
    blocks: Blocks,
    route: &'r [Token<'a>],
    text: &'a str,
    mut visit: impl FnMut(Group<'a, 'r>),
) {
    let mut i = 0;
    // What route[i] is, when already known.
    let mut step = None;
    while i < route.len() {
        if step.unwrap_or_else(|| Step::of(jieba, blocks, &route[i])) != Step::Singles {
            visit(Group::Step(route[i]));
            i += 1;
            step = None;
            continue;
        }
        let mut j = i + 1;
        step = None;
        while j < route.len() {
            let next = Step::of(jieba, blocks, &route[j]);
            if next != Step::Singles {
                step = Some(next);
                break;
            }
            j += 1;
        }
        let (first, last) = (&route[i], &route[j - 1]);
        let span = Token {
            word: &text[first.byte_start..last.byte_end],
            start: first.start,
            end: last.end,
            byte_start: first.byte_start,
            byte_end: last.byte_end,
            pos: None,
        };
        visit(Group::Singles(span, &route[i..j]));
        i = j;
    }
}

/// Each character of `token` as a token.
fn each_char<'a>(token: Token<'a>, mut emit: impl FnMut(Token<'a>)) {
    for (k, (i, c)) in token.word.char_indices().enumerate() {
        let byte_start = token.byte_start + i;
        emit(Token {
            word: &token.word[i..i + c.len_utf8()],
            start: token.start + k,
            end: token.start + k + 1,
            byte_start,
            byte_end: byte_start + c.len_utf8(),
            pos: token.pos,
        });
    }
}

/// Hands out the tokens of consecutive pieces of a text, from a starting point, with their
/// offsets.
struct Tiler {
    chars: usize,
    bytes: usize,
}

impl Tiler {
    /// Tiles from the start of `token`.
    fn at(token: &Token<'_>) -> Self {
        Self {
            chars: token.start,
            bytes: token.byte_start,
        }
    }

    /// `word`, which comes next in the text, as a token.
    fn next<'a>(&mut self, word: &'a str, pos: Option<&'a str>) -> Token<'a> {
        let start = self.chars;
        self.chars += word.chars().count();
        let byte_start = self.bytes;
        self.bytes += word.len();
        Token {
            word,
            start,
            end: self.chars,
            byte_start,
            byte_end: self.bytes,
            pos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::dictionary::Dictionary;

    fn words<'a>(tokens: &[Token<'a>]) -> Vec<&'a str> {
        tokens.iter().map(|t| t.word).collect()
    }

    #[test]
    fn ascii_runs_split_at_their_connectors_as_in_python() {
        let jieba = Dictionary::builtin();
        let tokens = precise(
            &jieba,
            "日期2025-06-26，见mp.weixin.qq.com和1.320G",
            true,
            false,
            Origin::default(),
        );
        assert_eq!(
            words(&tokens),
            [
                "日期", "2025", "-", "06", "-", "26", "，", "见", "mp", ".", "weixin", ".", "qq",
                ".", "com", "和", "1.320", "G"
            ]
        );
    }

    #[test]
    fn ideographs_outside_the_main_block_stand_alone() {
        let jieba = Dictionary::builtin();
        assert_eq!(
            words(&precise(&jieba, "鿖𠀀生得", true, false, Origin::default())),
            ["鿖", "𠀀", "生", "得"]
        );
    }

    /// Texts long enough to be cut into pieces, with each kind of junction placed at every
    /// offset around [`PIECE_BYTES`], give the same tokens in pieces as whole.
    #[test]
    fn pieces_change_no_token_in_any_mode() {
        use crate::core::{
            Analyzer, AnalyzerConfig, Deadline, PIECE_BYTES, SegmentMode, SegmentOptions,
        };
        let analyzer = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        let jieba = Dictionary::builtin();
        let pos_hmm = pos_hmm::PosHmm::builtin();
        let tail = "中文分词，好。”我们\r\n去2025-06-26看𠀀鿖B超 。";
        for junction in [
            "。”",
            "\r\n",
            "。中",
            " a",
            "\u{3000}中",
            "𠀀中",
            "T恤。",
            "。。。",
        ] {
            for shift in 0..junction.len() + 2 {
                let fill = PIECE_BYTES - shift;
                let text = format!(
                    "{}{}{junction}{tail}",
                    "中".repeat(fill / 3),
                    "a".repeat(fill % 3)
                );
                for hmm in [true, false] {
                    let whole: [Vec<Token<'_>>; 4] = [
                        precise(&jieba, &text, hmm, false, Origin::default()),
                        search(&jieba, &text, hmm, false),
                        full(&jieba, &text, 16),
                        posseg::tag(&jieba, &pos_hmm, &text, hmm),
                    ];
                    let modes = [
                        (SegmentMode::Precise, false),
                        (SegmentMode::Search, false),
                        (SegmentMode::Full, false),
                        (SegmentMode::Precise, true),
                    ];
                    for ((mode, with_pos), whole) in modes.into_iter().zip(whole) {
                        let options = SegmentOptions {
                            mode,
                            hmm,
                            with_pos,
                        };
                        let pieces = analyzer.segment(&text, &options, Deadline::NONE).unwrap();
                        assert!(
                            pieces == whole,
                            "{mode:?} {with_pos} {hmm} {junction:?} {shift}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn offsets_follow_the_words() {
        let jieba = Dictionary::builtin();
        let text = "我𠀀来到 easy_install北京。";
        for hmm in [true, false] {
            for t in precise(&jieba, text, hmm, false, Origin::default())
                .iter()
                .chain(&search(&jieba, text, hmm, false))
            {
                assert_eq!(&text[t.byte_start..t.byte_end], t.word);
                assert_eq!(text[..t.byte_start].chars().count(), t.start);
                assert_eq!(t.end - t.start, t.word.chars().count());
            }
        }
    }
}
