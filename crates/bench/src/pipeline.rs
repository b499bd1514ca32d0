//! The write side: parse throughput in-process, ingest through the real
//! `baokan-ingest` binary, and an index build with the service's own
//! follower (PostgreSQL rows → analysis → tantivy commit).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use baokan_ingest::page_file::page_from_bytes;
use baokan_ingest::run::collect_page_files;
use baokan_search::analyzer::ANALYSIS_VERSION;
use baokan_search::index::{ArticleIndex, CommitState};
use baokan_search::sync::{Follower, SyncStatus};
use sqlx::PgPool;

use crate::processes::{binary, Watched};
use crate::report::Report;
use crate::stats::{folder_bytes, mb_per_second, own_peak_rss_bytes, per_second};

const MIB: f64 = 1024.0 * 1024.0;

/// Decodes and parses every page (file reading not timed); returns the files.
pub fn measure_parse(corpus_dir: &Path, report: &mut Report) -> anyhow::Result<Vec<PathBuf>> {
    let (files, failures) = collect_page_files(&[corpus_dir.to_path_buf()]);
    anyhow::ensure!(failures.is_empty(), "unreadable corpus paths: {failures:?}");
    let (mut bytes, mut articles, mut elapsed) = (0u64, 0usize, Duration::ZERO);
    for file in &files {
        let content = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let started = Instant::now();
        let page = page_from_bytes(&content).with_context(|| format!("decoding {}", file.display()))?;
        elapsed += started.elapsed();
        bytes += content.len() as u64;
        articles += page.parsed.articles.len();
    }
    report.figure("pages", files.len() as f64, "");
    report.figure("corpus size", bytes as f64 / 1e6, "MB");
    report.figure("articles parsed", articles as f64, "");
    report.figure("parse throughput", mb_per_second(bytes, elapsed), "MB/s");
    report.figure("parse articles/s", per_second(articles, elapsed), "articles/s");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parallel = parse_in_parallel(&files, threads)?;
    report.figure(&format!("parse throughput, {threads} threads"), mb_per_second(bytes, parallel), "MB/s");
    Ok(files)
}

/// Decodes and parses the first `pages` page files of a corpus `repeats`
/// times on this thread (files read into memory first, not timed); returns
/// the bytes parsed and the time taken. For profiling the parser alone.
pub fn parse_repeatedly(corpus_dir: &Path, pages: usize, repeats: usize) -> anyhow::Result<(u64, Duration)> {
    let (mut files, failures) = collect_page_files(&[corpus_dir.to_path_buf()]);
    anyhow::ensure!(failures.is_empty(), "unreadable corpus paths: {failures:?}");
    files.sort();
    files.truncate(pages);
    let contents = read_files(&files)?;
    let (mut bytes, mut elapsed) = (0u64, Duration::ZERO);
    for _ in 0..repeats {
        let started = Instant::now();
        for content in &contents {
            std::hint::black_box(page_from_bytes(content).ok());
        }
        elapsed += started.elapsed();
        bytes += contents.iter().map(|content| content.len() as u64).sum::<u64>();
    }
    Ok((bytes, elapsed))
}

/// The bytes of each file.
fn read_files(files: &[PathBuf]) -> anyhow::Result<Vec<Vec<u8>>> {
    files.iter().map(|file| std::fs::read(file).with_context(|| format!("reading {}", file.display()))).collect()
}

/// Files read into memory per parallel parse round.
const PARALLEL_CHUNK: usize = 4096;

/// Time to decode and parse every page with `threads` threads, as pages are
/// independent (file reading not timed): the pages are read a chunk at a time
/// and each chunk is split between the threads.
fn parse_in_parallel(files: &[PathBuf], threads: usize) -> anyhow::Result<Duration> {
    let mut elapsed = Duration::ZERO;
    for chunk in files.chunks(PARALLEL_CHUNK) {
        let contents = read_files(chunk)?;
        let started = Instant::now();
        std::thread::scope(|scope| {
            for part in contents.chunks(contents.len().div_ceil(threads.max(1)).max(1)) {
                scope.spawn(move || {
                    for content in part {
                        std::hint::black_box(page_from_bytes(content).ok());
                    }
                });
            }
        });
        elapsed += started.elapsed();
    }
    Ok(elapsed)
}

