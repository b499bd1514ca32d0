//! Counts hits per value of a few facet roots (`/paper`, `/month`, ...) and
//! keeps the largest. tantivy's `FacetCollector` turns every counted ordinal
//! into a string with one dictionary lookup each (a zstd block decompressed
//! per lookup), which costs ~10 µs per distinct value: with rare author names
//! that is tens of milliseconds per query. This collector counts ordinals in
//! a flat array, keeps per segment only the values that can reach the top
//! (`KEEP_PER_SEGMENT`), and resolves them in one sorted pass over the
//! dictionary. A root with at most [`KEEP_ALL_UP_TO`] values in a segment
//! (papers, months, years, days, kinds, cities) keeps all of them, so its
//! counts are exact. A root with more (authors, names) keeps the
//! [`KEEP_PER_SEGMENT`] largest per segment: a value pruned in some segment
//! (possible only with hundreds of values counted above it there) may be
//! undercounted, as with Elasticsearch's shard_size.
//!
//! Every dictionary block read decompresses with a fresh zstd context, which
//! costs more than counting thousands of hits; so each segment's root ranges
//! and the numbers of the values already resolved are remembered
//! ([`SegmentTerms`]: a segment never changes; numbers from
//! [`crate::facet_values`], the same for a value in every segment), a query
//! only reads the blocks of values no earlier query asked for, and segments'
//! counts add up by number, with no string hashed or copied.
//!
//! Reading a hit's ordinals from the multi-valued column goes through a
//! dynamic call per value (about 25 values per article: paper, dates, kind,
//! authors, names), which made a common word's facets cost 65 ms at a
//! million articles. So each segment's ordinals under each counted root are
//! remembered once as a table ([`RootOrdinals`], 4 bytes a value; one slot
//! per document for roots with at most one value, such as paper or month),
//! and a search counts only the roots it asks for: counting a hit is one
//! slice read per root. A hit of a multi-valued root (authors: none, one or
//! two in most articles) adds to its first two slots without a branch on
//! how many it has, as a loop over its values mispredicted on most hits.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use rustc_hash::FxHashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::doc_bits::DocBits;
use crate::facet_values::ValueIds;
use crate::segment_memo::SegmentMemo;

/// Segments whose ranges and values are remembered (oldest forgotten first).
const REMEMBERED_SEGMENTS: usize = 64;
/// Value numbers remembered per segment; beyond it the segment's are dropped
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
    /// Numbers of the values resolved so far (the part after the root), by
    /// ordinal, in the set of epoch `ids_epoch`.
    ids: FxHashMap<u64, u32>,
    ids_epoch: u64,
    /// Every document's ordinals under a root, by root name, once read.
    tables: HashMap<&'static str, Arc<RootOrdinals>>,
}

impl SegmentTerms {
    /// Memory held by the segment's tables.
    fn table_bytes(&self) -> usize {
        self.tables.values().map(|table| table.bytes()).sum()
    }
}

/// No value under the root (single-valued layout).
const NO_VALUE: u32 = u32::MAX;
/// A run of 64 documents whose values differ (single-valued layout).
const MIXED: u32 = u32::MAX - 1;
/// The two values of a 64-document word of a single-valued root, with their
/// documents' bits ([`NO_VALUE`] for documents without a value: never counted).
#[derive(Debug, Clone, Copy)]
struct Split {
    first: u32,
    first_docs: u64,
    second: u32,
    second_docs: u64,
}

impl Split {
    /// The split of a run of up to 64 slots holding exactly two values.
    fn of(run: &[u32]) -> Option<Split> {
        let first = *run.first()?;
        let second = *run.iter().find(|ord| **ord != first)?;
        let (mut first_docs, mut second_docs) = (0u64, 0u64);
        for (bit, ord) in run.iter().enumerate() {
            match *ord {
                ord if ord == first => first_docs |= 1 << bit,
                ord if ord == second => second_docs |= 1 << bit,
                _ => return None,
            }
        }
        Some(Split { first, first_docs, second, second_docs })
    }
}

/// Single-valued roots with at most this many values (kinds) keep a bit set
/// per value, counted by popcount.
const BIT_SET_VALUES_UP_TO: usize = 8;

