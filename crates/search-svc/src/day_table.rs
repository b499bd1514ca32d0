//! Every document's issue day as a plain table, per segment, read once from
//! the `issue_day` fast field and remembered (segments never change): a
//! date-sorted search reads the day of each of its hits, up to hundreds of
//! thousands per segment, and the fast field's decoder costs about 10 ns a
//! read, against one array load here (4 bytes per document).

use std::sync::{Arc, LazyLock};

use tantivy::{DocId, SegmentReader};

use crate::doc_bits::DocBits;
use crate::segment_memo::SegmentMemo;

/// The remembered tables, shared by every search; an index holds a few
/// large segments and the follower's small new ones.
static TABLES: LazyLock<SegmentMemo<DayTable>> = LazyLock::new(|| SegmentMemo::new(64));

/// Issue days (days from the common era, 0 when undated) by document, and
/// the smallest and largest day of each 64 documents (one word of a
/// [`DocBits`]): an archive ingested issue by issue holds its days in runs,
/// so a date range takes or leaves most words whole.
pub(crate) struct DayTable(Vec<i32>, Vec<(i32, i32)>);

impl DayTable {
    /// The segment's table, read on first use.
    pub(crate) fn of(reader: &SegmentReader) -> tantivy::Result<Arc<DayTable>> {
        let segment = reader.segment_id();
        if let Some(table) = TABLES.get(segment) {
            return Ok(table);
        }
        // Read without holding the memo's lock (hundreds of thousands of reads).
        let column = reader.fast_fields().i64("issue_day")?;
        let days = (0..reader.max_doc())
            .map(|doc| column.first(doc).and_then(|day| i32::try_from(day).ok()).unwrap_or(0))
            .collect();
        Ok(TABLES.insert(segment, DayTable::new(days)))
    }

    fn new(days: Vec<i32>) -> Self {
        let spans = days
            .chunks(64)
            .map(|run| run.iter().fold((i32::MAX, i32::MIN), |(low, high), day| (low.min(*day), high.max(*day))))
            .collect();
        DayTable(days, spans)
    }

    /// The document's issue day (0: undated).
    pub(crate) fn day(&self, doc: DocId) -> i64 {
        self.0.get(doc as usize).map_or(0, |day| i64::from(*day))
    }

    /// The documents whose issue day is in `from..=to`, as bits: a word of 64
    /// documents whose days all fall inside (or all outside) is set (or left)
    /// whole, and only the others are read day by day.
    pub(crate) fn days_within(&self, from: i64, to: i64) -> DocBits {
        let inside = |day: i32| from <= i64::from(day) && i64::from(day) <= to;
        let words = self
            .0
            .chunks(64)
            .zip(&self.1)
            .map(|(run, &(low, high))| {
                if i64::from(high) < from || i64::from(low) > to {
                    0
                } else if inside(low) && inside(high) {
                    u64::MAX >> (64 - run.len())
                } else {
                    run.iter().enumerate().fold(0, |word, (bit, day)| word | (u64::from(inside(*day)) << bit))
                }
            })
            .collect();
        DocBits::from_words(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_within_a_range_are_the_documents_on_those_days() {
        // Runs of days as an archive ingested issue by issue holds them, some
        // undated documents, a short last word, and runs' edges inside words.
        let days: Vec<i32> = (0..1_000).map(|doc| if doc % 97 == 5 { 0 } else { 730_000 + doc / 37 }).collect();
        let table = DayTable::new(days.clone());
        for (from, to) in [(1, i64::MAX), (730_003, 730_010), (730_000, 730_000), (730_026, 800_000), (0, 0), (5, 9)] {
            let bits = table.days_within(from, to);
            let expected: Vec<DocId> =
                (0..1_000u32).filter(|doc| (from..=to).contains(&i64::from(days[*doc as usize]))).collect();
            assert_eq!(bits.docs(), expected, "{from}..={to}");
        }
    }
}
