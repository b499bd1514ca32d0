//! baokan-bench: builds a deterministic newspaper corpus from real Chinese
//! news text and measures baokan at a chosen scale (parse, ingest, index
//! build, search in-process and over gRPC, concurrency, freshness, memory)
//! side by side with PostgreSQL `pg_trgm`, PostgreSQL bigram full-text search
//! and SQLite FTS5 trigram. `main.rs` is a thin CLI over `run`.

pub mod alternatives;
pub mod compare;
pub mod corpus;
pub mod host;
pub mod inprocess;
pub mod latency;
pub mod mix;
pub mod pipeline;
pub mod processes;
pub mod report;
pub mod run;
pub mod sources;
pub mod stats;
