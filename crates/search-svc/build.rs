//! Compiles `proto/` into Rust (tonic + prost) with a vendored protoc, and
//! writes the descriptor set that gRPC reflection serves.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; prost-build reads PROTOC.
    unsafe { std::env::set_var("PROTOC", protoc) };
    // At run time, not `env!`: a build script binary compiled for one checkout
    // is reused by cargo for another checkout sharing the target folder.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", proto_root.display());
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("baokan_descriptor.bin"))
        .compile_protos(&[proto_root.join("baokan/v1/search.proto")], &[proto_root])?;
    Ok(())
}
