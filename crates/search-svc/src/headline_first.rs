//! The best hits of one word searched in headline and body, by relevance:
//! the shape of the most common search. Its score is the sum of four BM25
//! leaves (headline gram and jieba word, boosted; body gram and jieba word).
//! For a common word the body leaves score little (a word in most articles
//! has a small idf), so the page is made of headline hits; tantivy's
//! block-max WAND still scores every headline hit in full, seeking the long
//! body lists for each, since a headline block's best score reaches the page.
//! Here, per segment:
//! 1. the headline lists are read once, giving each headline hit its
//!    headline score, and an upper bound: that score plus the body leaves'
//!    largest possible scores;
//! 2. the hits with the best headline scores are scored in full (body lists
//!    sought forward), which sets the page's last score;
//! 3. the other headline hits are scored in full only when their bound
//!    reaches it;
//! 4. a hit without the word in its headline scores at most the body bound:
//!    when that cannot reach the page, none is read; otherwise the segment
//!    is ranked by tantivy's block-max WAND instead.
//!
//! Scores are the same leaves' sums, added in one fixed order (tantivy's
//! order depends on its cursors, so the last bits may differ).

use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::cancel::Cancellation;
use crate::conjunction::{may_reach, ConjunctionWord, Leaf, WordWeights};
use crate::doc_bits::DocBits;
use crate::ranked_top::SegmentTop;

/// How many of the best headline scores are scored in full first, per hit
/// on the page (more gives a higher last score before the rest is bounded).
const FIRST_SCORED_PER_HIT: usize = 2;

/// A headline hit: its document, and its headline gram and word scores.
#[derive(Debug, Clone, Copy)]
struct HeadlineHit {
    doc: DocId,
    gram: Score,
    word: Score,
}

impl HeadlineHit {
    fn score(&self) -> Score {
        self.gram + self.word
    }
}

/// The best `limit` hits after `offset` of `word` (best first; ties: lower
/// address first), never deleted ones (later parts hold no word), and how many segments
/// were ranked by WAND instead. `wand` is the same ranking as a weight
/// tantivy runs with block-max WAND, for segments where body-only hits
/// could reach the page.
#[allow(clippy::too_many_arguments)]
pub fn top(
    searcher: &Searcher,
    word: &ConjunctionWord,
    heading_boost: Score,
    wand: &dyn Weight,
    limit: usize,
    offset: usize,
    cancel: &Cancellation,
) -> tantivy::Result<(Vec<(Score, DocAddress)>, usize)> {
    let weights = WordWeights::new(searcher, word, heading_boost)?;
    let capacity = limit.saturating_add(offset);
    let segments = searcher.segment_readers().iter().enumerate();
    let per_segment = crate::parallel::executor().map(
        |(ordinal, reader): (usize, &SegmentReader)| {
            cancel.check()?;
            let ordinal = ordinal as SegmentOrdinal;
            let mut top = SegmentTop::new(ordinal, capacity, DocBits::empty(0), reader);
            if capacity == 0 {
                return Ok((Vec::new(), false));
            }
            if segment_top(reader, word, &weights, &mut top)? {
                return Ok((top.into_hits(), false));
            }
            // Body-only hits may reach the page: tantivy's WAND ranks the segment.
            top.clear();
            wand.for_each_pruning(Score::MIN, reader, &mut |doc, score| top.offer(doc, score))?;
            Ok((top.into_hits(), true))
        },
        segments,
    )?;
    let fallbacks = per_segment.iter().filter(|(_, fell_back)| *fell_back).count();
    let mut hits: Vec<(Score, DocAddress)> = per_segment.into_iter().flat_map(|(hits, _)| hits).collect();
    hits.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok((hits.into_iter().skip(offset).take(limit).collect(), fallbacks))
}

/// Fills `top` with the segment's best hits from its headline hits; false
/// when hits without the word in the headline could reach the page (then
/// `top` is incomplete).
fn segment_top(
    reader: &SegmentReader,
    word: &ConjunctionWord,
    weights: &WordWeights,
    top: &mut SegmentTop,
) -> tantivy::Result<bool> {
    let body_bound = weights.body_bound();
    // 1. Headline hits with their headline scores.
    let grams = Leaf::all(reader, &word.heading, &weights.heading)?;
    let words = Leaf::all(reader, &word.heading_word, &weights.heading_word)?;
    let mut hits = merge(&grams, &words);
    hits.retain(|hit| !top.skips(hit.doc));
    // 2. The best headline scores first.
    let first = (top.capacity() * FIRST_SCORED_PER_HIT).min(hits.len());
    if first > 0 && first < hits.len() {
        hits.select_nth_unstable_by(first - 1, |a, b| b.score().total_cmp(&a.score()));
    }
    let (best, rest) = hits.split_at_mut(first);
    best.sort_unstable_by_key(|hit| hit.doc);
    score_in_full(reader, word, weights, best, top)?;
    // 3. The rest whose bound reaches the page.
    let reaches = |bound: Score, top: &SegmentTop| !top.is_full() || may_reach(bound, top.threshold());
    let mut rest: Vec<HeadlineHit> =
        rest.iter().copied().filter(|hit| reaches(hit.score() + body_bound, top)).collect();
    rest.sort_unstable_by_key(|hit| hit.doc);
    score_in_full(reader, word, weights, &rest, top)?;
    // 4. Hits without the word in the headline.
    Ok(!reaches(body_bound, top))
}

/// The union of the headline gram's and word's hits, by document.
fn merge(grams: &[(DocId, Score)], words: &[(DocId, Score)]) -> Vec<HeadlineHit> {
    let mut merged = Vec::with_capacity(grams.len().max(words.len()));
    let (mut g, mut w) = (0, 0);
    loop {
        let hit = match (grams.get(g), words.get(w)) {
            (None, None) => return merged,
            (Some(&(doc, gram)), Some(&(word_doc, word))) if doc == word_doc => {
                g += 1;
                w += 1;
                HeadlineHit { doc, gram, word }
            }
            (Some(&(doc, gram)), Some(&(word_doc, _))) if doc < word_doc => {
                g += 1;
                HeadlineHit { doc, gram, word: 0.0 }
            }
            (Some(&(doc, gram)), None) => {
                g += 1;
                HeadlineHit { doc, gram, word: 0.0 }
            }
            (_, Some(&(doc, word))) => {
                w += 1;
                HeadlineHit { doc, gram: 0.0, word }
            }
        };
        merged.push(hit);
    }
}

/// Scores `hits` (ascending documents) in full and offers them to `top`.
fn score_in_full(
    reader: &SegmentReader,
    word: &ConjunctionWord,
    weights: &WordWeights,
    hits: &[HeadlineHit],
    top: &mut SegmentTop,
) -> tantivy::Result<()> {
    if hits.is_empty() {
        return Ok(());
    }
    let mut body = Leaf::open(reader, &word.body, &weights.body)?;
    let mut body_word = Leaf::open(reader, &word.body_word, &weights.body_word)?;
    for hit in hits {
        let body_score = body.score(hit.doc).unwrap_or(0.0);
        let body_word_score = body_word.score(hit.doc).unwrap_or(0.0);
        top.offer(hit.doc, hit.gram + body_score + hit.word + body_word_score);
    }
    Ok(())
}
