//! Core results into messages: tokens, keywords, labels, analyses, and the descriptions
//! `ListModels` and `Admin` answer with.

use crate::core::accurate::{LoadedSegmenter, SEGMENTER_FORMAT_VERSION, SEGMENTER_NAME};
use crate::core::classify::{FORMAT_VERSION, NamedModel};
use crate::core::word_edits::WordEntry;
use crate::core::{
    Analysis, BUILTIN_DICT_NAME, BUILTIN_DICT_SHA256, Classification, DictionaryIdentity, Keyword,
    SourceKind, Token,
};

use super::pb;
use super::wire::{Answer, offset};
use crate::edge::ApiError;

/// The error of one document in a batch or stream: the code and message the same request would
/// get alone, and its field violations.
pub(crate) fn document_error(error: ApiError) -> pb::DocumentError {
    let field_violations = match &error {
        ApiError::InvalidArgument(violations) => violations
            .iter()
            .map(|v| pb::FieldViolation {
                field: v.field.clone(),
                description: v.description.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let status = tonic::Status::from(error);
    pb::DocumentError {
        code: status.code() as i32,
        message: status.message().to_owned(),
        field_violations,
    }
}

/// Offsets fit in `u32` because the message size limit keeps texts far below 4 GiB.
impl From<&Token<'_>> for pb::Token {
    fn from(t: &Token<'_>) -> Self {
        Self {
            word: t.word.to_owned(),
            start: offset(t.start),
            end: offset(t.end),
            byte_start: offset(t.byte_start),
            byte_end: offset(t.byte_end),
            pos: t.pos.unwrap_or_default().to_owned(),
        }
    }
}

impl From<Keyword> for pb::Keyword {
    fn from(k: Keyword) -> Self {
        Self {
            word: k.word,
            weight: k.weight,
        }
    }
}

impl From<Vec<Token<'_>>> for pb::SegmentResponse {
    fn from(tokens: Vec<Token<'_>>) -> Self {
        Self {
            tokens: tokens.iter().map(pb::Token::from).collect(),
            ..Self::default()
        }
    }
}

impl From<Vec<Keyword>> for pb::ExtractKeywordsResponse {
    fn from(keywords: Vec<Keyword>) -> Self {
        Self {
            keywords: keywords.into_iter().map(pb::Keyword::from).collect(),
        }
    }
}

impl From<Classification> for pb::ClassifyResponse {
    fn from(c: Classification) -> Self {
        Self {
            labels: c
                .labels
                .into_iter()
                .map(|(label, probability)| pb::LabelProbability { label, probability })
                .collect(),
            model: c.model,
        }
    }
}

impl pb::ModelInfo {
    /// Describes a loaded model.
    pub(crate) fn new(model: &NamedModel, is_default: bool) -> Self {
        Self {
            name: model.name.clone(),
            labels: model.model.labels().to_vec(),
            format_version: FORMAT_VERSION,
            content_hash: model.content_hash.clone(),
            default: is_default,
            source: model.source.clone(),
            training_examples: u32::try_from(model.model.training().examples).unwrap_or(u32::MAX),
        }
    }
}

impl pb::SegmenterInfo {
    /// Describes a segmentation model.
    pub(crate) fn new(segmenter: &LoadedSegmenter) -> Self {
        let header = segmenter.header();
        Self {
            name: SEGMENTER_NAME.to_owned(),
            format_version: SEGMENTER_FORMAT_VERSION,
            content_hash: segmenter.content_hash().to_owned(),
            source: segmenter.source().to_owned(),
            training_sentences: u32::try_from(header.training.sentences).unwrap_or(u32::MAX),
            tags: header.tags.clone(),
            dev_f1: header.dev.map_or(0.0, |d| d.f1),
        }
    }
}

impl pb::DictionaryInfo {
    /// Describes the dictionary of the profile called `profile`.
    pub(crate) fn new(profile: &str, identity: &DictionaryIdentity) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            profile: profile.to_owned(),
            generation: identity.generation,
            builtin: BUILTIN_DICT_NAME.to_owned(),
            builtin_content_hash: BUILTIN_DICT_SHA256.to_owned(),
            files: identity
                .files
                .iter()
                .map(|file| pb::DictionaryFile {
                    kind: match file.kind {
                        SourceKind::UserDict => pb::DictionaryFileKind::UserDict,
                        SourceKind::Idf => pb::DictionaryFileKind::Idf,
                        SourceKind::StopWords => pb::DictionaryFileKind::StopWords,
                    } as i32,
                    path: file.path.display().to_string(),
                    content_hash: file.content_hash.clone(),
                    entries: count(file.entries),
                })
                .collect(),
            added_words: count(identity.added_words),
            removed_words: count(identity.removed_words),
            content_version: identity.content_version.clone(),
        }
    }
}

impl From<pb::WordEntry> for WordEntry {
    /// An empty tag means none; the entry is validated by the core ([`crate::core::LiveAnalyzer`]).
    fn from(entry: pb::WordEntry) -> Self {
        Self {
            word: entry.word,
            freq: entry.freq,
            tag: (!entry.tag.is_empty()).then_some(entry.tag),
        }
    }
}

impl pb::AnalyzeResponse {
    /// The response to an analysis, its tokens written in the shape `answer` asks for.
    pub(crate) fn shaped(analysis: Analysis<'_>, answer: Answer) -> Self {
        let tokens = analysis.tokens.unwrap_or_default();
        let (mut words, mut ends) = (Vec::new(), Vec::new());
        match answer {
            Answer::Tokens => {}
            Answer::Words => words = tokens.iter().map(|t| t.word.to_owned()).collect(),
            Answer::Boundaries => ends = tokens.iter().map(|t| offset(t.end)).collect(),
        }
        Self {
            classification: analysis.classification.map(pb::ClassifyResponse::from),
            tokens: if answer == Answer::Tokens {
                tokens.iter().map(pb::Token::from).collect()
            } else {
                Vec::new()
            },
            words,
            ends,
            keywords: analysis
                .keywords
                .unwrap_or_default()
                .into_iter()
                .map(pb::Keyword::from)
                .collect(),
            id: String::new(),
            error: None,
        }
    }
}
