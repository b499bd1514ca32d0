//! The Prometheus endpoint both binaries serve: `GET /metrics` answers the
//! text exposition format (OpenMetrics) rendered by the caller's callback at
//! scrape time; anything else is 404. `--metrics-listen off` disables it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// Content type of the OpenMetrics text format that `prometheus-client` writes.
pub const CONTENT_TYPE_OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Renders the current metrics as text; called once per scrape.
pub type Render = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = String> + Send>> + Send + Sync>;

/// Where the metrics endpoint listens, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    Off,
    On(SocketAddr),
}

impl FromStr for MetricsListen {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("off") {
            return Ok(MetricsListen::Off);
        }
        value
            .parse()
            .map(MetricsListen::On)
            .map_err(|_| format!("expected an address like 127.0.0.1:9090, or `off`; got `{value}`"))
    }
}

/// Errors starting the endpoint.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot listen for metrics on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
}

/// A running metrics endpoint.
#[derive(Debug)]
pub struct MetricsEndpoint {
    /// The bound address (useful with port 0).
    pub local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsEndpoint {
    /// Waits for the endpoint to stop (after the shutdown signal).
    pub async fn stopped(self) {
        let _ = self.task.await;
    }
}

/// Encodes a registry in the text format; an encoding failure is logged and
/// yields what was written so far (a scrape never fails the service).
pub fn encode_registry(registry: &prometheus_client::registry::Registry) -> String {
    let mut text = String::new();
    if let Err(error) = prometheus_client::encoding::text::encode(&mut text, registry) {
        warn!(error = %error, "cannot encode metrics");
    }
    text
}

/// Binds `address` and serves `/metrics` until `shutdown` turns true.
pub async fn serve_metrics(
    address: SocketAddr,
    render: Render,
    mut shutdown: watch::Receiver<bool>,
) -> Result<MetricsEndpoint, MetricsError> {
    let listener = TcpListener::bind(address).await.map_err(|source| MetricsError::Listen { address, source })?;
    let local_addr = listener.local_addr().map_err(|source| MetricsError::Listen { address, source })?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let render = Arc::clone(&render);
            async move { ([(CONTENT_TYPE, CONTENT_TYPE_OPENMETRICS)], render().await).into_response() }
        }),
    );
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(error) = served {
            warn!(error = %error, "metrics endpoint failed");
        }
    });
    info!(address = %local_addr, "metrics endpoint listening (GET /metrics)");
    Ok(MetricsEndpoint { local_addr, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_setting_accepts_addresses_and_off() {
        assert_eq!("off".parse::<MetricsListen>(), Ok(MetricsListen::Off));
        assert_eq!("".parse::<MetricsListen>(), Ok(MetricsListen::Off));
        assert_eq!("127.0.0.1:9090".parse::<MetricsListen>(), Ok(MetricsListen::On(([127, 0, 0, 1], 9090).into())));
        let error = ":9090x".parse::<MetricsListen>().unwrap_err();
        assert!(error.contains("127.0.0.1:9090"), "{error}");
    }
}
