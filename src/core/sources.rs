//! [`Sources`]: what the files an analyzer is built from held when they were read, so that a
//! word edit rebuilds the segmenter without reading them again (only a reload does).

use std::path::PathBuf;
use std::sync::Arc;

use super::accurate::LoadedSegmenter;
use super::builtin::{BUILTIN_MODEL, BUILTIN_MODEL_NAME, builtin_idf, builtin_pos_hmm};
use super::classify::ModelSet;
use super::files::content_lines;
use super::layout::ModelsDir;
use super::segmenter::pos_hmm::PosHmm;
use super::{AnalyzerConfig, IdfTable, LoadError, StopWords, read_text, sha256_hex, user_dict};

/// What kind of file an analyzer read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A user dictionary (`word [freq] [tag]` lines).
    UserDict,
    /// An IDF table (`word idf` lines).
    Idf,
    /// A stop-word list (a word a line).
    StopWords,
}

/// A dictionary, IDF or stop-word file as it was when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// What the file is.
    pub kind: SourceKind,
    /// Where it was read from.
    pub path: PathBuf,
    /// The SHA-256 of its bytes, in hex.
    pub content_hash: String,
    /// How many entries (lines that are not blank) it holds.
    pub entries: usize,
}

/// Everything an analyzer is built from except the run-time word edits: the files' contents as
/// they were when read, so that a word edit rebuilds the segmenter without reading them again
/// (only a reload does).
#[derive(Debug)]
pub struct Sources {
    pub(crate) files: Vec<SourceFile>,
    pub(crate) user_dicts: Vec<Vec<user_dict::Entry>>,
    pub(crate) idf: Arc<IdfTable>,
    pub(crate) stop_words: StopWords,
    pub(crate) models: ModelSet,
    pub(crate) pos_hmm: Arc<PosHmm>,
    /// The accurate segmenter's model: `accurate.segmenter` in the models directory, or the
    /// built-in one.
    pub(crate) segmenter: LoadedSegmenter,
}

impl Sources {
    /// Reads the files `config` names (and its dictionary directory holds). A file that cannot
    /// be read or parsed is an error naming it (and the line at fault).
    pub fn load(config: &AnalyzerConfig) -> Result<Self, LoadError> {
        let config = &config.resolve()?;
        let mut files = Vec::new();
        let mut read = |kind, path: &PathBuf| -> Result<String, LoadError> {
            let text = read_text(path)?;
            files.push(SourceFile {
                kind,
                path: path.clone(),
                content_hash: sha256_hex(text.as_bytes()),
                entries: content_lines(&text).count(),
            });
            Ok(text)
        };
        let mut user_dicts = Vec::new();
        for path in &config.user_dicts {
            user_dicts.push(user_dict::parse(&read(SourceKind::UserDict, path)?, path)?);
        }
        let idf = match &config.idf {
            Some(path) => Arc::new(IdfTable::parse(read(SourceKind::Idf, path)?, path)?),
            None => builtin_idf(),
        };
        let stop_words = match &config.stop_words {
            Some(path) => StopWords::with_file_text(&read(SourceKind::StopWords, path)?),
            None => StopWords::builtin(),
        };
        let mut models = ModelSet::default();
        if let Some(bytes) = BUILTIN_MODEL {
            models
                .insert_embedded(BUILTIN_MODEL_NAME, "built-in", bytes)
                .map_err(|e| LoadError::Model {
                    path: PathBuf::from("<built-in sentiment.model>"),
                    reason: e.to_string(),
                })?;
        }
        if let Some(dir) = &config.models_dir {
            models.load_dir(dir)?;
        }
        let segmenter = match config
            .models_dir
            .as_deref()
            .map(|dir| ModelsDir(dir).segmenter())
            .filter(|path| path.exists())
        {
            Some(path) => LoadedSegmenter::from_file(&path)?,
            None => LoadedSegmenter::builtin()?,
        };
        let default = config
            .default_model
            .as_deref()
            .unwrap_or(BUILTIN_MODEL_NAME);
        if let Err(reason) = models.set_default(default) {
            // Without models (a build without the built-in one) classification is simply
            // unavailable; naming a default that is not there is a configuration error.
            if config.default_model.is_some() {
                return Err(LoadError::Config(reason));
            }
        }
        Ok(Self {
            files,
            user_dicts,
            idf,
            stop_words,
            models,
            pos_hmm: builtin_pos_hmm(),
            segmenter,
        })
    }
}
