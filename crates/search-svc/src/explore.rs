//! Ways to explore beyond a result list: articles like a given one, prefix
//! completion of headline words and names, hit counts over time, and the
//! ids of every hit for export.

use std::collections::HashMap;

use tantivy::collector::{Count, DocSetCollector, FacetCollector, TopDocs};
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue};
use tantivy::{Searcher, Term};

use crate::analyzer::normalize_exact;
use crate::error::SearchError;
use crate::query::QueryNode;
use crate::schema::IndexFields;
use crate::search::{escape, hit_from_document, leading, matching_query, Filter, Hit};
use crate::stored_doc::StoredDoc;

/// Most terms a prefix completion looks at per field and segment.
const MAX_SCANNED_TERMS: usize = 20_000;
/// Snippet length of related-article hits.
const RELATED_SNIPPET_CHARS: usize = 120;

/// Time bucket of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Month,
    Year,
}

impl Interval {
    fn facet_root(self) -> &'static str {
        match self {
            Interval::Day => "/day",
            Interval::Month => "/month",
            Interval::Year => "/year",
        }
    }
}

/// Finds the articles most like `article_id` (by its distinctive words), excluding itself.
pub fn more_like_this(
    searcher: &Searcher,
    fields: &IndexFields,
    article_id: i64,
    limit: usize,
) -> Result<(u64, Vec<Hit>), SearchError> {
    let id_term = Term::from_field_u64(fields.id, article_id as u64);
    let found = searcher.search(&TermQuery::new(id_term.clone(), IndexRecordOption::Basic), &TopDocs::with_limit(1))?;
    let Some((_, address)) = found.first() else {
        return Err(SearchError::NotFound(format!("no article with id {article_id}")));
    };
    let mut document: StoredDoc = searcher.doc(*address)?;
    let body = document.take_text(fields.body_text).unwrap_or_default();
    let heading = [fields.kicker, fields.title, fields.subtitle]
        .into_iter()
        .filter_map(|field| document.take_text(field))
        .collect::<Vec<_>>()
        .join("\n");
    let like = MoreLikeThisQuery::builder()
        .with_min_doc_frequency(1)
        .with_min_term_frequency(1)
        .with_max_query_terms(40)
        .with_document_fields(vec![
            (fields.body_words, vec![OwnedValue::Str(body)]),
            (fields.heading_words, vec![OwnedValue::Str(heading)]),
        ]);
    let query = BooleanQuery::new(vec![
        (Occur::Must, Box::new(like) as Box<dyn Query>),
        (Occur::MustNot, Box::new(TermQuery::new(id_term, IndexRecordOption::Basic))),
    ]);
    let (top, total) = searcher.search(&query, &(TopDocs::with_limit(limit), Count))?;
    let mut hits = Vec::with_capacity(top.len());
    for (score, address) in top {
        let mut related: StoredDoc = searcher.doc(address)?;
        let body = related.take_text(fields.body_text).unwrap_or_default();
        let mut hit = hit_from_document(related, fields, score, escape(&leading(&body, RELATED_SNIPPET_CHARS)));
        hit.title_highlight = escape(&hit.title);
        hits.push(hit);
    }
    Ok((total as u64, hits))
}

/// Completes a prefix into headline words (`word`) and author names
/// (`person`), by the number of articles containing them.
pub fn suggest(
    searcher: &Searcher,
    fields: &IndexFields,
    prefix: &str,
    limit: usize,
) -> Result<Vec<(String, &'static str, u64)>, SearchError> {
    let prefix = normalize_exact(prefix);
    if prefix.is_empty() {
        return Err(SearchError::InvalidArgument("prefix must have at least one character".into()));
    }
    let mut counts: HashMap<(String, &'static str), u64> = HashMap::new();
    for (field, kind) in [(fields.heading_words, "word"), (fields.author_names, "person")] {
        for (term, count) in terms_with_prefix(searcher, field, &prefix)? {
            if term.chars().count() > 1 || kind == "person" {
                *counts.entry((term, kind)).or_default() += count;
            }
        }
    }
    let mut suggestions: Vec<(String, &'static str, u64)> =
        counts.into_iter().map(|((text, kind), count)| (text, kind, count)).collect();
    suggestions.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    suggestions.truncate(limit);
    Ok(suggestions)
}

/// Terms of a field starting with `prefix`, with their document frequency summed over segments.
fn terms_with_prefix(searcher: &Searcher, field: Field, prefix: &str) -> Result<Vec<(String, u64)>, SearchError> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()
            .map_err(|e| SearchError::Internal(e.to_string()))?;
        let mut scanned = 0;
        while stream.advance() && scanned < MAX_SCANNED_TERMS {
            scanned += 1;
            let Ok(term) = std::str::from_utf8(stream.key()) else { continue };
            if !term.starts_with(prefix) {
                break;
            }
            *counts.entry(term.to_string()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    Ok(counts.into_iter().collect())
}

/// Counts hits per period (oldest first) and all hits.
pub fn trend(
    searcher: &Searcher,
    fields: &IndexFields,
    query: &QueryNode,
    filter: &Filter,
    interval: Interval,
) -> Result<(Vec<(String, u64)>, u64), SearchError> {
    let matching = matching_query(fields, query, filter)?;
    let mut facets = FacetCollector::for_field("facets");
    facets.add_facet(interval.facet_root());
    let (counts, total) = searcher.search(&*matching, &(facets, Count))?;
    let mut buckets: Vec<(String, u64)> = counts
        .get(interval.facet_root())
        .filter_map(|(facet, count)| facet.to_path().last().map(|period| (period.to_string(), count)))
        .collect();
    buckets.sort();
    Ok((buckets, total as u64))
}

/// Ids of every article matching a query, ascending.
pub fn matching_ids(
    searcher: &Searcher,
    fields: &IndexFields,
    query: &QueryNode,
    filter: &Filter,
) -> Result<Vec<i64>, SearchError> {
    let matching = matching_query(fields, query, filter)?;
    let addresses = searcher.search(&*matching, &DocSetCollector)?;
    let mut ids = Vec::with_capacity(addresses.len());
    for address in addresses {
        let column = searcher.segment_reader(address.segment_ord).fast_fields().u64("id")?;
        if let Some(id) = column.first(address.doc_id) {
            ids.push(id as i64);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}
