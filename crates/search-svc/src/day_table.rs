//! Every document's issue day as a plain table, per segment, read once from
//! the `issue_day` fast field and remembered (segments never change): a
//! date-sorted search reads the day of each of its hits, up to hundreds of
//! thousands per segment, and the fast field's decoder costs about 10 ns a
//! read, against one array load here (4 bytes per document).

use std::sync::{Arc, LazyLock};

use tantivy::{DocId, SegmentReader};

use crate::segment_memo::SegmentMemo;

/// The remembered tables, shared by every search; an index holds a few
/// large segments and the follower's small new ones.
static TABLES: LazyLock<SegmentMemo<DayTable>> = LazyLock::new(|| SegmentMemo::new(64));

/// Issue days (days from the common era, 0 when undated) by document.
pub(crate) struct DayTable(Vec<i32>);

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
        Ok(TABLES.insert(segment, DayTable(days)))
    }

    /// The document's issue day (0: undated).
    pub(crate) fn day(&self, doc: DocId) -> i64 {
        self.0.get(doc as usize).map_or(0, |day| i64::from(*day))
    }
}
