//! The integration tests, in one binary (one link of the crate and its embedded data, instead
//! of one per file). Each module is one concern; `common` holds what they share.

#![allow(unreachable_pub)]

mod accurate;
mod binary;
mod classify;
mod common;
mod container;
mod dictionary;
mod differential;
mod errors;
mod fleet;
mod grpcurl;
mod hostile;
mod hostile_http1;
mod http;
mod lifecycle;
mod metrics;
mod parity;
mod playground;
mod profiles;
mod security;
mod service;
mod tenant_limits;
mod tenants;
mod tls;
mod traditional;
mod volume;
