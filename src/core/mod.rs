//! The analysis core: segmentation, part-of-speech tagging, keyword extraction and
//! classification.
//!
//! This module is a plain library over jieba-rs. It knows nothing of gRPC (no `tonic` or `prost`
//! here): the service layer (`grpc`) validates requests, converts them into the option
//! types defined here, and calls [`Analyzer`].

pub mod accurate;
mod analyzer;
mod analyzer_config;
mod builtin;
mod classes;
pub mod classify;
mod deadline;
mod dictionary;
mod error;
mod files;
mod fingerprint;
mod identity;
mod idf;
mod keywords;
pub mod layout;
mod live;
mod loaded_once;
mod options;
mod pieces;
mod profiles;
mod script;
mod segmenter;
mod segmenter_training;
mod sources;
mod split_mix;
mod stop_words;
mod token;
mod training;
mod user_dict;
pub mod word_edits;

pub use analyzer::{Analysis, AnalysisError, Analyzer};
pub use analyzer_config::AnalyzerConfig;
pub use builtin::{BUILTIN_DICT_NAME, BUILTIN_DICT_SHA256, builtin_jieba};
pub use classify::{Classification, ClassifyError, ClassifyOptions};
pub use deadline::{Deadline, DeadlineExceeded};
pub use error::{LoadError, ModelError};
pub use files::{read_text, write_atomically};
pub use identity::{DictionaryIdentity, profiles_version};
pub use idf::IdfTable;
pub use keywords::{Keyword, KeywordMethod, KeywordOptions, Segmenter};
pub use live::{ChangeError, LiveAnalyzer, StartError};
pub use options::{AnalyzeOptions, SegmentMode, SegmentOptions};
pub use pieces::PIECE_BYTES;
pub use profiles::{
    CurrentAnalyzers, DEFAULT_PROFILE, MAX_PROFILE_NAME_CHARS, PROFILE_NAME_RULE,
    ProfileChangeError, ProfileSpec, Profiles, SetChange, UnknownProfile, profile_bytes,
};
pub use script::{Normalized, Script, Text};
pub use segmenter::posseg::{POS_TAG_RULE, is_pos_tag};
pub use sources::{SourceFile, SourceKind, Sources};
pub use stop_words::StopWords;
pub use token::Token;

/// Bytes in lower-case hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The SHA-256 of `bytes`, in hex: how files are identified.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    to_hex(&sha2::Sha256::digest(bytes))
}
