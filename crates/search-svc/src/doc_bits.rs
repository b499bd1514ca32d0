//! A bit per document of one segment, filled from posting lists decoded a
//! block at a time: about 1–2 ns a document, against 20–30 ns for a look-up
//! by skipping, so counting or intersecting long lists is cheaper this way.

use tantivy::query::Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, SegmentReader, Term, TERMINATED};

/// A bit per document of a segment.
#[derive(Debug, Clone)]
pub(crate) struct DocBits(Vec<u64>);

impl DocBits {
    /// No document.
    pub(crate) fn empty(max_doc: DocId) -> Self {
        DocBits(vec![0; (max_doc as usize).div_ceil(64)])
    }

    /// The given words (document `d` is bit `d % 64` of word `d / 64`).
    pub(crate) fn from_words(words: Vec<u64>) -> Self {
        DocBits(words)
    }

    /// Every document, and the bits past the last one (clear them with an
    /// intersection before counting).
    pub(crate) fn full(max_doc: DocId) -> Self {
        DocBits(vec![u64::MAX; (max_doc as usize).div_ceil(64)])
    }

    /// The documents `weight` matches.
    pub(crate) fn matching(reader: &SegmentReader, weight: &dyn Weight) -> tantivy::Result<Self> {
        let mut bits = DocBits::empty(reader.max_doc());
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            bits.insert(doc);
            doc = scorer.advance();
        }
        Ok(bits)
    }

    /// Sets the document's bit.
    #[inline]
    pub(crate) fn insert(&mut self, doc: DocId) {
        if let Some(word) = self.0.get_mut((doc / 64) as usize) {
            *word |= 1 << (doc % 64);
        }
    }

    /// The first document at or after `from` whose bit is set.
    pub(crate) fn next_set(&self, from: DocId) -> Option<DocId> {
        let mut index = (from / 64) as usize;
        let mut word = self.0.get(index)? & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return Some(index as DocId * 64 + word.trailing_zeros());
            }
            index += 1;
            word = *self.0.get(index)?;
        }
    }

    /// Whether the document's bit is set.
    pub(crate) fn contains(&self, doc: DocId) -> bool {
        self.0.get((doc / 64) as usize).is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }

    /// Sets the bit of every document of `term`'s postings.
    pub(crate) fn add_postings(&mut self, reader: &SegmentReader, term: &Term) -> tantivy::Result<()> {
        let inverted = reader.inverted_index(term.field())?;
        let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else { return Ok(()) };
        loop {
            let docs = block.docs();
            if docs.is_empty() {
                return Ok(());
            }
            for &doc in docs {
                self.insert(doc);
            }
            block.advance();
        }
    }

    /// Sets the bits of `term`'s postings in the blocks that hold a
    /// document of `within` (and so at least those of `within`'s documents
    /// in the postings; intersect with `within` for exactly those): the
    /// skip list jumps from one document of `within` to the next, so a word
    /// searched in a narrow filter decodes only the blocks under it (a
    /// filtered `发展` at a million articles decoded all of its 613,784
    /// postings before).
    pub(crate) fn add_postings_within(
        &mut self,
        reader: &SegmentReader,
        term: &Term,
        within: &DocBits,
    ) -> tantivy::Result<()> {
        let inverted = reader.inverted_index(term.field())?;
        let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else { return Ok(()) };
        let mut target = within.next_set(0);
        while let Some(doc) = target {
            // Loads the block that may hold `doc` (the current one when it does).
            block.seek(doc);
            let docs = block.docs();
            let Some(&last) = docs.last() else { return Ok(()) };
            for &doc in docs {
                self.insert(doc);
            }
            if last < doc {
                // Past the list's end, the last block stays loaded.
                return Ok(());
            }
            target = within.next_set(last.saturating_add(1));
        }
        Ok(())
    }

    /// Clears every bit.
    pub(crate) fn clear_all(&mut self) {
        self.0.fill(0);
    }

    /// Keeps only the bits also set in `other`.
    pub(crate) fn intersect(&mut self, other: &DocBits) {
        for (word, other_word) in self.0.iter_mut().zip(&other.0) {
            *word &= other_word;
        }
    }

    /// Also sets the bits set in `other`.
    pub(crate) fn unite(&mut self, other: &DocBits) {
        for (word, other_word) in self.0.iter_mut().zip(&other.0) {
            *word |= other_word;
        }
    }

    /// Clears the document's bit.
    #[inline]
    pub(crate) fn remove(&mut self, doc: DocId) {
        if let Some(word) = self.0.get_mut((doc / 64) as usize) {
            *word &= !(1 << (doc % 64));
        }
    }

    /// Clears the bits of deleted documents (from the segment's list of
    /// them, `deleted_docs.rs`: a few look-ups, not a check of every bit).
    pub(crate) fn remove_deleted(&mut self, reader: &SegmentReader) {
        if let Some(deleted) = crate::deleted_docs::of(reader) {
            for &doc in deleted.iter() {
                self.remove(doc);
            }
        }
    }

    /// How many bits are set.
    pub(crate) fn len(&self) -> u32 {
        self.0.iter().map(|word| word.count_ones()).sum()
    }

    /// The bits, 64 documents a word (document `d` is bit `d % 64` of word
    /// `d / 64`).
    pub(crate) fn words(&self) -> &[u64] {
        &self.0
    }

    /// Whether no bit is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|word| *word == 0)
    }

    /// Calls `visit` with every document whose bit is set, in ascending order.
    pub(crate) fn for_each_doc(&self, mut visit: impl FnMut(DocId)) {
        for (index, &word) in self.0.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                visit(index as DocId * 64 + rest.trailing_zeros());
                rest &= rest - 1;
            }
        }
    }

    /// Every document whose bit is set, in ascending order (for tests).
    #[cfg(test)]
    pub(crate) fn docs(&self) -> Vec<DocId> {
        let mut docs = Vec::new();
        self.for_each_doc(|doc| docs.push(doc));
        docs
    }

    /// Calls `visit` with every document whose bit is set here and whose
    /// bit in `other` is `in_other`, in ascending order.
    pub(crate) fn for_each(&self, other: &DocBits, in_other: bool, mut visit: impl FnMut(DocId)) {
        for (index, (&word, &other_word)) in self.0.iter().zip(&other.0).enumerate() {
            let mut rest = if in_other { word & other_word } else { word & !other_word };
            while rest != 0 {
                visit(index as DocId * 64 + rest.trailing_zeros());
                rest &= rest - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index};

    /// One segment of `docs` documents; document `i` holds `third` when
    /// `i % 3 == 0` and `all` always.
    fn segment(docs: u32) -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("word", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for doc in 0..docs {
            if doc % 3 == 0 {
                writer.add_document(doc!(field => "third", field => "all")).unwrap();
            } else {
                writer.add_document(doc!(field => "all")).unwrap();
            }
        }
        writer.commit().unwrap();
        (index, field)
    }

    #[test]
    fn postings_within_a_filter_are_the_filtered_postings_across_many_blocks() {
        // 5,000 documents: `third` spans 14 posting blocks of 128.
        let (index, field) = segment(5_000);
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let third = Term::from_field_text(field, "third");
        let mut within = DocBits::empty(reader.max_doc());
        // First and last documents, neighbours across a block's edge, a
        // stretch with no `third` posting, and the segment's last document.
        for doc in [0, 1, 383, 384, 385, 2_000, 2_001, 4_998, 4_999] {
            within.insert(doc);
        }
        let mut found = DocBits::empty(reader.max_doc());
        found.add_postings_within(reader, &third, &within).unwrap();
        found.intersect(&within);
        assert_eq!(found.docs(), [0, 384, 2_001, 4_998]);
        // A filter of every document reads the whole list; an empty one none of it.
        let mut everything = DocBits::empty(reader.max_doc());
        everything.add_postings_within(reader, &third, &DocBits::full(reader.max_doc())).unwrap();
        let mut whole = DocBits::empty(reader.max_doc());
        whole.add_postings(reader, &third).unwrap();
        assert_eq!(everything.docs(), whole.docs());
        assert_eq!(whole.docs().len(), 1_667);
        let mut none = DocBits::empty(reader.max_doc());
        none.add_postings_within(reader, &third, &DocBits::empty(reader.max_doc())).unwrap();
        assert!(none.is_empty());
        // A document past the list's last posting ends the walk.
        let mut past = DocBits::empty(reader.max_doc());
        past.insert(4_999);
        let mut tail = DocBits::empty(reader.max_doc());
        tail.add_postings_within(reader, &third, &past).unwrap();
        tail.intersect(&past);
        assert!(tail.is_empty());
    }

    #[test]
    fn next_set_finds_the_first_set_bit_at_or_after_a_document() {
        let mut bits = DocBits::empty(300);
        for doc in [3, 64, 200] {
            bits.insert(doc);
        }
        assert_eq!(bits.next_set(0), Some(3));
        assert_eq!(bits.next_set(3), Some(3));
        assert_eq!(bits.next_set(4), Some(64));
        assert_eq!(bits.next_set(65), Some(200));
        assert_eq!(bits.next_set(201), None);
        assert_eq!(bits.next_set(10_000), None);
        assert!(!bits.is_empty() && DocBits::empty(300).is_empty());
    }
}
