//! Wires the service together: PostgreSQL pool, index, follower, gRPC server
//! with health and reflection, request observation and the metrics endpoint. `start` returns once the port is bound, so
//! tests can run the real server on port 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, ServerTlsConfig};
use tonic_health::ServingStatus;
use tracing::{info, warn};

use baokan_common::metrics_http::{serve_metrics, MetricsListen};
use tracing::field::Empty;

use crate::analyzer::{self, ANALYSIS_VERSION};
use crate::auth::{AuthInterceptor, AuthTokens};
use crate::index::{ArticleIndex, CommitState, IndexError};
use crate::limits::Limits;
use crate::metrics::{renderer, SearchMetrics};
use crate::observe::ObserveLayer;
use crate::proto::search_service_server::SearchServiceServer;
use crate::proto::FILE_DESCRIPTOR_SET;
use crate::result_cache::ResultCache;
use crate::search_pool::SearchPool;
use crate::service::SearchServiceImpl;
use crate::sync::{database_instance, Follower, SyncStatus};

/// What the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Folder of the tantivy index.
    pub index_dir: PathBuf,
    /// PostgreSQL connection URL.
    pub database_url: String,
    /// How long to wait for PostgreSQL at start.
    pub database_patience: Duration,
    /// Where the Prometheus endpoint listens, or off.
    pub metrics_listen: MetricsListen,
    /// Request limits.
    pub limits: Limits,
    /// Bearer tokens required by the search service (None: no authentication).
    pub auth: Option<AuthTokens>,
    /// Server certificate chain and private key, PEM (None: plaintext).
    pub tls: Option<TlsIdentity>,
    /// Memory budget of the index writer, in bytes.
    pub writer_memory_bytes: usize,
}

/// A server certificate chain and its private key, both PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    pub certificate_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity(..)")
    }
}

impl ServerConfig {
    /// A plaintext configuration with default limits and no authentication.
    pub fn new(listen: SocketAddr, index_dir: PathBuf, database_url: String) -> Self {
        ServerConfig {
            listen,
            index_dir,
            database_url,
            database_patience: Duration::from_secs(60),
            metrics_listen: MetricsListen::Off,
            limits: Limits::default(),
            auth: None,
            tls: None,
            writer_memory_bytes: crate::index::WRITER_MEMORY_BYTES,
        }
    }
}

