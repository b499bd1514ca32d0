//! `baokan-ingest run`: walks files and folders, ingests each page file in
//! its own transaction, records failures and keeps going, and sums up.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tracing::{info, warn, Instrument};

use crate::metadata::PageMetadata;
use crate::metrics::{self, PageOutcome};
use crate::page_file::read_page_file;
use crate::progress::{Progress, ProgressMode};
use crate::store::{record_error, store_page, PageRecord, StoreError, StoreOutcome};

/// Counts of what a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub pages_new: usize,
    pub pages_unchanged: usize,
    pub pages_replaced: usize,
    pub pages_failed: usize,
    pub articles_written: usize,
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

/// Returns true for files a folder walk ingests.
fn is_page_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("md"))
}

/// Expands the given paths into page files, folders recursively, in a stable
/// order. Paths that cannot be read are returned as failures.
pub fn collect_page_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            for entry in walkdir::WalkDir::new(path).follow_links(false) {
                match entry {
                    Ok(entry) if entry.file_type().is_file() && is_page_file(entry.path()) => {
                        found.push(entry.into_path());
                    }
                    Ok(_) => {}
                    Err(error) => {
                        let failed = error.path().map(Path::to_path_buf).unwrap_or_else(|| path.clone());
                        failures.push((failed, format!("cannot read folder: {error}")));
                    }
                }
            }
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            failures.push((path.clone(), "no such file or folder".to_string()));
        }
    }
    (files, failures)
}

/// The identity under which a file's page is stored: its canonical path.
pub fn source_path_of(path: &Path) -> String {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()).to_string_lossy().into_owned()
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
    run_reporting(pool, paths, flags, stop, ProgressMode::Off, Duration::ZERO).await
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
    let (files, failures) = collect_page_files(paths);
    let sizes: Vec<u64> = files.iter().map(|file| std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)).collect();
    let mut progress = Progress::start(progress_mode, files.len() as u64, sizes.iter().sum(), interval);
    let mut summary = RunSummary::default();
    for (path, reason) in failures {
        let source_path = path.to_string_lossy();
        warn!(file = %source_path, reason = %reason, "file rejected");
        record_error(pool, &source_path, &reason).await?;
        metrics::global().record_page(PageOutcome::Failed, 0, 0, Duration::ZERO);
        summary.pages_failed += 1;
    }
    for (path, bytes) in files.iter().zip(sizes) {
        if stop.load(Ordering::SeqCst) {
            info!("stopping between pages as asked");
            break;
        }
        let source_path = source_path_of(path);
        let span = tracing::info_span!("ingest_file", file = %source_path);
        let articles_before = summary.articles_written;
        ingest_one(pool, path, &source_path, flags, bytes, &mut summary).instrument(span).await?;
        progress.file_done(bytes, summary.articles_written - articles_before);
    }
    progress.finish();
    Ok(summary)
}

/// Ingests one file and adds its outcome to `summary`.
async fn ingest_one(
    pool: &PgPool,
    path: &Path,
    source_path: &str,
    flags: &PageMetadata,
    bytes: u64,
    summary: &mut RunSummary,
) -> Result<(), RunError> {
    let started = Instant::now();
    let record_page = |outcome, articles| metrics::global().record_page(outcome, articles, bytes, started.elapsed());
    let page = match read_page_file(path) {
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
    let record = PageRecord {
        source_path,
        content_hash: &page.content_hash,
        metadata: &metadata,
        issue_month_day,
        encoding: page.encoding,
        raw_text: &page.text,
        articles: &page.parsed.articles,
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
