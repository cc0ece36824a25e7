//! [`Analyzer`]: the dictionary, HMM, IDF table, stop words and models, built once and shared,
//! and what it does with a text: segment, tag, extract keywords, classify.

use std::sync::Arc;

use super::accurate::{self, Accurate, LoadedSegmenter, SegmenterModel, UserWords};
use super::builtin::BUILTIN_LONGEST_WORD;
use super::classify::{Classification, ClassifyError, ClassifyOptions, ModelSet, NamedModel};
use super::dictionary::{Dictionary, builtin_words};
use super::identity::content_version;
use super::keywords::{self, Keyword, KeywordMethod, KeywordOptions, Segmenter};
use super::pieces::{by_pieces, collect_into, each_piece, jieba_piece_len};
use super::segmenter::{self, posseg};
use super::token::Origin;
use super::word_edits::WordEdits;
use super::{
    AnalyzeOptions, AnalyzerConfig, Deadline, DeadlineExceeded, DictionaryIdentity, LoadError,
    SegmentMode, SegmentOptions, Sources, Text, Token,
};

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

/// The analysis engine: segmenter, IDF table and stop words. Build it once and share it
/// (`Arc<Analyzer>`); every method takes `&self` and is safe to call from many threads.
#[derive(Debug)]
pub struct Analyzer {
    /// The built-in dictionary (shared) and what the files and edits change of it.
    jieba: Dictionary,
    /// The most characters in a dictionary word (full mode looks no further).
    longest_word: usize,
    /// Whether a user's word holds an ideograph outside Python's Han range (the built-in
    /// dictionary has none), which precise mode must then look for in every token.
    foreign_words: bool,
    sources: Arc<Sources>,
    identity: DictionaryIdentity,
    /// The user's words (user dictionaries and added words), which the accurate segmenter
    /// keeps whole.
    user_words: UserWords,
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
    /// analyzer, however the edits came about. The built-in dictionary is shared by every
    /// analyzer of the process; this one holds only what its files and edits change.
    pub fn build(sources: Arc<Sources>, edits: &WordEdits, generation: u64) -> Self {
        let mut jieba = Dictionary::new(builtin_words());
        for word in edits.removed() {
            jieba.remove_builtin(word);
        }
        let (mut longest_word, mut foreign_words) = (BUILTIN_LONGEST_WORD, false);
        let mut note = |word: &str| {
            longest_word = longest_word.max(word.chars().count());
            foreign_words |= segmenter::has_foreign_ideograph(word);
        };
        for entry in sources.user_dicts.iter().flatten() {
            if !edits.is_removed(&entry.word) {
                jieba.add_word(&entry.word, entry.freq, entry.tag.as_deref());
                note(&entry.word);
            }
        }
        for entry in edits.added() {
            let freq = entry.freq.map(|f| usize::try_from(f).unwrap_or(usize::MAX));
            jieba.add_word(&entry.word, freq, entry.tag.as_deref());
            note(&entry.word);
        }
        let added: Vec<_> = edits.added().collect();
        let user_words = UserWords::new(
            sources
                .user_dicts
                .iter()
                .flatten()
                .filter(|e| !edits.is_removed(&e.word))
                .map(|e| (e.word.as_str(), e.tag.as_deref()))
                .chain(added.iter().map(|e| (e.word.as_str(), e.tag.as_deref()))),
        );
        let identity = DictionaryIdentity {
            generation,
            files: sources.files.clone(),
            added_words: edits.added_count(),
            removed_words: edits.removed_count(),
            content_version: content_version(&sources, edits),
        };
        Self {
            jieba,
            longest_word,
            foreign_words,
            sources,
            identity,
            user_words,
        }
    }

