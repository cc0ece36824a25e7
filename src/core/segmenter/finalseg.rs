//! Python's `jieba.finalseg.cut`: how `jieba.cut` cuts a buffer of single-character route steps
//! that is not a dictionary word.

use super::super::Token;
use super::super::classes::{is_han, runs};
use super::super::dictionary::hmm_cut;
use super::Tiler;

/// Cuts `run` (a buffer of `__cut_DAG`) as `finalseg.cut`: its stretches of Han characters
/// through the Viterbi, the rest as `re_skip` (`[a-zA-Z0-9]+(?:\.\d+)?%?`) splits it, the
/// matches and the text between them each a token.
pub(super) fn cut<'a>(run: Token<'a>, mut emit: impl FnMut(Token<'a>)) {
    let mut tiler = Tiler::at(&run);
    for (han, part) in runs(run.word, is_han) {
        if !han {
            split_alphanumeric(part, |piece| emit(tiler.next(piece, None)));
        } else if part.chars().nth(1).is_none() {
            emit(tiler.next(part, None));
        } else {
            hmm_cut(part, |word| emit(tiler.next(word, None)));
        }
    }
}

/// `re_skip.split` of finalseg, `([a-zA-Z0-9]+(?:\.\d+)?%?)`, without its empty pieces. `part`
/// comes from a block, so its characters are ASCII.
pub(super) fn split_alphanumeric<'a>(part: &'a str, mut emit: impl FnMut(&'a str)) {
    let bytes = part.as_bytes();
    let run = |from: usize, class: fn(&u8) -> bool| {
        from + bytes[from..].iter().take_while(|b| class(b)).count()
    };
    let (mut i, mut gap) = (0, 0);
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let mut end = run(i, u8::is_ascii_alphanumeric);
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end = run(end + 1, u8::is_ascii_digit);
        }
        if bytes.get(end) == Some(&b'%') {
            end += 1;
        }
        if gap < i {
            emit(&part[gap..i]);
        }
        emit(&part[i..end]);
        (i, gap) = (end, end);
    }
    if gap < bytes.len() {
        emit(&part[gap..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(part: &str) -> Vec<&str> {
        let mut out = Vec::new();
        split_alphanumeric(part, |p| out.push(p));
        out
    }

    #[test]
    fn splits_like_finalseg_re_skip() {
        assert_eq!(split("2025-06-26"), ["2025", "-", "06", "-", "26"]);
        assert_eq!(split("1.320G"), ["1.320", "G"]);
        assert_eq!(split("1.5.6%%"), ["1.5", ".", "6%", "%"]);
        assert_eq!(split("easy_install"), ["easy", "_", "install"]);
        assert_eq!(split("--a1.b"), ["--", "a1", ".", "b"]);
    }
}
