//! Text classification: hashed word and character features, a linear model per file, training
//! and evaluation.

mod eval;
mod features;
mod model;
mod train;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use crate::core::ModelError;
pub use eval::{Evaluation, LabelScores};
pub use features::FeatureSpec;
pub use model::{FORMAT_VERSION, Header, Model, TrainingRecord, content_hash};
pub use train::{Example, Examples, Progress, TrainConfig, TrainError, read_examples};

pub(crate) use features::Sparse;
pub(crate) use train::train;

use super::LoadError;
use super::layout::ModelsDir;
use super::loaded_once::loaded_once;

/// A model loaded under a name, with the identity of its file.
#[derive(Debug, Clone)]
pub struct NamedModel {
    /// Its name: the file name without extension, or `sentiment` for the built-in model.
    pub name: String,
    /// Where it came from: a path, or `built-in`.
    pub source: String,
    /// Hex SHA-256 of the file.
    pub content_hash: String,
    /// The model, shared with every other analyzer that loaded the same bytes.
    pub model: Arc<Model>,
}

/// The models a server classifies with, by name, and which one is the default.
#[derive(Debug, Clone, Default)]
pub struct ModelSet {
    models: BTreeMap<String, NamedModel>,
    default: Option<String>,
}

pub use crate::core::layout::MODEL_EXTENSION;

impl ModelSet {
    /// Adds (or replaces) a model read from `bytes`.
    pub fn insert_bytes(
        &mut self,
        name: &str,
        source: &str,
        bytes: &[u8],
    ) -> Result<(), ModelError> {
        let key = crate::core::sha256_hex(bytes);
        let model = loaded_once(key, || Model::from_bytes(bytes))?;
        self.insert(name, source, content_hash(bytes), model);
        Ok(())
    }

    /// Adds (or replaces) the model built into the binary, read in place
    /// ([`Model::embedded`]).
    pub(crate) fn insert_embedded(
        &mut self,
        name: &str,
        source: &str,
        bytes: &'static [u8],
    ) -> Result<(), ModelError> {
        // The stored checksum names the built-in bytes: reading all 8 MB to hash them is what
        // reading them in place avoids.
        let hash = content_hash(bytes);
        let model = loaded_once(format!("built-in {hash}"), || Model::embedded(bytes))?;
        self.insert(name, source, hash, model);
        Ok(())
    }

    fn insert(&mut self, name: &str, source: &str, content_hash: String, model: Arc<Model>) {
        let named = NamedModel {
            name: name.to_owned(),
            source: source.to_owned(),
            content_hash,
            model,
        };
        self.models.insert(name.to_owned(), named);
    }

    /// Loads every `*.model` file of `dir`, each named by its file stem. A file that cannot be
    /// read whole is an error naming it; nothing of the directory is half-loaded.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), LoadError> {
        let paths = ModelsDir(dir).classifiers()?;
        let mut loaded = ModelSet::default();
        for path in paths {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|source| LoadError::Io {
                path: path.clone(),
                source,
            })?;
            loaded
                .insert_bytes(&name, &path.display().to_string(), &bytes)
                .map_err(|e| LoadError::Model {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
        }
        self.models.extend(loaded.models);
        Ok(())
    }

    /// Makes `name` the default model; it must be loaded.
    pub fn set_default(&mut self, name: &str) -> Result<(), String> {
        if self.models.contains_key(name) {
            self.default = Some(name.to_owned());
            Ok(())
        } else {
            Err(format!(
                "default model `{name}` is not loaded (loaded: {})",
                self.names().join(", ")
            ))
        }
    }

    /// The default model's name, if any.
    pub fn default_name(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// The model called `name`, or the default for an empty name.
    pub fn get(&self, name: &str) -> Option<&NamedModel> {
        let name = if name.is_empty() {
            self.default.as_deref()?
        } else {
            name
        };
        self.models.get(name)
    }

    /// The loaded models, by name.
    pub fn iter(&self) -> impl Iterator<Item = &NamedModel> {
        self.models.values()
    }

    /// The names of the loaded models, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.models.keys().map(String::as_str).collect()
    }
}

/// How to classify a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassifyOptions {
    /// The model's name; empty for the default model.
    pub model: String,
    /// How many labels to return, best first; 0 for all.
    pub top_k: usize,
}

/// The labels of a text with their probabilities, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The model actually used.
    pub model: String,
    /// `(label, probability)`, best first; over all labels the probabilities sum to 1.
    pub labels: Vec<(String, f64)>,
}

/// A classification that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    /// No model has that name (or there is no default model).
    #[error("no model named `{requested}`; available: {}", available.join(", "))]
    UnknownModel {
        /// The name asked for (empty: the default).
        requested: String,
        /// The models that exist.
        available: Vec<String>,
    },
}
