//! The analysis core: segmentation, part-of-speech tagging, keyword extraction and
//! classification.
//!
//! This module is a plain library over jieba-rs. It knows nothing of gRPC (no `tonic` or `prost`
//! here): the service layer in [`crate::grpc`] validates requests, converts them into the option
//! types defined here, and calls [`Analyzer`].

mod analyzer;
pub mod classify;
mod error;
mod idf;
mod keywords;
mod live;
mod posseg;
mod stop_words;
mod user_dict;
pub mod word_edits;

pub use analyzer::{
    Analysis, AnalysisError, AnalyzeOptions, Analyzer, AnalyzerConfig, BUILTIN_DICT_NAME,
    BUILTIN_DICT_SHA256, BUILTIN_MODEL_NAME, Deadline, DeadlineExceeded, DictionaryIdentity,
    PIECE_BYTES, SegmentMode, SegmentOptions, SourceFile, SourceKind, Sources, Token,
    builtin_jieba,
};
pub use classify::{Classification, ClassifyError, ClassifyOptions};
pub use error::LoadError;
pub use error::read_text;
pub use idf::IdfTable;
pub use keywords::{DEFAULT_TEXTRANK_POS, Keyword, KeywordMethod, KeywordOptions};
pub use live::{ChangeError, LiveAnalyzer, StartError};
pub use stop_words::StopWords;

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
