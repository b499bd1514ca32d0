//! `baokan-search health`: asks a running server's standard gRPC health
//! service whether it serves, for container health checks and scripts (the
//! runtime image needs no extra probe binary).

use std::time::Duration;

use tonic::transport::Endpoint;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Why a health check could not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum HealthCheckError {
    #[error("`{0}` is not a valid server address (expected e.g. http://127.0.0.1:50051)")]
    Address(String),
    #[error("cannot reach {address}: {reason}")]
    Unreachable { address: String, reason: String },
    #[error("health check of {address} failed: {status}")]
    Status { address: String, status: String },
}

/// Returns the serving status the server reports for `service` (empty: the whole server).
pub async fn check(address: &str, service: &str, timeout: Duration) -> Result<ServingStatus, HealthCheckError> {
    let uri = if address.contains("://") { address.to_string() } else { format!("http://{address}") };
    let endpoint = Endpoint::from_shared(uri)
        .map_err(|_| HealthCheckError::Address(address.to_string()))?
        .connect_timeout(timeout)
        .timeout(timeout);
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| HealthCheckError::Unreachable { address: address.to_string(), reason: error.to_string() })?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest { service: service.to_string() })
        .await
        .map_err(|status| HealthCheckError::Status {
            address: address.to_string(),
            status: format!("{:?}: {}", status.code(), status.message()),
        })?;
    Ok(ServingStatus::try_from(response.into_inner().status).unwrap_or(ServingStatus::Unknown))
}
