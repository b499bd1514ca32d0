//! The `baokan-search` command line: serves search until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use baokan_search::server::{start, ServerConfig};
use clap::Parser;
use tracing::info;

/// Serves gRPC search over newspaper articles, keeping its index current from PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "baokan-search", version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "BAOKAN_LISTEN", default_value = "0.0.0.0:50051")]
    listen: SocketAddr,
    /// Folder of the search index (created if missing).
    #[arg(long, env = "BAOKAN_INDEX_DIR", default_value = ".baokan/index")]
    index_dir: PathBuf,
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Seconds to wait for PostgreSQL at start.
    #[arg(long, env = "BAOKAN_DATABASE_PATIENCE_SECS", default_value_t = 60)]
    database_patience_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    baokan_common::telemetry::init();
    let cli = Cli::parse();
    match serve(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("baokan-search: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: cli.listen,
        index_dir: cli.index_dir,
        database_url: cli.database_url,
        database_patience: Duration::from_secs(cli.database_patience_secs),
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
