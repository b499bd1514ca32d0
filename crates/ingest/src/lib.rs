//! baokan-ingest: reads newspaper page files (any common encoding), splits
//! each page into articles, and writes pages and articles to PostgreSQL, one
//! transaction per page. The binary in `main.rs` is a thin CLI over this.

pub mod article_rows;
pub mod decode;
pub mod entities;
pub mod evaluate;
pub mod json;
pub mod jumps;
pub mod links;
pub mod metadata;
pub mod metrics;
pub mod names;
pub mod page_file;
pub mod parse;
pub mod progress;
pub mod run;
pub mod simhash;
pub mod store;
pub mod text;
pub mod walk;
pub mod watch;
