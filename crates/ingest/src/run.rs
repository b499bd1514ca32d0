//! `baokan-ingest run`: walks files and folders, ingests each page file in
//! its own transaction (several pages in flight), records failures and keeps
//! going, and sums up.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::task::JoinSet;
use tracing::{info, warn, Instrument};

use crate::metadata::PageMetadata;
use crate::metrics::{self, PageOutcome};
use crate::names::{names_of, ArticleNames};
use crate::page_file::{read_page_file_limited, PageFile, PageFileError, DEFAULT_MAX_FILE_BYTES};
use crate::progress::{Progress, ProgressMode};
use crate::store::{
    record_error, state_of, store_page, stored_pages, PageRecord, StoreError, StoreOutcome, StoredPage, StoredState,
};
use crate::walk::display_path;
pub use crate::walk::{collect_page_files, source_path_of};

/// How a run reads and reports, beyond the paths and metadata flags.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Largest file read, in bytes (`--max-file-bytes`); larger files are failures.
    pub max_file_bytes: u64,
    /// Progress display.
    pub progress: ProgressMode,
    /// Time between two progress lines.
    pub progress_interval: Duration,
    /// Pages read, parsed and stored at once (each in its own transaction).
    pub workers: usize,
}

/// Default number of pages in flight: parsing uses the cores while other
/// pages wait for their commit to reach the disk (2 cores, 20k articles:
/// 7.2 s with 4, 6.3 s with 8, 6.2 s with 16).
pub const DEFAULT_WORKERS: usize = 8;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            progress: ProgressMode::Off,
            progress_interval: Duration::ZERO,
            workers: DEFAULT_WORKERS,
        }
    }
}

/// Counts of what a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub pages_new: usize,
    pub pages_unchanged: usize,
    pub pages_replaced: usize,
    pub pages_failed: usize,
    pub articles_written: usize,
}

impl RunSummary {
    /// Adds another summary's counts.
    pub fn add(&mut self, other: &RunSummary) {
        self.pages_new += other.pages_new;
        self.pages_unchanged += other.pages_unchanged;
        self.pages_replaced += other.pages_replaced;
        self.pages_failed += other.pages_failed;
        self.articles_written += other.articles_written;
    }
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pages: {} new, {} unchanged, {} replaced, {} failed; articles written: {}",
            self.pages_new, self.pages_unchanged, self.pages_replaced, self.pages_failed, self.articles_written
        )
    }
}

/// Errors that stop a run (a bad file never does).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database failed while recording a file's outcome.
    #[error("database unavailable: {0}")]
    Database(#[from] sqlx::Error),
}

/// Ingests every page file under `paths`. `flags` override metadata from the
/// path convention.
pub async fn run(pool: &PgPool, paths: &[PathBuf], flags: &PageMetadata) -> Result<RunSummary, RunError> {
    run_until(pool, paths, flags, &AtomicBool::new(false)).await
}

/// Like [`run`], but stops between two pages (never inside one) once `stop` is set.
pub async fn run_until(
    pool: &PgPool,
    paths: &[PathBuf],
    flags: &PageMetadata,
    stop: &AtomicBool,
) -> Result<RunSummary, RunError> {
    run_with(pool, paths, flags, stop, &RunOptions::default()).await
}

/// Like [`run_until`], showing progress (`interval`: between two progress lines).
pub async fn run_reporting(
    pool: &PgPool,
    paths: &[PathBuf],
    flags: &PageMetadata,
    stop: &AtomicBool,
    progress_mode: ProgressMode,
    interval: Duration,
) -> Result<RunSummary, RunError> {
    let options = RunOptions { progress: progress_mode, progress_interval: interval, ..RunOptions::default() };
    run_with(pool, paths, flags, stop, &options).await
}

