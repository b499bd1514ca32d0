//! The best hits of a query that tantivy can rank with block-max WAND: a
//! disjunction of term queries. WAND skips every block of postings whose best
//! possible score cannot enter the page, so a common word's top ten costs a
//! fraction of scoring all of its hits. Two things would hide the disjunction
//! from tantivy and make it score every hit: an excluding clause (later parts
//! of continued stories) and counting in the same pass. So excluded and
//! deleted documents are skipped in the callback here, and the caller counts
//! hits (and facets) in a separate pass without scoring: [`count_either`]
//! counts a word's hits in headline or body from posting lists alone
//! (decoded into a bit set, or from one document frequency and the rarer
//! list), instead of matching every hit with a query.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::postings::SegmentPostings;
use tantivy::query::{BooleanQuery, Occur, Query, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, Term, TERMINATED};

use crate::cancel::Cancellation;
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
struct Ranked {
    score: Score,
    doc: DocId,
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

/// Counts the documents holding `first` or `second` (usually one word in two
/// fields), except `excluded` and deleted ones. Per segment, one of two ways,
/// whichever reads less: when one term is far rarer than the other, the
/// frequent term's documents are counted from its document frequency (when
/// nothing is deleted) and only the rarer term's postings are walked, each
/// looked up in the other's by skipping; otherwise both posting lists are
/// decoded block by block into a bit set of the segment, and the excluded
/// documents are cleared from it.
pub fn count_either(
    searcher: &Searcher,
    first: &Term,
    second: &Term,
    excluded: &dyn Weight,
    cancel: &Cancellation,
) -> tantivy::Result<usize> {
    // Segment by segment on the executor the search's other passes use now.
    let counts = crate::parallel::executor().map(
        |reader: &SegmentReader| {
            cancel.check()?;
            count_either_in(reader, first, second, excluded)
        },
        searcher.segment_readers().iter(),
    )?;
    Ok(counts.into_iter().map(|count| count as usize).sum())
}

/// [`count_either`], with facet counts of the same hits: per segment, both
/// posting lists decoded into a bit set, the excluded and deleted documents
/// cleared, and the facets counted from the bits (no query walked).
pub fn count_either_and_facets(
    searcher: &Searcher,
    first: &Term,
    second: &Term,
    excluded: &dyn Weight,
    facets: &FacetTopCounts,
    cancel: &Cancellation,
) -> tantivy::Result<(usize, RootCounts)> {
    let segments = searcher.segment_readers().iter().enumerate();
    let per_segment = crate::parallel::executor().map(
        |(ordinal, reader): (usize, &SegmentReader)| {
            cancel.check()?;
            let bits = either_bits(reader, first, second, excluded)?;
            Ok((bits.len(), facets.count_segment_hits(ordinal as SegmentOrdinal, reader, &bits)?))
        },
        segments,
    )?;
    let total = per_segment.iter().map(|(count, _)| *count as usize).sum();
    let counts = facets.merge_fruits(per_segment.into_iter().map(|(_, counts)| counts).collect())?;
    Ok((total, counts))
}

/// How many documents of the frequent term one skipping look-up costs, about:
/// a look-up skips to a block, decodes it when new and searches it, while a
/// decoded document costs a share of its block's decoding and one bit.
/// Measured at a million articles (two segments of 515,000): with the
/// frequent list 21 to 55 times longer, the bit set made the whole query
/// 5–15 % faster; at 147 times, the look-ups were 10–15 % faster.
const LOOKUP_COST_IN_DOCS: u64 = 96;

fn count_either_in(reader: &SegmentReader, first: &Term, second: &Term, excluded: &dyn Weight) -> tantivy::Result<u32> {
    let first_freq = reader.inverted_index(first.field())?.doc_freq(first)?;
    let second_freq = reader.inverted_index(second.field())?.doc_freq(second)?;
    let (common, rare) = if first_freq >= second_freq { (first_freq, second_freq) } else { (second_freq, first_freq) };
    if u64::from(rare) * LOOKUP_COST_IN_DOCS < u64::from(common) {
        count_by_lookups(reader, first, second, excluded)
    } else {
        count_by_bits(reader, first, second, excluded)
    }
}

/// A term's postings in a segment (empty when the term is absent).
fn postings(reader: &SegmentReader, term: &Term) -> tantivy::Result<(u32, Option<SegmentPostings>)> {
    let inverted = reader.inverted_index(term.field())?;
    let doc_freq = inverted.doc_freq(term)?;
    Ok((doc_freq, inverted.read_postings(term, IndexRecordOption::Basic)?))
}

/// Whether `postings` holds `doc` (seeks forward: ask in ascending order).
fn holds(postings: &mut Option<SegmentPostings>, doc: DocId) -> bool {
    postings.as_mut().is_some_and(|postings| postings.doc() <= doc && postings.seek(doc) == doc)
}

/// [`count_either`] in one segment by walking the rarer term's postings and
/// looking each document up in the frequent term's.
fn count_by_lookups(
    reader: &SegmentReader,
    first: &Term,
    second: &Term,
    excluded: &dyn Weight,
) -> tantivy::Result<u32> {
    let (first_freq, first_postings) = postings(reader, first)?;
    let (second_freq, second_postings) = postings(reader, second)?;
    let ((common_freq, mut common), (_, rare)) = if first_freq >= second_freq {
        ((first_freq, first_postings), (second_freq, second_postings))
    } else {
        ((second_freq, second_postings), (first_freq, first_postings))
    };
    let alive = reader.alive_bitset();
    let is_alive = |doc: DocId| alive.is_none_or(|alive| alive.is_alive(doc));
    // Documents of the frequent term.
    let mut count = match (alive, common.as_mut()) {
        (None, _) => common_freq,
        (Some(_), None) => 0,
        (Some(alive), Some(postings)) => {
            let mut alive_docs = 0;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                alive_docs += u32::from(alive.is_alive(doc));
                doc = postings.advance();
            }
            alive_docs
        }
    };
    // Documents of the rare term only.
    let (_, mut common) = postings(reader, if first_freq >= second_freq { first } else { second })?;
    if let Some(mut rare) = rare {
        let mut doc = rare.doc();
        while doc != TERMINATED {
            if is_alive(doc) && !holds(&mut common, doc) {
                count += 1;
            }
            doc = rare.advance();
        }
    }
    // Excluded documents that were counted.
    let (_, mut first_postings) = postings(reader, first)?;
    let (_, mut second_postings) = postings(reader, second)?;
    let mut scorer = excluded.scorer(reader, 1.0)?;
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        let in_first = holds(&mut first_postings, doc);
        let in_second = holds(&mut second_postings, doc);
        if is_alive(doc) && (in_first || in_second) {
            count = count.saturating_sub(1);
        }
        doc = scorer.advance();
    }
    Ok(count)
}

