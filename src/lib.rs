//! textanalysis: a gRPC service for Chinese text analysis over jieba-rs.
//!
//! Dependencies run one way, each layer using only those before it:
//!
//! 1. [`core`]: the analysis library; knows nothing of gRPC. Beside it, [`budget`] (the memory
//!    budget) and [`transport`] (the accepted connections and their limits).
//! 2. [`metrics`] (the Prometheus registry and its page) and [`dictionary_changes`] (reload
//!    and word edits, logged and counted: the path SIGHUP and the Admin service share).
//! 3. [`grpc`]: the `textanalysis.v1` services over the core.
//! 4. [`server`]: health, reflection, layers and the drain.
//! 5. [`config`], [`telemetry`], [`health`] and [`commands`]: what the binary in `main.rs`
//!    wires together.

pub mod budget;
pub mod commands;
pub mod config;
pub mod core;
pub mod dictionary_changes;
pub mod grpc;
pub mod health;
pub mod metrics;
pub mod server;
pub mod telemetry;
pub mod transport;
