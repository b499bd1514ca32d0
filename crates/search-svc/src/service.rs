//! The `baokan.v1.SearchService` gRPC implementation: validates requests,
//! answers a repeated search from the recent answers
//! ([`crate::result_cache`]), runs the others on the search threads
//! ([`crate::search_pool`]), converts domain results to proto types.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use sqlx::PgPool;
use tonic::{Request, Response, Status};
use tracing::info;

use crate::cancel::Cancellation;
use crate::document::{load_article, ArticleRow};
use crate::editions;
use crate::error::SearchError;
use crate::explore::{matching_ids, more_like_this, suggest, trend, Interval};
use crate::index::ArticleIndex;
use crate::limits::{Admission, Limits};
use crate::proto::search_service_server::SearchService;
use crate::proto::{
    Article, GetArticleRequest, GetArticleResponse, GetIndexStatusRequest, GetIndexStatusResponse, SearchHit,
    SearchRequest, SearchResponse,
};
use crate::proto::{
    ExportRequest, FacetCount, Facets, MoreLikeThisRequest, SortOrder, SuggestRequest, SuggestResponse, Suggestion,
    TrendBucket, TrendInterval, TrendRequest, TrendResponse, VerifyIndexRequest, VerifyIndexResponse, WireCopy,
};
use crate::proto::{
    GetPageRequest, GetPageResponse, IssueSummary, JumpEntry, ListIssuesRequest, ListIssuesResponse, ListJumpsRequest,
    ListJumpsResponse, ListPapersRequest, ListPapersResponse, PaperSummary, ReporterRequest, ReporterResponse,
};
use crate::query::parse_query;
use crate::result_cache::{cache_directives, CacheKey, ResultCache};
use crate::search::{
    decode_page_token, execute_cancellable, page_size, FacetCounts, FacetRoot, Filter, Highlight, Hit, SearchParams,
    Sort,
};
use crate::search_pool::SearchPool;
use crate::sync::SyncStatus;

/// Serves searches from the index and article look-ups from PostgreSQL.
pub struct SearchServiceImpl {
    /// The index searches run on.
    pub index: Arc<ArticleIndex>,
    /// PostgreSQL, for GetArticle (the source of truth) and status.
    pub pool: PgPool,
    /// Sync progress, for GetIndexStatus.
    pub status: Arc<SyncStatus>,
    /// What one request may ask.
    pub limits: Arc<Limits>,
    /// Concurrency permits.
    pub admission: Admission,
    /// The threads that run index work.
    pub search_threads: SearchPool,
    /// Answers of recent searches.
    pub results: Arc<ResultCache>,
}

/// Articles read from PostgreSQL per batch of an export.
const EXPORT_BATCH: usize = 200;
/// Default and largest number of suggestions.
const DEFAULT_SUGGESTIONS: usize = 10;
const MAX_SUGGESTIONS: usize = 50;

/// Spaces out an export's articles to at most `rate` per second on average
/// (0: no limit); short bursts are allowed, so the pace holds at any rate.
struct ExportPace {
    rate: u32,
    started: std::time::Instant,
    sent: u64,
}

impl ExportPace {
    fn new(rate: u32) -> Self {
        ExportPace { rate, started: std::time::Instant::now(), sent: 0 }
    }

    async fn wait_turn(&mut self) {
        if self.rate == 0 {
            return;
        }
        let due = std::time::Duration::from_secs_f64(self.sent as f64 / f64::from(self.rate));
        self.sent += 1;
        let elapsed = self.started.elapsed();
        if due > elapsed + std::time::Duration::from_millis(1) {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

/// Time left by the client's `grpc-timeout` header (`<digits><unit>`, unit
/// one of H M S m u n), when it sent one.
fn deadline_of(metadata: &tonic::metadata::MetadataMap) -> Option<std::time::Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    let duration = match unit {
        "H" => std::time::Duration::from_secs(amount.saturating_mul(3600)),
        "M" => std::time::Duration::from_secs(amount.saturating_mul(60)),
        "S" => std::time::Duration::from_secs(amount),
        "m" => std::time::Duration::from_millis(amount),
        "u" => std::time::Duration::from_micros(amount),
        "n" => std::time::Duration::from_nanos(amount),
        _ => return None,
    };
    Some(duration)
}

/// The stream of articles an export sends.
type ArticleStream = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<Article, Status>> + Send>>;

impl SearchServiceImpl {
    /// Creates the service with its limits.
    pub fn new(
        index: Arc<ArticleIndex>,
        pool: PgPool,
        status: Arc<SyncStatus>,
        limits: Limits,
        search_threads: SearchPool,
        results: Arc<ResultCache>,
    ) -> Self {
        let admission = Admission::new(&limits);
        SearchServiceImpl { index, pool, status, limits: Arc::new(limits), admission, search_threads, results }
    }

    /// Runs blocking index work on the search threads. If the request is
    /// dropped (client cancelled, deadline passed), work that has not started
    /// is skipped.
    async fn on_index<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ArticleIndex) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        self.on_index_cancellable(
            move |index, cancel| {
                if cancel.is_cancelled() {
                    Err(SearchError::Cancelled)
                } else {
                    work(index)
                }
            },
        )
        .await
    }

