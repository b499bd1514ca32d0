//! Answers of recent searches, so that a search asked again of the same
//! index (a results page reloaded, a popular query, a page of facets
//! revisited) is answered without being run again. An answer is kept under
//! the exact request, the searcher it came from (its generation, its
//! segments and their deletes) and the version of the learned dictionary:
//! any change to the index or to how queries are segmented gives new keys,
//! so an answer is never served stale. The cache holds the answers of one
//! index state at a time: the first answer kept under a new state drops the
//! others, which no current search can reach (a page token naming an older
//! state is answered, not kept). The least recently used answers go first
//! when the cache is over its size in bytes.

use std::sync::{Arc, Mutex};

use lru::LruCache;
use prometheus_client::metrics::counter::Counter;
use prost::Message;
use tantivy::index::SegmentId;
use tantivy::{Opstamp, Searcher};

use crate::proto::{SearchRequest, SearchResponse};

/// Bytes counted for an entry beyond its key and answer (the map's slot,
/// the list links, the allocations' headers).
const ENTRY_OVERHEAD_BYTES: usize = 160;

/// An answer larger than this share of the cache is not kept: one huge
/// page would push out many ordinary ones.
const LARGEST_SHARE: usize = 8;

/// The index state an answer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexState {
    /// The searcher's generation (page tokens name it).
    generation: u64,
    /// The searcher's segments, each with the opstamp of its deletes.
    segments: Vec<(SegmentId, Option<Opstamp>)>,
    /// Version of the words taught to the analyzer.
    dictionary: u64,
}

/// What an answer depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    state: IndexState,
    /// The request as encoded on the wire.
    request: Vec<u8>,
}

impl CacheKey {
    /// The key of `request` answered from `searcher`.
    pub fn new(searcher: &Searcher, request: &SearchRequest) -> Self {
        let generation = searcher.generation();
        CacheKey {
            state: IndexState {
                generation: generation.generation_id(),
                segments: generation.segments().iter().map(|(id, deletes)| (*id, *deletes)).collect(),
                dictionary: crate::analyzer::dictionary_version(),
            },
            request: request.encode_to_vec(),
        }
    }
}

/// Bytes an entry is counted for: its request, its answer and the overhead.
fn entry_bytes(key: &CacheKey, answer: &SearchResponse) -> usize {
    key.request.len() + answer.encoded_len() + ENTRY_OVERHEAD_BYTES
}

/// The answers of one index state (held once, not in every entry), by
/// encoded request, each with the bytes it is counted for, and their sum.
struct Entries {
    state: Option<IndexState>,
    answers: LruCache<Vec<u8>, (Arc<SearchResponse>, usize)>,
    bytes: usize,
}

/// Recent answers, at most `capacity_bytes` of them.
pub struct ResultCache {
    capacity_bytes: usize,
    entries: Mutex<Entries>,
    hits: Counter,
    misses: Counter,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCache").field("capacity_bytes", &self.capacity_bytes).finish_non_exhaustive()
    }
}

impl ResultCache {
    /// A cache of at most `capacity_bytes`; 0 keeps nothing.
    pub fn new(capacity_bytes: usize) -> Self {
        ResultCache {
            capacity_bytes,
            entries: Mutex::new(Entries { state: None, answers: LruCache::unbounded(), bytes: 0 }),
            hits: Counter::default(),
            misses: Counter::default(),
        }
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.capacity_bytes > 0
    }

    /// The answer kept under `key`, made the most recently used.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<SearchResponse>> {
        if !self.enabled() {
            return None;
        }
        let found = self.entries.lock().ok().and_then(|mut entries| {
            if entries.state.as_ref() != Some(&key.state) {
                return None;
            }
            entries.answers.get(&key.request).map(|(answer, _)| Arc::clone(answer))
        });
        match found {
            Some(_) => self.hits.inc(),
            None => self.misses.inc(),
        };
        found
    }

    /// Keeps `answer` under `key`, dropping the answers of any other index
    /// state, then the least recently used answers while over capacity. An
    /// answer too large for its share is not kept. Answer only from the
    /// current index state: an older one's answer would drop the current
    /// ones.
    pub fn insert(&self, key: CacheKey, answer: Arc<SearchResponse>) {
        let bytes = entry_bytes(&key, &answer);
        if !self.enabled() || bytes > self.capacity_bytes / LARGEST_SHARE {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.state.as_ref() != Some(&key.state) {
            entries.answers.clear();
            entries.bytes = 0;
            entries.state = Some(key.state.clone());
        }
        if let Some((_, (_, replaced))) = entries.answers.push(key.request, (answer, bytes)) {
            // The same key's earlier answer (no count limit: nothing else is pushed out).
            entries.bytes -= replaced;
        }
        entries.bytes += bytes;
        while entries.bytes > self.capacity_bytes {
            let Some((_, (_, dropped))) = entries.answers.pop_lru() else { break };
            entries.bytes -= dropped;
        }
    }

    /// Answers kept now and the bytes they hold.
    pub fn size(&self) -> (usize, usize) {
        self.entries.lock().map(|entries| (entries.answers.len(), entries.bytes)).unwrap_or((0, 0))
    }

    /// Searches answered from the cache (a counter for the metrics).
    pub fn hits(&self) -> Counter {
        self.hits.clone()
    }

    /// Searches looked up and not found (a counter for the metrics).
    pub fn misses(&self) -> Counter {
        self.misses.clone()
    }
}

