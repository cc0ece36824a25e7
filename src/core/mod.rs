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
mod posseg;
mod stop_words;
mod user_dict;

pub use analyzer::{
    Analysis, AnalysisError, AnalyzeOptions, Analyzer, AnalyzerConfig, BUILTIN_MODEL_NAME,
    Deadline, DeadlineExceeded, PIECE_BYTES, SegmentMode, SegmentOptions, Token,
};
pub use classify::{Classification, ClassifyError, ClassifyOptions};
pub use error::LoadError;
pub use error::read_text;
pub use idf::IdfTable;
pub use keywords::{DEFAULT_TEXTRANK_POS, Keyword, KeywordMethod, KeywordOptions};
pub use stop_words::StopWords;
