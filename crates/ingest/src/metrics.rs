//! Prometheus metrics of the ingest process: pages by outcome (new,
//! unchanged, replaced, failed), articles and bytes written, and time per
//! page. One registry per process, since one process runs one ingest.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// What happened to a page file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOutcome {
    New,
    Unchanged,
    Replaced,
    Failed,
}

impl PageOutcome {
    fn as_str(self) -> &'static str {
        match self {
            PageOutcome::New => "new",
            PageOutcome::Unchanged => "unchanged",
            PageOutcome::Replaced => "replaced",
            PageOutcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The ingest process's metrics.
pub struct IngestMetrics {
    registry: Registry,
    pages: Family<OutcomeLabels, Counter>,
    articles: Counter,
    bytes: Counter,
    page_seconds: Histogram,
    last_success: Gauge,
}

impl IngestMetrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let pages = Family::<OutcomeLabels, Counter>::default();
        let articles = Counter::default();
        let bytes = Counter::default();
        let page_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        let last_success = Gauge::default();
        registry.register(
            "baokan_ingest_pages",
            "Page files handled, by outcome (failed: see ingest_errors)",
            pages.clone(),
        );
        registry.register("baokan_ingest_articles", "Articles written to PostgreSQL", articles.clone());
        registry.register("baokan_ingest_bytes", "Bytes of page files read", bytes.clone());
        registry.register(
            "baokan_ingest_page_duration_seconds",
            "Time to read, parse and store one page file",
            page_seconds.clone(),
        );
        registry.register(
            "baokan_ingest_last_stored_timestamp_seconds",
            "Unix time of the last page stored or found unchanged",
            last_success.clone(),
        );
        // Every outcome is listed from the start, so a rate of failures is 0, not absent.
        for outcome in [PageOutcome::New, PageOutcome::Unchanged, PageOutcome::Replaced, PageOutcome::Failed] {
            let _ = pages.get_or_create(&OutcomeLabels { outcome: outcome.as_str() });
        }
        IngestMetrics { registry, pages, articles, bytes, page_seconds, last_success }
    }

    /// Records one handled page file.
    pub fn record_page(&self, outcome: PageOutcome, articles: usize, bytes: u64, elapsed: Duration) {
        self.pages.get_or_create(&OutcomeLabels { outcome: outcome.as_str() }).inc();
        self.articles.inc_by(articles as u64);
        self.bytes.inc_by(bytes);
        self.page_seconds.observe(elapsed.as_secs_f64());
        if outcome != PageOutcome::Failed {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            self.last_success.set(i64::try_from(now.as_secs()).unwrap_or(i64::MAX));
        }
    }

    /// Renders every metric as text.
    pub fn render(&self) -> String {
        baokan_common::metrics_http::encode_registry(&self.registry)
    }
}

/// The process's metrics.
pub fn global() -> &'static IngestMetrics {
    static METRICS: OnceLock<IngestMetrics> = OnceLock::new();
    METRICS.get_or_init(IngestMetrics::new)
}

/// The scrape callback for the metrics endpoint.
pub fn renderer() -> baokan_common::metrics_http::Render {
    Arc::new(|| Box::pin(async { global().render() }))
}
