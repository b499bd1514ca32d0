//! The on-disk tantivy index: opening (rebuilding from scratch when the folder
//! is corrupt, from another analysis version or another database), applying
//! article changes idempotently, and committing with the sync position stored
//! in the commit's payload.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tantivy::index::SegmentId;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};
use tracing::warn;

use crate::analyzer::{self, ANALYSIS_VERSION};
use crate::schema::IndexFields;

/// File that marks a folder as a baokan index (so a rebuild never wipes a foreign folder).
const MARKER_FILE: &str = "baokan-index";
/// How long a search snapshot stays available to page tokens.
const SNAPSHOT_LIFETIME: Duration = Duration::from_secs(600);
/// Most snapshots kept for page tokens.
const MAX_SNAPSHOTS: usize = 32;
/// How often a merge refused because a background merge holds its
/// segments is tried again.
const MERGE_RETRY_INTERVAL: Duration = Duration::from_millis(200);
/// How long [`ArticleIndex::merge_segments`] keeps trying refused merges.
const MERGE_RETRY_LIMIT: Duration = Duration::from_secs(600);

/// Default memory budget of the index writer, shared by its threads (a
/// serving process's memory does not grow with the core count). At 100k
/// articles a build took 122-127 s with 64 MiB, 106 s with 128, 94-95 s with
/// 256 and 94 s with 512 (fewer, larger segments to merge); the arenas only
/// fill during a bulk catch-up, so a serving process's memory barely moves.
pub const WRITER_MEMORY_BYTES: usize = 256 * 1024 * 1024;
/// tantivy's floor per indexing thread.
const WRITER_MEMORY_PER_THREAD_MIN: usize = 16 * 1024 * 1024;
/// Most indexing threads.
const MAX_WRITER_THREADS: usize = 4;

/// Most threads one search runs on.
const MAX_SEARCH_THREADS: usize = 8;

/// Indexing threads: one per core, up to [`MAX_WRITER_THREADS`]. Analysis
/// (jieba, bigrams) runs on these threads, so a rebuild uses every core;
/// tantivy hands each added document to whichever thread is free.
fn writer_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).clamp(1, MAX_WRITER_THREADS)
}

/// Threads one search runs on: one per core, up to [`MAX_SEARCH_THREADS`].
/// tantivy searches each segment as one task, so a search of an index
/// merged into this many segments (see [`ArticleIndex::merge_segments`])
/// uses every core (`parallel.rs` holds the pool).
pub fn segment_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).clamp(1, MAX_SEARCH_THREADS)
}

/// Splits segments into at most `parts` groups of about equal document
/// counts (largest first, each into the lightest group), each group to be
/// merged into one segment. Groups are never empty.
fn balanced_groups(mut segments: Vec<(SegmentId, u32)>, parts: usize) -> Vec<Vec<SegmentId>> {
    segments.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut groups: Vec<(u64, Vec<SegmentId>)> = vec![(0, Vec::new()); parts.clamp(1, segments.len().max(1))];
    for (id, docs) in segments {
        if let Some(lightest) = groups.iter_mut().min_by_key(|(total, _)| *total) {
            lightest.0 += u64::from(docs);
            lightest.1.push(id);
        }
    }
    groups.into_iter().map(|(_, ids)| ids).filter(|ids| !ids.is_empty()).collect()
}

/// Where the index stands relative to PostgreSQL, stored in every commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitState {
    /// Analysis chain version the index was built with.
    pub analysis_version: u32,
    /// Id of the database instance the index was built from.
    pub instance: String,
    /// Every change written by a transaction with an id below this is applied.
    pub watermark_xid: i64,
    /// Highest change-log sequence applied.
    pub applied_sequence: i64,
    /// Highest learned-dictionary version applied (see `dictionary.rs`).
    #[serde(default)]
    pub dictionary_version: i64,
}

/// Errors of the index layer.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index folder could not be prepared.
    #[error("index folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    /// The folder holds something other than a baokan index.
    #[error("index folder {0} is not empty and is not a baokan index; choose an empty folder")]
    Foreign(PathBuf),
    /// The writer lock is held (another baokan-search uses this folder).
    #[error("index folder {0} is in use by another process")]
    Locked(PathBuf),
    /// The writer's mutex was poisoned by a panic.
    #[error("index writer unavailable after an earlier failure")]
    Poisoned,
}

