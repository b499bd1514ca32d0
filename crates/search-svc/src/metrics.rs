//! Prometheus metrics of one running search service: gRPC request counts and
//! latency by method and status code, the index's state (documents,
//! applied and latest change sequence, lag, segments) and the result
//! cache's hits, misses and size. Gauges are refreshed
//! at scrape time, so they are never stale.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use sqlx::PgPool;

use crate::index::ArticleIndex;
use crate::result_cache::ResultCache;
use crate::sync::SyncStatus;

/// Labels of a finished gRPC request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Full method path, e.g. `/baokan.v1.SearchService/Search`; `other` for unknown paths.
    pub method: String,
    /// Canonical gRPC status name, e.g. `OK`, `INVALID_ARGUMENT`.
    pub code: String,
}

/// The service's metrics and their registry.
pub struct SearchMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    documents: Gauge,
    applied_sequence: Gauge,
    latest_sequence: Gauge,
    lag: Gauge,
    caught_up: Gauge,
    segments: Gauge,
    postgres_up: Gauge,
    results: Arc<ResultCache>,
    cached_answers: Gauge,
    cached_bytes: Gauge,
}

/// Bucket bounds of request latency: 100 µs doubling to about 3.3 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl SearchMetrics {
    /// The metrics of a service whose recent answers `results` keeps.
    pub fn new(results: Arc<ResultCache>) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register("baokan_grpc_requests", "Finished gRPC requests by method and status code", requests.clone());
        registry.register(
            "baokan_grpc_request_duration_seconds",
            "Time from a gRPC request's arrival to its response headers, by method and status code",
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let documents = gauge(&mut registry, "baokan_index_documents", "Articles in the search index");
        let applied_sequence = gauge(
            &mut registry,
            "baokan_index_applied_sequence",
            "Last PostgreSQL change sequence applied to the index",
        );
        let latest_sequence =
            gauge(&mut registry, "baokan_index_latest_sequence", "Latest change sequence committed in PostgreSQL");
        let lag =
            gauge(&mut registry, "baokan_index_lag_changes", "Changes committed in PostgreSQL but not yet indexed");
        let caught_up =
            gauge(&mut registry, "baokan_index_caught_up", "1 once the index has caught up with PostgreSQL");
        let segments = gauge(&mut registry, "baokan_index_segments", "Segments in the search index");
        let postgres_up = gauge(&mut registry, "baokan_postgres_up", "1 when PostgreSQL answered the last scrape");
        registry.register(
            "baokan_result_cache_hits",
            "Searches answered from the answers of recent searches",
            results.hits(),
        );
        registry.register(
            "baokan_result_cache_misses",
            "Searches looked up in the result cache and run",
            results.misses(),
        );
        let cached_answers = gauge(&mut registry, "baokan_result_cache_answers", "Answers kept in the result cache");
        let cached_bytes = gauge(&mut registry, "baokan_result_cache_bytes", "Bytes the result cache's answers hold");
        SearchMetrics {
            registry,
            requests,
            latency,
            documents,
            applied_sequence,
            latest_sequence,
            lag,
            caught_up,
            segments,
            postgres_up,
            results,
            cached_answers,
            cached_bytes,
        }
    }

    /// Records one finished request.
    pub fn observe_request(&self, method: &str, code: &str, elapsed: Duration) {
        let labels = RequestLabels { method: method.to_string(), code: code.to_string() };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Refreshes the index gauges and renders every metric as text.
    pub async fn render(&self, index: &ArticleIndex, status: &SyncStatus, pool: &PgPool) -> String {
        let applied = status.applied_sequence.load(Ordering::SeqCst);
        let latest = tokio::time::timeout(
            Duration::from_secs(1),
            sqlx::query_scalar::<_, Option<i64>>("SELECT max(sequence) FROM article_changes").fetch_one(pool),
        )
        .await;
        let latest = match latest {
            Ok(Ok(latest)) => {
                self.postgres_up.set(1);
                latest.unwrap_or(0)
            }
            _ => {
                self.postgres_up.set(0);
                applied
            }
        };
        self.documents.set(i64::try_from(index.documents()).unwrap_or(i64::MAX));
        self.applied_sequence.set(applied);
        self.latest_sequence.set(latest);
        self.lag.set((latest - applied).max(0));
        self.caught_up.set(i64::from(status.caught_up.load(Ordering::SeqCst)));
        self.segments.set(i64::try_from(index.segments()).unwrap_or(i64::MAX));
        let (answers, bytes) = self.results.size();
        self.cached_answers.set(i64::try_from(answers).unwrap_or(i64::MAX));
        self.cached_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        baokan_common::metrics_http::encode_registry(&self.registry)
    }
}

/// Builds the scrape callback for the metrics endpoint.
pub fn renderer(
    metrics: Arc<SearchMetrics>,
    index: Arc<ArticleIndex>,
    status: Arc<SyncStatus>,
    pool: PgPool,
) -> baokan_common::metrics_http::Render {
    Arc::new(move || {
        let (metrics, index, status, pool) =
            (Arc::clone(&metrics), Arc::clone(&index), Arc::clone(&status), pool.clone());
        Box::pin(async move { metrics.render(&index, &status, &pool).await })
    })
}
