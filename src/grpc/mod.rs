//! The gRPC face of the core: `textanalysis.v1.TextAnalysis` and `textanalysis.v1.Admin`.
//!
//! Handlers only validate requests ([`validate`]), run the core on the bounded work pool
//! ([`pool`]), and convert results back ([`convert`]); their failures become statuses in
//! `crate::edge`'s one place, which also holds the layers every call passes first. [`admin`]
//! is the `textanalysis.v1.Admin` service (reload, word edits).

mod admin;
mod convert;
mod pool;
mod service;
mod validate;
pub mod wire;

pub use admin::AdminService;
pub use pool::{INLINE_MAX_CHARS, WorkPool};
pub use service::TextAnalysisService;

/// Code generated from `proto/textanalysis/v1/textanalysis.proto`.
#[rustfmt::skip]
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("textanalysis.v1");
    // Protobuf's canonical JSON mapping of every message (pbjson), for the HTTP/JSON door.
    include!(concat!(env!("OUT_DIR"), "/textanalysis.v1.serde.rs"));
    include!(concat!(env!("OUT_DIR"), "/server/textanalysis.v1.rs"));

    /// The encoded descriptor set of `textanalysis.v1`, with comments, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/textanalysis_descriptor.bin"));
}