    /// Runs blocking index work on the search threads with the request's
    /// cancellation, raised when the request is dropped, for work that
    /// checks it as it goes (a search, between segments).
    async fn on_index_cancellable<T: Send + 'static>(
        &self,
        work: impl FnOnce(&ArticleIndex, &Cancellation) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        let index = Arc::clone(&self.index);
        let cancel = Cancellation::new();
        let _cancel_on_drop = cancel.on_drop();
        self.search_threads.run(move || work(&index, &cancel)).await?
    }

    /// Validates an optional filter.
    fn filter_from(&self, filter: Option<crate::proto::SearchFilter>) -> Result<Filter, SearchError> {
        match filter {
            Some(f) => Filter::parse(
                f.papers,
                &f.date_from,
                &f.date_to,
                f.pages,
                &f.kind,
                f.authors,
                self.limits.max_filter_values,
            ),
            None => Ok(Filter::default()),
        }
    }

    /// Checks and parses a query against the limits.
    fn parse_limited(&self, query: &str) -> Result<crate::query::QueryNode, SearchError> {
        self.limits.check_query_text(query)?;
        let parsed = parse_query(query)?;
        self.limits.check_query_terms(&parsed)?;
        Ok(parsed)
    }

    /// Validates a search request into parameters and the page token's snapshot.
    fn search_params(&self, request: &SearchRequest) -> Result<(SearchParams, Option<u64>), SearchError> {
        let query = self.parse_limited(&request.query)?;
        let filter = self.filter_from(request.filter.clone())?;
        let sort = match SortOrder::try_from(request.sort) {
            Ok(SortOrder::Relevance) => Sort::Relevance,
            Ok(SortOrder::DateDesc) => Sort::DateDescending,
            Ok(SortOrder::DateAsc) => Sort::DateAscending,
            Err(_) => return Err(SearchError::InvalidArgument(format!("unknown sort order {}", request.sort))),
        };
        let highlight = match &request.highlight {
            Some(h) => Highlight::parse(&h.pre_tag, &h.post_tag, h.snippet_chars, self.limits.max_snippet_chars)?,
            None => Highlight::default(),
        };
        let token = decode_page_token(&request.page_token)?;
        let params = SearchParams {
            query,
            page_size: page_size(request.page_size, self.limits.max_page_size)?,
            offset: token.offset,
            filter,
            sort,
            highlight,
            facets: FacetRoot::parse_request(request.facets, &request.facet_fields)?,
            collapse_wire_copies: request.collapse_wire_copies,
        };
        Ok((params, token.generation))
    }
}

/// Adds the query and hit count to the request's span (logged when it ends).
fn record_on_span(query: &str, hits: u64) {
    let span = tracing::Span::current();
    span.record("query", query);
    span.record("hits", hits);
}

#[tonic::async_trait]
impl SearchService for SearchServiceImpl {
    type ExportStream = ArticleStream;

    async fn verify_index(
        &self,
        _request: Request<VerifyIndexRequest>,
    ) -> Result<Response<VerifyIndexResponse>, Status> {
        let _permit = self.admission.request()?;
        let indexed = self.on_index(|index| crate::verify::index_checksums(&index.reader.searcher())).await?;
        let report = crate::verify::verify(&self.pool, indexed).await?;
        info!(differences = report.differences, "index verified");
        Ok(Response::new(VerifyIndexResponse {
            equal: report.equal(),
            postgres_articles: report.postgres_articles,
            index_documents: report.index_documents,
            differences: report.differences,
            missing_in_index: report.missing_in_index,
            missing_in_postgres: report.missing_in_postgres,
            stale: report.stale,
        }))
    }

