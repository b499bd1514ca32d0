//! Every document's issue day as a plain table, per segment, read once from
//! the `issue_day` fast field and remembered (segments never change): a
//! date-sorted search reads the day of each of its hits, up to hundreds of
//! thousands per segment, and the fast field's decoder costs about 10 ns a
//! read, against one array load here (4 bytes per document).

use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex};

use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

/// Segments whose tables are remembered (the oldest is dropped first); an
/// index holds a few large segments and the follower's small new ones.
const REMEMBERED_SEGMENTS: usize = 64;

/// Remembered tables by segment, oldest first.
type Remembered = VecDeque<(SegmentId, Arc<DayTable>)>;

/// The remembered tables, shared by every search (segment ids are unique).
static TABLES: LazyLock<Mutex<Remembered>> = LazyLock::new(|| Mutex::new(VecDeque::new()));

/// Issue days (days from the common era, 0 when undated) by document.
pub(crate) struct DayTable(Vec<i32>);

impl DayTable {
    /// The segment's table, read on first use.
    pub(crate) fn of(reader: &SegmentReader) -> tantivy::Result<Arc<DayTable>> {
        let segment = reader.segment_id();
        if let Some(table) = remembered(segment) {
            return Ok(table);
        }
        let column = reader.fast_fields().i64("issue_day")?;
        let days = (0..reader.max_doc())
            .map(|doc| column.first(doc).and_then(|day| i32::try_from(day).ok()).unwrap_or(0))
            .collect();
        let table = Arc::new(DayTable(days));
        if let Ok(mut tables) = TABLES.lock() {
            if !tables.iter().any(|(id, _)| *id == segment) {
                while tables.len() >= REMEMBERED_SEGMENTS {
                    tables.pop_front();
                }
                tables.push_back((segment, Arc::clone(&table)));
            }
        }
        Ok(table)
    }

    /// The document's issue day (0: undated).
    pub(crate) fn day(&self, doc: DocId) -> i64 {
        self.0.get(doc as usize).map_or(0, |day| i64::from(*day))
    }
}

/// The remembered table of a segment.
fn remembered(segment: SegmentId) -> Option<Arc<DayTable>> {
    let tables = TABLES.lock().ok()?;
    tables.iter().find(|(id, _)| *id == segment).map(|(_, table)| Arc::clone(table))
}
