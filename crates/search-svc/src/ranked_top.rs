//! The best hits of a query that tantivy can rank with block-max WAND: a
//! disjunction of term queries. WAND skips every block of postings whose best
//! possible score cannot enter the page, so a common word's top ten costs a
//! fraction of scoring all of its hits. Two things would hide the disjunction
//! from tantivy and make it score every hit: an excluding clause (later parts
//! of continued stories) and counting in the same pass. So excluded and
//! deleted documents are skipped in the callback here, and the caller counts
//! hits (and facets) in a separate pass without scoring: [`count_word`]
//! counts a word's hits in headline or body from two document frequencies
//! (or, in a segment with deletes, its two posting lists), instead of
//! matching every hit with a query.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, Occur, Query, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::cancel::Cancellation;
use crate::conjunction::ConjunctionWord;
use crate::doc_bits::DocBits;
use crate::facet_counts::{FacetTopCounts, RootCounts};

/// The disjunction of `clauses` (term queries, boosted or not) in the form
/// tantivy ranks with block-max WAND: with no clause required (with the
/// default of one, tantivy 0.24 wraps the terms in a plain union scorer and
/// scores every hit). It matches the same documents.
pub fn wand_disjunction(clauses: Vec<Box<dyn Query>>) -> BooleanQuery {
    BooleanQuery::with_minimum_required_clauses(clauses.into_iter().map(|query| (Occur::Should, query)).collect(), 0)
}

/// Collects the top `offset + limit` hits and returns `limit` of them after
/// skipping `offset`, best first (ties: lower address first, as `TopDocs`).
pub struct PrunedTopDocs {
    limit: usize,
    offset: usize,
    /// Documents never returned (matched without scoring).
    excluded: Box<dyn Weight>,
}

impl PrunedTopDocs {
    pub fn new(limit: usize, offset: usize, excluded: Box<dyn Weight>) -> Self {
        PrunedTopDocs { limit, offset, excluded }
    }

    fn heap_len(&self) -> usize {
        self.limit.saturating_add(self.offset)
    }
}

/// A hit in the heap, ordered by score, then by lower document first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ranked {
    pub(crate) score: Score,
    pub(crate) doc: DocId,
}

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.doc.cmp(&self.doc))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `capacity` hits of one segment, worst on top of the heap.
pub(crate) struct SegmentTop {
    segment: SegmentOrdinal,
    capacity: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
    excluded: DocBits,
    alive: Option<tantivy::fastfield::AliveBitSet>,
}

impl SegmentTop {
    pub(crate) fn new(segment: SegmentOrdinal, capacity: usize, excluded: DocBits, reader: &SegmentReader) -> Self {
        SegmentTop {
            segment,
            capacity,
            heap: BinaryHeap::with_capacity(capacity.min(10_000) + 1),
            excluded,
            alive: reader.alive_bitset().cloned(),
        }
    }

    /// Whether `doc` is excluded or deleted (never offered).
    pub(crate) fn skips(&self, doc: DocId) -> bool {
        self.excluded.contains(doc) || self.alive.as_ref().is_some_and(|alive| alive.is_deleted(doc))
    }

    /// Offers a hit; returns the score a hit must now exceed to enter.
    pub(crate) fn offer(&mut self, doc: DocId, score: Score) -> Score {
        if self.capacity == 0 {
            return Score::MAX;
        }
        if !self.skips(doc) {
            let ranked = Ranked { score, doc };
            if self.heap.len() < self.capacity {
                self.heap.push(Reverse(ranked));
            } else if self.heap.peek().is_some_and(|Reverse(worst)| ranked > *worst) {
                self.heap.pop();
                self.heap.push(Reverse(ranked));
            }
        }
        self.threshold()
    }

    /// Forgets the hits offered so far (the exclusions stay).
    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }

    /// How many hits the heap keeps.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether the heap holds its `capacity` hits.
    pub(crate) fn is_full(&self) -> bool {
        self.heap.len() >= self.capacity
    }

    /// The score a hit must exceed to enter (the lowest, until full).
    pub(crate) fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(Reverse(worst)) if self.heap.len() >= self.capacity => worst.score,
            _ => Score::MIN,
        }
    }

    pub(crate) fn into_hits(self) -> Vec<(Score, DocAddress)> {
        let segment = self.segment;
        self.heap
            .into_iter()
            .map(|Reverse(ranked)| (ranked.score, DocAddress { segment_ord: segment, doc_id: ranked.doc }))
            .collect()
    }
}

