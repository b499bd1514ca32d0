//! The learned dictionary: person names that ingest recorded in
//! `dictionary_words` (from bylines) are taught to jieba, so they segment as
//! one word in documents and queries. When words are learned, only the
//! articles containing them are re-indexed.
//!
//! The follower keeps the set of words it has applied. Words up to the
//! version stored in the index commit were applied before a restart and are
//! learned again without re-indexing; any other word is new.

use std::collections::HashSet;

use sqlx::PgPool;
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::Searcher;

use crate::analyzer::learn_words;
use crate::error::SearchError;
use crate::schema::IndexFields;
use crate::stored_doc::StoredDoc;

/// Words applied by this follower.
#[derive(Debug, Default)]
pub struct LearnedDictionary {
    known: HashSet<String>,
    /// Highest version among the known words.
    pub version: i64,
    /// Whether the words of the resumed commit were loaded.
    loaded: bool,
}

/// Words new since the last look, split by whether their articles need re-indexing.
#[derive(Debug, Default)]
pub struct NewWords {
    /// Learned by an index commit before this process started: no re-indexing.
    pub resumed: Vec<String>,
    /// Never applied to the index: articles containing them are re-indexed.
    pub fresh: Vec<String>,
    /// Highest version seen.
    pub version: i64,
}

impl LearnedDictionary {
    /// Number of words applied.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Reads words this follower has not applied yet (cheap when none: one count).
    pub async fn fetch_new(&mut self, pool: &PgPool, committed_version: i64) -> Result<NewWords, sqlx::Error> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM dictionary_words").fetch_one(pool).await?;
        if self.loaded && count as usize == self.known.len() {
            return Ok(NewWords { version: self.version, ..NewWords::default() });
        }
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT word, version FROM dictionary_words ORDER BY version").fetch_all(pool).await?;
        let mut new = NewWords { version: self.version, ..NewWords::default() };
        for (word, version) in rows {
            if self.known.contains(&word) {
                continue;
            }
            new.version = new.version.max(version);
            if !self.loaded && version <= committed_version {
                new.resumed.push(word);
            } else {
                new.fresh.push(word);
            }
        }
        Ok(new)
    }

    /// Teaches jieba the new words and records them as applied; returns the
    /// fresh words jieba did not know (the ones whose articles change).
    pub fn apply(&mut self, new: NewWords) -> Vec<String> {
        learn_words(&new.resumed);
        let changed = learn_words(&new.fresh);
        self.known.extend(new.resumed);
        self.known.extend(new.fresh);
        self.version = self.version.max(new.version);
        self.loaded = true;
        changed
    }
}

/// Ids of indexed articles whose headline or body contains any of `words`.
pub fn articles_containing(
    searcher: &Searcher,
    fields: &IndexFields,
    words: &[String],
) -> Result<Vec<i64>, SearchError> {
    let mut ids = Vec::new();
    for chunk in words.chunks(256) {
        let clauses: Vec<(Occur, Box<dyn Query>)> = chunk
            .iter()
            .flat_map(|word| {
                [
                    crate::search::text_matcher(fields.body, word),
                    crate::search::text_matcher(fields.heading_grams, word),
                ]
            })
            .flatten()
            .map(|query| (Occur::Should, query))
            .collect();
        if clauses.is_empty() {
            continue;
        }
        for address in searcher.search(&BooleanQuery::new(clauses), &DocSetCollector)? {
            let document: StoredDoc = searcher.doc(address)?;
            if let Some(id) = document.u64(fields.id) {
                ids.push(id as i64);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