/// [`count_either`] in one segment through a bit set of its documents: both
/// posting lists decoded a block at a time, the excluded documents cleared,
/// then the bits of live documents counted.
fn count_by_bits(reader: &SegmentReader, first: &Term, second: &Term, excluded: &dyn Weight) -> tantivy::Result<u32> {
    Ok(either_bits(reader, first, second, excluded)?.len())
}

/// The live documents of a segment holding `first` or `second`, less the
/// `excluded` ones.
fn either_bits(reader: &SegmentReader, first: &Term, second: &Term, excluded: &dyn Weight) -> tantivy::Result<DocBits> {
    let mut bits = DocBits::empty(reader.max_doc());
    bits.add_postings(reader, first)?;
    bits.add_postings(reader, second)?;
    bits.remove_matches(reader, excluded)?;
    bits.remove_deleted(reader);
    Ok(bits)
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
        let before_deletes = reader.searcher();
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

        // Counting from document frequencies and the rarer postings, with and without deletes.
        let (news, economy) = (Term::from_field_text(title, "news"), Term::from_field_text(body, "economy"));
        let (other, absent) = (Term::from_field_text(title, "other"), Term::from_field_text(body, "absent"));
        for searcher in [&before_deletes, &searcher] {
            let excluded = later_parts.weight(EnableScoring::disabled_from_searcher(searcher)).unwrap();
            for (first, second) in
                [(&news, &economy), (&economy, &news), (&other, &economy), (&absent, &economy), (&absent, &absent)]
            {
                let either = BooleanQuery::new(vec![
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(first.clone(), IndexRecordOption::Basic)) as Box<dyn Query>,
                    ),
                    (Occur::Should, Box::new(TermQuery::new(second.clone(), IndexRecordOption::Basic))),
                ]);
                let expected = BooleanQuery::new(vec![
                    (Occur::Must, Box::new(either) as Box<dyn Query>),
                    (Occur::MustNot, later_parts.box_clone()),
                ]);
                let reference = searcher.search(&expected, &Count).unwrap();
                let counted = count_either(searcher, first, second, &*excluded, &Cancellation::new()).unwrap();
                assert_eq!(counted, reference, "{first:?} or {second:?}");
                // Both ways of counting, whichever count_either picks here.
                for way in [count_by_lookups, count_by_bits] {
                    let counted: u32 = searcher
                        .segment_readers()
                        .iter()
                        .map(|reader| way(reader, first, second, &*excluded).unwrap())
                        .sum();
                    assert_eq!(counted as usize, reference, "{first:?} or {second:?}");
                }
            }
        }
    }
}
