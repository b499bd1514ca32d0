//! The best hits and the count of an AND of words that are each one gram
//! (two Han characters, or a Latin or digit run) searched in headline and
//! body, by relevance, within an optional filter: the shape of most
//! two-word searches, and of a word searched in one paper or period; with
//! facet counts of the same hits when asked.
//!
//! tantivy runs such a query as the intersection of one union per word
//! (headline or body postings), and scores every hit through a further union
//! of the words' jieba postings. Its unions walk every posting of every list,
//! a window at a time, so at a million articles `经济 合作` cost 10–17 ms.
//! Here, per segment:
//! 1. each word's body and headline-only postings (two disjoint lists whose
//!    union is "in headline or body") are decoded a block at a time into bit
//!    sets (or their bits remembered from an earlier search read, see
//!    `word_bits.rs`); the intersection over the words of their unions, less deleted
//!    documents (later parts of continued stories hold no word), and within the
//!    filter's documents (matched once per segment, first: then each word
//!    decodes only the posting blocks holding a document still in the
//!    running), is the set of hits, its size the count, and the facets (when
//!    asked) are counted from its bits;
//! 2. hits with a word in the headline (grams or jieba words) are scored
//!    first, with the same leaves and weights as tantivy's nested query, and
//!    added up in its order (its unions change that order as posting lists
//!    run out, so a score may differ from tantivy's in the last bits, and
//!    documents of equal score may swap places). Once the page is full, a
//!    hit's headline leaves are read first: its score is at most their sum
//!    plus the body leaves' largest scores, and when that cannot reach the
//!    page's last hit, the long body lists are not sought for it (for a pair
//!    of common words, most of their thousands of headline hits);
//! 3. every other hit can only score from body leaves, so their largest
//!    possible scores bound it; when that bound cannot reach the page's last
//!    hit, those hits are skipped, and otherwise they are scored too.

use tantivy::collector::Collector;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

use crate::cancel::Cancellation;
use crate::doc_bits::DocBits;
use crate::facet_counts::{FacetTopCounts, RootCounts};
use crate::filter_bits::FilterBits;
use crate::ranked_top::SegmentTop;

/// Relative slack on score bounds: a bound within it of the page's last
/// score is taken as reaching it (sums added in another order differ in the
/// last bits).
const BOUND_SLACK: Score = 1e-5;

/// Whether a hit whose score is at most `bound` may still beat `threshold`,
/// the page's last score (see [`BOUND_SLACK`]).
pub(crate) fn may_reach(bound: Score, threshold: Score) -> bool {
    bound * (1.0 + BOUND_SLACK) >= threshold
}

/// One word of the conjunction: its gram in the four fields a word is
/// matched and ranked in.
#[derive(Debug, Clone)]
pub struct ConjunctionWord {
    /// Headline grams (matching and ranking, boosted).
    pub heading: Term,
    /// Headline grams missing from the body (with `body`, the word's
    /// articles as two disjoint lists: for matching and counting).
    pub heading_only: Term,
    /// Body grams (matching and ranking).
    pub body: Term,
    /// Headline jieba words (ranking, boosted).
    pub heading_word: Term,
    /// Body jieba words (ranking).
    pub body_word: Term,
}

/// A word's BM25 weights in its four fields, from the whole index's statistics.
pub(crate) struct WordWeights {
    pub(crate) heading: Bm25Weight,
    pub(crate) body: Bm25Weight,
    pub(crate) heading_word: Bm25Weight,
    pub(crate) body_word: Bm25Weight,
}

impl WordWeights {
    /// The largest score the word's body leaves can give a document.
    pub(crate) fn body_bound(&self) -> Score {
        self.body.max_score() + self.body_word.max_score()
    }

    /// The weights of `word`, the headline's boosted by `heading_boost`.
    pub(crate) fn new(searcher: &Searcher, word: &ConjunctionWord, heading_boost: Score) -> tantivy::Result<Self> {
        let weight = |term: &Term, boost: Score| -> tantivy::Result<Bm25Weight> {
            Ok(Bm25Weight::for_terms(searcher, std::slice::from_ref(term))?.boost_by(boost))
        };
        Ok(WordWeights {
            heading: weight(&word.heading, heading_boost)?,
            body: weight(&word.body, 1.0)?,
            heading_word: weight(&word.heading_word, heading_boost)?,
            body_word: weight(&word.body_word, 1.0)?,
        })
    }
}

/// The best hits of a conjunction, the number of hits, and their facet
/// counts when asked.
pub type TopCountFacets = (Vec<(Score, DocAddress)>, usize, Option<RootCounts>);

