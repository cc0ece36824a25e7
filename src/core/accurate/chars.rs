//! What the accurate segmenter reads of a character: its normalised form and its class.
//!
//! People's Daily writes digits and Latin letters full-width (`１２月`, `ＣＰＵ`); users mostly
//! send them half-width and mix both. The model reads every character in one form (full-width
//! ASCII as ASCII, letters in lower case, the middle dots as one), so `12月` and `１２月` are
//! the same to it. Only the features see this form: words are always slices of the text as sent.

/// The form of `c` the model reads: the full-width forms of ASCII (`U+FF01..=U+FF5E`) and the
/// ideographic space as their ASCII, ASCII letters in lower case, the dots used between the
/// parts of a foreign name as `·`.
pub(crate) fn normalize(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{30FB}' | '\u{FF65}' | '\u{2027}' | '\u{2022}' => '\u{B7}',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// The classes of characters whose members behave alike at word boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Class {
    /// A Han character that is not a numeral.
    Han = 0,
    /// An ASCII digit (after normalisation).
    Digit = 1,
    /// A Chinese numeral or the multiplier of one (`一`, `十`, `万`, `〇`, `两`, ...).
    Numeral = 2,
    /// A letter of an alphabet (Latin, Greek, Cyrillic, ...) or kana.
    Letter = 3,
    /// Punctuation.
    Punctuation = 4,
    /// White space.
    Space = 5,
    /// Anything else: symbols, emoji, control characters.
    Other = 6,
    /// Before the first character or after the last one.
    Edge = 7,
}

/// The class of a normalised character.
pub(crate) fn class(c: char) -> Class {
    match c {
        '0'..='9' => Class::Digit,
        'a'..='z' | 'A'..='Z' => Class::Letter,
        _ if c.is_ascii_punctuation() => Class::Punctuation,
        _ if super::super::segmenter::is_space(c) => Class::Space,
        _ if c.is_ascii() => Class::Other,
        '〇' | '零' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
        | '百' | '千' | '万' | '亿' | '两' | '壹' | '贰' | '叁' | '肆' | '伍' | '陆' | '柒'
        | '捌' | '玖' | '拾' | '佰' | '仟' => Class::Numeral,
        _ if is_ideograph(c) => Class::Han,
        _ if is_punctuation(c) => Class::Punctuation,
        _ if c.is_alphabetic() => Class::Letter,
        _ if c.is_numeric() => Class::Digit,
        _ => Class::Other,
    }
}

/// The CJK ideographs: the unified blocks, their extensions and the compatibility ideographs.
fn is_ideograph(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3134F}'
    )
}

/// Punctuation outside ASCII: general punctuation (dashes, quotes, ellipsis), CJK symbols and
/// punctuation (`。`, `、`, brackets), the vertical and small forms, the middle dot, the ratio
/// colon, and the full-width forms that are not ASCII.
fn is_punctuation(c: char) -> bool {
    matches!(c,
        '\u{2010}'..='\u{205E}'
        | '\u{3001}'..='\u{3003}'
        | '\u{3008}'..='\u{3011}'
        | '\u{3014}'..='\u{301F}'
        | '\u{FE10}'..='\u{FE19}'
        | '\u{FE30}'..='\u{FE6B}'
        | '\u{FF5F}'..='\u{FF65}'
        | '\u{B7}' | '\u{A1}' | '\u{BF}' | '\u{AB}' | '\u{BB}' | '\u{2236}'
    )
}

/// Whether a sentence ends after `c` (normalised): `。`, `！`, `？` and their ASCII forms.
pub(crate) fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '!' | '?' | '｡')
}

/// Whether `c` (normalised) may follow the end of a sentence in the same sentence: another
/// ending mark, a closing quote or bracket, an ellipsis.
pub(crate) fn continues_sentence_end(c: char) -> bool {
    ends_sentence(c)
        || matches!(
            c,
            '”' | '’' | '」' | '』' | '）' | ')' | '》' | '〉' | '】' | '〕' | '…' | '"' | '\''
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_forms_read_as_ascii() {
        let norm: String = "１２月ＣＰＵ，ｃｐｕ％".chars().map(normalize).collect();
        assert_eq!(norm, "12月cpu,cpu%");
        assert_eq!(normalize('\u{3000}'), ' ');
        assert_eq!(normalize('・'), '·');
        assert_eq!(normalize('中'), '中');
    }

    #[test]
    fn classes() {
        let of = |c| class(normalize(c));
        assert_eq!(of('１'), Class::Digit);
        assert_eq!(of('7'), Class::Digit);
        assert_eq!(of('九'), Class::Numeral);
        assert_eq!(of('中'), Class::Han);
        assert_eq!(of('Ａ'), Class::Letter);
        assert_eq!(of('é'), Class::Letter);
        assert_eq!(of('，'), Class::Punctuation);
        assert_eq!(of('。'), Class::Punctuation);
        assert_eq!(of('“'), Class::Punctuation);
        assert_eq!(of('·'), Class::Punctuation);
        assert_eq!(of('\u{3000}'), Class::Space);
        assert_eq!(of('😀'), Class::Other);
        assert_eq!(of('\u{1}'), Class::Other);
    }
}
