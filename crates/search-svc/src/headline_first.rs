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

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::cancel::Cancellation;
use crate::conjunction::{may_reach, ConjunctionWord, Leaf, WordWeights};
use crate::doc_bits::DocBits;
use crate::ranked_top::{Ranked, SegmentTop};

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
    let best = best_headline_hits(&hits, top.capacity() * FIRST_SCORED_PER_HIT);
    score_in_full(reader, word, weights, &best, top)?;
    // 3. The rest whose bound reaches the page (the page's last score is
    // fixed while they are picked; `hits` and `best` are both by document,
    // so `best` is passed over in one walk).
    let reaches = |bound: Score, top: &SegmentTop| !top.is_full() || may_reach(bound, top.threshold());
    let page_last = top.is_full().then(|| top.threshold());
    let mut scored = best.iter().map(|hit| hit.doc).peekable();
    let mut rest = Vec::new();
    for hit in &hits {
        if page_last.is_some_and(|last| !may_reach(hit.score() + body_bound, last)) {
            continue;
        }
        while scored.next_if(|&doc| doc < hit.doc).is_some() {}
        if scored.next_if_eq(&hit.doc).is_none() {
            rest.push(*hit);
        }
    }
    score_in_full(reader, word, weights, &rest, top)?;
    // 4. Hits without the word in the headline.
    Ok(!reaches(body_bound, top))
}

/// The `count` hits (all, when fewer) with the best headline scores, by
/// document; among equal scores the lower documents. A bounded heap over
/// the hits: most are turned away by one comparison with its worst, where
/// a selection moved every hit of a common word's long headline lists.
fn best_headline_hits(hits: &[HeadlineHit], count: usize) -> Vec<HeadlineHit> {
    if hits.len() <= count {
        return hits.to_vec();
    }
    // Reversed: the heap's top is the worst kept hit (lowest score, then highest document).
    let rank = |hit: &HeadlineHit| Reverse(Ranked { score: hit.score(), doc: hit.doc });
    let mut heap: BinaryHeap<(Reverse<Ranked>, usize)> = BinaryHeap::with_capacity(count + 1);
    // The worst kept score: a hit below it is turned away by one comparison.
    let mut worst_score = Score::MIN;
    for (position, hit) in hits.iter().enumerate() {
        if heap.len() < count {
            heap.push((rank(hit), position));
        } else if hit.score() >= worst_score && heap.peek().is_some_and(|(worst, _)| rank(hit) < *worst) {
            heap.pop();
            heap.push((rank(hit), position));
        } else {
            continue;
        }
        if heap.len() == count {
            worst_score = heap.peek().map_or(Score::MIN, |(Reverse(worst), _)| worst.score);
        }
    }
    let mut positions: Vec<usize> = heap.into_iter().map(|(_, position)| position).collect();
    positions.sort_unstable();
    positions.into_iter().filter_map(|position| hits.get(position).copied()).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The heap keeps what sorting by score (higher first, then lower
    /// document) and taking the first `count` keeps, ties included, and
    /// gives it by document.
    #[test]
    fn the_best_headline_hits_are_the_first_of_a_sort_by_score_then_document() {
        // Scores with many ties, as headline scores have (few headline lengths).
        let hits: Vec<HeadlineHit> = (0..500u32)
            .map(|doc| HeadlineHit { doc: doc * 3, gram: ((doc * 7919) % 13) as Score * 0.5, word: (doc % 3) as Score })
            .collect();
        for count in [0, 1, 2, 20, 37, 499, 500, 600] {
            let mut sorted = hits.clone();
            sorted.sort_by(|a, b| b.score().total_cmp(&a.score()).then(a.doc.cmp(&b.doc)));
            let mut expected: Vec<DocId> = sorted.iter().take(count).map(|hit| hit.doc).collect();
            expected.sort_unstable();
            let best: Vec<DocId> = best_headline_hits(&hits, count).iter().map(|hit| hit.doc).collect();
            assert_eq!(best, expected, "count {count}");
        }
    }
}
