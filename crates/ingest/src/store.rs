//! Writes one parsed page to PostgreSQL in one transaction: the page row,
//! its articles (upserted by ordinal, extra ordinals deleted), nothing when
//! the file is unchanged; then links the page to the archive in a second,
//! short transaction. A transaction PostgreSQL aborts because of another
//! writer (deadlock, serialization failure) runs again. Also records ingest
//! errors.

use baokan_common::ParsedArticle;
use chrono::NaiveDate;
use sqlx::PgPool;

use crate::metadata::PageMetadata;
use crate::names::ArticleNames;

/// Everything stored for one page file.
#[derive(Debug)]
pub struct PageRecord<'a> {
    /// Canonical path of the file: the page's identity.
    pub source_path: &'a str,
    /// SHA-256 of the file's bytes, hex.
    pub content_hash: &'a str,
    pub metadata: &'a PageMetadata,
    /// `MM-DD` from datelines, kept when the year is unknown.
    pub issue_month_day: Option<String>,
    pub encoding: &'a str,
    pub raw_text: &'a str,
    pub articles: &'a [ParsedArticle],
    /// Names of each article (same order), from [`crate::names::names_of`].
    pub names: &'a [ArticleNames],
    /// No page with this path was stored a moment ago ([`stored_state`]):
    /// try the insert first. Correct either way; only saves a round trip.
    pub expect_new: bool,
}

/// What storing a page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// The page was not in the database.
    New { articles: usize },
    /// Same content and metadata as stored: nothing written.
    Unchanged,
    /// The page changed: its articles were replaced.
    Replaced { articles: usize },
}

/// Errors writing to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A statement failed; the page's transaction was rolled back.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The articles could not be serialised for the batch insert.
    #[error("cannot encode articles: {0}")]
    Encode(#[from] serde_json::Error),
}

type StoredPageRow = (i64, String, Option<String>, Option<NaiveDate>, Option<String>, Option<i32>);

/// A transaction that PostgreSQL aborted to break a deadlock or a
/// serialization conflict with another writer is run again from the start,
/// up to this many times in all; any other error is returned at once.
const TRANSIENT_ATTEMPTS: u32 = 5;