/// Counts the articles holding `word` in headline or body. Per segment,
/// these are its body documents plus its headline-only documents: two
/// disjoint lists (see `IndexFields::heading_only_grams`). Later parts hold
/// no searchable text, so nothing else is excluded. With nothing deleted in
/// a segment, the count is two document frequencies, read without decoding
/// a posting; with a few deleted documents, the ones the lists hold are
/// subtracted ([`count_word_in`]).
pub fn count_word(searcher: &Searcher, word: &ConjunctionWord, cancel: &Cancellation) -> tantivy::Result<usize> {
    let counts = crate::parallel::executor().map(
        |reader: &SegmentReader| {
            cancel.check()?;
            count_word_in(reader, word)
        },
        searcher.segment_readers().iter(),
    )?;
    Ok(counts.into_iter().map(|count| count as usize).sum())
}

/// [`count_word`], with facet counts of the same hits: per segment, both
/// posting lists decoded into a bit set (or remembered: `word_bits.rs`),
/// the deleted documents cleared (in a copy of remembered bits), and the
/// facets counted from the bits (no query walked).
pub fn count_word_and_facets(
    searcher: &Searcher,
    word: &ConjunctionWord,
    facets: &FacetTopCounts,
    cancel: &Cancellation,
) -> tantivy::Result<(usize, RootCounts)> {
    let segments = searcher.segment_readers().iter().enumerate();
    let per_segment = crate::parallel::executor().map(
        |(ordinal, reader): (usize, &SegmentReader)| {
            cancel.check()?;
            let united = crate::word_bits::shared().union_of(reader, &[&word.heading_only, &word.body])?;
            let alive;
            let bits: &DocBits = match reader.alive_bitset() {
                None => &united,
                Some(_) => {
                    let mut copy = DocBits::clone(&united);
                    copy.remove_deleted(reader);
                    alive = copy;
                    &alive
                }
            };
            Ok((bits.len(), facets.count_segment_hits(ordinal as SegmentOrdinal, reader, bits)?))
        },
        segments,
    )?;
    let total = per_segment.iter().map(|(count, _)| *count as usize).sum();
    let counts = facets.merge_fruits(per_segment.into_iter().map(|(_, counts)| counts).collect())?;
    Ok((total, counts))
}

/// [`count_word`] in one segment: each list's document frequency, less
/// the deleted documents it holds (sought one by one when they are few,
/// `deleted_docs.rs`; otherwise the list is walked a block at a time and
/// its live documents counted).
pub(crate) fn count_word_in(reader: &SegmentReader, word: &ConjunctionWord) -> tantivy::Result<u32> {
    let deleted = crate::deleted_docs::of(reader);
    let mut count = 0;
    for term in [&word.body, &word.heading_only] {
        let inverted = reader.inverted_index(term.field())?;
        let Some(info) = inverted.get_term_info(term)? else { continue };
        count += match (deleted.as_deref(), reader.alive_bitset()) {
            (Some(deleted), Some(alive)) => {
                if few_deleted(deleted.len(), info.doc_freq) {
                    let mut postings = inverted.read_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                    info.doc_freq - crate::deleted_docs::held_by(&mut postings, deleted)
                } else {
                    let mut block = inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                    live_in_blocks(&mut block, alive)
                }
            }
            _ => info.doc_freq,
        };
    }
    Ok(count)
}

/// Whether `deleted` documents are few enough, against a list of
/// `doc_freq`, to be sought in it rather than walk it.
pub(crate) fn few_deleted(deleted: usize, doc_freq: u32) -> bool {
    (deleted as u64) * u64::from(crate::deleted_docs::POSTINGS_PER_LOOK_UP) <= u64::from(doc_freq)
}

