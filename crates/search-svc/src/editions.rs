//! Browsing the archive as it was printed, answered from PostgreSQL (the
//! source of truth): papers, a paper's issues, one page in reading order
//! with its neighbours, jump lines with their linked or missing parts, and
//! a reporter's articles over time.

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::document::{load_articles, load_page_articles, ArticleRow};
use crate::error::SearchError;

/// One paper in the archive.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaperRow {
    pub paper: String,
    pub issues: i64,
    pub pages: i64,
    pub articles: i64,
    pub first_issue: Option<String>,
    pub last_issue: Option<String>,
}

/// Every paper with its counts, by name.
pub async fn list_papers(pool: &PgPool) -> Result<Vec<PaperRow>, SearchError> {
    sqlx::query_as(
        "SELECT p.paper, count(DISTINCT p.issue_date) AS issues, count(DISTINCT p.id) AS pages, count(a.id) AS articles,
                min(p.issue_date)::text AS first_issue, max(p.issue_date)::text AS last_issue
         FROM pages p LEFT JOIN articles a ON a.page_id = p.id
         WHERE p.paper IS NOT NULL AND p.paper <> ''
         GROUP BY p.paper ORDER BY p.paper",
    )
    .fetch_all(pool)
    .await
    .map_err(SearchError::Unavailable)
}

/// One issue of a paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRow {
    pub issue_date: String,
    pub pages: Vec<i32>,
    pub articles: i64,
}

/// Parses an optional `YYYY-MM-DD`.
pub fn optional_date(name: &str, value: &str) -> Result<Option<NaiveDate>, SearchError> {
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| SearchError::InvalidArgument(format!("{name} must be a date YYYY-MM-DD, got {value:?}")))
}

/// Most issues listed in one answer.
const MAX_ISSUES: i64 = 10_000;

/// A paper's issues in a date range, oldest first.
pub async fn list_issues(
    pool: &PgPool,
    paper: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<IssueRow>, SearchError> {
    if paper.is_empty() {
        return Err(SearchError::InvalidArgument("paper is required".into()));
    }
    let rows: Vec<(String, Option<Vec<i32>>, i64)> = sqlx::query_as(
        "SELECT p.issue_date::text,
                array_agg(DISTINCT p.page_number ORDER BY p.page_number) FILTER (WHERE p.page_number IS NOT NULL),
                count(a.id)
         FROM pages p LEFT JOIN articles a ON a.page_id = p.id
         WHERE p.paper = $1 AND p.issue_date IS NOT NULL
           AND ($2::date IS NULL OR p.issue_date >= $2) AND ($3::date IS NULL OR p.issue_date <= $3)
         GROUP BY p.issue_date ORDER BY p.issue_date LIMIT $4",
    )
    .bind(paper)
    .bind(from)
    .bind(to)
    .bind(MAX_ISSUES)
    .fetch_all(pool)
    .await
    .map_err(SearchError::Unavailable)?;
    Ok(rows
        .into_iter()
        .map(|(issue_date, pages, articles)| IssueRow { issue_date, pages: pages.unwrap_or_default(), articles })
        .collect())
}

/// A printed page with its articles in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct PageView {
    pub page_id: i64,
    pub source_path: String,
    pub articles: Vec<ArticleRow>,
    pub previous_page: Option<i32>,
    pub next_page: Option<i32>,
}

/// One page of an issue; NOT_FOUND when the archive does not have it.
pub async fn get_page(pool: &PgPool, paper: &str, date: NaiveDate, page: i32) -> Result<PageView, SearchError> {
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, source_path FROM pages WHERE paper = $1 AND issue_date = $2 AND page_number = $3 ORDER BY id LIMIT 1",
    )
    .bind(paper)
    .bind(date)
    .bind(page)
    .fetch_optional(pool)
    .await
    .map_err(SearchError::Unavailable)?;
    let Some((page_id, source_path)) = found else {
        return Err(SearchError::NotFound(format!("no page {page} of {paper} on {date} in the archive")));
    };
    let (previous_page, next_page): (Option<i32>, Option<i32>) = sqlx::query_as(
        "SELECT max(page_number) FILTER (WHERE page_number < $3), min(page_number) FILTER (WHERE page_number > $3)
         FROM pages WHERE paper = $1 AND issue_date = $2",
    )
    .bind(paper)
    .bind(date)
    .bind(page)
    .fetch_one(pool)
    .await
    .map_err(SearchError::Unavailable)?;
    let articles = load_page_articles(pool, page_id).await.map_err(SearchError::Unavailable)?;
    Ok(PageView { page_id, source_path, articles, previous_page, next_page })
}