/// Whether PostgreSQL rolled the transaction back only because of another
/// concurrent transaction (`40P01` deadlock detected, `40001` serialization
/// failure): running it again is safe and will most likely succeed.
fn is_transient(error: &StoreError) -> bool {
    match error {
        StoreError::Database(sqlx::Error::Database(database)) => {
            matches!(database.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

/// Runs `attempt` until it succeeds, fails with a non-transient error, or
/// has failed [`TRANSIENT_ATTEMPTS`] times; waits a little longer before
/// each new try so that the other transaction can finish.
async fn retry_transient<T, F, Fut>(what: &str, mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if tries < TRANSIENT_ATTEMPTS && is_transient(&error) => {
                tracing::info!(what, tries, %error, "transaction aborted by a concurrent writer; running it again");
                tokio::time::sleep(std::time::Duration::from_millis(20 * u64::from(tries))).await;
                tries += 1;
            }
            result => return result,
        }
    }
}

/// Stores a page and its articles atomically.
pub async fn store_page(pool: &PgPool, page: &PageRecord<'_>) -> Result<StoreOutcome, StoreError> {
    let (outcome, page_id) = retry_transient("store page", || store_page_rows(pool, page)).await?;
    let was_stored = !matches!(outcome, StoreOutcome::New { .. });
    if let Some(page_id) = page_id {
        // The page is stored; a link that still fails is left to the next
        // run, which links unchanged pages again.
        if let Err(error) = retry_transient("link page", || link_page(pool, page_id, was_stored)).await {
            tracing::warn!(page_id, %error, "page stored but not linked");
        }
    }
    Ok(outcome)
}

/// Links a stored page's articles to the rest of the archive (continuations,
/// wire copy groups) in a short transaction of its own, after the page's own
/// transaction committed. Of two pages stored at the same time, the linking
/// statements of the later one start after both pages committed (each
/// statement sees what was committed when it started), so it sees the other
/// page and links them; no lock is needed. A page found unchanged is linked
/// again, which repairs links lost to a crash between the two transactions.
/// `was_stored`: the page existed before this ingest.
pub async fn link_page(pool: &PgPool, page_id: i64, was_stored: bool) -> Result<(), StoreError> {
    // Every linking query is an index lookup by page, band or edition. During
    // a bulk load the table statistics lag behind and the planner would scan
    // the whole table once per page (quadratic); tell it not to. Disabling
    // sequential scans inflates plan costs past the JIT threshold, and
    // compiling every short query would cost more than running it: no JIT.
    // Both settings travel with the `BEGIN` (one round trip, not two).
    let mut transaction = pool.begin_with("BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL jit = off").await?;
    crate::links::link_continuations(&mut transaction, page_id, was_stored).await?;
    crate::links::group_wire_copies(&mut transaction, page_id, was_stored).await?;
    transaction.commit().await?;
    Ok(())
}

/// What the database holds for a page file, seen before storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredState {
    /// No page with this path.
    Absent,
    /// Stored with this content and metadata.
    Unchanged,
    /// Stored with other content or metadata.
    Changed,
}

/// A cheap look before the costly name extraction; `store_page` checks
/// again under the row lock, so a page written meanwhile is still handled.
pub async fn stored_state(pool: &PgPool, page: &PageRecord<'_>) -> Result<StoredState, sqlx::Error> {
    let stored: Option<StoredPageRow> = sqlx::query_as(
        "SELECT id, content_hash, paper, issue_date, issue_month_day, page_number FROM pages WHERE source_path = $1",
    )
    .bind(page.source_path)
    .fetch_optional(pool)
    .await?;
    Ok(match stored {
        None => StoredState::Absent,
        Some(row) if same_page(&row, page) => StoredState::Unchanged,
        Some(_) => StoredState::Changed,
    })
}

/// Whether a stored page row holds this file's content and metadata.
fn same_page(row: &StoredPageRow, page: &PageRecord<'_>) -> bool {
    let (_, hash, paper, issue_date, month_day, page_number) = row;
    *hash == page.content_hash
        && *paper == page.metadata.paper
        && *issue_date == page.metadata.issue_date
        && *month_day == page.issue_month_day
        && *page_number == page.metadata.page_number
}

/// Stores the page row and its articles; returns the outcome and the page id.
async fn store_page_rows(pool: &PgPool, page: &PageRecord<'_>) -> Result<(StoreOutcome, Option<i64>), StoreError> {
    let mut transaction = pool.begin().await?;
    // A page seen absent a moment ago is most likely new: insert at once
    // (a conflict means another ingest stored it meanwhile: lock and compare).
    let existing = if page.expect_new { None } else { lock_page(&mut transaction, page.source_path).await? };
    let existing = match existing {
        Some(row) => Some(row),
        None => {
            let inserted: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO pages (source_path, content_hash, paper, issue_date, issue_month_day, page_number, encoding, raw_text)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (source_path) DO NOTHING RETURNING id",
            )
            .bind(page.source_path)
            .bind(page.content_hash)
            .bind(&page.metadata.paper)
            .bind(page.metadata.issue_date)
            .bind(&page.issue_month_day)
            .bind(page.metadata.page_number)
            .bind(page.encoding)
            .bind(page.raw_text)
            .fetch_optional(&mut *transaction)
            .await?;
            match inserted {
                Some((page_id,)) => {
                    write_articles(&mut transaction, page_id, page.articles, page.names, false).await?;
                    transaction.commit().await?;
                    return Ok((StoreOutcome::New { articles: page.articles.len() }, Some(page_id)));
                }
                // Another ingest inserted it meanwhile: lock its row and compare.
                None => lock_page(&mut transaction, page.source_path).await?,
            }
        }
    };
    let Some(row) = existing else {
        return Err(StoreError::Database(sqlx::Error::RowNotFound));
    };
    let page_id = row.0;
    let unchanged = same_page(&row, page);
    if unchanged {
        transaction.rollback().await?;
        return Ok((StoreOutcome::Unchanged, Some(page_id)));
    }
    sqlx::query(
        "UPDATE pages SET content_hash = $2, paper = $3, issue_date = $4, issue_month_day = $5, page_number = $6,
                encoding = $7, raw_text = $8, updated_at = now()
         WHERE id = $1",
    )
    .bind(page_id)
    .bind(page.content_hash)
    .bind(&page.metadata.paper)
    .bind(page.metadata.issue_date)
    .bind(&page.issue_month_day)
    .bind(page.metadata.page_number)
    .bind(page.encoding)
    .bind(page.raw_text)
    .execute(&mut *transaction)
    .await?;
    write_articles(&mut transaction, page_id, page.articles, page.names, true).await?;
    transaction.commit().await?;
    Ok((StoreOutcome::Replaced { articles: page.articles.len() }, Some(page_id)))
}