/// The live documents of a list, walked a block at a time.
fn live_in_blocks(block: &mut tantivy::postings::BlockSegmentPostings, alive: &tantivy::fastfield::AliveBitSet) -> u32 {
    let mut count = 0;
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            return count;
        }
        count += docs.iter().map(|&doc| u32::from(alive.is_alive(doc))).sum::<u32>();
        block.advance();
    }
}

/// Used only if tantivy collects document by document (it calls
/// `collect_segment` instead): keeps the best hits without pruning.
pub struct PrunedSegmentCollector(SegmentTop);

impl SegmentCollector for PrunedSegmentCollector {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.0.offer(doc, score);
    }

    fn harvest(self) -> Self::Fruit {
        self.0.into_hits()
    }
}

impl Collector for PrunedTopDocs {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = PrunedSegmentCollector;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let excluded = DocBits::matching(reader, &*self.excluded)?;
        Ok(PrunedSegmentCollector(SegmentTop::new(segment, self.heap_len(), excluded, reader)))
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut hits: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        hits.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(hits.into_iter().skip(self.offset).take(self.limit).collect())
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let excluded = DocBits::matching(reader, &*self.excluded)?;
        let mut top = SegmentTop::new(segment, self.heap_len(), excluded, reader);
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| top.offer(doc, score))?;
        Ok(top.into_hits())
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BoostQuery, EnableScoring, QueryClone, RangeQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, INDEXED, TEXT};
    use tantivy::{doc, Index, Term};

    use super::*;

    #[test]
    fn equals_scoring_every_hit_across_segments_deletes_exclusions_and_offsets() {
        let mut builder = Schema::builder();
        let title = builder.add_text_field("title", TEXT);
        let body = builder.add_text_field("body", TEXT);
        let part_of = builder.add_u64_field("part_of", INDEXED);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // Three segments of varied lengths and term frequencies.
        for batch in 0..3u64 {
            for n in 0..700u64 {
                let repeats = (n * 7 + batch) % 5;
                let text =
                    format!("{} filler {}", "economy ".repeat(repeats as usize), "word ".repeat((n % 13) as usize));
                let heading = if n % 11 == 0 { "economy news" } else { "other news" };
                writer.add_document(doc!(title => heading, body => text, part_of => u64::from(n % 17 == 3))).unwrap();
            }
            writer.commit().unwrap();
        }
        let reader = index.reader().unwrap();
        // Delete some documents of every segment.
        writer
            .delete_query(Box::new(TermQuery::new(Term::from_field_text(title, "economy"), IndexRecordOption::Basic)))
            .unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        let searcher = reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 3);

        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
        };
        let ranking =
            wand_disjunction(vec![Box::new(BoostQuery::new(term(title, "news"), 3.0)), term(body, "economy")]);
        let later_parts =
            RangeQuery::new(std::ops::Bound::Included(Term::from_field_u64(part_of, 1)), std::ops::Bound::Unbounded);
        let reference_query =
            BooleanQuery::new(vec![(Occur::Must, ranking.box_clone()), (Occur::MustNot, later_parts.box_clone())]);
        for (limit, offset) in [(10, 0), (10, 20), (1, 0), (50, 1990), (0, 0)] {
            let excluded = later_parts.weight(EnableScoring::disabled_from_searcher(&searcher)).unwrap();
            let pruned = searcher.search(&ranking, &PrunedTopDocs::new(limit, offset, excluded)).unwrap();
            let expected = if limit == 0 {
                Vec::new()
            } else {
                searcher.search(&reference_query, &TopDocs::with_limit(limit).and_offset(offset)).unwrap()
            };
            let scores = |hits: &[(Score, DocAddress)]| hits.iter().map(|h| h.0).collect::<Vec<_>>();
            assert_eq!(scores(&pruned), scores(&expected), "limit {limit} offset {offset}");
            assert_eq!(pruned, expected, "limit {limit} offset {offset}");
        }
        // The reference pass really excluded and deleted something.
        let all = searcher.search(&ranking, &Count).unwrap();
        let kept = searcher.search(&reference_query, &Count).unwrap();
        assert!(kept < all && kept > 1000, "{kept} of {all}");
    }
}
