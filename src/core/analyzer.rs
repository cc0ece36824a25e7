//! [`Analyzer`]: the dictionary, HMM, IDF table and stop words, built once and shared.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use jieba_rs::Jieba;

use super::classify::{
    self, Classification, ClassifyError, ClassifyOptions, Counts, Evaluation, Example, Model,
    ModelSet, NamedModel, Progress, TrainConfig,
};
use super::error::content_lines;
use super::keywords::{self, Keyword, KeywordMethod, KeywordOptions};
use super::posseg::{self, PosHmm};
use super::word_edits::WordEdits;
use super::{IdfTable, LoadError, StopWords, read_text, sha256_hex, user_dict};

/// How a text is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SegmentMode {
    /// The most likely segmentation; the tokens tile the text (`jieba.cut`).
    #[default]
    Precise,
    /// Every dictionary word anywhere in the text, overlapping (`jieba.cut(cut_all=True)`).
    Full,
    /// Precise mode plus the dictionary words inside longer words (`jieba.cut_for_search`).
    Search,
}

/// How to segment a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOptions {
    /// The segmentation mode.
    pub mode: SegmentMode,
    /// Whether the HMM joins characters missing from the dictionary into words (not in
    /// [`SegmentMode::Full`], which lists dictionary words only).
    pub hmm: bool,
    /// Whether to tag each token with its part of speech (only in [`SegmentMode::Precise`]).
    /// Tagged tokens are those of `jieba.posseg.cut`, which may cut words missing from the
    /// dictionary differently from untagged precise mode (`jieba.cut`), exactly as in Python.
    pub with_pos: bool,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        Self {
            mode: SegmentMode::Precise,
            hmm: true,
            with_pos: false,
        }
    }
}

/// When an analysis must give up: checked before it starts and between the pieces of a long
/// text (see [`PIECE_BYTES`]), so a caller that stopped waiting does not keep a worker busy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline: the analysis always finishes.
    pub const NONE: Self = Self(None);

    /// Give up once `instant` has passed.
    pub fn at(instant: Instant) -> Self {
        Self(Some(instant))
    }

    /// The instant, if there is a deadline.
    pub fn instant(&self) -> Option<Instant> {
        self.0
    }

    /// The sooner of two deadlines.
    pub fn earliest(self, other: Self) -> Self {
        match (self.0, other.0) {
            (Some(a), Some(b)) => Self(Some(a.min(b))),
            (a, b) => Self(a.or(b)),
        }
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        self.0.is_some_and(|d| Instant::now() >= d)
    }

    fn check(&self) -> Result<(), DeadlineExceeded> {
        if self.passed() {
            Err(DeadlineExceeded)
        } else {
            Ok(())
        }
    }
}

/// The deadline passed before the analysis finished; its partial work was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the deadline passed before the analysis finished")]
pub struct DeadlineExceeded;

/// Why an analysis that names a model or has a deadline failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisError {
    /// The model asked for is not loaded.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// The deadline passed.
    #[error(transparent)]
    DeadlineExceeded(#[from] DeadlineExceeded),
}

/// Long texts are segmented in pieces of about this many bytes, so that a deadline is checked
/// every few milliseconds of work at most. Pieces end just after a full-width sentence end
/// (`。！？；`), which every jieba mode yields as a token of its own, so the pieces' tokens are
/// exactly the whole text's (the parity tests hold on every seed, each several pieces long).
pub const PIECE_BYTES: usize = 16 * 1024;

/// Splits `text` into pieces of about [`PIECE_BYTES`] (see there); a text with no sentence end
/// after that many bytes stays in one piece up to the next one.
fn pieces(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut offset = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = if rest.len() <= PIECE_BYTES {
            rest.len()
        } else {
            let from = (PIECE_BYTES..rest.len())
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(rest.len());
            rest[from..]
                .char_indices()
                .find(|&(_, c)| matches!(c, '。' | '！' | '？' | '；'))
                .map_or(rest.len(), |(i, c)| from + i + c.len_utf8())
        };
        let (piece, tail) = rest.split_at(cut);
        let item = (offset, piece);
        offset += cut;
        rest = tail;
        Some(item)
    })
}

