//! The real binaries as child processes: finding them, starting them with
//! quiet logs, and following their peak resident memory while they run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::stats::peak_rss_bytes;

/// The folder holding the workspace binaries: the one of the running
/// executable, or its parent when that is cargo's `deps/` (tests).
pub fn default_bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|name| name == "deps") {
        return dir.parent().map(Path::to_path_buf).unwrap_or(dir);
    }
    dir
}

/// The path of a workspace binary, or an error saying how to build it.
pub fn binary(bin_dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = bin_dir.join(name);
    anyhow::ensure!(
        path.is_file(),
        "{} not found: build it first (cargo build --release -p baokan-ingest -p baokan-search) or pass --bin-dir",
        path.display()
    );
    Ok(path)
}

/// A child process whose peak resident memory is sampled every 20 ms.
pub struct Watched {
    pub child: tokio::process::Child,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Watched {
    /// Starts `program` with `args`, logs at `warn`, output discarded.
    pub fn spawn(program: &Path, args: &[&str], database_url: &str) -> anyhow::Result<Watched> {
        let child = tokio::process::Command::new(program)
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            // No metrics ports: several benches (and tests) may run at once.
            .env("BAOKAN_METRICS_LISTEN", "off")
            .env("BAOKAN_INGEST_METRICS_LISTEN", "off")
            .env("BAOKAN_PROGRESS", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let pid = child.id().unwrap_or(0);
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak_sampler, stop_sampler) = (Arc::clone(&peak), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop_sampler.load(Ordering::Relaxed) {
                match peak_rss_bytes(pid) {
                    Some(bytes) => peak_sampler.fetch_max(bytes, Ordering::Relaxed),
                    None => break,
                };
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Ok(Watched { child, peak, stop })
    }

    /// Highest resident memory seen so far, in bytes.
    pub fn peak_rss(&self) -> u64 {
        let pid = self.child.id().unwrap_or(0);
        let now = peak_rss_bytes(pid).unwrap_or(0);
        self.peak.fetch_max(now, Ordering::Relaxed).max(now)
    }

    /// Waits for the child to exit; fails on a non-zero status.
    pub async fn wait(mut self) -> anyhow::Result<u64> {
        let status = self.child.wait().await?;
        self.stop.store(true, Ordering::Relaxed);
        anyhow::ensure!(status.success(), "child exited with {status}");
        Ok(self.peak.load(Ordering::Relaxed))
    }

    /// Stops the child (SIGKILL through its handle) and returns its peak memory.
    pub async fn stop(mut self) -> u64 {
        let peak = self.peak_rss();
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.child.kill().await;
        peak
    }
}

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