/// Each document's ordinals under one root, as offsets from the root's first
/// ordinal. Roots with at most one value per document (paper, month, kind)
/// hold one slot per document; the others are flattened: document `d`'s
/// values are `ords[starts[d]..starts[d + 1]]`.
///
/// Single-valued roots also keep, per run of 64 documents (one word of a
/// hit set), the value all of them share or [`MIXED`]: an archive ingested
/// paper by paper and issue by issue has its papers and months in long
/// runs, so most words of hits count with one popcount. A root of at most
/// [`BIT_SET_VALUES_UP_TO`] values keeps a bit set per value instead.
#[derive(Debug)]
struct RootOrdinals {
    starts: Option<Vec<u32>>,
    ords: Vec<u32>,
    /// Per 64 documents: their shared value, [`NO_VALUE`] or [`MIXED`]
    /// (single-valued layout only, else empty).
    shared: Vec<u32>,
    /// Per 64 documents whose values differ ([`MIXED`] in `shared`): the two
    /// values they hold, when they hold two, with the bits of each value's
    /// documents. A run's edge (one paper or month ending, the next
    /// beginning) falls inside a word: its hits count with two popcounts.
    splits: Vec<Option<Split>>,
    /// Per value, the bits of its documents (small single-valued roots only).
    value_bits: Option<Vec<DocBits>>,
}

impl RootOrdinals {
    /// Reads every document's ordinals under each of `ranges` in one pass over
    /// the column, or None when a table would not fit 4-byte offsets.
    fn read(column: &tantivy::columnar::StrColumn, max_doc: DocId, ranges: &[(u64, u64)]) -> Option<Vec<RootOrdinals>> {
        if ranges.iter().any(|(from, to)| to.saturating_sub(*from) >= u64::from(MIXED)) {
            return None;
        }
        let mut starts: Vec<Vec<u32>> = vec![Vec::with_capacity(max_doc as usize + 1); ranges.len()];
        let mut ords: Vec<Vec<u32>> = vec![Vec::new(); ranges.len()];
        for doc in 0..max_doc {
            for (starts, ords) in starts.iter_mut().zip(&ords) {
                starts.push(u32::try_from(ords.len()).ok()?);
            }
            for ord in column.term_ords(doc) {
                if let Some(root) = ranges.iter().position(|(from, to)| (*from..*to).contains(&ord)) {
                    ords[root].push((ord - ranges[root].0) as u32);
                }
            }
        }
        let tables = starts
            .into_iter()
            .zip(ords)
            .map(|(mut starts, mut ords)| {
                starts.push(u32::try_from(ords.len()).unwrap_or(u32::MAX));
                let single = starts.windows(2).all(|w| w[1] - w[0] <= 1);
                if single {
                    let slots = starts.windows(2).map(|w| if w[1] > w[0] { ords[w[0] as usize] } else { NO_VALUE });
                    RootOrdinals::single_valued(slots.collect())
                } else {
                    // Two slots past the end, so every document's first two
                    // slots can be read (see `count_multi_valued`).
                    ords.extend([0; 2]);
                    ords.shrink_to_fit();
                    RootOrdinals {
                        starts: Some(starts),
                        ords,
                        shared: Vec::new(),
                        splits: Vec::new(),
                        value_bits: None,
                    }
                }
            })
            .collect();
        Some(tables)
    }

    /// The table of a root with one slot per document, with its runs (and
    /// its bit sets, for a root of a few values).
    fn single_valued(slots: Vec<u32>) -> Self {
        let shared: Vec<u32> =
            slots.chunks(64).map(|run| if run.iter().all(|ord| *ord == run[0]) { run[0] } else { MIXED }).collect();
        let splits = slots
            .chunks(64)
            .zip(&shared)
            .map(|(run, shared)| if *shared == MIXED { Split::of(run) } else { None })
            .collect();
        let values = slots.iter().filter(|ord| **ord != NO_VALUE).max().map_or(0, |max| *max as usize + 1);
        let value_bits = (values <= BIT_SET_VALUES_UP_TO).then(|| {
            let mut bits: Vec<DocBits> = (0..values).map(|_| DocBits::empty(slots.len() as DocId)).collect();
            for (doc, ord) in slots.iter().enumerate() {
                if let Some(value) = bits.get_mut(*ord as usize) {
                    value.insert(doc as DocId);
                }
            }
            bits
        });
        RootOrdinals { starts: None, ords: slots, shared, splits, value_bits }
    }