/// A jump line of an article and the part it leads to, if archived.
#[derive(Debug, Clone, PartialEq)]
pub struct JumpRow {
    pub article: ArticleRow,
    pub direction: String,
    pub target_page: i32,
    pub linked_article_id: Option<i64>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct JumpQuery {
    pub paper: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub dangling_only: bool,
    pub limit: i64,
}

/// Jump lines with their targets, in page order.
pub async fn list_jumps(pool: &PgPool, query: &JumpQuery) -> Result<Vec<JumpRow>, SearchError> {
    let rows: Vec<(i64, String, i32, Option<i64>)> = sqlx::query_as(
        "SELECT a.id, j.direction, j.target, link.id
         FROM articles a JOIN pages p ON p.id = a.page_id
         CROSS JOIN LATERAL (SELECT 'to' AS direction, t AS target FROM unnest(a.continues_to) t
                             UNION ALL SELECT 'from', f FROM unnest(a.continued_from) f) j
         LEFT JOIN LATERAL (
             SELECT o.id FROM continuations c
             JOIN articles o ON o.id = CASE WHEN j.direction = 'to' THEN c.tail_id ELSE c.head_id END
             JOIN pages op ON op.id = o.page_id
             WHERE CASE WHEN j.direction = 'to' THEN c.head_id ELSE c.tail_id END = a.id
               AND op.page_number = j.target
             LIMIT 1) link ON true
         WHERE ($1 = '' OR p.paper = $1)
           AND ($2::date IS NULL OR p.issue_date >= $2) AND ($3::date IS NULL OR p.issue_date <= $3)
           AND (NOT $4 OR link.id IS NULL)
         ORDER BY p.paper, p.issue_date, p.page_number, a.ordinal, j.direction DESC, j.target
         LIMIT $5",
    )
    .bind(&query.paper)
    .bind(query.from)
    .bind(query.to)
    .bind(query.dangling_only)
    .bind(query.limit)
    .fetch_all(pool)
    .await
    .map_err(SearchError::Unavailable)?;
    let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
    let articles: std::collections::HashMap<i64, ArticleRow> = load_articles(pool, &ids)
        .await
        .map_err(SearchError::Unavailable)?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, direction, target_page, linked_article_id)| {
            let article = articles.get(&id)?.clone();
            Some(JumpRow { article, direction, target_page, linked_article_id })
        })
        .collect())
}

/// A reporter's articles and where and when they wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReporterView {
    pub name: String,
    pub total: i64,
    pub articles: Vec<ArticleRow>,
    pub months: Vec<(String, i64)>,
    pub papers: Vec<(String, i64)>,
    pub cities: Vec<(String, i64)>,
}

/// Articles whose byline names `name` exactly (spaces ignored), newest first.
pub async fn reporter(pool: &PgPool, name: &str, offset: i64, limit: i64) -> Result<ReporterView, SearchError> {
    let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    if name.is_empty() {
        return Err(SearchError::InvalidArgument("name is required".into()));
    }
    let by = |sql: &'static str| sqlx::query_as::<_, (String, i64)>(sql).bind(name.clone()).fetch_all(pool);
    let months =
        by("SELECT to_char(p.issue_date, 'YYYY-MM'), count(*) FROM articles a JOIN pages p ON p.id = a.page_id
                     WHERE a.authors @> ARRAY[$1] AND p.issue_date IS NOT NULL GROUP BY 1 ORDER BY 1")
        .await
        .map_err(SearchError::Unavailable)?;
    let papers = by("SELECT coalesce(p.paper, ''), count(*) FROM articles a JOIN pages p ON p.id = a.page_id
                     WHERE a.authors @> ARRAY[$1] GROUP BY 1 ORDER BY 2 DESC, 1")
    .await
    .map_err(SearchError::Unavailable)?;
    let cities = by("SELECT a.dateline_city, count(*) FROM articles a
                     WHERE a.authors @> ARRAY[$1] AND a.dateline_city IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1")
    .await
    .map_err(SearchError::Unavailable)?;
    let total = papers.iter().map(|(_, count)| count).sum();
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT a.id FROM articles a JOIN pages p ON p.id = a.page_id WHERE a.authors @> ARRAY[$1]
         ORDER BY p.issue_date DESC NULLS LAST, p.paper, p.page_number, a.ordinal OFFSET $2 LIMIT $3",
    )
    .bind(&name)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(SearchError::Unavailable)?;
    let mut articles = load_articles(pool, &ids).await.map_err(SearchError::Unavailable)?;
    let order: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    articles.sort_by_key(|row| order.get(&row.id).copied().unwrap_or(usize::MAX));
    Ok(ReporterView { name, total, articles, months, papers, cities })
}
