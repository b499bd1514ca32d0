//! `baokan-search health`: asks a running server's standard gRPC health
//! service whether it serves, for container health checks and scripts (the
//! runtime image needs no extra probe binary).

use std::time::Duration;

use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
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
/// With `ca_pem`, an `https://` server is verified against that CA.
pub async fn check(
    address: &str,
    service: &str,
    timeout: Duration,
    ca_pem: Option<&[u8]>,
) -> Result<ServingStatus, HealthCheckError> {
    let uri = if address.contains("://") { address.to_string() } else { format!("http://{address}") };
    let mut endpoint = Endpoint::from_shared(uri)
        .map_err(|_| HealthCheckError::Address(address.to_string()))?
        .connect_timeout(timeout)
        .timeout(timeout);
    if let Some(ca) = ca_pem {
        let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
        endpoint = endpoint.tls_config(tls).map_err(|error| HealthCheckError::Unreachable {
            address: address.to_string(),
            reason: format!("TLS setup: {error}"),
        })?;
    }
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