    /// Memory held by the table.
    fn bytes(&self) -> usize {
        let value_bits: usize = self.value_bits.iter().flatten().map(|bits| bits.words().len() * 2).sum();
        (self.starts.as_ref().map_or(0, Vec::capacity) + self.ords.capacity() + self.shared.capacity() + value_bits)
            * std::mem::size_of::<u32>()
            + self.splits.capacity() * std::mem::size_of::<Option<Split>>()
    }

    /// Adds one to the count of each value of each document in `docs`.
    fn count_all(&self, docs: &DocBits, counts: &mut [u32]) {
        if let Some(starts) = &self.starts {
            docs.for_each_doc(|doc| self.count_multi_valued(starts, doc, counts));
            return;
        }
        if let Some(value_bits) = &self.value_bits {
            for (bits, slot) in value_bits.iter().zip(counts.iter_mut()) {
                *slot +=
                    docs.words().iter().zip(bits.words()).map(|(hit, value)| (hit & value).count_ones()).sum::<u32>();
            }
            return;
        }
        for (index, &word) in docs.words().iter().enumerate() {
            if word == 0 {
                continue;
            }
            match self.shared.get(index).copied().unwrap_or(MIXED) {
                MIXED => {
                    if let Some(Some(split)) = self.splits.get(index) {
                        for (value, docs) in [(split.first, split.first_docs), (split.second, split.second_docs)] {
                            if let Some(slot) = counts.get_mut(value as usize) {
                                *slot += (word & docs).count_ones();
                            }
                        }
                        continue;
                    }
                    let mut rest = word;
                    while rest != 0 {
                        self.count(index as DocId * 64 + rest.trailing_zeros(), counts);
                        rest &= rest - 1;
                    }
                }
                shared => {
                    if let Some(slot) = counts.get_mut(shared as usize) {
                        *slot += word.count_ones();
                    }
                }
            }
        }
    }

    /// Adds one to the count of each value of a document of a multi-valued
    /// root, without a branch on how many it has (none, one or two, in
    /// proportions no branch predictor guesses: a loop over each hit's
    /// values cost a misprediction on most hits). Its first two slots are
    /// always read, and each adds one only if it is the document's; the
    /// slots of a document with fewer values belong to the next document
    /// (or are the padding after the last), and get zero added.
    #[inline]
    fn count_multi_valued(&self, starts: &[u32], doc: DocId, counts: &mut [u32]) {
        let doc = doc as usize;
        let (Some(&from), Some(&to)) = (starts.get(doc), starts.get(doc + 1)) else { return };
        let values = to.saturating_sub(from);
        let from = from as usize;
        let (Some(&first), Some(&second)) = (self.ords.get(from), self.ords.get(from + 1)) else { return };
        if let Some(slot) = counts.get_mut(first as usize) {
            *slot += u32::from(values >= 1);
        }
        if let Some(slot) = counts.get_mut(second as usize) {
            *slot += u32::from(values >= 2);
        }
        if values > 2 {
            for &ord in self.ords.get(from + 2..to as usize).unwrap_or_default() {
                if let Some(slot) = counts.get_mut(ord as usize) {
                    *slot += 1;
                }
            }
        }
    }

    /// Adds one to the count of each of the document's values.
    #[inline]
    fn count(&self, doc: DocId, counts: &mut [u32]) {
        let doc = doc as usize;
        match &self.starts {
            None => {
                if let Some(slot) = self.ords.get(doc).and_then(|&ord| counts.get_mut(ord as usize)) {
                    *slot += 1;
                }
            }
            Some(starts) => self.count_multi_valued(starts, doc as DocId, counts),
        }
    }
}

/// The remembered segments, shared by every search (segment ids are unique).
static SEGMENT_TERMS: LazyLock<SegmentMemo<Mutex<SegmentTerms>>> =
    LazyLock::new(|| SegmentMemo::new(REMEMBERED_SEGMENTS));

/// The remembered terms of a segment, created on first use.
fn segment_terms(segment: SegmentId) -> Arc<Mutex<SegmentTerms>> {
    SEGMENT_TERMS.get_or_insert_with(segment, Mutex::default)
}

