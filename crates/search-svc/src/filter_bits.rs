//! A search filter's documents in one segment, as bits, for the searches
//! that find their hits from bit sets (`conjunction.rs`, `day_sorted.rs`).
//! The filter's term clauses (papers, authors, pages, kind) are matched from
//! their postings; its date range is read from the segment's day table
//! (`day_table.rs`), which takes or leaves 64 documents of one run of days
//! at a time, where tantivy's range query decoded the `issue_day` column of
//! the whole segment on every search (a quarter of a filtered search at a
//! million articles).

use tantivy::query::Weight;
use tantivy::SegmentReader;

use crate::day_table::DayTable;
use crate::doc_bits::DocBits;

/// A filter, ready to be matched segment by segment.
pub struct FilterBits {
    /// The clauses other than the date range, when there are any.
    terms: Option<Box<dyn Weight>>,
    /// Issue days `from..=to` (days from the common era).
    days: Option<(i64, i64)>,
}

impl FilterBits {
    /// A filter of `terms` (matched without scoring) and issue `days`.
    pub(crate) fn new(terms: Option<Box<dyn Weight>>, days: Option<(i64, i64)>) -> Self {
        FilterBits { terms, days }
    }

    /// The segment's documents that pass the filter (with no clause at all:
    /// every document, and the bits past the last one).
    pub(crate) fn matching(&self, reader: &SegmentReader) -> tantivy::Result<DocBits> {
        let days = match self.days {
            Some((from, to)) => Some(DayTable::of(reader)?.days_within(from, to)),
            None => None,
        };
        match (&self.terms, days) {
            (Some(terms), days) => {
                let mut bits = DocBits::matching(reader, &**terms)?;
                if let Some(days) = days {
                    bits.intersect(&days);
                }
                Ok(bits)
            }
            (None, Some(days)) => Ok(days),
            (None, None) => Ok(DocBits::full(reader.max_doc())),
        }
    }
}
