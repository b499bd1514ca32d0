//! Writes one parsed page to PostgreSQL atomically: a new page, its
//! articles and their fingerprints in one statement (one round trip); a
//! changed page in one transaction (articles upserted by ordinal, extra
//! ordinals deleted); nothing when the file is unchanged. Then links the
//! page to the archive in a second, short transaction. A statement or
//! transaction PostgreSQL aborts because of another writer (deadlock,
//! serialization failure) runs again. Also records ingest errors.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use baokan_common::ParsedArticle;
use chrono::NaiveDate;
use sqlx::PgPool;

use crate::article_rows::{article_rows, ArticleRow};
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
    /// No page with this path was stored a moment ago ([`stored_pages`]):
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
    let (outcome, page_id, linking) = retry_transient("store page", || store_page_rows(pool, page)).await?;
    if let Some(page_id) = page_id {
        // The page is stored; a link that still fails is left to the next
        // run, which links unchanged pages again.
        if let Err(error) = retry_transient("link page", || link_page(pool, page_id, &linking)).await {
            tracing::warn!(page_id, %error, "page stored but not linked");
        }
    }
    Ok(outcome)
}

/// What linking a page has to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linking {
    /// A page that was stored before this ingest: its links and groups may
    /// need to be undone and made again.
    Stored,
    /// A page this ingest inserted: nothing links to it yet.
    New {
        /// Some article jumps to or from another page (`下转`, `上接`);
        /// without one, no article of the page can be part of a continued
        /// story.
        jumps: bool,
        /// Its articles' ids and fingerprints, as the insert returned them.
        fingerprints: Vec<(i64, i64)>,
    },
}

/// Links a stored page's articles to the rest of the archive (continuations,
/// wire copy groups) in a short transaction of its own, after the page's own
/// transaction committed. Of two pages stored at the same time, the linking
/// statements of the later one start after both pages committed (each
/// statement sees what was committed when it started), so it sees the other
/// page and links them; no lock is needed. A page found unchanged is linked
/// again, which repairs links lost to a crash between the two transactions.
/// `linking` says whether the page existed before this ingest and, for a
/// new page, what it holds: one without jump targets skips the
/// continuation look-up, and one without fingerprints either has nothing
/// to link (no transaction is opened).
pub async fn link_page(pool: &PgPool, page_id: i64, linking: &Linking) -> Result<(), StoreError> {
    let (was_stored, jumps, known) = match linking {
        Linking::Stored => (true, true, None),
        Linking::New { jumps: false, fingerprints } if fingerprints.is_empty() => return Ok(()),
        Linking::New { jumps, fingerprints } => (false, *jumps, Some(fingerprints.as_slice())),
    };
    // Every linking query is an index lookup by page, band or edition.
    let mut transaction = begin_index_lookups(pool).await?;
    if jumps {
        crate::links::link_continuations(&mut transaction, page_id, was_stored).await?;
    }
    crate::links::group_wire_copies(&mut transaction, page_id, was_stored, known).await?;
    transaction.commit().await?;
    Ok(())
}

/// Begins a transaction whose statements are index look-ups and must stay
/// so. During a bulk load the table statistics lag behind, and a prepared
/// statement keeps, for the connection's life, the plan it got while a
/// table was nearly empty: either way the planner would scan the whole
/// table for every page (quadratic); tell it not to. Disabling sequential
/// scans inflates plan costs past the JIT threshold, and compiling every
/// short query would cost more than running it: no JIT. Both settings
/// travel with the `BEGIN` (one round trip, not three).
async fn begin_index_lookups(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin_with("BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL jit = off").await
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

/// A stored page's id, content hash and metadata, as [`stored_pages`] reads them.
pub type StoredPage = (i64, String, Option<String>, Option<NaiveDate>, Option<String>, Option<i32>);

/// A stored page's path, then its [`StoredPage`] fields.
type StoredPageAt = (String, i64, String, Option<String>, Option<NaiveDate>, Option<String>, Option<i32>);

/// The stored pages among `source_paths`, by path, in one query: a cheap
/// look before the costly name extraction of a batch of files.
/// `store_page` checks again under the row lock, so a page written
/// meanwhile is still handled.
pub async fn stored_pages(pool: &PgPool, source_paths: &[String]) -> Result<HashMap<String, StoredPage>, sqlx::Error> {
    // With the plan cached while `pages` was nearly empty, a sequential
    // scan, the 1M ingest took 20 % more of PostgreSQL's time.
    let mut transaction = begin_index_lookups(pool).await?;
    let rows: Vec<StoredPageAt> = sqlx::query_as(
        "SELECT source_path, id, content_hash, paper, issue_date, issue_month_day, page_number
             FROM pages WHERE source_path = ANY($1)",
    )
    .bind(source_paths)
    .fetch_all(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(path, id, hash, paper, date, month_day, number)| (path, (id, hash, paper, date, month_day, number)))
        .collect())
}