/// Cuts `text` piece by piece with `cut`, checking `deadline` before each piece, and hands each
/// piece's tokens to `visit`, their offsets shifted to the whole text's.
fn each_piece<'a, I: IntoIterator<Item = Token<'a>>>(
    text: &'a str,
    deadline: Deadline,
    cut: impl Fn(&'a str) -> I,
    mut visit: impl FnMut(Vec<Token<'a>>),
) -> Result<(), DeadlineExceeded> {
    // The empty text has no pieces; its deadline is checked all the same.
    if text.is_empty() {
        deadline.check()?;
    }
    let mut chars = 0;
    for (bytes, piece) in pieces(text) {
        deadline.check()?;
        visit(
            cut(piece)
                .into_iter()
                .map(|t| Token {
                    start: t.start + chars,
                    end: t.end + chars,
                    byte_start: t.byte_start + bytes,
                    byte_end: t.byte_end + bytes,
                    ..t
                })
                .collect(),
        );
        if bytes + piece.len() < text.len() {
            chars += piece.chars().count();
        }
    }
    Ok(())
}

/// Collects the tokens of the pieces [`each_piece`] hands over; the first is kept, not copied,
/// so a text of one piece costs no more than its tokens.
fn collect_into<'a>(all: &mut Vec<Token<'a>>, piece: Vec<Token<'a>>) {
    if all.is_empty() {
        *all = piece;
    } else {
        all.extend(piece);
    }
}

/// [`each_piece`], collecting the tokens.
fn by_pieces<'a, I: IntoIterator<Item = Token<'a>>>(
    text: &'a str,
    deadline: Deadline,
    cut: impl Fn(&'a str) -> I,
) -> Result<Vec<Token<'a>>, DeadlineExceeded> {
    let mut tokens = Vec::new();
    each_piece(text, deadline, cut, |piece| {
        collect_into(&mut tokens, piece)
    })?;
    Ok(tokens)
}

/// One word of a text, borrowed from it, with its offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word, a slice of the text.
    pub word: &'a str,
    /// Start offset in Unicode code points.
    pub start: usize,
    /// End offset (exclusive) in Unicode code points.
    pub end: usize,
    /// Start offset in UTF-8 bytes.
    pub byte_start: usize,
    /// End offset (exclusive) in UTF-8 bytes.
    pub byte_end: usize,
    /// The part-of-speech tag, when asked for.
    pub pos: Option<&'a str>,
}

/// Which analyses to run on one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyzeOptions {
    /// Segment with these options and return the tokens.
    pub segment: Option<SegmentOptions>,
    /// Extract keywords with these options.
    pub keywords: Option<KeywordOptions>,
    /// Classify with these options.
    pub classify: Option<ClassifyOptions>,
}

/// The results of [`Analyzer::analyze`]; a part is `None` when it was not asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis<'a> {
    /// The tokens, when segmentation was asked for.
    pub tokens: Option<Vec<Token<'a>>>,
    /// The keywords, when keyword extraction was asked for.
    pub keywords: Option<Vec<Keyword>>,
    /// The labels, when classification was asked for.
    pub classification: Option<Classification>,
}

/// The name of the model built into the binary, trained from `data/sentiment/train.tsv`.
pub const BUILTIN_MODEL_NAME: &str = "sentiment";

#[cfg(builtin_model)]
const BUILTIN_MODEL: Option<&[u8]> = Some(include_bytes!("../../models/sentiment.model"));
#[cfg(not(builtin_model))]
const BUILTIN_MODEL: Option<&[u8]> = None;

/// jieba's dictionary (see `data/jieba/README.md`), embedded in the binary.
const BUILTIN_DICT: &str = include_str!("../../data/jieba/dict.txt");

/// Names the built-in dictionary in [`DictionaryIdentity`].
pub const BUILTIN_DICT_NAME: &str = "jieba dict.txt (as in jieba-rs 0.11.0)";

/// The SHA-256 of the built-in dictionary, in hex (a unit test keeps it true).
pub const BUILTIN_DICT_SHA256: &str =
    "139519822fe8ab9e10d9d07e68ea0451045380aedaf54ecc51e2a28c6b42a13f";

/// A jieba-rs segmenter with the built-in dictionary and nothing else, as every analyzer's
/// starts out (also what the benchmarks compare the server with).
pub fn builtin_jieba() -> Jieba {
    jieba_with_dict(BUILTIN_DICT)
}

fn jieba_with_dict(dict: &str) -> Jieba {
    let mut jieba = Jieba::empty();
    // The built-in dictionary is well-formed (a unit test loads it), and so is any selection of
    // its lines, so loading cannot fail.
    let _ = jieba.load_dict(&mut dict.as_bytes());
    jieba
}

/// Files that extend or replace the built-in data.
#[derive(Debug, Clone, Default)]
pub struct AnalyzerConfig {
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
    files: Vec<SourceFile>,
    user_dicts: Vec<Vec<user_dict::Entry>>,
    idf: IdfTable,
    stop_words: StopWords,
    models: ModelSet,
    pos_hmm: PosHmm,
}

