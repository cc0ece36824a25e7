//! [`SegmenterModel`]: a trained segmentation (and tagging) model and its file format.
//!
//! The format (version 1), all integers and floats little-endian:
//!
//! | size | content |
//! |---|---|
//! | 8 | magic `TASEGMT\n` |
//! | 4 | format version, `u32` |
//! | 4 | header length `h`, `u32` |
//! | `h` | header: UTF-8 JSON ([`SegmenterHeader`]: the counts below, the tags, the training record), padded with spaces to a multiple of 8 |
//! | 4 · characters | the vocabulary, `u32` code points in id order, padded to a multiple of 8 |
//! | 8 · s | the segmentation features' keys, `u64`, ascending |
//! | 8 · s | their weights, four `i16` each (tags B, M, E, S) |
//! | 64 | the transition weights, 16 `i32` (from B, M, E, S to B, M, E, S) |
//! | 8 · t | the tagging features' keys, `u64`, ascending |
//! | 4 · (t + 1) | where each one's weights start among the entries (then the entries' count), `u32` |
//! | 4 · e | the entries: a tag's index, `u16`, and its weight, `i16` |
//! | 32 | SHA-256 of every byte before it |
//!
//! Weights are stored as integers: the trained weights times the header's scale, rounded
//! (the model scores in integers; the rounding moved no word of the dev split).
//!
//! A reader refuses a file with another magic, a newer version, a wrong length or checksum,
//! or counts that do not match the header, so a model is loaded whole or not at all.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::features::{MAX_VOCABULARY, Vocabulary};
use super::table::FeatureTable;
use super::weights::{SegmentWeights, Weights};
use crate::core::ModelError;

const MAGIC: &[u8; 8] = b"TASEGMT\n";
/// The segmentation model format this build writes and reads.
pub const SEGMENTER_FORMAT_VERSION: u32 = 1;
/// The features this build computes (`features.rs`, `tagger.rs`); a model made for others is
/// refused.
pub(crate) const FEATURE_SET: u32 = 1;
const CHECKSUM_LEN: usize = 32;
/// Sanity bounds, so a corrupt header cannot ask for absurd allocations.
const MAX_FEATURES: usize = 1 << 28;
const MAX_TAGS: usize = 250;

/// How a segmentation model was trained, kept in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmenterTrainingRecord {
    /// Sentences trained on.
    pub sentences: usize,
    /// Their characters.
    pub characters: usize,
    /// Passes of the segmentation perceptron.
    pub epochs: u32,
    /// Passes of the tagging perceptron (0 for an untagged corpus).
    pub tag_epochs: u32,
    /// Seed of the sentence order and the dictionary dropout.
    pub seed: u64,
    /// Dictionary words hidden while training, per thousand.
    pub dictionary_dropout: u32,
    /// The smallest weight kept.
    pub min_weight: f32,
    /// The dictionary whose words were features: the built-in dictionary's SHA-256.
    pub dictionary: String,
}

/// Scores of a model on sentences it was not trained on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DevRecord {
    /// Sentences scored.
    pub sentences: usize,
    /// Word F1.
    pub f1: f64,
    /// Recall of words in neither the dictionary nor the training sentences.
    pub oov_recall: f64,
    /// Tagging accuracy on the words segmented right (absent for an untagged corpus).
    pub pos_accuracy: Option<f64>,
}

/// The JSON header of a segmentation model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmenterHeader {
    /// The feature set the weights are for.
    pub feature_set: u32,
    /// Characters in the vocabulary.
    pub characters: usize,
    /// Segmentation features.
    pub segment_features: usize,
    /// The part-of-speech tags, in the order of their indices (empty: the model does not tag).
    pub tags: Vec<String>,
    /// Tagging features.
    pub tag_features: usize,
    /// Tagging weights (a feature's non-zero weights, one entry per tag).
    pub tag_entries: usize,
    /// What the segmentation weights were multiplied by before rounding.
    pub segment_scale: f32,
    /// What the tagging weights were multiplied by before rounding.
    pub tag_scale: f32,
    /// How it was trained.
    pub training: SegmenterTrainingRecord,
    /// How it scored on held-out sentences, when it was.
    pub dev: Option<DevRecord>,
}

