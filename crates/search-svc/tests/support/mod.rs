//! Test harness shared by the gRPC test files: a fresh database with pages
//! ingested by the real ingest code, the real server on a loopback port, and
//! a tonic client.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baokan_common::testing::{fresh_database, TestDatabase};
use baokan_ingest::metadata::PageMetadata;
use baokan_search::proto::search_service_client::SearchServiceClient;
use baokan_search::proto::{
    GetIndexStatusRequest, SearchRequest, SearchResponse, VerifyIndexRequest, VerifyIndexResponse,
};
use baokan_search::server::{start, RunningServer, ServerConfig};
use tonic::transport::Channel;

pub fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds")
}

/// A database, an index folder and a running server.
pub struct Harness {
    pub database: TestDatabase,
    pub index_dir: tempfile::TempDir,
    pub server: RunningServer,
    pub client: SearchServiceClient<Channel>,
}

pub async fn start_server(database_url: &str, index_dir: &Path) -> (RunningServer, SearchServiceClient<Channel>) {
    baokan_common::telemetry::init_for_tests();
    let config = ServerConfig {
        database_patience: Duration::from_secs(5),
        metrics_listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), index_dir.to_path_buf(), database_url.to_string())
    };
    start_server_with(config).await
}

/// Starts a server with this configuration and waits until it has caught up.
pub async fn start_server_with(config: ServerConfig) -> (RunningServer, SearchServiceClient<Channel>) {
    baokan_common::telemetry::init_for_tests();
    let server = start(config).await.expect("server starts");
    let mut client =
        SearchServiceClient::connect(format!("http://{}", server.local_addr)).await.expect("client connects");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
        if status.caught_up {
            break;
        }
        assert!(Instant::now() < deadline, "index never caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (server, client)
}

pub async fn harness_with(paths: &[PathBuf]) -> Harness {
    let database = fresh_database().await;
    let summary = baokan_ingest::run::run(&database.pool, paths, &PageMetadata::default()).await.unwrap();
    if summary.pages_failed > 0 {
        let errors: Vec<(String, String)> = sqlx::query_as("SELECT source_path, reason FROM ingest_errors")
            .fetch_all(&database.pool)
            .await
            .unwrap_or_default();
        panic!("the harness's ingest lost pages ({summary}): {errors:?}");
    }
    let index_dir = tempfile::tempdir().unwrap();
    let (server, mut client) = start_server(&database.url, index_dir.path()).await;
    // Caught up must mean equal: say what differs rather than fail a search later.
    let report = wait_equal(&mut client).await;
    assert!(report.equal, "caught up, but the index differs from PostgreSQL: {report:?}");
    Harness { database, index_dir, server, client }
}

/// Waits until VerifyIndex reports the index equal to PostgreSQL (changes
/// may still be in flight), and returns the last report.
pub async fn wait_equal(client: &mut SearchServiceClient<Channel>) -> VerifyIndexResponse {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let report = client.verify_index(VerifyIndexRequest {}).await.unwrap().into_inner();
        if report.equal || Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn search(client: &mut SearchServiceClient<Channel>, query: &str) -> SearchResponse {
    client
        .search(SearchRequest { query: query.into(), page_size: 100, ..Default::default() })
        .await
        .unwrap_or_else(|status| panic!("search {query:?} failed: {status}"))
        .into_inner()
}

pub fn titles(response: &SearchResponse) -> Vec<String> {
    response.hits.iter().map(|h| h.article.as_ref().unwrap().title.clone()).collect()
}

/// Copies the five seeds into `<paper>/<date>/<page>.txt` folders so they
/// carry real metadata, and returns the root folder.
pub fn seeds_with_metadata() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let layout = [
        ("000_d426e6b5030342b4.txt", "山西日报", "2021-04-09", 1),
        ("001_85245450a54b3a6c.txt", "山西日报", "2022-03-04", 1),
        ("002_661331d949bc6e76.txt", "晋中日报", "2021-02-04", 1),
        ("003_c8387fcf9c81d2cd.txt", "太原日报", "2022-05-25", 2),
        ("004_435847ab0598361c.txt", "大同日报", "2021-01-21", 3),
    ];
    for (seed, paper, date, page) in layout {
        let dir = root.path().join(paper).join(date);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(seeds_dir().join(seed), dir.join(format!("{page}.txt"))).unwrap();
    }
    root
}

/// Runs a full search request.
pub async fn search_with(client: &mut SearchServiceClient<Channel>, request: SearchRequest) -> SearchResponse {
    let query = request.query.clone();
    client.search(request).await.unwrap_or_else(|status| panic!("search {query:?} failed: {status}")).into_inner()
}
