//! Executes a search on the index: turns the parsed query into a tantivy
//! query (grams phrases for exact recall, jieba words and headline matches
//! for ranking, exact terms for `author:` and `paper:`), applies filters and
//! the sort order, collects one page of hits with the total and optional
//! facets, and marks matches in snippets and titles.

use base64::Engine;
use chrono::{Datelike, NaiveDate};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};

use crate::analyzer::{gram_tokens, is_han, normalize_exact, word_tokens};
use crate::cancel::{Cancellable, Cancellation};
use crate::conjunction::{self, ConjunctionWord, HitSet};
use crate::day_sorted;
use crate::error::SearchError;
use crate::facet_counts::{FacetTopCounts, RootCounts};
use crate::filter_bits::FilterBits;
use crate::headline_first;
use crate::highlight::Highlighter;
use crate::parallel;
use crate::query::{QueryField, QueryNode};
use crate::ranked_top::{count_word, count_word_and_facets, wand_disjunction, PrunedTopDocs};
use crate::schema::IndexFields;
use crate::stored_doc::StoredDoc;

/// Default and largest page sizes.
pub const DEFAULT_PAGE_SIZE: usize = 10;
pub const MAX_PAGE_SIZE: usize = 100;
/// Deepest offset a page token may reach.
const MAX_OFFSET: usize = 100_000;
/// Weight of heading matches relative to body matches.
const HEADING_BOOST: f32 = 3.0;
/// Default and largest snippet lengths, in characters.
const DEFAULT_SNIPPET_CHARS: usize = 120;
pub const MAX_SNIPPET_CHARS: usize = 1000;
/// Longest highlight tag accepted.
const MAX_TAG_CHARS: usize = 64;
/// Most values accepted in one filter list by default.
pub const MAX_FILTER_VALUES: usize = 100;
/// Values returned per facet.
const FACET_VALUES: usize = 20;
/// Most candidates read to fill a page when wire copies are collapsed.
const COLLAPSE_WINDOW: usize = 5000;
/// Most other prints listed per hit.
const ALSO_IN_LIMIT: usize = 20;

/// Order of hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    DateDescending,
    DateAscending,
}

/// Restrictions on hits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub papers: Vec<String>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub pages: Vec<i32>,
    pub kind: Option<String>,
    pub authors: Vec<String>,
}

impl Filter {
    /// Validates raw filter values.
    pub fn parse(
        papers: Vec<String>,
        date_from: &str,
        date_to: &str,
        pages: Vec<i32>,
        kind: &str,
        authors: Vec<String>,
        max_values: usize,
    ) -> Result<Filter, SearchError> {
        let invalid = |message: String| SearchError::InvalidArgument(message);
        let date = |name: &str, value: &str| -> Result<Option<NaiveDate>, SearchError> {
            if value.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| invalid(format!("filter.{name} must be a date YYYY-MM-DD, got {value:?}")))
        };
        let date_from = date("date_from", date_from)?;
        let date_to = date("date_to", date_to)?;
        if let (Some(from), Some(to)) = (date_from, date_to) {
            if from > to {
                return Err(invalid(format!("filter.date_from {from} is after filter.date_to {to}")));
            }
        }
        for (name, count) in [("papers", papers.len()), ("pages", pages.len()), ("authors", authors.len())] {
            if count > max_values {
                return Err(invalid(format!(
                    "filter.{name} has {count} values, at most {max_values} allowed (--max-filter-values)"
                )));
            }
        }
        let kind = match kind {
            "" => None,
            "article" | "photo" => Some(kind.to_string()),
            other => return Err(invalid(format!("filter.kind must be \"article\" or \"photo\", got {other:?}"))),
        };
        Ok(Filter { papers, date_from, date_to, pages, kind, authors })
    }
}

/// How matches are marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub pre_tag: String,
    pub post_tag: String,
    pub snippet_chars: usize,
}

impl Default for Highlight {
    fn default() -> Self {
        Highlight { pre_tag: "<em>".into(), post_tag: "</em>".into(), snippet_chars: DEFAULT_SNIPPET_CHARS }
    }
}

impl Highlight {
    /// Validates raw highlight options (empty values take defaults).
    pub fn parse(
        pre_tag: &str,
        post_tag: &str,
        snippet_chars: i32,
        max_chars: usize,
    ) -> Result<Highlight, SearchError> {
        let defaults = Highlight::default();
        for (name, tag) in [("pre_tag", pre_tag), ("post_tag", post_tag)] {
            if tag.chars().count() > MAX_TAG_CHARS {
                return Err(SearchError::InvalidArgument(format!(
                    "highlight.{name} is longer than {MAX_TAG_CHARS} characters"
                )));
            }
        }
        let snippet_chars = match snippet_chars {
            0 => defaults.snippet_chars,
            n if n < 0 || n as usize > max_chars => {
                return Err(SearchError::InvalidArgument(format!(
                    "highlight.snippet_chars must be between 1 and {max_chars}, got {n} (--max-snippet-chars)"
                )))
            }
            n => n as usize,
        };
        Ok(Highlight {
            pre_tag: if pre_tag.is_empty() { defaults.pre_tag } else { pre_tag.to_string() },
            post_tag: if post_tag.is_empty() { defaults.post_tag } else { post_tag.to_string() },
            snippet_chars,
        })
    }
}

/// A facet a search can count hits by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FacetRoot {
    Paper,
    Month,
    Author,
    Kind,
    City,
    Person,
    Place,
    Org,
}

impl FacetRoot {
    /// Every facet, in the order of the API's `Facets` message.
    pub const ALL: [FacetRoot; 8] = [
        FacetRoot::Paper,
        FacetRoot::Month,
        FacetRoot::Author,
        FacetRoot::Kind,
        FacetRoot::City,
        FacetRoot::Person,
        FacetRoot::Place,
        FacetRoot::Org,
    ];

    /// The facet's root in the index (and its name in requests).
    pub fn name(self) -> &'static str {
        match self {
            FacetRoot::Paper => "paper",
            FacetRoot::Month => "month",
            FacetRoot::Author => "author",
            FacetRoot::Kind => "kind",
            FacetRoot::City => "city",
            FacetRoot::Person => "person",
            FacetRoot::Place => "place",
            FacetRoot::Org => "org",
        }
    }

    /// The facets a request asks for: the named ones (singular or plural, as
    /// in the response: `paper` or `papers`), else all when `all` is set,
    /// else none. Unknown names are an error listing the known ones.
    pub fn parse_request(all: bool, names: &[String]) -> Result<Vec<FacetRoot>, SearchError> {
        if names.is_empty() {
            return Ok(if all { FacetRoot::ALL.to_vec() } else { Vec::new() });
        }
        let mut roots = Vec::with_capacity(names.len());
        for name in names {
            let wanted = name.trim().to_lowercase();
            let root = FacetRoot::ALL
                .into_iter()
                .find(|root| wanted == root.name() || wanted == format!("{}s", root.name()))
                .ok_or_else(|| {
                    let known: Vec<&str> = FacetRoot::ALL.iter().map(|root| root.name()).collect();
                    SearchError::InvalidArgument(format!(
                        "facet_fields: unknown facet {name:?}; known facets are {}",
                        known.join(", ")
                    ))
                })?;
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
        roots.sort_unstable();
        Ok(roots)
    }
}

/// A validated search request.
#[derive(Debug, Clone)]
pub struct SearchParams {
    pub query: QueryNode,
    pub page_size: usize,
    pub offset: usize,
    pub filter: Filter,
    pub sort: Sort,
    pub highlight: Highlight,
    /// Facets to count over all hits (none: no facet counts).
    pub facets: Vec<FacetRoot>,
    /// Show each wire story once, listing its other prints.
    pub collapse_wire_copies: bool,
}

