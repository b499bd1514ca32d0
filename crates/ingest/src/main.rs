//! The `baokan-ingest` command line: `parse`, `eval` and `eval-ner` (no database), `run`,
//! `watch` and `delete`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use baokan_common::metrics_http::MetricsListen;
use baokan_ingest::metadata::PageMetadata;
use baokan_ingest::page_file::{read_page_file, DEFAULT_MAX_FILE_BYTES};
use baokan_ingest::progress::{LogWriter, ProgressMode};
use baokan_ingest::run::RunOptions;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: the service's searches and the
/// ingest allocate and free many small buffers across threads
/// (BENCHMARKS.md, twenty-third session).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reads newspaper page files, splits them into articles and stores them in PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "baokan-ingest", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parses page files without a database and prints the articles.
    Parse {
        /// Print one JSON object per file, one per line.
        #[arg(long)]
        json: bool,
        /// Page files to parse.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Scores the parser against hand-annotated pages (`*.expected.json`):
    /// segmentation precision/recall/F1, title and author accuracy.
    Eval {
        /// Folders of annotation files.
        #[arg(default_value = "fixtures/parser")]
        folders: Vec<PathBuf>,
        /// Also print every mismatch.
        #[arg(long)]
        verbose: bool,
    },
    /// Scores person/place/organisation finding against the MSRA NER test set
    /// (`testright1.txt`): exact-span precision/recall/F1 per kind, with
    /// jieba's tags alone and with the rules.
    EvalNer {
        /// Folder holding `testright1.txt`.
        #[arg(default_value = "../shared/corpora/msra-ner-sighan2006-test")]
        dir: PathBuf,
        /// Also print every span the rules get wrong (`fp`/`fn`, kind, name).
        #[arg(long)]
        verbose: bool,
    },
    /// Ingests page files as they land in a folder (until SIGTERM or Ctrl-C).
    Watch {
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Newspaper name for every page (default: from the path `<paper>/<date>/<page>.txt`).
        #[arg(long, env = "BAOKAN_PAPER")]
        paper: Option<String>,
        /// Seconds between two scans of the folder.
        #[arg(long, env = "BAOKAN_WATCH_INTERVAL_SECS", default_value_t = 1.0)]
        interval_secs: f64,
        /// Address of the Prometheus endpoint (`GET /metrics`), or `off`.
        #[arg(long, env = "BAOKAN_INGEST_METRICS_LISTEN", default_value = "127.0.0.1:9091")]
        metrics_listen: MetricsListen,
        /// Largest page file read, in bytes; larger files are recorded as failures.
        #[arg(long, env = "BAOKAN_MAX_FILE_BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_file_bytes: u64,
        /// The folder to watch (recursively, .txt and .md).
        dir: PathBuf,
    },
    /// Deletes pages (by file path or page id) and their articles.
    Delete {
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Page ids to delete.
        #[arg(long = "page-id")]
        page_ids: Vec<i64>,
        /// Page files to delete (as they were ingested).
        paths: Vec<PathBuf>,
    },
    /// Ingests page files and folders (recursively, .txt and .md) into PostgreSQL.
    Run {
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Newspaper name for every page of this run (default: from the path `<paper>/<date>/<page>.txt`).
        #[arg(long, env = "BAOKAN_PAPER")]
        paper: Option<String>,
        /// Issue date (YYYY-MM-DD) for every page of this run.
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// Page number for every page of this run.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
        page: Option<i32>,
        /// Progress display: `auto` (a bar on a terminal, log lines otherwise), `bar`, `lines` or `off`.
        #[arg(long, env = "BAOKAN_PROGRESS", default_value = "auto")]
        progress: ProgressMode,
        /// Seconds between two progress lines (when not a bar).
        #[arg(long, env = "BAOKAN_PROGRESS_INTERVAL_SECS", default_value_t = 10.0)]
        progress_interval_secs: f64,
        /// Address of the Prometheus endpoint (`GET /metrics`) during the run, or `off`.
        #[arg(long, env = "BAOKAN_INGEST_METRICS_LISTEN", default_value = "off")]
        metrics_listen: MetricsListen,
        /// Largest page file read, in bytes; larger files are recorded as failures.
        #[arg(long, env = "BAOKAN_MAX_FILE_BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_file_bytes: u64,
        /// Pages read, parsed and stored at once, each in its own transaction.
        #[arg(long, env = "BAOKAN_INGEST_WORKERS", default_value_t = baokan_ingest::run::DEFAULT_WORKERS,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
        workers: usize,
        /// Files or folders to ingest.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = baokan_common::telemetry::init_with_writer(LogWriter) {
        eprintln!("baokan-ingest: {error}");
        return ExitCode::from(2);
    }
    match execute(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("baokan-ingest: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse { json, files } => parse_files(json, &files),
        Command::Eval { folders, verbose } => evaluate(&folders, verbose),
        Command::EvalNer { dir, verbose } => evaluate_ner(&dir, verbose),
        Command::Watch { database_url, paper, interval_secs, metrics_listen, max_file_bytes, dir } => {
            if !dir.is_dir() {
                anyhow::bail!("{} is not a folder", dir.display());
            }
            if !(0.05..=3600.0).contains(&interval_secs) {
                anyhow::bail!("--interval-secs must be between 0.05 and 3600");
            }
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let _metrics = start_metrics(metrics_listen, stopped.clone()).await?;
            let pool = baokan_common::db::connect_with_retry(&database_url, 4, std::time::Duration::from_secs(60))
                .await
                .context("connecting to PostgreSQL")?;
            tokio::spawn(async move {
                wait_for_signal().await;
                let _ = stop.send(true);
            });
            let flags = PageMetadata { paper, issue_date: None, page_number: None };
            let interval = std::time::Duration::from_secs_f64(interval_secs);
            let options = RunOptions { max_file_bytes, ..RunOptions::default() };
            let summary = baokan_ingest::watch::watch_folder_with(&pool, &dir, &flags, interval, &options, stopped)
                .await
                .context("watching stopped")?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Delete { database_url, page_ids, paths } => {
            if page_ids.is_empty() && paths.is_empty() {
                anyhow::bail!("name the pages to delete: file paths or --page-id N");
            }
            let pool = baokan_common::db::connect_with_retry(&database_url, 2, std::time::Duration::from_secs(30))
                .await
                .context("connecting to PostgreSQL")?;
            let source_paths: Vec<String> = paths.iter().map(|p| baokan_ingest::run::source_path_of(p)).collect();
            let (pages, articles) =
                baokan_ingest::store::delete_pages(&pool, &source_paths, &page_ids).await.context("deleting pages")?;
            println!("deleted {pages} pages, {articles} articles");
            Ok(if pages == 0 {
                eprintln!("baokan-ingest: no such page");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Run {
            database_url,
            paper,
            date,
            page,
            progress,
            progress_interval_secs,
            metrics_listen,
            max_file_bytes,
            workers,
            paths,
        } => {
            if !(0.1..=86400.0).contains(&progress_interval_secs) {
                anyhow::bail!("--progress-interval-secs must be between 0.1 and 86400");
            }
            let (_metrics_stop, metrics_stopped) = tokio::sync::watch::channel(false);
            let _metrics = start_metrics(metrics_listen, metrics_stopped).await?;
            let pool = baokan_common::db::connect_with_retry(&database_url, 4, std::time::Duration::from_secs(30))
                .await
                .context("connecting to PostgreSQL")?;
            let flags = PageMetadata { paper, issue_date: date, page_number: page };
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stop_on_signal = std::sync::Arc::clone(&stop);
            tokio::spawn(async move {
                wait_for_signal().await;
                eprintln!("baokan-ingest: stopping after the current page");
                stop_on_signal.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            let progress_interval = std::time::Duration::from_secs_f64(progress_interval_secs);
            let options = RunOptions { max_file_bytes, progress, progress_interval, workers };
            let summary = baokan_ingest::run::run_with(&pool, &paths, &flags, &stop, &options)
                .await
                .context("ingest run stopped")?;
            println!("{summary}");
            Ok(if summary.pages_failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}

/// Starts the metrics endpoint when asked; it stops with `stopped`.
async fn start_metrics(
    listen: MetricsListen,
    stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<baokan_common::metrics_http::MetricsEndpoint>> {
    match listen {
        MetricsListen::Off => Ok(None),
        MetricsListen::On(address) => {
            let endpoint =
                baokan_common::metrics_http::serve_metrics(address, baokan_ingest::metrics::renderer(), stopped)
                    .await?;
            Ok(Some(endpoint))
        }
    }
}

fn parse_files(json: bool, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    let mut failed = false;
    for path in files {
        let file = path.to_string_lossy();
        match read_page_file(path) {
            Ok(page) if json => writeln!(stdout, "{}", baokan_ingest::json::parsed_file_line(&file, &page)?)?,
            Ok(page) => {
                writeln!(stdout, "{file} ({}): {} items", page.encoding, page.parsed.articles.len())?;
                for (ordinal, article) in page.parsed.articles.iter().enumerate() {
                    let title = article.title.as_deref().unwrap_or("(no headline)");
                    writeln!(
                        stdout,
                        "  {ordinal:>2} {:<7} {title} [{}]",
                        article.kind.as_str(),
                        article.authors.join("、")
                    )?;
                }
            }
            Err(error) => {
                failed = true;
                if json {
                    writeln!(stdout, "{}", baokan_ingest::json::failed_file_line(&file, error.to_string())?)?;
                }
                eprintln!("baokan-ingest: {file}: {error}");
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn evaluate(folders: &[PathBuf], verbose: bool) -> anyhow::Result<ExitCode> {
    let mut total = baokan_ingest::evaluate::Score::default();
    for folder in folders {
        for (file, score, misses) in baokan_ingest::evaluate::evaluate_folder(folder)? {
            println!("{}: {score}", file.display());
            if verbose {
                for miss in misses {
                    println!("    item {}: {}", miss.gold_index, miss.what);
                }
            }
            total.add(&score);
        }
    }
    println!("TOTAL: {total}");
    Ok(ExitCode::SUCCESS)
}

fn evaluate_ner(dir: &std::path::Path, verbose: bool) -> anyhow::Result<ExitCode> {
    use baokan_ingest::entities::evaluate;
    if verbose {
        let sentences = evaluate::read_gold(&dir.join(evaluate::MSRA_GOLD_FILE))?;
        for line in evaluate::misses(&sentences, baokan_ingest::entities::mentions_in_text) {
            println!("{line}");
        }
    }
    let started = std::time::Instant::now();
    let (before, after) = baokan_ingest::entities::evaluate::evaluate_msra(dir)?;
    println!("{}: {} sentences", dir.display(), after.sentences);
    println!("jieba tags only:\n{before}");
    println!("with rules:\n{after}");
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// Waits for SIGTERM (container stop) or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
