//! The bit sets of a word's long posting lists, remembered per segment.
//!
//! A two-word search, a word within a filter and a word's facets start from
//! a bit per document of each word's "in headline or body" lists (see
//! `conjunction.rs`). For a common word at a million articles that decoding
//! was the largest part of the search (`经济 合作`: 45 % of its CPU, every
//! time it was asked, though a segment's postings never change). The words
//! people search most are the common ones, so the union of a long list set
//! is kept here after it was first decoded, by segment and terms, and the
//! next search that needs it intersects the remembered bits instead (a few
//! microseconds for a segment of half a million articles).
//!
//! Only unions holding at least one document in [`REMEMBER_FROM_ONE_IN`]
//! of the segment are kept: a short list decodes about as fast as a kept
//! bit set is intersected, and is not worth its memory. The bits are the
//! postings as written; deleted documents are cleared by the caller, as
//! with freshly decoded bits. Memory is bounded (`--word-bits-cache-mib`),
//! least recently used first out; segments merged away are never asked
//! again and age out the same way.

use std::sync::{Arc, LazyLock, Mutex};

use lru::LruCache;
use tantivy::index::SegmentId;
use tantivy::{SegmentReader, Term};

use crate::doc_bits::DocBits;

/// Default memory for remembered bit sets: 500 common words or more at a
/// million articles (a word's "in headline or body" and "in headline"
/// unions, at most 62 KiB each in each of two segments).
pub const DEFAULT_CAPACITY_MIB: usize = 128;

/// A union is kept when it holds at least one document in this many of
/// its segment's.
pub const REMEMBER_FROM_ONE_IN: u32 = 128;

/// Bytes an entry costs besides its bits and key (map slot, list links, `Arc`).
const ENTRY_OVERHEAD: usize = 96;

/// A segment and the sorted serialized terms whose postings were united.
type Key = (SegmentId, Vec<u8>);

/// Remembered unions of posting lists, least recently used first out.
pub struct WordBits {
    entries: Mutex<Entries>,
}

struct Entries {
    lru: LruCache<Key, Arc<DocBits>>,
    bytes: usize,
    capacity: usize,
}

impl Entries {
    fn evict_to(&mut self, capacity: usize) {
        while self.bytes > capacity {
            let Some((key, bits)) = self.lru.pop_lru() else {
                self.bytes = 0;
                return;
            };
            self.bytes = self.bytes.saturating_sub(entry_bytes(&key, &bits));
        }
    }
}

fn entry_bytes(key: &Key, bits: &DocBits) -> usize {
    key.1.len() + std::mem::size_of_val(bits.words()) + ENTRY_OVERHEAD
}

/// The key of `terms` in the segment: the same whatever their order.
fn key_of(segment: SegmentId, terms: &[&Term]) -> Key {
    let mut serialized: Vec<&[u8]> = terms.iter().map(|term| term.serialized_term()).collect();
    serialized.sort_unstable();
    let mut bytes = Vec::with_capacity(serialized.iter().map(|term| term.len() + 4).sum());
    for term in serialized {
        bytes.extend_from_slice(&(term.len() as u32).to_le_bytes());
        bytes.extend_from_slice(term);
    }
    (segment, bytes)
}

impl WordBits {
    /// Remembers at most `capacity` bytes (0: nothing).
    pub fn new(capacity: usize) -> Self {
        WordBits { entries: Mutex::new(Entries { lru: LruCache::unbounded(), bytes: 0, capacity }) }
    }

    /// Sets the memory bound, forgetting the least recently used unions
    /// beyond it.
    pub fn set_capacity(&self, capacity: usize) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.capacity = capacity;
            entries.evict_to(capacity);
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.bytes)
    }

    /// The remembered union of `terms`' postings in the segment, if any.
    pub(crate) fn get(&self, reader: &SegmentReader, terms: &[&Term]) -> Option<Arc<DocBits>> {
        let key = key_of(reader.segment_id(), terms);
        let mut entries = self.entries.lock().ok()?;
        entries.lru.get(&key).map(Arc::clone)
    }

    /// The documents of the segment in any of `terms`' postings (deleted
    /// ones included): the remembered bits, or decoded now and remembered
    /// when long enough (see module docs).
    pub(crate) fn union_of(&self, reader: &SegmentReader, terms: &[&Term]) -> tantivy::Result<Arc<DocBits>> {
        if let Some(bits) = self.get(reader, terms) {
            return Ok(bits);
        }
        let mut bits = DocBits::empty(reader.max_doc());
        let long = decode(reader, terms, &mut bits)?;
        let bits = Arc::new(bits);
        if long {
            self.remember(key_of(reader.segment_id(), terms), Arc::clone(&bits));
        }
        Ok(bits)
    }

    /// Makes `bits` (of the segment's size) the documents of `terms`'
    /// postings, decoded now, and remembers a copy when the union is long
    /// enough: for a search that keeps a bit set to decode into, so a word
    /// whose lists are short costs no new bit set.
    pub(crate) fn decode_into(
        &self,
        reader: &SegmentReader,
        terms: &[&Term],
        bits: &mut DocBits,
    ) -> tantivy::Result<()> {
        if decode(reader, terms, bits)? {
            self.remember(key_of(reader.segment_id(), terms), Arc::new(bits.clone()));
        }
        Ok(())
    }

    fn remember(&self, key: Key, bits: Arc<DocBits>) {
        let Ok(mut entries) = self.entries.lock() else { return };
        let size = entry_bytes(&key, &bits);
        if size > entries.capacity {
            return;
        }
        if let Some(replaced) = entries.lru.put(key.clone(), bits) {
            entries.bytes = entries.bytes.saturating_sub(entry_bytes(&key, &replaced));
        }
        entries.bytes += size;
        let capacity = entries.capacity;
        entries.evict_to(capacity);
    }
}

