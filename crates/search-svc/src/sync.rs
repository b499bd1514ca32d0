//! Keeps the index equal to PostgreSQL by following `article_changes`.
//!
//! Each change row carries the id of the transaction that wrote it. A pass
//! reads PostgreSQL's current snapshot (`xmax` and the ids still running,
//! `pg_snapshot_xip`) and applies the changes of every transaction that has
//! finished since the last pass: ids in `[frontier, xmax)` that are not
//! running, plus the ids that were running last time and are not any more.
//! The ids still running are remembered, so a change that commits late (a
//! lower sequence committed after a higher one) is picked up when it
//! commits, never skipped, and a long transaction, even one in another
//! database of the server, delays no one else's changes. Changes are applied
//! by re-reading the article's current row (delete by id, then add if it
//! still exists), so replays are harmless. The index commit stores the
//! oldest id still to look at (the watermark), so a crash resumes from there.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

use crate::dictionary::LearnedDictionary;
use crate::document::load_articles;
use crate::index::{ArticleIndex, CommitState, IndexError};

/// Articles re-read from PostgreSQL and replaced in the index at once.
const BATCH: i64 = 2000;
/// Change rows read per query. Each query finds its rows through the `xid`
/// index and sorts them by `sequence`, so its cost grows with the rows still
/// pending, not with the limit: reading 2,000 at a time made a catch-up of
/// 1M changes sort the remaining rows 500 times (156 ms per query half way).
const CHANGES_PER_QUERY: i64 = 100_000;
/// Safety-net poll interval when no notification arrives.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Least time between two index commits: under a stream of changes, the
/// changes of this window go into one commit, so segments stay few.
const MIN_COMMIT_INTERVAL: Duration = Duration::from_millis(200);
/// After a start-up catch-up of at least this many articles (a rebuild, a
/// big backlog) the index is merged into one segment per core, in the background.
const BULK_ARTICLES: usize = 50_000;

/// Live sync figures shared with the gRPC service.
#[derive(Debug, Default)]
pub struct SyncStatus {
    pub applied_sequence: AtomicI64,
    pub caught_up: AtomicBool,
    pub postgres_reachable: AtomicBool,
    /// True when the index was created or rebuilt from scratch at start.
    pub rebuilding: AtomicBool,
    /// Applied sequence when the service started.
    pub start_sequence: AtomicI64,
    /// Latest committed sequence when the catch-up started (its goal).
    pub target_sequence: AtomicI64,
}

impl SyncStatus {
    /// Share of the start-up catch-up (or rebuild) done, 0.0 to 1.0.
    pub fn catch_up_progress(&self) -> f64 {
        if self.caught_up.load(Ordering::SeqCst) {
            return 1.0;
        }
        let start = self.start_sequence.load(Ordering::SeqCst);
        let target = self.target_sequence.load(Ordering::SeqCst);
        let applied = self.applied_sequence.load(Ordering::SeqCst);
        if target <= start {
            return 0.0;
        }
        ((applied - start) as f64 / (target - start) as f64).clamp(0.0, 0.99)
    }
}

/// Errors of one sync pass.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("postgres: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("index task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The index was built from another database; restart to rebuild it.
    #[error("the index was built from another database; restart baokan-search to rebuild it")]
    ForeignIndex,
    /// Finding the articles that contain newly learned words failed.
    #[error("dictionary update failed: {0}")]
    Dictionary(String),
}

/// Reads the id of this database instance (see the `instance` table).
pub async fn database_instance(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM instance").fetch_one(pool).await
}

/// Follows the change log into the index.
pub struct Follower {
    pool: PgPool,
    index: Arc<ArticleIndex>,
    status: Arc<SyncStatus>,
    state: CommitState,
    wake: Arc<Notify>,
    /// True once migrations ran and the database instance was checked.
    ready: bool,
    /// Words taught to the analyzer.
    dictionary: LearnedDictionary,
    /// Articles applied by the start-up catch-up so far.
    catch_up_applied: usize,
    /// Every transaction id below this one has been applied, or is in `running`.
    frontier: i64,
    /// Ids below `frontier` whose transactions were still running at the last pass.
    running: Vec<i64>,
}

/// PostgreSQL's view of which transactions have finished.
#[derive(Debug)]
struct TransactionSnapshot {
    /// First id not yet assigned: every id below it has finished or is in `running`.
    xmax: i64,
    /// Ids of the transactions still running.
    running: Vec<i64>,
}