/// Validates a page size (0 means the default) against the largest allowed.
pub fn page_size(size: i32, max: usize) -> Result<usize, SearchError> {
    match size {
        0 => Ok(DEFAULT_PAGE_SIZE.min(max)),
        size if size < 0 => Err(SearchError::InvalidArgument("page_size must not be negative".into())),
        size if size as usize > max => Err(SearchError::InvalidArgument(format!(
            "page_size {size} is above the maximum of {max} (--max-page-size)"
        ))),
        size => Ok(size as usize),
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
    pub dateline_city: String,
    pub persons: Vec<String>,
    pub places: Vec<String>,
    pub orgs: Vec<String>,
    pub wire_group: i64,
    pub parts: Vec<i64>,
    pub score: f32,
    pub snippet: String,
    pub title_highlight: String,
    /// Other prints of the same text, filled when wire copies are collapsed.
    pub also_in: Vec<WireCopy>,
}

/// Another print of a hit's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireCopy {
    pub article_id: i64,
    pub paper: String,
    pub issue_date: String,
    pub page: i32,
}

/// Hit counts by value, largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetCounts {
    pub papers: Vec<(String, u64)>,
    pub months: Vec<(String, u64)>,
    pub authors: Vec<(String, u64)>,
    pub kinds: Vec<(String, u64)>,
    pub cities: Vec<(String, u64)>,
    pub persons: Vec<(String, u64)>,
    pub places: Vec<(String, u64)>,
    pub orgs: Vec<(String, u64)>,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub total_hits: u64,
    pub hits: Vec<Hit>,
    pub next_page_token: String,
    pub facets: Option<FacetCounts>,
}

/// The tantivy queries built from a parsed query.
struct BuiltQuery {
    /// Decides which documents match (with ranking clauses and filters).
    matching: Box<dyn Query>,
    /// Positive body terms, for snippets.
    body_highlight: Vec<(Occur, Box<dyn Query>)>,
    /// Positive heading terms, for title highlights.
    heading_highlight: Vec<(Occur, Box<dyn Query>)>,
}

/// The tantivy query matching a parsed query within a filter (no ranking
/// extras): the documents a search counts, so later parts of continued
/// stories are left out (their text is searched through the first part).
pub fn matching_query(fields: &IndexFields, query: &QueryNode, filter: &Filter) -> Result<Box<dyn Query>, SearchError> {
    let core = node_query(fields, query, &mut Vec::new(), &mut Vec::new(), &mut Vec::new())?;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, core)];
    clauses.extend(filter_clauses(fields, filter));
    clauses.push((Occur::MustNot, Box::new(later_parts(fields))));
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// Builds the matching query for the parsed query plus filters.
fn build_query(fields: &IndexFields, params: &SearchParams) -> Result<BuiltQuery, SearchError> {
    let mut body_highlight = Vec::new();
    let mut heading_highlight = Vec::new();
    let mut ranking = Vec::new();
    let core = node_query(fields, &params.query, &mut body_highlight, &mut heading_highlight, &mut ranking)?;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, core)];
    clauses.extend(filter_clauses(fields, &params.filter));
    // Later parts of a continued story are found through their first part.
    clauses.push((Occur::MustNot, Box::new(later_parts(fields))));
    let matching = ranked_by(Box::new(BooleanQuery::new(clauses)), ranking);
    Ok(BuiltQuery { matching, body_highlight, heading_highlight })
}

/// Most levels of optional clauses [`ranked_by`] nests around the matching
/// query: a long query's ranking words share levels, so that a query of
/// hundreds of words does not nest hundreds of scorers deep.
const RANKING_LEVELS: usize = 16;

/// `matching`, scored also by each of `ranking` that a hit matches.
///
/// Each ranking query is its own optional clause around the matching query
/// (up to [`RANKING_LEVELS`]; beyond, they share levels evenly), so that it
/// is sought to each hit on its own list. As one union of optional clauses
/// (tantivy's `Should`s beside the `Must`), every seek scored all the
/// ranking words' postings in a window of 4,096 documents around the hit:
/// for a phrase of rare grams holding common words, three quarters of its
/// time at a million articles. The score is the same sum.
fn ranked_by(matching: Box<dyn Query>, ranking: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    let per_level = ranking.len().div_ceil(RANKING_LEVELS).max(1);
    let mut ranking = ranking.into_iter().peekable();
    let mut matching = matching;
    while ranking.peek().is_some() {
        let mut level: Vec<Box<dyn Query>> = ranking.by_ref().take(per_level).collect();
        let ranked: Box<dyn Query> = match level.len() {
            1 => level.remove(0),
            _ => Box::new(BooleanQuery::new(level.into_iter().map(|q| (Occur::Should, q)).collect())),
        };
        matching = Box::new(BooleanQuery::new(vec![(Occur::Must, matching), (Occur::Should, ranked)]));
    }
    matching
}

/// Later parts of continued stories (never hits of their own): one posting list.
fn later_parts(fields: &IndexFields) -> TermQuery {
    TermQuery::new(Term::from_field_u64(fields.later_part, 1), IndexRecordOption::Basic)
}

/// The gram of a word that is one gram (two Han characters, or a Latin or
/// digit run) and one jieba word equal to it: matched in headline or body by
/// that gram alone, and ranked by it and the word.
fn single_gram_word(fields: &IndexFields, text: &str) -> Option<(String, usize)> {
    let grams = gram_terms(fields.body, text);
    let [(_, gram)] = grams.as_slice() else { return None };
    let gram = gram.value().as_str()?.to_string();
    if gram.chars().count() == 1 && gram.chars().all(is_han) {
        return None;
    }
    let words = word_tokens(text);
    if words.iter().any(|word| word.text != gram) {
        return None;
    }
    Some((gram, words.len()))
}

/// For one word that is a single gram (two Han characters, or a Latin or
/// digit run) searched in headline and body, with no filter and by
/// relevance: the disjunction of its term queries (grams and jieba words,
/// headline boosted). It scores every document as the full query does, and
/// matches the same documents, since a jieba word equal to the gram implies
/// the gram. tantivy ranks such a disjunction with block-max WAND.
fn single_gram_disjunction(fields: &IndexFields, params: &SearchParams) -> Option<(BooleanQuery, String, usize)> {
    if params.sort != Sort::Relevance || params.filter != Filter::default() {
        return None;
    }
    let QueryNode::Term { field: QueryField::Any, text, .. } = &params.query else { return None };
    let (gram, words) = single_gram_word(fields, text)?;
    let term = |field: Field| -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, &gram), IndexRecordOption::WithFreqs))
    };
    let mut clauses: Vec<Box<dyn Query>> =
        vec![Box::new(BoostQuery::new(term(fields.heading_grams), HEADING_BOOST)), term(fields.body)];
    for _ in 0..words {
        clauses.push(Box::new(BoostQuery::new(term(fields.heading_words), HEADING_BOOST)));
        clauses.push(term(fields.body_words));
    }
    Some((wand_disjunction(clauses), gram, words))
}

/// A single-gram word's terms in the four fields it is matched and ranked in.
fn word_terms(fields: &IndexFields, gram: &str) -> ConjunctionWord {
    ConjunctionWord {
        heading: Term::from_field_text(fields.heading_grams, gram),
        heading_only: Term::from_field_text(fields.heading_only_grams, gram),
        body: Term::from_field_text(fields.body, gram),
        heading_word: Term::from_field_text(fields.heading_words, gram),
        body_word: Term::from_field_text(fields.body_words, gram),
    }
}

/// For an AND of two or more words that are each one gram and one jieba
/// word (see [`single_gram_word`]) searched in headline and body, by
/// relevance, or one such word within a filter: the words, for
/// [`conjunction::top_and_count`], which ranks and counts them as the full
/// query would. (One word with no filter is ranked by
/// [`headline_first::top`] instead, which reads less.)
fn gram_conjunction(fields: &IndexFields, params: &SearchParams) -> Option<Vec<ConjunctionWord>> {
    let one_word = matches!(params.query, QueryNode::Term { .. });
    if params.sort != Sort::Relevance || (one_word && params.filter == Filter::default()) {
        return None;
    }
    gram_words(fields, &params.query)
}

