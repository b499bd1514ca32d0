//! PostgreSQL connections: the embedded migrations, pool creation, and a
//! connect loop that waits for the database with backoff.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Connection;

/// The schema migrations, embedded in every binary. sqlx takes a PostgreSQL
/// advisory lock while migrating, so both binaries may start at once.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Channel the article-change trigger notifies on.
pub const CHANGES_CHANNEL: &str = "baokan_article_changes";

/// Errors from connecting to or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The connection string could not be parsed.
    #[error("invalid DATABASE_URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// The database could not be reached.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("cannot apply migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// A connection idle for at least this long is checked with a round trip
/// before it is handed out (PostgreSQL may have restarted or dropped it);
/// one used a moment ago is not. sqlx's default checks every connection on
/// every acquire: a round trip per statement, 3 % of the ingest's CPU and
/// a wake-up of its PostgreSQL backend per page.
pub const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);

/// The pool settings every binary uses: `max_connections`, a 5 s wait for
/// a free connection, and the idle check of [`CHECK_AFTER_IDLE`].
fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|connection, metadata| {
            Box::pin(async move {
                if metadata.idle_for >= CHECK_AFTER_IDLE {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Parses a connection URL, failing early on a malformed one.
pub fn parse_url(url: &str) -> Result<PgConnectOptions, DbError> {
    url.parse::<PgConnectOptions>().map_err(DbError::InvalidUrl)
}

/// Opens a pool and applies the migrations.
pub async fn connect_and_migrate(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    let options = parse_url(url)?;
    let pool = pool_options(max_connections).connect_with(options).await.map_err(DbError::Connect)?;
    MIGRATOR.run(&pool).await.map_err(DbError::Migrate)?;
    Ok(pool)
}

/// A pool that connects on first use (for starting while PostgreSQL is away).
pub fn connect_lazy(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    let options = parse_url(url)?;
    Ok(pool_options(max_connections).connect_lazy_with(options))
}

/// Like [`connect_and_migrate`], but waits for an unreachable database with
/// exponential backoff (up to 5 s between tries) for at most `patience`.
/// Logs once when the database is unreachable and once when it answers.
pub async fn connect_with_retry(url: &str, max_connections: u32, patience: Duration) -> Result<PgPool, DbError> {
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    let mut warned = false;
    loop {
        match connect_and_migrate(url, max_connections).await {
            Ok(pool) => {
                if warned {
                    tracing::info!("postgres reachable again");
                }
                return Ok(pool);
            }
            Err(DbError::Connect(error)) if started.elapsed() < patience => {
                if !warned {
                    tracing::warn!(error = %error, "postgres unreachable, retrying");
                    warned = true;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(other) => return Err(other),
        }
    }
}
