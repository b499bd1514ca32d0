//! Executes a search on the index: builds the tantivy query from parsed
//! clauses (grams phrases for recall, jieba words for ranking, headings
//! boosted), collects one page of hits with the total, and cuts snippets.

use base64::Engine;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, TantivyDocument, Term};

use crate::analyzer::{gram_tokens, is_han, word_tokens};
use crate::document::{stored_text, stored_texts, stored_u64};
use crate::error::SearchError;
use crate::query::{parse_query, Clause};
use crate::schema::IndexFields;

/// Default and largest page sizes.
pub const DEFAULT_PAGE_SIZE: usize = 10;
pub const MAX_PAGE_SIZE: usize = 100;
/// Deepest offset a page token may reach.
const MAX_OFFSET: usize = 100_000;
/// Weight of heading matches relative to body matches.
const HEADING_BOOST: f32 = 3.0;
/// Length of body snippets, in characters.
const SNIPPET_CHARS: usize = 120;

/// A validated search request.
#[derive(Debug, Clone)]
pub struct SearchParams {
    pub clauses: Vec<Clause>,
    pub page_size: usize,
    pub offset: usize,
}

impl SearchParams {
    /// Validates the raw request fields.
    pub fn parse(query: &str, page_size: i32, page_token: &str) -> Result<SearchParams, SearchError> {
        let clauses = parse_query(query)?;
        let page_size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            size if size < 0 => return Err(SearchError::InvalidArgument("page_size must not be negative".into())),
            size if size as usize > MAX_PAGE_SIZE => {
                return Err(SearchError::InvalidArgument(format!(
                    "page_size {size} is above the maximum of {MAX_PAGE_SIZE}"
                )))
            }
            size => size as usize,
        };
        let offset = decode_page_token(page_token)?;
        Ok(SearchParams { clauses, page_size, offset })
    }
}

/// One hit, ready to be turned into the API type.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub page_id: i64,
    pub ordinal: i32,
    pub paper: String,
    pub issue_date: String,
    pub page: i32,
    pub kind: String,
    pub kicker: String,
    pub title: String,
    pub subtitle: String,
    pub authors: Vec<String>,
    pub source: String,
    pub dateline: String,
    pub source_path: String,
    pub score: f32,
    pub snippet: String,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub total_hits: u64,
    pub hits: Vec<Hit>,
    pub next_page_token: String,
}

/// Runs a search on a searcher (blocking: call from a blocking task).
pub fn execute(searcher: &Searcher, fields: &IndexFields, params: &SearchParams) -> Result<SearchResults, SearchError> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlight: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for clause in &params.clauses {
        let Some(matcher) = clause_matcher(fields, &clause.text) else {
            if clause.excluded {
                continue;
            }
            return Err(SearchError::InvalidArgument(format!("`{}` has no searchable characters", clause.text)));
        };
        if clause.excluded {
            clauses.push((Occur::MustNot, matcher));
            continue;
        }
        clauses.push((Occur::Must, matcher));
        if let Some(body) = text_matcher(fields.body, &clause.text) {
            highlight.push((Occur::Should, body));
        }
        for word in word_tokens(&clause.text) {
            let heading =
                TermQuery::new(Term::from_field_text(fields.heading_words, &word.text), IndexRecordOption::WithFreqs);
            let body =
                TermQuery::new(Term::from_field_text(fields.body_words, &word.text), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(heading), HEADING_BOOST))));
            clauses.push((Occur::Should, Box::new(body)));
        }
    }
    let query = BooleanQuery::new(clauses);
    let collector = (TopDocs::with_limit(params.page_size).and_offset(params.offset), Count);
    let (top, total) = searcher.search(&query, &collector)?;
    let snippets = if highlight.is_empty() {
        None
    } else {
        let mut generator = SnippetGenerator::create(searcher, &BooleanQuery::new(highlight), fields.body)?;
        generator.set_max_num_chars(SNIPPET_CHARS);
        Some(generator)
    };
    let mut hits = Vec::with_capacity(top.len());
    for (score, address) in top {
        let document: TantivyDocument = searcher.doc(address)?;
        let snippet = match &snippets {
            Some(generator) => {
                let mut snippet = generator.snippet_from_doc(&document);
                snippet.set_snippet_prefix_postfix("<em>", "</em>");
                let html = snippet.to_html();
                if html.is_empty() {
                    leading_text(&document, fields)
                } else {
                    html
                }
            }
            None => leading_text(&document, fields),
        };
        hits.push(hit_from_document(&document, fields, score, snippet));
    }
    let next_offset = params.offset + hits.len();
    let next_page_token = if (next_offset as u64) < total as u64 && next_offset <= MAX_OFFSET && !hits.is_empty() {
        encode_page_token(next_offset)
    } else {
        String::new()
    };
    Ok(SearchResults { total_hits: total as u64, hits, next_page_token })
}

