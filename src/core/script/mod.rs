//! Traditional Chinese: analysed in Simplified form, answered in the text as sent.
//!
//! The dictionary, HMM, IDF table and models are Simplified (as Python jieba's are), and
//! segment Traditional text badly. A text marked (or detected) as Traditional is converted
//! character by character, and phrase by phrase where OpenCC's `TSPhrases` says so, with
//! OpenCC's tables ([`tables`]); every conversion keeps the character's UTF-8 length, so the
//! converted text has the same offsets as the text sent, and a token of one is the same span
//! of the other. [`Text`] carries both: the analysis reads the Simplified form, the answer's
//! words are slices of the text sent.

mod tables;

use super::{Keyword, Token};
use tables::{GROUP, SIMPLIFIED, TARGET, TRADITIONAL};

/// Which script a text is written in, as a request says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Script {
    /// Simplified (or either): analysed as sent, as Python jieba does.
    #[default]
    Simplified,
    /// Traditional: converted to Simplified for the analysis.
    Traditional,
    /// Either: converted when more of its characters are written only in Traditional text
    /// than only in Simplified text (see [`Normalized::new`]).
    Auto,
}

/// A text as sent and, when it is Traditional, its Simplified form.
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    sent: &'a str,
    /// The converted text's UTF-8 (checked in [`Normalized::new`]).
    simplified: Option<Vec<u8>>,
}

impl<'a> Normalized<'a> {
    /// `text` in the form it is analysed in: as sent for [`Script::Simplified`], converted for
    /// [`Script::Traditional`], and for [`Script::Auto`] converted when more of its characters
    /// are written only in Traditional text (`國`, `這`) than only in Simplified text (`国`,
    /// `这`); characters of both (`中`, `人`) and of neither count for nothing, so a text without
    /// a Traditional-only character is never converted.
    pub fn new(text: &'a str, script: Script) -> Self {
        let simplified = match script {
            Script::Simplified => None,
            Script::Traditional => convert(text).simplified,
            Script::Auto => {
                let scan = convert(text);
                scan.simplified
                    .filter(|_| scan.traditional_marks > scan.simplified_marks)
            }
        };
        Self {
            sent: text,
            simplified,
        }
    }

    /// Whether the text was converted (it is, or was detected as, Traditional with at least
    /// one character that converts).
    pub fn converted(&self) -> bool {
        self.simplified.is_some()
    }

    /// The text to analyse.
    pub fn text(&self) -> Text<'_> {
        Text {
            sent: self.sent,
            analysed: self
                .simplified
                .as_deref()
                .and_then(|bytes| simdutf8::basic::from_utf8(bytes).ok())
                .unwrap_or(self.sent),
        }
    }
}

/// A text to analyse: as sent, and the form the analysis reads (the same text unless it was
/// converted, see [`Normalized`]). A `&str` is a text analysed as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a> {
    sent: &'a str,
    analysed: &'a str,
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text {
            sent: text,
            analysed: text,
        }
    }
}

impl<'a> From<&'a String> for Text<'a> {
    fn from(text: &'a String) -> Self {
        Text::from(text.as_str())
    }
}

impl<'a> From<&'a Normalized<'_>> for Text<'a> {
    fn from(text: &'a Normalized<'_>) -> Self {
        text.text()
    }
}

