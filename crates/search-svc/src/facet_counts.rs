//! Counts hits per value of a few facet roots (`/paper`, `/month`, ...) and
//! keeps the largest. tantivy's `FacetCollector` turns every counted ordinal
//! into a string with one dictionary lookup each (a zstd block decompressed
//! per lookup), which costs ~10 µs per distinct value: with rare author names
//! that is tens of milliseconds per query. This collector counts ordinals in
//! a flat array, keeps per segment only the values that can reach the top
//! (`KEEP_PER_SEGMENT`), and resolves them in one sorted pass over the
//! dictionary. Counts are exact for values kept in every segment; a value
//! pruned in some segment (possible only with many values tied low) may be
//! undercounted, as with Elasticsearch's shard_size.
//!
//! Every dictionary block read decompresses with a fresh zstd context, which
//! costs more than counting thousands of hits; so each segment's root ranges
//! and the values already resolved are remembered ([`SegmentTerms`]: a
//! segment never changes), and a query only reads the blocks of values no
//! earlier query asked for.
//!
//! Reading a hit's ordinals from the multi-valued column goes through a
//! dynamic call per value (about 25 values per article: paper, dates, kind,
//! authors, names), which made a common word's facets cost 65 ms at a
//! million articles. So each segment's ordinals inside the counted roots are
//! also remembered once as one flat table ([`SegmentOrdinals`], 4 bytes a
//! value), and counting a hit is a walk over a slice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentReader};

/// Segments whose ranges and values are remembered (oldest forgotten first).
const REMEMBERED_SEGMENTS: usize = 64;
/// Values remembered per segment; beyond it the segment's values are dropped
/// and resolved again (bounds memory on archives with millions of names).
const REMEMBERED_VALUES: usize = 200_000;
/// Bytes of ordinal tables kept over all segments: a new table makes the
/// oldest others go (segments merged away are never asked again). About
/// 100 MB holds a million articles.
const REMEMBERED_TABLE_BYTES: usize = 256 * 1024 * 1024;

/// What is remembered of one segment's facet dictionary.
#[derive(Debug, Default)]
struct SegmentTerms {
    /// Ordinal range of each root, by root name.
    ranges: HashMap<&'static str, (u64, u64)>,
    /// Values resolved so far, by ordinal (the part after the root).
    values: HashMap<u64, Arc<str>>,
    /// Every document's ordinals in the counted span, once read.
    ordinals: Option<Arc<SegmentOrdinals>>,
}

/// Each document's facet ordinals inside one span of ordinals `[first, last)`,
/// flattened: document `d`'s are `ords[starts[d]..starts[d + 1]]`, as offsets
/// from `first`.
#[derive(Debug)]
struct SegmentOrdinals {
    span: (u64, u64),
    starts: Vec<usize>,
    ords: Vec<u32>,
}

impl SegmentOrdinals {
    /// Reads every document's ordinals in `span` from the column, or None when
    /// the span is too wide for 4-byte offsets.
    fn read(column: &tantivy::columnar::StrColumn, max_doc: DocId, span: (u64, u64)) -> Option<SegmentOrdinals> {
        let (first, last) = span;
        if last.saturating_sub(first) > u64::from(u32::MAX) {
            return None;
        }
        let mut starts = Vec::with_capacity(max_doc as usize + 1);
        let mut ords = Vec::new();
        for doc in 0..max_doc {
            starts.push(ords.len());
            ords.extend(
                column.term_ords(doc).filter(|ord| (first..last).contains(ord)).map(|ord| (ord - first) as u32),
            );
        }
        starts.push(ords.len());
        ords.shrink_to_fit();
        Some(SegmentOrdinals { span, starts, ords })
    }

    /// Memory held by the table.
    fn bytes(&self) -> usize {
        self.starts.capacity() * std::mem::size_of::<usize>() + self.ords.capacity() * std::mem::size_of::<u32>()
    }

