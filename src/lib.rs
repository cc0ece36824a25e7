//! textanalysis: a gRPC service for Chinese text analysis over jieba-rs.
//!
//! [`core`] is the analysis library and knows nothing of gRPC; [`grpc`] adapts it to the
//! `textanalysis.v1` API; [`server`] runs the service with health, reflection and a graceful
//! drain, over the connections of [`transport`]; [`config`] and [`telemetry`] serve the binary in `main.rs`.

pub mod commands;
pub mod config;
pub mod core;
pub mod grpc;
pub mod health;
pub mod metrics;
pub mod server;
pub mod telemetry;
pub mod transport;