/// Like [`run_until`], with every option of a run.
pub async fn run_with(
    pool: &PgPool,
    paths: &[PathBuf],
    flags: &PageMetadata,
    stop: &AtomicBool,
    options: &RunOptions,
) -> Result<RunSummary, RunError> {
    let (files, failures) = collect_page_files(paths);
    let sizes: Vec<u64> = files.iter().map(|file| std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)).collect();
    let total_bytes = sizes.iter().map(|size| (*size).min(options.max_file_bytes)).sum();
    let mut progress = Progress::start(options.progress, files.len() as u64, total_bytes, options.progress_interval);
    let mut summary = RunSummary::default();
    for (path, reason) in failures {
        let source_path = display_path(&path);
        warn!(file = %source_path, reason = %reason, "file rejected");
        record_error(pool, &source_path, &reason).await?;
        metrics::global().record_page(PageOutcome::Failed, 0, 0, Duration::ZERO);
        summary.pages_failed += 1;
    }
    // Up to `workers` pages in flight; a stop request lets them finish and
    // starts no more. The first database failure ends the run after them.
    let mut in_flight: JoinSet<(u64, Result<RunSummary, RunError>)> = JoinSet::new();
    let mut failure: Option<RunError> = None;
    let mut finished = |joined: Result<(u64, Result<RunSummary, RunError>), tokio::task::JoinError>,
                        summary: &mut RunSummary,
                        progress: &mut Progress| match joined {
        Ok((bytes, Ok(page))) => {
            summary.add(&page);
            progress.file_done(bytes, page.articles_written);
        }
        Ok((_, Err(error))) => failure = failure.take().or(Some(error)),
        Err(error) => warn!(error = %error, "page task failed"),
    };
    // The stored state of a batch of pages is read in one query before they
    // start (one round trip per batch instead of one per page).
    let entries: Vec<(PathBuf, u64)> = files.into_iter().zip(sizes).collect();
    'batches: for batch in entries.chunks(STATE_BATCH) {
        let source_paths: Vec<String> = batch.iter().map(|(path, _)| source_path_of(path)).collect();
        // Unknown when the look-up fails: each page is then compared under its row lock.
        let stored = stored_pages(pool, &source_paths).await.ok();
        for ((path, bytes), source_path) in batch.iter().zip(source_paths) {
            if stop.load(Ordering::SeqCst) {
                info!("stopping between pages as asked");
                break 'batches;
            }
            while in_flight.len() >= options.workers.max(1) {
                if let Some(joined) = in_flight.join_next().await {
                    finished(joined, &mut summary, &mut progress);
                }
            }
            let prior = match &stored {
                None => Prior::Unknown,
                Some(stored) => stored.get(&source_path).cloned().map_or(Prior::Absent, Prior::Stored),
            };
            let (pool, flags, max_file_bytes) = (pool.clone(), flags.clone(), options.max_file_bytes);
            let (path, bytes) = (path.clone(), (*bytes).min(max_file_bytes));
            in_flight.spawn(async move {
                let span = tracing::info_span!("ingest_file", file = %source_path);
                let mut page = RunSummary::default();
                let file = PageToIngest { path: &path, source_path: &source_path, bytes, max_file_bytes, prior };
                let outcome = ingest_one(&pool, file, &flags, &mut page).instrument(span).await.map(|()| page);
                (bytes, outcome)
            });
        }
    }
    while let Some(joined) = in_flight.join_next().await {
        finished(joined, &mut summary, &mut progress);
    }
    progress.finish();
    match failure {
        Some(error) => Err(error),
        None => Ok(summary),
    }
}

/// Pages whose stored state is read in one query before they are ingested.
const STATE_BATCH: usize = 64;

/// What the batch look-up found for a page file's path.
#[derive(Debug, Clone)]
enum Prior {
    /// The look-up failed.
    Unknown,
    /// No page with this path.
    Absent,
    /// The page stored with this path.
    Stored(StoredPage),
}

/// One page file to ingest.
struct PageToIngest<'a> {
    path: &'a Path,
    /// Canonical path: the page's identity.
    source_path: &'a str,
    /// Size in bytes, for progress and metrics.
    bytes: u64,
    max_file_bytes: u64,
    prior: Prior,
}

/// A page file read, parsed and compared with what is stored, with its
/// names when it will be written.
struct PreparedPage {
    page: PageFile,
    metadata: PageMetadata,
    /// `MM-DD` from datelines, kept when the year is unknown.
    issue_month_day: Option<String>,
    state: StoredState,
    names: Vec<ArticleNames>,
}

