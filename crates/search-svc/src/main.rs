//! The `baokan-search` command line: serves search until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baokan_common::metrics_http::MetricsListen;
use baokan_search::auth::AuthTokens;
use baokan_search::limits::Limits;
use baokan_search::server::{start, ServerConfig, TlsIdentity};
use clap::{Args, Parser, Subcommand};
use tonic_health::pb::health_check_response::ServingStatus;
use tracing::info;

/// mimalloc rather than glibc's malloc: the service's searches and the
/// ingest allocate and free many small buffers across threads
/// (BENCHMARKS.md, twenty-third session).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bytes in a MiB (`--writer-memory-mib`).
const MIB: usize = 1024 * 1024;

/// Serves gRPC search over newspaper articles, keeping its index current from PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "baokan-search", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves search (the default when no command is given).
    Serve(Box<ServeArgs>),
    /// Asks a running server's gRPC health service; exits 0 when it is SERVING, 1 otherwise.
    Health {
        /// Address of the server.
        #[arg(long, env = "BAOKAN_HEALTH_ADDRESS", default_value = "http://127.0.0.1:50051")]
        address: String,
        /// Service to ask about (empty: the whole server).
        #[arg(long, default_value = "baokan.v1.SearchService")]
        service: String,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
        /// CA certificate (PEM) to verify a TLS server with (for https:// addresses).
        #[arg(long, env = "BAOKAN_HEALTH_CA_CERT")]
        ca_cert: Option<PathBuf>,
    },
    /// Compares the index with PostgreSQL and lists differences; exits 1 when they differ.
    Verify {
        /// Folder of the search index.
        #[arg(long, env = "BAOKAN_INDEX_DIR", default_value = ".baokan/index")]
        index_dir: PathBuf,
        /// PostgreSQL connection URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BAOKAN_LISTEN", default_value = "0.0.0.0:50051")]
    listen: SocketAddr,
    /// Folder of the search index (created if missing).
    #[arg(long, env = "BAOKAN_INDEX_DIR", default_value = ".baokan/index")]
    index_dir: PathBuf,
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Seconds to wait for PostgreSQL at start (then serve the existing index and keep trying).
    #[arg(long, env = "BAOKAN_DATABASE_PATIENCE_SECS", default_value_t = 60)]
    database_patience_secs: u64,
    /// Address of the Prometheus endpoint (`GET /metrics`), or `off`.
    #[arg(long, env = "BAOKAN_METRICS_LISTEN", default_value = "127.0.0.1:9090")]
    metrics_listen: MetricsListen,
    /// File of accepted bearer tokens, one per line (`#` comments); turns authentication on.
    #[arg(long, env = "BAOKAN_AUTH_TOKENS_FILE")]
    auth_tokens_file: Option<PathBuf>,
    /// Server certificate chain, PEM (with --tls-key: serve TLS).
    #[arg(long, env = "BAOKAN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Server private key, PEM.
    #[arg(long, env = "BAOKAN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Memory for indexing, in MiB, shared by the indexing threads: more
    /// makes a rebuild of a large archive faster (fewer segments to merge).
    #[arg(long, env = "BAOKAN_WRITER_MEMORY_MIB", default_value_t = (baokan_search::index::WRITER_MEMORY_BYTES / MIB) as u64,
          value_parser = clap::value_parser!(u64).range(32..=4096))]
    writer_memory_mib: u64,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Request limits (see README: Limits).
#[derive(Debug, Args)]
struct LimitArgs {
    /// Longest query (and Suggest prefix), in characters.
    #[arg(long, env = "BAOKAN_MAX_QUERY_CHARS", default_value_t = Limits::default().max_query_chars)]
    max_query_chars: usize,
    /// Most words and phrases in one query.
    #[arg(long, env = "BAOKAN_MAX_QUERY_TERMS", default_value_t = Limits::default().max_query_terms)]
    max_query_terms: usize,
    /// Largest page_size.
    #[arg(long, env = "BAOKAN_MAX_PAGE_SIZE", default_value_t = Limits::default().max_page_size)]
    max_page_size: usize,
    /// Longest highlight.snippet_chars.
    #[arg(long, env = "BAOKAN_MAX_SNIPPET_CHARS", default_value_t = Limits::default().max_snippet_chars)]
    max_snippet_chars: usize,
    /// Most values in one filter list (papers, pages, authors).
    #[arg(long, env = "BAOKAN_MAX_FILTER_VALUES", default_value_t = Limits::default().max_filter_values)]
    max_filter_values: usize,
    /// Requests handled at once; beyond, RESOURCE_EXHAUSTED.
    #[arg(long, env = "BAOKAN_MAX_CONCURRENT_REQUESTS", default_value_t = Limits::default().max_concurrent_requests)]
    max_concurrent_requests: usize,
    /// Export streams open at once; beyond, RESOURCE_EXHAUSTED.
    #[arg(long, env = "BAOKAN_MAX_CONCURRENT_EXPORTS", default_value_t = Limits::default().max_concurrent_exports)]
    max_concurrent_exports: usize,
    /// Threads that run searches and other index work (default: one per
    /// core, at least two); admitted requests beyond them wait their turn.
    #[arg(long, env = "BAOKAN_SEARCH_THREADS", default_value_t = Limits::default().search_threads)]
    search_threads: usize,
    /// Articles per second one Export stream sends (0: unlimited).
    #[arg(long, env = "BAOKAN_EXPORT_ARTICLES_PER_SECOND", default_value_t = Limits::default().export_articles_per_second)]
    export_articles_per_second: u32,
    /// Largest request message, in bytes.
    #[arg(long, env = "BAOKAN_MAX_REQUEST_BYTES", default_value_t = Limits::default().max_request_bytes)]
    max_request_bytes: usize,
    /// Largest response message, in bytes.
    #[arg(long, env = "BAOKAN_MAX_RESPONSE_BYTES", default_value_t = Limits::default().max_response_bytes)]
    max_response_bytes: usize,
    /// Longest time any request may run, in seconds (a client's shorter deadline wins).
    #[arg(long, env = "BAOKAN_REQUEST_TIMEOUT_SECS", default_value_t = Limits::default().request_timeout.as_secs_f64())]
    request_timeout_secs: f64,
    /// Memory for the answers of recent searches, in MiB; a search asked
    /// again of an unchanged index is answered from it (0: keep none).
    #[arg(long, env = "BAOKAN_RESULT_CACHE_MIB", default_value_t = Limits::default().result_cache_mib)]
    result_cache_mib: usize,
    /// Memory for the bit sets of common words' posting lists, in MiB: a
    /// word's lists decoded by one search are read from it by the next
    /// that needs them (0: keep none).
    #[arg(long, env = "BAOKAN_WORD_BITS_CACHE_MIB", default_value_t = Limits::default().word_bits_cache_mib)]
    word_bits_cache_mib: usize,
}

