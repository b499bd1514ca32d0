//! Test support: a fresh, migrated PostgreSQL database per test, created on
//! the server named by `DATABASE_URL` (default: local server on port 5432).

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgPool;
use sqlx::{Connection, Executor, PgConnection};

/// Prefix of every database a test creates; `scripts/test` drops leftovers.
pub const TEST_DATABASE_PREFIX: &str = "baokan_t_";

/// A database created for one test.
pub struct TestDatabase {
    /// Connection URL of the new database.
    pub url: String,
    /// A migrated pool on it.
    pub pool: PgPool,
}

/// Returns the admin URL tests create databases through.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Creates and migrates a new database with a unique name.
pub async fn fresh_database() -> TestDatabase {
    let url = empty_database().await;
    let pool = crate::db::connect_and_migrate(&url, 8).await.expect("migrate test database");
    TestDatabase { url, pool }
}

/// Creates a new database migrated up to schema version `last_version`
/// only, to test a later migration on data written before it.
pub async fn database_migrated_to(last_version: i64) -> TestDatabase {
    let url = empty_database().await;
    let pool = crate::db::connect_lazy(&url, 8).expect("test database URL");
    let earlier: Vec<sqlx::migrate::Migration> =
        crate::db::MIGRATOR.iter().filter(|migration| migration.version <= last_version).cloned().collect();
    let migrator = sqlx::migrate::Migrator { migrations: earlier.into(), ..sqlx::migrate::Migrator::DEFAULT };
    migrator.run(&pool).await.expect("migrate test database");
    TestDatabase { url, pool }
}

/// Creates a new database with a unique name and no schema; returns its URL.
async fn empty_database() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = admin_url();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name =
        format!("{TEST_DATABASE_PREFIX}{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst), nanos);
    let mut connection = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("tests need PostgreSQL at DATABASE_URL={admin}: {e}"));
    connection.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    replace_database(&admin, &name)
}

/// A child process (a server or watcher a test starts) that is killed and
/// reaped when the guard goes, so a test that fails half-way leaves no
/// process running. Derefs to the [`std::process::Child`].
#[derive(Debug)]
pub struct ChildGuard(Option<std::process::Child>);

impl ChildGuard {
    /// Guards `child`.
    pub fn new(child: std::process::Child) -> Self {
        ChildGuard(Some(child))
    }

    /// The child, no longer guarded (for `wait_with_output`).
    pub fn into_inner(mut self) -> std::process::Child {
        self.0.take().expect("a guarded child is present until into_inner")
    }
}

impl std::ops::Deref for ChildGuard {
    type Target = std::process::Child;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("a guarded child is present until into_inner")
    }
}

impl std::ops::DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut().expect("a guarded child is present until into_inner")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            // Both fail harmlessly when the test has already stopped and reaped it.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Replaces the database name in a postgres URL.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn a_guarded_child_is_killed_and_reaped_when_the_guard_goes() {
        let guard = super::ChildGuard::new(std::process::Command::new("sleep").arg("600").spawn().unwrap());
        let pid = guard.id();
        drop(guard);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"));
        assert!(status.is_err(), "process {pid} is still there: {status:?}");
    }

    #[test]
    fn replaces_the_database_name_and_keeps_parameters() {
        assert_eq!(replace_database("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
        assert_eq!(replace_database("postgres://u@h:5/p?sslmode=disable", "x"), "postgres://u@h:5/x?sslmode=disable");
        assert_eq!(replace_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
    }
}