    /// The accurate segmenter this analyzer serves `ACCURATE` with: its segmentation model (the
    /// built-in one is made on its first use), dictionary and user's words.
    pub(crate) fn accurate_segmenter(&self) -> Accurate<'_> {
        self.accurate(self.sources.segmenter.model())
    }

    /// The accurate segmenter with `model`, this analyzer's dictionary and user's words.
    pub(crate) fn accurate<'m>(&'m self, model: &'m SegmenterModel) -> Accurate<'m> {
        Accurate {
            model,
            dictionary: &self.jieba,
            user_words: &self.user_words,
        }
    }

    /// The dictionary the accurate segmenter reads, to train a model with.
    pub(crate) fn dictionary(&self) -> &Dictionary {
        &self.jieba
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

    /// The segmentation model of mode `ACCURATE`.
    pub fn segmenter(&self) -> &LoadedSegmenter {
        &self.sources.segmenter
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
    pub fn classify<'a>(
        &self,
        text: impl Into<Text<'a>>,
        options: &ClassifyOptions,
        deadline: Deadline,
    ) -> Result<Classification, AnalysisError> {
        let text = text.into().analysed();
        let model = self.model(&options.model)?;
        let tokens = self.tokens(text, TokenSource::Plain, deadline)?;
        deadline.check()?;
        Ok(classify_tokens(model, &tokens, text, options.top_k))
    }

    /// Precise-mode tokens (HMM on) of a text in one piece, as `jieba.cut` gives them.
    pub(crate) fn segment_plain<'a>(
        &self,
        text: &'a str,
    ) -> impl Iterator<Item = Token<'a>> + use<'a> {
        self.precise(text, true, Origin::default()).into_iter()
    }

    /// Splits `text` into words. Any text is accepted, including the empty one.
    pub fn segment<'a>(
        &'a self,
        text: impl Into<Text<'a>>,
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
        text: impl Into<Text<'a>>,
        options: &SegmentOptions,
        deadline: Deadline,
        mut visit: impl FnMut(Vec<Token<'a>>),
    ) -> Result<(), DeadlineExceeded> {
        let (hmm, whole) = (options.hmm, text.into());
        let text = whole.analysed();
        let visit = |mut tokens: Vec<Token<'a>>| {
            whole.as_sent(&mut tokens);
            visit(tokens)
        };
        let jieba = jieba_piece_len;
        match options.mode {
            SegmentMode::Precise if options.with_pos => each_piece(
                text,
                jieba,
                deadline,
                |piece, origin| origin.place(self.tag(piece, hmm)),
                visit,
            ),
            SegmentMode::Precise => each_piece(
                text,
                jieba,
                deadline,
                |piece, origin| self.precise(piece, hmm, origin),
                visit,
            ),
            SegmentMode::Full => each_piece(
                text,
                jieba,
                deadline,
                |piece, origin| {
                    origin.place(segmenter::full(&self.jieba, piece, self.longest_word))
                },
                visit,
            ),
            SegmentMode::Search => each_piece(
                text,
                jieba,
                deadline,
                |piece, origin| {
                    origin.place(segmenter::search(
                        &self.jieba,
                        piece,
                        hmm,
                        self.foreign_words,
                    ))
                },
                visit,
            ),
            SegmentMode::Accurate => {
                let accurate = self.accurate_segmenter();
                each_piece(
                    text,
                    accurate::piece_len,
                    deadline,
                    |piece, origin| origin.place(accurate.segment(piece, options.with_pos)),
                    visit,
                )
            }
        }
    }

    /// Extracts the keywords of `text`, best first.
    pub fn keywords<'a>(
        &self,
        text: impl Into<Text<'a>>,
        options: &KeywordOptions,
        deadline: Deadline,
    ) -> Result<Vec<Keyword>, DeadlineExceeded> {
        let text = text.into();
        let tokens = self.tokens(
            text.analysed(),
            TokenSource::for_keywords(options),
            deadline,
        )?;
        deadline.check()?;
        let mut keywords = keywords::extract(
            &tokens,
            options,
            &self.sources.idf,
            &self.sources.stop_words,
        );
        text.keywords_as_sent(&tokens, &mut keywords);
        Ok(keywords)
    }

    /// Runs the analyses `options` asks for on `text`, segmenting it once for all of them when
    /// the requested segmentation is the one the keyword method and the classifier read (see
    /// [`TokenSource`]). An unknown model fails the call before any work is done.
    pub fn analyze<'a>(
        &'a self,
        text: impl Into<Text<'a>>,
        options: &AnalyzeOptions,
        deadline: Deadline,
    ) -> Result<Analysis<'a>, AnalysisError> {
        let whole = text.into();
        let text = whole.analysed();
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
        // Tagged accurate words serve a request for untagged ones too (tags are then dropped):
        // the segmentation is the same.
        let accurate_tagged = needs(TokenSource::Accurate { tagged: true })
            .then(|| self.tokens(text, TokenSource::Accurate { tagged: true }, deadline))
            .transpose()?;
        let accurate = (needs(TokenSource::Accurate { tagged: false })
            && accurate_tagged.is_none())
        .then(|| self.tokens(text, TokenSource::Accurate { tagged: false }, deadline))
        .transpose()?;
        deadline.check()?;
        let reuse = |source| match source {
            TokenSource::Plain => plain.as_deref().unwrap_or_default(),
            TokenSource::Tagged => tagged.as_deref().unwrap_or_default(),
            TokenSource::Accurate { tagged: false } => accurate
                .as_deref()
                .or(accurate_tagged.as_deref())
                .unwrap_or_default(),
            TokenSource::Accurate { tagged: true } => {
                accurate_tagged.as_deref().unwrap_or_default()
            }
        };
        let keywords = options
            .keywords
            .as_ref()
            .zip(keyword_source)
            .map(|(k, source)| {
                let mut keywords = keywords::extract(
                    reuse(source),
                    k,
                    &self.sources.idf,
                    &self.sources.stop_words,
                );
                whole.keywords_as_sent(reuse(source), &mut keywords);
                keywords
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
                    whole.as_sent(&mut tokens);
                    Ok(tokens)
                }
                None => self.segment(whole, &segment, deadline),
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
        let jieba = jieba_piece_len;
        match source {
            TokenSource::Plain => by_pieces(text, jieba, deadline, |piece, origin| {
                self.precise(piece, true, origin)
            }),
            TokenSource::Tagged => by_pieces(text, jieba, deadline, |piece, origin| {
                origin.place(self.tag(piece, true))
            }),
            TokenSource::Accurate { tagged } => {
                let accurate = self.accurate_segmenter();
                by_pieces(text, accurate::piece_len, deadline, |piece, origin| {
                    origin.place(accurate.segment(piece, tagged))
                })
            }
        }
    }

    /// Precise-mode tokens, as `jieba.cut`.
    fn precise<'a>(&self, text: &'a str, hmm: bool, origin: Origin) -> Vec<Token<'a>> {
        segmenter::precise(&self.jieba, text, hmm, self.foreign_words, origin)
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