    async fn more_like_this(&self, request: Request<MoreLikeThisRequest>) -> Result<Response<SearchResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        let limit = page_size(request.page_size, self.limits.max_page_size)?;
        let id = request.article_id;
        if id <= 0 {
            return Err(SearchError::InvalidArgument(format!("article_id must be positive, got {id}")).into());
        }
        let (total_hits, hits) =
            self.on_index(move |index| more_like_this(&index.searcher(), &index.fields, id, limit)).await?;
        record_on_span(&format!("like:{id}"), total_hits);
        Ok(Response::new(SearchResponse {
            total_hits,
            hits: hits.into_iter().map(hit_to_proto).collect(),
            next_page_token: String::new(),
            facets: None,
        }))
    }

    async fn suggest(&self, request: Request<SuggestRequest>) -> Result<Response<SuggestResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        let limit = match request.limit {
            0 => DEFAULT_SUGGESTIONS,
            n if n < 0 || n as usize > MAX_SUGGESTIONS => {
                return Err(
                    SearchError::InvalidArgument(format!("limit must be between 1 and {MAX_SUGGESTIONS}")).into()
                )
            }
            n => n as usize,
        };
        let prefix = request.prefix;
        if prefix.chars().count() > self.limits.max_query_chars {
            return Err(SearchError::InvalidArgument(format!(
                "prefix is longer than {} characters (--max-query-chars)",
                self.limits.max_query_chars
            ))
            .into());
        }
        let suggestions = self.on_index(move |index| suggest(&index.searcher(), &index.fields, &prefix, limit)).await?;
        Ok(Response::new(SuggestResponse {
            suggestions: suggestions
                .into_iter()
                .map(|(text, kind, count)| Suggestion { text, kind: kind.to_string(), count })
                .collect(),
        }))
    }

    async fn trend(&self, request: Request<TrendRequest>) -> Result<Response<TrendResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        let query = self.parse_limited(&request.query)?;
        let filter = self.filter_from(request.filter)?;
        let interval = match TrendInterval::try_from(request.interval) {
            Ok(TrendInterval::Month) => Interval::Month,
            Ok(TrendInterval::Day) => Interval::Day,
            Ok(TrendInterval::Year) => Interval::Year,
            Err(_) => return Err(SearchError::InvalidArgument(format!("unknown interval {}", request.interval)).into()),
        };
        let (buckets, total_hits) =
            self.on_index(move |index| trend(&index.searcher(), &index.fields, &query, &filter, interval)).await?;
        record_on_span(&request.query, total_hits);
        Ok(Response::new(TrendResponse {
            buckets: buckets.into_iter().map(|(period, count)| TrendBucket { period, count }).collect(),
            total_hits,
        }))
    }

    async fn export(&self, request: Request<ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let request_permit = self.admission.request()?;
        let export_permit = self.admission.export()?;
        // tonic's server timeout ends a call when its response starts; a
        // stream must watch the client's deadline itself.
        let deadline = deadline_of(request.metadata()).map(|left| tokio::time::Instant::now() + left);
        let request = request.into_inner();
        let query = self.parse_limited(&request.query)?;
        let filter = self.filter_from(request.filter)?;
        let ids = self.on_index(move |index| matching_ids(&index.searcher(), &index.fields, &query, &filter)).await?;
        record_on_span(&request.query, ids.len() as u64);
        let (sender, receiver) = tokio::sync::mpsc::channel(EXPORT_BATCH);
        let pool = self.pool.clone();
        let mut pace = ExportPace::new(self.limits.export_articles_per_second);
        let expired = sender.clone();
        let stream = async move {
            // Both permits are held until the stream ends (or the client leaves).
            let _permits = (request_permit, export_permit);
            for batch in ids.chunks(EXPORT_BATCH) {
                let rows = match crate::document::load_stories(&pool, batch).await {
                    Ok(rows) => rows,
                    Err(error) => {
                        let _ = sender.send(Err(SearchError::Unavailable(error).into())).await;
                        return;
                    }
                };
                for row in rows {
                    pace.wait_turn().await;
                    if sender.send(Ok(row_to_proto(row))).await.is_err() {
                        return; // the client went away
                    }
                }
            }
        };
        tokio::spawn(async move {
            let Some(deadline) = deadline else { return stream.await };
            if tokio::time::timeout_at(deadline, stream).await.is_err() {
                let _ = expired
                    .send(Err(Status::deadline_exceeded("the client's deadline passed during the export")))
                    .await;
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))))
    }

    async fn search(&self, request: Request<SearchRequest>) -> Result<Response<SearchResponse>, Status> {
        let _permit = self.admission.request()?;
        let (fresh, keep) = cache_directives(request.metadata());
        let request = request.into_inner();
        let span = tracing::Span::current();
        span.record("query", request.query.as_str());
        let (params, generation) = self.search_params(&request).inspect_err(|e| {
            info!(error = %e, "search rejected");
        })?;
        // The searcher is fixed here, so the answer is kept under the
        // searcher it came from.
        let searcher = self.index.searcher_at(generation);
        // `no-store` keeps no answer, so it needs no key; nor does a page of
        // an older index state (a page token's), whose answer would drop
        // the current state's answers.
        let current = generation.is_none_or(|named| named == self.index.searcher().generation().generation_id());
        let key = (self.results.enabled() && keep && current).then(|| CacheKey::new(&searcher, &request));
        if let Some(answer) = key.as_ref().filter(|_| !fresh).and_then(|key| self.results.get(key)) {
            span.record("hits", answer.total_hits);
            span.record("cached", true);
            return Ok(Response::new(SearchResponse::clone(&answer)));
        }
        let results = self
            .on_index_cancellable(move |index, cancel| execute_cancellable(&searcher, &index.fields, &params, cancel))
            .await?;
        span.record("hits", results.total_hits);
        let answer = SearchResponse {
            total_hits: results.total_hits,
            hits: results.hits.into_iter().map(hit_to_proto).collect(),
            next_page_token: results.next_page_token,
            facets: results.facets.map(facets_to_proto),
        };
        if let Some(key) = key.filter(|_| keep) {
            self.results.insert(key, Arc::new(answer.clone()));
        }
        Ok(Response::new(answer))
    }

    async fn list_papers(&self, _request: Request<ListPapersRequest>) -> Result<Response<ListPapersResponse>, Status> {
        let _permit = self.admission.request()?;
        let papers = editions::list_papers(&self.pool).await?;
        Ok(Response::new(ListPapersResponse {
            papers: papers
                .into_iter()
                .map(|row| PaperSummary {
                    paper: row.paper,
                    issues: row.issues.max(0) as u64,
                    pages: row.pages.max(0) as u64,
                    articles: row.articles.max(0) as u64,
                    first_issue: row.first_issue.unwrap_or_default(),
                    last_issue: row.last_issue.unwrap_or_default(),
                })
                .collect(),
        }))
    }

    async fn list_issues(&self, request: Request<ListIssuesRequest>) -> Result<Response<ListIssuesResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        let from = editions::optional_date("date_from", &request.date_from)?;
        let to = editions::optional_date("date_to", &request.date_to)?;
        let issues = editions::list_issues(&self.pool, &request.paper, from, to).await?;
        Ok(Response::new(ListIssuesResponse {
            issues: issues
                .into_iter()
                .map(|row| IssueSummary {
                    issue_date: row.issue_date,
                    pages: row.pages,
                    articles: row.articles.max(0) as u64,
                })
                .collect(),
        }))
    }

    async fn get_page(&self, request: Request<GetPageRequest>) -> Result<Response<GetPageResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        if request.paper.is_empty() || request.page <= 0 {
            return Err(
                SearchError::InvalidArgument("paper, issue_date and a positive page are required".into()).into()
            );
        }
        let date = editions::optional_date("issue_date", &request.issue_date)?
            .ok_or_else(|| SearchError::InvalidArgument("issue_date is required".into()))?;
        let view = editions::get_page(&self.pool, &request.paper, date, request.page).await?;
        Ok(Response::new(GetPageResponse {
            page_id: view.page_id,
            paper: request.paper,
            issue_date: date.format("%Y-%m-%d").to_string(),
            page: request.page,
            source_path: view.source_path,
            articles: view.articles.into_iter().map(row_to_proto).collect(),
            previous_page: view.previous_page.unwrap_or(0),
            next_page: view.next_page.unwrap_or(0),
        }))
    }

    async fn list_jumps(&self, request: Request<ListJumpsRequest>) -> Result<Response<ListJumpsResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        let limit = match request.limit {
            0 => 100,
            n if (1..=1000).contains(&n) => i64::from(n),
            n => return Err(SearchError::InvalidArgument(format!("limit must be between 1 and 1000, got {n}")).into()),
        };
        let query = editions::JumpQuery {
            paper: request.paper,
            from: editions::optional_date("date_from", &request.date_from)?,
            to: editions::optional_date("date_to", &request.date_to)?,
            dangling_only: request.dangling_only,
            limit,
        };
        let jumps = editions::list_jumps(&self.pool, &query).await?;
        Ok(Response::new(ListJumpsResponse {
            jumps: jumps
                .into_iter()
                .map(|jump| JumpEntry {
                    article: Some(header_only(row_to_proto(jump.article))),
                    direction: jump.direction,
                    target_page: jump.target_page,
                    linked_article_id: jump.linked_article_id.unwrap_or(0),
                })
                .collect(),
        }))
    }

    async fn reporter(&self, request: Request<ReporterRequest>) -> Result<Response<ReporterResponse>, Status> {
        let _permit = self.admission.request()?;
        let request = request.into_inner();
        let limit = match request.page_size {
            0 => 20,
            n if (1..=100).contains(&n) => i64::from(n),
            n => {
                return Err(SearchError::InvalidArgument(format!("page_size must be between 1 and 100, got {n}")).into())
            }
        };
        if request.offset < 0 {
            return Err(SearchError::InvalidArgument("offset must not be negative".into()).into());
        }
        record_on_span(&request.name, 0);
        let view = editions::reporter(&self.pool, &request.name, i64::from(request.offset), limit).await?;
        let counts = |values: Vec<(String, i64)>| {
            values.into_iter().map(|(value, count)| FacetCount { value, count: count.max(0) as u64 }).collect()
        };
        Ok(Response::new(ReporterResponse {
            name: view.name,
            total_articles: view.total.max(0) as u64,
            articles: view.articles.into_iter().map(|row| header_only(row_to_proto(row))).collect(),
            months: counts(view.months),
            papers: counts(view.papers),
            cities: counts(view.cities),
        }))
    }

    async fn get_article(&self, request: Request<GetArticleRequest>) -> Result<Response<GetArticleResponse>, Status> {
        let _permit = self.admission.request()?;
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
        let _permit = self.admission.request()?;
        let applied_sequence = self.status.applied_sequence.load(Ordering::SeqCst);
        let latest: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT max(sequence) FROM article_changes").fetch_one(&self.pool).await;
        // While PostgreSQL is away, report what the index knows.
        let latest_sequence = match latest {
            Ok(latest) => latest.unwrap_or(0),
            Err(_) => applied_sequence,
        };
        Ok(Response::new(GetIndexStatusResponse {
            documents: self.index.documents(),
            applied_sequence,
            latest_sequence,
            caught_up: self.status.caught_up.load(Ordering::SeqCst),
            segments: self.index.segments() as u64,
            rebuilding: self.status.rebuilding.load(Ordering::SeqCst) && !self.status.caught_up.load(Ordering::SeqCst),
            progress: self.status.catch_up_progress(),
        }))
    }
}

