//! [`AnalyzerConfig`]: the files an operator names, which an analyzer is built from (with
//! the built-in data), and which of them a dictionary directory holds now.

use std::path::PathBuf;

use super::LoadError;
use super::layout::DictionaryDir;

/// Files that extend or replace the built-in data.
#[derive(Debug, Clone, Default)]
pub struct AnalyzerConfig {
    /// A directory holding the files below by their conventional names (`*.dict`, `idf.txt`,
    /// `stop-words.txt`, `models/`), read in addition to the ones named one by one; what it
    /// holds is listed again on every reload, so files can be added and removed.
    pub dictionary_dir: Option<PathBuf>,
    /// User dictionaries in jieba's `word [freq] [tag]` format, applied in order.
    pub user_dicts: Vec<PathBuf>,
    /// An IDF table in jieba's `word idf` format, replacing the built-in one (as Python
    /// jieba's `set_idf_path`).
    pub idf: Option<PathBuf>,
    /// Stop words, one a line, added to the built-in ones (as Python jieba's
    /// `set_stop_words`).
    pub stop_words: Option<PathBuf>,
    /// A directory of `*.model` files, each one model named by its file stem; a file named
    /// `sentiment.model` replaces the built-in model.
    pub models_dir: Option<PathBuf>,
    /// The model used when a request names none; `sentiment` when not set.
    pub default_model: Option<String>,
    /// A named profile's directory (see [`crate::core::Profiles`]): when set, the user
    /// dictionaries, IDF table and stop words are this directory's alone (`*.dict`, `idf.txt`,
    /// `stop-words.txt`), not the ones named above nor the dictionary directory's; the models
    /// are still the configuration's.
    pub profile_dir: Option<PathBuf>,
}

impl AnalyzerConfig {
    /// The files to read now: the ones named one by one, then what the dictionary directory
    /// holds (its user dictionaries after the named ones; its IDF table, stop words and models
    /// where none is named); for a profile, its directory's files instead of both.
    pub fn resolve(&self) -> Result<AnalyzerConfig, LoadError> {
        let mut resolved = AnalyzerConfig {
            dictionary_dir: None,
            profile_dir: None,
            ..self.clone()
        };
        if let Some(dir) = &self.dictionary_dir {
            let dir = DictionaryDir(dir);
            resolved.user_dicts.extend(dir.user_dicts()?);
            resolved.idf = resolved.idf.or_else(|| dir.idf());
            resolved.stop_words = resolved.stop_words.or_else(|| dir.stop_words());
            resolved.models_dir = resolved.models_dir.or_else(|| dir.models());
        }
        if let Some(dir) = &self.profile_dir {
            let dir = DictionaryDir(dir);
            resolved.user_dicts = dir.user_dicts()?;
            resolved.idf = dir.idf();
            resolved.stop_words = dir.stop_words();
        }
        Ok(resolved)
    }

    /// The configuration of the profile whose files are in `dir`: this one's models, and
    /// `dir`'s dictionaries, IDF table and stop words.
    pub fn for_profile(&self, dir: PathBuf) -> AnalyzerConfig {
        AnalyzerConfig {
            profile_dir: Some(dir),
            ..self.clone()
        }
    }
}
