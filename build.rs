//! Compiles `proto/` in pure Rust (protox), so no `protoc` is needed anywhere, and writes the
//! encoded descriptor set that the reflection service serves (with comments, for `grpcurl describe`);
//! the HTTP/JSON routes, transcoders and OpenAPI document from the proto's `google.api.http`
//! annotations (`build/http_api.rs`) and the messages' JSON mapping (pbjson); and writes the
//! Traditional-to-Simplified tables (`build/script_tables.rs`).

use std::path::PathBuf;

#[path = "build/http_api.rs"]
mod http_api;
#[path = "build/script_tables.rs"]
mod script_tables;

const PROTO: &str = "proto/textanalysis/v1/textanalysis.proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    // The default model is embedded when it exists (it always does in the repository; only the
    // very first build that trains it runs without).
    println!("cargo::rustc-check-cfg=cfg(builtin_model)");
    println!("cargo:rerun-if-changed=models/sentiment.model");
    if std::path::Path::new("models/sentiment.model").is_file() {
        println!("cargo:rustc-cfg=builtin_model");
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed=build");
    script_tables::write(&out_dir)?;

    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files([PROTO])?;
    let descriptors = compiler.file_descriptor_set();
    // Encoded with the options' extensions (the HTTP routes), which prost's types drop.
    let encoded = compiler.encode_file_descriptor_set();
    std::fs::write(out_dir.join("textanalysis_descriptor.bin"), &encoded)?;
    http_api::write(&compiler.descriptor_pool(), &out_dir)?;
    // The canonical JSON mapping of every message, for the HTTP/JSON door.
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .out_dir(&out_dir)
        .build(&[".textanalysis.v1"])?;

    // Messages and clients, as every client sees them.
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_fds(descriptors.clone())?;
    // The servers, with every message taken from the module above except Segment's answer,
    // which the server encodes straight from the tokens (src/grpc/wire.rs); included into the
    // same module, so the servers' paths are the usual ones.
    let server_dir = out_dir.join("server");
    std::fs::create_dir_all(&server_dir)?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .out_dir(&server_dir)
        .extern_path(".textanalysis.v1", "crate::grpc::pb")
        .extern_path(
            ".textanalysis.v1.SegmentResponse",
            "crate::grpc::wire::SegmentResponse",
        )
        .compile_fds(descriptors)?;
    Ok(())
}