/// File in the index folder naming the generation folder in use.
const ACTIVE_FILE: &str = "ACTIVE";
/// Prefix of generation folders.
const GENERATION_PREFIX: &str = "gen-";

/// The index, its reader and its single writer.
///
/// Index data lives in a generation folder inside the index folder, named by
/// the `ACTIVE` file. When the index in use must be rebuilt (another analysis
/// version or database) but can still be read with this schema, the rebuild
/// goes into a new generation while searches keep using the old one; the
/// switch happens when the rebuild has caught up (`finish_rebuild`).
pub struct ArticleIndex {
    pub index: Index,
    /// Reader of the generation being written (the one in use, except during a rebuild).
    pub reader: IndexReader,
    pub fields: IndexFields,
    writer: Mutex<IndexWriter>,
    /// Recent searchers by generation, so that paging through results sees
    /// one unchanging snapshot of the index while it is being updated.
    snapshots: Mutex<VecDeque<(u64, Searcher, Instant)>>,
    /// The index folder.
    root: PathBuf,
    /// Name of the generation folder this index writes.
    generation: String,
    /// The previous generation, served while this one is rebuilt, and its folder.
    serving_old: std::sync::RwLock<Option<(IndexReader, PathBuf)>>,
}

/// What opening a generation folder found.
enum Found {
    /// Up to date: use it.
    Usable(Index, Option<CommitState>),
    /// Outdated but readable with this schema: serve it while rebuilding.
    Servable(Index),
    /// Missing, damaged or of another schema.
    Unusable,
}

/// Returns the folder holding the index in use: the generation named by
/// `ACTIVE`, or the folder itself for an index written before generations.
pub fn active_dir(root: &Path) -> PathBuf {
    match std::fs::read_to_string(root.join(ACTIVE_FILE)) {
        Ok(name) if !name.trim().is_empty() => root.join(name.trim()),
        _ => root.to_path_buf(),
    }
}

/// Opens a generation folder and judges it.
fn inspect(dir: &Path, schema: &tantivy::schema::Schema, instance: Option<&str>) -> Found {
    if !dir.join("meta.json").exists() {
        return Found::Unusable;
    }
    let index = match Index::open_in_dir(dir) {
        Ok(index) => index,
        Err(error) => {
            warn!(dir = %dir.display(), error = %error, "index unreadable: rebuilding");
            return Found::Unusable;
        }
    };
    if !crate::checksum::damaged_files(&index, dir).map(|damaged| damaged.is_empty()).unwrap_or(false) {
        warn!(dir = %dir.display(), "index files damaged: rebuilding");
        return Found::Unusable;
    }
    if index.schema() != *schema {
        warn!(dir = %dir.display(), "index from another schema: rebuilding");
        return Found::Unusable;
    }
    let state = read_state(&index);
    let current = state
        .as_ref()
        .is_some_and(|s| s.analysis_version == ANALYSIS_VERSION && instance.is_none_or(|id| s.instance == id));
    if current {
        Found::Usable(index, state)
    } else {
        warn!(dir = %dir.display(), "index from another analysis version or database: rebuilding, serving the old one meanwhile");
        Found::Servable(index)
    }
}

/// Writes the `ACTIVE` file atomically.
fn write_active(root: &Path, generation: &str) -> std::io::Result<()> {
    let temporary = root.join(format!("{ACTIVE_FILE}.tmp"));
    std::fs::write(&temporary, format!("{generation}\n"))?;
    std::fs::rename(temporary, root.join(ACTIVE_FILE))
}