/// How a file with this content and metadata compares with what was
/// stored for its path (`None`: nothing).
pub fn state_of(
    stored: Option<&StoredPage>,
    content_hash: &str,
    metadata: &PageMetadata,
    issue_month_day: &Option<String>,
) -> StoredState {
    match stored {
        None => StoredState::Absent,
        Some(row) if holds(row, content_hash, metadata, issue_month_day) => StoredState::Unchanged,
        Some(_) => StoredState::Changed,
    }
}

/// Whether a stored page row holds this content and metadata.
fn holds(row: &StoredPage, content_hash: &str, metadata: &PageMetadata, issue_month_day: &Option<String>) -> bool {
    let (_, hash, paper, issue_date, month_day, page_number) = row;
    hash == content_hash
        && *paper == metadata.paper
        && *issue_date == metadata.issue_date
        && month_day == issue_month_day
        && *page_number == metadata.page_number
}

/// Whether a stored page row holds this file's content and metadata.
fn same_page(row: &StoredPage, page: &PageRecord<'_>) -> bool {
    holds(row, page.content_hash, page.metadata, &page.issue_month_day)
}

/// What [`store_page_rows`] did: the outcome, the page id, and what
/// linking the page has to look up.
type StoredRows = (StoreOutcome, Option<i64>, Linking);

/// Stores the page row and its articles; returns what it did.
async fn store_page_rows(pool: &PgPool, page: &PageRecord<'_>) -> Result<StoredRows, StoreError> {
    // A page seen absent a moment ago is most likely new: insert it at once,
    // in one statement. A page stored meanwhile by another ingest, or seen
    // before, is locked and compared in a transaction; a page that is
    // absent there after all is inserted on the next pass (a page deleted
    // between two passes, again and again, ends the loop with an error).
    let mut insert_first = page.expect_new;
    for _ in 0..3 {
        if insert_first {
            if let Some((page_id, linking)) = insert_new_page(pool, page).await? {
                return Ok((StoreOutcome::New { articles: page.articles.len() }, Some(page_id), linking));
            }
        }
        let mut transaction = pool.begin().await?;
        let Some(row) = lock_page(&mut transaction, page.source_path).await? else {
            transaction.rollback().await?;
            insert_first = true;
            continue;
        };
        let page_id = row.0;
        if same_page(&row, page) {
            transaction.rollback().await?;
            return Ok((StoreOutcome::Unchanged, Some(page_id), Linking::Stored));
        }
        let update = sqlx::query_as::<_, (i64,)>(
            "UPDATE pages SET content_hash = $2, paper = $3, issue_date = $4, issue_month_day = $5, page_number = $6,
                    encoding = $7, raw_text = $8, updated_at = now()
             WHERE id = $1 RETURNING id",
        );
        bind_page_fields(update.bind(page_id), page).fetch_one(&mut *transaction).await?;
        replace_articles(&mut transaction, page_id, page.articles, page.names).await?;
        transaction.commit().await?;
        return Ok((StoreOutcome::Replaced { articles: page.articles.len() }, Some(page_id), Linking::Stored));
    }
    Err(StoreError::Database(sqlx::Error::RowNotFound))
}