/// What makes a search's hits: documents holding every word in headline or
/// body, and only those `required` matches (a filter, matched without
/// scoring) when given. Later parts of continued stories index no searchable
/// text (`document::add_searchable_text`), so no word list holds them.
pub struct HitSet<'a> {
    pub words: &'a [ConjunctionWord],
    pub required: Option<&'a FilterBits>,
}

impl HitSet<'_> {
    /// The words' BM25 weights, the headline's boosted by `heading_boost`.
    pub(crate) fn weights(&self, searcher: &Searcher, heading_boost: Score) -> tantivy::Result<Vec<WordWeights>> {
        self.words.iter().map(|word| WordWeights::new(searcher, word, heading_boost)).collect()
    }

    /// Segment by segment (in parallel): the hit set and the documents with
    /// a word in the headline, given to `rank` for the segment's best hits;
    /// returns every segment's best hits, the number of hits, and their
    /// counts by `facets` when given.
    pub(crate) fn rank_segments<T: Send>(
        &self,
        searcher: &Searcher,
        facets: Option<&FacetTopCounts>,
        cancel: &Cancellation,
        rank: impl Fn(&SegmentReader, SegmentOrdinal, DocBits, DocBits) -> tantivy::Result<Vec<T>> + Sync,
    ) -> tantivy::Result<(Vec<T>, usize, Option<RootCounts>)> {
        let segments = searcher.segment_readers().iter().enumerate();
        let per_segment = crate::parallel::executor().map(
            |(ordinal, reader): (usize, &SegmentReader)| {
                cancel.check()?;
                let ordinal = ordinal as SegmentOrdinal;
                let (hits, in_heading) = segment_hits(reader, self.words, self.required)?;
                let counts = facets.map(|facets| facets.count_segment_hits(ordinal, reader, &hits)).transpose()?;
                let count = hits.len();
                Ok((rank(reader, ordinal, hits, in_heading)?, count, counts))
            },
            segments,
        )?;
        let mut total = 0usize;
        let mut best = Vec::new();
        let mut facet_fruits = Vec::new();
        for (segment_best, count, counts) in per_segment {
            total += count as usize;
            best.extend(segment_best);
            facet_fruits.extend(counts);
        }
        let counts = facets.map(|facets| facets.merge_fruits(facet_fruits)).transpose()?;
        Ok((best, total, counts))
    }
}

/// The best `limit` hits after `offset` (best first; ties: lower address
/// first, as `TopDocs`), the number of hits, and the hits' counts by
/// `facets` when given.
pub fn top_and_count(
    searcher: &Searcher,
    hit_set: &HitSet,
    heading_boost: Score,
    limit: usize,
    offset: usize,
    facets: Option<&FacetTopCounts>,
    cancel: &Cancellation,
) -> tantivy::Result<TopCountFacets> {
    let weights = hit_set.weights(searcher, heading_boost)?;
    let capacity = limit.saturating_add(offset);
    let (mut hits, total, counts) =
        hit_set.rank_segments(searcher, facets, cancel, |reader, ordinal, hits, in_heading| {
            segment_top(reader, ordinal, hit_set.words, &weights, hits, in_heading, capacity)
        })?;
    hits.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok((hits.into_iter().skip(offset).take(limit).collect(), total, counts))
}

/// One term's postings with what scores them, advanced forward only.
pub(crate) struct Leaf {
    postings: Option<SegmentPostings>,
    fieldnorms: FieldNormReader,
    weight: Bm25Weight,
}

/// The field norms a term of `term`'s field is scored with in the segment
/// (every document of length one when the field keeps none).
fn field_norms(reader: &SegmentReader, term: &Term) -> tantivy::Result<FieldNormReader> {
    Ok(reader
        .fieldnorms_readers()
        .get_field(term.field())?
        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1)))
}

impl Leaf {
    /// Every (document, score) of `term` in the segment, in ascending
    /// order, read a block of 128 postings at a time (rather than a posting
    /// at a time through `SegmentPostings::advance`, which checks for the
    /// block's end at each).
    pub(crate) fn all(
        reader: &SegmentReader,
        term: &Term,
        weight: &Bm25Weight,
    ) -> tantivy::Result<Vec<(DocId, Score)>> {
        let inverted = reader.inverted_index(term.field())?;
        let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::WithFreqs)? else {
            return Ok(Vec::new());
        };
        let fieldnorms = field_norms(reader, term)?;
        let mut all = Vec::with_capacity(block.doc_freq() as usize);
        loop {
            let docs = block.docs();
            if docs.is_empty() {
                break;
            }
            let scored = docs
                .iter()
                .zip(block.freqs())
                .map(|(&doc, &freq)| (doc, weight.score(fieldnorms.fieldnorm_id(doc), freq)));
            all.extend(scored);
            block.advance();
        }
        Ok(all)
    }

    pub(crate) fn open(reader: &SegmentReader, term: &Term, weight: &Bm25Weight) -> tantivy::Result<Leaf> {
        let inverted = reader.inverted_index(term.field())?;
        let fieldnorms = field_norms(reader, term)?;
        Ok(Leaf {
            postings: inverted.read_postings(term, IndexRecordOption::WithFreqs)?,
            fieldnorms,
            weight: weight.clone(),
        })
    }

    /// The term's score in `doc`, if the document holds it (ask in ascending order).
    pub(crate) fn score(&mut self, doc: DocId) -> Option<Score> {
        let postings = self.postings.as_mut()?;
        if postings.doc() < doc {
            postings.seek(doc);
        }
        (postings.doc() == doc).then(|| self.weight.score(self.fieldnorms.fieldnorm_id(doc), postings.term_freq()))
    }
}

