//! How a server notices that the files it reads changed on disk, whoever changed them: a
//! fingerprint of every file (size, modification time, inode) and of the directories' listings.
//!
//! Stat calls rather than content hashes: a poll every quarter second then costs a few system
//! calls however large the files are. Files are replaced by rename (`mv`, a Kubernetes
//! ConfigMap's symbolic link swap), which changes the inode even when size and time do not.
//! The one file that servers rewrite often, the word edits, is small and hashed as well.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::AnalyzerConfig;
use super::layout::ModelsDir;

/// One file as `stat` sees it (following symbolic links), and for the word-edits file its
/// content's hash too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
    content: Option<String>,
}

impl FileStamp {
    /// As [`FileStamp::of`], with the hash of the file's bytes: for the word-edits file, which
    /// other servers rewrite within milliseconds of each other (the file system's clock may not
    /// tell two such writes apart, and a freed inode number is soon used again).
    pub(crate) fn with_content(path: &Path) -> Option<Self> {
        let stamp = Self::of(path)?;
        let bytes = std::fs::read(path).ok()?;
        Some(Self {
            content: Some(super::sha256_hex(&bytes)),
            ..stamp
        })
    }

    /// The file at `path` now, or `None` when there is none (or it cannot be read).
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
            content: None,
        })
    }
}

/// Every file a configuration reads (and the state file), by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fingerprint(BTreeMap<PathBuf, Option<FileStamp>>);

impl Fingerprint {
    /// The files `config` reads now, its dictionary directory and models directory listed
    /// again, and the state file.
    pub(crate) fn of(config: &AnalyzerConfig, state_file: Option<&Path>) -> Self {
        let mut files = BTreeMap::new();
        let mut add = |path: &Path| {
            files.insert(path.to_path_buf(), FileStamp::of(path));
        };
        match config.resolve() {
            Ok(resolved) => {
                resolved.user_dicts.iter().for_each(|p| add(p));
                resolved.idf.iter().for_each(|p| add(p));
                resolved.stop_words.iter().for_each(|p| add(p));
                if let Some(dir) = &resolved.models_dir {
                    let models = ModelsDir(dir);
                    match models.classifiers() {
                        Ok(models) => models.iter().for_each(|p| add(p)),
                        Err(_) => add(dir),
                    }
                    // Stamped whether or not it is there, so that its arrival is a change.
                    add(&models.segmenter());
                }
            }
            // An unreadable dictionary directory is a state of its own (its stamp is `None`),
            // so that it becoming readable again is a change.
            Err(_) => config
                .dictionary_dir
                .iter()
                .chain(&config.profile_dir)
                .for_each(|d| add(d)),
        }
        if let Some(state) = state_file {
            files.insert(state.to_path_buf(), FileStamp::with_content(state));
        }
        Self(files)
    }

    /// Records the file at `path` as `stamp` (after this server wrote it).
    pub(crate) fn record(&mut self, path: &Path, stamp: Option<FileStamp>) {
        self.0.insert(path.to_path_buf(), stamp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_replaced_added_or_removed_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let config = AnalyzerConfig {
            dictionary_dir: Some(dir.path().to_path_buf()),
            ..AnalyzerConfig::default()
        };
        let state = dir.path().join("word-edits.state");
        let empty = Fingerprint::of(&config, Some(&state));
        assert_eq!(empty, Fingerprint::of(&config, Some(&state)));

        let dict = dir.path().join("a.dict");
        std::fs::write(&dict, "云计算 5\n").unwrap();
        let one = Fingerprint::of(&config, Some(&state));
        assert_ne!(one, empty);
        // Replaced by rename with the same size: a new inode.
        let next = dir.path().join("a.next");
        std::fs::write(&next, "区块链 5\n").unwrap();
        std::fs::rename(&next, &dict).unwrap();
        let replaced = Fingerprint::of(&config, Some(&state));
        assert_ne!(replaced, one);
        // Files of other names are not read, so they do not count.
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert_eq!(Fingerprint::of(&config, Some(&state)), replaced);

        let mut seen = replaced.clone();
        std::fs::write(&state, "edits").unwrap();
        assert_ne!(Fingerprint::of(&config, Some(&state)), seen);
        seen.record(&state, FileStamp::with_content(&state));
        assert_eq!(Fingerprint::of(&config, Some(&state)), seen);

        std::fs::remove_file(&dict).unwrap();
        assert_ne!(Fingerprint::of(&config, Some(&state)), seen);
    }
}
