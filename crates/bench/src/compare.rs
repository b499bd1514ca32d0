//! Runs the mix on the alternatives, prints each one's percentiles and its
//! ratio to baokan's in-process p50, and checks that every alternative returns
//! exactly baokan's hit set for each (substring) query.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::alternatives::{
    build_postgres, build_sqlite, ids_postgres, ids_sqlite, run_postgres, run_sqlite, Alternative, AlternativeBuild,
};
use crate::latency::record_latencies;
use crate::mix::{BenchQuery, QueryClass};
use crate::report::Report;

const MIB: f64 = 1024.0 * 1024.0;

/// The text as baokan matches it: normalised characters, punctuation and spaces dropped.
fn matchable(text: &str) -> String {
    text.chars().map(baokan_search::analyzer::normalize_char).filter(|c| c.is_alphanumeric()).collect()
}

/// How many of `ids` hold every substring of the query once punctuation and
/// spaces are ignored (baokan's documented matching, which `LIKE` lacks).
async fn explained_by_punctuation(pool: &PgPool, query: &BenchQuery, ids: &[i64]) -> Result<usize, sqlx::Error> {
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM alt_articles WHERE id = ANY($1)").bind(ids).fetch_all(pool).await?;
    let wanted: Vec<String> = query.substrings.iter().map(|s| matchable(s)).collect();
    Ok(bodies.iter().filter(|body| wanted.iter().all(|w| matchable(body).contains(w.as_str()))).count())
}

/// Longest time spent repeating one query on one alternative.
const QUERY_BUDGET: Duration = Duration::from_secs(5);

/// Loads the alternatives and records their build figures.
pub async fn build(pool: &PgPool, sqlite_path: &Path, report: &mut Report) -> anyhow::Result<()> {
    let mut built = AlternativeBuild::default();
    build_postgres(pool, &mut built).await?;
    build_sqlite(pool, sqlite_path, &mut built).await?;
    report.figure("alternatives: copy into alt_articles (with bigrams)", built.load.as_secs_f64(), "s");
    report.figure("postgres pg_trgm GIN build", built.trigram_index.as_secs_f64(), "s");
    report.figure("postgres pg_trgm GIN size", built.trigram_index_bytes as f64 / MIB, "MiB");
    report.figure("postgres bigram tsvector GIN build", built.bigram_index.as_secs_f64(), "s");
    report.figure("postgres bigram tsvector GIN size", built.bigram_index_bytes as f64 / MIB, "MiB");
    report.figure("sqlite fts5 trigram load+build", built.sqlite_load.as_secs_f64(), "s");
    report.figure("sqlite database size", built.sqlite_bytes as f64 / MIB, "MiB");
    Ok(())
}

/// Times the mix on one alternative: `repeats` runs per query after one
/// warm-up, stopping early when a query has used its time budget.
async fn time_alternative(
    pool: &PgPool,
    sqlite: &rusqlite::Connection,
    alternative: Alternative,
    mix: &[BenchQuery],
    repeats: usize,
) -> anyhow::Result<Vec<(QueryClass, Duration)>> {
    let mut samples = Vec::new();
    for query in mix {
        let budget_start = Instant::now();
        for run in 0..=repeats {
            let started = Instant::now();
            match alternative {
                Alternative::SqliteTrigram => run_sqlite(sqlite, query)?,
                _ => run_postgres(pool, alternative, query).await?,
            }
            if run > 0 {
                samples.push((query.class, started.elapsed()));
            }
            if budget_start.elapsed() > QUERY_BUDGET && run > 0 {
                break;
            }
        }
    }
    Ok(samples)
}

/// Times every alternative and checks hit-set agreement with `baokan_ids`
/// (one set per query of the mix).
pub async fn compare(
    pool: &PgPool,
    sqlite_path: &Path,
    mix: &[BenchQuery],
    baokan_ids: &[BTreeSet<i64>],
    repeats: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let sqlite = rusqlite::Connection::open(sqlite_path)?;
    let baokan_p50 = report.values.get("in-process search p50").copied().unwrap_or(0.0);
    let grpc_p50 = report.values.get("gRPC search p50").copied().unwrap_or(0.0);
    for alternative in Alternative::ALL {
        let samples = time_alternative(pool, &sqlite, alternative, mix, repeats).await?;
        let prefix = alternative.name();
        record_latencies(report, prefix, &samples);
        let p50 = report.values.get(&format!("{prefix} p50")).copied().unwrap_or(0.0);
        report.figure(&format!("{prefix} p50 / baokan in-process p50"), p50 / baokan_p50.max(1e-9), "x");
        if grpc_p50 > 0.0 {
            report.figure(&format!("{prefix} p50 / baokan gRPC p50"), p50 / grpc_p50, "x");
        }
    }
    for (query, expected) in mix.iter().zip(baokan_ids) {
        let mut counts = vec![format!("baokan {}", expected.len())];
        let mut agree = true;
        let mut across_punctuation = 0;
        for alternative in Alternative::ALL {
            let ids = match alternative {
                Alternative::SqliteTrigram => ids_sqlite(&sqlite, query)?,
                _ => ids_postgres(pool, alternative, query).await?,
            };
            if ids == *expected {
                continue;
            }
            let baokan_only: Vec<i64> = expected.difference(&ids).copied().collect();
            let extra: Vec<_> = ids.difference(expected).take(3).collect();
            let explained = explained_by_punctuation(pool, query, &baokan_only).await?;
            if extra.is_empty() && explained == baokan_only.len() {
                across_punctuation = across_punctuation.max(explained);
                continue;
            }
            agree = false;
            let missing: Vec<_> = baokan_only.iter().take(3).collect();
            counts.push(format!(
                "{} {} (baokan only {missing:?}, alternative only {extra:?})",
                alternative.name(),
                ids.len()
            ));
        }
        let verdict = match (agree, across_punctuation) {
            (false, _) => "DIFFERENT hits".to_string(),
            (true, 0) => "same hits".to_string(),
            (true, n) => format!("same hits, plus {n} that baokan finds across punctuation or line breaks"),
        };
        report.note(&format!("hits {:?}", query.query), format!("{verdict}: {}", counts.join(", ")));
        report.agreement.push((query.query.clone(), agree));
    }
    Ok(())
}