/// A tagging model's weights: for each feature, the tags it has a weight for.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaggerWeights {
    /// Each feature's range in `entries`.
    pub(crate) table: FeatureTable<(u32, u32)>,
    /// `(tag, weight)`.
    pub(crate) entries: Vec<(u16, i16)>,
}

/// A trained segmentation model, and tagging model when its corpus had tags.
#[derive(Debug, Clone)]
pub struct SegmenterModel {
    pub(crate) header: SegmenterHeader,
    pub(crate) vocabulary: Vocabulary,
    pub(crate) segment: SegmentWeights,
    pub(crate) tagger: TaggerWeights,
}

/// The parts of a model as trained: features sorted by key, weights as trained.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parts {
    pub(crate) chars: Vec<char>,
    pub(crate) segment: Vec<(u64, [f32; 4])>,
    pub(crate) transitions: [[f32; 4]; 4],
    /// Each tagging feature with its `(tag, weight)`s.
    pub(crate) tagging: Vec<(u64, Vec<(u32, f32)>)>,
}

/// The largest scale up to 256 that keeps every weight of `weights` in an `i16`.
fn scale_for(weights: impl Iterator<Item = f32>) -> f32 {
    let largest = weights.fold(0.0f32, |m, w| m.max(w.abs()));
    if largest * 256.0 <= 32_000.0 {
        256.0
    } else {
        (32_000.0 / largest).floor().max(1.0)
    }
}

fn quantize(w: f32, scale: f32) -> i16 {
    (w * scale).round().clamp(-32_767.0, 32_767.0) as i16
}

impl SegmenterModel {
    /// A model from trained parts (each list sorted by key, keys distinct and non-zero):
    /// weights are rounded to integers, and those that round to zero dropped.
    pub(crate) fn from_parts(
        mut header: SegmenterHeader,
        parts: Parts,
    ) -> Result<Self, ModelError> {
        let segment_scale = scale_for(
            parts
                .segment
                .iter()
                .flat_map(|(_, w)| w.iter().copied())
                .chain(parts.transitions.iter().flatten().copied()),
        );
        let segment: Vec<(u64, Weights)> = parts
            .segment
            .iter()
            .map(|(k, w)| (*k, w.map(|x| quantize(x, segment_scale))))
            .filter(|(_, w)| *w != [0; 4])
            .collect();
        let transitions = parts
            .transitions
            .map(|row| row.map(|t| (t * segment_scale).round() as i32));
        let tag_scale = scale_for(
            parts
                .tagging
                .iter()
                .flat_map(|(_, e)| e.iter().map(|&(_, w)| w)),
        );
        let tagging: Vec<(u64, Vec<(u16, i16)>)> = parts
            .tagging
            .iter()
            .map(|(k, entries)| {
                let entries: Vec<(u16, i16)> = entries
                    .iter()
                    .map(|&(t, w)| (t as u16, quantize(w, tag_scale)))
                    .filter(|&(_, w)| w != 0)
                    .collect();
                (*k, entries)
            })
            .filter(|(_, e)| !e.is_empty())
            .collect();
        header.feature_set = FEATURE_SET;
        header.characters = parts.chars.len();
        header.segment_features = segment.len();
        header.tag_features = tagging.len();
        header.tag_entries = tagging.iter().map(|(_, e)| e.len()).sum();
        header.segment_scale = segment_scale;
        header.tag_scale = tag_scale;
        let mut entries = Vec::with_capacity(header.tag_entries);
        let ranges: Vec<(u64, (u32, u32))> = tagging
            .iter()
            .map(|(key, weights)| {
                let start = entries.len() as u32;
                entries.extend_from_slice(weights);
                (*key, (start, entries.len() as u32))
            })
            .collect();
        Ok(Self {
            segment: SegmentWeights::new(parts.chars.len(), &segment, transitions)
                .map_err(ModelError::Header)?,
            vocabulary: Vocabulary::new(parts.chars),
            tagger: TaggerWeights {
                table: FeatureTable::new(ranges.into_iter()),
                entries,
            },
            header,
        })
    }

