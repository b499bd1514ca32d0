//! Runs the mix against baokan in-process (the library the service uses,
//! without gRPC), and collects the full hit set of a query for comparisons.

use std::collections::BTreeSet;

use anyhow::Context;
use baokan_search::index::ArticleIndex;
use baokan_search::proto;
use baokan_search::query::parse_query;
use baokan_search::search::{execute, matching_query, FacetRoot, Filter, Highlight, SearchParams, SearchResults, Sort};
use tantivy::collector::DocSetCollector;

use crate::mix::BenchQuery;

/// Results per page in the mix.
pub const PAGE_SIZE: usize = 10;

fn filter_of(query: &BenchQuery) -> Filter {
    Filter {
        papers: query.paper.iter().cloned().collect(),
        date_from: query.date_from,
        date_to: query.date_to,
        ..Filter::default()
    }
}

/// The facets the mix's facet queries ask for (what a results page shows).
fn bench_facets() -> Vec<String> {
    crate::mix::FACETS.iter().map(|name| name.to_string()).collect()
}

/// Parses and executes one query of the mix, as the service does.
pub fn search(index: &ArticleIndex, query: &BenchQuery) -> anyhow::Result<SearchResults> {
    let params = SearchParams {
        query: parse_query(&query.query).with_context(|| format!("parsing {:?}", query.query))?,
        page_size: PAGE_SIZE,
        offset: 0,
        filter: filter_of(query),
        sort: if query.newest_first { Sort::DateDescending } else { Sort::Relevance },
        highlight: Highlight::default(),
        facets: if query.facets { FacetRoot::parse_request(true, &bench_facets())? } else { Vec::new() },
        collapse_wire_copies: false,
    };
    Ok(execute(&index.searcher(), &index.fields, &params)?)
}

/// Every article id the query matches.
pub fn all_ids(index: &ArticleIndex, query: &BenchQuery) -> anyhow::Result<BTreeSet<i64>> {
    let node = parse_query(&query.query).with_context(|| format!("parsing {:?}", query.query))?;
    let matching = matching_query(&index.fields, &node, &filter_of(query))?;
    let searcher = index.searcher();
    let addresses = searcher.search(&*matching, &DocSetCollector)?;
    let mut ids = BTreeSet::new();
    for address in addresses {
        let segment = searcher.segment_reader(address.segment_ord);
        let column = segment.fast_fields().u64("id")?;
        if let Some(id) = column.first(address.doc_id) {
            ids.insert(id as i64);
        }
    }
    Ok(ids)
}

/// The same query as a gRPC request.
pub fn grpc_request(query: &BenchQuery) -> proto::SearchRequest {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let filtered = query.paper.is_some() || query.date_from.is_some() || query.date_to.is_some();
    proto::SearchRequest {
        query: query.query.clone(),
        page_size: PAGE_SIZE as i32,
        filter: filtered.then(|| proto::SearchFilter {
            papers: query.paper.iter().cloned().collect(),
            date_from: date(query.date_from),
            date_to: date(query.date_to),
            ..Default::default()
        }),
        highlight: query.highlight.then(|| proto::HighlightOptions {
            pre_tag: "<em>".into(),
            post_tag: "</em>".into(),
            snippet_chars: 120,
        }),
        facet_fields: if query.facets { bench_facets() } else { Vec::new() },
        sort: if query.newest_first { proto::SortOrder::DateDesc as i32 } else { proto::SortOrder::Relevance as i32 },
        ..Default::default()
    }
}
