//! The gRPC face of the core: `textanalysis.v1.TextAnalysis` and `textanalysis.v1.Admin`.
//!
//! Handlers only validate and convert requests ([`convert`]), run the core on the bounded work
//! pool ([`pool`]), and convert results back; [`error`] is the one place that turns failures
//! into `tonic::Status`. Layers wrap every call: [`guard`] holds it to the protocol, the memory
//! budget and its deadline (and, through [`status_codes`], makes tonic's own rejections say they
//! are the client's fault), [`auth`] checks tokens, and [`track`] counts calls in flight for
//! the drain. [`admin`] is the `textanalysis.v1.Admin` service (reload, word edits).

mod admin;
mod auth;
mod convert;
mod error;
mod guard;
mod pool;
mod service;
mod status_codes;
mod track;
pub mod wire;

pub use admin::AdminService;
pub(crate) use auth::AuthLayer;
pub use auth::{BearerTokens, TokenError};
pub use convert::Limits;
pub(crate) use guard::GuardLayer;
pub use pool::{INLINE_MAX_CHARS, WorkPool};
pub use service::TextAnalysisService;
pub use track::Activity;
pub(crate) use track::TrackCallsLayer;

/// The future of a layer's call: boxed, since each layer wraps the inner one's in async code.
type BoxFuture<T, E> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send>>;

/// Code generated from `proto/textanalysis/v1/textanalysis.proto`.
#[rustfmt::skip]
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("textanalysis.v1");
    include!(concat!(env!("OUT_DIR"), "/server/textanalysis.v1.rs"));

    /// The encoded descriptor set of `textanalysis.v1`, with comments, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/textanalysis_descriptor.bin"));
}