/// The words of a query that is one word, or an AND of words, each one
/// gram and one jieba word (see [`single_gram_word`]) searched in headline
/// and body; `None` for any other query.
fn gram_words(fields: &IndexFields, query: &QueryNode) -> Option<Vec<ConjunctionWord>> {
    let parts = match query {
        QueryNode::And(parts) if parts.len() >= 2 => parts.as_slice(),
        single @ QueryNode::Term { .. } => std::slice::from_ref(single),
        _ => return None,
    };
    parts
        .iter()
        .map(|part| {
            let QueryNode::Term { field: QueryField::Any, text, .. } = part else { return None };
            let (gram, 1) = single_gram_word(fields, text)? else { return None };
            Some(word_terms(fields, &gram))
        })
        .collect()
}

/// Turns one node into a query; collects highlight and ranking queries of its positive terms.
fn node_query(
    fields: &IndexFields,
    node: &QueryNode,
    body_highlight: &mut Vec<(Occur, Box<dyn Query>)>,
    heading_highlight: &mut Vec<(Occur, Box<dyn Query>)>,
    ranking: &mut Vec<Box<dyn Query>>,
) -> Result<Box<dyn Query>, SearchError> {
    match node {
        QueryNode::Term { field, text, position } => {
            let no_characters = || {
                SearchError::InvalidArgument(format!("`{text}` at character {position} has no searchable characters"))
            };
            let query: Box<dyn Query> = match field {
                QueryField::Author => exact_query(fields.author_names, text).ok_or_else(no_characters)?,
                QueryField::Paper => exact_query(fields.paper_name, text).ok_or_else(no_characters)?,
                QueryField::Person => exact_query(fields.person_names, text).ok_or_else(no_characters)?,
                QueryField::Place => exact_query(fields.place_names, text).ok_or_else(no_characters)?,
                QueryField::Org => exact_query(fields.org_names, text).ok_or_else(no_characters)?,
                QueryField::City => exact_query(fields.city_name, text).ok_or_else(no_characters)?,
                QueryField::Title => text_matcher(fields.heading_grams, text).ok_or_else(no_characters)?,
                QueryField::Body => text_matcher(fields.body, text).ok_or_else(no_characters)?,
                QueryField::Any => {
                    let body = text_matcher(fields.body, text).ok_or_else(no_characters)?;
                    let heading = text_matcher(fields.heading_grams, text).ok_or_else(no_characters)?;
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, Box::new(BoostQuery::new(heading, HEADING_BOOST)) as Box<dyn Query>),
                        (Occur::Should, body),
                    ]))
                }
            };
            if matches!(field, QueryField::Any | QueryField::Body) {
                body_highlight.extend(text_matcher(fields.body, text).map(|q| (Occur::Should, q)));
            }
            if matches!(field, QueryField::Any | QueryField::Title) {
                heading_highlight.extend(text_matcher(fields.heading_grams, text).map(|q| (Occur::Should, q)));
            }
            if matches!(field, QueryField::Any | QueryField::Title | QueryField::Body) {
                for word in word_tokens(text) {
                    let heading = TermQuery::new(
                        Term::from_field_text(fields.heading_words, &word.text),
                        IndexRecordOption::WithFreqs,
                    );
                    ranking.push(Box::new(BoostQuery::new(Box::new(heading), HEADING_BOOST)));
                    if *field != QueryField::Title {
                        let body = TermQuery::new(
                            Term::from_field_text(fields.body_words, &word.text),
                            IndexRecordOption::WithFreqs,
                        );
                        ranking.push(Box::new(body));
                    }
                }
            }
            Ok(query)
        }
        QueryNode::And(parts) => {
            let mut clauses = Vec::with_capacity(parts.len());
            for part in parts {
                match part {
                    QueryNode::Not(inner) => {
                        let excluded = node_query(fields, inner, &mut Vec::new(), &mut Vec::new(), &mut Vec::new())?;
                        clauses.push((Occur::MustNot, excluded));
                    }
                    positive => {
                        let query = node_query(fields, positive, body_highlight, heading_highlight, ranking)?;
                        clauses.push((Occur::Must, query));
                    }
                }
            }
            Ok(Box::new(BooleanQuery::new(clauses)))
        }
        QueryNode::Or(branches) => {
            let mut clauses = Vec::with_capacity(branches.len());
            for branch in branches {
                clauses.push((Occur::Should, node_query(fields, branch, body_highlight, heading_highlight, ranking)?));
            }
            Ok(Box::new(BooleanQuery::new(clauses)))
        }
        QueryNode::Not(inner) => {
            // A lone exclusion inside OR: everything except it.
            let excluded = node_query(fields, inner, &mut Vec::new(), &mut Vec::new(), &mut Vec::new())?;
            Ok(Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, excluded)])))
        }
    }
}

/// An exact match on a normalised name field.
fn exact_query(field: Field, text: &str) -> Option<Box<dyn Query>> {
    let value = normalize_exact(text);
    (!value.is_empty()).then(|| {
        Box::new(TermQuery::new(Term::from_field_text(field, &value), IndexRecordOption::Basic)) as Box<dyn Query>
    })
}

/// The filter's issue days `from..=to` (days from the common era), when it
/// has a date range. Undated articles (day 0) never fall inside one.
fn day_range(filter: &Filter) -> Option<(i64, i64)> {
    if filter.date_from.is_none() && filter.date_to.is_none() {
        return None;
    }
    let day = |date: NaiveDate| i64::from(date.num_days_from_ce());
    Some((filter.date_from.map_or(1, day), filter.date_to.map_or(i64::MAX, day)))
}

/// The filter for searches from bit sets: its term clauses matched as a
/// query, its date range from each segment's day table.
fn filter_bits(searcher: &Searcher, fields: &IndexFields, filter: &Filter) -> tantivy::Result<Option<FilterBits>> {
    let terms = term_filter_clauses(fields, filter);
    let days = day_range(filter);
    if terms.is_empty() && days.is_none() {
        return Ok(None);
    }
    let unscored = EnableScoring::disabled_from_searcher(searcher);
    let terms = if terms.is_empty() { None } else { Some(BooleanQuery::new(terms).weight(unscored)?) };
    Ok(Some(FilterBits::new(terms, days)))
}

/// The filter as required clauses. They select and never rank: each scores
/// zero, so a hit scores the same whatever the filter (a paper's term would
/// otherwise add its own idf, ranking the hits of rarer papers higher).
fn filter_clauses(fields: &IndexFields, filter: &Filter) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses = term_filter_clauses(fields, filter);
    if let Some((from, to)) = day_range(filter) {
        let day = |day: i64| Term::from_field_i64(fields.issue_day, day);
        let upper = if to == i64::MAX { std::ops::Bound::Unbounded } else { std::ops::Bound::Included(day(to)) };
        clauses.push((Occur::Must, Box::new(RangeQuery::new(std::ops::Bound::Included(day(from)), upper))));
    }
    clauses
        .into_iter()
        .map(|(occur, query)| (occur, Box::new(ConstScoreQuery::new(query, 0.0)) as Box<dyn Query>))
        .collect()
}

/// The filter's clauses other than its date range (papers, authors, pages,
/// kind), as they select; [`filter_clauses`] adds the range and zeroes their scores.
fn term_filter_clauses(fields: &IndexFields, filter: &Filter) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let any_of = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
    };
    if !filter.papers.is_empty() {
        let queries = filter.papers.iter().filter_map(|p| exact_query(fields.paper_name, p)).collect();
        clauses.push((Occur::Must, any_of(queries)));
    }
    if !filter.authors.is_empty() {
        let queries = filter.authors.iter().filter_map(|a| exact_query(fields.author_names, a)).collect();
        clauses.push((Occur::Must, any_of(queries)));
    }
    if !filter.pages.is_empty() {
        let queries = filter
            .pages
            .iter()
            .map(|page| {
                let term = Term::from_field_u64(fields.page, (*page).max(0) as u64);
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>
            })
            .collect();
        clauses.push((Occur::Must, any_of(queries)));
    }
    if let Some(kind) = &filter.kind {
        let term = Term::from_field_text(fields.kind, kind);
        clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
    }
    clauses
}