/// Errors that prevent the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] baokan_common::DbError),
    #[error("cannot read the database instance: {0}")]
    Instance(#[source] sqlx::Error),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Metrics(#[from] baokan_common::metrics_http::MetricsError),
    #[error(transparent)]
    Limits(#[from] crate::limits::LimitsError),
    #[error("TLS setup failed (check --tls-cert and --tls-key): {0}")]
    Tls(#[source] tonic::transport::Error),
    #[error("reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("startup task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("cannot start the search threads: {0}")]
    SearchThreads(#[source] std::io::Error),
}

/// A started server.
pub struct RunningServer {
    /// The bound address.
    pub local_addr: SocketAddr,
    /// The metrics endpoint's bound address, when it is on.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    follower: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting requests, finishes in-flight ones and stops the follower.
    pub async fn stop(self) -> Result<(), tonic::transport::Error> {
        let _ = self.shutdown.send(true);
        // In-flight requests finish first; then the follower closes the pool.
        let result = self.server.await.unwrap_or(Ok(()));
        let _ = self.follower.await;
        result
    }

    /// Waits until the server ends (after `stop` from elsewhere or a fatal error).
    pub async fn wait(self) -> Result<(), tonic::transport::Error> {
        let result = self.server.await.unwrap_or(Ok(()));
        let _ = self.shutdown.send(true);
        let _ = self.follower.await;
        result
    }

    /// A handle that stops the server when sent `true`.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Starts the server: connects, opens the index, binds, serves.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    config.limits.validate()?;
    let (pool, instance) =
        match baokan_common::db::connect_with_retry(&config.database_url, 8, config.database_patience).await {
            Ok(pool) => {
                let instance = database_instance(&pool).await.map_err(StartError::Instance)?;
                (pool, Some(instance))
            }
            Err(baokan_common::DbError::Connect(error)) => {
                // Serve the last index meanwhile; the follower connects, migrates
                // and catches up when PostgreSQL returns.
                warn!(error = %error, "postgres unreachable at start: serving the existing index");
                (baokan_common::db::connect_lazy(&config.database_url, 8)?, None)
            }
            Err(other) => return Err(other.into()),
        };
    let index_dir = config.index_dir.clone();
    let opened_instance = instance.clone();
    let writer_memory_bytes = config.writer_memory_bytes;
    let (index, state) = tokio::task::spawn_blocking(move || {
        analyzer::warm_up();
        ArticleIndex::open_with(&index_dir, opened_instance.as_deref(), writer_memory_bytes)
    })
    .await??;
    let index = Arc::new(index);
    let state = state.unwrap_or(CommitState {
        analysis_version: ANALYSIS_VERSION,
        instance: instance.unwrap_or_default(),
        watermark_xid: 0,
        applied_sequence: 0,
        dictionary_version: 0,
    });
    info!(index_dir = %config.index_dir.display(), documents = index.documents(), applied_sequence = state.applied_sequence, "index opened");

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_not_serving::<SearchServiceServer<SearchServiceImpl>>().await;
    health_reporter.set_service_status("", ServingStatus::NotServing).await;

    let status = Arc::new(SyncStatus::default());
    status
        .rebuilding
        .store(state.applied_sequence == 0 && state.watermark_xid == 0, std::sync::atomic::Ordering::SeqCst);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (caught_up_tx, mut caught_up_rx) = watch::channel(false);
    let follower = Follower::new(pool.clone(), Arc::clone(&index), Arc::clone(&status), state);
    let follower = tokio::spawn(follower.run(shutdown_rx.clone(), caught_up_tx));
    tokio::spawn(async move {
        if caught_up_rx.wait_for(|caught_up| *caught_up).await.is_ok() {
            health_reporter.set_serving::<SearchServiceServer<SearchServiceImpl>>().await;
            health_reporter.set_service_status("", ServingStatus::Serving).await;
        }
    });

    // Both reflection versions know every service (grpcurl 1.8 speaks v1alpha).
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
            .include_reflection_service(false)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let results = Arc::new(ResultCache::new(config.limits.result_cache_mib.saturating_mul(1024 * 1024)));
    crate::word_bits::set_capacity(config.limits.word_bits_cache_mib.saturating_mul(1024 * 1024));
    let metrics = Arc::new(SearchMetrics::new(Arc::clone(&results)));
    let metrics_addr = match config.metrics_listen {
        MetricsListen::Off => None,
        MetricsListen::On(address) => {
            let render = renderer(Arc::clone(&metrics), Arc::clone(&index), Arc::clone(&status), pool.clone());
            Some(serve_metrics(address, render, shutdown_rx.clone()).await?.local_addr)
        }
    };
    let limits = config.limits.clone();
    let search_threads = SearchPool::start(limits.search_threads).map_err(StartError::SearchThreads)?;
    let service = SearchServiceImpl::new(index, pool, status, limits.clone(), search_threads, results);
    let search_service = InterceptedService::new(
        SearchServiceServer::new(service)
            .max_decoding_message_size(limits.max_request_bytes)
            .max_encoding_message_size(limits.max_response_bytes),
        AuthInterceptor(config.auth.clone()),
    );
    if config.auth.is_some() {
        info!("bearer-token authentication on for baokan.v1.SearchService");
    }
    let mut builder = tonic::transport::Server::builder().timeout(limits.request_timeout);
    if let Some(identity) = &config.tls {
        let tls = ServerTlsConfig::new().identity(Identity::from_pem(&identity.certificate_pem, &identity.key_pem));
        builder = builder.tls_config(tls).map_err(StartError::Tls)?;
    }

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen { address: config.listen, source })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Listen { address: config.listen, source })?;
    let mut server_shutdown = shutdown_rx;
    let server = tokio::spawn(
        builder
            .trace_fn(
                |request| tracing::info_span!("grpc", method = %request.uri().path(), query = Empty, hits = Empty, cached = Empty),
            )
            .layer(ObserveLayer { metrics })
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(search_service)
            // TcpIncoming sets TCP_NODELAY (serve_with_incoming ignores the builder's
            // setting): without it every response waits ~40 ms for a delayed ACK.
            .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), async move {
                let _ = server_shutdown.wait_for(|stop| *stop).await;
            }),
    );
    info!(address = %local_addr, tls = config.tls.is_some(), "baokan-search listening");
    Ok(RunningServer { local_addr, metrics_addr, shutdown, server, follower })
}