    /// The ordinals of one document (offsets from the span's start).
    fn of(&self, doc: DocId) -> &[u32] {
        let doc = doc as usize;
        match (self.starts.get(doc), self.starts.get(doc + 1)) {
            (Some(&from), Some(&to)) => self.ords.get(from..to).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// The remembered segments, and the order they were first seen in.
type Remembered = (HashMap<SegmentId, Arc<Mutex<SegmentTerms>>>, VecDeque<SegmentId>);

/// The remembered segments, shared by every search (segment ids are unique).
static SEGMENT_TERMS: LazyLock<Mutex<Remembered>> = LazyLock::new(|| Mutex::new((HashMap::new(), VecDeque::new())));

/// The remembered terms of a segment, created on first use.
fn segment_terms(segment: SegmentId) -> Arc<Mutex<SegmentTerms>> {
    let Ok(mut guard) = SEGMENT_TERMS.lock() else { return Arc::default() };
    let (map, order) = &mut *guard;
    if let Some(terms) = map.get(&segment) {
        return Arc::clone(terms);
    }
    while order.len() >= REMEMBERED_SEGMENTS {
        if let Some(oldest) = order.pop_front() {
            map.remove(&oldest);
        }
    }
    let terms: Arc<Mutex<SegmentTerms>> = Arc::default();
    map.insert(segment, Arc::clone(&terms));
    order.push_back(segment);
    terms
}

/// Drops the ordinal tables of the oldest segments other than `keep` until
/// the tables fit in `cap` bytes. Segments in use by another search are
/// skipped (never waited for).
fn trim_tables(keep: SegmentId, cap: usize) {
    let Ok(guard) = SEGMENT_TERMS.lock() else { return };
    let (map, order) = &*guard;
    let held = |id: &SegmentId| -> usize {
        map.get(id)
            .and_then(|terms| terms.try_lock().ok().map(|t| t.ordinals.as_ref().map_or(0, |o| o.bytes())))
            .unwrap_or(0)
    };
    let mut total: usize = order.iter().map(held).sum();
    for id in order.iter().filter(|id| **id != keep) {
        if total <= cap {
            break;
        }
        if let Some(Ok(mut terms)) = map.get(id).map(|terms| terms.try_lock()) {
            total -= terms.ordinals.take().map_or(0, |o| o.bytes());
        }
    }
}

/// Values kept per root and segment before merging.
const KEEP_PER_SEGMENT: usize = 200;

/// Counts per root: value → hits, merged over segments.
pub type RootCounts = Vec<HashMap<String, u64>>;

/// Counts hits by facet value under each of `roots` (e.g. "paper").
pub struct FacetTopCounts {
    pub field: &'static str,
    pub roots: &'static [&'static str],
}

pub struct SegmentFacetCounts {
    reader: tantivy::columnar::StrColumn,
    /// The segment's ordinals as a flat table (None: read from the column).
    ordinals: Option<Arc<SegmentOrdinals>>,
    remembered: Arc<Mutex<SegmentTerms>>,
    /// Ordinal ranges `[from, to)` of each root in this segment's dictionary.
    ranges: Vec<(u64, u64)>,
    counts: Vec<u32>,
    first: u64,
}

/// The ordinals `[from, to)` of terms starting with `root` + separator.
fn root_range(dictionary: &tantivy::columnar::Dictionary, root: &str) -> tantivy::Result<(u64, u64)> {
    use std::ops::Bound;
    let mut from = root.as_bytes().to_vec();
    from.push(0);
    let mut to = root.as_bytes().to_vec();
    to.push(1);
    let terms = dictionary.num_terms() as u64;
    let (lower, upper) = dictionary.term_bounds_to_ord(Bound::Included(from), Bound::Excluded(to))?;
    let from = match lower {
        Bound::Included(ord) => ord,
        Bound::Excluded(ord) => ord.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let to = match upper {
        Bound::Excluded(ord) => ord,
        Bound::Included(ord) => ord.saturating_add(1),
        Bound::Unbounded => terms,
    };
    Ok((from.min(terms), to.min(terms).max(from.min(terms))))
}

impl Collector for FacetTopCounts {
    type Fruit = RootCounts;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _ordinal: u32, segment: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let str_column = segment
            .fast_fields()
            .str(self.field)?
            .ok_or_else(|| tantivy::TantivyError::SchemaError(format!("{} is not a facet field", self.field)))?;
        let remembered = segment_terms(segment.segment_id());
        let ranges = {
            let mut terms = remembered.lock().map_err(|_| poisoned())?;
            let mut ranges = Vec::with_capacity(self.roots.len());
            for root in self.roots {
                let range = match terms.ranges.get(root) {
                    Some(range) => *range,
                    None => {
                        let range = root_range(str_column.dictionary(), root)?;
                        terms.ranges.insert(root, range);
                        range
                    }
                };
                ranges.push(range);
            }
            ranges
        };
        let first = ranges.iter().map(|r| r.0).min().unwrap_or(0);
        let last = ranges.iter().map(|r| r.1).max().unwrap_or(0);
        let (ordinals, read_now) = {
            let mut terms = remembered.lock().map_err(|_| poisoned())?;
            match &terms.ordinals {
                Some(table) if table.span == (first, last) => (Some(Arc::clone(table)), false),
                _ => {
                    let table = SegmentOrdinals::read(&str_column, segment.max_doc(), (first, last)).map(Arc::new);
                    terms.ordinals = table.clone();
                    (table, true)
                }
            }
        };
        if read_now {
            trim_tables(segment.segment_id(), REMEMBERED_TABLE_BYTES);
        }
        Ok(SegmentFacetCounts {
            reader: str_column,
            ordinals,
            remembered,
            ranges,
            counts: vec![0; (last.saturating_sub(first)) as usize],
            first,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<RootCounts>) -> tantivy::Result<RootCounts> {
        let mut merged: RootCounts = vec![HashMap::new(); self.roots.len()];
        for fruit in fruits {
            for (into, from) in merged.iter_mut().zip(fruit) {
                for (value, count) in from {
                    *into.entry(value).or_insert(0) += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = RootCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(table) = &self.ordinals {
            for &offset in table.of(doc) {
                if let Some(slot) = self.counts.get_mut(offset as usize) {
                    *slot += 1;
                }
            }
            return;
        }
        for ord in self.reader.term_ords(doc) {
            if let Some(slot) = ord.checked_sub(self.first).and_then(|i| self.counts.get_mut(i as usize)) {
                *slot += 1;
            }
        }
    }

    fn harvest(self) -> RootCounts {
        let mut wanted: Vec<(u64, usize, u64)> = Vec::new();
        for (root_index, (from, to)) in self.ranges.iter().enumerate() {
            let mut counted: Vec<(u64, u64)> = (*from..*to)
                .filter_map(|ord| {
                    let count = self.counts[(ord - self.first) as usize];
                    (count > 0).then_some((ord, u64::from(count)))
                })
                .collect();
            if counted.len() > KEEP_PER_SEGMENT {
                counted.select_nth_unstable_by(KEEP_PER_SEGMENT, |a, b| b.1.cmp(&a.1));
                counted.truncate(KEEP_PER_SEGMENT);
            }
            wanted.extend(counted.into_iter().map(|(ord, count)| (ord, root_index, count)));
        }
        wanted.sort_unstable();
        let mut result: RootCounts = vec![HashMap::new(); self.ranges.len()];
        let Ok(mut remembered) = self.remembered.lock() else { return result };
        if remembered.values.len() > REMEMBERED_VALUES {
            remembered.values.clear();
        }
        let missing: Vec<u64> = wanted.iter().map(|w| w.0).filter(|ord| !remembered.values.contains_key(ord)).collect();
        if !missing.is_empty() {
            let mut next = missing.iter();
            let values = &mut remembered.values;
            let _ = self.reader.dictionary().sorted_ords_to_term_cb(missing.iter().copied(), |bytes| {
                if let Some(ord) = next.next() {
                    let value = bytes.iter().position(|b| *b == 0).map_or(&bytes[..0], |zero| &bytes[zero + 1..]);
                    let value = String::from_utf8_lossy(value).replace('\u{0}', "/");
                    values.insert(*ord, Arc::from(value));
                }
                Ok(())
            });
        }
        for (ord, root_index, count) in wanted {
            if let Some(value) = remembered.values.get(&ord) {
                result[root_index].insert(value.to_string(), count);
            }
        }
        result
    }
}

/// The error of a cache whose lock a panicking search poisoned.
fn poisoned() -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("facet term cache poisoned".into())
}

/// The `limit` largest values, ties by value.
pub fn largest(counts: HashMap<String, u64>, limit: usize) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(limit);
    values
}

#[cfg(test)]
mod tests {
    use tantivy::collector::FacetCollector;
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::{Facet, FacetOptions, IndexRecordOption, Schema, STRING};
    use tantivy::{doc, Index, Term};

    use super::*;

    /// Counts with tantivy's own collector, for comparison.
    fn reference(searcher: &tantivy::Searcher, query: &dyn Query, root: &str) -> HashMap<String, u64> {
        let mut collector = FacetCollector::for_field("facets");
        collector.add_facet(Facet::from_path([root]));
        let counts = searcher.search(query, &collector).unwrap();
        counts.get(&format!("/{root}")).map(|(facet, count)| (facet.to_path()[1].to_string(), count)).collect()
    }

    #[test]
    fn counts_equal_tantivys_over_segments_queries_and_repeated_use() {
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let topic = builder.add_text_field("topic", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // Two commits: two segments, with values shared between them and values only in one.
        for (batch, range) in [(0, 0..120u32), (1, 120..200u32)] {
            for n in range {
                let mut document = doc!(topic => if n % 2 == 0 { "economy" } else { "culture" });
                document.add_facet(facets, Facet::from_path(["paper", &format!("paper{}", n % 4)]));
                document.add_facet(facets, Facet::from_path(["day", &format!("2021-01-{:02}", n % 28 + 1)]));
                for author in 0..(n % 3) {
                    document.add_facet(
                        facets,
                        Facet::from_path(["author", &format!("author{}-{batch}", (n + author) % 7)]),
                    );
                }
                writer.add_document(document).unwrap();
            }
            writer.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let collector = FacetTopCounts { field: "facets", roots: &["paper", "author"] };
        let economy = TermQuery::new(Term::from_field_text(topic, "economy"), IndexRecordOption::Basic);
        for query in [&AllQuery as &dyn Query, &economy, &AllQuery] {
            let counts = searcher.search(query, &collector).unwrap();
            assert_eq!(counts[0], reference(&searcher, query, "paper"));
            assert_eq!(counts[1], reference(&searcher, query, "author"));
            assert!(counts[1].values().sum::<u64>() > 0, "{counts:?}");
        }
        // Over the memory cap, other segments' tables go and the kept one stays.
        let ids: Vec<SegmentId> = searcher.segment_readers().iter().map(|r| r.segment_id()).collect();
        let has_table = |id: &SegmentId| segment_terms(*id).lock().unwrap().ordinals.is_some();
        assert!(ids.iter().all(has_table));
        trim_tables(ids[0], 0);
        assert!(has_table(&ids[0]) && !has_table(&ids[1]));
        // A dropped table is read again on the next search, with the same counts.
        let counts = searcher.search(&AllQuery, &collector).unwrap();
        assert_eq!(counts[1], reference(&searcher, &AllQuery, "author"));
        assert!(ids.iter().all(has_table));
    }
}
