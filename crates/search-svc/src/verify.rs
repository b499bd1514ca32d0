//! Compares the index with PostgreSQL: the same article ids on both sides,
//! and for each article the content checksum stored at indexing time equals
//! the checksum of its current row. Used by the `VerifyIndex` RPC and the
//! `baokan-search verify` command.

use std::collections::HashMap;

use sqlx::PgPool;
use tantivy::Searcher;

use crate::document::load_articles_after;
use crate::error::SearchError;

/// Rows read from PostgreSQL per batch.
const BATCH: i64 = 2000;
/// Ids listed per kind of difference.
pub const MAX_LISTED: usize = 100;

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub postgres_articles: u64,
    pub index_documents: u64,
    /// In PostgreSQL, not in the index (first ids).
    pub missing_in_index: Vec<i64>,
    /// In the index, not in PostgreSQL (first ids).
    pub missing_in_postgres: Vec<i64>,
    /// In both, with different content (first ids).
    pub stale: Vec<i64>,
    /// Number of differing articles of all kinds.
    pub differences: u64,
}

impl VerifyReport {
    /// True when the index equals PostgreSQL.
    pub fn equal(&self) -> bool {
        self.differences == 0
    }
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "postgres articles {}, index documents {}, differences {} (missing in index {:?}, missing in postgres {:?}, stale {:?})",
            self.postgres_articles,
            self.index_documents,
            self.differences,
            self.missing_in_index,
            self.missing_in_postgres,
            self.stale
        )
    }
}

/// Reads (id, checksum) of every live document of a searcher.
pub fn index_checksums(searcher: &Searcher) -> Result<HashMap<i64, u64>, SearchError> {
    let mut checksums = HashMap::new();
    for segment in searcher.segment_readers() {
        let ids = segment.fast_fields().u64("id")?;
        let sums = segment.fast_fields().u64("checksum")?;
        for doc in segment.doc_ids_alive() {
            if let Some(id) = ids.first(doc) {
                checksums.insert(id as i64, sums.first(doc).unwrap_or(0));
            }
        }
    }
    Ok(checksums)
}

/// Compares PostgreSQL with the index's checksums.
pub async fn verify(pool: &PgPool, mut indexed: HashMap<i64, u64>) -> Result<VerifyReport, SearchError> {
    let mut report = VerifyReport { index_documents: indexed.len() as u64, ..VerifyReport::default() };
    let mut after = 0i64;
    loop {
        let rows = load_articles_after(pool, after, BATCH).await.map_err(SearchError::Unavailable)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in &rows {
            report.postgres_articles += 1;
            match indexed.remove(&row.id) {
                None => {
                    report.differences += 1;
                    if report.missing_in_index.len() < MAX_LISTED {
                        report.missing_in_index.push(row.id);
                    }
                }
                Some(sum) if sum != row.checksum() => {
                    report.differences += 1;
                    if report.stale.len() < MAX_LISTED {
                        report.stale.push(row.id);
                    }
                }
                Some(_) => {}
            }
        }
    }
    let mut leftover: Vec<i64> = indexed.into_keys().collect();
    leftover.sort_unstable();
    report.differences += leftover.len() as u64;
    report.missing_in_postgres = leftover.into_iter().take(MAX_LISTED).collect();
    Ok(report)
}
