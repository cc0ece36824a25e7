//! Python's full mode, `jieba.cut(text, cut_all=True)`: every dictionary word of each block,
//! by `__cut_all`, and the text between blocks in pieces split at white space.

use super::super::dictionary::Dictionary;

use super::super::Token;
use super::super::classes::{is_block_char, is_space, runs};
use super::Tiler;

/// Full-mode tokens of `text`, in Python's order; `longest_word` bounds the dictionary's words
/// in characters. Python's empty strings (between two white-space characters) are left out.
pub(crate) fn full<'a>(jieba: &Dictionary, text: &'a str, longest_word: usize) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    let mut tiler = Tiler { chars: 0, bytes: 0 };
    for (block, part) in runs(text, is_block_char) {
        let at = tiler.next(part, None);
        if block {
            cut_all(jieba, at, longest_word, &mut out);
        } else {
            gap_pieces(at, &mut out);
        }
    }
    out
}

/// `re_skip_default.split` of the text between blocks, each piece whole: a white-space
/// character (or `\r\n`) alone, anything else up to the next one.
fn gap_pieces<'a>(gap: Token<'a>, out: &mut Vec<Token<'a>>) {
    let mut tiler = Tiler::at(&gap);
    let mut rest = gap.word;
    while let Some(first) = rest.chars().next() {
        let len = if rest.starts_with("\r\n") {
            2
        } else if is_space(first) {
            first.len_utf8()
        } else {
            rest.char_indices()
                .find(|&(_, c)| is_space(c))
                .map_or(rest.len(), |(i, _)| i)
        };
        let (piece, tail) = rest.split_at(len);
        out.push(tiler.next(piece, None));
        rest = tail;
    }
}

/// `__cut_all` over one block: the words of its DAG (every dictionary word starting at each
/// character, or the character alone when none does), less a single character where a longer
/// word starts and a lone word inside one already given, with single ASCII letters and digits
/// gathered into one token (`eng_buf`).
fn cut_all<'a>(
    jieba: &Dictionary,
    block: Token<'a>,
    longest_word: usize,
    out: &mut Vec<Token<'a>>,
) {
    let text = block.word;
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let n = bytes.len() - 1;
    let token = |k: usize, j: usize| Token {
        word: &text[bytes[k]..bytes[j + 1]],
        start: block.start + k,
        end: block.start + j + 1,
        byte_start: block.byte_start + bytes[k],
        byte_end: block.byte_start + bytes[j + 1],
        pos: None,
    };
    let is_eng = |k: usize| text.as_bytes()[bytes[k]].is_ascii_alphanumeric();
    // Python's `old_j` (as `old_j + 1`, so that it starts at 0) and `eng_buf` (as the
    // characters `from..to` while scanning).
    let mut covered = 0;
    let mut eng: Option<(usize, usize)> = None;
    let mut ends = Vec::new();
    for k in 0..n {
        if let Some((from, to)) = eng.filter(|_| !is_eng(k)) {
            out.push(token(from, to - 1));
            eng = None;
        }
        ends.clear();
        ends.extend(
            (k..n.min(k + longest_word)).filter(|&j| jieba.has_word(&text[bytes[k]..bytes[j + 1]])),
        );
        if ends.is_empty() {
            ends.push(k);
        }
        if let [end] = ends[..]
            && k >= covered
        {
            if is_eng(k) {
                eng = match eng {
                    // Python appends the word to the buffer; it always follows on here unless
                    // a user dictionary has two words starting at one letter, where we give
                    // the buffer so far and start another rather than join text that is apart.
                    Some((from, to)) if to == k => Some((from, end + 1)),
                    Some((from, to)) => {
                        out.push(token(from, to - 1));
                        Some((k, end + 1))
                    }
                    None => Some((k, end + 1)),
                };
            } else if eng.is_none() {
                out.push(token(k, end));
            }
            covered = end + 1;
        } else {
            for &j in ends.iter().filter(|&&j| j > k) {
                out.push(token(k, j));
                covered = j + 1;
            }
        }
    }
    if let Some((from, to)) = eng {
        out.push(token(from, to - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::dictionary::Dictionary;

    fn words(text: &str) -> Vec<String> {
        let jieba = Dictionary::builtin();
        full(&jieba, text, 16)
            .iter()
            .map(|t| {
                assert_eq!(&text[t.byte_start..t.byte_end], t.word);
                t.word.to_owned()
            })
            .collect()
    }

    #[test]
    fn keeps_what_python_keeps() {
        assert_eq!(
            words("我来到北京清华大学"),
            ["我", "来到", "北京", "清华", "清华大学", "华大", "大学"]
        );
        // Characters the dictionary lacks stay; punctuation runs stay whole.
        assert_eq!(words("啞。”好"), ["啞", "。”", "好"]);
        assert_eq!(words("B超和T恤"), ["B超", "和", "T恤"]);
        assert_eq!(words("a\r\n\n b"), ["a", "\r\n", "\n", " ", "b"]);
    }
}