impl TransactionSnapshot {
    async fn read(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let (xmax, running): (i64, Vec<i64>) = sqlx::query_as(
            "SELECT pg_snapshot_xmax(snapshot)::text::bigint,
                    ARRAY(SELECT id::text::bigint FROM pg_snapshot_xip(snapshot) AS id)
             FROM pg_current_snapshot() AS snapshot",
        )
        .fetch_one(pool)
        .await?;
        Ok(TransactionSnapshot { xmax, running })
    }

    fn is_running(&self, id: i64) -> bool {
        self.running.contains(&id)
    }
}

impl Follower {
    /// Creates a follower resuming from `state`.
    pub fn new(pool: PgPool, index: Arc<ArticleIndex>, status: Arc<SyncStatus>, state: CommitState) -> Self {
        status.applied_sequence.store(state.applied_sequence, Ordering::SeqCst);
        status.start_sequence.store(state.applied_sequence, Ordering::SeqCst);
        Follower {
            pool,
            index,
            status,
            wake: Arc::new(Notify::new()),
            ready: false,
            dictionary: LearnedDictionary::default(),
            catch_up_applied: 0,
            frontier: state.watermark_xid,
            running: Vec::new(),
            state,
        }
    }

    /// Once per process, when PostgreSQL first answers: applies migrations
    /// and makes sure the index was built from this database.
    async fn ensure_ready(&mut self) -> Result<(), SyncError> {
        if self.ready {
            return Ok(());
        }
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT max(sequence) FROM article_changes").fetch_one(&self.pool).await.unwrap_or(None);
        self.status.target_sequence.store(latest.unwrap_or(0), Ordering::SeqCst);
        baokan_common::MIGRATOR.run(&self.pool).await.map_err(|e| SyncError::Database(e.into()))?;
        let instance = database_instance(&self.pool).await?;
        if self.state.instance.is_empty() {
            self.state.instance = instance;
        } else if self.state.instance != instance {
            return Err(SyncError::ForeignIndex);
        }
        self.ready = true;
        Ok(())
    }

