//! Builds the tracing subscriber used by both binaries: human-readable on a
//! terminal, JSON when `BAOKAN_LOG_FORMAT=json`; filter from `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// Default filter when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,tantivy=warn,sqlx=warn";

/// Installs the global subscriber; later calls are ignored.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var("BAOKAN_LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Installs a subscriber for tests, only when `TEST_LOG` is set.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        init();
    }
}
