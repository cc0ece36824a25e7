//! A trained linear model and its file format.
//!
//! The format (version 1), all integers and floats little-endian:
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `TAMODEL\n` |
//! | 8 | 4 | format version, `u32` |
//! | 12 | 4 | header length `h`, `u32` |
//! | 16 | `h` | header: UTF-8 JSON ([`Header`]: labels, feature settings, training record), padded with spaces so that the weights start at a multiple of 4 |
//! | 16 + `h` | 4 · buckets · labels | weights, `f32`, bucket by bucket: each bucket's weights for every label together (one cache line per feature when predicting) |
//! | … | 4 · labels | biases, `f32` |
//! | end − 32 | 32 | SHA-256 of every byte before it |
//!
//! A reader refuses a file with another magic, a newer version, a wrong length or checksum, or
//! a header that does not match the weights, so a model is loaded whole or not at all. (Files
//! written before the padding, with the weights at any offset, read the same.)
//!
//! The model built into the binary is read in place ([`Model::embedded`]): its weights are not
//! copied, so their pages are loaded as classification reads them, and are file pages the
//! kernel can drop, instead of 8 MB of heap held from start-up.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::features::{FeatureSpec, Sparse};
use crate::core::ModelError;

const MAGIC: &[u8; 8] = b"TAMODEL\n";
/// The model file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const CHECKSUM_LEN: usize = 32;
/// Sanity bounds, so a corrupt header cannot ask for absurd allocations.
const MAX_BUCKETS: u32 = 1 << 26;
const MAX_LABELS: usize = 10_000;

/// How a model was trained, kept in its file for `ListModels` and reproducibility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Examples trained on.
    pub examples: usize,
    /// Passes over the examples.
    pub epochs: u32,
    /// Step size of the optimiser.
    pub learning_rate: f32,
    /// L2 regularisation strength.
    pub l2: f32,
    /// Seed of the example order.
    pub seed: u64,
}

/// The JSON header of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The labels, in the order of the weight rows.
    pub labels: Vec<String>,
    /// The features the model reads.
    pub features: FeatureSpec,
    /// How it was trained.
    pub training: TrainingRecord,
}

/// A multinomial logistic-regression model over hashed features.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    header: Header,
    /// `buckets × labels`: the weights of bucket `j` are `weights[j * labels..(j + 1) * labels]`;
    /// borrowed from the binary for the built-in model.
    weights: Cow<'static, [f32]>,
    bias: Vec<f32>,
}

impl Model {
    /// A model with all weights zero.
    pub(crate) fn zeros(header: Header) -> Self {
        let labels = header.labels.len();
        let buckets = header.features.buckets as usize;
        Self {
            header,
            weights: Cow::Owned(vec![0.0; labels * buckets]),
            bias: vec![0.0; labels],
        }
    }

    /// The feature vector the model reads from a text given its words.
    pub(crate) fn vector(&self, words: &[&str], text: &str) -> Sparse {
        self.header.features.vector(words, text)
    }

    /// The labels, in model order.
    pub fn labels(&self) -> &[String] {
        &self.header.labels
    }

    /// The features the model reads.
    pub fn features(&self) -> &FeatureSpec {
        &self.header.features
    }

    /// How the model was trained.
    pub fn training(&self) -> &TrainingRecord {
        &self.header.training
    }

