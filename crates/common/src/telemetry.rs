//! Builds the tracing subscriber used by both binaries: human-readable on a
//! terminal, JSON when `BAOKAN_LOG_FORMAT=json`; filter from `RUST_LOG`.
//! A setting it cannot understand is an error, so a binary can refuse to
//! start with one clear line instead of logging in an unexpected way.

use tracing_subscriber::EnvFilter;

/// Default filter when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,tantivy=warn,sqlx=warn";

/// A logging setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("BAOKAN_LOG_FORMAT must be `text` or `json`, got `{0}`")]
    Format(String),
    #[error("RUST_LOG `{value}` is not a valid filter: {reason}")]
    Filter { value: String, reason: String },
}

/// Installs the global subscriber from the environment, logging to stderr;
/// later calls are ignored.
pub fn init() -> Result<(), TelemetryError> {
    init_with_writer(std::io::stderr)
}

/// Like [`init`], logging through `writer` (e.g. one that prints above a progress bar).
pub fn init_with_writer<W>(writer: W) -> Result<(), TelemetryError>
where
    W: for<'writer> tracing_subscriber::fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(&value)
            .map_err(|error| TelemetryError::Filter { value: value.clone(), reason: error.to_string() })?,
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    let json = match std::env::var("BAOKAN_LOG_FORMAT") {
        Err(_) => false,
        Ok(format) if format.is_empty() || format.eq_ignore_ascii_case("text") => false,
        Ok(format) if format.eq_ignore_ascii_case("json") => true,
        Ok(other) => return Err(TelemetryError::Format(other)),
    };
    // Colours only on a terminal: log files and pipes get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
    Ok(())
}

/// Installs a subscriber for tests, only when `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = init();
    }
}