/// Runs a search on a searcher (blocking: call from a blocking task).
pub fn execute(searcher: &Searcher, fields: &IndexFields, params: &SearchParams) -> Result<SearchResults, SearchError> {
    execute_cancellable(searcher, fields, params, &Cancellation::new())
}

/// Like [`execute`], stopping with [`SearchError::Cancelled`] once `cancel` is raised.
pub fn execute_cancellable(
    searcher: &Searcher,
    fields: &IndexFields,
    params: &SearchParams,
    cancel: &Cancellation,
) -> Result<SearchResults, SearchError> {
    execute_inner(searcher, fields, params, cancel).map_err(|error| {
        if cancel.is_cancelled() {
            SearchError::Cancelled
        } else {
            error
        }
    })
}

fn execute_inner(
    searcher: &Searcher,
    fields: &IndexFields,
    params: &SearchParams,
    cancel: &Cancellation,
) -> Result<SearchResults, SearchError> {
    let _running = parallel::enter();
    let built = build_query(fields, params)?;
    // Collapsing needs the ranking from the start, then skips repeats.
    let (limit, offset) = if params.collapse_wire_copies {
        (((params.offset + params.page_size) * 4 + 16).min(COLLAPSE_WINDOW), 0)
    } else {
        (params.page_size, params.offset)
    };
    let top = TopDocs::with_limit(limit).and_offset(offset);
    let (addresses, total, facet_counts): (Vec<(Score, DocAddress)>, usize, Option<FacetCounts>) = match params.sort {
        Sort::Relevance => match (gram_conjunction(fields, params), single_gram_disjunction(fields, params)) {
            (Some(words), _) => bit_set_search(searcher, fields, params, &words, |hit_set, facets| {
                conjunction::top_and_count(searcher, hit_set, HEADING_BOOST, limit, offset, facets, cancel)
            })?,
            (None, Some((ranking, gram, words))) => {
                let excluded = || later_parts(fields).weight(EnableScoring::disabled_from_searcher(searcher));
                let top = match words {
                    1 => {
                        let word = word_terms(fields, &gram);
                        let wand = ranking.weight(EnableScoring::enabled_from_searcher(searcher))?;
                        headline_first::top(searcher, &word, HEADING_BOOST, &*wand, limit, offset, cancel)?.0
                    }
                    _ => {
                        let pruned = PrunedTopDocs::new(limit, offset, excluded()?);
                        parallel::search(searcher, &ranking, &Cancellable::new(pruned, cancel))?
                    }
                };
                let word = word_terms(fields, &gram);
                let (total, facets) = match facet_collector(&params.facets) {
                    None => (count_word(searcher, &word, cancel)?, None),
                    Some(facets) => {
                        let (total, counts) = count_word_and_facets(searcher, &word, &facets, cancel)?;
                        (total, Some(facet_counts(&params.facets, counts)))
                    }
                };
                (top, total, facets)
            }
            (None, None) => collect(searcher, &*built.matching, top, &params.facets, cancel)?,
        },
        Sort::DateDescending | Sort::DateAscending => {
            let ascending = params.sort == Sort::DateAscending;
            let (top, total, facets) = match gram_words(fields, &params.query) {
                Some(words) => by_day_from_bits(searcher, fields, params, &words, (limit, offset), cancel)?,
                None => collect_by_day(searcher, &*built.matching, top, ascending, &params.facets, cancel)?,
            };
            (top.into_iter().map(|((_, score), address)| (score, address)).collect(), total, facets)
        }
    };
    let addresses = if params.collapse_wire_copies {
        collapse_wire_copies(searcher, addresses, params.offset, params.page_size)
    } else {
        addresses
    };
    let snippets =
        highlighter(searcher, built.body_highlight, fields.body, &params.highlight, params.highlight.snippet_chars)?;
    let titles =
        highlighter(searcher, built.heading_highlight, fields.heading_grams, &params.highlight, MAX_SNIPPET_CHARS)?;
    let mut hits = Vec::with_capacity(addresses.len());
    for (score, address) in addresses {
        cancel.check()?;
        let mut document: StoredDoc = searcher.doc(address)?;
        let body = document.take_text(fields.body_text).unwrap_or_default();
        let snippet = marked(&snippets, &body, &params.highlight)
            .unwrap_or_else(|| escape(&leading(&body, params.highlight.snippet_chars)));
        let mut hit = hit_from_document(document, fields, score, snippet);
        hit.title_highlight = marked(&titles, &hit.title, &params.highlight).unwrap_or_else(|| escape(&hit.title));
        if params.collapse_wire_copies {
            hit.also_in = other_prints(searcher, fields, hit.wire_group, hit.id)?;
        }
        hits.push(hit);
    }
    let next_offset = params.offset + hits.len();
    let next_page_token = if (next_offset as u64) < total as u64 && next_offset <= MAX_OFFSET && !hits.is_empty() {
        encode_page_token(PageToken { generation: Some(searcher.generation().generation_id()), offset: next_offset })
    } else {
        String::new()
    };
    Ok(SearchResults { total_hits: total as u64, hits, next_page_token, facets: facet_counts })
}

/// Top documents with their sort keys, the total, and facet counts when asked.
type Collected<S> = (Vec<(S, DocAddress)>, usize, Option<FacetCounts>);

/// Runs `rank` (a page and count from bit sets: [`conjunction::top_and_count`]
/// or [`day_sorted::top_and_count`]) on the hit set of `words` within the
/// request's filter, with the request's facets.
fn bit_set_search<T>(
    searcher: &Searcher,
    fields: &IndexFields,
    params: &SearchParams,
    words: &[ConjunctionWord],
    rank: impl FnOnce(&HitSet, Option<&FacetTopCounts>) -> tantivy::Result<(Vec<T>, usize, Option<RootCounts>)>,
) -> Result<(Vec<T>, usize, Option<FacetCounts>), SearchError> {
    let required = filter_bits(searcher, fields, &params.filter)?;
    let hit_set = HitSet { words, required: required.as_ref() };
    let facets = facet_collector(&params.facets);
    let (top, total, counts) = rank(&hit_set, facets.as_ref())?;
    Ok((top, total, counts.map(|counts| facet_counts(&params.facets, counts))))
}

/// The page by issue day (see [`day_sorted::top_and_count`]) of `words`
/// within the request's filter, `(limit, offset)` as the caller widened them.
fn by_day_from_bits(
    searcher: &Searcher,
    fields: &IndexFields,
    params: &SearchParams,
    words: &[ConjunctionWord],
    (limit, offset): (usize, usize),
    cancel: &Cancellation,
) -> Result<Collected<(i64, Score)>, SearchError> {
    let ascending = params.sort == Sort::DateAscending;
    bit_set_search(searcher, fields, params, words, |hit_set, facets| {
        day_sorted::top_and_count(searcher, hit_set, HEADING_BOOST, ascending, limit, offset, facets, cancel)
    })
}

/// Collects the page by issue day (see [`day_sorted::day_key`]), best match
/// first within a day, with the query's scorers.
fn collect_by_day(
    searcher: &Searcher,
    query: &dyn Query,
    top: TopDocs,
    ascending: bool,
    facets: &[FacetRoot],
    cancel: &Cancellation,
) -> Result<Collected<(i64, Score)>, SearchError> {
    let by_day = top.tweak_score(move |segment: &SegmentReader| {
        let days = segment.fast_fields().i64("issue_day").ok();
        move |doc: DocId, score: Score| {
            let day = days.as_ref().and_then(|column| column.first(doc)).unwrap_or(0);
            (day_sorted::day_key(day, ascending), score)
        }
    });
    collect(searcher, query, by_day, facets, cancel)
}

