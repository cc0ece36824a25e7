//! textanalysis: a gRPC service for Chinese text analysis over jieba-rs.
//!
//! Dependencies run one way, each layer using only those before it:
//!
//! 1. [`core`]: the analysis library; knows nothing of gRPC.
//! 2. [`metrics`] (the Prometheus registry and its page, told what the rest sees) and
//!    [`dictionary_changes`] (reload and word edits, logged and counted: the path SIGHUP and
//!    the Admin service share).
//! 3. [`edge`]: what a call meets before a handler (connections, admission, the memory budget,
//!    auth, calls in flight) and the one place failures become statuses.
//! 4. [`grpc`]: the `textanalysis.v1` services over the core.
//! 5. [`json`]: the HTTP/JSON door, transcoding JSON calls into gRPC calls of those services.
//! 6. [`server`]: health, reflection, layers and the drain.
//! 7. [`config`], [`telemetry`], [`health`] and [`commands`]: what the binary in `main.rs`
//!    wires together.

pub mod commands;
pub mod config;
pub mod core;
pub mod dictionary_changes;
pub mod edge;
pub mod grpc;
pub mod health;
pub mod json;
pub mod metrics;
pub mod server;
pub mod telemetry;