/// Drops the ordinal tables of the oldest segments other than `keep` until
/// the tables fit in `cap` bytes. Segments in use by another search are
/// skipped (never waited for).
fn trim_tables(keep: SegmentId, cap: usize) {
    let segments = SEGMENT_TERMS.oldest_first();
    let held = |terms: &Mutex<SegmentTerms>| -> usize { terms.try_lock().map_or(0, |t| t.table_bytes()) };
    let mut total: usize = segments.iter().map(|(_, terms)| held(terms)).sum();
    for (_, terms) in segments.iter().filter(|(id, _)| *id != keep) {
        if total <= cap {
            break;
        }
        if let Ok(mut terms) = terms.try_lock() {
            total -= terms.table_bytes();
            terms.tables.clear();
        }
    }
}

/// Values kept per root and segment before merging, for roots with more
/// than [`KEEP_ALL_UP_TO`] values in the segment.
const KEEP_PER_SEGMENT: usize = 200;
/// Roots with at most this many values in a segment keep every value with a
/// hit. (Keeping 200 of a root of 252 months dropped months with hundreds of
/// hits from one segment's counts, and so from the merged top.)
const KEEP_ALL_UP_TO: usize = 16_384;

/// Hits per value of one root, by value (to compare counts).
pub type ValueCounts = FxHashMap<Arc<str>, u64>;

/// Hits per value of each root asked for: (value number, hits) with each
/// number once, in no order, and the set the numbers are of.
#[derive(Debug, Clone)]
pub struct RootCounts {
    value_ids: Arc<ValueIds>,
    roots: Vec<Vec<(u32, u64)>>,
}

impl RootCounts {
    /// The `limit` largest values of the `root`-th root, ties by value. The
    /// `limit` are selected first, so only they are sorted and copied out.
    pub fn largest(&self, root: usize, limit: usize) -> Vec<(String, u64)> {
        let Some(counts) = self.roots.get(root).filter(|_| limit > 0) else { return Vec::new() };
        let values = self.value_ids.values();
        let order = |a: &(u32, u64), b: &(u32, u64)| b.1.cmp(&a.1).then_with(|| values.get(a.0).cmp(values.get(b.0)));
        let mut counts = counts.clone();
        if counts.len() > limit {
            counts.select_nth_unstable_by(limit - 1, order);
            counts.truncate(limit);
        }
        counts.sort_unstable_by(order);
        counts.into_iter().map(|(id, count)| (values.get(id).to_string(), count)).collect()
    }

    /// Every value's hits under the `root`-th root.
    pub fn value_counts(&self, root: usize) -> ValueCounts {
        let values = self.value_ids.values();
        self.roots.get(root).into_iter().flatten().map(|(id, count)| (Arc::from(values.get(*id)), *count)).collect()
    }
}

/// Counts hits by facet value under each of `roots` (e.g. "paper").
pub struct FacetTopCounts {
    field: &'static str,
    roots: Vec<&'static str>,
    /// The value numbers of this search (see [`crate::facet_values`]).
    value_ids: Arc<ValueIds>,
}

impl FacetTopCounts {
    /// Counts by the values of `roots` of the facet field `field`.
    pub fn new(field: &'static str, roots: Vec<&'static str>) -> Self {
        FacetTopCounts { field, roots, value_ids: ValueIds::current() }
    }

    /// Counts the hits of one segment, given as a bit set (for searches that
    /// find their hits from posting lists, without a query's document set).
    pub(crate) fn count_segment_hits(
        &self,
        ordinal: SegmentOrdinal,
        reader: &SegmentReader,
        hits: &DocBits,
    ) -> tantivy::Result<RootCounts> {
        let mut counts = self.for_segment(ordinal, reader)?;
        // Root by root: one tight loop over the bits per table.
        for root in &mut counts.roots {
            match &root.table {
                Some(table) => table.count_all(hits, &mut root.counts),
                None => hits.for_each_doc(|doc| count_from_column(&counts.reader, root.range.0, doc, &mut root.counts)),
            }
        }
        Ok(counts.harvest())
    }
}

/// One root's counts in one segment.
struct RootTally {
    /// The root's ordinals `[from, to)` in the segment's dictionary.
    range: (u64, u64),
    /// The documents' ordinals under the root (None: read from the column).
    table: Option<Arc<RootOrdinals>>,
    /// Hits per ordinal, as offsets from `range.0`.
    counts: Vec<u32>,
}

