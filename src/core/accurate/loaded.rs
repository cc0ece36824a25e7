//! [`LoadedSegmenter`]: the segmentation model an analyzer serves `ACCURATE` with, the one built
//! into the binary or one read from the models directory.
//!
//! The built-in model (`models/accurate.segmenter`, trained by `textanalysis train-segmenter`
//! on `data/pku-1998-01`) is embedded in the binary and made into its serving tables the first
//! time a request needs it, once per process for every profile and worker: a server that never
//! segments with it never holds it (about 30 MB), and start-up does not wait for it. A model
//! read from a file is made when the file is read (so a bad file is refused at once), and shared
//! by every analyzer that reads the same bytes.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use super::model::{SegmenterHeader, SegmenterModel, segmenter_content_hash};
use crate::core::ModelError;
use crate::core::loaded_once::loaded_once;
use crate::core::{LoadError, sha256_hex};

/// The name of the segmentation model (its file in a models directory is
/// [`SEGMENTER_FILE_NAME`](crate::core::layout::SEGMENTER_FILE_NAME)).
pub const SEGMENTER_NAME: &str = "accurate";

/// The built-in model's file, embedded.
static BUILTIN_BYTES: &[u8] = include_bytes!("../../../models/accurate.segmenter");

/// The built-in model, made on first use. It is checked by a unit test, so it never fails to
/// read; if it did, the empty model (every character a word) would serve rather than a panic.
static BUILTIN: LazyLock<SegmenterModel> = LazyLock::new(|| {
    SegmenterModel::from_bytes(BUILTIN_BYTES).unwrap_or_else(|_| SegmenterModel::empty())
});

/// The built-in model's header, read without making its tables.
static BUILTIN_HEADER: LazyLock<Result<SegmenterHeader, ModelError>> =
    LazyLock::new(|| SegmenterModel::read_header(BUILTIN_BYTES));

#[derive(Debug, Clone)]
enum Held {
    Builtin,
    File(Arc<SegmenterModel>),
}

/// The segmentation model of an analyzer, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSegmenter {
    held: Held,
    source: String,
    content_hash: String,
    header: SegmenterHeader,
}

impl LoadedSegmenter {
    /// The built-in model (its tables are made on first use).
    pub(crate) fn builtin() -> Result<Self, LoadError> {
        let header = BUILTIN_HEADER.clone().map_err(|e| LoadError::Model {
            path: "<built-in accurate.segmenter>".into(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            held: Held::Builtin,
            source: "built-in".to_owned(),
            content_hash: segmenter_content_hash(BUILTIN_BYTES),
            header,
        })
    }

    /// The model in the file at `path`, read and checked now.
    pub(crate) fn from_file(path: &Path) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let model = loaded_once(sha256_hex(&bytes), || SegmenterModel::from_bytes(&bytes))
            .map_err(|e| LoadError::Model {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            header: model.header().clone(),
            held: Held::File(model),
            source: path.display().to_string(),
            content_hash: segmenter_content_hash(&bytes),
        })
    }

    /// The model, made now if it is the built-in one's first use.
    pub(crate) fn model(&self) -> &SegmenterModel {
        match &self.held {
            Held::Builtin => &BUILTIN,
            Held::File(model) => model,
        }
    }

    /// Where the model came from: a file path, or `built-in`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The hex SHA-256 of the model file.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The model's header: its counts, tags, training record and held-out scores.
    pub fn header(&self) -> &SegmenterHeader {
        &self.header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_model_reads_and_tags() {
        let model = SegmenterModel::from_bytes(BUILTIN_BYTES).expect("the built-in model reads");
        assert!(model.tags_words());
        assert_eq!(
            model.to_bytes(),
            BUILTIN_BYTES,
            "it writes back byte for byte"
        );
        let loaded = LoadedSegmenter::builtin().unwrap();
        assert_eq!(loaded.header(), model.header());
        assert_eq!(loaded.source(), "built-in");
    }
}
