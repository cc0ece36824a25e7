//! `SegmentResponse` as the server sends it: protobuf bytes written straight from the core's
//! tokens, on the worker that segmented the text.
//!
//! The generated `pb::SegmentResponse` would hold one `pb::Token` with an owned `String` per
//! word: for a 100 KB document, twenty thousand allocations, copies and frees, then prost's
//! field-by-field encoding on the async reactor, a large share of the server's time on long
//! documents. The server's `Segment` answers with this type
//! instead (build.rs maps `.textanalysis.v1.SegmentResponse` to it for the server only),
//! written piece by piece as `Analyzer::segment_each` hands the tokens over, so no vector of
//! all the tokens is built; its bytes are exactly what prost writes for the same
//! `pb::SegmentResponse` (a test checks it byte for byte), so clients decode it with their
//! generated types as ever.

use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType, skip_field};

use crate::core::Token;

/// What a segmentation's answer holds (`SegmentAnswer`): how the tokens are written, which the
/// core does not need to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Every token with its offsets and tag.
    #[default]
    Tokens,
    /// The words alone.
    Words,
    /// The end of each word, in code points.
    Boundaries,
}

/// `SegmentResponse`, already encoded (see the module documentation). Server side only: it
/// encodes, and decoding one skips its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentResponse {
    /// What the answer holds.
    answer: Answer,
    /// The message's fields, encoded: `tokens` or `words` entries.
    fields: Vec<u8>,
    /// The varints of the packed `ends` field (its key and length are written last, when the
    /// length is known).
    ends: Vec<u8>,
}

/// Keys (field number and wire type) of `SegmentResponse.tokens` and the `Token` fields.
const TOKENS: u8 = 1 << 3 | 2;
const WORD: u8 = 1 << 3 | 2;
const START: u8 = 2 << 3;
const END: u8 = 3 << 3;
const BYTE_START: u8 = 4 << 3;
const BYTE_END: u8 = 5 << 3;
const POS: u8 = 6 << 3 | 2;
/// Keys of `SegmentResponse.words` and of the packed `SegmentResponse.ends`.
const WORDS: u8 = 2 << 3 | 2;
const ENDS: u8 = 3 << 3 | 2;

fn varint_len(value: u32) -> usize {
    // 7 bits a byte; 0 still takes one byte.
    match value {
        0..0x80 => 1,
        0x80..0x4000 => 2,
        0x4000..0x20_0000 => 3,
        0x20_0000..0x1000_0000 => 4,
        _ => 5,
    }
}

/// An offset as the `uint32` fields carry it (texts are far shorter than 4 GiB).
pub(super) fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A length-delimited string field, omitted when empty (as proto3 and prost do).
fn string_len(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        1 + varint_len(offset(s.len())) + s.len()
    }
}

/// A `uint32` field, omitted when 0.
fn uint_len(value: u32) -> usize {
    if value == 0 { 0 } else { 1 + varint_len(value) }
}

