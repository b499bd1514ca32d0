//! Generated gRPC types for package `baokan.v1`, and the descriptor set
//! served by reflection. Proto types stay at the service edge.

#![allow(clippy::all, missing_docs)]

tonic::include_proto!("baokan.v1");

/// Encoded file descriptor set of `proto/`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("baokan_descriptor");
