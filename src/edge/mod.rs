//! The request edge: everything a call meets before a handler, and the one place its failures
//! become statuses. Over the core and the metrics (which it tells what it sees); under the
//! services.
//!
//! A connection is accepted and watched by [`transport`] (handshake, idle and stall timeouts,
//! the answers it has not read, a lingering close, accept back-off). Each call then passes three
//! layers: [`guard`] works out which call it is, once, from its path ([`Call`], carried in the
//! request's extensions with when it [`Arrived`]), holds it to the protocol, the [`MemoryBudget`]
//! and its deadline ([`Limits`]); `auth` checks its bearer token; `track` counts it in flight
//! for the drain ([`Activity`]). Every refusal is a typed [`Refusal`], and [`status`] maps it,
//! every handler error ([`ApiError`], core errors included) and tonic's own rejections to a
//! gRPC status, and each gRPC code to an HTTP status.

mod auth;
mod batch_scan;
mod budget;
mod call;
mod core_errors;
mod grpc_web;
mod guard;
mod http_rules;
mod http_status;
mod limits;
pub mod routes;
mod status;
mod track;
pub mod transport;

pub(crate) use auth::AuthLayer;
pub use auth::{BearerTokens, TokenError};
pub use budget::{MemoryBudget, Reservation};
pub use call::{Arrived, Call, CallService, Credentials, Protocol};
pub(crate) use grpc_web::GrpcWebDoorLayer;
pub(crate) use guard::GuardLayer;
pub use http_status::{JsonStatus, http_status, json_answer, json_answer_as, json_status};
pub use limits::{Limits, MAX_BATCH, client_deadline, parse_grpc_timeout};
pub use status::{ApiError, FieldViolation, Refusal, client_fault, client_fault_codes};
pub use track::Activity;
pub(crate) use track::TrackCallsLayer;

/// The future of a layer's call: boxed, since each layer wraps the inner one's in async code.
type BoxFuture<T, E> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send>>;