/// Locks a page row for the rest of the transaction.
async fn lock_page(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    source_path: &str,
) -> Result<Option<StoredPageRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, content_hash, paper, issue_date, issue_month_day, page_number
         FROM pages WHERE source_path = $1 FOR UPDATE",
    )
    .bind(source_path)
    .fetch_optional(&mut **transaction)
    .await
}

/// Upserts all articles of a page in one statement and deletes ordinals
/// beyond the new count (`replacing`: the page had articles before).
/// Unchanged rows are left alone (no change-log entry).
async fn write_articles(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    page_id: i64,
    articles: &[ParsedArticle],
    names: &[ArticleNames],
    replacing: bool,
) -> Result<(), StoreError> {
    // Names are normally read before the transaction; read them here when
    // the caller skipped that (it saw the page unchanged, then it changed).
    let computed: Vec<ArticleNames>;
    let names = if names.len() == articles.len() {
        names
    } else {
        computed = articles.iter().map(crate::names::names_of).collect();
        &computed
    };
    let batch = serde_json::Value::Array(
        articles
            .iter()
            .zip(names)
            .map(|(article, names)| derived_fields(article, names).map(serde_json::Value::Object))
            .collect::<Result<_, _>>()?,
    );
    // The articles and, in the same statement, the fingerprints that wire
    // copy look-ups read (`article_fingerprints`, migration 0004).
    sqlx::query(
        "WITH written AS (
         INSERT INTO articles (page_id, ordinal, kind, kicker, title, subtitle, authors, source, dateline, paragraphs, jumps, extra,
                              dateline_city, continues_to, continued_from, persons, places, orgs, simhash)
         SELECT $1, (item.ordinal - 1)::int, item.a->>'kind', item.a->>'kicker', item.a->>'title', item.a->>'subtitle',
                ARRAY(SELECT jsonb_array_elements_text(item.a->'authors')),
                item.a->>'source', item.a->>'dateline',
                ARRAY(SELECT jsonb_array_elements_text(item.a->'paragraphs')),
                ARRAY(SELECT jsonb_array_elements_text(item.a->'jumps')),
                jsonb_build_object('column', item.a->'column', 'sections', item.a->'sections'),
                item.a->>'dateline_city',
                ARRAY(SELECT jsonb_array_elements_text(item.a->'continues_to'))::int[],
                ARRAY(SELECT jsonb_array_elements_text(item.a->'continued_from'))::int[],
                ARRAY(SELECT jsonb_array_elements_text(item.a->'persons')),
                ARRAY(SELECT jsonb_array_elements_text(item.a->'places')),
                ARRAY(SELECT jsonb_array_elements_text(item.a->'orgs')),
                (item.a->>'simhash')::bigint
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS item(a, ordinal)
         ON CONFLICT (page_id, ordinal) DO UPDATE SET
                kind = EXCLUDED.kind, kicker = EXCLUDED.kicker, title = EXCLUDED.title, subtitle = EXCLUDED.subtitle,
                authors = EXCLUDED.authors, source = EXCLUDED.source, dateline = EXCLUDED.dateline,
                paragraphs = EXCLUDED.paragraphs, jumps = EXCLUDED.jumps, extra = EXCLUDED.extra,
                dateline_city = EXCLUDED.dateline_city, continues_to = EXCLUDED.continues_to,
                continued_from = EXCLUDED.continued_from, persons = EXCLUDED.persons, places = EXCLUDED.places,
                orgs = EXCLUDED.orgs, simhash = EXCLUDED.simhash
         RETURNING id, simhash)
         INSERT INTO article_fingerprints (article_id, simhash)
         SELECT id, simhash FROM written WHERE simhash IS NOT NULL
         ON CONFLICT (article_id) DO UPDATE SET simhash = EXCLUDED.simhash
         WHERE article_fingerprints.simhash <> EXCLUDED.simhash",
    )
    .bind(page_id)
    .bind(batch)
    .execute(&mut **transaction)
    .await?;
    if replacing {
        sqlx::query("DELETE FROM articles WHERE page_id = $1 AND ordinal >= $2")
            .bind(page_id)
            .bind(articles.len() as i32)
            .execute(&mut **transaction)
            .await?;
        // A rewritten body too short for a fingerprint no longer has one.
        sqlx::query(
            "DELETE FROM article_fingerprints f USING articles a
             WHERE a.page_id = $1 AND f.article_id = a.id AND a.simhash IS NULL",
        )
        .bind(page_id)
        .execute(&mut **transaction)
        .await?;
    }
    // Sorted: two pages that teach the same names insert them in the same
    // order, so neither waits for a word the other holds while holding one
    // it needs (in any other order, two such pages deadlock).
    let learned: std::collections::BTreeSet<&str> =
        names.iter().flat_map(|n| n.learnable.iter().map(String::as_str)).collect();
    let learned: Vec<&str> = learned.into_iter().collect();
    if !learned.is_empty() {
        sqlx::query(
            "INSERT INTO dictionary_words (word, source)
             SELECT word, 'byline' FROM unnest($1::text[]) WITH ORDINALITY AS learned(word, position)
             ORDER BY position ON CONFLICT DO NOTHING",
        )
        .bind(&learned)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

/// An article as stored: the parser's fields plus what is derived from
/// them (dateline city, jump targets, names, SimHash).
fn derived_fields(
    article: &ParsedArticle,
    names: &ArticleNames,
) -> Result<serde_json::Map<String, serde_json::Value>, serde_json::Error> {
    let serde_json::Value::Object(mut fields) = serde_json::to_value(article)? else {
        return Ok(serde_json::Map::new());
    };
    let (continues_to, continued_from) = crate::jumps::jump_targets(&article.jumps);
    let city = article.dateline.as_deref().and_then(crate::parse::dateline::dateline_city);
    fields.insert("dateline_city".into(), serde_json::to_value(city)?);
    fields.insert("continues_to".into(), serde_json::to_value(continues_to)?);
    fields.insert("continued_from".into(), serde_json::to_value(continued_from)?);
    fields.insert("persons".into(), serde_json::to_value(&names.persons)?);
    fields.insert("places".into(), serde_json::to_value(&names.places)?);
    fields.insert("orgs".into(), serde_json::to_value(&names.orgs)?);
    // As text: JSON numbers would lose the low bits of a 64-bit value.
    fields.insert(
        "simhash".into(),
        serde_json::to_value(crate::simhash::simhash(&article.paragraphs).map(|h| h.to_string()))?,
    );
    Ok(fields)
}

/// Deletes pages (and, by cascade, their articles, which the change log
/// records); returns how many pages and articles went.
pub async fn delete_pages(pool: &PgPool, source_paths: &[String], page_ids: &[i64]) -> Result<(u64, u64), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let articles: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM articles a JOIN pages p ON p.id = a.page_id
         WHERE p.source_path = ANY($1) OR p.id = ANY($2)",
    )
    .bind(source_paths)
    .bind(page_ids)
    .fetch_one(&mut *transaction)
    .await?;
    let pages = sqlx::query("DELETE FROM pages WHERE source_path = ANY($1) OR id = ANY($2)")
        .bind(source_paths)
        .bind(page_ids)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    transaction.commit().await?;
    Ok((pages, articles.max(0) as u64))
}

/// Records a file that could not be ingested.
pub async fn record_error(pool: &PgPool, source_path: &str, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO ingest_errors (source_path, reason) VALUES ($1, $2)")
        .bind(source_path)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}
