//! Limits on what one request may ask and on how much the service does at
//! once. Every limit is a setting (see `main.rs` and README); a request over
//! a limit gets `INVALID_ARGUMENT` naming the limit, and a request beyond the
//! concurrency limits gets `RESOURCE_EXHAUSTED` at once instead of queueing.
//! Admitted requests run their index work on `search_threads` threads, in
//! arrival order ([`crate::search_pool`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::SearchError;
use crate::query::QueryNode;

/// Threads for index work by default: one per core the process may use,
/// at least two. Searches on an index in memory are bound by the CPU, so
/// more threads than cores only share the cores by time slices: at 16
/// clients on 1M articles, two threads on two cores gave a lower p99 in
/// each of 9 alternating pairs against four (1.5 per core + 1, as
/// Elasticsearch's pool, whose searches also wait on disks) and the same
/// throughput (BENCHMARKS.md, sixteenth and twenty-fifth sessions). An
/// index on slow storage, or a few slow searches that must not hold the
/// threads, is served better with more (`--search-threads`).
pub fn default_search_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    cores.max(2)
}

/// The configurable limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest query, in characters.
    pub max_query_chars: usize,
    /// Most words and phrases in one query.
    pub max_query_terms: usize,
    /// Largest page size.
    pub max_page_size: usize,
    /// Longest snippet, in characters.
    pub max_snippet_chars: usize,
    /// Most values in one filter list (papers, pages, authors).
    pub max_filter_values: usize,
    /// Requests handled at once (beyond: RESOURCE_EXHAUSTED).
    pub max_concurrent_requests: usize,
    /// Export streams open at once (beyond: RESOURCE_EXHAUSTED).
    pub max_concurrent_exports: usize,
    /// Threads that run searches and other index work; admitted requests
    /// beyond them wait their turn.
    pub search_threads: usize,
    /// Articles per second one export stream sends (0: no limit).
    pub export_articles_per_second: u32,
    /// Largest request message, in bytes.
    pub max_request_bytes: usize,
    /// Largest response message, in bytes.
    pub max_response_bytes: usize,
    /// Longest time any request may run (a client's shorter deadline wins).
    pub request_timeout: Duration,
    /// Memory for the answers of recent searches, in MiB (0: none kept).
    pub result_cache_mib: usize,
    /// Memory for remembered bit sets of common words' posting lists, in
    /// MiB (0: every search decodes its lists; see `word_bits.rs`).
    pub word_bits_cache_mib: usize,
}

/// Hard ceilings: settings above these are refused at start.
pub const CEILING_QUERY_CHARS: usize = crate::query::MAX_QUERY_CHARS;
pub const CEILING_PAGE_SIZE: usize = 1000;
pub const CEILING_SNIPPET_CHARS: usize = 10_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_query_chars: 1000,
            max_query_terms: 64,
            max_page_size: 100,
            max_snippet_chars: 1000,
            max_filter_values: 100,
            max_concurrent_requests: 256,
            max_concurrent_exports: 4,
            search_threads: default_search_threads(),
            export_articles_per_second: 5000,
            max_request_bytes: 256 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            result_cache_mib: 64,
            word_bits_cache_mib: crate::word_bits::DEFAULT_CAPACITY_MIB,
        }
    }
}

/// A limit setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LimitsError(String);