/// Ingests the corpus with `baokan-ingest run` and returns the article count.
pub async fn measure_ingest(
    bin_dir: &Path,
    corpus_dir: &Path,
    database_url: &str,
    pool: &PgPool,
    report: &mut Report,
) -> anyhow::Result<i64> {
    let program = binary(bin_dir, "baokan-ingest")?;
    let corpus = corpus_dir.to_string_lossy().into_owned();
    // CPU of the ingest (the only child waited for meanwhile) and of a
    // PostgreSQL server on this machine, to see which of the two bounds it.
    let (children_before, postgres_before) =
        (crate::stats::waited_children_cpu_seconds(), crate::stats::cpu_seconds_of_processes_named("postgres"));
    let started = Instant::now();
    let peak = Watched::spawn(&program, &["run", &corpus], database_url)?.wait().await.context("baokan-ingest run")?;
    let elapsed = started.elapsed();
    let (children_after, postgres_after) =
        (crate::stats::waited_children_cpu_seconds(), crate::stats::cpu_seconds_of_processes_named("postgres"));
    let articles: i64 = sqlx::query_scalar("SELECT count(*) FROM articles").fetch_one(pool).await?;
    report.figure("ingest articles stored", articles as f64, "");
    report.figure("ingest time", elapsed.as_secs_f64(), "s");
    report.figure("ingest throughput", per_second(articles as usize, elapsed), "articles/s");
    let per_article_ms = |seconds: f64| seconds * 1000.0 / articles.max(1) as f64;
    if let (Some(before), Some(after)) = (children_before, children_after) {
        report.figure("baokan-ingest CPU per article", per_article_ms(after - before), "ms");
    }
    if let (Some(before), Some(after)) = (postgres_before, postgres_after) {
        report.figure("PostgreSQL CPU per article (local server)", per_article_ms((after - before).max(0.0)), "ms");
    }
    report.figure("baokan-ingest peak RSS", peak as f64 / MIB, "MiB");
    Ok(articles)
}

/// Bytes of the files the index's live segments use, plus its `meta.json`.
fn live_index_bytes(index: &ArticleIndex, index_dir: &Path) -> u64 {
    let dir = baokan_search::index::active_dir(index_dir);
    let length = |file: &Path| std::fs::metadata(dir.join(file)).map_or(0, |m| m.len());
    match index.index.searchable_segment_metas() {
        Ok(metas) => {
            length(Path::new("meta.json"))
                + metas.iter().flat_map(|meta| meta.list_files()).map(|file| length(&file)).sum::<u64>()
        }
        Err(_) => folder_bytes(index_dir),
    }
}

/// Builds the index in `index_dir` from PostgreSQL as the service does at
/// start, timing rows → documents → commit.
pub async fn measure_index_build(
    pool: &PgPool,
    index_dir: &Path,
    articles: i64,
    report: &mut Report,
) -> anyhow::Result<Arc<ArticleIndex>> {
    baokan_search::analyzer::warm_up();
    let text_bytes: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(octet_length(concat_ws(E'\\n', kicker, title, subtitle))
                + octet_length(array_to_string(paragraphs, E'\\n'))), 0)::bigint FROM articles",
    )
    .fetch_one(pool)
    .await?;
    let rss_before = own_peak_rss_bytes();
    let started = Instant::now();
    let directory = index_dir.to_path_buf();
    let (index, _) = tokio::task::spawn_blocking(move || ArticleIndex::open(&directory, None)).await??;
    let index = Arc::new(index);
    let state = CommitState {
        analysis_version: ANALYSIS_VERSION,
        instance: String::new(),
        watermark_xid: 0,
        applied_sequence: 0,
        dictionary_version: 0,
    };
    let mut follower = Follower::new(pool.clone(), Arc::clone(&index), Arc::new(SyncStatus::default()), state);
    while follower.apply_pending().await? > 0 {}
    let applied = started.elapsed();
    // As the service does after a bulk catch-up: one segment per core for searching.
    let merging = Arc::clone(&index);
    tokio::task::spawn_blocking(move || merging.merge_segments()).await??;
    let elapsed = started.elapsed();
    report.figure("index build: documents applied and committed", applied.as_secs_f64(), "s");
    report.figure("index build: final merge, one segment per core", (elapsed - applied).as_secs_f64(), "s");
    let index_bytes = live_index_bytes(&index, index_dir);
    let folder = folder_bytes(index_dir);
    if folder > index_bytes + MIB as u64 {
        // Merged-away files this process still holds; the service removes
        // them when it opens the index, so they are not counted.
        report.figure("index folder incl. merged-away files", folder as f64 / MIB, "MiB");
    }
    report.figure("article text", text_bytes as f64 / 1e6, "MB");
    report.figure("index build time", elapsed.as_secs_f64(), "s");
    report.figure("index build throughput", mb_per_second(text_bytes as u64, elapsed), "MB/s");
    report.figure("index build articles/s", per_second(articles as usize, elapsed), "articles/s");
    report.figure("index size", index_bytes as f64 / MIB, "MiB");
    report.figure("index bytes per article", index_bytes as f64 / articles.max(1) as f64, "B");
    report.figure("bench process peak RSS after index build", own_peak_rss_bytes().max(rss_before) as f64 / MIB, "MiB");
    Ok(index)
}