    pub(crate) fn weights_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        (self.weights.to_mut(), &mut self.bias)
    }

    /// Raw scores (logits) of each label for a feature vector.
    pub(crate) fn scores(&self, x: &Sparse, out: &mut [f64]) {
        // Two labels (sentiment, the common case) are summed in registers rather than through
        // the output slice: the same sums in the same order, without a load and a store per
        // feature and label.
        if let Ok(two) = <&mut [f64; 2]>::try_from(&mut *out) {
            *two = self.scores_of::<2>(x);
            return;
        }
        let labels = self.bias.len();
        for (score, &b) in out.iter_mut().zip(&self.bias) {
            *score = f64::from(b);
        }
        for &(j, v) in x {
            let at = j as usize * labels;
            for (score, &w) in out.iter_mut().zip(&self.weights[at..at + labels]) {
                *score += f64::from(w * v);
            }
        }
    }

    /// [`Model::scores`] for a model of `L` labels.
    fn scores_of<const L: usize>(&self, x: &Sparse) -> [f64; L] {
        let mut score = [0.0; L];
        for (s, &b) in score.iter_mut().zip(&self.bias) {
            *s = f64::from(b);
        }
        for &(j, v) in x {
            let at = j as usize * L;
            if let Ok(w) = <&[f32; L]>::try_from(&self.weights[at..at + L]) {
                for (s, &w) in score.iter_mut().zip(w) {
                    *s += f64::from(w * v);
                }
            }
        }
        score
    }

    /// The probability of each label (softmax over the scores); they sum to 1.
    pub(crate) fn probabilities(&self, x: &Sparse) -> Vec<f64> {
        let mut p = vec![0.0; self.header.labels.len()];
        self.scores(x, &mut p);
        softmax(&mut p);
        p
    }

    /// The file's bytes: the same model always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data to a Vec cannot fail.
        let mut header = serde_json::to_vec(&self.header).unwrap_or_default();
        // JSON allows trailing white space: the weights start at a multiple of 4, so that the
        // built-in model can be read in place.
        header.resize(header.len().next_multiple_of(4), b' ');
        let mut out =
            Vec::with_capacity(16 + header.len() + 4 * (self.weights.len() + self.bias.len()) + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for w in self.weights.iter().chain(&self.bias) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Reads a model file, checking everything before trusting anything.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let (header, floats) = parse(bytes, true)?;
        let mut values: Vec<f32> = floats
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Header("weights must be finite".into()));
        }
        let bias = values.split_off(values.len() - header.labels.len());
        Ok(Self {
            header,
            weights: Cow::Owned(values),
            bias,
        })
    }

    /// Reads the model built into the binary, its weights in place (see the module
    /// documentation). Its bytes are what `textanalysis train` makes, checked by a unit test
    /// against [`Model::from_bytes`], so neither the checksum nor the weights are read here:
    /// that would load all 8 MB at start-up. The header is checked as always; where the
    /// weights cannot be borrowed (not aligned, or a big-endian machine) they are copied.
    pub fn embedded(bytes: &'static [u8]) -> Result<Self, ModelError> {
        let (header, floats) = parse(bytes, false)?;
        let labels = header.labels.len();
        let (weights, bias) = floats.split_at(floats.len() - 4 * labels);
        let weights = match bytemuck::try_cast_slice::<u8, f32>(weights) {
            Ok(weights) if cfg!(target_endian = "little") => Cow::Borrowed(weights),
            _ => return Self::from_bytes(bytes),
        };
        let bias = bias
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Self {
            header,
            weights,
            bias,
        })
    }
}

