//! Reading and writing the files an analyzer is built from and keeps: whole UTF-8 texts, their
//! content lines, and durable atomic replacement.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::LoadError;

/// Reads a whole file as UTF-8 text, naming the file in any error.
pub fn read_text(path: &std::path::Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The non-empty lines of a text file with their 1-based numbers, trimmed, with a leading byte
/// order mark removed.
pub(crate) fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
}

/// Replaces the file at `path` with `bytes` durably and atomically: a temporary file with a
/// unique name in the same directory, fsync, rename over `path`, fsync of the directory. A crash
/// leaves either the old file or the new one, and two writers never share a temporary file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // The rename itself is durable only once the directory is.
    std::fs::File::open(dir)?.sync_all()
}

/// The files of `dir` (following symbolic links, as a Kubernetes ConfigMap volume has them)
/// whose name ends in `.extension`, sorted by name.
pub(crate) fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    paths.retain(|p| p.extension().is_some_and(|e| e == extension) && p.is_file());
    paths.sort();
    Ok(paths)
}