/// The CPU work of one page, in one go off the async threads: read, decode
/// and parse the file, compare it with what was stored, and read the names
/// of its articles unless it is unchanged (the costly part).
fn prepare_page(
    path: &Path,
    max_file_bytes: u64,
    flags: PageMetadata,
    prior: &Prior,
) -> Result<PreparedPage, PageFileError> {
    let page = read_page_file_limited(path, max_file_bytes)?;
    let metadata = flags.or(PageMetadata::from_path(path));
    let issue_month_day = match (metadata.issue_date, page.parsed.month_day) {
        (None, Some((month, day))) => Some(format!("{month:02}-{day:02}")),
        _ => None,
    };
    let state = match prior {
        Prior::Unknown => StoredState::Changed,
        Prior::Absent => StoredState::Absent,
        Prior::Stored(row) => state_of(Some(row), &page.content_hash, &metadata, &issue_month_day),
    };
    let names = match state {
        StoredState::Unchanged => Vec::new(),
        StoredState::Absent | StoredState::Changed => page.parsed.articles.iter().map(names_of).collect(),
    };
    Ok(PreparedPage { page, metadata, issue_month_day, state, names })
}

/// Ingests one file and adds its outcome to `summary`.
async fn ingest_one(
    pool: &PgPool,
    file: PageToIngest<'_>,
    flags: &PageMetadata,
    summary: &mut RunSummary,
) -> Result<(), RunError> {
    let PageToIngest { path, source_path, bytes, max_file_bytes, prior } = file;
    let started = Instant::now();
    let record_page = |outcome, articles| metrics::global().record_page(outcome, articles, bytes, started.elapsed());
    let (owned_path, flags) = (path.to_path_buf(), flags.clone());
    let prepared = tokio::task::spawn_blocking(move || prepare_page(&owned_path, max_file_bytes, flags, &prior)).await;
    let prepared = match prepared {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(error)) => {
            let reason = error.to_string();
            warn!(reason = %reason, outcome = "failed", "file rejected");
            record_error(pool, source_path, &reason).await?;
            record_page(PageOutcome::Failed, 0);
            summary.pages_failed += 1;
            return Ok(());
        }
        Err(error) => {
            warn!(error = %error, "parse task failed");
            record_error(pool, source_path, &format!("parser task failed: {error}")).await?;
            record_page(PageOutcome::Failed, 0);
            summary.pages_failed += 1;
            return Ok(());
        }
    };
    let record = PageRecord {
        source_path,
        content_hash: &prepared.page.content_hash,
        metadata: &prepared.metadata,
        issue_month_day: prepared.issue_month_day.clone(),
        encoding: prepared.page.encoding,
        raw_text: &prepared.page.text,
        articles: &prepared.page.parsed.articles,
        names: &prepared.names,
        expect_new: prepared.state == StoredState::Absent,
    };
    match store_with_retry(pool, &record).await {
        Ok(StoreOutcome::New { articles }) => {
            info!(articles, outcome = "new", "page stored");
            record_page(PageOutcome::New, articles);
            summary.pages_new += 1;
            summary.articles_written += articles;
        }
        Ok(StoreOutcome::Replaced { articles }) => {
            info!(articles, outcome = "replaced", "page stored");
            record_page(PageOutcome::Replaced, articles);
            summary.pages_replaced += 1;
            summary.articles_written += articles;
        }
        Ok(StoreOutcome::Unchanged) => {
            info!(articles = 0, outcome = "unchanged", "page skipped");
            record_page(PageOutcome::Unchanged, 0);
            summary.pages_unchanged += 1;
        }
        Err(StoreError::Database(error)) if is_connection_error(&error) => return Err(RunError::Database(error)),
        Err(error) => {
            let reason = error.to_string();
            warn!(reason = %reason, outcome = "failed", "page not stored");
            record_error(pool, source_path, &reason).await?;
            record_page(PageOutcome::Failed, 0);
            summary.pages_failed += 1;
        }
    }
    Ok(())
}

/// How long a page waits for an unreachable PostgreSQL before the run stops.
const DATABASE_PATIENCE: Duration = Duration::from_secs(300);

/// Stores a page, waiting with backoff while PostgreSQL is unreachable (the
/// page's transaction never half-applies, so retrying is safe). Logs once
/// when the database goes away and once when it is back.
async fn store_with_retry(pool: &PgPool, record: &PageRecord<'_>) -> Result<StoreOutcome, StoreError> {
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    let mut warned = false;
    loop {
        match store_page(pool, record).await {
            Err(StoreError::Database(error))
                if is_connection_error(&error) && started.elapsed() < DATABASE_PATIENCE =>
            {
                if !warned {
                    warn!(error = %error, "postgres unreachable, retrying this page");
                    warned = true;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            outcome => {
                if warned {
                    info!("postgres reachable again");
                }
                return outcome;
            }
        }
    }
}

/// Errors meaning the database is gone, as opposed to this page's data being refused.
fn is_connection_error(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_))
}