/// Validates a request into search parameters and the snapshot its page token names.
fn facets_to_proto(facets: FacetCounts) -> Facets {
    let counts =
        |values: Vec<(String, u64)>| values.into_iter().map(|(value, count)| FacetCount { value, count }).collect();
    Facets {
        papers: counts(facets.papers),
        months: counts(facets.months),
        authors: counts(facets.authors),
        kinds: counts(facets.kinds),
        cities: counts(facets.cities),
        persons: counts(facets.persons),
        places: counts(facets.places),
        orgs: counts(facets.orgs),
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
            dateline_city: hit.dateline_city,
            persons: hit.persons,
            places: hit.places,
            orgs: hit.orgs,
            wire_group: hit.wire_group,
            continues_article: 0,
            parts: hit.parts,
            continues_on_pages: Vec::new(),
            continued_from_pages: Vec::new(),
        }),
        score: hit.score,
        snippet: hit.snippet,
        title_highlight: hit.title_highlight,
        also_in: hit
            .also_in
            .into_iter()
            .map(|copy| WireCopy {
                article_id: copy.article_id,
                paper: copy.paper,
                issue_date: copy.issue_date,
                page: copy.page,
            })
            .collect(),
    }
}

/// An article without its paragraphs (for lists).
fn header_only(mut article: Article) -> Article {
    article.paragraphs.clear();
    article
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
        dateline_city: row.dateline_city.unwrap_or_default(),
        persons: row.persons,
        places: row.places,
        orgs: row.orgs,
        wire_group: row.wire_group.unwrap_or(0),
        continues_article: row.part_of.unwrap_or(0),
        parts: row.parts.into_iter().map(|(id, _)| id).collect(),
        continues_on_pages: row.continues_to,
        continued_from_pages: row.continued_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_are_read_in_every_unit() {
        let deadline = |value: &str| {
            let mut metadata = tonic::metadata::MetadataMap::new();
            metadata.insert("grpc-timeout", value.parse().unwrap());
            deadline_of(&metadata)
        };
        assert_eq!(deadline("300m"), Some(std::time::Duration::from_millis(300)));
        assert_eq!(deadline("2S"), Some(std::time::Duration::from_secs(2)));
        assert_eq!(deadline("1H"), Some(std::time::Duration::from_secs(3600)));
        assert_eq!(deadline("5x"), None);
        assert_eq!(deadline_of(&tonic::metadata::MetadataMap::new()), None);
    }
}