/// Whether a request's `cache-control` metadata asks for a fresh search
/// (`no-cache`) and whether its answer may be kept (not `no-store`), as in
/// HTTP.
pub fn cache_directives(metadata: &tonic::metadata::MetadataMap) -> (bool, bool) {
    let mut fresh = false;
    let mut keep = true;
    for value in metadata.get_all("cache-control") {
        let Ok(text) = value.to_str() else { continue };
        for directive in text.split(',').map(|part| part.trim().to_ascii_lowercase()) {
            match directive.as_str() {
                "no-cache" => fresh = true,
                "no-store" => {
                    fresh = true;
                    keep = false;
                }
                _ => {}
            }
        }
    }
    (fresh, keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::SearchHit;

    fn key(request: &str) -> CacheKey {
        let state = IndexState { generation: 1, segments: Vec::new(), dictionary: 0 };
        CacheKey { state, request: request.as_bytes().to_vec() }
    }

    fn answer(total: u64, text_bytes: usize) -> Arc<SearchResponse> {
        let hit = SearchHit { snippet: "字".repeat(text_bytes / 3), ..SearchHit::default() };
        Arc::new(SearchResponse { total_hits: total, hits: vec![hit], ..SearchResponse::default() })
    }

    #[test]
    fn a_kept_answer_is_found_under_its_key_only() {
        let cache = ResultCache::new(1 << 20);
        cache.insert(key("健康"), answer(7, 300));
        assert_eq!(cache.get(&key("健康")).map(|a| a.total_hits), Some(7));
        assert!(cache.get(&key("健康 ")).is_none());
        let mut other_index = key("健康");
        other_index.state.generation = 2;
        assert!(cache.get(&other_index).is_none(), "another searcher's generation is another key");
        assert_eq!((cache.hits().get(), cache.misses().get()), (1, 2));
        // The first answer of the new state drops the old state's answers.
        cache.insert(other_index.clone(), answer(8, 300));
        assert!(cache.get(&key("健康")).is_none());
        assert_eq!(cache.get(&other_index).map(|a| a.total_hits), Some(8));
        assert_eq!(cache.size().0, 1);
    }

    #[test]
    fn the_least_recently_used_answers_go_first_and_the_bytes_stay_under_capacity() {
        let cache = ResultCache::new(64 * 1024);
        for n in 0..100 {
            cache.insert(key(&format!("q{n}")), answer(n, 3000));
            if n > 0 {
                // Keeps the first answer the most recently used.
                assert!(cache.get(&key("q0")).is_some(), "q0 pushed out at {n}");
            }
            let (_, bytes) = cache.size();
            assert!(bytes <= 64 * 1024, "{bytes} bytes");
        }
        assert!(cache.get(&key("q1")).is_none(), "the oldest unused answer went");
        assert!(cache.get(&key("q99")).is_some());
        let (entries, _) = cache.size();
        assert!((10..=21).contains(&entries), "{entries} entries of about 3 KB in 64 KB");
    }

    #[test]
    fn replacing_an_answer_counts_its_bytes_once_and_oversized_answers_are_not_kept() {
        let cache = ResultCache::new(64 * 1024);
        cache.insert(key("a"), answer(1, 3000));
        let (_, once) = cache.size();
        cache.insert(key("a"), answer(2, 3000));
        assert_eq!(cache.size(), (1, once));
        assert_eq!(cache.get(&key("a")).map(|a| a.total_hits), Some(2));
        cache.insert(key("big"), answer(3, 64 * 1024 / LARGEST_SHARE));
        assert!(cache.get(&key("big")).is_none());
    }

    #[test]
    fn a_cache_of_size_zero_keeps_nothing() {
        let cache = ResultCache::new(0);
        cache.insert(key("a"), answer(1, 30));
        assert!(cache.get(&key("a")).is_none());
        assert_eq!(cache.size(), (0, 0));
    }

    #[test]
    fn a_key_changes_with_the_index_and_with_the_learned_names() {
        let mut schema = tantivy::schema::Schema::builder();
        let field = schema.add_text_field("text", tantivy::schema::STRING);
        let index = tantivy::Index::create_in_ram(schema.build());
        let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().unwrap();
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(tantivy::doc!(field => "甲")).unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        let request = SearchRequest { query: "甲".into(), ..SearchRequest::default() };
        let before = CacheKey::new(&reader.searcher(), &request);
        assert_eq!(before, CacheKey::new(&reader.searcher(), &request), "same searcher, same request");

        writer.add_document(tantivy::doc!(field => "乙")).unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        let added = CacheKey::new(&reader.searcher(), &request);
        assert_ne!(before.state.segments, added.state.segments);

        let name = "缓存测试名".to_string();
        assert_eq!(crate::analyzer::learn_words(std::slice::from_ref(&name)), [name]);
        assert_ne!(added, CacheKey::new(&reader.searcher(), &request), "queries may segment otherwise now");
    }

    #[test]
    fn cache_control_is_read_as_in_http() {
        let mut metadata = tonic::metadata::MetadataMap::new();
        assert_eq!(cache_directives(&metadata), (false, true));
        metadata.insert("cache-control", "max-age=0, No-Cache".parse().unwrap());
        assert_eq!(cache_directives(&metadata), (true, true));
        metadata.insert("cache-control", "no-store".parse().unwrap());
        assert_eq!(cache_directives(&metadata), (true, false));
    }
}
