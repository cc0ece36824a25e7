//! Part-of-speech segmentation as Python jieba's `jieba.posseg.cut`.
//!
//! `posseg` differs from plain `jieba.cut` in three places: its blocks leave out `%` and `-`; a
//! run of single characters that the dictionary route leaves unmatched is cut and tagged by a
//! joint position-and-tag HMM (256 states such as `B-n`, `E-v`) instead of the four-state HMM;
//! and without the HMM a run of single ASCII letters and digits is tagged `eng`. jieba-rs only
//! tags the plain segmentation, so tags, TextRank and TF-IDF with `allowPOS` would drift from
//! Python's. This module takes jieba-rs's dictionary route of Python's posseg blocks and does
//! the rest as Python does, the joint HMM in [`super::pos_hmm`].

use super::super::dictionary::Dictionary;

use super::super::Token;
use super::super::classes::{is_han, runs};
use super::pos_hmm::PosHmm;
use super::route::{Blocks, Step, tagged_no_hmm_route};
use super::{Group, Tiler, each_char, each_group};

/// The longest part-of-speech tag accepted from outside (jieba's own are 1 to 4 letters).
pub(crate) const MAX_POS_TAG_CHARS: usize = 16;

/// What a part-of-speech tag looks like, for messages about one that does not.
pub const POS_TAG_RULE: &str =
    "a part-of-speech tag is 1 to 16 ASCII letters or digits, such as `n` or `vn`";

/// Whether `tag` is acceptable as a part-of-speech tag: 1 to [`MAX_POS_TAG_CHARS`] ASCII
/// letters or digits (the one rule for keyword filters and added words alike).
pub fn is_pos_tag(tag: &str) -> bool {
    (1..=MAX_POS_TAG_CHARS).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Splits a run that Python hands to `posseg.__cut_detail`: Han stretches go through the HMM,
/// the rest is cut into numbers (`m`), Latin words (`eng`) and anything else (`x`).
fn cut_detail<'a>(hmm_model: &'a PosHmm, run: &'a str, mut emit: impl FnMut(&'a str, &'a str)) {
    for (han, part) in runs(run, is_han) {
        if han {
            hmm_model.cut_run(part, &mut emit);
        } else {
            split_non_han(part, &mut emit);
        }
    }
}

/// Python's `re_skip_detail` split (`[\.0-9]+|[a-zA-Z0-9]+`) with its tags.
fn split_non_han<'a>(part: &'a str, emit: &mut impl FnMut(&'a str, &'a str)) {
    let bytes = part.as_bytes();
    let (mut i, mut pending) = (0, 0);
    while i < bytes.len() {
        let is_num = |b: u8| b.is_ascii_digit() || b == b'.';
        let (class, tag): (fn(u8) -> bool, &str) = if is_num(bytes[i]) {
            (|b| b.is_ascii_digit() || b == b'.', "m")
        } else if bytes[i].is_ascii_alphanumeric() {
            (|b| b.is_ascii_alphanumeric(), "eng")
        } else {
            i += 1;
            continue;
        };
        let end = i + bytes[i..].iter().take_while(|&&b| class(b)).count();
        if pending < i {
            emit(&part[pending..i], "x");
        }
        emit(&part[i..end], tag);
        (i, pending) = (end, end);
    }
    if pending < bytes.len() {
        emit(&part[pending..], "x");
    }
}

/// Tagged precise-mode tokens of `text`, as `jieba.posseg.cut(text, HMM=hmm)`: the route of
/// Python's posseg blocks, each word tagged from the dictionary (`word_tag_tab.get(w, 'x')`);
/// without the HMM, runs of single ASCII letters and digits as `eng`; with it, a buffer of
/// single steps that is not a word through [`cut_detail`].
pub(crate) fn tag<'a>(
    jieba: &'a Dictionary,
    hmm_model: &'a PosHmm,
    text: &'a str,
    hmm: bool,
) -> Vec<Token<'a>> {
    let route = tagged_no_hmm_route(jieba, text, Blocks::Posseg);
    // jieba-rs tags a word the dictionary lacks `x` unless it is ASCII (then `m` or `eng`, a
    // guess), and tags text between blocks from the dictionary; Python says `x` for both.
    let dict_tag = |t: &Token<'a>| -> Option<&'a str> {
        let first = t.word.chars().next().unwrap_or(' ');
        Some(match t.pos {
            Some(tag)
                if !tag.is_empty()
                    && Blocks::Posseg.holds(first)
                    && (!first.is_ascii() || jieba.has_word(t.word)) =>
            {
                tag
            }
            _ => "x",
        })
    };
    let mut out = Vec::with_capacity(route.len());
    if !hmm {
        out.extend(route.iter().map(|t| {
            let eng = Step::of(jieba, Blocks::Posseg, t) == Step::Singles
                && t.word.as_bytes()[0].is_ascii_alphanumeric();
            Token {
                pos: if eng { Some("eng") } else { dict_tag(t) },
                ..*t
            }
        }));
        return out;
    }
    each_group(jieba, Blocks::Posseg, &route, text, |group| match group {
        Group::Step(t) => out.push(Token {
            pos: dict_tag(&t),
            ..t
        }),
        Group::Singles(span, [step]) if span.end - span.start == 1 => out.push(Token {
            pos: dict_tag(step),
            ..span
        }),
        Group::Singles(span, steps) if jieba.has_word(span.word) => {
            for step in steps {
                if step.end - step.start == 1 {
                    out.push(Token {
                        pos: dict_tag(step),
                        ..*step
                    });
                } else {
                    // A run of letters jieba-rs joined: each letter tagged on its own.
                    each_char(*step, |c| {
                        let tagged = jieba.tag(c.word);
                        let pos = tagged
                            .first()
                            .and_then(|t| dict_tag(&Token { pos: t.pos, ..c }));
                        out.push(Token { pos, ..c });
                    });
                }
            }
        }
        Group::Singles(span, _) => {
            let mut tiler = Tiler::at(&span);
            cut_detail(hmm_model, span.word, |word, tag| {
                out.push(tiler.next(word, Some(tag)));
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_run_is_cut_by_the_joint_model() {
        let jieba = crate::core::dictionary::Dictionary::builtin();
        let hmm = PosHmm::builtin();
        let text = "韩冰是一个好人";
        let tokens = tag(&jieba, &hmm, text, true);
        let joined: String = tokens.iter().map(|t| t.word).collect();
        assert_eq!(joined, text);
        assert_eq!(tokens[0].word, "韩冰");
        assert_eq!(tokens[0].pos, Some("nr"));
    }

    #[test]
    fn digits_next_to_an_unknown_character_are_cut_as_python_does() {
        let jieba = crate::core::dictionary::Dictionary::builtin();
        let hmm = PosHmm::builtin();
        let tokens = tag(&jieba, &hmm, "超1500个行业", true);
        let got: Vec<_> = tokens.iter().map(|t| (t.word, t.pos.unwrap())).collect();
        assert_eq!(
            got,
            [("超", "v"), ("1500", "m"), ("个", "m"), ("行业", "n")]
        );
    }

    #[test]
    fn non_han_parts_split_like_re_skip_detail() {
        let mut got = Vec::new();
        split_non_han("v2.0_ab+3", &mut |w, t| got.push((w, t)));
        assert_eq!(
            got,
            [
                ("v2", "eng"),
                (".0", "m"),
                ("_", "x"),
                ("ab", "eng"),
                ("+", "x"),
                ("3", "m")
            ]
        );
    }
}
