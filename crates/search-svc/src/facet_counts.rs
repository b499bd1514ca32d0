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

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentReader};

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
        let dictionary = str_column.dictionary();
        let ranges = self.roots.iter().map(|root| root_range(dictionary, root)).collect::<tantivy::Result<Vec<_>>>()?;
        let first = ranges.iter().map(|r| r.0).min().unwrap_or(0);
        let last = ranges.iter().map(|r| r.1).max().unwrap_or(0);
        Ok(SegmentFacetCounts {
            reader: str_column,
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
        let mut next = wanted.iter();
        let _ = self.reader.dictionary().sorted_ords_to_term_cb(wanted.iter().map(|w| w.0), |bytes| {
            if let Some((_, root_index, count)) = next.next() {
                let value = bytes.iter().position(|b| *b == 0).map_or(&bytes[..0], |zero| &bytes[zero + 1..]);
                let value = String::from_utf8_lossy(value).replace('\u{0}', "/");
                result[*root_index].insert(value, *count);
            }
            Ok(())
        });
        result
    }
}

/// The `limit` largest values, ties by value.
pub fn largest(counts: HashMap<String, u64>, limit: usize) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(limit);
    values
}
