//! Words added to or removed from the dictionary while serving, their validation, and the
//! state file that makes them survive restarts.
//!
//! The state file is text, one edit a line with its fields separated by tabs (shown here as
//! spaces), closed by the SHA-256 of everything before it:
//!
//! ```text
//! textanalysis word edits 1
//! add     云计算  5  n
//! add     区块链  -  -
//! remove  中出
//! sha256  <64 hex digits>
//! ```
//!
//! It is replaced atomically ([`write_atomically`]: a temporary file in the same directory,
//! fsync, rename, fsync of the directory), so a crash leaves either the old file or the new one; a file that is torn or
//! altered anyway fails its checksum and is refused as a whole, never half applied.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use super::files::write_atomically;
use super::fingerprint::FileStamp;
use super::segmenter::posseg::{POS_TAG_RULE, is_pos_tag};
use super::sha256_hex;

/// The longest word accepted, in characters (jieba's dictionary's longest is 16).
pub const MAX_WORD_CHARS: usize = 64;
/// The highest frequency accepted (jieba's dictionary's highest, `的`, is 318,825).
pub const MAX_WORD_FREQ: u64 = 100_000_000;
/// The most words one edit call may carry.
pub const MAX_EDIT_WORDS: usize = 1000;

const HEADER: &str = "textanalysis word edits 1";
const FILE_NAME: &str = "word-edits.state";
const LOCK_FILE_NAME: &str = "word-edits.lock";

/// A word to add, with jieba's optional frequency and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordEntry {
    /// The word.
    pub word: String,
    /// Its frequency; `None` lets the segmenter pick one that keeps the word whole.
    pub freq: Option<u64>,
    /// Its part-of-speech tag; `None` leaves it untagged (tagging then guesses, as jieba does).
    pub tag: Option<String>,
}

/// What is wrong with one entry of an edit: its index in the call and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordViolation {
    /// The entry's index in the call (0-based); `None` for the call as a whole.
    pub index: Option<usize>,
    /// Which part of the entry is wrong: `word`, `freq` or `tag` (empty for the whole call).
    pub part: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// Checks a word as [`validate_entries`] does, returning why it is unacceptable.
fn word_problem(word: &str) -> Option<String> {
    let chars = word.chars().count();
    if word.is_empty() {
        Some("is empty".into())
    } else if chars > MAX_WORD_CHARS {
        Some(format!(
            "has {chars} characters; at most {MAX_WORD_CHARS} are accepted"
        ))
    } else {
        word.chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '\u{feff}')
            .map(|c| {
                format!(
                    "holds whitespace or a control character (U+{:04X}); a word is one unbroken \
                     run of characters",
                    u32::from(c)
                )
            })
    }
}

/// An empty call, or one over [`MAX_EDIT_WORDS`], as a violation of the whole call.
fn check_count(count: usize) -> Result<(), Vec<WordViolation>> {
    let reason = if count == 0 {
        "is empty; name at least one word".to_owned()
    } else if count > MAX_EDIT_WORDS {
        format!("has {count} words; at most {MAX_EDIT_WORDS} are accepted a call")
    } else {
        return Ok(());
    };
    Err(vec![WordViolation {
        index: None,
        part: "",
        reason,
    }])
}

fn none_or(violations: Vec<WordViolation>) -> Result<(), Vec<WordViolation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Checks words to add; every violation is reported, and nothing of a batch with one is applied.
pub fn validate_entries(entries: &[WordEntry]) -> Result<(), Vec<WordViolation>> {
    check_count(entries.len())?;
    let mut violations = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let mut violation = |part, reason| {
            violations.push(WordViolation {
                index: Some(index),
                part,
                reason,
            });
        };
        if let Some(reason) = word_problem(&entry.word) {
            violation("word", reason);
        }
        match entry.freq {
            Some(0) => violation(
                "freq",
                "is 0; leave it unset to let the segmenter choose, or remove the word with \
                 RemoveWords"
                    .into(),
            ),
            Some(f) if f > MAX_WORD_FREQ => violation(
                "freq",
                format!("is {f}; at most {MAX_WORD_FREQ} is accepted"),
            ),
            _ => {}
        }
        if let Some(tag) = &entry.tag
            && !is_pos_tag(tag)
        {
            violation("tag", format!("`{}`: {POS_TAG_RULE}", tag.escape_debug()));
        }
    }
    none_or(violations)
}

/// Checks words to remove, as [`validate_entries`] checks words to add.
pub fn validate_words(words: &[String]) -> Result<(), Vec<WordViolation>> {
    check_count(words.len())?;
    let violations: Vec<WordViolation> = words
        .iter()
        .enumerate()
        .filter_map(|(index, word)| {
            word_problem(word).map(|reason| WordViolation {
                index: Some(index),
                part: "word",
                reason,
            })
        })
        .collect();
    none_or(violations)
}