impl LimitArgs {
    fn to_limits(&self) -> anyhow::Result<Limits> {
        if !(self.request_timeout_secs.is_finite() && self.request_timeout_secs > 0.0) {
            anyhow::bail!("--request-timeout-secs must be a positive number of seconds");
        }
        let limits = Limits {
            max_query_chars: self.max_query_chars,
            max_query_terms: self.max_query_terms,
            max_page_size: self.max_page_size,
            max_snippet_chars: self.max_snippet_chars,
            max_filter_values: self.max_filter_values,
            max_concurrent_requests: self.max_concurrent_requests,
            max_concurrent_exports: self.max_concurrent_exports,
            search_threads: self.search_threads,
            export_articles_per_second: self.export_articles_per_second,
            max_request_bytes: self.max_request_bytes,
            max_response_bytes: self.max_response_bytes,
            request_timeout: Duration::from_secs_f64(self.request_timeout_secs),
            result_cache_mib: self.result_cache_mib,
            word_bits_cache_mib: self.word_bits_cache_mib,
        };
        limits.validate()?;
        Ok(limits)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = baokan_common::telemetry::init() {
        eprintln!("baokan-search: {error}");
        return ExitCode::from(2);
    }
    let outcome = match cli.command {
        Some(Command::Health { address, service, timeout_secs, ca_cert }) => {
            health(&address, &service, Duration::from_secs(timeout_secs), ca_cert.as_deref()).await
        }
        Some(Command::Verify { index_dir, database_url }) => verify(&index_dir, &database_url).await,
        Some(Command::Serve(args)) => serve(*args).await.map(|()| ExitCode::SUCCESS),
        None => serve(cli.serve).await.map(|()| ExitCode::SUCCESS),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("baokan-search: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn verify(index_dir: &std::path::Path, database_url: &str) -> anyhow::Result<ExitCode> {
    let active = baokan_search::index::active_dir(index_dir);
    let index =
        tantivy::Index::open_in_dir(&active).with_context(|| format!("opening the index in {}", active.display()))?;
    let reader = index.reader().context("reading the index")?;
    let indexed = baokan_search::verify::index_checksums(&reader.searcher())?;
    let pool = baokan_common::db::connect_and_migrate(database_url, 2).await.context("connecting to PostgreSQL")?;
    let report = baokan_search::verify::verify(&pool, indexed).await?;
    println!("{report}");
    Ok(if report.equal() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn health(
    address: &str,
    service: &str,
    timeout: Duration,
    ca_cert: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let ca = match ca_cert {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("reading --ca-cert {}", path.display()))?),
        None => None,
    };
    let status = baokan_search::health_check::check(address, service, timeout, ca.as_deref()).await?;
    println!("{}", status.as_str_name());
    Ok(if status == ServingStatus::Serving { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let database_url = args.database_url.context("DATABASE_URL (or --database-url) is required")?;
    let config = ServerConfig {
        listen: args.listen,
        index_dir: args.index_dir,
        database_url,
        database_patience: Duration::from_secs(args.database_patience_secs),
        metrics_listen: args.metrics_listen,
        limits: args.limits.to_limits()?,
        auth: AuthTokens::load(args.auth_tokens_file.as_deref(), std::env::var("BAOKAN_AUTH_TOKENS").ok().as_deref())?,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsIdentity {
                certificate_pem: std::fs::read(cert)
                    .with_context(|| format!("reading --tls-cert {}", cert.display()))?,
                key_pem: std::fs::read(key).with_context(|| format!("reading --tls-key {}", key.display()))?,
            }),
            _ => None,
        },
        writer_memory_bytes: usize::try_from(args.writer_memory_mib)?.saturating_mul(MIB),
    };
    let server = start(config).await.context("starting baokan-search")?;
    let shutdown = server.shutdown_handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("shutting down");
        let _ = shutdown.send(true);
    });
    server.wait().await.context("serving gRPC")?;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
