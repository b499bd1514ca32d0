//! Newest-first and oldest-first searches for words that are each one gram
//! (see [`crate::conjunction`]), within an optional filter: the order an
//! archive user picks to follow a story over time.
//!
//! Sorted by issue day, every hit's day must be read, but only the hits on
//! the page's days need a score (it orders hits within a day). tantivy's
//! nested query scores every hit to sort them (at a million articles, the
//! 600,000 hits of `发展`). Here, per segment:
//! 1. the hits are the conjunction's bit set (count and facets from it);
//! 2. one pass over the hits' days (from the segment's remembered day
//!    table, `day_table.rs`) keeps the `offset + limit` largest sort keys in
//!    a heap, which gives the page's last day;
//! 3. only the hits on that day or a better one are scored, with the same
//!    leaves and weights as the nested query, and sorted by (day, score,
//!    address) as tantivy's collector sorts them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::cancel::Cancellation;
use crate::conjunction::{ConjunctionWord, HitSet, SegmentLeaves, WordWeights};
use crate::day_table::DayTable;
use crate::doc_bits::DocBits;
use crate::facet_counts::{FacetTopCounts, RootCounts};

/// A hit's sort key and score (larger first), and its address.
pub type DayHit = ((i64, Score), DocAddress);

/// The page, the number of hits, and their facet counts when asked.
pub type DayTopCountFacets = (Vec<DayHit>, usize, Option<RootCounts>);

/// The sort key of an issue day: larger sorts first. Undated articles (day
/// 0) come last either way.
pub fn day_key(day: i64, ascending: bool) -> i64 {
    match (day, ascending) {
        (0, _) => i64::MIN,
        (day, true) => -day,
        (day, false) => day,
    }
}

/// The `limit` hits after `offset` by issue day (newest first, or oldest
/// first when `ascending`; within a day, best score first; then lower
/// address first), the number of hits, and their counts by `facets` when
/// given.
#[allow(clippy::too_many_arguments)]
pub fn top_and_count(
    searcher: &Searcher,
    hit_set: &HitSet,
    heading_boost: Score,
    ascending: bool,
    limit: usize,
    offset: usize,
    facets: Option<&FacetTopCounts>,
    cancel: &Cancellation,
) -> tantivy::Result<DayTopCountFacets> {
    let weights = hit_set.weights(searcher, heading_boost)?;
    let capacity = limit.saturating_add(offset);
    let (mut hits, total, counts) =
        hit_set.rank_segments(searcher, facets, cancel, |reader, ordinal, hits, in_heading| {
            let page = SegmentPage { reader, ordinal, words: hit_set.words, weights: &weights, ascending, capacity };
            page.top(&hits, &in_heading)
        })?;
    hits.sort_unstable_by(compare);
    Ok((hits.into_iter().skip(offset).take(limit).collect(), total, counts))
}

/// Larger key first, then larger score, then lower address.
fn compare(a: &DayHit, b: &DayHit) -> std::cmp::Ordering {
    b.0 .0.cmp(&a.0 .0).then_with(|| b.0 .1.total_cmp(&a.0 .1)).then_with(|| a.1.cmp(&b.1))
}

/// What ranking one segment's hits by day needs.
struct SegmentPage<'a> {
    reader: &'a SegmentReader,
    ordinal: SegmentOrdinal,
    words: &'a [ConjunctionWord],
    weights: &'a [WordWeights],
    ascending: bool,
    capacity: usize,
}

impl SegmentPage<'_> {
    /// The segment's best `capacity` hits by day.
    fn top(&self, hits: &DocBits, in_heading: &DocBits) -> tantivy::Result<Vec<DayHit>> {
        if self.capacity == 0 {
            return Ok(Vec::new());
        }
        let days = DayTable::of(self.reader)?;
        let key = |doc: DocId| day_key(days.day(doc), self.ascending);
        // The page's last key: the smallest of the `capacity` largest.
        let mut largest: BinaryHeap<Reverse<i64>> = BinaryHeap::with_capacity(self.capacity.min(1 << 16) + 1);
        hits.for_each_doc(|doc| {
            let key = key(doc);
            if largest.len() < self.capacity {
                largest.push(Reverse(key));
            } else if let Some(mut smallest) = largest.peek_mut() {
                if key > smallest.0 {
                    *smallest = Reverse(key);
                }
            }
        });
        let Some(&Reverse(last_key)) = largest.peek() else { return Ok(Vec::new()) };
        // Score the hits at or above it, in document order (the leaves only seek forward).
        let mut leaves = SegmentLeaves::open(self.reader, self.words, self.weights)?;
        let mut page = Vec::new();
        hits.for_each_doc(|doc| {
            let key = key(doc);
            if key >= last_key {
                let score = leaves.score(doc, in_heading.contains(doc));
                page.push(((key, score), DocAddress { segment_ord: self.ordinal, doc_id: doc }));
            }
        });
        page.sort_unstable_by(compare);
        page.truncate(self.capacity);
        Ok(page)
    }
}
