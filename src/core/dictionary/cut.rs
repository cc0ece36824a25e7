//! A [`Dictionary`]'s cuts of a text, as jieba-rs cuts with the same dictionary: its blocks
//! (Python's block characters and the CJK ideographs outside `U+4E00..=U+9FD5`) by the best
//! route, the rest character by character; see `core::segmenter` for how Python's rules are
//! applied over them.

use std::cell::RefCell;

use super::super::Token;
use super::super::classes::{is_block_char, is_foreign_ideograph, is_han, runs};
use super::hmm::hmm_cut_chars;
use super::{Dictionary, WordId};

/// Whether `c` belongs in one of jieba-rs's blocks.
fn in_block(c: char) -> bool {
    is_block_char(c) || is_foreign_ideograph(c)
}

/// Whether `c` is a CJK ideograph (jieba-rs's blocks of `cut_all`).
fn is_cjk(c: char) -> bool {
    is_han(c) || is_foreign_ideograph(c)
}

/// A step of the best route: its score, the character it ends before and its word (`None`:
/// a character no word starts with); and the lengths of the words starting where it does, a
/// bit each (1 << length, for lengths below 64). The walk asks the dictionary for none of
/// them again, nor tagging for the step's word.
#[derive(Debug, Clone, Copy)]
struct Step {
    score: f64,
    end: usize,
    words: u64,
    word: Option<WordId>,
}

impl Step {
    /// Whether a word of `len` characters starts here: `None` when it is too long to tell.
    #[inline]
    fn has_word(&self, len: usize) -> Option<bool> {
        (len < 64).then(|| self.words & (1 << len) != 0)
    }
}

/// How many characters ahead of the route the built-in words' trie is fetched into cache (see
/// [`CharTrie::prefetch`](super::trie::CharTrie::prefetch)): on all of `seeds/`, a tenant's
/// profile ran at 0.93-0.94 of the default profile's speed without it and 0.98-1.0 with it;
/// 2 to 4 did alike, 8 worse.
const AHEAD: usize = 3;

/// Buffers reused from block to block on a thread.
#[derive(Default)]
struct Scratch {
    /// The byte offset of each character of the block, and the block's length.
    offsets: Vec<usize>,
    /// The block's characters.
    chars: Vec<char>,
    route: Vec<Step>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Where a part of the text starts: in characters and bytes.
#[derive(Debug, Clone, Copy, Default)]
struct At {
    chars: usize,
    bytes: usize,
}

impl At {
    fn token<'a>(&self, word: &'a str, from: usize, to: usize, offsets: &[usize]) -> Token<'a> {
        Token {
            word: &word[offsets[from]..offsets[to]],
            start: self.chars + from,
            end: self.chars + to,
            byte_start: self.bytes + offsets[from],
            byte_end: self.bytes + offsets[to],
            pos: None,
        }
    }
}