    /// Applies every finished change, returning how many articles were touched.
    pub async fn apply_pending(&mut self) -> Result<usize, SyncError> {
        self.ensure_ready().await?;
        // New dictionary words first: articles indexed below already use them.
        let relearned = self.apply_dictionary().await?;
        let snapshot = TransactionSnapshot::read(&self.pool).await?;
        let finished: Vec<i64> = self.running.iter().copied().filter(|id| !snapshot.is_running(*id)).collect();
        if snapshot.xmax <= self.frontier && finished.is_empty() {
            if relearned > 0 {
                let index = Arc::clone(&self.index);
                let to_commit = self.state.clone();
                tokio::task::spawn_blocking(move || index.commit(&to_commit)).await??;
            }
            return Ok(relearned);
        }
        let mut after_sequence = 0i64;
        let mut touched = relearned;
        let mut applied_sequence = self.state.applied_sequence;
        loop {
            // Two index-friendly arms: the new id range, and the ids that
            // have finished since the last pass.
            let changes: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT sequence, article_id FROM article_changes
                 WHERE ((xid >= $1 AND xid < $2) OR xid = ANY($3)) AND xid <> ALL($4) AND sequence > $5
                 ORDER BY sequence LIMIT $6",
            )
            .bind(self.frontier)
            .bind(snapshot.xmax)
            .bind(&finished)
            .bind(&snapshot.running)
            .bind(after_sequence)
            .bind(CHANGES_PER_QUERY)
            .fetch_all(&self.pool)
            .await?;
            let Some(&(last_sequence, _)) = changes.last() else {
                break;
            };
            let mut ids: Vec<i64> = changes.iter().map(|(_, id)| *id).collect();
            ids.sort_unstable();
            ids.dedup();
            for batch in ids.chunks(BATCH as usize) {
                self.reindex(batch).await?;
            }
            touched += ids.len();
            applied_sequence = applied_sequence.max(changes.iter().map(|(s, _)| *s).max().unwrap_or(0));
            after_sequence = last_sequence;
            if (changes.len() as i64) < CHANGES_PER_QUERY {
                break;
            }
        }
        // Still running: the ones remembered, and the new ones below xmax.
        let running: Vec<i64> =
            snapshot.running.iter().copied().filter(|id| *id >= self.frontier || self.running.contains(id)).collect();
        // A restart resumes from the oldest id not applied yet (replays are harmless).
        let watermark_xid = running.iter().copied().min().unwrap_or(snapshot.xmax).min(snapshot.xmax);
        if touched == 0 {
            // Transactions ended (in any database of the server) but none
            // changed an article: nothing is committed, so the searchers stay
            // as they are. A commit makes a new searcher generation, which
            // would drop every answer the result cache keeps each time any
            // write ends. The stored watermark lags then, and a restart looks
            // again at ids whose changes were all applied: none to replay.
            self.frontier = snapshot.xmax;
            self.running = running;
            return Ok(0);
        }
        let state = CommitState { watermark_xid, applied_sequence, ..self.state.clone() };
        let index = Arc::clone(&self.index);
        let to_commit = state.clone();
        tokio::task::spawn_blocking(move || index.commit(&to_commit)).await??;
        self.state = state;
        self.frontier = snapshot.xmax;
        self.running = running;
        self.status.applied_sequence.store(applied_sequence, Ordering::SeqCst);
        Ok(touched)
    }

    /// Re-reads articles from PostgreSQL and replaces them in the index (uncommitted).
    async fn reindex(&self, ids: &[i64]) -> Result<(), SyncError> {
        let rows = load_articles(&self.pool, ids).await?;
        let index = Arc::clone(&self.index);
        let fields = index.fields;
        let batch_ids = ids.to_vec();
        tokio::task::spawn_blocking(move || {
            let documents = rows.iter().map(|row| row.to_document(&fields)).collect();
            index.apply(&batch_ids, documents)
        })
        .await??;
        Ok(())
    }

    /// Teaches the analyzer the dictionary words it does not know yet and
    /// re-indexes the articles containing them; returns how many were re-indexed.
    async fn apply_dictionary(&mut self) -> Result<usize, SyncError> {
        let new = self.dictionary.fetch_new(&self.pool, self.state.dictionary_version).await?;
        if new.resumed.is_empty() && new.fresh.is_empty() {
            return Ok(0);
        }
        let changed = self.dictionary.apply(new);
        self.state.dictionary_version = self.dictionary.version;
        if changed.is_empty() {
            return Ok(0);
        }
        let index = Arc::clone(&self.index);
        let words = changed.clone();
        let ids = tokio::task::spawn_blocking(move || {
            crate::dictionary::articles_containing(&index.searcher(), &index.fields, &words)
        })
        .await?
        .map_err(|error| SyncError::Dictionary(error.to_string()))?;
        info!(words = changed.len(), articles = ids.len(), "dictionary learned words, re-indexing their articles");
        for batch in ids.chunks(BATCH as usize) {
            self.reindex(batch).await?;
        }
        Ok(ids.len())
    }

    /// Runs until `shutdown` turns true: applies changes whenever PostgreSQL
    /// notifies (or every poll interval), retrying with backoff while it is away.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>, caught_up: watch::Sender<bool>) {
        let listener = tokio::spawn(listen_for_changes(self.pool.clone(), Arc::clone(&self.wake), shutdown.clone()));
        let mut backoff = Duration::from_millis(100);
        let mut reachable = true;
        // Caught up means: everything committed when we started has been applied.
        let mut catch_up_target: Option<i64> = None;
        let mut last_pass = tokio::time::Instant::now() - MIN_COMMIT_INTERVAL;
        loop {
            // Batch a burst of changes into one commit.
            let since = last_pass.elapsed();
            if since < MIN_COMMIT_INTERVAL {
                tokio::select! {
                    _ = tokio::time::sleep(MIN_COMMIT_INTERVAL - since) => {}
                    _ = shutdown.changed() => break,
                }
            }
            last_pass = tokio::time::Instant::now();
            if catch_up_target.is_none() {
                catch_up_target = TransactionSnapshot::read(&self.pool).await.ok().map(|snapshot| snapshot.xmax);
            }
            match self.apply_pending().await {
                Ok(touched) => {
                    if !reachable {
                        info!("postgres reachable again, index catching up");
                        reachable = true;
                    }
                    self.status.postgres_reachable.store(true, Ordering::SeqCst);
                    backoff = Duration::from_millis(100);
                    if touched > 0 {
                        info!(articles = touched, applied_sequence = self.state.applied_sequence, "index updated");
                    }
                    // Everything committed before the start is applied (a
                    // transaction still running then has not committed yet).
                    let target_reached = catch_up_target.is_some_and(|target| self.frontier >= target);
                    if target_reached && !self.status.caught_up.load(Ordering::SeqCst) && self.index.serving_old() {
                        let index = Arc::clone(&self.index);
                        match tokio::task::spawn_blocking(move || index.finish_rebuild()).await {
                            Ok(Ok(())) => {}
                            Ok(Err(error)) => warn!(error = %error, "cannot switch to the rebuilt index"),
                            Err(error) => warn!(error = %error, "cannot switch to the rebuilt index"),
                        }
                    }
                    if !self.status.caught_up.load(Ordering::SeqCst) {
                        self.catch_up_applied += touched;
                    }
                    if target_reached && !self.status.caught_up.swap(true, Ordering::SeqCst) {
                        info!(documents = self.index.documents(), "index caught up");
                        if self.catch_up_applied >= BULK_ARTICLES {
                            // In the background: searches and changes go on meanwhile.
                            let index = Arc::clone(&self.index);
                            tokio::task::spawn_blocking(move || {
                                if let Err(error) = index.merge_segments() {
                                    warn!(error = %error, "cannot merge the built index");
                                }
                            });
                        }
                        let _ = caught_up.send(true);
                    }
                }
                Err(error) => {
                    if reachable {
                        warn!(error = %error, "sync paused, retrying with backoff");
                        reachable = false;
                    }
                    self.status.postgres_reachable.store(false, Ordering::SeqCst);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = shutdown.changed() => break,
            }
        }
        listener.abort();
        // Every pass commits what it applied, so the index is already durable;
        // close the pool so PostgreSQL sees a clean goodbye.
        self.pool.close().await;
        info!(applied_sequence = self.state.applied_sequence, "follower stopped, index committed, pool closed");
    }
}

