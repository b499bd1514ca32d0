//! Snippets and highlighted titles: the best passage of a stored text with
//! the query's grams marked.
//!
//! The passages, their scores and the marks are those of tantivy's
//! `SnippetGenerator` (the tests compare the two), but the text is walked
//! once with [`walk_grams`] and no token is allocated. tantivy re-runs the
//! field's tokenizer on every hit's body, which for our grams meant a
//! `String` per character plus a lower-cased copy of each: over half of a
//! common word's search time went there. A Han gram is compared as its
//! characters, never written out as text: almost every gram of a body is
//! turned away by one test of its first character against a bit mask.
//!
//! As in tantivy, a passage is at most `max_bytes` bytes of text (the
//! `snippet_chars` setting, counted in bytes), scored by the sum over its
//! matching grams of `1 / (1 + document frequency)`; the best passage wins,
//! the earliest among equals.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::{Score, Searcher, Term};

use crate::analyzer::{is_han, walk_grams, Gram};

/// Marks a query's grams in texts of one grams field.
#[derive(Debug, Clone)]
pub struct Highlighter {
    /// Gram text → weight, for the query's terms that occur in the index.
    terms: BTreeMap<String, Score>,
    /// The terms of two Han characters, with their weights.
    pairs: Vec<([char; 2], Score)>,
    /// The terms of one Han character, with their weights.
    singles: Vec<(char, Score)>,
    /// A bit per first character of the Han terms ([`first_char_bit`]), so
    /// that nearly every Han gram of a text is turned away by one test.
    han_firsts: u64,
    max_bytes: usize,
}

/// A candidate passage.
#[derive(Debug)]
struct Passage {
    score: Score,
    start: usize,
    stop: usize,
    marks: Vec<Range<usize>>,
}

impl Passage {
    fn at(start: usize) -> Passage {
        Passage { score: 0.0, start, stop: start, marks: Vec::new() }
    }
}