/// A word's four leaves in one segment.
struct WordLeaves {
    heading: Leaf,
    body: Leaf,
    heading_word: Leaf,
    body_word: Leaf,
}

/// Every word's leaves in one segment, and the order in which tantivy's
/// intersection adds the words' headline-or-body scores there (by the
/// longer of the two posting lists, shortest first, as it orders its parts).
pub(crate) struct SegmentLeaves {
    words: Vec<WordLeaves>,
    intersection_order: Vec<usize>,
    /// Each word's headline-or-body score in the document being scored.
    unions: Vec<Score>,
    /// Each word's headline gram and headline word scores in that document.
    headline: Vec<(Option<Score>, Option<Score>)>,
}

impl SegmentLeaves {
    pub(crate) fn open(
        reader: &SegmentReader,
        words: &[ConjunctionWord],
        weights: &[WordWeights],
    ) -> tantivy::Result<Self> {
        let mut leaves = Vec::with_capacity(words.len());
        let mut sizes = Vec::with_capacity(words.len());
        for (word, weight) in words.iter().zip(weights) {
            let heading = Leaf::open(reader, &word.heading, &weight.heading)?;
            let body = Leaf::open(reader, &word.body, &weight.body)?;
            let size = |leaf: &Leaf| leaf.postings.as_ref().map_or(0, |postings| postings.doc_freq());
            sizes.push(size(&heading).max(size(&body)));
            leaves.push(WordLeaves {
                heading,
                body,
                heading_word: Leaf::open(reader, &word.heading_word, &weight.heading_word)?,
                body_word: Leaf::open(reader, &word.body_word, &weight.body_word)?,
            });
        }
        let mut intersection_order: Vec<usize> = (0..words.len()).collect();
        intersection_order.sort_by_key(|index| sizes[*index]);
        Ok(SegmentLeaves {
            unions: vec![0.0; words.len()],
            headline: vec![(None, None); words.len()],
            words: leaves,
            intersection_order,
        })
    }

    /// The document's score, added up as tantivy adds up the nested query's:
    /// (intersection of the words' headline-or-body unions) + (union of the
    /// jieba leaves, in query order). `in_heading`: whether the document may
    /// hold a word in its headline (if not, the headline leaves are not read).
    pub(crate) fn score(&mut self, doc: DocId, in_heading: bool) -> Score {
        if in_heading {
            self.read_headline_leaves(doc);
        } else {
            self.headline.fill((None, None));
        }
        self.read_body_leaves_and_add_up(doc)
    }

    /// The score of a document with a word in its headline, as [`score`]
    /// gives it, or None when it cannot exceed `threshold`: its headline
    /// leaves are read first (short lists), and the long body lists are
    /// sought only when the headline's sum plus `body_bound` (the body
    /// leaves' largest scores) reaches `threshold`.
    ///
    /// [`score`]: SegmentLeaves::score
    pub(crate) fn score_reaching(&mut self, doc: DocId, body_bound: Score, threshold: Score) -> Option<Score> {
        let headline: Score = self.read_headline_leaves(doc);
        if !may_reach(headline + body_bound, threshold) {
            return None;
        }
        Some(self.read_body_leaves_and_add_up(doc))
    }

    /// Reads each word's headline gram and word scores in `doc`; returns
    /// their sum.
    fn read_headline_leaves(&mut self, doc: DocId) -> Score {
        let mut sum: Score = 0.0;
        for (word, slot) in self.words.iter_mut().zip(&mut self.headline) {
            *slot = (word.heading.score(doc), word.heading_word.score(doc));
            sum += slot.0.unwrap_or(0.0) + slot.1.unwrap_or(0.0);
        }
        sum
    }

