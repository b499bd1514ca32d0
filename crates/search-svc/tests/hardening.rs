//! Untrusted clients: every limit answers with the right code and names the
//! setting, concurrency beyond the limits is refused at once, exports are
//! paced, deadlines are honoured and cancelled searches stop, bearer tokens
//! guard the search service (not health or reflection) and never reach the
//! log, and TLS serves clients that verify the certificate.

mod support;

use std::time::{Duration, Instant};

use baokan_search::auth::AuthTokens;
use baokan_search::cancel::Cancellation;
use baokan_search::limits::Limits;
use baokan_search::proto::search_service_client::SearchServiceClient;
use baokan_search::proto::{ExportRequest, HighlightOptions, SearchFilter, SearchRequest, SuggestRequest};
use baokan_search::server::{ServerConfig, TlsIdentity};
use support::{harness_with, seeds_dir, start_server_with};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::Code;

fn config(database_url: &str, index_dir: &std::path::Path) -> ServerConfig {
    ServerConfig {
        database_patience: Duration::from_secs(5),
        ..ServerConfig::new("127.0.0.1:0".parse().unwrap(), index_dir.to_path_buf(), database_url.to_string())
    }
}

fn query(text: &str) -> SearchRequest {
    SearchRequest { query: text.into(), ..Default::default() }
}

