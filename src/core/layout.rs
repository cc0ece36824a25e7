//! Where a dictionary directory keeps each kind of file, in one place: the loading
//! ([`AnalyzerConfig::resolve`](super::AnalyzerConfig::resolve)), the watching
//! (`fingerprint`), the profiles and the word edits all ask [`DictionaryDir`] and
//! [`ModelsDir`].
//!
//! ```text
//! DIR/*.dict                  user dictionaries, applied in the order of their names
//! DIR/idf.txt                 the IDF table (replaces the built-in one)
//! DIR/stop-words.txt          stop words (added to the built-in ones)
//! DIR/models/*.model          classification models, each named by its file stem
//! DIR/models/accurate.segmenter  the accurate segmenter's model (replaces the built-in one)
//! DIR/profiles/NAME/          a named profile: its own *.dict, idf.txt, stop-words.txt
//! DIR/word-edits.state        the default profile's word edits (with no state directory)
//! STATE/word-edits.state      the default profile's word edits (with a state directory)
//! STATE/profiles/NAME/word-edits.state   a named profile's (in its own directory without one)
//! ```
//!
//! The default profile's word edits stay at the top of the state directory, where every
//! deployment before profiles kept them, so that existing state directories read unchanged.

use std::path::{Path, PathBuf};

use super::LoadError;
use super::files::files_with_extension;

/// In a dictionary directory, user dictionaries are the files with this extension, applied in
/// the order of their names.
pub const USER_DICT_EXTENSION: &str = "dict";
/// In a dictionary directory, the IDF table's file name.
pub const IDF_FILE_NAME: &str = "idf.txt";
/// In a dictionary directory, the stop-word list's file name.
pub const STOP_WORDS_FILE_NAME: &str = "stop-words.txt";
/// In a dictionary directory, the subdirectory of models.
pub const MODELS_DIR_NAME: &str = "models";
/// In a models directory, classification models have this extension.
pub const MODEL_EXTENSION: &str = "model";
/// In a models directory, the accurate segmenter's model.
pub const SEGMENTER_FILE_NAME: &str = "accurate.segmenter";
/// In a dictionary directory, the subdirectory holding one directory per named profile.
pub const PROFILES_DIR_NAME: &str = "profiles";

/// A dictionary directory (or a named profile's directory, which holds the same files but
/// models and profiles).
#[derive(Debug, Clone, Copy)]
pub struct DictionaryDir<'a>(pub &'a Path);

impl DictionaryDir<'_> {
    /// Its user dictionaries, in the order applied (by name).
    pub fn user_dicts(&self) -> Result<Vec<PathBuf>, LoadError> {
        files_with_extension(self.0, USER_DICT_EXTENSION)
    }

    /// Its IDF table, if there is one.
    pub fn idf(&self) -> Option<PathBuf> {
        present(self.0, IDF_FILE_NAME)
    }

    /// Its stop words, if there are.
    pub fn stop_words(&self) -> Option<PathBuf> {
        present(self.0, STOP_WORDS_FILE_NAME)
    }

    /// Its models directory, if there is one.
    pub fn models(&self) -> Option<PathBuf> {
        present(self.0, MODELS_DIR_NAME)
    }

    /// The directory of its named profiles (which may not exist).
    pub fn profiles(&self) -> PathBuf {
        self.0.join(PROFILES_DIR_NAME)
    }
}

/// A models directory.
#[derive(Debug, Clone, Copy)]
pub struct ModelsDir<'a>(pub &'a Path);

impl ModelsDir<'_> {
    /// Its classification models, by name.
    pub fn classifiers(&self) -> Result<Vec<PathBuf>, LoadError> {
        files_with_extension(self.0, MODEL_EXTENSION)
    }

    /// Where its segmentation model is (or would be).
    pub fn segmenter(&self) -> PathBuf {
        self.0.join(SEGMENTER_FILE_NAME)
    }
}

/// Where a profile keeps its word edits: the profile called `name` (`None`: the default one)
/// of a server whose state directory is `state` (if any) and whose default dictionary
/// directory, or the named profile's own directory, is `own`.
pub fn edits_dir(state: Option<&Path>, name: Option<&str>, own: Option<&Path>) -> Option<PathBuf> {
    match (state, name) {
        (Some(state), None) => Some(state.to_path_buf()),
        (Some(state), Some(name)) => Some(state.join(PROFILES_DIR_NAME).join(name)),
        (None, _) => own.map(Path::to_path_buf),
    }
}

/// `dir/name`, if there is such a file or directory.
fn present(dir: &Path, name: &str) -> Option<PathBuf> {
    Some(dir.join(name)).filter(|p| p.exists())
}
