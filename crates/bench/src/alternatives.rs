//! The searches a user would otherwise pick, loaded with the same articles
//! (headline lines, then body) and asked the same queries: PostgreSQL
//! `pg_trgm` (GIN, `LIKE '%…%'`), PostgreSQL full-text search over a Han
//! bigram `tsvector` (positions kept, so `<->` chains are exact substrings),
//! and SQLite FTS5 with the `trigram` tokenizer.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use sqlx::PgPool;

use baokan_search::analyzer::is_han;

use crate::mix::BenchQuery;

/// Rows copied per batch.
const BATCH: i64 = 5000;

/// `maintenance_work_mem` for the GIN index builds.
const INDEX_BUILD_MEMORY: &str = "1GB";

/// The alternatives compared with baokan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    PgTrigram,
    PgBigramFts,
    SqliteTrigram,
}

impl Alternative {
    pub const ALL: [Alternative; 3] = [Alternative::PgTrigram, Alternative::PgBigramFts, Alternative::SqliteTrigram];

    pub fn name(self) -> &'static str {
        match self {
            Alternative::PgTrigram => "postgres pg_trgm LIKE",
            Alternative::PgBigramFts => "postgres bigram tsvector",
            Alternative::SqliteTrigram => "sqlite fts5 trigram",
        }
    }
}

/// The `tsvector` literal of a text: every pair of adjacent Han characters
/// with the position of its first character.
pub fn bigram_tsvector(text: &str) -> String {
    let mut positions: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    let chars: Vec<char> = text.chars().collect();
    for (index, pair) in chars.windows(2).enumerate() {
        if is_han(pair[0]) && is_han(pair[1]) && index < 16_383 {
            positions.entry(pair.iter().collect()).or_default().push(index + 1);
        }
    }
    let mut literal = String::new();
    for (gram, places) in positions {
        let list: Vec<String> = places.iter().map(|p| p.to_string()).collect();
        let _ = write!(literal, "'{gram}':{} ", list.join(","));
    }
    literal
}