async fn refused(client: &mut SearchServiceClient<Channel>, request: SearchRequest) -> tonic::Status {
    client.search(request).await.expect_err("the request is refused")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_a_limit_are_invalid_and_name_the_setting() {
    let database = baokan_common::testing::fresh_database().await;
    baokan_ingest::run::run(&database.pool, &[seeds_dir()], &Default::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_query_chars: 20,
        max_query_terms: 3,
        max_page_size: 5,
        max_snippet_chars: 50,
        max_filter_values: 2,
        ..Limits::default()
    };
    let (_server, mut client) = start_server_with(ServerConfig { limits, ..config(&database.url, index.path()) }).await;

    let cases = [
        (query(&"两山".repeat(11)), "22 characters, at most 20 allowed (--max-query-chars)"),
        (query("甲乙 丙丁 戊己 庚辛"), "4 words and phrases, at most 3 allowed (--max-query-terms)"),
        (SearchRequest { page_size: 6, ..query("两山") }, "page_size 6 is above the maximum of 5 (--max-page-size)"),
        (
            SearchRequest {
                highlight: Some(HighlightOptions { snippet_chars: 51, ..Default::default() }),
                ..query("两山")
            },
            "between 1 and 50, got 51 (--max-snippet-chars)",
        ),
        (
            SearchRequest {
                filter: Some(SearchFilter {
                    papers: vec!["甲".into(), "乙".into(), "丙".into()],
                    ..Default::default()
                }),
                ..query("两山")
            },
            "filter.papers has 3 values, at most 2 allowed (--max-filter-values)",
        ),
    ];
    for (request, expected) in cases {
        let status = refused(&mut client, request).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(expected), "{} should contain {expected}", status.message());
    }
    let suggest = client.suggest(SuggestRequest { prefix: "杨".repeat(21), limit: 0 }).await.unwrap_err();
    assert_eq!(suggest.code(), Code::InvalidArgument);
    // At the limits, requests work.
    let ok = client.search(SearchRequest { page_size: 5, ..query("两山 万步有约 OR 贠娟绸") }).await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused_before_decoding() {
    let database = baokan_common::testing::fresh_database().await;
    let index = tempfile::tempdir().unwrap();
    let limits = Limits { max_request_bytes: 4096, ..Limits::default() };
    let (_server, mut client) = start_server_with(ServerConfig { limits, ..config(&database.url, index.path()) }).await;
    let status = refused(&mut client, query(&"字".repeat(5000))).await;
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(status.message().contains("too large"), "{}", status.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_concurrency_limits_requests_are_refused_not_queued_and_exports_are_paced() {
    let database = baokan_common::testing::fresh_database().await;
    baokan_ingest::run::run(&database.pool, &[seeds_dir()], &Default::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_concurrent_requests: 2,
        max_concurrent_exports: 2,
        export_articles_per_second: 10,
        ..Limits::default()
    };
    let (_server, mut client) = start_server_with(ServerConfig { limits, ..config(&database.url, index.path()) }).await;
    let export = |client: &mut SearchServiceClient<Channel>| {
        let mut client = client.clone();
        async move { client.export(ExportRequest { query: "的".into(), filter: None }).await }
    };
    // Two slow exports hold both request permits...
    let started = Instant::now();
    let mut first = export(&mut client).await.unwrap().into_inner();
    let second = export(&mut client).await.unwrap().into_inner();
    // ... so a search and a third export are refused at once.
    let busy = refused(&mut client, query("两山")).await;
    assert_eq!(busy.code(), Code::ResourceExhausted, "{busy:?}");
    assert!(busy.message().contains("--max-concurrent-requests"), "{}", busy.message());
    let third = export(&mut client).await.unwrap_err();
    assert_eq!(third.code(), Code::ResourceExhausted);

    // The export is paced at 10 articles per second.
    let mut received = 0;
    while received < 15 {
        first.message().await.unwrap().expect("an article");
        received += 1;
    }
    assert!(started.elapsed() >= Duration::from_millis(1400), "15 articles at 10/s took {:?}", started.elapsed());

    // Leaving the streams frees the permits.
    drop(first);
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match client.search(query("两山")).await {
            Ok(_) => break,
            Err(status) if status.code() == Code::ResourceExhausted && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(status) => panic!("permits were not released: {status:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deadline_is_honoured_and_a_cancelled_search_stops() {
    let mut h = harness_with(&[seeds_dir()]).await;
    // A call that cannot finish in time (an export paced at 2 articles per
    // second, 300 ms allowed) ends with the deadline, not when the work is done.
    let database = baokan_common::testing::fresh_database().await;
    baokan_ingest::run::run(&database.pool, &[seeds_dir()], &Default::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let limits = Limits { export_articles_per_second: 2, ..Limits::default() };
    let (_server, mut slow) = start_server_with(ServerConfig { limits, ..config(&database.url, index.path()) }).await;
    let started = Instant::now();
    let mut request = tonic::Request::new(ExportRequest { query: "的".into(), filter: None });
    request.set_timeout(Duration::from_millis(300));
    let status = match slow.export(request).await {
        Ok(response) => {
            let mut stream = response.into_inner();
            loop {
                match stream.message().await {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("the export finished despite the deadline"),
                    Err(status) => break status,
                }
            }
        }
        Err(status) => status,
    };
    assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "stopped at the deadline: {:?}", started.elapsed());
    assert!(h.client.search(query("两山")).await.is_ok(), "the server is fine afterwards");

    // The work itself stops: a raised flag ends the search with Cancelled.
    let index = tantivy::Index::open_in_dir(baokan_search::index::active_dir(h.index_dir.path())).unwrap();
    baokan_search::analyzer::register(&index);
    let searcher = index.reader().unwrap().searcher();
    let (_, fields) = baokan_search::schema::IndexFields::build();
    let params = baokan_search::search::SearchParams {
        query: baokan_search::query::parse_query("两山").unwrap(),
        page_size: 10,
        offset: 0,
        filter: Default::default(),
        sort: baokan_search::search::Sort::Relevance,
        highlight: Default::default(),
        facets: baokan_search::search::FacetRoot::ALL.to_vec(),
        collapse_wire_copies: false,
    };
    let cancel = Cancellation::new();
    let found = baokan_search::search::execute_cancellable(&searcher, &fields, &params, &cancel).unwrap();
    assert!(found.total_hits > 0);
    cancel.cancel();
    let stopped = baokan_search::search::execute_cancellable(&searcher, &fields, &params, &cancel);
    assert!(matches!(stopped, Err(baokan_search::error::SearchError::Cancelled)), "{stopped:?}");
}

const TOKEN: &str = "s3cret-token-for-tests-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_guard_search_but_not_health_or_reflection() {
    let database = baokan_common::testing::fresh_database().await;
    baokan_ingest::run::run(&database.pool, &[seeds_dir()], &Default::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let auth = AuthTokens::load(None, Some(TOKEN)).unwrap();
    let server =
        baokan_search::server::start(ServerConfig { auth, ..config(&database.url, index.path()) }).await.unwrap();
    let address = format!("http://{}", server.local_addr);
    let channel = Endpoint::from_shared(address.clone()).unwrap().connect().await.unwrap();

    let mut anonymous = SearchServiceClient::new(channel.clone());
    let status = anonymous.search(query("两山")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("authorization: Bearer"), "{}", status.message());

    let bearer = |token: &'static str| {
        move |mut request: tonic::Request<()>| {
            request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
            Ok(request)
        }
    };
    let mut wrong = SearchServiceClient::with_interceptor(channel.clone(), bearer("s3cret-token-for-tests-0123456780"));
    assert_eq!(wrong.search(query("两山")).await.unwrap_err().code(), Code::Unauthenticated);
    let mut right = SearchServiceClient::with_interceptor(channel.clone(), bearer(TOKEN));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = right.search(query("万步有约")).await.expect("a valid token is accepted").into_inner();
        if found.total_hits > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "never found the seed article");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Health answers without a token (probes carry none).
    let status = baokan_search::health_check::check(&address, "", Duration::from_secs(3), None).await;
    assert!(status.is_ok(), "{status:?}");
    // Reflection too: grpcurl can list services without a token.
    let grpcurl = std::env::var("BAOKAN_GRPCURL").unwrap_or_else(|_| "grpcurl".into());
    let listed = std::process::Command::new(&grpcurl)
        .args(["-plaintext", &server.local_addr.to_string(), "list"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {grpcurl} (scripts/test installs it): {e}"));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("baokan.v1.SearchService"));
    // And grpcurl with the header searches.
    let searched = std::process::Command::new(&grpcurl)
        .args(["-plaintext", "-H", &format!("authorization: Bearer {TOKEN}"), "-d", r#"{"query": "万步有约"}"#])
        .args([&server.local_addr.to_string(), "baokan.v1.SearchService/Search"])
        .output()
        .unwrap();
    assert!(searched.status.success(), "{}", String::from_utf8_lossy(&searched.stderr));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_the_log_even_at_debug_level() {
    let database = baokan_common::testing::fresh_database().await;
    let index = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = baokan_common::testing::ChildGuard::new(
        std::process::Command::new(env!("CARGO_BIN_EXE_baokan-search"))
            .env("DATABASE_URL", &database.url)
            .env("BAOKAN_INDEX_DIR", index.path())
            .env("BAOKAN_LISTEN", format!("127.0.0.1:{port}"))
            .env("BAOKAN_METRICS_LISTEN", "off")
            .env("BAOKAN_AUTH_TOKENS", TOKEN)
            .env("RUST_LOG", "debug")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let channel = loop {
        if let Ok(channel) = Endpoint::from_shared(address.clone()).unwrap().connect().await {
            break channel;
        }
        assert!(Instant::now() < deadline, "server never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for token in [TOKEN, "a-wrong-token-that-is-long-enough"] {
        let mut client =
            SearchServiceClient::with_interceptor(channel.clone(), move |mut request: tonic::Request<()>| {
                request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
                Ok(request)
            });
        let _ = client.search(query("两山")).await;
    }
    assert!(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let output = child.into_inner().wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("request finished"), "the requests were logged: {log}");
    assert!(!log.contains(TOKEN) && !log.contains("a-wrong-token"), "a token leaked into the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_clients_that_verify_the_certificate() {
    let database = baokan_common::testing::fresh_database().await;
    baokan_ingest::run::run(&database.pool, &[seeds_dir()], &Default::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let certificate_pem = certified.cert.pem();
    let tls = TlsIdentity {
        certificate_pem: certificate_pem.clone().into_bytes(),
        key_pem: certified.signing_key.serialize_pem().into_bytes(),
    };
    let server = baokan_search::server::start(ServerConfig { tls: Some(tls), ..config(&database.url, index.path()) })
        .await
        .unwrap();
    let address = format!("https://localhost:{}", server.local_addr.port());

    let verifying =
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&certificate_pem)).domain_name("localhost");
    let channel =
        Endpoint::from_shared(address.clone()).unwrap().tls_config(verifying).unwrap().connect().await.unwrap();
    let mut client = SearchServiceClient::new(channel);
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.search(query("万步有约")).await.expect("search over TLS").into_inner().total_hits == 0 {
        assert!(Instant::now() < deadline, "never found the seed article");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A client that does not trust the certificate is refused, and so is plaintext.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let untrusting =
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(other.cert.pem())).domain_name("localhost");
    let refused = Endpoint::from_shared(address.clone()).unwrap().tls_config(untrusting).unwrap().connect().await;
    assert!(refused.is_err(), "an unverified server certificate must fail the handshake");
    let plain = SearchServiceClient::connect(format!("http://127.0.0.1:{}", server.local_addr.port())).await;
    let failed = match plain {
        Ok(mut client) => client.search(query("两山")).await.is_err(),
        Err(_) => true,
    };
    assert!(failed, "plaintext is not served when TLS is on");

    // The health command verifies the server with the CA file.
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), &certificate_pem).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baokan-search"))
        .args(["health", "--address", &address, "--ca-cert", &ca.path().to_string_lossy()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "SERVING");
    server.stop().await.unwrap();
}
