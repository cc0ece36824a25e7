//! Errors of building an [`Analyzer`](super::Analyzer) from files.

use std::path::PathBuf;

/// A dictionary, IDF or stop-word file that could not be loaded. The message names the file and,
/// where one is at fault, the line, so an operator can fix it from the log line alone.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path}: not valid UTF-8 text (byte {offset})")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A model file is damaged, truncated, or from a newer version.
    #[error("{path}: {reason}")]
    Model {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The settings do not fit together.
    #[error("{0}")]
    Config(String),
    /// A line does not have the expected format.
    #[error("{path}:{line}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
}

/// Why a model file (a classification or a segmentation model) cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Not a model file.
    #[error("not a textanalysis model file (bad magic bytes)")]
    BadMagic,
    /// Written by a newer build.
    #[error("model format version {found} is newer than this build reads (up to {supported})")]
    FutureVersion {
        /// The version in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// Shorter or longer than its header says.
    #[error("file is truncated or has trailing bytes: {0}")]
    Length(String),
    /// The checksum does not match the content.
    #[error("checksum mismatch: the file is corrupt")]
    Checksum,
    /// The header is not valid.
    #[error("invalid header: {0}")]
    Header(String),
}