/// The words added and removed at run time. A word is in at most one of the two sets: adding
/// a removed word takes it out of the removed set, and removing an added word forgets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordEdits {
    added: BTreeMap<String, (Option<u64>, Option<String>)>,
    removed: BTreeSet<String>,
}

impl WordEdits {
    /// Adds (or re-adds, with new frequency and tag) each word.
    pub fn add(&mut self, entries: impl IntoIterator<Item = WordEntry>) {
        for WordEntry { word, freq, tag } in entries {
            self.removed.remove(&word);
            self.added.insert(word, (freq, tag));
        }
    }

    /// Removes each word, whether it came from a dictionary or was added at run time.
    pub fn remove(&mut self, words: impl IntoIterator<Item = String>) {
        for word in words {
            self.added.remove(&word);
            self.removed.insert(word);
        }
    }

    /// The words added, in a fixed (sorted) order.
    pub fn added(&self) -> impl Iterator<Item = WordEntry> + '_ {
        self.added.iter().map(|(word, (freq, tag))| WordEntry {
            word: word.clone(),
            freq: *freq,
            tag: tag.clone(),
        })
    }

    /// The words removed, sorted.
    pub fn removed(&self) -> impl Iterator<Item = &str> + '_ {
        self.removed.iter().map(String::as_str)
    }

    /// Whether `word` was removed.
    pub fn is_removed(&self, word: &str) -> bool {
        self.removed.contains(word)
    }

    /// How many words were added.
    pub fn added_count(&self) -> usize {
        self.added.len()
    }

    /// How many words were removed.
    pub fn removed_count(&self) -> usize {
        self.removed.len()
    }

    /// The state file's text, which is also the edits' canonical form (sorted; the same edits
    /// give the same text however they came about).
    pub(crate) fn encode(&self) -> String {
        let mut body = format!("{HEADER}\n");
        for (word, (freq, tag)) in &self.added {
            let freq = freq.map_or_else(|| "-".to_owned(), |f| f.to_string());
            let _ = writeln!(
                body,
                "add\t{word}\t{freq}\t{}",
                tag.as_deref().unwrap_or("-")
            );
        }
        for word in &self.removed {
            let _ = writeln!(body, "remove\t{word}");
        }
        let sum = sha256_hex(body.as_bytes());
        let _ = writeln!(body, "sha256\t{sum}");
        body
    }

    /// Parses a state file's text, checksum first: nothing of a damaged file is used.
    fn decode(text: &str) -> Result<Self, String> {
        const TRUNCATED: &str = "no checksum line (the file is truncated)";
        let content = text.strip_suffix('\n').ok_or(TRUNCATED)?;
        let body_end = content.rfind('\n').map(|i| i + 1).ok_or(TRUNCATED)?;
        let (body, last) = content.split_at(body_end);
        let expected = last.strip_prefix("sha256\t").ok_or(TRUNCATED)?;
        if sha256_hex(body.as_bytes()) != expected {
            return Err("checksum mismatch (the file is torn or was altered)".into());
        }
        let mut lines = body.lines().enumerate();
        match lines.next() {
            Some((_, HEADER)) => {}
            _ => return Err(format!("the first line is not `{HEADER}`")),
        }
        let mut edits = Self::default();
        for (i, line) in lines {
            let bad = |what: &str| format!("line {}: {what}", i + 1);
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["add", word, freq, tag] => {
                    let freq = match *freq {
                        "-" => None,
                        f => Some(f.parse().map_err(|_| bad("bad frequency"))?),
                    };
                    let tag = (*tag != "-").then(|| (*tag).to_owned());
                    let entry = WordEntry {
                        word: (*word).to_owned(),
                        freq,
                        tag,
                    };
                    validate_entries(std::slice::from_ref(&entry))
                        .map_err(|_| bad("not an acceptable word"))?;
                    edits.add([entry]);
                }
                ["remove", word] => {
                    let word = (*word).to_owned();
                    validate_words(std::slice::from_ref(&word))
                        .map_err(|_| bad("not an acceptable word"))?;
                    edits.remove([word]);
                }
                _ => return Err(bad("not an `add` or `remove` line")),
            }
        }
        Ok(edits)
    }
}

