//! What an analyzer is built from: the built-in data (jieba's dictionary, the default model),
//! the files an operator names ([`AnalyzerConfig`]), and what they held when read ([`Sources`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;

use super::accurate::{LoadedSegmenter, SEGMENTER_EXTENSION, SEGMENTER_NAME};
use super::classify::ModelSet;
use super::files::content_lines;
use super::segmenter::posseg::PosHmm;
use super::word_edits::WordEdits;
use super::{IdfTable, LoadError, StopWords, read_text, sha256_hex, user_dict};

/// The name of the model built into the binary, trained from `data/sentiment/train.tsv`.
pub const BUILTIN_MODEL_NAME: &str = "sentiment";

/// Bytes aligned for reading `f32`s in place (the built-in model's weights).
#[cfg(builtin_model)]
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);

#[cfg(builtin_model)]
static BUILTIN_MODEL_BYTES: &Aligned<[u8]> =
    &Aligned(*include_bytes!("../../models/sentiment.model"));
#[cfg(builtin_model)]
pub(crate) const BUILTIN_MODEL: Option<&'static [u8]> = Some(&BUILTIN_MODEL_BYTES.0);
#[cfg(not(builtin_model))]
pub(crate) const BUILTIN_MODEL: Option<&'static [u8]> = None;

/// jieba's dictionary (see `data/jieba/README.md`), embedded in the binary.
pub(crate) const BUILTIN_DICT: &str = include_str!("../../data/jieba/dict.txt");

/// Names the built-in dictionary in [`DictionaryIdentity`].
pub const BUILTIN_DICT_NAME: &str = "jieba dict.txt (as in jieba-rs 0.11.0)";

/// The SHA-256 of the built-in dictionary, in hex (a unit test keeps it true).
pub const BUILTIN_DICT_SHA256: &str =
    "139519822fe8ab9e10d9d07e68ea0451045380aedaf54ecc51e2a28c6b42a13f";

/// The most characters in a word of the built-in dictionary (a unit test keeps it true):
/// counting them at start-up read all 349,046 lines, a tenth of start-up's instructions.
pub(crate) const BUILTIN_LONGEST_WORD: usize = 16;

/// A jieba-rs segmenter with the built-in dictionary and nothing else, as every analyzer's
/// starts out (also what the benchmarks compare the server with).
pub fn builtin_jieba() -> Jieba {
    jieba_with_dict(BUILTIN_DICT)
}

pub(crate) fn jieba_with_dict(dict: &str) -> Jieba {
    let mut jieba = Jieba::empty();
    // The built-in dictionary is well-formed (a unit test loads it), and so is any selection of
    // its lines, so loading cannot fail.
    let _ = jieba.load_dict(&mut Lines { text: dict, at: 0 });
    jieba
}

/// A text read line by line, as jieba-rs's `load_dict` reads a dictionary: each line is found
/// with `memchr` and copied as it is, since it is already UTF-8. Through `&[u8]`'s reader,
/// `read_line` checked every line's UTF-8 again and searched it byte by byte: 130 M
/// instructions of start-up's 1,130 M (callgrind), against 40 M this way.
struct Lines<'a> {
    text: &'a str,
    /// How many bytes have been read.
    at: usize,
}

impl std::io::Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.text.as_bytes()[self.at..];
        let n = buf.len().min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl std::io::BufRead for Lines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.text.as_bytes()[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.text.len());
    }

    fn read_line(&mut self, buf: &mut String) -> std::io::Result<usize> {
        // Only reading bytes (above) can stop inside a character.
        let rest = self.text.get(self.at..).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "inside a character")
        })?;
        let end = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |at| at + 1);
        buf.push_str(&rest[..end]);
        self.at += end;
        Ok(end)
    }
}

/// In a dictionary directory, user dictionaries are the files with this extension, applied in
/// the order of their names.
pub const USER_DICT_EXTENSION: &str = "dict";
/// In a dictionary directory, the IDF table's file name.
pub const IDF_FILE_NAME: &str = "idf.txt";
/// In a dictionary directory, the stop-word list's file name.
pub const STOP_WORDS_FILE_NAME: &str = "stop-words.txt";
/// In a dictionary directory, the subdirectory of models.
pub const MODELS_DIR_NAME: &str = "models";
/// In a dictionary directory, the subdirectory holding one directory per named profile.
pub const PROFILES_DIR_NAME: &str = "profiles";

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

