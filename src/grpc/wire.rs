//! `SegmentResponse` as the server sends it: protobuf bytes written straight from the core's
//! tokens, on the worker that segmented the text.
//!
//! The generated `pb::SegmentResponse` would hold one `pb::Token` with an owned `String` per
//! word: for a 100 KB document, twenty thousand allocations, copies and frees, then prost's
//! field-by-field encoding on the async reactor. Those steps were about a third of the server's
//! time on long documents (BENCHMARKS.md). The server's `Segment` answers with this type
//! instead (build.rs maps `.textanalysis.v1.SegmentResponse` to it for the server only); its
//! bytes are exactly what prost writes for the same `pb::SegmentResponse` (a test checks it
//! byte for byte), so clients decode it with their generated types as ever.

use prost::bytes::{Buf, BufMut};
use prost::encoding::{DecodeContext, WireType, skip_field};

use crate::core::Token;

/// `SegmentResponse`, already encoded (see the module documentation). Server side only: it
/// encodes, and decoding one skips its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentResponse {
    /// The message's fields, encoded.
    fields: Vec<u8>,
}

/// Keys (field number and wire type) of `SegmentResponse.tokens` and the `Token` fields.
const TOKENS: u8 = 1 << 3 | 2;
const WORD: u8 = 1 << 3 | 2;
const START: u8 = 2 << 3;
const END: u8 = 3 << 3;
const BYTE_START: u8 = 4 << 3;
const BYTE_END: u8 = 5 << 3;
const POS: u8 = 6 << 3 | 2;

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

fn put_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// An offset as the `uint32` fields carry it (texts are far shorter than 4 GiB).
fn offset(n: usize) -> u32 {
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
    /// Encodes `tokens` as prost would encode `pb::SegmentResponse { tokens }`.
    pub(crate) fn new(tokens: &[Token<'_>]) -> Self {
        let mut fields = Vec::with_capacity(tokens.len() * 24);
        for token in tokens {
            let word = token.word;
            let pos = token.pos.unwrap_or_default();
            let numbers = [
                (START, offset(token.start)),
                (END, offset(token.end)),
                (BYTE_START, offset(token.byte_start)),
                (BYTE_END, offset(token.byte_end)),
            ];
            let len = string_len(word)
                + numbers.iter().map(|&(_, v)| uint_len(v)).sum::<usize>()
                + string_len(pos);
            fields.push(TOKENS);
            put_varint(&mut fields, offset(len));
            if !word.is_empty() {
                fields.push(WORD);
                put_varint(&mut fields, offset(word.len()));
                fields.extend_from_slice(word.as_bytes());
            }
            for (key, value) in numbers {
                if value != 0 {
                    fields.push(key);
                    put_varint(&mut fields, value);
                }
            }
            if !pos.is_empty() {
                fields.push(POS);
                put_varint(&mut fields, offset(pos.len()));
                fields.extend_from_slice(pos.as_bytes());
            }
        }
        Self { fields }
    }
}

impl prost::Message for SegmentResponse {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.fields);
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
        self.fields.len()
    }

    fn clear(&mut self) {
        self.fields.clear();
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
            let mut ours = Vec::new();
            put_varint(&mut ours, value);
            let mut theirs = Vec::new();
            prost::encoding::encode_varint(u64::from(value), &mut theirs);
            assert_eq!(ours, theirs, "{value}");
            assert_eq!(varint_len(value), theirs.len(), "{value}");
        }
    }

    #[test]
    fn bytes_are_exactly_prosts_for_every_mode_and_with_tags() {
        let analyzer = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        let seed = include_str!("../../seeds/000_0d2741181010ae04.txt");
        let text = format!("{seed} 空格\u{0}与emoji👍🏽，还有 ASCII words.");
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
            let ours = SegmentResponse::new(&tokens);
            let theirs = pb::SegmentResponse::from(tokens);
            assert_eq!(ours.encode_to_vec(), theirs.encode_to_vec(), "{mode:?}");
            assert_eq!(
                pb::SegmentResponse::decode(ours.encode_to_vec().as_slice()).unwrap(),
                theirs
            );
        }
        assert!(SegmentResponse::new(&[]).encode_to_vec().is_empty());
    }
}
