//! `baokan-ingest watch DIR`: ingests page files as they land in a folder.
//!
//! The folder is scanned periodically (polling works on every file system,
//! including network and container mounts). A file is ingested once its size
//! and modification time have not changed between two scans, so a file still
//! being written is never read half-way. Nothing is remembered outside
//! PostgreSQL: after a restart the first scan offers every file again and
//! the content hash check skips those already stored, so files that arrived
//! meanwhile are picked up and none is ingested twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sqlx::PgPool;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::metadata::PageMetadata;
use crate::run::{collect_page_files, run_with, RunError, RunOptions, RunSummary};

/// Size and modification time of a file at one scan.
type FileState = (u64, Option<SystemTime>);

/// Watches `dir` until `shutdown` turns true; returns the summed outcome.
pub async fn watch_folder(
    pool: &PgPool,
    dir: &Path,
    flags: &PageMetadata,
    interval: Duration,
    shutdown: watch::Receiver<bool>,
) -> Result<RunSummary, RunError> {
    watch_folder_with(pool, dir, flags, interval, &RunOptions::default(), shutdown).await
}

/// Like [`watch_folder`], ingesting with `options` (file size limit).
pub async fn watch_folder_with(
    pool: &PgPool,
    dir: &Path,
    flags: &PageMetadata,
    interval: Duration,
    options: &RunOptions,
    mut shutdown: watch::Receiver<bool>,
) -> Result<RunSummary, RunError> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut stop_watcher = shutdown.clone();
    let stop_flag = std::sync::Arc::clone(&stop);
    let stopper = tokio::spawn(async move {
        let _ = stop_watcher.wait_for(|stop| *stop).await;
        stop_flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let mut total = RunSummary::default();
    let mut previous: HashMap<PathBuf, FileState> = HashMap::new();
    let mut done: HashMap<PathBuf, FileState> = HashMap::new();
    info!(dir = %dir.display(), "watching for page files");
    loop {
        let (files, failures) = collect_page_files(&[dir.to_path_buf()]);
        for (path, reason) in failures {
            warn!(file = %path.display(), reason = %reason, "cannot scan");
        }
        let mut current = HashMap::new();
        let mut ready = Vec::new();
        for file in files {
            let Ok(metadata) = std::fs::metadata(&file) else { continue };
            let state = (metadata.len(), metadata.modified().ok());
            // Settled: unchanged since the last scan, and not handled in this state yet.
            if previous.get(&file) == Some(&state) && done.get(&file) != Some(&state) {
                ready.push(file.clone());
            }
            current.insert(file, state);
        }
        if !ready.is_empty() {
            let summary = run_with(pool, &ready, flags, &stop, options).await?;
            info!(%summary, "ingested settled files");
            total.pages_new += summary.pages_new;
            total.pages_unchanged += summary.pages_unchanged;
            total.pages_replaced += summary.pages_replaced;
            total.pages_failed += summary.pages_failed;
            total.articles_written += summary.articles_written;
            for file in ready {
                if let Some(state) = current.get(&file) {
                    done.insert(file, *state);
                }
            }
        }
        done.retain(|file, _| current.contains_key(file));
        previous = current;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stop| *stop) => {
                stopper.abort();
                return Ok(total);
            }
        }
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            stopper.abort();
            return Ok(total);
        }
    }
}