impl Sources {
    /// Reads the files `config` names. A file that cannot be read or parsed is an error naming
    /// it (and the line at fault).
    pub fn load(config: &AnalyzerConfig) -> Result<Self, LoadError> {
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
            Some(path) => IdfTable::parse(&read(SourceKind::Idf, path)?, path)?,
            None => IdfTable::builtin(),
        };
        let stop_words = match &config.stop_words {
            Some(path) => StopWords::with_file_text(&read(SourceKind::StopWords, path)?),
            None => StopWords::builtin(),
        };
        let mut models = ModelSet::default();
        if let Some(bytes) = BUILTIN_MODEL {
            models
                .insert_bytes(BUILTIN_MODEL_NAME, "<built-in>", bytes)
                .map_err(|e| LoadError::Model {
                    path: PathBuf::from("<built-in sentiment.model>"),
                    reason: e.to_string(),
                })?;
        }
        if let Some(dir) = &config.models_dir {
            models.load_dir(dir)?;
        }
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
            pos_hmm: PosHmm::builtin(),
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
}

/// The analysis engine: segmenter, IDF table and stop words. Build it once and share it
/// (`Arc<Analyzer>`); every method takes `&self` and is safe to call from many threads.
#[derive(Debug)]
pub struct Analyzer {
    jieba: Jieba,
    sources: Arc<Sources>,
    identity: DictionaryIdentity,
}

impl Analyzer {
    /// Builds an analyzer from the built-in dictionary, HMM, IDF table and stop words, plus the
    /// files `config` names. A file that cannot be read or parsed is an error naming it.
    pub fn new(config: &AnalyzerConfig) -> Result<Self, LoadError> {
        Ok(Self::build(
            Arc::new(Sources::load(config)?),
            &WordEdits::default(),
            1,
        ))
    }

    /// Builds an analyzer from files already read and the run-time word edits: the segmenter's
    /// dictionary is jieba's less the removed words, then each user dictionary (less the
    /// removed words), then the added words. The same sources and edits always give the same
    /// analyzer, however the edits came about.
    pub fn build(sources: Arc<Sources>, edits: &WordEdits, generation: u64) -> Self {
        let mut jieba = if edits.removed_count() == 0 {
            builtin_jieba()
        } else {
            let kept: String = BUILTIN_DICT
                .split_inclusive('\n')
                .filter(|line| {
                    line.split_ascii_whitespace()
                        .next()
                        .is_none_or(|word| !edits.is_removed(word))
                })
                .collect();
            jieba_with_dict(&kept)
        };
        for entry in sources.user_dicts.iter().flatten() {
            if !edits.is_removed(&entry.word) {
                jieba.add_word(&entry.word, entry.freq, entry.tag.as_deref());
            }
        }
        for entry in edits.added() {
            let freq = entry.freq.map(|f| usize::try_from(f).unwrap_or(usize::MAX));
            jieba.add_word(&entry.word, freq, entry.tag.as_deref());
        }
        let identity = DictionaryIdentity {
            generation,
            files: sources.files.clone(),
            added_words: edits.added_count(),
            removed_words: edits.removed_count(),
        };
        Self {
            jieba,
            sources,
            identity,
        }
    }

    /// The files this analyzer was built from, to build another with other word edits.
    pub fn sources(&self) -> &Arc<Sources> {
        &self.sources
    }

    /// Which dictionary this analyzer serves.
    pub fn identity(&self) -> &DictionaryIdentity {
        &self.identity
    }

    /// Whether the segmenter's dictionary holds `word`.
    pub fn has_word(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// The loaded classification models.
    pub fn models(&self) -> &ModelSet {
        &self.sources.models
    }

    /// The model called `name` (the default for an empty name).
    pub fn model(&self, name: &str) -> Result<&NamedModel, ClassifyError> {
        self.sources
            .models
            .get(name)
            .ok_or_else(|| ClassifyError::UnknownModel {
                requested: name.to_owned(),
                available: self
                    .sources
                    .models
                    .names()
                    .into_iter()
                    .map(String::from)
                    .collect(),
            })
    }

    /// Classifies `text` with the model `options` names.
    pub fn classify(
        &self,
        text: &str,
        options: &ClassifyOptions,
        deadline: Deadline,
    ) -> Result<Classification, AnalysisError> {
        let model = self.model(&options.model)?;
        let tokens = self.tokens(text, TokenSource::Plain, deadline)?;
        deadline.check()?;
        Ok(classify_tokens(model, &tokens, text, options.top_k))
    }

    /// The words a classifier reads: precise mode, HMM on.
    fn words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba.cut(text, true).iter().map(|t| t.word).collect()
    }