/// Inserts a new page, its articles, their fingerprints and the names it
/// teaches in one statement: atomic without a transaction, in one round
/// trip. Returns the page id and what linking it has to look up (whether
/// it has jump targets; its articles' ids and fingerprints, as inserted),
/// or `None` when a page with this path is stored already (then nothing is
/// written).
async fn insert_new_page(pool: &PgPool, page: &PageRecord<'_>) -> Result<Option<(i64, Linking)>, StoreError> {
    let names = names_for(page.articles, page.names);
    let rows = article_rows(page.articles, &names)?;
    let jumps = rows.iter().any(ArticleRow::has_jump_targets);
    let insert = bind_page_fields(sqlx::query_as(INSERT_NEW_PAGE.as_str()).bind(page.source_path), page);
    let inserted: Option<(i64, Vec<i64>, Vec<i64>)> =
        insert.bind(rows).bind(learned_words(&names)).fetch_optional(pool).await?;
    Ok(inserted.map(|(page_id, ids, fingerprints)| {
        (page_id, Linking::New { jumps, fingerprints: ids.into_iter().zip(fingerprints).collect() })
    }))
}

/// A statement on a page row that returns `O`.
type PageQuery<'q, O> = sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

/// Binds `$2` to `$8` of a statement on a page row: content hash, paper,
/// issue date, month-day, page number, encoding and text.
fn bind_page_fields<'q, O>(query: PageQuery<'q, O>, page: &'q PageRecord<'q>) -> PageQuery<'q, O> {
    query
        .bind(page.content_hash)
        .bind(&page.metadata.paper)
        .bind(page.metadata.issue_date)
        .bind(&page.issue_month_day)
        .bind(page.metadata.page_number)
        .bind(page.encoding)
        .bind(page.raw_text)
}

/// Locks a page row for the rest of the transaction.
async fn lock_page(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    source_path: &str,
) -> Result<Option<StoredPage>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, content_hash, paper, issue_date, issue_month_day, page_number
         FROM pages WHERE source_path = $1 FOR UPDATE",
    )
    .bind(source_path)
    .fetch_optional(&mut **transaction)
    .await
}

/// The columns of `articles` that an upsert writes; [`articles_upsert`]
/// selects them in this order.
const ARTICLE_COLUMNS: &str =
    "page_id, ordinal, kind, kicker, title, subtitle, authors, source, dateline, paragraphs, \
    jumps, extra, dateline_city, continues_to, continued_from, persons, places, orgs, simhash";

/// Two `WITH` items: `written` writes a page's articles from the array
/// `batch` (a parameter, see [`crate::article_rows`]) and returns their ids
/// and fingerprints; `fingerprinted` writes those fingerprints to
/// `article_fingerprints`, which wire copy look-ups read. `page_id` is the
/// SQL of the page's id, and `from` what else the rows are selected from.
/// `upsert`: the page may hold articles already, so an article replaces the
/// one at its ordinal (and a fingerprint the article's); a new page's
/// articles cannot meet a stored row, and skip the check for one.
fn articles_upsert(page_id: &str, from: &str, batch: &str, upsert: bool) -> String {
    let (articles_conflict, fingerprints_conflict) = if upsert {
        (
            "ON CONFLICT (page_id, ordinal) DO UPDATE SET
                kind = EXCLUDED.kind, kicker = EXCLUDED.kicker, title = EXCLUDED.title, subtitle = EXCLUDED.subtitle,
                authors = EXCLUDED.authors, source = EXCLUDED.source, dateline = EXCLUDED.dateline,
                paragraphs = EXCLUDED.paragraphs, jumps = EXCLUDED.jumps, extra = EXCLUDED.extra,
                dateline_city = EXCLUDED.dateline_city, continues_to = EXCLUDED.continues_to,
                continued_from = EXCLUDED.continued_from, persons = EXCLUDED.persons, places = EXCLUDED.places,
                orgs = EXCLUDED.orgs, simhash = EXCLUDED.simhash",
            "ON CONFLICT (article_id) DO UPDATE SET simhash = EXCLUDED.simhash
             WHERE article_fingerprints.simhash <> EXCLUDED.simhash",
        )
    } else {
        ("", "")
    };
    format!(
        "written AS (
         INSERT INTO articles ({ARTICLE_COLUMNS})
         SELECT {page_id}, (item.ordinality - 1)::int, item.kind, item.kicker, item.title, item.subtitle,
                item.authors, item.source, item.dateline, item.paragraphs, item.jumps, item.extra::jsonb,
                item.dateline_city, item.continues_to, item.continued_from, item.persons, item.places,
                item.orgs, item.simhash
         FROM {from}unnest({batch}::baokan_article_row[]) WITH ORDINALITY AS item
         {articles_conflict}
         RETURNING id, simhash),
       fingerprinted AS (
         INSERT INTO article_fingerprints (article_id, simhash)
         SELECT id, simhash FROM written WHERE simhash IS NOT NULL
         {fingerprints_conflict})"
    )
}