/// The `tsquery` literal finding a Han substring: its bigrams chained by `<->`.
pub fn bigram_tsquery(substring: &str) -> String {
    let chars: Vec<char> = substring.chars().collect();
    let grams: Vec<String> = chars.windows(2).map(|pair| format!("'{}'", pair.iter().collect::<String>())).collect();
    format!("({})", grams.join(" <-> "))
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The `LIKE` pattern finding a substring.
fn like_pattern(substring: &str) -> String {
    literal(&format!("%{}%", substring.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
}

/// The WHERE clause of a query for one alternative (`body`, `paper`, `issue_date` columns).
pub fn where_clause(alternative: Alternative, query: &BenchQuery) -> String {
    let mut conditions: Vec<String> = match alternative {
        Alternative::PgTrigram | Alternative::SqliteTrigram => {
            query.substrings.iter().map(|s| format!("body LIKE {}", like_pattern(s))).collect()
        }
        Alternative::PgBigramFts => {
            let chained: Vec<String> = query.substrings.iter().map(|s| bigram_tsquery(s)).collect();
            vec![format!("grams @@ {}::tsquery", literal(&chained.join(" & ")))]
        }
    };
    if let Some(paper) = &query.paper {
        conditions.push(format!("paper = {}", literal(paper)));
    }
    if let Some(from) = query.date_from {
        conditions.push(format!("issue_date >= {}", literal(&from.to_string())));
    }
    if let Some(to) = query.date_to {
        conditions.push(format!("issue_date <= {}", literal(&to.to_string())));
    }
    conditions.join(" AND ")
}

/// The statements that answer one query of the mix: a page of 10 ids with
/// the total, facet counts by paper and month when asked, the hits' text
/// when highlights are asked (marking is left to the client: no ranking or
/// highlighting is charged to the alternatives).
pub fn statements(alternative: Alternative, query: &BenchQuery) -> Vec<String> {
    let condition = where_clause(alternative, query);
    let table = match alternative {
        Alternative::SqliteTrigram => "fts",
        _ => "alt_articles",
    };
    let id = match alternative {
        Alternative::SqliteTrigram => "rowid",
        _ => "id",
    };
    let columns = if query.highlight { format!("{id}, body") } else { id.to_string() };
    let mut list = vec![format!("SELECT {columns}, count(*) OVER () FROM {table} WHERE {condition} LIMIT 10")];
    if query.facets {
        let month = match alternative {
            Alternative::SqliteTrigram => "substr(issue_date, 1, 7)",
            _ => "to_char(issue_date, 'YYYY-MM')",
        };
        list.push(format!("SELECT paper, count(*) FROM {table} WHERE {condition} GROUP BY 1 ORDER BY 2 DESC LIMIT 20"));
        list.push(format!(
            "SELECT {month}, count(*) FROM {table} WHERE {condition} GROUP BY 1 ORDER BY 2 DESC LIMIT 20"
        ));
    }
    list
}

/// The statement listing every matching id.
fn ids_statement(alternative: Alternative, query: &BenchQuery) -> String {
    match alternative {
        Alternative::SqliteTrigram => format!("SELECT rowid FROM fts WHERE {}", where_clause(alternative, query)),
        _ => format!("SELECT id FROM alt_articles WHERE {}", where_clause(alternative, query)),
    }
}

/// Sizes and times of loading the alternatives.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlternativeBuild {
    pub load: std::time::Duration,
    pub trigram_index: std::time::Duration,
    pub trigram_index_bytes: i64,
    pub bigram_index: std::time::Duration,
    pub bigram_index_bytes: i64,
    pub sqlite_load: std::time::Duration,
    pub sqlite_bytes: u64,
}

/// Copies the articles into `alt_articles` (text, paper, date, bigram
/// tsvector) and builds both PostgreSQL indexes. As in baokan, a story
/// continued on another page is one row: its first part with the text of the
/// parts it continues in (one level, as the corpus prints them), and the later
/// parts have no row of their own.
pub async fn build_postgres(pool: &PgPool, build: &mut AlternativeBuild) -> Result<(), sqlx::Error> {
    let started = std::time::Instant::now();
    for statement in [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "DROP TABLE IF EXISTS alt_articles",
        "CREATE TABLE alt_articles (id bigint PRIMARY KEY, paper text, issue_date date, body text NOT NULL, grams tsvector NOT NULL)",
    ] {
        sqlx::query(statement).execute(pool).await?;
    }
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, Option<String>, Option<chrono::NaiveDate>, String)> = sqlx::query_as(
            "SELECT a.id, p.paper, p.issue_date,
                    concat_ws(E'\\n', a.kicker, a.title, a.subtitle) || E'\\n' || array_to_string(a.paragraphs, E'\\n')
                    || coalesce((SELECT E'\\n' || string_agg(array_to_string(t.paragraphs, E'\\n'), E'\\n' ORDER BY t.id)
                                 FROM continuations c JOIN articles t ON t.id = c.tail_id WHERE c.head_id = a.id), '')
             FROM articles a JOIN pages p ON p.id = a.page_id
             WHERE a.id > $1 AND NOT EXISTS (SELECT 1 FROM continuations c WHERE c.tail_id = a.id)
             ORDER BY a.id LIMIT $2",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let grams: Vec<String> = rows.iter().map(|row| bigram_tsvector(&row.3)).collect();
        let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
        let papers: Vec<Option<String>> = rows.iter().map(|row| row.1.clone()).collect();
        let dates: Vec<Option<chrono::NaiveDate>> = rows.iter().map(|row| row.2).collect();
        let bodies: Vec<String> = rows.into_iter().map(|row| row.3).collect();
        sqlx::query(
            "INSERT INTO alt_articles (id, paper, issue_date, body, grams)
             SELECT id, paper, issue_date, body, grams::tsvector
             FROM unnest($1::bigint[], $2::text[], $3::date[], $4::text[], $5::text[]) AS u(id, paper, issue_date, body, grams)",
        )
        .bind(&ids)
        .bind(&papers)
        .bind(&dates)
        .bind(&bodies)
        .bind(&grams)
        .execute(pool)
        .await?;
    }
    build.load = started.elapsed();
    // Each build runs with the memory a user would give a large index build
    // (PostgreSQL's default of 64 MB makes a GIN build spill many times);
    // `SET` and `CREATE INDEX` go in one call so they share a connection.
    let started = std::time::Instant::now();
    sqlx::raw_sql(&format!(
        "SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'; CREATE INDEX alt_trgm ON alt_articles USING gin (body gin_trgm_ops)"
    ))
    .execute(pool)
    .await?;
    build.trigram_index = started.elapsed();
    let started = std::time::Instant::now();
    sqlx::raw_sql(&format!(
        "SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'; CREATE INDEX alt_grams ON alt_articles USING gin (grams)"
    ))
    .execute(pool)
    .await?;
    build.bigram_index = started.elapsed();
    sqlx::query("ANALYZE alt_articles").execute(pool).await?;
    build.trigram_index_bytes = sqlx::query_scalar("SELECT pg_relation_size('alt_trgm')").fetch_one(pool).await?;
    build.bigram_index_bytes = sqlx::query_scalar("SELECT pg_relation_size('alt_grams')").fetch_one(pool).await?;
    Ok(())
}

/// Runs one query's statements on PostgreSQL.
pub async fn run_postgres(pool: &PgPool, alternative: Alternative, query: &BenchQuery) -> Result<(), sqlx::Error> {
    for statement in statements(alternative, query) {
        sqlx::raw_sql(&statement).fetch_all(pool).await?;
    }
    Ok(())
}

/// Every id a PostgreSQL alternative matches.
pub async fn ids_postgres(
    pool: &PgPool,
    alternative: Alternative,
    query: &BenchQuery,
) -> Result<BTreeSet<i64>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(&ids_statement(alternative, query)).fetch_all(pool).await?;
    Ok(ids.into_iter().collect())
}