pub struct SegmentFacetCounts {
    reader: tantivy::columnar::StrColumn,
    remembered: Arc<Mutex<SegmentTerms>>,
    roots: Vec<RootTally>,
    value_ids: Arc<ValueIds>,
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
        let (roots, read_now) = {
            let mut terms = remembered.lock().map_err(|_| poisoned())?;
            let mut ranges = Vec::with_capacity(self.roots.len());
            for root in &self.roots {
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
            // Tables of the roots asked for the first time, read in one pass.
            let missing: Vec<usize> =
                (0..self.roots.len()).filter(|i| !terms.tables.contains_key(self.roots[*i])).collect();
            if !missing.is_empty() {
                let missing_ranges: Vec<(u64, u64)> = missing.iter().map(|i| ranges[*i]).collect();
                if let Some(tables) = RootOrdinals::read(&str_column, segment.max_doc(), &missing_ranges) {
                    for (i, table) in missing.iter().zip(tables) {
                        terms.tables.insert(self.roots[*i], Arc::new(table));
                    }
                }
            }
            let roots = self
                .roots
                .iter()
                .zip(ranges)
                .map(|(root, range)| RootTally {
                    range,
                    table: terms.tables.get(root).cloned(),
                    counts: vec![0; range.1.saturating_sub(range.0) as usize],
                })
                .collect::<Vec<_>>();
            (roots, !missing.is_empty())
        };
        if read_now {
            trim_tables(segment.segment_id(), REMEMBERED_TABLE_BYTES);
        }
        Ok(SegmentFacetCounts { reader: str_column, remembered, roots, value_ids: Arc::clone(&self.value_ids) })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<RootCounts>) -> tantivy::Result<RootCounts> {
        let mut roots = vec![Vec::new(); self.roots.len()];
        if fruits.len() == 1 {
            // One segment: its counts as they are.
            roots = fruits.into_iter().next().map(|fruit| fruit.roots).unwrap_or_default();
            roots.resize_with(self.roots.len(), Vec::new);
        } else if !fruits.is_empty() {
            for (root, merged) in roots.iter_mut().enumerate() {
                let values = fruits.iter().map(|fruit| fruit.roots.get(root).map_or(0, Vec::len)).max().unwrap_or(0);
                let mut sums: FxHashMap<u32, u64> = FxHashMap::with_capacity_and_hasher(values, Default::default());
                for (id, count) in fruits.iter().filter_map(|fruit| fruit.roots.get(root)).flatten() {
                    *sums.entry(*id).or_insert(0) += count;
                }
                *merged = sums.into_iter().collect();
            }
        }
        Ok(RootCounts { value_ids: Arc::clone(&self.value_ids), roots })
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = RootCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for root in &mut self.roots {
            match &root.table {
                Some(table) => table.count(doc, &mut root.counts),
                None => count_from_column(&self.reader, root.range.0, doc, &mut root.counts),
            }
        }
    }

    fn harvest(self) -> RootCounts {
        let kept: Vec<Vec<(u64, u64)>> = self
            .roots
            .iter()
            .map(|root| {
                let keep = if root.counts.len() <= KEEP_ALL_UP_TO { root.counts.len() } else { KEEP_PER_SEGMENT };
                // As (ordinal, hits).
                let mut kept = largest_counts(&root.counts, keep);
                kept.iter_mut().for_each(|(offset, _)| *offset += root.range.0);
                kept
            })
            .collect();
        let Ok(mut remembered) = self.remembered.lock() else {
            return RootCounts { value_ids: self.value_ids, roots: vec![Vec::new(); self.roots.len()] };
        };
        if remembered.ids_epoch != self.value_ids.epoch() || remembered.ids.len() > REMEMBERED_VALUES {
            remembered.ids.clear();
            remembered.ids_epoch = self.value_ids.epoch();
        }
        // By number; the values not numbered yet in this segment (rare after
        // its first searches) are read from its dictionary, then all again.
        let numbered = |ids: &FxHashMap<u64, u32>, missing: &mut Vec<u64>| -> Vec<Vec<(u32, u64)>> {
            let mut number = |(ord, count): &(u64, u64)| match ids.get(ord) {
                Some(id) => Some((*id, *count)),
                None => {
                    missing.push(*ord);
                    None
                }
            };
            kept.iter().map(|kept| kept.iter().filter_map(&mut number).collect()).collect()
        };
        let mut missing = Vec::new();
        let mut roots = numbered(&remembered.ids, &mut missing);
        if !missing.is_empty() {
            missing.sort_unstable();
            missing.dedup();
            let mut values = Vec::with_capacity(missing.len());
            let _ = self.reader.dictionary().sorted_ords_to_term_cb(missing.iter().copied(), |bytes| {
                let value = bytes.iter().position(|b| *b == 0).map_or(&bytes[..0], |zero| &bytes[zero + 1..]);
                values.push(String::from_utf8_lossy(value).replace('\u{0}', "/"));
                Ok(())
            });
            let ids = self.value_ids.ids_of(values);
            remembered.ids.extend(missing.drain(..).zip(ids));
            roots = numbered(&remembered.ids, &mut missing);
        }
        RootCounts { value_ids: self.value_ids, roots }
    }
}