/// The segmentations an analysis may share. Python jieba's keyword extractors read `jieba.cut`
/// (precise mode, HMM on) for TF-IDF without `allowPOS` and `jieba.posseg.cut` otherwise
/// (classifiers read `jieba.cut` too); the two differ on runs of characters missing from the
/// dictionary, so each method reads the one Python does. Keywords over the accurate segmenter
/// read its words, tagged when tags are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenSource {
    /// `jieba.cut`: no tags.
    Plain,
    /// `jieba.posseg.cut`: tagged.
    Tagged,
    /// The accurate segmenter, with tags or without.
    Accurate {
        /// Whether the words are tagged.
        tagged: bool,
    },
}

impl TokenSource {
    fn for_keywords(options: &KeywordOptions) -> Self {
        let tagged = options.method != KeywordMethod::TfIdf || !options.allowed_pos.is_empty();
        match (options.segmenter, tagged) {
            (Segmenter::Accurate, tagged) => Self::Accurate { tagged },
            (Segmenter::Jieba, false) => Self::Plain,
            (Segmenter::Jieba, true) => Self::Tagged,
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
            SegmentOptions {
                mode: SegmentMode::Accurate,
                with_pos,
                ..
            } => Some(Self::Accurate { tagged: *with_pos }),
            _ => None,
        }
    }
}
