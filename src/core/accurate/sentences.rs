//! Where the accurate segmenter's sentences end: what it decodes one at a time.
//!
//! A white-space character is a token of its own (`\r\n` one together), as in jieba's precise
//! mode; a sentence ends there, after a sentence-ending mark (and the closing quotes and
//! brackets after it), and at most [`MAX_SENTENCE_CHARS`] characters on (after the last
//! punctuation in its second half, if any). Each span depends only on the text from its own
//! start, so cutting a long text into pieces at span boundaries gives the same tokens as
//! segmenting it whole.

use super::chars::{Class, class, continues_sentence_end, ends_sentence, normalize};
use crate::core::pieces::PIECE_BYTES;
use crate::core::segmenter::is_space;

/// The most characters decoded as one sentence.
pub(crate) const MAX_SENTENCE_CHARS: usize = 512;

/// A part of a text the segmenter treats on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span<'a> {
    /// White space: one character, or `\r\n`.
    Space(&'a str),
    /// Characters decoded together.
    Sentence(&'a str),
}

/// The first span of `rest` (which is not empty), and its length in bytes.
fn next_span(rest: &str) -> (Span<'_>, usize) {
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return (Span::Space(rest), rest.len());
    };
    if is_space(first) {
        let len = if rest.starts_with("\r\n") {
            2
        } else {
            first.len_utf8()
        };
        return (Span::Space(&rest[..len]), len);
    }
    let mut prev = first;
    // Whether the characters since the last sentence-ending mark all continue its end.
    let mut ending = ends_sentence(normalize(first));
    let mut after_punctuation = None;
    let mut end = rest.len();
    // `count` characters are in the sentence before `c`.
    for (count, (at, c)) in (1..).zip(chars) {
        let norm = normalize(c);
        if is_space(c) || (ending && !continues_sentence_end(norm)) {
            end = at;
            break;
        }
        ending = ends_sentence(norm) || (ending && continues_sentence_end(norm));
        if count >= MAX_SENTENCE_CHARS / 2 && class(normalize(prev)) == Class::Punctuation {
            after_punctuation = Some(at);
        }
        if count == MAX_SENTENCE_CHARS {
            end = after_punctuation.unwrap_or(at);
            break;
        }
        prev = c;
    }
    (Span::Sentence(&rest[..end]), end)
}

/// The spans of `text`, in order, each with its byte offset.
pub(crate) fn spans(text: &str) -> impl Iterator<Item = (usize, Span<'_>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = &text[at..];
        if rest.is_empty() {
            return None;
        }
        let (span, len) = next_span(rest);
        let item = (at, span);
        at += len;
        Some(item)
    })
}

/// The length of the first piece of `rest`: whole spans adding up to [`PIECE_BYTES`] or more,
/// or all of it.
pub(crate) fn piece_len(rest: &str) -> usize {
    let mut len = 0;
    while len < rest.len() && len < PIECE_BYTES {
        len += next_span(&rest[len..]).1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Span<'_>> {
        spans(text).map(|(_, s)| s).collect()
    }

    #[test]
    fn white_space_and_sentence_ends_divide() {
        use Span::*;
        assert_eq!(
            all("他说：“好。”走吧！\r\n再见 。"),
            [
                Sentence("他说：“好。”"),
                Sentence("走吧！"),
                Space("\r\n"),
                Sentence("再见"),
                Space(" "),
                Sentence("。")
            ]
        );
        assert_eq!(all("Yahoo!很好"), [Sentence("Yahoo!"), Sentence("很好")]);
        assert_eq!(all(""), []);
    }

    #[test]
    fn long_sentences_end_after_punctuation_or_at_the_limit() {
        let text = format!("{}，{}", "中".repeat(400), "国".repeat(400));
        let first = all(&text)[0];
        assert_eq!(first, Span::Sentence(&text[..401 * 3]));
        let text = "中".repeat(1200);
        let lens: Vec<usize> = spans(&text)
            .map(|(_, s)| match s {
                Span::Sentence(s) | Span::Space(s) => s.chars().count(),
            })
            .collect();
        assert_eq!(lens, [512, 512, 176]);
    }

    #[test]
    fn pieces_end_at_span_boundaries() {
        let text = "一句话。".repeat(3000);
        let len = piece_len(&text);
        assert!((PIECE_BYTES..PIECE_BYTES + 12).contains(&len));
        assert_eq!(len % "一句话。".len(), 0);
        assert_eq!(piece_len("短"), 3);
    }
}