impl SegmentResponse {
    /// Encodes `tokens` as prost would encode `pb::SegmentResponse` with them in the shape
    /// `answer` asks for.
    #[cfg(test)]
    pub(crate) fn new(tokens: &[Token<'_>], answer: Answer) -> Self {
        let mut response = Self {
            answer,
            ..Self::default()
        };
        response.extend(tokens);
        response
    }

    /// An empty response with room for the answer to a text of `text_bytes` bytes: in precise
    /// mode a Chinese text's answer is about five times its size (one token for every five
    /// bytes, about 24 bytes a token), and [`SegmentResponse::extend`] needs room for the
    /// longest encoding of a piece's tokens on top of what is written, so that it rarely has to
    /// move what it wrote.
    /// A smaller answer needs less room: words about 1.4 times the text, ends about a byte for
    /// every two of text.
    pub(crate) fn for_text(text_bytes: usize, answer: Answer) -> Self {
        let (fields, ends) = match answer {
            Answer::Tokens => (text_bytes.saturating_mul(6), 0),
            Answer::Words => (text_bytes.saturating_mul(3) / 2, 0),
            Answer::Boundaries => (0, text_bytes / 2),
        };
        Self {
            answer,
            fields: Vec::with_capacity(fields),
            ends: Vec::with_capacity(ends),
        }
    }

    /// Appends `tokens`, as [`crate::core::Analyzer::segment_each`] hands them over, in the
    /// shape the answer has.
    pub(crate) fn extend(&mut self, tokens: &[Token<'_>]) {
        match self.answer {
            Answer::Tokens => self.extend_tokens(tokens),
            Answer::Words => self.extend_words(tokens),
            Answer::Boundaries => {
                for token in tokens {
                    prost::encoding::encode_varint(u64::from(offset(token.end)), &mut self.ends);
                }
            }
        }
    }

    /// Appends `words` entries: key, length, the word.
    fn extend_words(&mut self, tokens: &[Token<'_>]) {
        let bound = tokens.iter().map(|t| 6 + t.word.len()).sum();
        self.write_within(bound, |out| {
            for token in tokens {
                out.byte(WORDS);
                out.varint(offset(token.word.len()));
                out.bytes[out.at..out.at + token.word.len()].copy_from_slice(token.word.as_bytes());
                out.at += token.word.len();
            }
        });
    }

    /// Appends `tokens` entries.
    fn extend_tokens(&mut self, tokens: &[Token<'_>]) {
        let bound = tokens
            .iter()
            .map(|t| MAX_ENTRY_OVERHEAD + t.word.len() + t.pos.map_or(0, str::len))
            .sum();
        self.write_within(bound, |out| {
            for token in tokens {
                out.token(token);
            }
        });
    }

    /// Appends what `write` writes, at most `bound` bytes: written through an index into room
    /// made for the longest possible encoding, then cut to what was written, so there is no
    /// capacity check per byte (which was most of the time).
    fn write_within(&mut self, bound: usize, write: impl FnOnce(&mut Cursor<'_>)) {
        let at = self.fields.len();
        self.fields.resize(at + bound, 0);
        let mut out = Cursor {
            bytes: &mut self.fields,
            at,
        };
        write(&mut out);
        let end = out.at;
        self.fields.truncate(end);
    }
}

/// The most bytes a `tokens` entry takes besides its word and tag: its key and length (1 + 5),
/// the word's and the tag's keys and lengths (2 × (1 + 5)), and four keyed offsets (4 × (1 + 5)).
const MAX_ENTRY_OVERHEAD: usize = 6 + 2 * 6 + 4 * 6;

/// A body (all of a `tokens` entry but its key and length) of at most this many bytes has a
/// one-byte length.
const ONE_BYTE_LEN: usize = 0x7f;

/// Writes into a buffer known to be large enough.
struct Cursor<'a> {
    bytes: &'a mut [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Writes one `tokens` entry.
    #[inline]
    fn token(&mut self, token: &Token<'_>) {
        let word = token.word;
        let pos = token.pos.unwrap_or_default();
        let numbers = [
            (START, offset(token.start)),
            (END, offset(token.end)),
            (BYTE_START, offset(token.byte_start)),
            (BYTE_END, offset(token.byte_end)),
        ];
        self.byte(TOKENS);
        // Nearly every entry is short enough for a one-byte length: the body is written after
        // a placeholder byte and its length put there. Longer ones have their length computed
        // first.
        let short = word.len() + pos.len() + 2 * 6 + 4 * 6 <= ONE_BYTE_LEN;
        let len_at = self.at;
        if short {
            self.at += 1;
        } else {
            let len = string_len(word)
                + numbers.iter().map(|&(_, v)| uint_len(v)).sum::<usize>()
                + string_len(pos);
            self.varint(offset(len));
        }
        let body_at = self.at;
        self.string(WORD, word);
        for (key, value) in numbers {
            if value != 0 {
                self.byte(key);
                self.varint(value);
            }
        }
        self.string(POS, pos);
        if short {
            self.bytes[len_at] = (self.at - body_at) as u8;
        }
    }

    #[inline]
    fn byte(&mut self, byte: u8) {
        self.bytes[self.at] = byte;
        self.at += 1;
    }

    #[inline]
    fn varint(&mut self, mut value: u32) {
        while value >= 0x80 {
            self.byte((value as u8) | 0x80);
            value >>= 7;
        }
        self.byte(value as u8);
    }

    /// A length-delimited string field, omitted when empty (as proto3 and prost do).
    #[inline]
    fn string(&mut self, key: u8, s: &str) {
        if !s.is_empty() {
            self.byte(key);
            self.varint(offset(s.len()));
            self.bytes[self.at..self.at + s.len()].copy_from_slice(s.as_bytes());
            self.at += s.len();
        }
    }
}

impl prost::Message for SegmentResponse {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.fields);
        if !self.ends.is_empty() {
            buf.put_u8(ENDS);
            prost::encoding::encode_varint(self.ends.len() as u64, buf);
            buf.put_slice(&self.ends);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        let ends = if self.ends.is_empty() {
            0
        } else {
            1 + varint_len(offset(self.ends.len())) + self.ends.len()
        };
        self.fields.len() + ends
    }

    fn clear(&mut self) {
        self.fields.clear();
        self.ends.clear();
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::core::{Analyzer, AnalyzerConfig, Deadline, SegmentMode, SegmentOptions};
    use crate::grpc::pb;

    #[test]
    fn varints_take_the_bytes_prost_gives_them() {
        for value in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            u32::MAX,
        ] {
            let mut bytes = [0; 5];
            let mut cursor = Cursor {
                bytes: &mut bytes,
                at: 0,
            };
            cursor.varint(value);
            let len = cursor.at;
            let ours = bytes[..len].to_vec();
            let mut theirs = Vec::new();
            prost::encoding::encode_varint(u64::from(value), &mut theirs);
            assert_eq!(ours, theirs, "{value}");
            assert_eq!(varint_len(value), theirs.len(), "{value}");
        }
    }

    #[test]
    fn bytes_are_exactly_prosts_for_every_mode_and_with_tags() {
        let analyzer = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        // Two pieces long (PIECE_BYTES), with a word too long for a one-byte entry length.
        let seed = include_str!("../../seeds/000_0d2741181010ae04.txt");
        let long_word = "x".repeat(300);
        let text = format!("{seed} 空格\u{0}与emoji👍🏽，还有 ASCII words {long_word}.");
        assert!(text.len() > crate::core::PIECE_BYTES);
        for (mode, with_pos) in [
            (SegmentMode::Precise, false),
            (SegmentMode::Precise, true),
            (SegmentMode::Full, false),
            (SegmentMode::Search, false),
        ] {
            let options = SegmentOptions {
                mode,
                hmm: true,
                with_pos,
            };
            let tokens = analyzer.segment(&text, &options, Deadline::NONE).unwrap();
            assert!(tokens.iter().any(|t| t.word == long_word));
            let answers: &[Answer] = match (mode, with_pos) {
                (_, true) => &[Answer::Tokens],
                (SegmentMode::Precise, false) => {
                    &[Answer::Tokens, Answer::Words, Answer::Boundaries]
                }
                _ => &[Answer::Tokens, Answer::Words],
            };
            for &answer in answers {
                // As the server builds it: piece by piece.
                let mut ours = SegmentResponse::for_text(text.len(), answer);
                analyzer
                    .segment_each(&text, &options, Deadline::NONE, |tokens| {
                        ours.extend(&tokens)
                    })
                    .unwrap();
                assert_eq!(ours, SegmentResponse::new(&tokens, answer));
                let mut theirs = pb::SegmentResponse::default();
                match answer {
                    Answer::Tokens => theirs = pb::SegmentResponse::from(tokens.clone()),
                    Answer::Words => {
                        theirs.words = tokens.iter().map(|t| t.word.to_owned()).collect();
                    }
                    Answer::Boundaries => {
                        theirs.ends = tokens.iter().map(|t| offset(t.end)).collect();
                    }
                }
                let what = format!("{mode:?} {answer:?}");
                assert_eq!(ours.encoded_len(), theirs.encoded_len(), "{what}");
                assert_eq!(ours.encode_to_vec(), theirs.encode_to_vec(), "{what}");
                assert_eq!(
                    pb::SegmentResponse::decode(ours.encode_to_vec().as_slice()).unwrap(),
                    theirs
                );
            }
        }
        for answer in [Answer::Tokens, Answer::Words, Answer::Boundaries] {
            assert!(SegmentResponse::new(&[], answer).encode_to_vec().is_empty());
        }
    }
}
