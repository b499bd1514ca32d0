//! The on-disk tantivy index: opening (rebuilding from scratch when the folder
//! is corrupt, from another analysis version or another database), applying
//! article changes idempotently, and committing with the sync position stored
//! in the commit's payload.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
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

/// Memory budget of the index writer.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

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

/// The index, its reader and its single writer.
pub struct ArticleIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: IndexFields,
    writer: Mutex<IndexWriter>,
    /// Recent searchers by generation, so that paging through results sees
    /// one unchanging snapshot of the index while it is being updated.
    snapshots: Mutex<VecDeque<(u64, Searcher, Instant)>>,
}

impl ArticleIndex {
    /// Opens the index in `dir`, creating or rebuilding it when needed, and
    /// returns the commit state found (None for a new or rebuilt index).
    /// `instance` is the database's id, or None when PostgreSQL is unreachable
    /// (an existing index is then trusted until the follower can check it).
    pub fn open(dir: &Path, instance: Option<&str>) -> Result<(ArticleIndex, Option<CommitState>), IndexError> {
        let folder_error = |source| IndexError::Folder { path: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(folder_error)?;
        let (schema, fields) = IndexFields::build();
        let existing = if dir.join("meta.json").exists() {
            match Index::open_in_dir(dir) {
                Ok(index) if !index.validate_checksum().map(|corrupt| corrupt.is_empty()).unwrap_or(false) => {
                    warn!(dir = %dir.display(), "index files damaged: rebuilding");
                    None
                }
                Ok(index) => {
                    let state = read_state(&index);
                    let usable = index.schema() == schema
                        && state.as_ref().is_some_and(|s| {
                            s.analysis_version == ANALYSIS_VERSION && instance.is_none_or(|id| s.instance == id)
                        });
                    if usable {
                        Some((index, state))
                    } else {
                        warn!(dir = %dir.display(), "index from another schema, analysis version or database: rebuilding");
                        None
                    }
                }
                Err(error) => {
                    warn!(dir = %dir.display(), error = %error, "index unreadable: rebuilding");
                    None
                }
            }
        } else {
            None
        };
        let (index, state) = match existing {
            Some((index, state)) => (index, state),
            None => {
                clear_folder(dir)?;
                std::fs::write(dir.join(MARKER_FILE), "baokan search index\n").map_err(folder_error)?;
                (Index::create_in_dir(dir, schema)?, None)
            }
        };
        analyzer::register(&index);
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES).map_err(|error| match error {
            tantivy::TantivyError::LockFailure(..) => IndexError::Locked(dir.to_path_buf()),
            other => IndexError::Tantivy(other),
        })?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let snapshots = Mutex::new(VecDeque::new());
        Ok((ArticleIndex { index, reader, fields, writer: Mutex::new(writer), snapshots }, state))
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
        let current = self.reader.searcher();
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
        self.reader.searcher().segment_readers().len()
    }

    /// Number of searchable articles.
    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// Reads the commit state of an index.
fn read_state(index: &Index) -> Option<CommitState> {
    let payload = index.load_metas().ok()?.payload?;
    serde_json::from_str(&payload).ok()
}

/// Empties an index folder, refusing folders that are not baokan indexes.
fn clear_folder(dir: &Path) -> Result<(), IndexError> {
    let folder_error = |source| IndexError::Folder { path: dir.to_path_buf(), source };
    let entries: Vec<_> =
        std::fs::read_dir(dir).map_err(folder_error)?.collect::<Result<_, _>>().map_err(folder_error)?;
    if entries.is_empty() {
        return Ok(());
    }
    if !dir.join(MARKER_FILE).exists() && !dir.join("meta.json").exists() {
        return Err(IndexError::Foreign(dir.to_path_buf()));
    }
    for entry in entries {
        let path = entry.path();
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(folder_error)?;
    }
    Ok(())
}