impl Highlighter {
    /// The query's terms on `field` that occur in the index, weighted as
    /// tantivy's snippet generator weighs them.
    pub fn create(searcher: &Searcher, query: &dyn Query, field: Field, max_bytes: usize) -> tantivy::Result<Self> {
        let mut query_terms: BTreeSet<Term> = BTreeSet::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field {
                query_terms.insert(term.clone());
            }
        });
        let mut terms = BTreeMap::new();
        for term in query_terms {
            let Some(text) = term.value().as_str().map(str::to_string) else { continue };
            let doc_freq = searcher.doc_freq(&term)?;
            if doc_freq > 0 {
                terms.insert(text, 1.0 / (1.0 + doc_freq as Score));
            }
        }
        let mut pairs = Vec::new();
        let mut singles = Vec::new();
        let mut han_firsts = 0;
        for (term, weight) in &terms {
            let mut chars = term.chars();
            match (chars.next(), chars.next(), chars.next()) {
                (Some(first), Some(second), None) if is_han(first) && is_han(second) => {
                    pairs.push(([first, second], *weight));
                    han_firsts |= first_char_bit(first);
                }
                (Some(single), None, None) if is_han(single) => {
                    singles.push((single, *weight));
                    han_firsts |= first_char_bit(single);
                }
                _ => {}
            }
        }
        Ok(Highlighter { terms, pairs, singles, han_firsts, max_bytes })
    }

    /// True when no query term occurs in the index (nothing can be marked).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The weight of a gram: a Han gram's from the terms of its characters,
    /// a word's looked up lower-cased as tantivy does (grams are lower-case
    /// already, but for letters outside ASCII).
    fn weight(&self, gram: Gram<'_>) -> Option<Score> {
        match gram {
            Gram::Pair(first, second) => {
                if self.han_firsts & first_char_bit(first) == 0 {
                    return None;
                }
                self.pairs.iter().find(|(pair, _)| *pair == [first, second]).map(|(_, weight)| *weight)
            }
            Gram::Single(single) => {
                if self.han_firsts & first_char_bit(single) == 0 {
                    return None;
                }
                self.singles.iter().find(|(known, _)| *known == single).map(|(_, weight)| *weight)
            }
            Gram::Word(word) => {
                if word.chars().all(|c| !c.is_uppercase()) {
                    self.terms.get(word).copied()
                } else {
                    self.terms.get(&word.to_lowercase()).copied()
                }
            }
        }
    }

    /// The best passage of `text` with every matching gram between `pre`
    /// and `post` (overlapping marks merged; text HTML-escaped), or `None`
    /// when no query gram occurs in it.
    pub fn mark(&self, text: &str, pre: &str, post: &str) -> Option<String> {
        if self.terms.is_empty() || text.is_empty() {
            return None;
        }
        let mut best: Option<Passage> = None;
        let mut keep = |passage: Passage| {
            if passage.score > 0.0 && best.as_ref().is_none_or(|b| passage.score > b.score) {
                best = Some(passage);
            }
        };
        let mut current = Passage::at(0);
        walk_grams(text, |from, to, gram| {
            if to - current.start > self.max_bytes {
                keep(std::mem::replace(&mut current, Passage::at(from)));
            }
            current.stop = to;
            if let Some(weight) = self.weight(gram) {
                current.score += weight;
                current.marks.push(from..to);
            }
        });
        keep(current);
        let passage = best?;
        let fragment = text.get(passage.start..passage.stop)?;
        let mut marks: Vec<Range<usize>> =
            passage.marks.iter().map(|m| m.start - passage.start..m.end - passage.start).collect();
        marks.sort_by_key(|m| (m.start, m.end));
        marks.dedup();
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(marks.len());
        for mark in marks {
            match merged.last_mut() {
                // Only a true overlap merges; adjacent marks stay apart.
                Some(last) if last.end > mark.start => last.end = last.end.max(mark.end),
                _ => merged.push(mark),
            }
        }
        let mut html = String::with_capacity(fragment.len() + merged.len() * (pre.len() + post.len()) + 16);
        let mut from = 0;
        for mark in merged {
            escape_into(&mut html, fragment.get(from..mark.start)?);
            html.push_str(pre);
            escape_into(&mut html, fragment.get(mark.clone())?);
            html.push_str(post);
            from = mark.end;
        }
        escape_into(&mut html, fragment.get(from..)?);
        Some(html)
    }
}

/// The bit of a character in [`Highlighter::han_firsts`].
fn first_char_bit(c: char) -> u64 {
    1 << (u32::from(c) % 64)
}