/// The `keep` largest non-zero counts as (offset, count), ties by lower
/// offset (the dictionary's order, so by value). One pass with a heap of the
/// `keep` best so far: once it is full, nearly every value of a root with
/// hundreds of thousands (authors, names) costs one comparison with its
/// smallest count, and nothing is sorted or copied.
fn largest_counts(counts: &[u32], keep: usize) -> Vec<(u64, u64)> {
    if keep == 0 {
        return Vec::new();
    }
    if keep >= counts.len() {
        // Every value with a hit: no heap to keep.
        return counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(offset, count)| (offset as u64, u64::from(*count)))
            .collect();
    }
    // Smallest first: the lowest count, and among equal counts the highest offset.
    let mut best: BinaryHeap<Reverse<(u32, Reverse<usize>)>> = BinaryHeap::with_capacity(keep + 1);
    // A count must exceed this to enter: zero until the heap is full, then its smallest.
    let mut floor = 0;
    for (offset, &count) in counts.iter().enumerate() {
        if count > floor {
            if best.len() >= keep {
                best.pop();
            }
            best.push(Reverse((count, Reverse(offset))));
            if best.len() >= keep {
                floor = best.peek().map_or(0, |Reverse((smallest, _))| *smallest);
            }
        }
    }
    best.into_iter().map(|Reverse((count, Reverse(offset)))| (offset as u64, u64::from(count))).collect()
}

/// Adds one to the count of each of the document's values under the root
/// whose ordinals start at `first`, read from the column (no table).
fn count_from_column(column: &tantivy::columnar::StrColumn, first: u64, doc: DocId, counts: &mut [u32]) {
    for ord in column.term_ords(doc) {
        if let Some(slot) = ord.checked_sub(first).and_then(|i| counts.get_mut(i as usize)) {
            *slot += 1;
        }
    }
}

/// The error of a cache whose lock a panicking search poisoned.
fn poisoned() -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("facet term cache poisoned".into())
}

#[cfg(test)]
mod tests {
    use tantivy::collector::FacetCollector;
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::{Facet, FacetOptions, IndexRecordOption, Schema, STRING};
    use tantivy::{doc, Index, Term};

    use super::*;

    /// Counts with tantivy's own collector, for comparison.
    fn reference(searcher: &tantivy::Searcher, query: &dyn Query, root: &str) -> ValueCounts {
        let mut collector = FacetCollector::for_field("facets");
        collector.add_facet(Facet::from_path([root]));
        let counts = searcher.search(query, &collector).unwrap();
        counts.get(&format!("/{root}")).map(|(facet, count)| (Arc::from(facet.to_path()[1]), count)).collect()
    }