/// Wakes the follower on every change notification; reconnects with backoff.
async fn listen_for_changes(pool: PgPool, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(baokan_common::db::CHANGES_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        if let Ok(mut listener) = connected {
            backoff = Duration::from_millis(200);
            // Changes may have landed while we were not listening.
            wake.notify_one();
            loop {
                tokio::select! {
                    received = listener.try_recv() => match received {
                        Ok(Some(_)) => wake.notify_one(),
                        Ok(None) => wake.notify_one(),
                        Err(_) => break,
                    },
                    _ = shutdown.changed() => return,
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pass_without_article_changes_commits_nothing_and_keeps_the_searcher() {
        let database = baokan_common::testing::fresh_database().await;
        let folder = tempfile::tempdir().expect("temp dir");
        let (index, _) = ArticleIndex::open(folder.path(), None).expect("index");
        let index = Arc::new(index);
        let state = CommitState {
            analysis_version: crate::analyzer::ANALYSIS_VERSION,
            instance: String::new(),
            watermark_xid: 0,
            applied_sequence: 0,
            dictionary_version: 0,
        };
        let mut follower =
            Follower::new(database.pool.clone(), Arc::clone(&index), Arc::new(SyncStatus::default()), state);
        follower.apply_pending().await.expect("first pass");
        let generation = index.searcher().generation().generation_id();
        // Transactions that change no article end between passes.
        for _ in 0..3 {
            sqlx::query("INSERT INTO ingest_errors (source_path, reason) VALUES ('a.txt', 'empty file')")
                .execute(&database.pool)
                .await
                .expect("write");
            assert_eq!(follower.apply_pending().await.expect("pass"), 0);
        }
        assert_eq!(index.searcher().generation().generation_id(), generation, "no commit, same searcher");
        // An article's change is applied and committed.
        let page: i64 = sqlx::query_scalar(
            "INSERT INTO pages (source_path, content_hash, encoding, raw_text) VALUES ('p.txt', 'h', 'UTF-8', '正文') RETURNING id",
        )
        .fetch_one(&database.pool)
        .await
        .expect("page");
        sqlx::query("INSERT INTO articles (page_id, ordinal, kind, paragraphs) VALUES ($1, 0, 'article', '{正文}')")
            .bind(page)
            .execute(&database.pool)
            .await
            .expect("article");
        assert_eq!(follower.apply_pending().await.expect("pass"), 1);
        assert_ne!(index.searcher().generation().generation_id(), generation);
        assert_eq!(index.searcher().num_docs(), 1);
    }

    #[test]
    fn progress_runs_from_the_start_sequence_to_the_target() {
        let status = SyncStatus::default();
        status.start_sequence.store(100, Ordering::SeqCst);
        status.target_sequence.store(300, Ordering::SeqCst);
        status.applied_sequence.store(200, Ordering::SeqCst);
        assert_eq!(status.catch_up_progress(), 0.5);
        status.applied_sequence.store(400, Ordering::SeqCst);
        assert_eq!(status.catch_up_progress(), 0.99, "not done until caught up");
        status.caught_up.store(true, Ordering::SeqCst);
        assert_eq!(status.catch_up_progress(), 1.0);
    }
}
