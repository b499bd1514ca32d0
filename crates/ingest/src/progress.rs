//! Progress of `baokan-ingest run`: files, megabytes, articles per second and
//! time left. On a terminal it is a live bar (indicatif) and log lines are
//! printed above it; otherwise a plain `progress` log line every few
//! seconds and one at the end, so container logs show how far a run is.

use std::io::{IsTerminal, Write};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::info;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar on a terminal, lines otherwise.
    Auto,
    Bar,
    Lines,
    Off,
}

impl FromStr for ProgressMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "auto" => Ok(ProgressMode::Auto),
            "bar" => Ok(ProgressMode::Bar),
            "lines" => Ok(ProgressMode::Lines),
            "off" => Ok(ProgressMode::Off),
            other => Err(format!("expected auto, bar, lines or off; got `{other}`")),
        }
    }
}

/// The bar being drawn, so log lines can be printed above it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Counts so far.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    files: u64,
    bytes: u64,
    articles: u64,
}

enum Display {
    Hidden,
    Bar(ProgressBar),
    Lines { interval: Duration, last: Instant },
}

/// Reports the progress of one run.
pub struct Progress {
    display: Display,
    started: Instant,
    files_total: u64,
    bytes_total: u64,
    done: Counts,
}

impl Progress {
    /// Shows nothing.
    pub fn hidden() -> Self {
        Progress {
            display: Display::Hidden,
            started: Instant::now(),
            files_total: 0,
            bytes_total: 0,
            done: Counts::default(),
        }
    }

    /// Starts showing progress over `files_total` files of `bytes_total` bytes.
    pub fn start(mode: ProgressMode, files_total: u64, bytes_total: u64, interval: Duration) -> Self {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Lines,
            other => other,
        };
        let display = match mode {
            ProgressMode::Bar => {
                let bar = ProgressBar::with_draw_target(Some(bytes_total), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {msg} ETA {eta}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                if let Ok(mut active) = ACTIVE_BAR.lock() {
                    *active = Some(bar.clone());
                }
                Display::Bar(bar)
            }
            ProgressMode::Lines => Display::Lines { interval, last: Instant::now() },
            ProgressMode::Auto | ProgressMode::Off => Display::Hidden,
        };
        let progress = Progress { display, started: Instant::now(), files_total, bytes_total, done: Counts::default() };
        progress.refresh_message();
        progress
    }

    /// Counts one finished file.
    pub fn file_done(&mut self, bytes: u64, articles: usize) {
        self.done.files += 1;
        self.done.bytes += bytes;
        self.done.articles += articles as u64;
        match &mut self.display {
            Display::Hidden => {}
            Display::Bar(bar) => {
                bar.set_position(self.done.bytes);
                self.refresh_message();
            }
            Display::Lines { interval, last } => {
                if last.elapsed() >= *interval {
                    *last = Instant::now();
                    self.log_line("progress");
                }
            }
        }
    }

    /// Ends the display (a final line in lines mode).
    pub fn finish(&mut self) {
        match &self.display {
            Display::Hidden => {}
            Display::Bar(bar) => {
                bar.finish_and_clear();
                if let Ok(mut active) = ACTIVE_BAR.lock() {
                    *active = None;
                }
            }
            Display::Lines { .. } => self.log_line("progress: done"),
        }
        self.display = Display::Hidden;
    }

    fn articles_per_second(&self) -> f64 {
        self.done.articles as f64 / self.started.elapsed().as_secs_f64().max(0.001)
    }

    /// Seconds left at the current byte rate, when it can be told.
    fn eta_seconds(&self) -> Option<u64> {
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.done.bytes == 0 || elapsed <= 0.0 {
            return None;
        }
        let rate = self.done.bytes as f64 / elapsed;
        Some((self.bytes_total.saturating_sub(self.done.bytes) as f64 / rate).ceil() as u64)
    }

    fn refresh_message(&self) {
        if let Display::Bar(bar) = &self.display {
            bar.set_message(format!(
                "{}/{} files, {} articles ({:.0}/s)",
                self.done.files,
                self.files_total,
                self.done.articles,
                self.articles_per_second()
            ));
        }
    }

    fn log_line(&self, message: &'static str) {
        let megabytes = |bytes: u64| format!("{:.1}", bytes as f64 / 1_048_576.0);
        info!(
            files = %format!("{}/{}", self.done.files, self.files_total),
            megabytes = %format!("{}/{}", megabytes(self.done.bytes), megabytes(self.bytes_total)),
            articles = self.done.articles,
            articles_per_second = %format!("{:.0}", self.articles_per_second()),
            eta_seconds = self.eta_seconds(),
            "{message}"
        );
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
            if let Ok(mut active) = ACTIVE_BAR.lock() {
                *active = None;
            }
        }
    }
}

/// A log writer that prints above the progress bar while one is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

/// One log event, written whole when dropped.
pub struct LogEvent(Vec<u8>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogEvent;

    fn make_writer(&'a self) -> Self::Writer {
        LogEvent(Vec::new())
    }
}

impl Write for LogEvent {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogEvent {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.0);
        let write = || {
            let _ = std::io::stderr().write_all(&bytes);
        };
        let bar = ACTIVE_BAR.lock().ok().and_then(|active| active.clone());
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_bad_ones_are_explained() {
        assert_eq!("lines".parse::<ProgressMode>(), Ok(ProgressMode::Lines));
        assert_eq!("AUTO".parse::<ProgressMode>(), Ok(ProgressMode::Auto));
        assert!("fancy".parse::<ProgressMode>().unwrap_err().contains("auto, bar, lines or off"));
    }

    #[test]
    fn eta_follows_the_byte_rate() {
        let mut progress = Progress::hidden();
        progress.bytes_total = 1000;
        assert_eq!(progress.eta_seconds(), None);
        progress.started = Instant::now() - Duration::from_secs(10);
        progress.file_done(500, 3);
        let eta = progress.eta_seconds().unwrap();
        assert!((9..=11).contains(&eta), "{eta}");
    }
}