impl Dictionary {
    /// The tokens of `text` as jieba-rs's `cut(text, hmm)` gives them with this dictionary: in
    /// each block the route's words, its runs of single ASCII letters and digits joined, and
    /// with `hmm` each other run of single characters as one character, character by character
    /// when the run is a word, or cut by the HMM; between blocks, each character (`\r\n`
    /// together).
    pub(crate) fn cut<'a>(&self, text: &'a str, hmm: bool) -> Vec<Token<'a>> {
        if self.is_builtin_only() {
            let tokens = self.base.jieba().cut(text, hmm);
            return tokens.iter().map(Token::from).collect();
        }
        self.cut_over(text, hmm, None)
    }

    /// [`cut`](Self::cut) over base and overlay; with `tags` (this dictionary), each token the
    /// route took as a step tagged from it (the rest are left to [`tag`](Self::tag)).
    fn cut_over<'a>(&self, text: &'a str, hmm: bool, tags: Option<&'a Self>) -> Vec<Token<'a>> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            scratch.offsets.clear();
            scratch.chars.clear();
            // One pass: a block's characters gathered, each character between blocks a token.
            let mut block = At::default();
            let mut chars_seen = 0;
            let mut rest = text.char_indices().peekable();
            while let Some((i, c)) = rest.next() {
                if in_block(c) {
                    if scratch.chars.is_empty() {
                        block = At {
                            chars: chars_seen,
                            bytes: i,
                        };
                    }
                    scratch.offsets.push(i - block.bytes);
                    scratch.chars.push(c);
                    chars_seen += 1;
                    continue;
                }
                if !scratch.chars.is_empty() {
                    self.cut_block(text, block, (hmm, tags), scratch, &mut out);
                }
                // `\r\n` is one token.
                let (len, end) = if c == '\r' && rest.next_if(|&(_, n)| n == '\n').is_some() {
                    (2, i + 2)
                } else {
                    (1, i + c.len_utf8())
                };
                out.push(Token {
                    word: &text[i..end],
                    start: chars_seen,
                    end: chars_seen + len,
                    byte_start: i,
                    byte_end: end,
                    pos: None,
                });
                chars_seen += len;
            }
            if !scratch.chars.is_empty() {
                self.cut_block(text, block, (hmm, tags), scratch, &mut out);
            }
            if scratch.route.capacity() > 1 << 16 {
                *scratch = Scratch::default();
            }
        });
        out
    }

    /// Cuts the block of `text` starting `at` whose characters and offsets are in `scratch`,
    /// and empties them.
    fn cut_block<'a>(
        &self,
        text: &'a str,
        at: At,
        (hmm, tags): (bool, Option<&'a Self>),
        scratch: &mut Scratch,
        out: &mut Vec<Token<'a>>,
    ) {
        let last = *scratch.chars.last().expect("a block has a character");
        let len = scratch.offsets.last().expect("and its offset") + last.len_utf8();
        scratch.offsets.push(len);
        let block = &text[at.bytes..at.bytes + len];
        if tags.is_some() {
            self.route::<true>(scratch);
        } else {
            self.route::<false>(scratch);
        }
        let from = out.len();
        self.walk(block, at, hmm, scratch, out);
        if let Some(tags) = tags {
            tags.tag_steps(at, scratch, &mut out[from..]);
        }
        scratch.offsets.clear();
        scratch.chars.clear();
    }

    /// [`cut`](Self::cut) without the HMM, each token tagged as jieba-rs's `tag(text, false)`
    /// tags it: a word of the dictionary with its tag, any other token by a guess (`m` for
    /// digits, `eng` for other ASCII letters and digits, `x` for the rest).
    pub(crate) fn tag<'a>(&'a self, text: &'a str) -> Vec<Token<'a>> {
        if self.is_builtin_only() {
            let tags = self.base.jieba().tag(text, false);
            return tags
                .into_iter()
                .map(|t| Token {
                    word: t.word,
                    start: t.start,
                    end: t.end,
                    byte_start: t.byte_start,
                    byte_end: t.byte_end,
                    pos: Some(t.tag),
                })
                .collect();
        }
        let mut tokens = self.cut_over(text, false, Some(self));
        for t in tokens.iter_mut().filter(|t| t.pos.is_none()) {
            t.pos = Some(self.tag_of(t.word).unwrap_or_else(|| guess_tag(t.word)));
        }
        tokens
    }

    /// Each word of the dictionary in `text`'s runs of CJK ideographs (where jieba-rs's
    /// `cut_all` looks for words), as characters `start..end`, in order of start then end.
    pub(crate) fn each_word(&self, text: &str, mut each: impl FnMut(usize, usize)) {
        let (mut offsets, mut chars) = (Vec::new(), Vec::new());
        let mut at = 0;
        let mut ends = Vec::new();
        for (cjk, part) in runs(text, is_cjk) {
            offsets_of(part, &mut offsets, &mut chars);
            if cjk {
                for idx in 0..chars.len() {
                    ends.clear();
                    self.each_prefix(&chars[idx..], |_, len| ends.push(idx + len));
                    ends.sort_unstable();
                    for &end in &ends {
                        each(at + idx, at + end);
                    }
                }
            }
            at += chars.len();
        }
    }

    /// The best route through `block` (whose character offsets are in `scratch`), Python
    /// jieba's `calc`: from the end, each character's best next step, a word of the DAG (or
    /// the character alone, frequency 1, where no word starts), by the sum of the words'
    /// `ln(freq) - ln(total)`, ties to the longer word. With `WORDS`, each step keeps its word
    /// for tagging (which, kept always, cost precise segmentation 4 % of its speed on a
    /// review).
    fn route<const WORDS: bool>(&self, scratch: &mut Scratch) {
        let Scratch { chars, route, .. } = scratch;
        let n = chars.len();
        route.clear();
        route.resize(
            n + 1,
            Step {
                score: 0.0,
                end: n,
                words: 0,
                word: None,
            },
        );
        let log_total = self.log_total;
        for idx in (0..n).rev() {
            if let Some(ahead) = idx.checked_sub(AHEAD) {
                self.base.prefetch(chars[ahead], chars[ahead + 1]);
            }
            let mut best: Option<(f64, usize, Option<WordId>)> = None;
            let mut words = 0;
            self.each_weighted_prefix(&chars[idx..], |log_freq, len, id| {
                let end = idx + len;
                let score = log_freq - log_total + route[end].score;
                if best.is_none_or(|(s, e, _)| score > s || (score == s && end > e)) {
                    best = Some((score, end, WORDS.then_some(id)));
                }
                words |= 1u64.checked_shl(len as u32).unwrap_or(0);
            });
            route[idx] = match best {
                Some((score, end, word)) => Step {
                    score,
                    end,
                    words,
                    word,
                },
                None => Step {
                    score: -log_total + route[idx + 1].score,
                    end: idx + 1,
                    words,
                    word: None,
                },
            };
        }
    }

    /// Tags each of `tokens` (those of the block starting `at`) that is a step of the route:
    /// by its word's tag, or as a character no word starts with.
    fn tag_steps<'a>(&'a self, at: At, scratch: &Scratch, tokens: &mut [Token<'a>]) {
        for t in tokens {
            let step = &scratch.route[t.start - at.chars];
            if step.end == t.end - at.chars {
                t.pos = Some(
                    step.word
                        .map_or_else(|| guess_tag(t.word), |id| self.word_tag(id)),
                );
            }
        }
    }

    /// Hands out the tokens of `block` along its route (see [`cut`](Self::cut)).
    fn walk<'a>(
        &self,
        block: &'a str,
        at: At,
        hmm: bool,
        scratch: &Scratch,
        out: &mut Vec<Token<'a>>,
    ) {
        let Scratch { offsets, route, .. } = scratch;
        let n = offsets.len() - 1;
        let bytes = block.as_bytes();
        let mut x = 0;
        let mut run: Option<usize> = None;
        while x < n {
            let y = route[x].end;
            if y - x == 1 && (hmm || bytes[offsets[x]].is_ascii_alphanumeric()) {
                run.get_or_insert(x);
            } else {
                if let Some(start) = run.take() {
                    self.singles(block, at, scratch, start, x, hmm, out);
                }
                out.push(at.token(block, x, y, offsets));
            }
            x = y;
        }
        if let Some(start) = run {
            self.singles(block, at, scratch, start, n, hmm, out);
        }
    }

    /// A run of single route steps, characters `from..to` of `block`: without the HMM, ASCII
    /// letters and digits joined into one token; with it, one character alone, each character
    /// when the run is a word, or the HMM's cut.
    #[allow(clippy::too_many_arguments)]
    fn singles<'a>(
        &self,
        block: &'a str,
        at: At,
        scratch: &Scratch,
        from: usize,
        to: usize,
        hmm: bool,
        out: &mut Vec<Token<'a>>,
    ) {
        let Scratch {
            offsets,
            chars,
            route,
        } = scratch;
        if !hmm || to - from == 1 {
            out.push(at.token(block, from, to, offsets));
        } else if route[from]
            .has_word(to - from)
            .unwrap_or_else(|| self.has_word(&block[offsets[from]..offsets[to]]))
        {
            out.extend((from..to).map(|k| at.token(block, k, k + 1, offsets)));
        } else {
            hmm_cut_chars(&chars[from..to], |start, end| {
                out.push(at.token(block, from + start, from + end, offsets));
            });
        }
    }
}

/// The byte offset of each character of `text`, then its length; and its characters.
fn offsets_of(text: &str, offsets: &mut Vec<usize>, chars: &mut Vec<char>) {
    offsets.clear();
    chars.clear();
    for (i, c) in text.char_indices() {
        offsets.push(i);
        chars.push(c);
    }
    offsets.push(text.len());
}

/// jieba-rs's tag for a token the dictionary lacks (without its `default-dict` feature's
/// tagging HMM): `m` for a run of digits, `eng` for other ASCII letters and digits, else `x`.
fn guess_tag(word: &str) -> &'static str {
    let (mut eng, mut digits) = (0, 0);
    for b in word.bytes() {
        if b.is_ascii_alphanumeric() {
            eng += 1;
            digits += usize::from(b.is_ascii_digit());
        }
    }
    match (eng, eng == digits) {
        (0, _) => "x",
        (_, true) => "m",
        _ => "eng",
    }
}
