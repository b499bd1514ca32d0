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
use crate::page_file::{read_page_file_limited, DEFAULT_MAX_FILE_BYTES};
use crate::progress::{Progress, ProgressMode};
use crate::store::{record_error, store_page, stored_state, PageRecord, StoreError, StoreOutcome, StoredState};
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
    for (path, bytes) in files.into_iter().zip(sizes) {
        if stop.load(Ordering::SeqCst) {
            info!("stopping between pages as asked");
            break;
        }
        while in_flight.len() >= options.workers.max(1) {
            if let Some(joined) = in_flight.join_next().await {
                finished(joined, &mut summary, &mut progress);
            }
        }
        let (pool, flags, max_file_bytes) = (pool.clone(), flags.clone(), options.max_file_bytes);
        in_flight.spawn(async move {
            let source_path = source_path_of(&path);
            let span = tracing::info_span!("ingest_file", file = %source_path);
            let bytes = bytes.min(max_file_bytes);
            let mut page = RunSummary::default();
            let outcome = ingest_one(&pool, &path, &source_path, &flags, bytes, max_file_bytes, &mut page)
                .instrument(span)
                .await
                .map(|()| page);
            (bytes, outcome)
        });
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

/// Ingests one file and adds its outcome to `summary`.
async fn ingest_one(
    pool: &PgPool,
    path: &Path,
    source_path: &str,
    flags: &PageMetadata,
    bytes: u64,
    max_file_bytes: u64,
    summary: &mut RunSummary,
) -> Result<(), RunError> {
    let started = Instant::now();
    let record_page = |outcome, articles| metrics::global().record_page(outcome, articles, bytes, started.elapsed());
    // Decoding and parsing are CPU work: off the async threads.
    let file = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || read_page_file_limited(&file, max_file_bytes)).await;
    let read = match read {
        Ok(read) => read,
        Err(error) => {
            warn!(error = %error, "parse task failed");
            record_error(pool, source_path, &format!("parser task failed: {error}")).await?;
            record_page(PageOutcome::Failed, 0);
            summary.pages_failed += 1;
            return Ok(());
        }
    };
    let page = match read {
        Ok(page) => page,
        Err(error) => {
            let reason = error.to_string();
            warn!(reason = %reason, outcome = "failed", "file rejected");
            record_error(pool, source_path, &reason).await?;
            record_page(PageOutcome::Failed, 0);
            summary.pages_failed += 1;
            return Ok(());
        }
    };
    let metadata = flags.clone().or(PageMetadata::from_path(path));
    let issue_month_day = match (metadata.issue_date, page.parsed.month_day) {
        (None, Some((month, day))) => Some(format!("{month:02}-{day:02}")),
        _ => None,
    };
    let mut record = PageRecord {
        source_path,
        content_hash: &page.content_hash,
        metadata: &metadata,
        issue_month_day,
        encoding: page.encoding,
        raw_text: &page.text,
        articles: &page.parsed.articles,
        names: &[],
        expect_new: false,
    };
    // Reading names is the costly part: only for pages that will be written,
    // once (not again on a retry), and off the async threads.
    let names: Vec<ArticleNames>;
    let state = stored_state(pool, &record).await.unwrap_or(StoredState::Changed);
    record.expect_new = state == StoredState::Absent;
    if state != StoredState::Unchanged {
        let articles = page.parsed.articles.clone();
        names = tokio::task::spawn_blocking(move || articles.iter().map(names_of).collect()).await.unwrap_or_default();
        record.names = &names;
    }
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