/// Articles the analysis split reads (the first ones by id).
const ANALYSIS_SAMPLE_ARTICLES: usize = 100_000;

/// Splits the index build's cost: reading rows from PostgreSQL, jieba alone
/// (search mode, as `baokan_words` uses it), and the whole analysis chain
/// (normalisation, Han bigrams and jieba words of headline and body), and
/// the headline grams the body lacks (one more gram pass over the body), all on
/// one core, in memory. Rates are per byte, so the first
/// [`ANALYSIS_SAMPLE_ARTICLES`] articles are enough at any scale.
pub async fn measure_analysis(pool: &PgPool, report: &mut Report) -> anyhow::Result<()> {
    let jieba = jieba_rs::Jieba::new();
    baokan_search::analyzer::warm_up();
    let (mut load, mut jieba_time, mut chain, mut heading_only) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut bytes, mut tokens, mut after, mut sampled) = (0u64, 0usize, 0i64, 0usize);
    loop {
        let started = Instant::now();
        let rows = baokan_search::document::load_articles_after(pool, after, 5000).await?;
        load += started.elapsed();
        let Some(last) = rows.last() else { break };
        after = last.id;
        sampled += rows.len();
        let texts: Vec<(String, String)> =
            rows.iter().map(|row| (row.heading_text(), row.paragraphs.join("\n"))).collect();
        bytes += texts.iter().map(|(heading, body)| (heading.len() + body.len()) as u64).sum::<u64>();
        let started = Instant::now();
        for (heading, body) in &texts {
            std::hint::black_box(jieba.cut_for_search(heading, true));
            std::hint::black_box(jieba.cut_for_search(body, true));
        }
        jieba_time += started.elapsed();
        let started = Instant::now();
        for (heading, body) in &texts {
            for text in [heading, body] {
                tokens += baokan_search::analyzer::gram_tokens(text).len();
                tokens += baokan_search::analyzer::word_tokens(text).len();
            }
        }
        chain += started.elapsed();
        let started = Instant::now();
        for (heading, body) in &texts {
            std::hint::black_box(baokan_search::analyzer::heading_only_grams(heading, body));
        }
        heading_only += started.elapsed();
        if sampled >= ANALYSIS_SAMPLE_ARTICLES {
            break;
        }
    }
    report.figure("postgres row load (index build input)", mb_per_second(bytes, load), "MB/s");
    report.figure("jieba alone (search mode, 1 core)", mb_per_second(bytes, jieba_time), "MB/s");
    report.figure("analysis chain (grams + words, 1 core)", mb_per_second(bytes, chain), "MB/s");
    report.figure("headline grams the body lacks (1 core)", mb_per_second(bytes, heading_only), "MB/s");
    report.figure("tokens per article text byte", tokens as f64 / bytes.max(1) as f64, "");
    Ok(())
}