/// The header and the weights' bytes (biases last) of a model file, its framing and header
/// checked, and its checksum too when `verify`.
fn parse(bytes: &[u8], verify: bool) -> Result<(Header, &[u8]), ModelError> {
    if bytes.len() < 16 + CHECKSUM_LEN || &bytes[..8] != MAGIC {
        return Err(if bytes.starts_with(MAGIC) {
            ModelError::Length(format!("only {} bytes", bytes.len()))
        } else {
            ModelError::BadMagic
        });
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = u32_at(8);
    if version > FORMAT_VERSION {
        return Err(ModelError::FutureVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(ModelError::Header("format version 0 does not exist".into()));
    }
    let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if verify && Sha256::digest(body).as_slice() != checksum {
        return Err(ModelError::Checksum);
    }
    let header_len = u32_at(12) as usize;
    let header_bytes = body
        .get(16..16usize.saturating_add(header_len))
        .ok_or_else(|| ModelError::Length(format!("header of {header_len} bytes does not fit")))?;
    let header: Header =
        serde_json::from_slice(header_bytes).map_err(|e| ModelError::Header(e.to_string()))?;
    let labels = header.labels.len();
    if labels == 0 || labels > MAX_LABELS {
        return Err(ModelError::Header(format!("{labels} labels")));
    }
    let mut distinct = header.labels.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != labels || header.labels.iter().any(String::is_empty) {
        return Err(ModelError::Header(
            "labels must be distinct and non-empty".into(),
        ));
    }
    let spec = header.features;
    if spec.buckets == 0 || spec.buckets > MAX_BUCKETS {
        return Err(ModelError::Header(format!("{} buckets", spec.buckets)));
    }
    if spec.min_char_ngram > spec.max_char_ngram || spec.max_char_ngram > 8 || spec.word_ngrams > 2
    {
        return Err(ModelError::Header("unsupported feature settings".into()));
    }
    let floats = &body[16 + header_len..];
    let buckets = spec.buckets as usize;
    let expected = 4 * labels * (buckets + 1);
    if floats.len() != expected {
        return Err(ModelError::Length(format!(
            "{} bytes of weights where {labels} labels × {buckets} buckets need {expected}",
            floats.len()
        )));
    }
    Ok((header, floats))
}

/// Turns scores into probabilities in place, stably.
pub(crate) fn softmax(scores: &mut [f64]) {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    scores.iter_mut().for_each(|s| *s /= sum);
}

/// A model file's identity in `ListModels`: its stored checksum (the SHA-256 of everything
/// before it), in hex. Read from the file rather than computed, so loading hashes once.
pub fn content_hash(bytes: &[u8]) -> String {
    crate::core::to_hex(&bytes[bytes.len().saturating_sub(CHECKSUM_LEN)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Model {
        let mut model = Model::zeros(Header {
            labels: vec!["neg".into(), "pos".into()],
            features: FeatureSpec {
                buckets: 8,
                ..FeatureSpec::default()
            },
            training: TrainingRecord {
                examples: 2,
                epochs: 1,
                learning_rate: 0.1,
                l2: 0.0,
                seed: 7,
            },
        });
        let (w, b) = model.weights_mut();
        w[3] = 1.5;
        b[1] = -0.25;
        model
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let bytes = small().to_bytes();
        let back = Model::from_bytes(&bytes).unwrap();
        assert_eq!(back, small());
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn weights_start_aligned_and_unpadded_files_still_read() {
        let bytes = small().to_bytes();
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        assert_eq!((16 + header_len) % 4, 0);
        // As written before the padding: the header's JSON alone.
        let json = serde_json::to_vec(&small().header).unwrap();
        assert_ne!(
            json.len() % 4,
            0,
            "the test needs a header that was unaligned"
        );
        let mut old = bytes[..12].to_vec();
        old.extend_from_slice(&(json.len() as u32).to_le_bytes());
        old.extend_from_slice(&json);
        old.extend_from_slice(&bytes[16 + header_len..bytes.len() - CHECKSUM_LEN]);
        let digest = Sha256::digest(&old);
        old.extend_from_slice(&digest);
        assert_eq!(Model::from_bytes(&old).unwrap(), small());
    }

    #[test]
    fn the_built_in_model_is_read_in_place_and_is_the_checked_file() {
        let Some(bytes) = crate::core::builtin::BUILTIN_MODEL else {
            return;
        };
        let embedded = Model::embedded(bytes).unwrap();
        assert!(matches!(embedded.weights, Cow::Borrowed(_)));
        assert_eq!(embedded, Model::from_bytes(bytes).unwrap());
    }

    #[test]
    fn damage_of_any_kind_is_refused() {
        let bytes = small().to_bytes();
        for cut in [0, 5, 20, bytes.len() - 1] {
            assert!(
                Model::from_bytes(&bytes[..cut]).is_err(),
                "truncated at {cut}"
            );
        }
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert_eq!(Model::from_bytes(&flipped), Err(ModelError::Checksum));
        let mut future = bytes.clone();
        future[8] = 2;
        assert_eq!(
            Model::from_bytes(&future),
            Err(ModelError::FutureVersion {
                found: 2,
                supported: FORMAT_VERSION
            })
        );
        assert_eq!(
            Model::from_bytes(b"PK\x03\x04 not a model at all, not at all....."),
            Err(ModelError::BadMagic)
        );
    }

    #[test]
    fn probabilities_sum_to_one() {
        let p = small().probabilities(&vec![(3, 1.0)]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > p[1]);
    }
}