    #[test]
    fn largest_returns_the_top_values_by_count_then_value() {
        let pairs = [("丙", 5), ("甲", 7), ("乙", 5), ("丁", 1), ("戊", 5)];
        let value_ids = Arc::new(ValueIds::new());
        let ids = value_ids.ids_of(pairs.iter().map(|(value, _)| value.to_string()));
        let counts =
            RootCounts { value_ids, roots: vec![ids.into_iter().zip(pairs.iter().map(|(_, count)| *count)).collect()] };
        let expect = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
            pairs.iter().map(|(value, count)| (value.to_string(), *count)).collect()
        };
        // 丙 < 乙 < 戊 in code point order: ties at 5 keep that order.
        assert_eq!(counts.largest(0, 2), expect(&[("甲", 7), ("丙", 5)]));
        assert_eq!(counts.largest(0, 3), expect(&[("甲", 7), ("丙", 5), ("乙", 5)]));
        assert_eq!(counts.largest(0, 10), expect(&[("甲", 7), ("丙", 5), ("乙", 5), ("戊", 5), ("丁", 1)]));
        assert!(counts.largest(0, 0).is_empty());
        assert!(counts.largest(1, 10).is_empty(), "no such root");
    }

    #[test]
    fn largest_counts_keep_the_largest_with_ties_by_value_order() {
        let reference = |counts: &[u32], keep: usize| -> Vec<(u64, u64)> {
            let mut all: Vec<(u64, u64)> =
                counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(o, c)| (o as u64, u64::from(*c))).collect();
            all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            all.truncate(keep);
            all
        };
        let sorted = |mut kept: Vec<(u64, u64)>| {
            kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            kept
        };
        let mut state: u64 = 11;
        let mut next = |below: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % below
        };
        // Mostly ties at 0 and 1, and a few large counts.
        for (values, top) in [(10, 3), (1000, 5), (5000, 40), (5000, 2000), (300, 1000)] {
            let counts: Vec<u32> =
                (0..values).map(|_| if next(10) < 9 { next(3) as u32 } else { next(top) as u32 }).collect();
            for keep in [0, 1, 7, 200, 5000] {
                assert_eq!(sorted(largest_counts(&counts, keep)), reference(&counts, keep), "{values} {top} {keep}");
            }
        }
        // Many large counts, in ties.
        let counts: Vec<u32> = (0..50).map(|n| 300 + n % 7).collect();
        assert_eq!(sorted(largest_counts(&counts, 10)), reference(&counts, 10));
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
        let collector = FacetTopCounts::new("facets", vec!["paper", "author"]);
        let economy = TermQuery::new(Term::from_field_text(topic, "economy"), IndexRecordOption::Basic);
        for query in [&AllQuery as &dyn Query, &economy, &AllQuery] {
            let counts = searcher.search(query, &collector).unwrap();
            assert_eq!(counts.value_counts(0), reference(&searcher, query, "paper"));
            assert_eq!(counts.value_counts(1), reference(&searcher, query, "author"));
            assert!(counts.value_counts(1).values().sum::<u64>() > 0, "{counts:?}");
        }
        // One slot per document where each has at most one value.
        let terms = segment_terms(searcher.segment_readers()[0].segment_id());
        let layouts: Vec<bool> =
            ["paper", "author"].iter().map(|root| terms.lock().unwrap().tables[root].starts.is_none()).collect();
        assert_eq!(layouts, [true, false]);
        // A search for another set of roots reads only the new ones and counts the same.
        let other = FacetTopCounts::new("facets", vec!["day", "paper"]);
        let counts = searcher.search(&economy, &other).unwrap();
        assert_eq!(counts.value_counts(0), reference(&searcher, &economy, "day"));
        assert_eq!(counts.value_counts(1), reference(&searcher, &economy, "paper"));
        assert_eq!(terms.lock().unwrap().tables.len(), 3);
        // Over the memory cap, other segments' tables go and the kept one stays.
        let ids: Vec<SegmentId> = searcher.segment_readers().iter().map(|r| r.segment_id()).collect();
        let has_table = |id: &SegmentId| !segment_terms(*id).lock().unwrap().tables.is_empty();
        assert!(ids.iter().all(has_table));
        trim_tables(ids[0], 0);
        assert!(has_table(&ids[0]) && !has_table(&ids[1]));
        // A dropped table is read again on the next search, with the same counts.
        let counts = searcher.search(&AllQuery, &collector).unwrap();
        assert_eq!(counts.value_counts(1), reference(&searcher, &AllQuery, "author"));
        assert!(ids.iter().all(has_table));
        // With a new set of value numbers (the current one full), segments
        // number their values again; a search holding the old set still
        // counts right, and numbers them again in it.
        let renumbered =
            FacetTopCounts { value_ids: Arc::new(ValueIds::new()), ..FacetTopCounts::new("facets", vec!["author"]) };
        for collector in [&renumbered, &collector, &renumbered] {
            let counts = searcher.search(&economy, collector).unwrap();
            let authors = collector.roots.iter().position(|root| *root == "author").unwrap();
            assert_eq!(counts.value_counts(authors), reference(&searcher, &economy, "author"));
            let epoch = segment_terms(ids[1]).lock().unwrap().ids_epoch;
            assert_eq!(epoch, collector.value_ids.epoch());
        }
    }

    #[test]
    fn hit_sets_count_runs_small_roots_and_mixed_words_as_hit_by_hit() {
        // Papers in runs of 100 articles (most 64-document words share one
        // paper, the words across a run's edge mix two), a kind of three
        // values, a month cycling every article (every word mixed), and
        // articles with no paper.
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let topic = builder.add_text_field("topic", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..1_000u32 {
            let mut document = doc!(topic => if n % 3 == 0 || (300..420).contains(&n) { "economy" } else { "culture" });
            if !(500..530).contains(&n) {
                document.add_facet(facets, Facet::from_path(["paper", &format!("paper{}", n / 100)]));
            }
            document.add_facet(facets, Facet::from_path(["kind", ["article", "photo", "brief"][(n % 7 % 3) as usize]]));
            document.add_facet(facets, Facet::from_path(["month", &format!("m{:02}", n % 12)]));
            // No author, one, two or three (the multi-valued layout).
            for author in 0..(n % 4) {
                document.add_facet(facets, Facet::from_path(["author", &format!("a{}", (n + author * 5) % 9)]));
            }
            writer.add_document(document).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let economy = TermQuery::new(Term::from_field_text(topic, "economy"), IndexRecordOption::Basic);
        let weight = economy.weight(tantivy::query::EnableScoring::disabled_from_searcher(&searcher)).unwrap();
        let hits = DocBits::matching(reader, &*weight).unwrap();
        let collector = FacetTopCounts::new("facets", vec!["paper", "kind", "month", "author"]);
        let counts = collector.count_segment_hits(0, reader, &hits).unwrap();
        assert!(counts.value_counts(3).values().sum::<u64>() > 300, "{counts:?}");
        for (at, root) in ["paper", "kind", "month", "author"].iter().enumerate() {
            assert_eq!(counts.value_counts(at), reference(&searcher, &economy, root), "{root}");
        }
        // Each path was taken: runs and mixed words for papers, bit sets for kinds.
        let terms = segment_terms(reader.segment_id());
        let terms = terms.lock().unwrap();
        let paper = &terms.tables["paper"];
        assert!(paper.shared.contains(&MIXED) && paper.shared.iter().any(|v| *v < MIXED));
        assert!(paper.value_bits.is_none());
        assert!(terms.tables["kind"].value_bits.is_some());
        assert!(terms.tables["month"].shared.iter().all(|v| *v == MIXED));
        // Words across a paper's edge (and into the articles without one) hold
        // two values and count by popcount; the month's words hold twelve.
        assert!(paper.splits.iter().filter(|split| split.is_some()).count() >= 9, "{:?}", paper.splits);
        assert!(paper.splits.iter().flatten().any(|split| split.second == NO_VALUE || split.first == NO_VALUE));
        assert!(terms.tables["month"].splits.iter().all(Option::is_none));
        assert!(terms.tables["author"].starts.is_some(), "authors are multi-valued");
    }

    #[test]
    fn every_value_of_a_root_of_a_few_hundred_is_counted_in_every_segment() {
        // 300 months: in the first segment, the first 100 months have one hit
        // each and the other 200 three; in the second, the first 100 have
        // five. Keeping only a segment's 200 largest would drop the first
        // 100 from the first segment and count them at 5, not 6.
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let month = |n: usize| Facet::from_path(["month", &format!("m{n:03}")]);
        for segment in 0..2 {
            for n in 0..300 {
                let hits = match (segment, n < 100) {
                    (0, true) => 1,
                    (0, false) => 3,
                    (_, true) => 5,
                    (_, false) => 0,
                };
                for _ in 0..hits {
                    writer.add_document(doc!(facets => month(n))).unwrap();
                }
            }
            writer.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let counts = searcher.search(&AllQuery, &FacetTopCounts::new("facets", vec!["month"])).unwrap();
        assert_eq!(counts.value_counts(0), reference(&searcher, &AllQuery, "month"));
        assert_eq!(counts.value_counts(0).get("m000"), Some(&6));
        assert_eq!(counts.largest(0, 1), [("m000".to_string(), 6)]);
    }
}