impl Limits {
    /// Checks the settings are usable; the message names the setting.
    pub fn validate(&self) -> Result<(), LimitsError> {
        let range = |name: &str, value: usize, low: usize, high: usize| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(LimitsError(format!("{name} must be between {low} and {high}, got {value}")))
            }
        };
        range("--max-query-chars", self.max_query_chars, 1, CEILING_QUERY_CHARS)?;
        range("--max-query-terms", self.max_query_terms, 1, 10_000)?;
        range("--max-page-size", self.max_page_size, 1, CEILING_PAGE_SIZE)?;
        range("--max-snippet-chars", self.max_snippet_chars, 1, CEILING_SNIPPET_CHARS)?;
        range("--max-filter-values", self.max_filter_values, 1, 100_000)?;
        range("--max-concurrent-requests", self.max_concurrent_requests, 1, Semaphore::MAX_PERMITS)?;
        range("--max-concurrent-exports", self.max_concurrent_exports, 1, Semaphore::MAX_PERMITS)?;
        range("--search-threads", self.search_threads, 1, 1024)?;
        range("--max-request-bytes", self.max_request_bytes, 1024, 64 * 1024 * 1024)?;
        range("--max-response-bytes", self.max_response_bytes, 64 * 1024, 1024 * 1024 * 1024)?;
        range("--result-cache-mib", self.result_cache_mib, 0, 1024 * 1024)?;
        range("--word-bits-cache-mib", self.word_bits_cache_mib, 0, 1024 * 1024)?;
        if self.request_timeout.is_zero() {
            return Err(LimitsError("--request-timeout-secs must be positive".into()));
        }
        Ok(())
    }

    /// Refuses a query longer than the limit (checked before parsing).
    pub fn check_query_text(&self, query: &str) -> Result<(), SearchError> {
        let chars = query.chars().count();
        if chars > self.max_query_chars {
            return Err(SearchError::InvalidArgument(format!(
                "query has {chars} characters, at most {} allowed (--max-query-chars)",
                self.max_query_chars
            )));
        }
        Ok(())
    }

    /// Refuses a parsed query with too many words and phrases.
    pub fn check_query_terms(&self, query: &QueryNode) -> Result<(), SearchError> {
        let terms = count_terms(query);
        if terms > self.max_query_terms {
            return Err(SearchError::InvalidArgument(format!(
                "query has {terms} words and phrases, at most {} allowed (--max-query-terms)",
                self.max_query_terms
            )));
        }
        Ok(())
    }
}

/// Words and phrases in a query tree.
pub fn count_terms(node: &QueryNode) -> usize {
    match node {
        QueryNode::Term { .. } => 1,
        QueryNode::And(parts) | QueryNode::Or(parts) => parts.iter().map(count_terms).sum(),
        QueryNode::Not(inner) => count_terms(inner),
    }
}

/// Permits for requests and exports: taken without waiting.
#[derive(Debug, Clone)]
pub struct Admission {
    requests: Arc<Semaphore>,
    exports: Arc<Semaphore>,
    request_limit: usize,
    export_limit: usize,
}

impl Admission {
    pub fn new(limits: &Limits) -> Self {
        Admission {
            requests: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            exports: Arc::new(Semaphore::new(limits.max_concurrent_exports)),
            request_limit: limits.max_concurrent_requests,
            export_limit: limits.max_concurrent_exports,
        }
    }

    /// A permit for one request, or RESOURCE_EXHAUSTED when all are taken.
    pub fn request(&self) -> Result<OwnedSemaphorePermit, SearchError> {
        Arc::clone(&self.requests).try_acquire_owned().map_err(|_| {
            SearchError::ResourceExhausted(format!(
                "server busy: {} requests in progress (--max-concurrent-requests); retry with backoff",
                self.request_limit
            ))
        })
    }

    /// A permit for one export stream, held until the stream ends.
    pub fn export(&self) -> Result<OwnedSemaphorePermit, SearchError> {
        Arc::clone(&self.exports).try_acquire_owned().map_err(|_| {
            SearchError::ResourceExhausted(format!(
                "{} exports in progress (--max-concurrent-exports); retry when one has finished",
                self.export_limit
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse_query;

    #[test]
    fn searches_run_on_one_thread_per_core_and_never_fewer_than_two() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        assert_eq!(Limits::default().search_threads, cores.max(2));
        assert!(Limits::default().search_threads >= 2);
    }

    #[test]
    fn defaults_are_valid_and_bad_settings_name_themselves() {
        assert!(Limits::default().validate().is_ok());
        let error = Limits { max_page_size: 0, ..Limits::default() }.validate().unwrap_err();
        assert_eq!(error.to_string(), "--max-page-size must be between 1 and 1000, got 0");
    }

    #[test]
    fn terms_are_counted_through_the_tree() {
        let query = parse_query("(甲 OR 乙) -丙 title:\"丁 戊\"").unwrap();
        assert_eq!(count_terms(&query), 4);
        let limits = Limits { max_query_terms: 3, ..Limits::default() };
        let error = limits.check_query_terms(&query).unwrap_err().to_string();
        assert!(error.contains("4 words and phrases, at most 3"), "{error}");
    }

    #[test]
    fn admission_refuses_instead_of_queueing() {
        let admission = Admission::new(&Limits { max_concurrent_requests: 1, ..Limits::default() });
        let held = admission.request().unwrap();
        assert!(matches!(admission.request(), Err(SearchError::ResourceExhausted(_))));
        drop(held);
        assert!(admission.request().is_ok());
    }
}
