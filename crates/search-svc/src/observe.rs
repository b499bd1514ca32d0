//! A tower layer around every gRPC service (search, health, reflection):
//! after each request it logs one line with the status code and latency,
//! inside the request's span (which carries method, query and hits), and
//! feeds the request metrics. The status is read from the response headers:
//! tonic sends errors as trailers-only responses, so a missing `grpc-status`
//! header means the call succeeded (for streams: that it started).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::Code;
use tower::{Layer, Service};
use tracing::{info, warn};

use crate::metrics::SearchMetrics;

/// Wraps services with [`Observe`].
#[derive(Clone)]
pub struct ObserveLayer {
    pub metrics: Arc<SearchMetrics>,
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner, metrics: Arc::clone(&self.metrics) }
    }
}

/// The service [`ObserveLayer`] makes.
#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<SearchMetrics>,
}

/// The canonical upper-case name of a gRPC status code.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The status code a response carries in its headers (OK when none).
fn response_code(headers: &http::HeaderMap) -> Code {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map(Code::from_i32)
        .unwrap_or(Code::Ok)
}

/// The method label: the known services' paths, `other` for anything else
/// (so a client cannot grow the metrics without bound).
fn method_label(path: &str, code: Code) -> String {
    let known = ["/baokan.v1.", "/grpc.health.v1.", "/grpc.reflection."];
    if code != Code::Unimplemented && path.len() <= 128 && known.iter().any(|prefix| path.starts_with(prefix)) {
        path.to_string()
    } else {
        "other".to_string()
    }
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for Observe<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let started = Instant::now();
        let path = request.uri().path().to_string();
        let metrics = Arc::clone(&self.metrics);
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            let elapsed = started.elapsed();
            let latency_ms = elapsed.as_secs_f64() * 1000.0;
            let code = match &result {
                Ok(response) => response_code(response.headers()),
                Err(error) => {
                    warn!(error = %error, "request failed in transport");
                    Code::Internal
                }
            };
            let name = code_name(code);
            metrics.observe_request(&method_label(&path, code), name, elapsed);
            match code {
                Code::Ok | Code::InvalidArgument | Code::NotFound | Code::Cancelled | Code::DeadlineExceeded => {
                    info!(code = name, latency_ms, "request finished")
                }
                _ => warn!(code = name, latency_ms, "request finished"),
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_comes_from_the_grpc_status_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(response_code(&headers), Code::Ok);
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
        assert_eq!(response_code(&headers), Code::InvalidArgument);
        assert_eq!(code_name(response_code(&headers)), "INVALID_ARGUMENT");
    }

    #[test]
    fn unknown_paths_share_one_label() {
        assert_eq!(method_label("/baokan.v1.SearchService/Search", Code::Ok), "/baokan.v1.SearchService/Search");
        assert_eq!(method_label("/evil/%00", Code::Unimplemented), "other");
        assert_eq!(method_label("/baokan.v1.SearchService/Nope", Code::Unimplemented), "other");
    }
}