/// Builds the SQLite FTS5 trigram table from `alt_articles`.
pub async fn build_sqlite(pool: &PgPool, path: &Path, build: &mut AlternativeBuild) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let _ = std::fs::remove_file(path);
    let mut connection = rusqlite::Connection::open(path)?;
    connection.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE VIRTUAL TABLE fts USING fts5(body, paper UNINDEXED, issue_date UNINDEXED, tokenize = 'trigram');",
    )?;
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, Option<String>, Option<String>, String)> = sqlx::query_as(
            "SELECT id, paper, issue_date::text, body FROM alt_articles WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let transaction = connection.transaction()?;
        {
            let mut insert =
                transaction.prepare("INSERT INTO fts (rowid, body, paper, issue_date) VALUES (?1, ?2, ?3, ?4)")?;
            for (id, paper, date, body) in &rows {
                insert.execute(rusqlite::params![id, body, paper, date])?;
            }
        }
        transaction.commit()?;
    }
    connection.execute_batch("INSERT INTO fts(fts) VALUES ('optimize')")?;
    build.sqlite_load = started.elapsed();
    build.sqlite_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(())
}

/// Runs one query's statements on SQLite.
pub fn run_sqlite(connection: &rusqlite::Connection, query: &BenchQuery) -> rusqlite::Result<()> {
    for statement in statements(Alternative::SqliteTrigram, query) {
        let mut prepared = connection.prepare_cached(&statement)?;
        let columns = prepared.column_count();
        let mut rows = prepared.query([])?;
        while let Some(row) = rows.next()? {
            for column in 0..columns {
                let _ = row.get_ref(column)?;
            }
        }
    }
    Ok(())
}

/// Every id SQLite matches.
pub fn ids_sqlite(connection: &rusqlite::Connection, query: &BenchQuery) -> rusqlite::Result<BTreeSet<i64>> {
    let mut prepared = connection.prepare(&ids_statement(Alternative::SqliteTrigram, query))?;
    let ids = prepared.query_map([], |row| row.get::<_, i64>(0))?.collect::<Result<BTreeSet<i64>, _>>()?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_keep_character_positions() {
        assert_eq!(bigram_tsvector("万步有约，万步"), "'万步':1,6 '有约':3 '步有':2 ");
        assert_eq!(bigram_tsquery("万步有约"), "('万步' <-> '步有' <-> '有约')");
    }
}
