//! The character classes of Python jieba's regular expressions, as predicates.

/// `[\u4E00-\u9FD5]`: what Python's HMMs (`finalseg`, `posseg`) take as a Han character.
pub(crate) fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FD5}').contains(&c)
}

/// `re_han_default`'s class, `[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]`: the characters of a block
/// that `jieba.cut` segments with the dictionary.
pub(crate) fn is_block_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-')
    } else {
        is_han(c)
    }
}

/// `re_han_internal`'s class, `[\u4E00-\u9FD5a-zA-Z0-9+#&\._]`: the blocks of
/// `jieba.posseg.cut`, which leave out `%` and `-`.
pub(crate) fn is_posseg_block_char(c: char) -> bool {
    is_block_char(c) && !matches!(c, '%' | '-')
}

/// Characters jieba-rs keeps inside its blocks that Python's default blocks do not: the CJK
/// ideographs outside `U+4E00..=U+9FD5` (the end of the main block, the extensions, the
/// compatibility ideographs). Python treats each as a character of its own.
pub(crate) fn is_foreign_ideograph(c: char) -> bool {
    matches!(c,
        '\u{9FD6}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}'
    )
}

/// Python's `\s` (`str.isspace`): Unicode white space and the four information separators
/// `U+001C..=U+001F`, which Rust's `char::is_whitespace` leaves out.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// `text` in maximal runs of characters alike under `class`, each with its class, in order:
/// how Python's `re.split` with a capturing character class cuts a text.
pub(crate) fn runs(text: &str, class: impl Fn(char) -> bool) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let inside = class(first);
        let len = rest
            .char_indices()
            .find(|&(_, c)| class(c) != inside)
            .map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(len);
        rest = tail;
        Some((inside, run))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_pythons_patterns() {
        assert!(is_block_char('中') && is_block_char('%') && is_block_char('-'));
        assert!(!is_block_char('鿖') && !is_block_char('𠀀') && !is_block_char('，'));
        assert!(is_posseg_block_char('_') && !is_posseg_block_char('%'));
        assert!(
            is_foreign_ideograph('鿖') && is_foreign_ideograph('𠀀') && is_foreign_ideograph('㐀')
        );
        assert!(!is_foreign_ideograph('中') && !is_foreign_ideograph('a'));
        assert!(is_space('\u{1F}') && is_space('\u{3000}') && !is_space('\u{200B}'));
    }
}