    /// A model that knows nothing: every character is a word of its own.
    pub(crate) fn empty() -> Self {
        Self {
            header: SegmenterHeader {
                feature_set: FEATURE_SET,
                characters: 0,
                segment_features: 0,
                tags: Vec::new(),
                tag_features: 0,
                tag_entries: 0,
                segment_scale: 1.0,
                tag_scale: 1.0,
                training: SegmenterTrainingRecord {
                    sentences: 0,
                    characters: 0,
                    epochs: 0,
                    tag_epochs: 0,
                    seed: 0,
                    dictionary_dropout: 0,
                    min_weight: 0.0,
                    dictionary: String::new(),
                },
                dev: None,
            },
            vocabulary: Vocabulary::new(Vec::new()),
            segment: SegmentWeights::default(),
            tagger: TaggerWeights::default(),
        }
    }

    /// The header of a model file, read without checking the rest or making the tables.
    pub(crate) fn read_header(bytes: &[u8]) -> Result<SegmenterHeader, ModelError> {
        if bytes.len() >= 8 && &bytes[..8] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let mut reader = Reader {
            rest: bytes.get(8..).unwrap_or_default(),
        };
        let version = reader.u32()?;
        if version > SEGMENTER_FORMAT_VERSION {
            return Err(ModelError::FutureVersion {
                found: version,
                supported: SEGMENTER_FORMAT_VERSION,
            });
        }
        let header_len = reader.u32()? as usize;
        let header = bytes
            .get(16..16 + header_len)
            .ok_or_else(|| ModelError::Length("the header runs past the end".to_owned()))?;
        serde_json::from_slice(header).map_err(|e| ModelError::Header(e.to_string()))
    }

    /// The model's header: its counts, tags and training record.
    pub fn header(&self) -> &SegmenterHeader {
        &self.header
    }

    /// Whether the model tags words with their part of speech.
    pub fn tags_words(&self) -> bool {
        !self.header.tags.is_empty()
    }

    /// Sets the held-out scores kept in the file.
    pub fn set_dev(&mut self, dev: DevRecord) {
        self.header.dev = Some(dev);
    }