/// What kind of file an analyzer read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A user dictionary (`--user-dict`).
    UserDict,
    /// An IDF table (`--idf`).
    Idf,
    /// A stop-word list (`--stop-words`).
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

/// The built-in IDF table, parsed once and shared by every analyzer of the process (every
/// profile, every reload): about 10 MB that need not be held twice.
fn builtin_idf() -> Arc<IdfTable> {
    static TABLE: LazyLock<Arc<IdfTable>> = LazyLock::new(|| Arc::new(IdfTable::builtin()));
    Arc::clone(&TABLE)
}

/// The part-of-speech HMM, parsed once and shared as the IDF table is.
fn builtin_pos_hmm() -> Arc<PosHmm> {
    static HMM: LazyLock<Arc<PosHmm>> = LazyLock::new(|| Arc::new(PosHmm::builtin()));
    Arc::clone(&HMM)
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
            resolved
                .user_dicts
                .extend(files_with_extension(dir, USER_DICT_EXTENSION)?);
            resolved.idf = resolved.idf.or_else(|| present(dir, IDF_FILE_NAME));
            resolved.stop_words = resolved
                .stop_words
                .or_else(|| present(dir, STOP_WORDS_FILE_NAME));
            resolved.models_dir = resolved
                .models_dir
                .or_else(|| present(dir, MODELS_DIR_NAME));
        }
        if let Some(dir) = &self.profile_dir {
            resolved.user_dicts = files_with_extension(dir, USER_DICT_EXTENSION)?;
            resolved.idf = present(dir, IDF_FILE_NAME);
            resolved.stop_words = present(dir, STOP_WORDS_FILE_NAME);
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

/// `dir/name`, if there is such a file or directory.
fn present(dir: &Path, name: &str) -> Option<PathBuf> {
    Some(dir.join(name)).filter(|p| p.exists())
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
                .insert_embedded(BUILTIN_MODEL_NAME, "<built-in>", bytes)
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
            .and_then(|dir| present(dir, &format!("{SEGMENTER_NAME}.{SEGMENTER_EXTENSION}")))
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

/// Which dictionary an analyzer serves: shown by `ListModels` and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryIdentity {
    /// Counts the analyzers swapped in since start-up (the first is 1).
    pub generation: u64,
    /// The files read, in the order applied.
    pub files: Vec<SourceFile>,
    /// Words added at run time.
    pub added_words: usize,
    /// Words removed at run time.
    pub removed_words: usize,
    /// A digest of everything that decides the answers (see [`content_version`]).
    pub content_version: String,
}

/// The content version of an analyzer built from `sources` and `edits`: the first 16 hex digits
/// of a SHA-256 over the built-in dictionary's hash, each file's kind and content hash in the
/// order applied, each model's name and content hash, the default model, the segmentation
/// model's content hash, and the word edits in
/// their canonical (sorted) form. Paths, times and the order in which edits arrived do not
/// enter it, so replicas that serve the same data report the same version.
pub(crate) fn content_version(sources: &Sources, edits: &WordEdits) -> String {
    use std::fmt::Write as _;
    let mut text = format!("textanalysis content 1\nbuiltin\t{BUILTIN_DICT_SHA256}\n");
    for file in &sources.files {
        let _ = writeln!(text, "{:?}\t{}", file.kind, file.content_hash);
    }
    for model in sources.models.iter() {
        let _ = writeln!(text, "model\t{}\t{}", model.name, model.content_hash);
    }
    let _ = writeln!(
        text,
        "default model\t{}",
        sources.models.default_name().unwrap_or("")
    );
    let _ = writeln!(text, "segmenter\t{}", sources.segmenter.content_hash());
    text.push_str(&edits.encode());
    let mut digest = sha256_hex(text.as_bytes());
    digest.truncate(16);
    digest
}