/// Makes `bits` (of the segment's size) the documents of `terms`'
/// postings; true when they are enough to be remembered (see module docs).
fn decode(reader: &SegmentReader, terms: &[&Term], bits: &mut DocBits) -> tantivy::Result<bool> {
    bits.clear_all();
    for term in terms {
        bits.add_postings(reader, term)?;
    }
    Ok(bits.len() >= (reader.max_doc() / REMEMBER_FROM_ONE_IN).max(1))
}

/// The unions every search shares, bounded by [`set_capacity`].
static SHARED: LazyLock<WordBits> = LazyLock::new(|| WordBits::new(DEFAULT_CAPACITY_MIB * 1024 * 1024));

/// The shared unions.
pub(crate) fn shared() -> &'static WordBits {
    &SHARED
}

/// Sets the shared unions' memory bound, in bytes (the service's
/// `--word-bits-cache-mib`).
pub fn set_capacity(bytes: usize) {
    SHARED.set_capacity(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index, IndexWriter};

    /// One segment of 1,000 documents: `common` in every third, `rare` in
    /// the first only, `other` in every fifth.
    fn segment() -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("word", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..1000u32 {
            let mut document = doc!();
            if i % 3 == 0 {
                document.add_text(field, "common");
            }
            if i % 5 == 0 {
                document.add_text(field, "other");
            }
            if i == 0 {
                document.add_text(field, "rare");
            }
            writer.add_document(document).unwrap();
        }
        writer.commit().unwrap();
        (index, field)
    }

    #[test]
    fn a_long_union_is_decoded_once_and_equals_its_postings_whatever_the_term_order() {
        let (index, field) = segment();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let (common, other) = (Term::from_field_text(field, "common"), Term::from_field_text(field, "other"));
        let remembered = WordBits::new(1 << 20);
        let first = remembered.union_of(reader, &[&common, &other]).unwrap();
        let expected: Vec<u32> = (0..1000).filter(|i| i % 3 == 0 || i % 5 == 0).collect();
        assert_eq!(first.docs(), expected);
        let again = remembered.union_of(reader, &[&other, &common]).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second search reads the remembered bits");
        assert!(remembered.get(reader, &[&common, &other]).is_some());
        assert!(remembered.get(reader, &[&common]).is_none(), "another set of terms is another union");
        assert!(remembered.bytes() > 0);

        // Decoding into a search's own bit set clears it first, and keeps a copy.
        let fresh = WordBits::new(1 << 20);
        let mut bits = DocBits::full(reader.max_doc());
        fresh.decode_into(reader, &[&common, &other], &mut bits).unwrap();
        assert_eq!(bits.docs(), expected);
        assert_eq!(fresh.get(reader, &[&other, &common]).unwrap().docs(), expected);
    }

    #[test]
    fn a_short_list_is_not_remembered() {
        let (index, field) = segment();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let rare = Term::from_field_text(field, "rare");
        let remembered = WordBits::new(1 << 20);
        assert_eq!(remembered.union_of(reader, &[&rare]).unwrap().docs(), [0]);
        assert!(remembered.get(reader, &[&rare]).is_none());
        assert_eq!(remembered.bytes(), 0);
    }

    #[test]
    fn memory_is_bounded_least_recently_used_first_out() {
        let (index, field) = segment();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let (common, other) = (Term::from_field_text(field, "common"), Term::from_field_text(field, "other"));
        let nothing = WordBits::new(0);
        nothing.union_of(reader, &[&common]).unwrap();
        assert!(nothing.get(reader, &[&common]).is_none(), "a capacity of 0 keeps nothing");

        let one = entry_bytes(&key_of(reader.segment_id(), &[&common]), &DocBits::empty(reader.max_doc()));
        let remembered = WordBits::new(one + one / 2);
        remembered.union_of(reader, &[&common]).unwrap();
        remembered.union_of(reader, &[&other]).unwrap();
        assert!(remembered.get(reader, &[&common]).is_none(), "the older union made room");
        assert!(remembered.get(reader, &[&other]).is_some());
        assert!(remembered.bytes() <= one + one / 2);
        remembered.set_capacity(0);
        assert_eq!(remembered.bytes(), 0);
        assert!(remembered.get(reader, &[&other]).is_none());
    }
}