impl<'a> Text<'a> {
    /// The text as the client sent it.
    pub fn sent(&self) -> &'a str {
        self.sent
    }

    /// The text the analysis reads.
    pub fn analysed(&self) -> &'a str {
        self.analysed
    }

    fn converted(&self) -> bool {
        !std::ptr::eq(self.sent, self.analysed)
    }

    /// Tokens of the analysed text as tokens of the text sent: the same offsets, the words
    /// sliced from the text sent.
    pub(crate) fn as_sent(&self, tokens: &mut [Token<'a>]) {
        if self.converted() {
            for token in tokens {
                token.word = &self.sent[token.byte_start..token.byte_end];
            }
        }
    }

    /// Keywords of the analysed text as they are written in the text sent: each as it is where
    /// it first occurs among `tokens` (the analysed text's, from which the keywords came).
    pub(crate) fn keywords_as_sent(&self, tokens: &[Token<'_>], keywords: &mut [Keyword]) {
        if !self.converted() {
            return;
        }
        for keyword in keywords {
            if let Some(t) = tokens.iter().find(|t| t.word == keyword.word) {
                keyword.word = self.sent[t.byte_start..t.byte_end].to_owned();
            }
        }
    }
}

/// A text's Simplified form (when a character converts) and its script marks.
struct Conversion {
    /// Valid UTF-8.
    simplified: Option<Vec<u8>>,
    /// Characters written only in Traditional text.
    traditional_marks: usize,
    /// Characters written only in Simplified text.
    simplified_marks: usize,
}

/// Converts `text` to Simplified: at each character, the longest OpenCC phrase starting there
/// if any (`乾隆` keeps its `乾`), else the character's own conversion, as OpenCC's `t2s` does
/// (punctuation is left as it is). Counts the script marks on the way.
///
/// Works on the UTF-8 bytes: every conversion keeps the length, so the converted text is a
/// copy of the text with characters overwritten in place, kept as bytes (a `String`'s bytes
/// cannot be overwritten without `unsafe`) and checked as UTF-8 with `simdutf8` where it is
/// read (std's check was a large share of the conversion). Decoding each `char` and pushing
/// it onto a `String` cost half as much again; BENCHMARKS.md ("Traditional text") has what
/// the conversion costs beside segmentation.
fn convert(text: &str) -> Conversion {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let (mut traditional_marks, mut simplified_marks) = (0, 0);
    let mut i = 0;
    while let Some(&lead) = bytes.get(i) {
        // Bytes below 0xE3 are ASCII, continuation bytes, or lead characters below U+3000,
        // none of which the tables name.
        if lead < 0xE3 {
            i += 1;
            continue;
        }
        let (entry, width) = if lead < 0xF0 {
            let (Some(&b1), Some(&b2)) = (bytes.get(i + 1), bytes.get(i + 2)) else {
                break;
            };
            let code =
                (u32::from(lead & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            (tables::bmp_entry(code), 3)
        } else {
            let c = text.get(i..).and_then(|rest| rest.chars().next());
            (c.map_or(0, tables::entry), 4)
        };
        if entry != 0 {
            traditional_marks += usize::from(entry & TRADITIONAL != 0);
            simplified_marks += usize::from(entry & SIMPLIFIED != 0);
            if entry & GROUP != 0
                && let Some((from, to)) = tables::phrase_at(entry, width, &text[i..])
            {
                let out = out.get_or_insert_with(|| bytes.to_vec());
                out[i..i + to.len()].copy_from_slice(to.as_bytes());
                i += from.len();
                continue;
            }
            let to = entry & TARGET;
            if to != 0 {
                let out = out.get_or_insert_with(|| bytes.to_vec());
                if let (3, Some([a, b, c])) = (width, out.get_mut(i..i + 3)) {
                    // The three bytes of a character of the Basic Multilingual Plane.
                    *a = 0xE0 | (to >> 12) as u8;
                    *b = 0x80 | ((to >> 6) & 0x3F) as u8;
                    *c = 0x80 | (to & 0x3F) as u8;
                } else if let (Some(to), Some(at)) = (char::from_u32(to), out.get_mut(i..i + 4)) {
                    to.encode_utf8(at);
                }
            }
        }
        i += width;
    }
    Conversion {
        // Valid UTF-8, characters having been replaced by characters of the same length; were it
        // not, the text would be analysed as sent.
        simplified: out.filter(|out| simdutf8::basic::from_utf8(out).is_ok()),
        traditional_marks,
        simplified_marks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simplified(text: &str, script: Script) -> String {
        Normalized::new(text, script).text().analysed().to_owned()
    }

    #[test]
    fn converts_characters_and_phrases_keeping_every_offset() {
        let text = "乾隆年間，這個國家的頭髮問題 ABC 𠀀";
        let converted = simplified(text, Script::Traditional);
        assert_eq!(converted, "乾隆年间，这个国家的头发问题 ABC 𠀀");
        assert_eq!(converted.len(), text.len());
        assert!(
            text.char_indices()
                .zip(converted.char_indices())
                .all(|((a, x), (b, y))| a == b && x.len_utf8() == y.len_utf8())
        );
    }

    #[test]
    fn simplified_text_is_never_converted_by_auto() {
        for text in ["这个国家的头发问题", "中国人", "", "abc", "乾隆年间很多人"]
        {
            assert!(!Normalized::new(text, Script::Auto).converted(), "{text}");
        }
        assert!(Normalized::new("這個國家的頭髮問題", Script::Auto).converted());
        // As sent, whatever it holds.
        assert!(!Normalized::new("這個國家", Script::Simplified).converted());
    }

    #[test]
    fn tokens_and_keywords_come_back_in_the_text_sent() {
        let normalized = Normalized::new("這個國家", Script::Traditional);
        let text = normalized.text();
        assert_eq!(text.analysed(), "这个国家");
        let mut tokens = vec![Token {
            word: &text.analysed()[6..12],
            start: 2,
            end: 4,
            byte_start: 6,
            byte_end: 12,
            pos: None,
        }];
        let mut keywords = vec![Keyword {
            word: "国家".to_owned(),
            weight: 1.0,
        }];
        text.keywords_as_sent(&tokens, &mut keywords);
        text.as_sent(&mut tokens);
        assert_eq!(tokens[0].word, "國家");
        assert_eq!(keywords[0].word, "國家");
    }
}
