//! The `baokan-search` command line: serves search until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baokan_common::metrics_http::MetricsListen;
use baokan_search::server::{start, ServerConfig};
use clap::{Args, Parser, Subcommand};
use tonic_health::pb::health_check_response::ServingStatus;
use tracing::info;

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
    Serve(ServeArgs),
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
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = baokan_common::telemetry::init() {
        eprintln!("baokan-search: {error}");
        return ExitCode::from(2);
    }
    let outcome = match cli.command {
        Some(Command::Health { address, service, timeout_secs }) => {
            health(&address, &service, Duration::from_secs(timeout_secs)).await
        }
        Some(Command::Verify { index_dir, database_url }) => verify(&index_dir, &database_url).await,
        Some(Command::Serve(args)) => serve(args).await.map(|()| ExitCode::SUCCESS),
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

async fn health(address: &str, service: &str, timeout: Duration) -> anyhow::Result<ExitCode> {
    let status = baokan_search::health_check::check(address, service, timeout).await?;
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