/// Collects the top documents, the total and (when asked) facet counts in one pass.
fn collect<C, S>(
    searcher: &Searcher,
    query: &dyn Query,
    top: C,
    facets: &[FacetRoot],
    cancel: &Cancellation,
) -> Result<Collected<S>, SearchError>
where
    C: tantivy::collector::Collector<Fruit = Vec<(S, DocAddress)>>,
{
    let Some(collector) = facet_collector(facets) else {
        let (top, total) = parallel::search(searcher, query, &Cancellable::new((top, Count), cancel))?;
        return Ok((top, total, None));
    };
    let (top, total, counts) = parallel::search(searcher, query, &Cancellable::new((top, Count, collector), cancel))?;
    Ok((top, total, Some(facet_counts(facets, counts))))
}

/// The collector of the asked facets (None: none asked).
fn facet_collector(facets: &[FacetRoot]) -> Option<FacetTopCounts> {
    (!facets.is_empty()).then(|| FacetTopCounts::new("facets", facets.iter().map(|root| root.name()).collect()))
}

/// The API's facet counts from the collector's, by root.
fn facet_counts(roots: &[FacetRoot], counts: crate::facet_counts::RootCounts) -> FacetCounts {
    let mut facet_counts = FacetCounts::default();
    for (index, root) in roots.iter().enumerate() {
        let values = counts.largest(index, FACET_VALUES);
        match root {
            FacetRoot::Paper => facet_counts.papers = values,
            FacetRoot::Month => facet_counts.months = values,
            FacetRoot::Author => facet_counts.authors = values,
            FacetRoot::Kind => facet_counts.kinds = values,
            FacetRoot::City => facet_counts.cities = values,
            FacetRoot::Person => facet_counts.persons = values,
            FacetRoot::Place => facet_counts.places = values,
            FacetRoot::Org => facet_counts.orgs = values,
        }
    }
    facet_counts
}

/// A highlighter for one grams field, or None when nothing can be highlighted there.
fn highlighter(
    searcher: &Searcher,
    clauses: Vec<(Occur, Box<dyn Query>)>,
    field: Field,
    highlight: &Highlight,
    max_chars: usize,
) -> Result<Option<Highlighter>, SearchError> {
    if clauses.is_empty() {
        return Ok(None);
    }
    let max = max_chars.max(highlight.snippet_chars);
    let highlighter = Highlighter::create(searcher, &BooleanQuery::new(clauses), field, max)?;
    Ok((!highlighter.is_empty()).then_some(highlighter))
}

/// The text's best passage with matches marked, or None when nothing matched in it.
fn marked(highlighter: &Option<Highlighter>, text: &str, highlight: &Highlight) -> Option<String> {
    highlighter.as_ref()?.mark(text, &highlight.pre_tag, &highlight.post_tag)
}