    /// Reads the body leaves in `doc` and adds up every leaf's score (the
    /// headline ones as last read) in tantivy's order.
    fn read_body_leaves_and_add_up(&mut self, doc: DocId) -> Score {
        for ((word, slot), (heading, _)) in self.words.iter_mut().zip(&mut self.unions).zip(&self.headline) {
            let mut union: Score = 0.0;
            if let Some(score) = heading {
                union += score;
            }
            if let Some(score) = word.body.score(doc) {
                union += score;
            }
            *slot = union;
        }
        let unions = &self.unions;
        let ordered = |rank: usize| self.intersection_order.get(rank).and_then(|i| unions.get(*i)).copied();
        let mut required = ordered(0).unwrap_or(0.0) + ordered(1).unwrap_or(0.0);
        if self.words.len() > 2 {
            required += (2..self.words.len()).filter_map(ordered).sum::<Score>();
        }
        let mut optional: Option<Score> = None;
        for (word, (_, heading_word)) in self.words.iter_mut().zip(&self.headline) {
            for score in [*heading_word, word.body_word.score(doc)].into_iter().flatten() {
                optional = Some(optional.unwrap_or(0.0) + score);
            }
        }
        match optional {
            Some(optional) => required + optional,
            None => required,
        }
    }
}

/// A segment's hits (every word in headline or body, not deleted,
/// `required` when given), and the documents with a word in the headline.
fn segment_hits(
    reader: &SegmentReader,
    words: &[ConjunctionWord],
    required: Option<&FilterBits>,
) -> tantivy::Result<(DocBits, DocBits)> {
    let max_doc = reader.max_doc();
    // 1. The hits: every word in headline or body (bits past the last
    // document are cleared by the first word), not deleted. With a filter,
    // its documents are matched first and each word's postings are read
    // only in the blocks that hold a document still in the running.
    let mut hits = match required {
        Some(required) => required.matching(reader)?,
        None => DocBits::full(max_doc),
    };
    let within_filter = required.is_some();
    let add = |bits: &mut DocBits, term: &Term, within: &DocBits| {
        if within_filter {
            bits.add_postings_within(reader, term, within)
        } else {
            bits.add_postings(reader, term)
        }
    };
    // A word's lists united as bits: remembered ones whenever there are
    // (see `word_bits.rs`); without a filter, decoded whole (remembered when
    // long); within one, only the blocks under it, as the filter is usually
    // narrower than the word.
    let remembered = crate::word_bits::shared();
    let mut in_heading = DocBits::empty(max_doc);
    let mut either = DocBits::empty(max_doc);
    for word in words {
        let lists = [&word.heading_only, &word.body];
        match remembered.get(reader, &lists) {
            Some(bits) => hits.intersect(&bits),
            None => {
                if within_filter {
                    either.clear_all();
                    add(&mut either, &word.heading_only, &hits)?;
                    add(&mut either, &word.body, &hits)?;
                } else {
                    remembered.decode_into(reader, &lists, &mut either)?;
                }
                hits.intersect(&either);
            }
        }
        if within_filter && hits.is_empty() {
            break;
        }
        let lists = [&word.heading, &word.heading_word];
        match remembered.get(reader, &lists) {
            Some(bits) => in_heading.unite(&bits),
            None if within_filter => {
                add(&mut in_heading, &word.heading, &hits)?;
                add(&mut in_heading, &word.heading_word, &hits)?;
            }
            None => {
                remembered.decode_into(reader, &lists, &mut either)?;
                in_heading.unite(&either);
            }
        }
    }
    hits.remove_deleted(reader);
    Ok((hits, in_heading))
}

/// The best `capacity` of a segment's hits.
fn segment_top(
    reader: &SegmentReader,
    ordinal: SegmentOrdinal,
    words: &[ConjunctionWord],
    weights: &[WordWeights],
    hits: DocBits,
    in_heading: DocBits,
    capacity: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let mut top = SegmentTop::new(ordinal, capacity, DocBits::empty(0), reader);
    if capacity == 0 || hits.is_empty() {
        return Ok(top.into_hits());
    }
    // 2. Hits with a word in the headline; once the page is full, only
    // those whose headline leaves plus the body bound reach it read the body.
    let body_bound: Score = weights.iter().map(WordWeights::body_bound).sum();
    let mut leaves = SegmentLeaves::open(reader, words, weights)?;
    hits.for_each(&in_heading, true, |doc| {
        let score = if top.is_full() {
            leaves.score_reaching(doc, body_bound, top.threshold())
        } else {
            Some(leaves.score(doc, true))
        };
        if let Some(score) = score {
            top.offer(doc, score);
        }
    });
    // 3. The others, unless the body leaves' best cannot reach the page.
    if top.is_full() && !may_reach(body_bound, top.threshold()) {
        return Ok(top.into_hits());
    }
    let mut leaves = SegmentLeaves::open(reader, words, weights)?;
    hits.for_each(&in_heading, false, |doc| {
        let score = leaves.score(doc, false);
        top.offer(doc, score);
    });
    Ok(top.into_hits())
}
