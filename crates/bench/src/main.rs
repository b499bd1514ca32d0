//! The `baokan-bench` command line: `corpus` writes a deterministic corpus,
//! `run` measures baokan and the alternatives at a chosen scale, `profile`,
//! `parse` and `build-index` repeat one part for profiling, `merge-index`
//! merges an index into fewer segments (to compare segment counts).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use baokan_bench::run::{run, RunConfig};
use clap::{Parser, Subcommand};
use sqlx::{Connection, Executor, PgConnection};

/// The service's allocator, so that in-process searches and the index
/// build run as they do in `baokan-search`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmarks baokan against PostgreSQL and SQLite full-text search.
#[derive(Debug, Parser)]
#[command(name = "baokan-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes N articles of newspaper pages under DIR (<paper>/<date>/<page>.txt).
    Corpus {
        #[arg(long)]
        articles: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// Folder of the real text corpora.
        #[arg(long)]
        sources: Option<PathBuf>,
    },
    /// Repeats one query on an existing index folder, in-process (for profiling with perf).
    Profile {
        #[arg(long)]
        index_dir: PathBuf,
        #[arg(long)]
        query: String,
        #[arg(long)]
        facets: bool,
        #[arg(long, default_value_t = 1000)]
        repeats: usize,
        /// Also print the total and the first page's ids and scores (to compare builds).
        #[arg(long)]
        show_hits: bool,
        /// Only this paper's articles (a filtered search, as the mix's).
        #[arg(long)]
        paper: Option<String>,
        /// Only articles of this day (YYYY-MM-DD) or later.
        #[arg(long)]
        date_from: Option<chrono::NaiveDate>,
        /// Only articles of this day (YYYY-MM-DD) or earlier.
        #[arg(long)]
        date_to: Option<chrono::NaiveDate>,
        /// Newest issue first instead of best match first.
        #[arg(long)]
        newest_first: bool,
        /// Memory for remembered bit sets of long posting lists, in MiB, as
        /// the service's `--word-bits-cache-mib` (0: every search decodes
        /// its lists, as a word's first search does).
        #[arg(long, default_value_t = baokan_search::word_bits::DEFAULT_CAPACITY_MIB)]
        word_bits_cache_mib: usize,
    },
    /// Decodes and parses a corpus's first pages over and over on one
    /// thread, and prints the parse throughput (for profiling the parser).
    Parse {
        #[arg(long)]
        corpus_dir: PathBuf,
        /// How many of the corpus's pages (in path order) are read into memory.
        #[arg(long, default_value_t = 5000)]
        pages: usize,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Instead: every page once, on one thread and then on every core,
        /// as `run` measures the parse.
        #[arg(long)]
        as_run: bool,
    },
    /// Builds a new index from an ingested database (a kept bench database,
    /// say) and prints the index build figures, for profiling the build alone.
    BuildIndex {
        /// URL of the database holding the articles.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// A folder that does not exist yet.
        #[arg(long)]
        index_dir: PathBuf,
    },
    /// Merges an existing index folder into at most `--segments` segments
    /// (the service leaves one per core), for comparing segment counts.
    MergeIndex {
        #[arg(long)]
        index_dir: PathBuf,
        #[arg(long)]
        segments: usize,
    },
    /// Sends the mix to a running `baokan-search` (latency, then QPS per client
    /// count, each search run anew, then the largest count with the result
    /// cache allowed), for profiling the service under load.
    Load {
        /// The service, e.g. http://127.0.0.1:50051.
        #[arg(long)]
        address: String,
        /// The database the service serves (the mix's phrases come from it).
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The corpus folder of the run that filled the database (its rare names).
        #[arg(long)]
        corpus_dir: PathBuf,
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
        clients: Vec<usize>,
    },
    /// Builds (or reuses) a corpus and measures everything at that scale.
    Run {
        #[arg(long)]
        articles: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Corpus folder (default .baokan/bench/corpus-<articles>-<seed>).
        #[arg(long)]
        corpus_dir: Option<PathBuf>,
        /// Folder of the real text corpora.
        #[arg(long)]
        sources: Option<PathBuf>,
        /// Scratch folder for the index and SQLite.
        #[arg(long, default_value = ".baokan/bench/work")]
        work_dir: PathBuf,
        /// PostgreSQL server URL; the run creates (and drops) its own database there.
        #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        database_url: String,
        /// Name of the database the run creates.
        #[arg(long, default_value = "baokan_bench")]
        database_name: String,
        /// Keep the database after the run.
        #[arg(long)]
        keep_database: bool,
        /// Folder of baokan-ingest and baokan-search (default: beside this binary).
        #[arg(long)]
        bin_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 20)]
        repeats: usize,
        #[arg(long, default_value_t = 3)]
        alternative_repeats: usize,
        #[arg(long, default_value_t = 5.0)]
        qps_seconds: f64,
        #[arg(long, default_value_t = 30)]
        freshness_samples: usize,
        #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
        clients: Vec<usize>,
        /// Skip the analysis cost split and the alternatives.
        #[arg(long)]
        baokan_only: bool,
    },
}

/// The URL of database `name` on the server of `url`.
fn database_url_named(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = base[scheme_end..].find('/').map_or(base, |slash| &base[..scheme_end + slash]);
    query.map_or_else(|| format!("{server}/{name}"), |query| format!("{server}/{name}?{query}"))
}

