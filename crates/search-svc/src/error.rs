//! The service's error type and its mapping to gRPC status codes. Internal
//! details (sqlx, tantivy) go to the log, not to the client.

use tonic::Status;

use crate::query::QueryError;

/// Errors a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is malformed (bad query, page size, token).
    #[error("{0}")]
    InvalidArgument(String),
    /// The requested article does not exist.
    #[error("{0}")]
    NotFound(String),
    /// PostgreSQL is unreachable.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A concurrency limit is reached; the client should retry later.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The client went away or its deadline passed; the work was stopped.
    #[error("request cancelled")]
    Cancelled,
    /// tantivy or a task failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<QueryError> for SearchError {
    fn from(error: QueryError) -> Self {
        SearchError::InvalidArgument(error.to_string())
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(error: tantivy::TantivyError) -> Self {
        SearchError::Internal(error.to_string())
    }
}

impl From<tokio::task::JoinError> for SearchError {
    fn from(error: tokio::task::JoinError) -> Self {
        SearchError::Internal(error.to_string())
    }
}

impl From<SearchError> for Status {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::InvalidArgument(message) => Status::invalid_argument(message),
            SearchError::NotFound(message) => Status::not_found(message),
            SearchError::ResourceExhausted(message) => Status::resource_exhausted(message),
            SearchError::Cancelled => Status::cancelled("request cancelled"),
            SearchError::Unavailable(source) => {
                tracing::warn!(error = %source, "request failed: database unavailable");
                Status::unavailable("database unavailable, retry later")
            }
            SearchError::Internal(message) => {
                tracing::error!(error = %message, "request failed");
                Status::internal("internal error")
            }
        }
    }
}