/// Matches a clause's text verbatim in heading or body (grams), headings boosted.
fn clause_matcher(fields: &IndexFields, text: &str) -> Option<Box<dyn Query>> {
    let body = text_matcher(fields.body, text)?;
    let heading = text_matcher(fields.heading_grams, text)?;
    Some(Box::new(BooleanQuery::new(vec![
        (Occur::Should, Box::new(BoostQuery::new(heading, HEADING_BOOST)) as Box<dyn Query>),
        (Occur::Should, body),
    ])))
}

/// Matches text verbatim in one grams field: a phrase of its grams. The last
/// character of a run is covered by the bigram before it, so its unigram is
/// left out (it would not match where the run continues in the document).
fn text_matcher(field: Field, text: &str) -> Option<Box<dyn Query>> {
    let tokens = gram_tokens(text);
    let mut terms: Vec<(usize, Term)> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let is_unigram = token.text.chars().count() == 1 && token.text.chars().all(is_han);
        let after_bigram =
            index > 0 && tokens[index - 1].text.chars().count() == 2 && tokens[index - 1].text.chars().all(is_han);
        if is_unigram && after_bigram {
            continue;
        }
        terms.push((token.position, Term::from_field_text(field, &token.text)));
    }
    match terms.len() {
        0 => None,
        1 => {
            let (_, term) = terms.remove(0);
            let single = term.value().as_str().unwrap_or_default().to_string();
            if single.chars().count() == 1 && single.chars().all(is_han) {
                // A lone Han character: any bigram starting with it, or itself.
                let pattern = format!("{}.?", regex_escape(&single));
                RegexQuery::from_pattern(&pattern, field).ok().map(|q| Box::new(q) as Box<dyn Query>)
            } else {
                Some(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
            }
        }
        _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
    }
}

fn regex_escape(text: &str) -> String {
    text.chars().flat_map(|c| if c.is_ascii_punctuation() { vec!['\\', c] } else { vec![c] }).collect()
}

/// The first characters of the body, when nothing can be highlighted.
fn leading_text(document: &TantivyDocument, fields: &IndexFields) -> String {
    let body = stored_text(document, fields.body).unwrap_or_default();
    let excerpt: String = body.chars().take(SNIPPET_CHARS).collect();
    excerpt.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn hit_from_document(document: &TantivyDocument, fields: &IndexFields, score: f32, snippet: String) -> Hit {
    let text = |field| stored_text(document, field).unwrap_or_default();
    Hit {
        id: stored_u64(document, fields.id).unwrap_or(0) as i64,
        page_id: stored_u64(document, fields.page_id).unwrap_or(0) as i64,
        ordinal: stored_u64(document, fields.ordinal).unwrap_or(0) as i32,
        paper: text(fields.paper),
        issue_date: text(fields.issue_date),
        page: stored_u64(document, fields.page).unwrap_or(0) as i32,
        kind: text(fields.kind),
        kicker: text(fields.kicker),
        title: text(fields.title),
        subtitle: text(fields.subtitle),
        authors: stored_texts(document, fields.authors),
        source: text(fields.source),
        dateline: text(fields.dateline),
        source_path: text(fields.source_path),
        score,
        snippet,
    }
}

const TOKEN_PREFIX: &str = "o1:";

fn encode_page_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{offset}"))
}

fn decode_page_token(token: &str) -> Result<usize, SearchError> {
    if token.is_empty() {
        return Ok(0);
    }
    let invalid = || SearchError::InvalidArgument("page_token is not a token returned by this service".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let offset: usize = text.strip_prefix(TOKEN_PREFIX).and_then(|o| o.parse().ok()).ok_or_else(invalid)?;
    if offset > MAX_OFFSET {
        return Err(invalid());
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        assert_eq!(decode_page_token(&encode_page_token(30)).unwrap(), 30);
        assert_eq!(decode_page_token("").unwrap(), 0);
        assert!(decode_page_token("garbage!").is_err());
    }

    #[test]
    fn validates_page_size() {
        assert_eq!(SearchParams::parse("a", 0, "").unwrap().page_size, DEFAULT_PAGE_SIZE);
        assert!(SearchParams::parse("a", 101, "").is_err());
        assert!(SearchParams::parse("a", -1, "").is_err());
    }
}
