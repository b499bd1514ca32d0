//! baokan-search: a tonic gRPC service over a tantivy index (Chinese analysed
//! with jieba-rs plus character bigrams) that it keeps equal to PostgreSQL by
//! following the article change log. `main.rs` is a thin CLI over `server`.

pub mod analyzer;
pub mod auth;
pub mod cancel;
pub mod checksum;
pub mod conjunction;
pub mod day_sorted;
mod day_table;
mod deleted_docs;
pub mod dictionary;
mod doc_bits;
pub mod document;
pub mod editions;
pub mod error;
pub mod explore;
pub mod facet_counts;
mod facet_values;
pub mod filter_bits;
pub mod headline_first;
pub mod health_check;
pub mod highlight;
pub mod index;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod parallel;
pub mod proto;
pub mod query;
pub mod ranked_top;
pub mod result_cache;
pub mod schema;
pub mod search;
pub mod search_pool;
mod segment_memo;
pub mod server;
pub mod service;
pub mod stored_doc;
pub mod sync;
pub mod verify;
pub mod word_bits;
