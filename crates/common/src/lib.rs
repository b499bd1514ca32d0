//! Shared pieces of baokan: the article model both binaries agree on, the
//! PostgreSQL schema (embedded migrations) and connection helpers, and the
//! tracing setup and the Prometheus endpoint. This crate does no parsing and no indexing.

pub mod db;
pub mod metrics_http;
pub mod model;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{DbError, MIGRATOR};
pub use model::{ArticleKind, ParsedArticle, Section};
