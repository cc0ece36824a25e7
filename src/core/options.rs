//! What a caller asks of an analysis: the segmentation mode and its switches, and which analyses
//! [`Analyzer::analyze`](super::Analyzer::analyze) runs.

use super::classify::ClassifyOptions;
use super::keywords::KeywordOptions;

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
    /// The trained segmenter's words (see [`crate::core::accurate`]); the tokens tile the text.
    /// The HMM does not apply; tags are the model's (the PKU tag set for the built-in model).
    Accurate,
}

/// How to segment a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOptions {
    /// The segmentation mode.
    pub mode: SegmentMode,
    /// Whether the HMM joins characters missing from the dictionary into words (not in
    /// [`SegmentMode::Full`], which lists dictionary words only).
    pub hmm: bool,
    /// Whether to tag each token with its part of speech (only in [`SegmentMode::Precise`] and
    /// [`SegmentMode::Accurate`]). In precise mode, tagged tokens are those of `jieba.posseg.cut`, which may cut words missing from the
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