/// Removes everything in the index folder but the named generation (old
/// generations, files of an index written before generations).
fn remove_all_but(root: &Path, keep: &str) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == keep || name == ACTIVE_FILE || name == MARKER_FILE {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            if name.starts_with(GENERATION_PREFIX) {
                std::fs::remove_dir_all(path)?;
            }
        } else {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

impl ArticleIndex {
    /// Opens the index in `root`, creating or rebuilding it when needed, and
    /// returns the commit state found (None for a new or rebuilt index).
    /// `instance` is the database's id, or None when PostgreSQL is unreachable
    /// (an existing index is then trusted until the follower can check it).
    pub fn open(root: &Path, instance: Option<&str>) -> Result<(ArticleIndex, Option<CommitState>), IndexError> {
        ArticleIndex::open_with(root, instance, WRITER_MEMORY_BYTES)
    }

    /// [`ArticleIndex::open`] with the writer's memory budget in bytes (at
    /// least 16 MiB per indexing thread is used).
    pub fn open_with(
        root: &Path,
        instance: Option<&str>,
        writer_memory_bytes: usize,
    ) -> Result<(ArticleIndex, Option<CommitState>), IndexError> {
        let folder_error = |source| IndexError::Folder { path: root.to_path_buf(), source };
        std::fs::create_dir_all(root).map_err(folder_error)?;
        let (schema, fields) = IndexFields::build();
        let current = active_dir(root);
        let found = inspect(&current, &schema, instance);
        let (index, state, generation, serving_old) = match found {
            Found::Usable(index, state) => {
                let name = current.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                (index, state, name, None)
            }
            other => {
                check_ours(root)?;
                let name = format!("{GENERATION_PREFIX}{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
                let dir = root.join(&name);
                std::fs::create_dir_all(&dir).map_err(folder_error)?;
                std::fs::write(root.join(MARKER_FILE), "baokan search index\n").map_err(folder_error)?;
                let index = Index::create_in_dir(&dir, schema)?;
                let serving_old = match other {
                    Found::Servable(old) => {
                        analyzer::register(&old);
                        let reader: IndexReader =
                            old.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
                        Some((reader, current.clone()))
                    }
                    _ => {
                        write_active(root, &name).map_err(folder_error)?;
                        remove_all_but(root, &name).map_err(folder_error)?;
                        None
                    }
                };
                (index, None, name, serving_old)
            }
        };
        analyzer::register(&index);
        let threads = writer_threads();
        let writer = index
            .writer_with_num_threads(threads, writer_memory_bytes.max(threads * WRITER_MEMORY_PER_THREAD_MIN))
            .map_err(|error| match error {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked(root.to_path_buf()),
                other => IndexError::Tantivy(other),
            })?;
        // Files of segments merged away before the last process stopped (a
        // bulk build's merge can leave gigabytes) go now, not in the first
        // commit, whose freshness would pay for deleting them.
        match writer.garbage_collect_files().wait() {
            Ok(collected) if !collected.deleted_files.is_empty() => {
                tracing::info!(files = collected.deleted_files.len(), "removed index files no segment uses")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "unused index files not removed"),
        }
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let snapshots = Mutex::new(VecDeque::new());
        let serving_old = std::sync::RwLock::new(serving_old);
        let article_index = ArticleIndex {
            index,
            reader,
            fields,
            writer: Mutex::new(writer),
            snapshots,
            root: root.to_path_buf(),
            generation,
            serving_old,
        };
        Ok((article_index, state))
    }

    /// True while an old generation is served during a rebuild.
    pub fn serving_old(&self) -> bool {
        self.serving_old.read().map(|old| old.is_some()).unwrap_or(false)
    }

    /// The searcher of the index being served.
    pub fn searcher(&self) -> Searcher {
        if let Ok(old) = self.serving_old.read() {
            if let Some((reader, _)) = old.as_ref() {
                return reader.searcher();
            }
        }
        self.reader.searcher()
    }

    /// Switches searches to the rebuilt generation and removes the old one.
    pub fn finish_rebuild(&self) -> Result<(), IndexError> {
        let old = match self.serving_old.write() {
            Ok(mut old) => old.take(),
            Err(_) => return Err(IndexError::Poisoned),
        };
        let Some((_, old_dir)) = old else { return Ok(()) };
        let folder_error = |source| IndexError::Folder { path: self.root.clone(), source };
        write_active(&self.root, &self.generation).map_err(folder_error)?;
        if let Ok(mut snapshots) = self.snapshots.lock() {
            snapshots.clear();
        }
        if old_dir != self.root {
            let _ = std::fs::remove_dir_all(&old_dir);
        }
        remove_all_but(&self.root, &self.generation).map_err(folder_error)?;
        tracing::info!(generation = %self.generation, "rebuilt index now serving");
        Ok(())
    }

    /// Replaces the given articles: deletes each id, then adds the documents
    /// of those that still exist. Applying the same change twice is harmless.
    pub fn apply(&self, ids: &[i64], documents: Vec<TantivyDocument>) -> Result<(), IndexError> {
        let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        for id in ids {
            writer.delete_term(Term::from_field_u64(self.fields.id, *id as u64));
        }
        for document in documents {
            writer.add_document(document)?;
        }
        Ok(())
    }

    /// Merges the committed segments into one per search thread and waits
    /// (after a bulk build, as a search engine's force-merge: each query pays
    /// per segment, facets most, while tantivy searches segments in parallel,
    /// one task each; so as many equal segments as cores is both the fewest
    /// to pay for and enough to keep every core busy). The merges run in
    /// parallel and keep the last commit's payload. tantivy refuses a merge
    /// whose segments its own merge policy is merging in the background; such
    /// a group is formed again from the segments then committed and tried
    /// every [`MERGE_RETRY_INTERVAL`] until no group is left (at most
    /// [`MERGE_RETRY_LIMIT`]): giving up at once had left a 1M-article build
    /// with seven segments and every search two to three times slower.
    /// The merged-away files are removed before it returns.
    pub fn merge_segments(&self) -> Result<(), IndexError> {
        self.merge_segments_into(segment_threads())
    }

    /// [`ArticleIndex::merge_segments`] into at most `parts` segments.
    pub fn merge_segments_into(&self, parts: usize) -> Result<(), IndexError> {
        let started = Instant::now();
        let before = self.index.searchable_segment_metas()?.len();
        let mut merged = 0;
        let mut asked = false;
        loop {
            let segments: Vec<(SegmentId, u32)> =
                self.index.searchable_segment_metas()?.iter().map(|meta| (meta.id(), meta.num_docs())).collect();
            let groups: Vec<Vec<SegmentId>> =
                balanced_groups(segments, parts).into_iter().filter(|group| group.len() > 1).collect();
            if groups.is_empty() {
                break;
            }
            asked = true;
            let merges: Vec<_> = {
                let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
                groups.iter().map(|group| writer.merge(group)).collect()
            };
            let mut refused = 0;
            for merging in merges {
                match merging.wait() {
                    Ok(_) => merged += 1,
                    Err(error) => {
                        refused += 1;
                        tracing::debug!(error = %error, "segments not merged now (a background merge holds them)");
                    }
                }
            }
            if started.elapsed() >= MERGE_RETRY_LIMIT {
                warn!(
                    groups = refused,
                    "segments still merging in the background after the retry limit; left as they are"
                );
                break;
            }
            if refused > 0 {
                std::thread::sleep(MERGE_RETRY_INTERVAL);
            }
        }
        // Reload even when every merge asked for was refused: the
        // background merges that held the segments may have done the work.
        if asked {
            self.reader.reload()?;
            // Remove the merged-away files now (gigabytes after a
            // rebuild), not in whichever later commit comes first.
            let collecting = {
                let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
                writer.garbage_collect_files()
            };
            if let Err(error) = collecting.wait() {
                tracing::debug!(error = %error, "merged-away files not removed yet");
            }
            tracing::info!(segments = before, merges = merged, now = self.segments(), "index segments merged");
        }
        Ok(())
    }

    /// Commits pending changes with `state` as payload and makes them searchable.
    pub fn commit(&self, state: &CommitState) -> Result<(), IndexError> {
        let payload = serde_json::to_string(state).unwrap_or_default();
        {
            let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Returns the searcher of the given generation while it is kept (a page
    /// token's snapshot), else the current one; the returned searcher is kept
    /// for later pages.
    pub fn searcher_at(&self, generation: Option<u64>) -> Searcher {
        let Ok(mut snapshots) = self.snapshots.lock() else {
            return self.reader.searcher();
        };
        let now = Instant::now();
        snapshots.retain(|(_, _, used)| now.duration_since(*used) < SNAPSHOT_LIFETIME);
        if let Some(generation) = generation {
            if let Some(entry) = snapshots.iter_mut().find(|(id, _, _)| *id == generation) {
                entry.2 = now;
                return entry.1.clone();
            }
        }
        let current = self.searcher();
        let id = current.generation().generation_id();
        if !snapshots.iter().any(|(kept, _, _)| *kept == id) {
            if snapshots.len() >= MAX_SNAPSHOTS {
                snapshots.pop_front();
            }
            snapshots.push_back((id, current.clone(), now));
        }
        current
    }

    /// Number of segments of the searchable index.
    pub fn segments(&self) -> usize {
        self.searcher().segment_readers().len()
    }

    /// Number of searchable articles.
    pub fn documents(&self) -> u64 {
        self.searcher().num_docs()
    }
}

/// Reads the commit state of an index.
fn read_state(index: &Index) -> Option<CommitState> {
    let payload = index.load_metas().ok()?.payload?;
    serde_json::from_str(&payload).ok()
}

/// Refuses folders that hold something other than a baokan index.
fn check_ours(root: &Path) -> Result<(), IndexError> {
    let folder_error = |source| IndexError::Folder { path: root.to_path_buf(), source };
    let mut entries = std::fs::read_dir(root).map_err(folder_error)?.peekable();
    if entries.peek().is_none() {
        return Ok(());
    }
    let ours = root.join(MARKER_FILE).exists() || root.join("meta.json").exists() || root.join(ACTIVE_FILE).exists();
    if ours {
        Ok(())
    } else {
        Err(IndexError::Foreign(root.to_path_buf()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(instance: &str, applied: i64) -> CommitState {
        CommitState {
            analysis_version: ANALYSIS_VERSION,
            instance: instance.into(),
            watermark_xid: applied,
            applied_sequence: applied,
            dictionary_version: 0,
        }
    }

    fn document(fields: &IndexFields, id: u64) -> TantivyDocument {
        let mut document = TantivyDocument::default();
        document.add_u64(fields.id, id);
        document.add_text(fields.body, "正文");
        document
    }

    /// Segment ids named by the files under `root` (`<32 hex digits>.<extension>`).
    fn segment_files(root: &Path) -> std::collections::BTreeSet<String> {
        let mut ids = std::collections::BTreeSet::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if let Some((stem, _)) =
                    path.file_name().and_then(|n| n.to_str()).and_then(|n| n.split_once('.'))
                {
                    if stem.len() == 32 && stem.chars().all(|c| c.is_ascii_hexdigit()) {
                        ids.insert(stem.to_string());
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn merging_leaves_only_the_merged_segments_files() {
        let root = tempfile::tempdir().unwrap();
        let (index, _) = ArticleIndex::open(root.path(), Some("database-a")).unwrap();
        for id in 1..=3 {
            index.apply(&[id], vec![document(&index.fields, id as u64)]).unwrap();
            index.commit(&state("database-a", id)).unwrap();
        }
        // A search with page tokens keeps a snapshot of the unmerged index.
        let before = index.searcher_at(None).segment_readers().len();
        assert!(before >= 2, "{before} segments");
        index.merge_segments_into(1).unwrap();
        assert_eq!(index.segments(), 1);
        let live = index.searcher().segment_readers()[0].segment_id().uuid_string();
        assert_eq!(segment_files(root.path()), [live].into(), "only the merged segment's files are left");
        assert_eq!(index.documents(), 3);
    }

    #[test]
    fn merging_into_parts_leaves_that_many_balanced_segments_all_searched() {
        let root = tempfile::tempdir().unwrap();
        let (index, _) = ArticleIndex::open(root.path(), Some("database-a")).unwrap();
        for id in 1..=6i64 {
            index.apply(&[id], vec![document(&index.fields, id as u64)]).unwrap();
            index.commit(&state("database-a", id)).unwrap();
        }
        assert!(index.segments() >= 3, "{} segments", index.segments());
        index.merge_segments_into(2).unwrap();
        let sizes: Vec<u32> = index.searcher().segment_readers().iter().map(|reader| reader.num_docs()).collect();
        assert_eq!(sizes.len(), 2, "{sizes:?}");
        assert_eq!(sizes.iter().sum::<u32>(), 6);
        assert!(sizes.iter().all(|docs| *docs == 3), "balanced: {sizes:?}");
        // Every segment is searched, whichever thread runs it.
        let searcher = index.searcher();
        let all = searcher.search(&tantivy::query::AllQuery, &tantivy::collector::Count).unwrap();
        assert_eq!(all, 6);
    }

    #[test]
    fn merging_waits_for_a_background_merge_that_holds_its_segments() {
        let root = tempfile::tempdir().unwrap();
        let (index, _) = ArticleIndex::open(root.path(), Some("database-a")).unwrap();
        // Large segments (one per indexing thread and commit), then a few small ones.
        let mut id = 0i64;
        for size in [20_000, 20_000, 1, 1, 1, 1] {
            let ids: Vec<i64> = (id + 1..=id + size).collect();
            let documents = ids.iter().map(|id| document(&index.fields, *id as u64)).collect();
            index.apply(&ids, documents).unwrap();
            id += size;
            index.commit(&state("database-a", id)).unwrap();
        }
        let segments: Vec<(SegmentId, u32)> =
            index.index.searchable_segment_metas().unwrap().iter().map(|m| (m.id(), m.num_docs())).collect();
        let large: Vec<SegmentId> = segments.iter().filter(|(_, docs)| *docs > 1).map(|(id, _)| *id).collect();
        assert!(large.len() >= 2, "{segments:?}");
        // A merge of the large segments runs in the background (as
        // tantivy's merge policy starts them) while all are asked for.
        let held = index.writer.lock().unwrap().merge(&large);
        index.merge_segments_into(1).unwrap();
        assert_eq!(index.segments(), 1, "one segment left once the background merge ended");
        assert_eq!(index.documents(), 40_004);
        drop(held);
    }

    #[test]
    fn groups_balance_document_counts_largest_first() {
        let ids: Vec<SegmentId> = (0..5).map(|_| SegmentId::generate_random()).collect();
        let sizes = [100, 60, 50, 40, 10];
        let groups = balanced_groups(ids.iter().copied().zip(sizes).collect(), 2);
        let totals: Vec<u32> = groups
            .iter()
            .map(|group| group.iter().map(|id| sizes[ids.iter().position(|x| x == id).unwrap()]).sum())
            .collect();
        assert_eq!(totals, [140, 120], "greedy: 100+40, 60+50+10");
        assert_eq!(balanced_groups(ids.iter().copied().zip(sizes).collect(), 9).len(), 5, "never an empty group");
        assert!(balanced_groups(Vec::new(), 2).is_empty());
    }

    #[test]
    fn opening_removes_files_no_segment_uses() {
        let root = tempfile::tempdir().unwrap();
        let live = {
            let (index, _) = ArticleIndex::open(root.path(), Some("database-a")).unwrap();
            index.apply(&[1], vec![document(&index.fields, 1)]).unwrap();
            index.commit(&state("database-a", 1)).unwrap();
            index.searcher().segment_readers()[0].segment_id().uuid_string()
        };
        // What a merge left behind: managed files of a segment no commit names.
        let generation = active_dir(root.path());
        let orphan = "0123456789abcdef0123456789abcdef";
        let managed_path = generation.join(".managed.json");
        let mut managed: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&managed_path).unwrap()).unwrap();
        for extension in ["idx", "store"] {
            std::fs::copy(
                generation.join(format!("{live}.{extension}")),
                generation.join(format!("{orphan}.{extension}")),
            )
            .unwrap();
            managed.push(format!("{orphan}.{extension}"));
        }
        std::fs::write(&managed_path, serde_json::to_string(&managed).unwrap()).unwrap();
        assert!(segment_files(root.path()).contains(orphan));
        let (index, found) = ArticleIndex::open(root.path(), Some("database-a")).unwrap();
        assert!(found.is_some(), "the index is reused");
        assert_eq!(segment_files(root.path()), [live].into(), "only the committed segment's files are left");
        assert_eq!(index.documents(), 1);
    }

    #[test]
    fn serves_the_old_generation_until_the_rebuild_is_done() {
        let root = tempfile::tempdir().unwrap();
        {
            let (index, found) = ArticleIndex::open(root.path(), Some("database-a")).unwrap();
            assert!(found.is_none() && !index.serving_old());
            index.apply(&[1, 2], vec![document(&index.fields, 1), document(&index.fields, 2)]).unwrap();
            index.commit(&state("database-a", 2)).unwrap();
        }
        // Reopened on another database: rebuild into a new generation, old one served meanwhile.
        let (index, found) = ArticleIndex::open(root.path(), Some("database-b")).unwrap();
        assert!(found.is_none());
        assert!(index.serving_old());
        assert_eq!(index.documents(), 2, "the old index answers during the rebuild");
        index.apply(&[7], vec![document(&index.fields, 7)]).unwrap();
        index.commit(&state("database-b", 1)).unwrap();
        assert_eq!(index.documents(), 2, "still the old one until the switch");
        index.finish_rebuild().unwrap();
        assert!(!index.serving_old());
        assert_eq!(index.documents(), 1);
        drop(index);
        let generations = std::fs::read_dir(root.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(GENERATION_PREFIX))
            .count();
        assert_eq!(generations, 1, "the old generation is removed");
        let (index, found) = ArticleIndex::open(root.path(), Some("database-b")).unwrap();
        assert_eq!((found.map(|s| s.instance), index.documents()), (Some("database-b".to_string()), 1));
    }

    #[test]
    fn refuses_a_folder_that_is_not_an_index() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("thesis.docx"), b"precious").unwrap();
        assert!(matches!(ArticleIndex::open(root.path(), Some("x")), Err(IndexError::Foreign(_))));
        assert!(root.path().join("thesis.docx").exists());
    }
}