    /// Trains a model on `examples`, deterministically: the same examples and settings give a
    /// byte-identical model. Features are extracted on all cores; `progress` hears of each
    /// epoch.
    pub fn train(
        &self,
        examples: &[Example],
        config: &TrainConfig,
        progress: impl FnMut(Progress),
    ) -> Model {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = examples.len().div_ceil(threads).max(1);
        let data: Vec<(Counts, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = examples
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|e| {
                                (
                                    config.features.counts(&self.words(&e.text), &e.text),
                                    e.label.clone(),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        classify::train(&data, config, progress)
    }

    /// Classifies every example with `model` and tallies the outcome.
    pub fn evaluate(&self, model: &Model, examples: &[Example]) -> Evaluation {
        let mut evaluation = Evaluation::new(model.labels());
        for example in examples {
            let p = model.probabilities(&model.vector(&self.words(&example.text), &example.text));
            let best = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            evaluation.add(&example.label, &model.labels()[best]);
        }
        evaluation
    }

    /// Splits `text` into words. Any text is accepted, including the empty one.
    pub fn segment<'a>(
        &'a self,
        text: &'a str,
        options: &SegmentOptions,
        deadline: Deadline,
    ) -> Result<Vec<Token<'a>>, DeadlineExceeded> {
        let mut tokens = Vec::new();
        self.segment_each(text, options, deadline, |piece| {
            collect_into(&mut tokens, piece)
        })?;
        Ok(tokens)
    }

    /// [`Analyzer::segment`] without collecting the tokens: `visit` gets them a few thousand
    /// at a time, in order (a long text is segmented in pieces, see [`PIECE_BYTES`]), so a
    /// caller that writes them out needs no vector of all of them.
    pub fn segment_each<'a>(
        &'a self,
        text: &'a str,
        options: &SegmentOptions,
        deadline: Deadline,
        visit: impl FnMut(Vec<Token<'a>>),
    ) -> Result<(), DeadlineExceeded> {
        let hmm = options.hmm;
        match options.mode {
            SegmentMode::Precise if options.with_pos => {
                each_piece(text, deadline, |piece| self.tag(piece, hmm), visit)
            }
            SegmentMode::Precise => each_piece(
                text,
                deadline,
                |piece| convert(self.jieba.cut(piece, hmm)),
                visit,
            ),
            SegmentMode::Full => each_piece(
                text,
                deadline,
                |piece| python_full_mode(convert(self.jieba.cut_all(piece)).collect()),
                visit,
            ),
            SegmentMode::Search => each_piece(
                text,
                deadline,
                |piece| convert(self.jieba.cut_for_search(piece, hmm)),
                visit,
            ),
        }
    }

    /// Extracts the keywords of `text`, best first.
    pub fn keywords(
        &self,
        text: &str,
        options: &KeywordOptions,
        deadline: Deadline,
    ) -> Result<Vec<Keyword>, DeadlineExceeded> {
        let tokens = self.tokens(text, TokenSource::for_keywords(options), deadline)?;
        deadline.check()?;
        Ok(keywords::extract(
            &tokens,
            options,
            &self.sources.idf,
            &self.sources.stop_words,
        ))
    }

    /// Runs the analyses `options` asks for on `text`, segmenting it once for all of them when
    /// the requested segmentation is the one the keyword method and the classifier read (see
    /// [`TokenSource`]). An unknown model fails the call before any work is done.
    pub fn analyze<'a>(
        &'a self,
        text: &'a str,
        options: &AnalyzeOptions,
        deadline: Deadline,
    ) -> Result<Analysis<'a>, AnalysisError> {
        let model = match &options.classify {
            Some(c) => Some((self.model(&c.model)?, c.top_k)),
            None => None,
        };
        let keyword_source = options.keywords.as_ref().map(TokenSource::for_keywords);
        let segment_source = options.segment.as_ref().and_then(TokenSource::for_segment);
        let needs = |source| keyword_source == Some(source) || segment_source == Some(source);
        let plain = (needs(TokenSource::Plain) || model.is_some())
            .then(|| self.tokens(text, TokenSource::Plain, deadline))
            .transpose()?;
        let tagged = needs(TokenSource::Tagged)
            .then(|| self.tokens(text, TokenSource::Tagged, deadline))
            .transpose()?;
        deadline.check()?;
        let reuse = |source| match source {
            TokenSource::Plain => plain.as_deref().unwrap_or_default(),
            TokenSource::Tagged => tagged.as_deref().unwrap_or_default(),
        };
        let keywords = options
            .keywords
            .as_ref()
            .zip(keyword_source)
            .map(|(k, source)| {
                keywords::extract(
                    reuse(source),
                    k,
                    &self.sources.idf,
                    &self.sources.stop_words,
                )
            });
        let classification = model
            .map(|(model, top_k)| classify_tokens(model, reuse(TokenSource::Plain), text, top_k));
        let tokens = options
            .segment
            .map(|segment| match segment_source {
                Some(source) => {
                    let mut tokens = reuse(source).to_vec();
                    if !segment.with_pos {
                        tokens.iter_mut().for_each(|t| t.pos = None);
                    }
                    Ok(tokens)
                }
                None => self.segment(text, &segment, deadline),
            })
            .transpose()?;
        Ok(Analysis {
            tokens,
            keywords,
            classification,
        })
    }

    fn tokens<'a>(
        &'a self,
        text: &'a str,
        source: TokenSource,
        deadline: Deadline,
    ) -> Result<Vec<Token<'a>>, DeadlineExceeded> {
        match source {
            TokenSource::Plain => {
                by_pieces(text, deadline, |piece| convert(self.jieba.cut(piece, true)))
            }
            TokenSource::Tagged => by_pieces(text, deadline, |piece| self.tag(piece, true)),
        }
    }

    /// Precise-mode tokens with part-of-speech tags, as `jieba.posseg.cut`.
    fn tag<'a>(&'a self, text: &'a str, hmm: bool) -> Vec<Token<'a>> {
        posseg::tag(&self.jieba, &self.sources.pos_hmm, text, hmm)
    }
}