/// Appends `text` with `"`, `&`, `'`, `<` and `>` as HTML entities (the
/// minimal set tantivy's snippets escape).
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#x27;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::IndexFields;
    use tantivy::query::{BooleanQuery, Occur, PhraseQuery, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::snippet::SnippetGenerator;
    use tantivy::{doc, Index};

    const BODIES: [&str; 4] = [
        "山西省第六届“万步有约”健走激励大赛启动。本报记者 王晓华\n大赛涵盖精英赛、拓展赛、健康体重大赛等多个项目，万步有约已连续举办六届。",
        "太忻一体化经济区建设提速，经济发展稳中有进。G20 峰会 & <发展> 'x' \"y\" 发展发展",
        "改革开放四十年，农村改革发展。 Ａｂｃ ÄBC äbc 醫保局改革",
        "短",
    ];

    /// A RAM index of the bodies, as the service indexes them.
    fn index() -> (Index, IndexFields) {
        let (schema, fields) = IndexFields::build();
        let index = Index::create_in_ram(schema);
        crate::analyzer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for body in BODIES {
            writer.add_document(doc!(fields.body => body)).expect("add");
        }
        writer.commit().expect("commit");
        (index, fields)
    }

    /// tantivy's own snippet for the same query, as the service used to make it.
    fn tantivy_snippet(searcher: &Searcher, query: &dyn Query, field: Field, max: usize, text: &str) -> Option<String> {
        let mut generator = SnippetGenerator::create(searcher, query, field).expect("generator");
        generator.set_max_num_chars(max);
        let mut snippet = generator.snippet(text);
        if snippet.is_empty() {
            return None;
        }
        snippet.set_snippet_prefix_postfix("<em>", "</em>");
        Some(snippet.to_html())
    }

    fn matcher(field: Field, text: &str) -> Box<dyn Query> {
        crate::search::text_matcher(field, text).expect("searchable")
    }

    #[test]
    fn marks_equal_tantivys_snippets() {
        let (index, fields) = index();
        let searcher = index.reader().expect("reader").searcher();
        let queries: Vec<Box<dyn Query>> = vec![
            matcher(fields.body, "万步有约"),
            matcher(fields.body, "发展"),
            matcher(fields.body, "改革"),
            matcher(fields.body, "医保"),
            matcher(fields.body, "abc"),
            matcher(fields.body, "g20"),
            matcher(fields.body, "不存在的词"),
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, matcher(fields.body, "经济")),
                (Occur::Should, matcher(fields.body, "太忻")),
                (
                    Occur::Should,
                    Box::new(TermQuery::new(Term::from_field_text(fields.body, "发展"), IndexRecordOption::WithFreqs)),
                ),
            ])),
            Box::new(PhraseQuery::new(vec![
                Term::from_field_text(fields.body, "健走"),
                Term::from_field_text(fields.body, "走激"),
            ])),
        ];
        let mut marked = 0;
        for query in &queries {
            for max in [10, 30, 150, 600] {
                let ours = Highlighter::create(&searcher, query.as_ref(), fields.body, max).expect("highlighter");
                for text in BODIES {
                    let expected = tantivy_snippet(&searcher, query.as_ref(), fields.body, max, text);
                    let got = ours.mark(text, "<em>", "</em>");
                    assert_eq!(got, expected, "query {query:?}, max {max}, text {text}");
                    marked += usize::from(got.is_some());
                }
            }
        }
        assert!(marked > 20, "the comparison must cover marked passages, got {marked}");
    }

    #[test]
    fn marks_equal_tantivys_snippets_on_generated_texts() {
        // Texts drawn from Han characters (traditional ones too), Chinese and
        // Latin punctuation, Latin letters of both cases and digits, full- and
        // half-width: the marks must be tantivy's whatever the mix.
        let alphabet: Vec<char> =
            "经济发展改革人民經濟發展醫保局市场，。、“”《》（）—… abcABCÄäg20２０Ｇ\n".chars().collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let texts: Vec<String> = (0..60)
            .map(|_| {
                let length = 1 + next(400);
                (0..length).map(|_| alphabet[next(alphabet.len())]).collect()
            })
            .collect();
        let (schema, fields) = IndexFields::build();
        let index = Index::create_in_ram(schema);
        crate::analyzer::register(&index);
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for text in &texts {
            writer.add_document(doc!(fields.body => text.as_str())).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let queries = ["经济", "发展改革", "醫保", "abc", "g20", "Ä", "济g20", "革。abc", "人民 市场 ABC"];
        let mut marked = 0;
        for query in queries {
            let query = matcher(fields.body, query);
            for max in [20, 150] {
                let ours = Highlighter::create(&searcher, query.as_ref(), fields.body, max).expect("highlighter");
                for text in &texts {
                    let expected = tantivy_snippet(&searcher, query.as_ref(), fields.body, max, text);
                    let got = ours.mark(text, "<em>", "</em>");
                    assert_eq!(got, expected, "query {query:?}, max {max}, text {text}");
                    marked += usize::from(got.is_some());
                }
            }
        }
        assert!(marked > 100, "the comparison must cover marked passages, got {marked}");
    }

    #[test]
    fn nothing_to_mark_gives_none() {
        let (index, fields) = index();
        let searcher = index.reader().expect("reader").searcher();
        let query = matcher(fields.body, "万步有约");
        let ours = Highlighter::create(&searcher, query.as_ref(), fields.body, 150).expect("highlighter");
        assert_eq!(ours.mark("毫不相干的文字", "<b>", "</b>"), None);
        assert_eq!(ours.mark("", "<b>", "</b>"), None);
        assert_eq!(ours.mark("万步有约", "[", "]").as_deref(), Some("[万步有约]"));
    }
}