/// Matches a text verbatim in one grams field: a phrase of its grams. The last
/// character of a run is covered by the bigram before it, so its unigram is
/// left out (it would not match where the run continues in the document).
pub(crate) fn text_matcher(field: Field, text: &str) -> Option<Box<dyn Query>> {
    let mut terms = gram_terms(field, text);
    match terms.len() {
        0 => None,
        1 => {
            let (_, term) = terms.remove(0);
            let single = term.value().as_str().unwrap_or_default().to_string();
            if single.chars().count() == 1 && single.chars().all(is_han) {
                // A lone Han character: any bigram starting with it, or itself.
                let pattern = format!("{single}.?");
                RegexQuery::from_pattern(&pattern, field).ok().map(|q| Box::new(q) as Box<dyn Query>)
            } else {
                Some(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
            }
        }
        _ => Some(Box::new(PhraseQuery::new_with_offset(terms))),
    }
}

/// The grams that match a text verbatim in a grams field, with their positions.
fn gram_terms(field: Field, text: &str) -> Vec<(usize, Term)> {
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
    terms
}

/// The first characters of a text.
pub(crate) fn leading(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Escapes text for the HTML-like marked output.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A hit from its stored document (its texts are taken out of it) and its
/// snippet; the caller marks the title (`title_highlight`, left empty).
pub(crate) fn hit_from_document(mut document: StoredDoc, fields: &IndexFields, score: f32, snippet: String) -> Hit {
    let number = |field| document.u64(field).unwrap_or(0);
    let (id, page_id, ordinal, page, wire_group) = (
        number(fields.id) as i64,
        number(fields.page_id) as i64,
        number(fields.ordinal) as i32,
        number(fields.page) as i32,
        number(fields.wire_group) as i64,
    );
    let parts = document.u64s(fields.parts).into_iter().map(|id| id as i64).collect();
    let mut text = |field| document.take_text(field).unwrap_or_default();
    Hit {
        id,
        page_id,
        ordinal,
        paper: text(fields.paper),
        issue_date: text(fields.issue_date),
        page,
        kind: text(fields.kind),
        kicker: text(fields.kicker),
        title: text(fields.title),
        subtitle: text(fields.subtitle),
        source: text(fields.source),
        dateline: text(fields.dateline),
        source_path: text(fields.source_path),
        dateline_city: text(fields.dateline_city),
        authors: document.take_texts(fields.authors),
        persons: document.take_texts(fields.persons),
        places: document.take_texts(fields.places),
        orgs: document.take_texts(fields.orgs),
        wire_group,
        parts,
        score,
        snippet,
        title_highlight: String::new(),
        also_in: Vec::new(),
    }
}

/// The wire group of a document from its fast field (0: none).
fn wire_group_of(searcher: &Searcher, address: DocAddress) -> u64 {
    searcher
        .segment_reader(address.segment_ord)
        .fast_fields()
        .u64("wire_group")
        .ok()
        .and_then(|column| column.first(address.doc_id))
        .unwrap_or(0)
}

/// Keeps the best-ranked print of each wire group, then the requested page.
fn collapse_wire_copies<S>(
    searcher: &Searcher,
    ranked: Vec<(S, DocAddress)>,
    offset: usize,
    page_size: usize,
) -> Vec<(S, DocAddress)> {
    let mut seen = std::collections::HashSet::new();
    ranked
        .into_iter()
        .filter(|(_, address)| {
            let group = wire_group_of(searcher, *address);
            group == 0 || seen.insert(group)
        })
        .skip(offset)
        .take(page_size)
        .collect()
}

/// The other prints of a wire group, oldest article first.
fn other_prints(
    searcher: &Searcher,
    fields: &IndexFields,
    group: i64,
    except: i64,
) -> Result<Vec<WireCopy>, SearchError> {
    if group <= 0 {
        return Ok(Vec::new());
    }
    let query = TermQuery::new(Term::from_field_u64(fields.wire_group, group as u64), IndexRecordOption::Basic);
    let found = searcher.search(&query, &TopDocs::with_limit(ALSO_IN_LIMIT + 1))?;
    let mut copies = Vec::new();
    for (_, address) in found {
        let mut document: StoredDoc = searcher.doc(address)?;
        let id = document.u64(fields.id).unwrap_or(0) as i64;
        if id != except {
            copies.push(WireCopy {
                article_id: id,
                paper: document.take_text(fields.paper).unwrap_or_default(),
                issue_date: document.take_text(fields.issue_date).unwrap_or_default(),
                page: document.u64(fields.page).unwrap_or(0) as i32,
            });
        }
    }
    copies.sort_by_key(|copy| copy.article_id);
    copies.truncate(ALSO_IN_LIMIT);
    Ok(copies)
}

const TOKEN_PREFIX: &str = "p1:";

/// Where the next page starts: the index snapshot the first page was served
/// from (so pages stay consistent while the index changes) and the offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageToken {
    pub generation: Option<u64>,
    pub offset: usize,
}

fn encode_page_token(token: PageToken) -> String {
    let generation = token.generation.map(|g| g.to_string()).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{generation}:{}", token.offset))
}

/// Decodes a page token (the first page for an empty token).
pub fn decode_page_token(token: &str) -> Result<PageToken, SearchError> {
    if token.is_empty() {
        return Ok(PageToken::default());
    }
    let invalid = || SearchError::InvalidArgument("page_token is not a token returned by this service".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (generation, offset) =
        text.strip_prefix(TOKEN_PREFIX).and_then(|rest| rest.split_once(':')).ok_or_else(invalid)?;
    let generation = if generation.is_empty() { None } else { Some(generation.parse().map_err(|_| invalid())?) };
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    if offset > MAX_OFFSET {
        return Err(invalid());
    }
    Ok(PageToken { generation, offset })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::TantivyDocument;

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let token = PageToken { generation: Some(7), offset: 30 };
        assert_eq!(decode_page_token(&encode_page_token(token)).unwrap(), token);
        assert_eq!(decode_page_token("").unwrap(), PageToken::default());
        assert!(decode_page_token("garbage!").is_err());
    }

    #[test]
    fn facet_requests_name_facets_singular_or_plural() {
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        assert_eq!(FacetRoot::parse_request(false, &[]).unwrap(), []);
        assert_eq!(FacetRoot::parse_request(true, &[]).unwrap(), FacetRoot::ALL);
        let asked = FacetRoot::parse_request(false, &names(&["Months", "paper", "papers"])).unwrap();
        assert_eq!(asked, [FacetRoot::Paper, FacetRoot::Month]);
        let unknown = FacetRoot::parse_request(true, &names(&["paper", "colour"])).unwrap_err().to_string();
        assert!(unknown.contains("\"colour\"") && unknown.contains("org"), "{unknown}");
    }

    /// A search for `text` by relevance, with no filter and no highlight.
    fn relevance_params(text: &str, limit: usize, offset: usize, facets: Vec<FacetRoot>) -> SearchParams {
        SearchParams {
            query: crate::query::parse_query(text).unwrap(),
            page_size: limit,
            offset,
            filter: Filter::default(),
            sort: Sort::Relevance,
            highlight: Highlight::default(),
            facets,
            collapse_wire_copies: false,
        }
    }

    /// An index of the real schema with headlines and bodies made of a few
    /// words and filler, over three segments, with later parts and deletes.
    fn conjunction_index() -> (tantivy::Index, IndexFields) {
        let (schema, fields) = IndexFields::build();
        let index = tantivy::Index::create_in_ram(schema);
        crate::analyzer::register(&index);
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 30_000_000).unwrap();
        let words = ["经济", "合作", "农村", "改革", "发展", "技术", "创新", "已经", "济南"];
        let filler = ["今天", "我们", "报道", "一个", "新的", "城市", "，", "。", "的", "在"];
        let mut state: u64 = 7;
        let mut next = |below: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % below as u64) as usize
        };
        let mut id = 0u64;
        for _segment in 0..3 {
            for _ in 0..400 {
                id += 1;
                let mut text =
                    |length: usize, word_share: usize| -> String {
                        (0..length)
                            .map(|_| {
                                if next(10) < word_share {
                                    words[next(words.len())]
                                } else {
                                    filler[next(filler.len())]
                                }
                            })
                            .collect()
                    };
                let heading = text(1 + id as usize % 6, 2);
                let body = text(5 + (id as usize * 7) % 60, 3);
                let mut document = TantivyDocument::default();
                document.add_u64(fields.id, id);
                // Later parts are searched through their first part (see `ArticleRow::to_document`).
                if id % 23 == 5 {
                    document.add_u64(fields.later_part, 1);
                } else {
                    crate::document::add_searchable_text(&mut document, &fields, &heading, &body);
                }
                document.add_text(fields.body_text, &body);
                let paper = format!("paper{}", next(5));
                document.add_facet(fields.facets, tantivy::schema::Facet::from_path(["paper", &paper]));
                document.add_text(fields.paper_name, &paper);
                // Days of 2000–2009, a few on one day, some undated (day 0).
                let day = match id % 17 {
                    0 => 0,
                    1 => 731_000,
                    _ => 730_120 + next(3_650) as i64,
                };
                document.add_i64(fields.issue_day, day);
                for _ in 0..next(3) {
                    let author = format!("author{}", next(40));
                    document.add_facet(fields.facets, tantivy::schema::Facet::from_path(["author", &author]));
                }
                writer.add_document(document).unwrap();
            }
            writer.commit().unwrap();
        }
        // Deletes in the first two segments; the third has none.
        for deleted in (3..=800).step_by(31) {
            writer.delete_term(Term::from_field_u64(fields.id, deleted));
        }
        writer.commit().unwrap();
        (index, fields)
    }

    /// The same hits with the same scores, but for the order of float
    /// additions (tantivy's unions change it as posting lists run out): scores
    /// agree to 1e-5 relative, and documents differ only where the expected
    /// score ties with a neighbour's to that precision.
    fn assert_same_ranking(hits: &[(Score, DocAddress)], expected: &[(Score, DocAddress)], what: &str) {
        assert_eq!(hits.len(), expected.len(), "{what}");
        let close = |a: Score, b: Score| (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0);
        for (rank, (hit, wanted)) in hits.iter().zip(expected).enumerate() {
            assert!(close(hit.0, wanted.0), "{what}: rank {rank}: {hit:?} against {wanted:?}");
            if hit.1 != wanted.1 {
                let tied = |other: Option<&(Score, DocAddress)>| other.is_some_and(|other| close(other.0, wanted.0));
                let neighbours = [rank.checked_sub(1).and_then(|r| expected.get(r)), expected.get(rank + 1)];
                assert!(
                    neighbours.into_iter().any(tied) || rank + 1 == expected.len(),
                    "{what}: rank {rank}: {hit:?} against {wanted:?}"
                );
            }
        }
    }

    #[test]
    fn ranking_words_sought_one_by_one_score_as_one_union_of_them() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let cancel = Cancellation::default();
        let mut compared = 0;
        for text in [
            "\"经济合作\"",
            "经济合作",
            "农村改革发展",
            "\"济南\" 创新",
            "技术 OR 已经",
            "改革 -合作",
            "title:农村改革",
            // 18 ranking words: two to a level.
            "经济 OR 合作 OR 农村 OR 改革 OR 发展 OR 技术 OR 创新 OR 已经 OR 济南",
        ] {
            let params = relevance_params(text, 50, 0, Vec::new());
            let (mut body, mut heading, mut ranking) = (Vec::new(), Vec::new(), Vec::new());
            let core = node_query(&fields, &params.query, &mut body, &mut heading, &mut ranking).unwrap();
            assert!(!ranking.is_empty(), "{text}");
            // tantivy's union of optional clauses beside the matching query.
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, core)];
            clauses.push((Occur::MustNot, Box::new(later_parts(&fields))));
            clauses.extend(ranking.into_iter().map(|q| (Occur::Should, q)));
            let union = BooleanQuery::new(clauses);
            let built = build_query(&fields, &params).unwrap();
            let top = || TopDocs::with_limit(50);
            let (hits, total, _) = collect(&searcher, &*built.matching, top(), &[], &cancel).unwrap();
            let (expected, expected_total, _) = collect(&searcher, &union, top(), &[], &cancel).unwrap();
            assert_eq!(total, expected_total, "{text}");
            assert!(total > 0, "{text}");
            assert_same_ranking(&hits, &expected, text);
            compared += hits.len();
        }
        assert!(compared > 150, "{compared} hits compared");
    }

    #[test]
    fn a_headline_hit_reads_the_body_lists_only_when_it_can_reach_the_page() {
        use crate::conjunction::{SegmentLeaves, WordWeights};
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let words: Vec<ConjunctionWord> = ["经济", "合作"].iter().map(|gram| word_terms(&fields, gram)).collect();
        let weights: Vec<WordWeights> =
            words.iter().map(|word| WordWeights::new(&searcher, word, HEADING_BOOST).unwrap()).collect();
        let body_bound: Score = weights.iter().map(WordWeights::body_bound).sum();
        let mut checked = 0;
        for reader in searcher.segment_readers() {
            let open = || SegmentLeaves::open(reader, &words, &weights).unwrap();
            let (mut full, mut unbounded, mut at_score, mut above) = (open(), open(), open(), open());
            for doc in 0..reader.max_doc() {
                let score = full.score(doc, true);
                if score == 0.0 {
                    continue;
                }
                // Scored, the same float, whenever it may reach the page, ties included.
                assert_eq!(unbounded.score_reaching(doc, body_bound, Score::MIN), Some(score), "doc {doc}");
                assert_eq!(at_score.score_reaching(doc, body_bound, score), Some(score), "doc {doc}");
                // Left out, without reading the body, when it cannot.
                assert_eq!(above.score_reaching(doc, body_bound, score + 2.0 * body_bound + 1.0), None, "doc {doc}");
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} documents hold a word");
    }

    #[test]
    fn conjunctions_of_single_gram_words_rank_and_count_as_the_full_query() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let deletes = |segment: &tantivy::SegmentReader| segment.num_deleted_docs() > 0;
        assert_eq!(searcher.segment_readers().iter().filter(|segment| deletes(segment)).count(), 2);
        let cancel = Cancellation::new();
        let mut compared = 0;
        let mut facets_compared = 0;
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let papers = vec!["paper1".to_string(), "paper3".to_string()];
        let filters = [
            Filter::default(),
            Filter { papers: papers.clone(), ..Filter::default() },
            Filter { date_from: date(2003, 1, 1), date_to: date(2006, 6, 30), ..Filter::default() },
            Filter { papers: vec!["paper2".into()], date_from: date(2005, 1, 1), ..Filter::default() },
            Filter { date_to: date(2004, 12, 31), ..Filter::default() },
        ];
        let mut filtered_hits = 0;
        let cases =
            ["经济 合作", "合作 经济", "农村 改革 发展", "技术 创新", "经济 经济", "经济 济南", "已经 合作 改革 创新"]
                .into_iter()
                .map(|text| (text, Filter::default()))
                .chain(
                    ["经济", "改革", "经济 合作", "农村 改革 发展"]
                        .into_iter()
                        .flat_map(|text| filters[1..].iter().map(move |filter| (text, filter.clone()))),
                );
        for (text, filter) in cases {
            for (limit, offset) in [(10, 0), (5, 3), (1, 0), (50, 20), (2000, 0), (0, 0)] {
                let facets = if limit == 10 { vec![FacetRoot::Paper, FacetRoot::Author] } else { Vec::new() };
                let params =
                    SearchParams { filter: filter.clone(), ..relevance_params(text, limit, offset, facets.clone()) };
                let words = gram_conjunction(&fields, &params).expect("a conjunction of single-gram words");
                let (hits, total, counts) = bit_set_search(&searcher, &fields, &params, &words, |hit_set, facets| {
                    conjunction::top_and_count(&searcher, hit_set, HEADING_BOOST, limit, offset, facets, &cancel)
                })
                .unwrap();
                let built = build_query(&fields, &params).unwrap();
                let (expected_hits, expected_total, expected_facets) = if limit == 0 {
                    (Vec::new(), searcher.search(&*built.matching, &Count).unwrap(), None)
                } else {
                    let top = TopDocs::with_limit(limit).and_offset(offset);
                    collect(&searcher, &*built.matching, top, &facets, &cancel).unwrap()
                };
                let what = format!("{text}, {filter:?}, limit {limit}, offset {offset}");
                assert_eq!(total, expected_total, "{what}");
                assert_same_ranking(&hits, &expected_hits, &what);
                assert_eq!(counts, expected_facets, "{what}");
                if let Some(counts) = counts {
                    assert!(counts.authors.len() > 1, "{what}: {counts:?}");
                    facets_compared += 1;
                }
                compared += hits.len();
                if filter != Filter::default() {
                    filtered_hits += hits.len();
                    // The filter really narrowed the hits.
                    let unfiltered = searcher
                        .search(
                            &*build_query(&fields, &relevance_params(text, 1, 0, Vec::new())).unwrap().matching,
                            &Count,
                        )
                        .unwrap();
                    assert!(total > 0 && total < unfiltered, "{what}: {total} of {unfiltered}");
                }
            }
        }
        assert!(compared > 1000, "{compared} hits compared");
        assert!(filtered_hits > 500, "{filtered_hits} filtered hits compared");
        assert_eq!(facets_compared, 7 + 4 * 4);
        // The words' lists were decoded once, by the first unfiltered case,
        // and remembered: the later and the filtered cases (compared above)
        // started from the remembered bits.
        let words = gram_conjunction(&fields, &relevance_params("经济 合作", 10, 0, Vec::new())).unwrap();
        for reader in searcher.segment_readers() {
            for word in &words {
                assert!(crate::word_bits::shared().get(reader, &[&word.heading_only, &word.body]).is_some());
            }
        }
        // Not conjunctions of single-gram words: phrases, one character, fields, filters.
        for text in ["经济", "经济 OR 合作", "\"经济合作\" 改革", "经 合作", "title:经济 合作", "经济 -合作"]
        {
            let params = relevance_params(text, 10, 0, Vec::new());
            assert!(gram_conjunction(&fields, &params).is_none(), "{text}");
        }
    }

    #[test]
    fn a_filter_selects_hits_without_changing_their_scores() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let cancel = Cancellation::new();
        let filter = Filter { papers: vec!["paper1".into(), "paper3".into()], ..Filter::default() };
        // A phrase and an OR take the nested query with the filter's clauses.
        for text in ["\"经济合作\"", "经济 OR 改革"] {
            let unfiltered = relevance_params(text, 2000, 0, Vec::new());
            let filtered = SearchParams { filter: filter.clone(), ..unfiltered.clone() };
            assert!(gram_words(&fields, &filtered.query).is_none(), "{text}");
            let run = |params: &SearchParams| {
                let built = build_query(&fields, params).unwrap();
                collect(&searcher, &*built.matching, TopDocs::with_limit(2000), &[], &cancel).unwrap().0
            };
            let all: std::collections::HashMap<DocAddress, Score> =
                run(&unfiltered).into_iter().map(|(score, address)| (address, score)).collect();
            let selected = run(&filtered);
            assert!(!selected.is_empty() && selected.len() < all.len(), "{text}: {} of {}", selected.len(), all.len());
            for (score, address) in selected {
                assert_eq!(all.get(&address), Some(&score), "{text}: {address:?}");
            }
        }
    }

    #[test]
    fn day_sorted_searches_of_single_gram_words_sort_as_the_full_query() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let cancel = Cancellation::new();
        let filters = [
            Filter::default(),
            Filter { papers: vec!["paper1".into(), "paper3".into()], ..Filter::default() },
            Filter { date_from: NaiveDate::from_ymd_opt(2003, 1, 1), ..Filter::default() },
        ];
        let mut compared = 0;
        let mut undated_compared = 0;
        for text in ["经济", "改革", "经济 合作", "农村 改革 发展", "已经"] {
            for filter in &filters {
                for sort in [Sort::DateDescending, Sort::DateAscending] {
                    for (limit, offset) in [(10, 0), (5, 3), (1, 0), (50, 20), (2000, 0), (0, 0)] {
                        let facets = if limit == 10 { vec![FacetRoot::Paper, FacetRoot::Month] } else { Vec::new() };
                        let params = SearchParams {
                            filter: filter.clone(),
                            sort,
                            ..relevance_params(text, limit, offset, facets.clone())
                        };
                        let words = gram_words(&fields, &params.query).expect("single-gram words");
                        let ascending = sort == Sort::DateAscending;
                        let (hits, total, counts) =
                            by_day_from_bits(&searcher, &fields, &params, &words, (limit, offset), &cancel).unwrap();
                        let built = build_query(&fields, &params).unwrap();
                        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
                        let (mut expected, expected_total, expected_facets) =
                            collect_by_day(&searcher, &*built.matching, top, ascending, &facets, &cancel).unwrap();
                        expected.truncate(limit);
                        let what = format!("{text}, {filter:?}, {sort:?}, limit {limit}, offset {offset}");
                        assert_eq!(total, expected_total, "{what}");
                        assert_eq!(counts, expected_facets, "{what}");
                        // The same days in the same order; within a day, the same scores.
                        let keys =
                            |hits: &[((i64, Score), DocAddress)]| hits.iter().map(|h| h.0 .0).collect::<Vec<_>>();
                        assert_eq!(keys(&hits), keys(&expected), "{what}");
                        let scored = |hits: &[((i64, Score), DocAddress)]| {
                            hits.iter().map(|((_, score), address)| (*score, *address)).collect::<Vec<_>>()
                        };
                        for day in keys(&expected).into_iter().collect::<std::collections::BTreeSet<_>>() {
                            let on = |hits: &[((i64, Score), DocAddress)]| {
                                scored(&hits.iter().filter(|h| h.0 .0 == day).copied().collect::<Vec<_>>())
                            };
                            assert_same_ranking(&on(&hits), &on(&expected), &format!("{what}, key {day}"));
                        }
                        compared += hits.len();
                        undated_compared += hits.iter().filter(|h| h.0 .0 == i64::MIN).count();
                    }
                }
            }
        }
        assert!(compared > 3000, "{compared} hits compared");
        assert!(undated_compared > 50, "{undated_compared} undated hits compared");
        // Other queries take the full query.
        for text in ["经济 OR 合作", "\"经济合作\"", "经", "title:经济"] {
            assert!(gram_words(&fields, &crate::query::parse_query(text).unwrap()).is_none(), "{text}");
        }
    }

    #[test]
    fn single_words_ranked_from_headlines_first_rank_as_wand() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let cancel = Cancellation::new();
        let (mut compared, mut segments, mut fallbacks) = (0, 0, 0);
        for text in ["经济", "合作", "农村", "改革", "创新", "济南", "报道", "城市"] {
            for (limit, offset) in [(10, 0), (5, 3), (1, 0), (50, 20), (2000, 0), (0, 0)] {
                let params = relevance_params(text, limit, offset, Vec::new());
                let (ranking, gram, 1) = single_gram_disjunction(&fields, &params).expect("one word") else {
                    panic!("{text}: one jieba word")
                };
                let wand = ranking.weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
                let word = word_terms(&fields, &gram);
                let (hits, fell_back) =
                    headline_first::top(&searcher, &word, HEADING_BOOST, &*wand, limit, offset, &cancel).unwrap();
                let pruned = PrunedTopDocs::new(
                    limit,
                    offset,
                    later_parts(&fields).weight(EnableScoring::disabled_from_searcher(&searcher)).unwrap(),
                );
                let expected = searcher.search(&ranking, &pruned).unwrap();
                assert_same_ranking(&hits, &expected, &format!("{text}, limit {limit}, offset {offset}"));
                compared += hits.len();
                if limit > 0 {
                    segments += searcher.segment_readers().len();
                    fallbacks += fell_back;
                }
            }
        }
        assert!(compared > 500, "{compared} hits compared");
        // Both ways were taken: ranked from headlines alone, and by WAND.
        assert!(fallbacks > 0 && fallbacks < segments / 2, "{fallbacks} of {segments} segments by WAND");
    }

    #[test]
    fn a_words_count_is_its_body_and_headline_only_documents_with_or_without_deletes() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let cancel = Cancellation::new();
        let mut headline_only = 0;
        let (mut subtracted, mut walked) = (0, 0);
        for text in ["经济", "合作", "农村", "改革", "创新", "济南", "报道", "城市", "没有"] {
            let params = relevance_params(text, 10, 0, Vec::new());
            let (_, gram, _) = single_gram_disjunction(&fields, &params).expect("one gram");
            let word = word_terms(&fields, &gram);
            let built = build_query(&fields, &params).unwrap();
            let expected = searcher.search(&*built.matching, &Count).unwrap();
            assert_eq!(count_word(&searcher, &word, &cancel).unwrap(), expected, "{text}");
            // Per segment too: the segment without deletes by document
            // frequencies alone, the others by subtracting the deleted
            // documents a list holds or by walking it.
            for reader in searcher.segment_readers() {
                let one = crate::ranked_top::count_word_in(reader, &word).unwrap();
                let matched = built.matching.weight(EnableScoring::disabled_from_searcher(&searcher)).unwrap();
                assert_eq!(one, matched.count(reader).unwrap(), "{text}");
                if let Some(deleted) = crate::deleted_docs::of(reader) {
                    for term in [&word.body, &word.heading_only] {
                        let doc_freq = reader.inverted_index(term.field()).unwrap().doc_freq(term).unwrap();
                        if crate::ranked_top::few_deleted(deleted.len(), doc_freq) {
                            subtracted += 1;
                        } else if doc_freq > 0 {
                            walked += 1;
                        }
                    }
                }
            }
            headline_only += searcher.doc_freq(&word.heading_only).unwrap();
        }
        assert!(headline_only > 100, "{headline_only} headline-only hits counted");
        assert!(subtracted > 0 && walked > 0, "lists with deletes: {subtracted} subtracted, {walked} walked");
    }

    #[test]
    fn single_words_count_facets_from_bits_as_the_full_query() {
        let (index, fields) = conjunction_index();
        let searcher = index.reader().unwrap().searcher();
        let cancel = Cancellation::new();
        let facets = vec![FacetRoot::Author, FacetRoot::Paper];
        // Twice each: decoded, then from the remembered bits (`word_bits.rs`),
        // in segments with and without deletes.
        let words = ["经济", "合作", "农村", "创新", "济南", "报道"];
        for text in words.into_iter().chain(words) {
            let params = relevance_params(text, 10, 0, facets.clone());
            assert!(single_gram_disjunction(&fields, &params).is_some(), "{text}");
            let results = execute(&searcher, &fields, &params).unwrap();
            let built = build_query(&fields, &params).unwrap();
            let (_, total, expected) =
                collect(&searcher, &*built.matching, TopDocs::with_limit(10), &facets, &cancel).unwrap();
            assert_eq!(results.total_hits, total as u64, "{text}");
            let counts = results.facets.unwrap();
            assert_eq!(Some(&counts), expected.as_ref(), "{text}");
            assert!(counts.papers.len() > 1 && counts.authors.len() > 1, "{text}: {counts:?}");
        }
    }

    #[test]
    fn validates_page_size_filters_and_highlights() {
        assert_eq!(page_size(0, MAX_PAGE_SIZE).unwrap(), DEFAULT_PAGE_SIZE);
        assert!(page_size(101, MAX_PAGE_SIZE).is_err());
        assert!(page_size(-1, MAX_PAGE_SIZE).is_err());
        assert!(Filter::parse(vec![], "2021-13-01", "", vec![], "", vec![], MAX_FILTER_VALUES).is_err());
        assert!(Filter::parse(vec![], "2021-05-01", "2021-04-01", vec![], "", vec![], MAX_FILTER_VALUES).is_err());
        assert!(Filter::parse(vec![], "", "", vec![], "video", vec![], MAX_FILTER_VALUES).is_err());
        assert_eq!(Highlight::parse("", "", 0, MAX_SNIPPET_CHARS).unwrap(), Highlight::default());
        assert!(Highlight::parse("", "", 5000, MAX_SNIPPET_CHARS).is_err());
    }
}