/// Why the state directory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The state file is damaged; none of it was applied.
    #[error(
        "{path}: {reason}; none of it was applied. Restore it from a backup, or move it aside to \
         start without the runtime word edits"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The directory where run-time word edits are kept, so that they survive restarts.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// The state directory `dir`, created if missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StateError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| StateError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    /// The state file's path.
    pub fn file(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The edits saved last, or none when nothing was saved yet.
    pub fn load(&self) -> Result<WordEdits, StateError> {
        let path = self.file();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(WordEdits::default()),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        let corrupt = |reason: String| StateError::Corrupt {
            path: path.clone(),
            reason,
        };
        let text = String::from_utf8(bytes).map_err(|_| corrupt("not UTF-8 text".into()))?;
        WordEdits::decode(&text).map_err(corrupt)
    }

    /// Applies `edit` to the edits saved now and saves the result, holding an exclusive lock
    /// (`flock` on `word-edits.lock` beside the state file) throughout: servers sharing the
    /// directory edit one after the other, each starting from what the one before saved, so no
    /// edit is lost. Returns the edits saved and the state file as saved (stamped under the
    /// lock, so that no other server's write can be mistaken for this one). Blocks while
    /// another server holds the lock (for the milliseconds of one read and one write).
    pub(crate) fn update(
        &self,
        edit: impl FnOnce(&mut WordEdits),
    ) -> Result<(WordEdits, Option<FileStamp>), StateError> {
        let path = self.dir.join(LOCK_FILE_NAME);
        let io = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        lock.lock().map_err(io)?;
        let mut edits = self.load()?;
        edit(&mut edits);
        self.save(&edits)?;
        let stamp = FileStamp::with_content(&self.file());
        // Closing the file releases the lock.
        drop(lock);
        Ok((edits, stamp))
    }

    /// Replaces the saved edits with `edits`, durably: when this returns `Ok`, a crash or power
    /// cut leaves the new file in place.
    pub fn save(&self, edits: &WordEdits) -> Result<(), StateError> {
        let path = self.file();
        write_atomically(&path, edits.encode().as_bytes())
            .map_err(|source| StateError::Io { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(word: &str, freq: Option<u64>, tag: Option<&str>) -> WordEntry {
        WordEntry {
            word: word.into(),
            freq,
            tag: tag.map(Into::into),
        }
    }

    #[test]
    fn edits_round_trip_through_the_state_file() {
        let mut edits = WordEdits::default();
        edits.add([
            entry("云计算", Some(5), Some("n")),
            entry("区块链", None, None),
        ]);
        edits.remove(["中出".to_owned(), "区块链".to_owned()]);
        assert_eq!(edits.added_count(), 1);
        assert_eq!(edits.removed_count(), 2);
        let text = edits.encode();
        assert!(text.starts_with("textanalysis word edits 1\nadd\t云计算\t5\tn\n"));
        assert_eq!(WordEdits::decode(&text), Ok(edits));
    }

    #[test]
    fn damaged_files_are_refused_whole() {
        let mut edits = WordEdits::default();
        edits.add([entry("云计算", Some(5), None)]);
        let text = edits.encode();
        // Torn at every length, and altered in one byte: never accepted.
        for cut in 0..text.len() {
            if text.is_char_boundary(cut) {
                assert!(WordEdits::decode(&text[..cut]).is_err(), "cut at {cut}");
            }
        }
        let altered = text.replace("\t5\t", "\t6\t");
        let err = WordEdits::decode(&altered).unwrap_err();
        assert!(err.contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn save_replaces_the_file_and_load_reads_it() {
        let dir = std::env::temp_dir().join(format!("ta-state-{}", std::process::id()));
        let state = StateDir::open(&dir).unwrap();
        assert_eq!(state.load().unwrap(), WordEdits::default());
        let mut edits = WordEdits::default();
        edits.add([entry("云计算", None, Some("nz"))]);
        state.save(&edits).unwrap();
        edits.remove(["的".to_owned()]);
        state.save(&edits).unwrap();
        assert_eq!(state.load().unwrap(), edits);
        std::fs::write(state.file(), "textanalysis word edits 1\nadd\t坏").unwrap();
        assert!(matches!(state.load(), Err(StateError::Corrupt { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_bad_entry_is_named() {
        let err = validate_entries(&[
            entry("好词", Some(3), Some("n")),
            entry("", None, None),
            entry("两 个", None, None),
            entry("控\u{7}制", None, None),
            entry(&"长".repeat(65), None, None),
            entry("频率", Some(0), None),
            entry("频率", Some(MAX_WORD_FREQ + 1), None),
            entry("标签", None, Some("n n")),
        ])
        .unwrap_err();
        let got: Vec<_> = err.iter().map(|v| (v.index, v.part)).collect();
        assert_eq!(
            got,
            [
                (Some(1), "word"),
                (Some(2), "word"),
                (Some(3), "word"),
                (Some(4), "word"),
                (Some(5), "freq"),
                (Some(6), "freq"),
                (Some(7), "tag"),
            ]
        );
        assert!(validate_entries(&[]).is_err());
        let many = vec![entry("词", None, None); MAX_EDIT_WORDS + 1];
        assert_eq!(validate_entries(&many).unwrap_err()[0].index, None);
        assert!(validate_words(&["好".into(), "\t".into()]).is_err());
        assert!(validate_words(&["好".into()]).is_ok());
    }
}