/// Classifies a text whose precise-mode (HMM on) tokens are known.
fn classify_tokens(
    model: &NamedModel,
    tokens: &[Token<'_>],
    text: &str,
    top_k: usize,
) -> Classification {
    let words: Vec<&str> = tokens.iter().map(|t| t.word).collect();
    let probabilities = model.model.probabilities(&model.model.vector(&words, text));
    let mut labels: Vec<(String, f64)> = model
        .model
        .labels()
        .iter()
        .cloned()
        .zip(probabilities)
        .collect();
    labels.sort_by(|a, b| b.1.total_cmp(&a.1));
    if top_k > 0 {
        labels.truncate(top_k);
    }
    Classification {
        model: model.name.clone(),
        labels,
    }
}

/// The two precise-mode (HMM on) segmentations. Python jieba's keyword extractors read
/// `jieba.cut` for TF-IDF without `allowPOS` and `jieba.posseg.cut` otherwise (classifiers read
/// `jieba.cut` too); the two differ
/// on runs of characters missing from the dictionary, so each method reads the one Python does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenSource {
    /// `jieba.cut`: no tags.
    Plain,
    /// `jieba.posseg.cut`: tagged.
    Tagged,
}

impl TokenSource {
    fn for_keywords(options: &KeywordOptions) -> Self {
        match options.method {
            KeywordMethod::TfIdf if options.allowed_pos.is_empty() => Self::Plain,
            _ => Self::Tagged,
        }
    }

    /// The source a segmentation request can share, if any.
    fn for_segment(options: &SegmentOptions) -> Option<Self> {
        match options {
            SegmentOptions {
                mode: SegmentMode::Precise,
                hmm: true,
                with_pos: false,
            } => Some(Self::Plain),
            SegmentOptions {
                mode: SegmentMode::Precise,
                hmm: true,
                with_pos: true,
            } => Some(Self::Tagged),
            _ => None,
        }
    }
}

/// Keeps the words of jieba-rs's full mode that Python's `cut_all` emits. jieba-rs lists every
/// dictionary word at each position, single characters included; Python skips a single
/// character when a longer word starts at the same place, and a lone word at a position that a
/// word already emitted covers.
fn python_full_mode(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(tokens.len());
    // Python's `old_j`: the last character covered by an emitted word.
    let mut covered: Option<usize> = None;
    for group in tokens.chunk_by(|a, b| a.start == b.start) {
        let start = group[0].start;
        if let [only] = group {
            if covered.is_none_or(|c| start > c) {
                out.push(*only);
                covered = Some(only.end - 1);
            }
        } else {
            for token in group.iter().filter(|t| t.end - 1 > start) {
                out.push(*token);
                covered = Some(token.end - 1);
            }
        }
    }
    out
}

fn convert(tokens: Vec<jieba_rs::Token<'_>>) -> impl Iterator<Item = Token<'_>> {
    tokens.into_iter().map(|t| Token {
        word: t.word,
        start: t.start,
        end: t.end,
        byte_start: t.byte_start,
        byte_end: t.byte_end,
        pos: None,
    })
}
