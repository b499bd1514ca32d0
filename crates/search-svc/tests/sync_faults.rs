//! The index always equals PostgreSQL, checked with real processes: the
//! `baokan-search` binary killed with SIGKILL during catch-up and restarted,
//! changes made while it is down, a damaged segment file, and the
//! `VerifyIndex` RPC and `baokan-search verify` command that prove equality.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use baokan_common::testing::{fresh_database, ChildGuard};
use baokan_ingest::metadata::PageMetadata;
use baokan_search::proto::search_service_client::SearchServiceClient;
use baokan_search::proto::GetIndexStatusRequest;
use support::wait_equal;
use tonic::transport::Channel;

/// A free loopback port (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the real binary.
fn spawn_search(database_url: &str, index_dir: &Path, port: u16) -> ChildGuard {
    spawn_search_logging(database_url, index_dir, port, Stdio::null())
}

/// Starts the real binary with its log going to `log`.
fn spawn_search_logging(database_url: &str, index_dir: &Path, port: u16, log: impl Into<Stdio>) -> ChildGuard {
    ChildGuard::new(
        Command::new(env!("CARGO_BIN_EXE_baokan-search"))
            .env("BAOKAN_METRICS_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("BAOKAN_INDEX_DIR", index_dir)
            .env("BAOKAN_LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start baokan-search"),
    )
}

/// Connects once the server answers and has caught up.
async fn connect_caught_up(port: u16) -> SearchServiceClient<Channel> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut client) = SearchServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            if let Ok(status) = client.get_index_status(GetIndexStatusRequest {}).await {
                if status.into_inner().caught_up {
                    return client;
                }
            }
        }
        assert!(Instant::now() < deadline, "baokan-search never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes `count` small pages into a folder.
fn write_pages(dir: &Path, count: usize, word: &str) {
    for page in 0..count {
        let text = format!(
            "本报讯（记者 张{page}）第{page}号稿件谈到{word}的进展。\n\n第{page}号标题\n\n\
             本报讯（记者 李{page}）第{page}号副稿也谈到{word}。\n\n第{page}号副标题\n"
        );
        std::fs::write(dir.join(format!("{page:04}.txt")), text).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_catch_up_then_restart_leaves_an_equal_index() {
    let database = fresh_database().await;
    let pages = tempfile::tempdir().unwrap();
    write_pages(pages.path(), 600, "黄河治理");
    baokan_ingest::run::run(&database.pool, &[pages.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();

    // Kill at several moments of the first catch-up.
    for delay in [150u64, 400, 900] {
        let port = free_port();
        let mut child = spawn_search(&database.url, index.path(), port);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
    }
    // Changes land while nothing runs: a replaced page and a deleted page.
    std::fs::write(pages.path().join("0001.txt"), "本报讯（记者 王五）改写后的稿件谈到长江保护。\n\n改写标题\n")
        .unwrap();
    baokan_ingest::run::run(&database.pool, &[pages.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    let deleted = baokan_ingest::run::source_path_of(&pages.path().join("0002.txt"));
    baokan_ingest::store::delete_pages(&database.pool, &[deleted], &[]).await.unwrap();

    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;
    let report = wait_equal(&mut client).await;
    assert!(report.equal, "index differs from PostgreSQL after kill -9 and restart: {report:?}");
    assert_eq!(report.postgres_articles, 600 * 2 - 1 - 2);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_a_stale_index_and_a_restart_repairs_it() {
    let database = fresh_database().await;
    let pages = tempfile::tempdir().unwrap();
    write_pages(pages.path(), 20, "汾河");
    baokan_ingest::run::run(&database.pool, &[pages.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;
    assert!(wait_equal(&mut client).await.equal);
    let _ = child.kill();
    let _ = child.wait();

    // While the service is down: one article changed, one page deleted.
    sqlx::query("UPDATE articles SET title = '改过的标题' WHERE id = (SELECT min(id) FROM articles)")
        .execute(&database.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM pages WHERE id = (SELECT max(id) FROM pages)").execute(&database.pool).await.unwrap();
    let verify = Command::new(env!("CARGO_BIN_EXE_baokan-search"))
        .env("BAOKAN_METRICS_LISTEN", "127.0.0.1:0")
        .args(["verify", "--index-dir", &index.path().to_string_lossy(), "--database-url", &database.url])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "differences make verify fail: {printed}");
    assert!(printed.contains("differences 3"), "one stale, two deleted: {printed}");

    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;
    let report = wait_equal(&mut client).await;
    assert!(report.equal, "{report:?}");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_segment_file_is_detected_and_rebuilt() {
    let database = fresh_database().await;
    let pages = tempfile::tempdir().unwrap();
    write_pages(pages.path(), 30, "太行山");
    baokan_ingest::run::run(&database.pool, &[pages.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;
    assert!(wait_equal(&mut client).await.equal);
    let _ = child.kill();
    let _ = child.wait();

    // Truncate the largest file of a live segment (files of segments merged
    // away just before the kill may still lie there, unread).
    let active = baokan_search::index::active_dir(index.path());
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(active.join("meta.json")).unwrap()).unwrap();
    let live: Vec<String> = meta["segments"]
        .as_array()
        .expect("segments in meta.json")
        .iter()
        .filter_map(|segment| segment["segment_id"].as_str().map(|id| id.replace('-', "")))
        .collect();
    assert!(!live.is_empty(), "{meta}");
    let largest = std::fs::read_dir(&active)
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            live.iter().any(|id| name.starts_with(&format!("{id}."))) && !name.ends_with(".json")
        })
        .max_by_key(|entry| entry.metadata().map(|m| m.len()).unwrap_or(0))
        .expect("segment files");
    let length = largest.metadata().unwrap().len();
    std::fs::OpenOptions::new().write(true).open(largest.path()).unwrap().set_len(length / 2).unwrap();

    let port = free_port();
    let log_path = pages.path().join("search.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = spawn_search_logging(&database.url, index.path(), port, log);
    let mut client = connect_caught_up(port).await;
    let report = wait_equal(&mut client).await;
    assert!(report.equal, "{report:?}");
    assert_eq!(report.index_documents, 60);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("index files damaged: rebuilding"), "the damage was detected: {log}");
    let status = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    assert_eq!((status.rebuilding, status.progress, status.documents), (false, 1.0, 60), "{status:?}");
    let _ = child.kill();
    let _ = child.wait();
}

/// A TCP proxy in front of PostgreSQL that a test can cut (an outage, as
/// the service sees it) and restore, without touching the shared server.
struct CuttableProxy {
    port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> CuttableProxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (accept_open, accept_connections) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_open.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                accept_connections.lock().unwrap().push(task);
            }
        });
        CuttableProxy { port, open, connections }
    }

    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The database URL with its host and port replaced by the proxy's.
    fn url_for(&self, database_url: &str) -> String {
        let scheme_end = database_url.find("://").map(|i| i + 3).unwrap_or(0);
        let rest = &database_url[scheme_end..];
        let host_start = rest.find('@').map(|i| i + 1).unwrap_or(0);
        let host_end = rest[host_start..].find('/').map(|i| host_start + i).unwrap_or(rest.len());
        format!("{}{}127.0.0.1:{}{}", &database_url[..scheme_end], &rest[..host_start], self.port, &rest[host_end..])
    }
}

/// host:port of the PostgreSQL server the tests use.
fn upstream_address() -> String {
    let options: sqlx::postgres::PgConnectOptions = baokan_common::testing::admin_url().parse().unwrap();
    format!("{}:{}", options.get_host(), options.get_port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outages_do_not_stop_search_and_changes_arrive_after_them() {
    let database = fresh_database().await;
    let pages = tempfile::tempdir().unwrap();
    write_pages(pages.path(), 10, "雁门关");
    baokan_ingest::run::run(&database.pool, &[pages.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    let proxy = CuttableProxy::start(upstream_address()).await;
    let through_proxy = proxy.url_for(&database.url);
    let index = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_search(&through_proxy, index.path(), port);
    let mut client = connect_caught_up(port).await;

    // Outage while serving: search answers from the index; a change made
    // meanwhile arrives once PostgreSQL is back.
    proxy.cut();
    let search = |query: &str| baokan_search::proto::SearchRequest { query: query.into(), ..Default::default() };
    let during = client.search(search("雁门关")).await.expect("search answers while postgres is away");
    assert_eq!(during.into_inner().total_hits, 20);
    let late = pages.path().join("late.txt");
    std::fs::write(&late, "本报讯（记者 赵六）停电期间写入的稿件提到娘子关。\n\n娘子关稿件\n").unwrap();
    baokan_ingest::run::run(&database.pool, &[late], &PageMetadata::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.search(search("娘子关")).await.unwrap().into_inner().total_hits != 1 {
        assert!(Instant::now() < deadline, "the change made during the outage never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();

    // Outage at start: the last index is served, and it catches up later.
    proxy.cut();
    let port = free_port();
    let mut child = ChildGuard::new(
        Command::new(env!("CARGO_BIN_EXE_baokan-search"))
            .env("BAOKAN_METRICS_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", &through_proxy)
            .env("BAOKAN_INDEX_DIR", index.path())
            .env("BAOKAN_LISTEN", format!("127.0.0.1:{port}"))
            .env("BAOKAN_DATABASE_PATIENCE_SECS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut client = loop {
        if let Ok(mut client) = SearchServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            if let Ok(found) = client.search(search("娘子关")).await {
                assert_eq!(found.into_inner().total_hits, 1, "the last index is served");
                break client;
            }
        }
        assert!(Instant::now() < deadline, "no search while postgres was away at start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    proxy.restore();
    let report = wait_equal(&mut client).await;
    assert!(report.equal, "{report:?}");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_ingest_with_an_outage_loses_nothing_and_searches_never_fail() {
    let database = fresh_database().await;
    let proxy = CuttableProxy::start(upstream_address()).await;
    let index = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;

    // Ingest 150 pages through the proxy, cutting it for a second mid-run.
    let pages = tempfile::tempdir().unwrap();
    write_pages(pages.path(), 150, "晋祠");
    let ingest_pool = baokan_common::db::connect_and_migrate(&proxy.url_for(&database.url), 2).await.unwrap();
    let folder = pages.path().to_path_buf();
    let ingest =
        tokio::spawn(async move { baokan_ingest::run::run(&ingest_pool, &[folder], &PageMetadata::default()).await });
    let searcher = tokio::spawn(async move {
        let mut failures = 0;
        let mut searches = 0;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(3) {
            let request = baokan_search::proto::SearchRequest { query: "晋祠".into(), ..Default::default() };
            if client.search(request).await.is_err() {
                failures += 1;
            }
            searches += 1;
        }
        (searches, failures, client)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore();
    let summary = ingest.await.unwrap().expect("the run waits out the outage");
    // A commit cut off mid-reply may have landed: the retry then finds the
    // page stored and counts it unchanged. Either way each page is stored once.
    assert_eq!((summary.pages_new + summary.pages_unchanged, summary.pages_failed), (150, 0), "{summary}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM pages").fetch_one(&database.pool).await.unwrap();
    assert_eq!(stored, 150);
    let (searches, failures, mut client) = searcher.await.unwrap();
    assert_eq!(failures, 0, "{failures} of {searches} searches failed during heavy ingest");

    let report = wait_equal(&mut client).await;
    assert!(report.equal, "{report:?}");
    assert_eq!(report.postgres_articles, 300);
    let status = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    assert!(status.segments <= 12, "batched commits keep segments few: {}", status.segments);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_cleanly_and_the_index_reopens_as_it_was() {
    let database = fresh_database().await;
    let pages = tempfile::tempdir().unwrap();
    write_pages(pages.path(), 10, "壶口");
    baokan_ingest::run::run(&database.pool, &[pages.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;
    let before = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    let asked = Instant::now();
    let terminated = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(asked.elapsed() < Duration::from_secs(10), "took {:?} to stop", asked.elapsed());

    let port = free_port();
    let mut child = spawn_search(&database.url, index.path(), port);
    let mut client = connect_caught_up(port).await;
    let after = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    assert_eq!((after.documents, after.applied_sequence), (before.documents, before.applied_sequence));
    assert!(!after.rebuilding);
    let _ = child.kill();
    let _ = child.wait();
}
