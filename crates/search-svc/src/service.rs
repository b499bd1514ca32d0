//! The `baokan.v1.SearchService` gRPC implementation: validates requests,
//! runs searches on a blocking thread, converts domain results to proto types.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use sqlx::PgPool;
use tonic::{Request, Response, Status};
use tracing::info;

use crate::document::{load_article, ArticleRow};
use crate::error::SearchError;
use crate::index::ArticleIndex;
use crate::proto::search_service_server::SearchService;
use crate::proto::{
    Article, GetArticleRequest, GetArticleResponse, GetIndexStatusRequest, GetIndexStatusResponse, SearchHit,
    SearchRequest, SearchResponse,
};
use crate::proto::{FacetCount, Facets, SortOrder};
use crate::query::parse_query;
use crate::search::{decode_page_token, execute, page_size, FacetCounts, Filter, Highlight, Hit, SearchParams, Sort};
use crate::sync::SyncStatus;

/// Serves searches from the index and article look-ups from PostgreSQL.
pub struct SearchServiceImpl {
    /// The index searches run on.
    pub index: Arc<ArticleIndex>,
    /// PostgreSQL, for GetArticle (the source of truth) and status.
    pub pool: PgPool,
    /// Sync progress, for GetIndexStatus.
    pub status: Arc<SyncStatus>,
}

#[tonic::async_trait]
impl SearchService for SearchServiceImpl {
    async fn search(&self, request: Request<SearchRequest>) -> Result<Response<SearchResponse>, Status> {
        let started = Instant::now();
        let request = request.into_inner();
        let params = search_params(&request).inspect_err(|e| {
            info!(query = %request.query, error = %e, "search rejected");
        })?;
        let index = Arc::clone(&self.index);
        let results = tokio::task::spawn_blocking(move || {
            let searcher = index.reader.searcher();
            execute(&searcher, &index.fields, &params)
        })
        .await
        .map_err(SearchError::from)??;
        info!(
            query = %request.query,
            hits = results.total_hits,
            latency_us = started.elapsed().as_micros() as u64,
            "search"
        );
        Ok(Response::new(SearchResponse {
            total_hits: results.total_hits,
            hits: results.hits.into_iter().map(hit_to_proto).collect(),
            next_page_token: results.next_page_token,
            facets: results.facets.map(facets_to_proto),
        }))
    }

    async fn get_article(&self, request: Request<GetArticleRequest>) -> Result<Response<GetArticleResponse>, Status> {
        let id = request.into_inner().id;
        if id <= 0 {
            return Err(SearchError::InvalidArgument(format!("article id must be positive, got {id}")).into());
        }
        let row = load_article(&self.pool, id).await.map_err(SearchError::Unavailable)?;
        let Some(row) = row else {
            return Err(SearchError::NotFound(format!("no article with id {id}")).into());
        };
        Ok(Response::new(GetArticleResponse { article: Some(row_to_proto(row)) }))
    }

    async fn get_index_status(
        &self,
        _request: Request<GetIndexStatusRequest>,
    ) -> Result<Response<GetIndexStatusResponse>, Status> {
        let applied_sequence = self.status.applied_sequence.load(Ordering::SeqCst);
        let latest: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT max(sequence) FROM article_changes").fetch_one(&self.pool).await;
        let latest_sequence = match latest {
            Ok(latest) => latest.unwrap_or(0),
            Err(error) => return Err(SearchError::Unavailable(error).into()),
        };
        Ok(Response::new(GetIndexStatusResponse {
            documents: self.index.documents(),
            applied_sequence,
            latest_sequence,
            caught_up: self.status.caught_up.load(Ordering::SeqCst),
        }))
    }
}

/// Validates a request into search parameters.
fn search_params(request: &SearchRequest) -> Result<SearchParams, SearchError> {
    let query = parse_query(&request.query)?;
    let filter = match request.filter.clone() {
        Some(f) => Filter::parse(f.papers, &f.date_from, &f.date_to, f.pages, &f.kind, f.authors)?,
        None => Filter::default(),
    };
    let sort = match SortOrder::try_from(request.sort) {
        Ok(SortOrder::Relevance) => Sort::Relevance,
        Ok(SortOrder::DateDesc) => Sort::DateDescending,
        Ok(SortOrder::DateAsc) => Sort::DateAscending,
        Err(_) => return Err(SearchError::InvalidArgument(format!("unknown sort order {}", request.sort))),
    };
    let highlight = match &request.highlight {
        Some(h) => Highlight::parse(&h.pre_tag, &h.post_tag, h.snippet_chars)?,
        None => Highlight::default(),
    };
    Ok(SearchParams {
        query,
        page_size: page_size(request.page_size)?,
        offset: decode_page_token(&request.page_token)?,
        filter,
        sort,
        highlight,
        facets: request.facets,
    })
}

fn facets_to_proto(facets: FacetCounts) -> Facets {
    let counts =
        |values: Vec<(String, u64)>| values.into_iter().map(|(value, count)| FacetCount { value, count }).collect();
    Facets {
        papers: counts(facets.papers),
        months: counts(facets.months),
        authors: counts(facets.authors),
        kinds: counts(facets.kinds),
    }
}

fn hit_to_proto(hit: Hit) -> SearchHit {
    SearchHit {
        article: Some(Article {
            id: hit.id,
            paper: hit.paper,
            issue_date: hit.issue_date,
            page: hit.page,
            kind: hit.kind,
            kicker: hit.kicker,
            title: hit.title,
            subtitle: hit.subtitle,
            authors: hit.authors,
            source: hit.source,
            dateline: hit.dateline,
            paragraphs: Vec::new(),
            jumps: Vec::new(),
            ordinal: hit.ordinal,
            page_id: hit.page_id,
            source_path: hit.source_path,
        }),
        score: hit.score,
        snippet: hit.snippet,
        title_highlight: hit.title_highlight,
    }
}

fn row_to_proto(row: ArticleRow) -> Article {
    Article {
        id: row.id,
        paper: row.paper.unwrap_or_default(),
        issue_date: row.issue_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        page: row.page_number.unwrap_or(0),
        kind: row.kind,
        kicker: row.kicker.unwrap_or_default(),
        title: row.title.unwrap_or_default(),
        subtitle: row.subtitle.unwrap_or_default(),
        authors: row.authors,
        source: row.source.unwrap_or_default(),
        dateline: row.dateline.unwrap_or_default(),
        paragraphs: row.paragraphs,
        jumps: row.jumps,
        ordinal: row.ordinal,
        page_id: row.page_id,
        source_path: row.source_path,
    }
}