async fn recreate_database(admin_url: &str, name: &str, create: bool) -> anyhow::Result<()> {
    anyhow::ensure!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad database name {name:?}");
    let mut connection =
        PgConnection::connect(admin_url).await.with_context(|| format!("connecting to {admin_url}"))?;
    connection.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
    if create {
        connection.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Corpus { articles, seed, out, sources } => {
            let sources_dir = sources.unwrap_or_else(baokan_bench::sources::default_corpora_dir);
            let pools = baokan_bench::sources::load(&sources_dir)?;
            let summary = baokan_bench::corpus::build(&out, articles, seed, &pools)?;
            println!(
                "{} pages, {} articles, {} bytes in {}",
                summary.pages,
                summary.articles,
                summary.bytes,
                out.display()
            );
        }
        Command::Profile {
            index_dir,
            query,
            facets,
            repeats,
            show_hits,
            paper,
            date_from,
            date_to,
            newest_first,
            word_bits_cache_mib,
        } => {
            baokan_search::word_bits::set_capacity(word_bits_cache_mib.saturating_mul(1024 * 1024));
            let (index, _) = baokan_search::index::ArticleIndex::open(&index_dir, None)?;
            let query = baokan_bench::mix::BenchQuery {
                facets,
                paper,
                date_from,
                date_to,
                newest_first,
                ..baokan_bench::mix::BenchQuery::words(Default::default(), &[&query])
            };
            let mut samples = Vec::with_capacity(repeats);
            for _ in 0..repeats {
                let started = std::time::Instant::now();
                std::hint::black_box(baokan_bench::inprocess::search(&index, &query)?);
                samples.push(started.elapsed());
            }
            println!("{}", baokan_bench::stats::Percentiles::of(&samples));
            if show_hits {
                let results = baokan_bench::inprocess::search(&index, &query)?;
                println!("total {}", results.total_hits);
                for hit in &results.hits {
                    println!("{} {:.4}", hit.id, hit.score);
                }
                if let Some(facets) = &results.facets {
                    println!("{facets:?}");
                }
            }
        }
        Command::Load { address, database_url, corpus_dir, repeats, seconds, clients } => {
            let pool =
                sqlx::PgPool::connect(&database_url).await.with_context(|| format!("connecting to {database_url}"))?;
            let rare_names = baokan_bench::run::rare_names(&corpus_dir);
            let mix = baokan_bench::mix::build_mix(&pool, &rare_names).await?;
            let mut report = baokan_bench::report::Report::default();
            let mut client = baokan_bench::latency::connect_when_ready(&address, Duration::from_secs(60)).await?;
            baokan_bench::latency::measure_grpc_latency(&mut client, &mix, repeats, &mut report).await?;
            for phase in baokan_bench::latency::qps_phases(&clients) {
                let duration = Duration::from_secs_f64(seconds);
                let server = baokan_bench::latency::ServerProcess::Local;
                baokan_bench::latency::measure_qps(&address, &mix, phase, duration, server, &mut report).await?;
            }
            print!("{report}");
        }
        Command::Parse { corpus_dir, as_run: true, .. } => {
            let mut report = baokan_bench::report::Report::default();
            baokan_bench::pipeline::measure_parse(&corpus_dir, &mut report)?;
            print!("{report}");
        }
        Command::Parse { corpus_dir, pages, repeats, as_run: false } => {
            let (bytes, elapsed) = baokan_bench::pipeline::parse_repeatedly(&corpus_dir, pages, repeats)?;
            println!(
                "parse throughput, 1 thread: {:.3} MB/s ({} MB in {:.3} s)",
                baokan_bench::stats::mb_per_second(bytes, elapsed),
                bytes as f64 / 1e6,
                elapsed.as_secs_f64()
            );
        }
        Command::BuildIndex { database_url, index_dir } => {
            anyhow::ensure!(!index_dir.exists(), "{} exists: pass a folder to create", index_dir.display());
            let pool =
                sqlx::PgPool::connect(&database_url).await.with_context(|| format!("connecting to {database_url}"))?;
            let articles: i64 = sqlx::query_scalar("SELECT count(*) FROM articles").fetch_one(&pool).await?;
            let mut report = baokan_bench::report::Report::default();
            baokan_bench::pipeline::measure_index_build(&pool, &index_dir, articles, &mut report).await?;
            print!("{report}");
        }
        Command::MergeIndex { index_dir, segments } => {
            anyhow::ensure!(segments > 0, "--segments must be at least 1");
            let started = std::time::Instant::now();
            let (index, _) = baokan_search::index::ArticleIndex::open(&index_dir, None)?;
            let before = index.segments();
            index.merge_segments_into(segments)?;
            println!(
                "{} segments merged into {} in {:.1} s",
                before,
                index.segments(),
                started.elapsed().as_secs_f64()
            );
        }
        Command::Run {
            articles,
            seed,
            corpus_dir,
            sources,
            work_dir,
            database_url,
            database_name,
            keep_database,
            bin_dir,
            repeats,
            alternative_repeats,
            qps_seconds,
            freshness_samples,
            clients,
            baokan_only,
        } => {
            recreate_database(&database_url, &database_name, true).await?;
            let config = RunConfig {
                articles,
                seed,
                corpus_dir: corpus_dir
                    .unwrap_or_else(|| PathBuf::from(format!(".baokan/bench/corpus-{articles}-{seed}"))),
                sources_dir: sources.unwrap_or_else(baokan_bench::sources::default_corpora_dir),
                work_dir,
                database_url: database_url_named(&database_url, &database_name),
                bin_dir: bin_dir.unwrap_or_else(baokan_bench::processes::default_bin_dir),
                repeats,
                alternative_repeats,
                qps_duration: Duration::from_secs_f64(qps_seconds),
                freshness_samples,
                clients,
                baokan_only,
            };
            let outcome = run(&config).await;
            if !keep_database {
                recreate_database(&database_url, &database_name, false).await?;
            }
            let report = outcome?;
            print!("{report}");
        }
    }
    Ok(())
}