/// Inserts the names a page teaches the analyzer from the array `words`
/// (a parameter), in its order (the caller sorts them, see
/// [`learned_words`]); `from` is what else the rows are selected from.
fn learn_words(from: &str, words: &str) -> String {
    format!(
        "INSERT INTO dictionary_words (word, source)
         SELECT word, 'byline' FROM {from}unnest({words}::text[]) WITH ORDINALITY AS learned(word, position)
         ORDER BY position ON CONFLICT DO NOTHING"
    )
}

/// The names a stored page teaches (`$1`: the words).
static LEARN_WORDS: LazyLock<String> = LazyLock::new(|| learn_words("", "$1"));

/// A new page (`$1`..`$8`: path, hash, paper, date, month-day, page number,
/// encoding, text), its articles (`$9`, [`article_rows`]) and the names it
/// teaches (`$10`, [`learned_words`]): returns the page id and the ids and
/// fingerprints of its articles that have one (in id order), or no row
/// when the path is stored already (and then writes nothing).
static INSERT_NEW_PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH page AS (
           INSERT INTO pages (source_path, content_hash, paper, issue_date, issue_month_day, page_number, encoding, raw_text)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (source_path) DO NOTHING RETURNING id),
         {},
         learned AS ({})
         SELECT id,
                ARRAY(SELECT id FROM written WHERE simhash IS NOT NULL ORDER BY id),
                ARRAY(SELECT simhash FROM written WHERE simhash IS NOT NULL ORDER BY id)
         FROM page",
        articles_upsert("page.id", "page, ", "$9", false),
        learn_words("page, ", "$10")
    )
});

/// Upserts a stored page's articles (`$1`: page id, `$2`: the batch).
static UPSERT_ARTICLES: LazyLock<String> =
    LazyLock::new(|| format!("WITH {} SELECT count(*) FROM written", articles_upsert("$1", "", "$2", true)));

/// The names of each article: `names` when the caller read them (one per
/// article), else read here (the caller saw the page unchanged, then it
/// changed, or skipped reading them).
fn names_for<'a>(articles: &[ParsedArticle], names: &'a [ArticleNames]) -> Cow<'a, [ArticleNames]> {
    if names.len() == articles.len() {
        Cow::Borrowed(names)
    } else {
        Cow::Owned(articles.iter().map(crate::names::names_of).collect())
    }
}

/// The names a page teaches, sorted: two pages that teach the same names
/// insert them in the same order, so neither waits for a word the other
/// holds while holding one it needs (in any other order, two such pages
/// deadlock).
fn learned_words(names: &[ArticleNames]) -> Vec<&str> {
    let learned: BTreeSet<&str> = names.iter().flat_map(|n| n.learnable.iter().map(String::as_str)).collect();
    learned.into_iter().collect()
}

/// Replaces a stored page's articles: upserts them by ordinal (unchanged
/// rows are left alone, so no change-log entry), deletes ordinals beyond
/// the new count and fingerprints of bodies now too short, and adds the
/// names the page teaches.
async fn replace_articles(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    page_id: i64,
    articles: &[ParsedArticle],
    names: &[ArticleNames],
) -> Result<(), StoreError> {
    let names = names_for(articles, names);
    sqlx::query(UPSERT_ARTICLES.as_str())
        .bind(page_id)
        .bind(article_rows(articles, &names)?)
        .execute(&mut **transaction)
        .await?;
    sqlx::query("DELETE FROM articles WHERE page_id = $1 AND ordinal >= $2")
        .bind(page_id)
        .bind(articles.len() as i32)
        .execute(&mut **transaction)
        .await?;
    sqlx::query(
        "DELETE FROM article_fingerprints f USING articles a
         WHERE a.page_id = $1 AND f.article_id = a.id AND a.simhash IS NULL",
    )
    .bind(page_id)
    .execute(&mut **transaction)
    .await?;
    let learned = learned_words(&names);
    if !learned.is_empty() {
        sqlx::query(LEARN_WORDS.as_str()).bind(&learned).execute(&mut **transaction).await?;
    }
    Ok(())
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
