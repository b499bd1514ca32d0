//! One benchmark run at a chosen scale: corpus, parse, ingest, index build,
//! in-process and gRPC searches, concurrency, freshness, peak memory, then
//! the same mix on the alternatives.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::latency::{
    connect_when_ready, measure_freshness, measure_grpc_latency, measure_in_process, measure_qps, qps_phases,
    ServerProcess,
};
use crate::processes::{binary, free_port, Watched};
use crate::report::Report;

const MIB: f64 = 1024.0 * 1024.0;

/// What a run does.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Articles in the corpus.
    pub articles: usize,
    pub seed: u64,
    /// Where the corpus pages are (built there if missing or different).
    pub corpus_dir: PathBuf,
    /// Folder of the real source corpora (`shared/corpora`).
    pub sources_dir: PathBuf,
    /// Scratch folder for the index and the SQLite database.
    pub work_dir: PathBuf,
    /// An empty PostgreSQL database for this run.
    pub database_url: String,
    /// Folder holding `baokan-ingest` and `baokan-search`.
    pub bin_dir: PathBuf,
    /// Runs of the mix per measurement.
    pub repeats: usize,
    /// Runs of the mix on each alternative.
    pub alternative_repeats: usize,
    /// Length of each concurrency measurement.
    pub qps_duration: Duration,
    /// Freshness samples.
    pub freshness_samples: usize,
    /// Concurrent gRPC client counts.
    pub clients: Vec<usize>,
    /// Skips the analysis cost split and the alternatives (for the largest scale).
    pub baokan_only: bool,
}

/// The names the corpus in `corpus_dir` quotes rarely (none if it has no list).
pub fn rare_names(corpus_dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(corpus_dir.join(crate::corpus::RARE_NAMES))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs everything and returns the figures.
pub async fn run(config: &RunConfig) -> anyhow::Result<Report> {
    let mut report = Report::default();
    report.figure("articles asked", config.articles as f64, "");
    report.note("machine", crate::host::machine());
    let started = Instant::now();
    let sources = crate::sources::load(&config.sources_dir)?;
    let summary = crate::corpus::build(&config.corpus_dir, config.articles, config.seed, &sources)
        .with_context(|| format!("building the corpus in {}", config.corpus_dir.display()))?;
    drop(sources);
    report.note(
        "corpus",
        format!(
            "{} pages, {} articles generated, seed {} ({:.1} s)",
            summary.pages,
            summary.articles,
            summary.seed,
            started.elapsed().as_secs_f64()
        ),
    );

    crate::pipeline::measure_parse(&config.corpus_dir, &mut report)?;
    let pool =
        baokan_common::db::connect_and_migrate(&config.database_url, 8).await.context("connecting to PostgreSQL")?;
    report.note("PostgreSQL settings", crate::host::postgres_settings(&pool).await?);
    let articles =
        crate::pipeline::measure_ingest(&config.bin_dir, &config.corpus_dir, &config.database_url, &pool, &mut report)
            .await?;
    // Stories continued across pages must be joined as they are in a real
    // archive (the search excludes later parts and searches them through the first).
    let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM continuations").fetch_one(&pool).await?;
    report.figure("continued stories written", summary.continuations as f64, "");
    report.figure("continued stories linked", linked as f64, "");

    std::fs::create_dir_all(&config.work_dir)?;
    let index_dir = config.work_dir.join("index");
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir)?;
    }
    if !config.baokan_only {
        crate::pipeline::measure_analysis(&pool, &mut report).await?;
    }
    let index = crate::pipeline::measure_index_build(&pool, &index_dir, articles, &mut report).await?;
    let rare_names = rare_names(&config.corpus_dir);
    let mix = crate::mix::build_mix(&pool, &rare_names).await?;
    report.note(
        "query mix",
        format!("{} queries: {}", mix.len(), mix.iter().map(|q| q.query.as_str()).collect::<Vec<_>>().join(" | ")),
    );
    measure_in_process(&index, &mix, config.repeats, &mut report).await?;
    let mut baokan_ids: Vec<BTreeSet<i64>> = Vec::with_capacity(mix.len());
    for query in &mix {
        baokan_ids.push(crate::inprocess::all_ids(&index, query)?);
    }
    drop(index);

    let program = binary(&config.bin_dir, "baokan-search")?;
    let address = format!("127.0.0.1:{}", free_port()?);
    let index_arg = index_dir.to_string_lossy().into_owned();
    let opened = Instant::now();
    let server =
        Watched::spawn(&program, &["serve", "--listen", &address, "--index-dir", &index_arg], &config.database_url)?;
    let url = format!("http://{address}");
    let measured = async {
        let mut client = connect_when_ready(&url, Duration::from_secs(600)).await?;
        report.figure("baokan-search start until caught up", opened.elapsed().as_secs_f64(), "s");
        measure_grpc_latency(&mut client, &mix, config.repeats, &mut report).await?;
        let process = server.child.id().map_or(ServerProcess::Local, ServerProcess::Pid);
        for phase in qps_phases(&config.clients) {
            measure_qps(&url, &mix, phase, config.qps_duration, process, &mut report).await?;
        }
        measure_freshness(&pool, &mut client, config.freshness_samples, &mut report).await?;
        anyhow::Ok(())
    }
    .await;
    let server_peak = server.stop().await;
    measured?;
    report.figure("baokan-search peak RSS", server_peak as f64 / MIB, "MiB");

    if !config.baokan_only {
        let sqlite_path = config.work_dir.join("fts5.sqlite");
        crate::compare::build(&pool, &sqlite_path, &mut report).await?;
        crate::compare::compare(&pool, &sqlite_path, &mix, &baokan_ids, config.alternative_repeats, &mut report)
            .await?;
    }
    report.figure("bench peak RSS", crate::stats::own_peak_rss_bytes() as f64 / MIB, "MiB");
    report.figure("total run time", started.elapsed().as_secs_f64(), "s");
    pool.close().await;
    Ok(report)
}