    /// The bytes the model's tables hold in memory.
    pub fn heap_bytes(&self) -> usize {
        self.segment.heap_bytes()
            + self.tagger.table.heap_bytes()
            + self.tagger.entries.len() * 4
            + 0x1_0000 * 4
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let segment = self.segment.features();
        let mut tagging: Vec<(u64, (u32, u32))> =
            self.tagger.table.iter().map(|(k, v)| (k, *v)).collect();
        tagging.sort_unstable_by_key(|e| e.0);
        let mut header = self.header.clone();
        header.segment_features = segment.len();
        let mut header = serde_json::to_vec(&header).unwrap_or_default();
        while !(16 + header.len()).is_multiple_of(8) {
            header.push(b' ');
        }
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&SEGMENTER_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for &c in self.vocabulary.chars() {
            out.extend_from_slice(&(c as u32).to_le_bytes());
        }
        if !self.vocabulary.chars().len().is_multiple_of(2) {
            out.extend_from_slice(&[0; 4]);
        }
        for (key, _) in &segment {
            out.extend_from_slice(&key.to_le_bytes());
        }
        for (_, weights) in &segment {
            for w in weights {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        for row in &self.segment.transitions {
            for w in row {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        for (key, _) in &tagging {
            out.extend_from_slice(&key.to_le_bytes());
        }
        let mut written = 0u32;
        for (_, (start, end)) in &tagging {
            out.extend_from_slice(&written.to_le_bytes());
            written += end - start;
        }
        out.extend_from_slice(&written.to_le_bytes());
        for (_, (start, end)) in &tagging {
            for &(tag, weight) in &self.tagger.entries[*start as usize..*end as usize] {
                out.extend_from_slice(&tag.to_le_bytes());
                out.extend_from_slice(&weight.to_le_bytes());
            }
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Reads a model file, checking everything.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let length = |what: &str| ModelError::Length(what.to_owned());
        if bytes.len() >= 8 && &bytes[..8] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        if bytes.len() < 16 + CHECKSUM_LEN {
            return Err(length("shorter than a header"));
        }
        let mut reader = Reader { rest: &bytes[8..] };
        let version = reader.u32()?;
        if version > SEGMENTER_FORMAT_VERSION {
            return Err(ModelError::FutureVersion {
                found: version,
                supported: SEGMENTER_FORMAT_VERSION,
            });
        }
        let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if Sha256::digest(body).as_slice() != checksum {
            return Err(ModelError::Checksum);
        }
        let header_len = reader.u32()? as usize;
        let header_bytes = body
            .get(16..16 + header_len)
            .ok_or_else(|| length("the header runs past the end"))?;
        let header: SegmenterHeader =
            serde_json::from_slice(header_bytes).map_err(|e| ModelError::Header(e.to_string()))?;
        if header.feature_set != FEATURE_SET {
            return Err(ModelError::Header(format!(
                "feature set {} is not this build's ({FEATURE_SET}); retrain the model",
                header.feature_set
            )));
        }
        if header.characters > MAX_VOCABULARY
            || header.segment_features > MAX_FEATURES
            || header.tag_features > MAX_FEATURES
            || header.tag_entries > MAX_FEATURES
            || header.tags.len() > MAX_TAGS
        {
            return Err(ModelError::Header("counts out of range".to_owned()));
        }
        let mut reader = Reader {
            rest: &body[16 + header_len..],
        };
        let chars = (0..header.characters)
            .map(|_| {
                char::from_u32(reader.u32()?)
                    .ok_or_else(|| ModelError::Header("a character is not a code point".to_owned()))
            })
            .collect::<Result<Vec<char>, ModelError>>()?;
        if !header.characters.is_multiple_of(2) {
            reader.u32()?;
        }
        let n = header.segment_features;
        let keys = (0..n)
            .map(|_| reader.u64())
            .collect::<Result<Vec<_>, _>>()?;
        let mut segment = Vec::with_capacity(n);
        for key in keys {
            let w = [reader.i16()?, reader.i16()?, reader.i16()?, reader.i16()?];
            segment.push((key, w));
        }
        let mut transitions = [[0; 4]; 4];
        for row in &mut transitions {
            for w in row {
                *w = reader.u32()? as i32;
            }
        }
        let t = header.tag_features;
        let keys = (0..t)
            .map(|_| reader.u64())
            .collect::<Result<Vec<_>, _>>()?;
        let starts = (0..=t)
            .map(|_| reader.u32())
            .collect::<Result<Vec<_>, _>>()?;
        if starts.last().copied().unwrap_or(0) as usize != header.tag_entries
            || starts.windows(2).any(|w| w[0] > w[1])
        {
            return Err(ModelError::Header("tag entries out of order".to_owned()));
        }
        let mut entries = Vec::with_capacity(header.tag_entries);
        for _ in 0..header.tag_entries {
            let tag = reader.u16()?;
            if tag as usize >= header.tags.len() {
                return Err(ModelError::Header("a weight names no tag".to_owned()));
            }
            entries.push((tag, reader.i16()?));
        }
        if !reader.rest.is_empty() {
            return Err(length("trailing bytes after the weights"));
        }
        let ascending =
            |keys: &[u64]| keys.first() != Some(&0) && keys.windows(2).all(|w| w[0] < w[1]);
        let segment_keys: Vec<u64> = segment.iter().map(|e| e.0).collect();
        if !ascending(&segment_keys) || !ascending(&keys) {
            return Err(ModelError::Header("feature keys not ascending".to_owned()));
        }
        let tagging: Vec<(u64, (u32, u32))> = keys
            .into_iter()
            .zip(starts.windows(2))
            .map(|(k, w)| (k, (w[0], w[1])))
            .collect();
        Ok(Self {
            segment: SegmentWeights::new(chars.len(), &segment, transitions)
                .map_err(ModelError::Header)?,
            vocabulary: Vocabulary::new(chars),
            tagger: TaggerWeights {
                table: FeatureTable::new(tagging.into_iter()),
                entries,
            },
            header,
        })
    }
}

/// Little-endian numbers read off the front of a byte slice.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or_else(|| ModelError::Length("the weights end early".to_owned()))?;
        self.rest = tail;
        Ok(*head)
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        self.take().map(u64::from_le_bytes)
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        self.take().map(u16::from_le_bytes)
    }
    fn i16(&mut self) -> Result<i16, ModelError> {
        self.take().map(i16::from_le_bytes)
    }
}

/// The SHA-256 of a segmentation model file, in hex (its last 32 bytes).
pub fn segmenter_content_hash(bytes: &[u8]) -> String {
    crate::core::to_hex(&bytes[bytes.len().saturating_sub(CHECKSUM_LEN)..])
}
