//! What an operator sees: Prometheus metrics from a live server, one JSON
//! log line per gRPC request with its method, query, hits, status and
//! latency, the `health` command a container health check runs, settings
//! that are refused at start with one clear line, and a README whose
//! configuration table lists every setting the binaries accept.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baokan_search::proto::{GetIndexStatusRequest, SearchRequest};
use support::{harness_with, search, seeds_dir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GETs a path over plain HTTP/1.0 and returns (status line, body).
async fn http_get(address: SocketAddr, path: &str) -> (String, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("metrics endpoint accepts");
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}

/// The value of the sample whose name and labels start with `prefix`.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix) && line[prefix.len()..].starts_with([' ', '{']))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_method_and_status_and_report_the_index() {
    let mut h = harness_with(&[seeds_dir()]).await;
    for _ in 0..3 {
        search(&mut h.client, "两山").await;
    }
    let rejected = h.client.search(SearchRequest { query: "(两山".into(), ..Default::default() }).await;
    assert_eq!(rejected.unwrap_err().code(), tonic::Code::InvalidArgument);
    let status = h.client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();

    let address = h.server.metrics_addr.expect("metrics are on");
    let (status_line, text) = http_get(address, "/metrics").await;
    assert!(status_line.contains("200"), "{status_line}");
    let search_ok = r#"baokan_grpc_requests_total{method="/baokan.v1.SearchService/Search",code="OK"}"#;
    let search_bad = r#"baokan_grpc_requests_total{method="/baokan.v1.SearchService/Search",code="INVALID_ARGUMENT"}"#;
    assert_eq!(sample(&text, search_ok), Some(3.0), "{text}");
    assert_eq!(sample(&text, search_bad), Some(1.0), "{text}");
    let latency_count =
        r#"baokan_grpc_request_duration_seconds_count{method="/baokan.v1.SearchService/Search",code="OK"}"#;
    assert_eq!(sample(&text, latency_count), Some(3.0), "{text}");
    assert!(text.contains("baokan_grpc_request_duration_seconds_bucket{"), "latency is a histogram");
    assert_eq!(sample(&text, "baokan_index_documents"), Some(status.documents as f64));
    assert_eq!(sample(&text, "baokan_index_applied_sequence"), Some(status.applied_sequence as f64));
    assert_eq!(sample(&text, "baokan_index_latest_sequence"), Some(status.latest_sequence as f64));
    assert_eq!(sample(&text, "baokan_index_lag_changes"), Some(0.0));
    assert_eq!(sample(&text, "baokan_index_caught_up"), Some(1.0));
    assert_eq!(sample(&text, "baokan_postgres_up"), Some(1.0));

    // The first search of 两山 ran, the two after it were answered from the cache.
    assert_eq!(sample(&text, "baokan_result_cache_misses_total"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "baokan_result_cache_hits_total"), Some(2.0), "{text}");
    assert_eq!(sample(&text, "baokan_result_cache_answers"), Some(1.0), "{text}");
    assert!(sample(&text, "baokan_result_cache_bytes").is_some_and(|bytes| bytes > 100.0), "{text}");

    // A change not yet applied shows as lag; nothing else answers on the port.
    let (not_found, _) = http_get(address, "/other").await;
    assert!(not_found.contains("404"), "{not_found}");
}

/// The total of `query` searched with `cache-control: <directive>`.
async fn total_with_cache_control(h: &mut support::Harness, query: &str, directive: Option<&str>) -> u64 {
    let mut request = tonic::Request::new(SearchRequest { query: query.into(), page_size: 10, ..Default::default() });
    if let Some(directive) = directive {
        request.metadata_mut().insert("cache-control", directive.parse().unwrap());
    }
    h.client.search(request).await.unwrap().into_inner().total_hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_search_is_answered_from_the_cache_until_the_index_changes() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("1.txt");
    std::fs::write(&first, "本报讯（记者 张三）琉璃厂的老字号又开张了。\n\n琉璃厂老字号\n").unwrap();
    let mut h = harness_with(std::slice::from_ref(&first)).await;
    let address = h.server.metrics_addr.expect("metrics are on");
    let counts = || async move {
        let (_, text) = http_get(address, "/metrics").await;
        let read = |name: &str| sample(&text, name).unwrap_or_else(|| panic!("no {name} in {text}"));
        (read("baokan_result_cache_hits_total"), read("baokan_result_cache_misses_total"))
    };

    assert_eq!(total_with_cache_control(&mut h, "琉璃厂", None).await, 1);
    assert_eq!(total_with_cache_control(&mut h, "琉璃厂", None).await, 1);
    assert_eq!(counts().await, (1.0, 1.0), "the second search came from the cache");
    // `no-cache` searches again, as in HTTP; `no-store` leaves nothing behind.
    assert_eq!(total_with_cache_control(&mut h, "琉璃厂", Some("no-cache")).await, 1);
    assert_eq!(total_with_cache_control(&mut h, "潘家园", Some("no-store")).await, 0);
    assert_eq!(counts().await, (1.0, 1.0), "neither was looked up");
    assert_eq!(total_with_cache_control(&mut h, "潘家园", None).await, 0);
    assert_eq!(counts().await, (1.0, 2.0), "no-store kept no answer");

    // A new page changes the index: the same searches are answered anew, at once.
    let second = dir.path().join("2.txt");
    std::fs::write(&second, "本报讯（记者 李四）潘家园和琉璃厂都在北京。\n\n两处市场\n").unwrap();
    baokan_ingest::run::run(&h.database.pool, std::slice::from_ref(&second), &Default::default()).await.unwrap();
    let report = support::wait_equal(&mut h.client).await;
    assert!(report.equal, "{report:?}");
    assert_eq!(total_with_cache_control(&mut h, "琉璃厂", None).await, 2, "not the cached answer of the old index");
    assert_eq!(total_with_cache_control(&mut h, "潘家园", None).await, 1);
    h.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_logs_one_json_line_with_method_query_hits_status_and_latency() {
    let database = baokan_common::testing::fresh_database().await;
    baokan_ingest::run::run(&database.pool, &[seeds_dir()], &Default::default()).await.unwrap();
    let index = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = baokan_common::testing::ChildGuard::new(
        Command::new(env!("CARGO_BIN_EXE_baokan-search"))
            .env("DATABASE_URL", &database.url)
            .env("BAOKAN_INDEX_DIR", index.path())
            .env("BAOKAN_LISTEN", format!("127.0.0.1:{port}"))
            .env("BAOKAN_METRICS_LISTEN", "off")
            .env("BAOKAN_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start baokan-search"),
    );
    let stderr = child.stderr.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>());

    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut client = loop {
        if let Ok(client) =
            baokan_search::proto::search_service_client::SearchServiceClient::connect(address.clone()).await
        {
            break client;
        }
        assert!(Instant::now() < deadline, "server never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    while !client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner().caught_up {
        assert!(Instant::now() < deadline, "never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hits = search(&mut client, "万步有约").await.total_hits;
    assert!(hits > 0);
    assert_eq!(search(&mut client, "万步有约").await.total_hits, hits, "asked again: from the result cache");
    let rejected = client.search(SearchRequest { query: "\"unclosed".into(), ..Default::default() }).await;
    assert_eq!(rejected.unwrap_err().code(), tonic::Code::InvalidArgument);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success(), "SIGTERM ends the server cleanly");
    let lines = lines.join().unwrap();

    let finished: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["fields"]["message"] == "request finished")
        .collect();
    let search_lines: Vec<&serde_json::Value> =
        finished.iter().filter(|event| event["span"]["method"] == "/baokan.v1.SearchService/Search").collect();
    assert_eq!(search_lines.len(), 3, "one line per search: {lines:#?}");
    let ok = search_lines[0];
    assert_eq!(ok["span"]["query"], "万步有约");
    assert_eq!(ok["span"]["hits"], hits);
    assert_eq!(ok["fields"]["code"], "OK");
    assert!(ok["fields"]["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(ok["span"].get("cached").is_none(), "the first search ran: {ok}");
    let again = search_lines[1];
    assert_eq!((&again["span"]["hits"], &again["span"]["cached"]), (&ok["span"]["hits"], &serde_json::json!(true)));
    let bad = search_lines[2];
    assert_eq!(bad["span"]["query"], "\"unclosed");
    assert_eq!(bad["fields"]["code"], "INVALID_ARGUMENT");
    assert!(
        finished.iter().any(|event| event["span"]["method"] == "/baokan.v1.SearchService/GetIndexStatus"),
        "every method is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_command_reports_serving_and_fails_when_nothing_answers() {
    let h = harness_with(&[seeds_dir()]).await;
    let output = Command::new(env!("CARGO_BIN_EXE_baokan-search"))
        .args(["health", "--address", &format!("http://{}", h.server.local_addr)])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "SERVING");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_baokan-search"))
        .args(["health", "--address", &closed.to_string(), "--timeout-secs", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

/// Runs a binary with extra environment and returns (exit code, stderr).
fn run_binary(binary: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(binary)
        .args(args)
        .envs(env.iter().copied())
        .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Arguments, environment and the expected message of a refused setting.
type BadSetting = (&'static [&'static str], &'static [(&'static str, &'static str)], &'static str);

#[test]
fn bad_settings_are_refused_at_start_with_one_clear_line() {
    let search = env!("CARGO_BIN_EXE_baokan-search");
    let cases: [BadSetting; 5] = [
        (&["--metrics-listen", "everywhere"], &[], "expected an address like 127.0.0.1:9090, or `off`"),
        (&[], &[("BAOKAN_LISTEN", "localhost")], "invalid socket address"),
        (&[], &[("BAOKAN_LOG_FORMAT", "xml")], "BAOKAN_LOG_FORMAT must be `text` or `json`, got `xml`"),
        (&[], &[("BAOKAN_DATABASE_PATIENCE_SECS", "soon")], "invalid digit"),
        (&["--writer-memory-mib", "8"], &[], "8 is not in 32..=4096"),
    ];
    for (args, env, expected) in cases {
        let (code, stderr) = run_binary(search, args, env);
        assert_eq!(code, Some(2), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
        let lines: Vec<&str> =
            stderr.lines().filter(|line| line.contains("error") || line.contains("BAOKAN")).collect();
        assert!(!lines.is_empty() && lines.len() <= 2, "one clear line, not a trace: {stderr}");
    }
    // Settings checked after parsing: exit 1, one line, before any connection.
    let later: [BadSetting; 4] = [
        (&["--max-page-size", "0"], &[], "--max-page-size must be between 1 and 1000, got 0"),
        (
            &[],
            &[("BAOKAN_RESULT_CACHE_MIB", "2000000")],
            "--result-cache-mib must be between 0 and 1048576, got 2000000",
        ),
        (&[], &[("BAOKAN_AUTH_TOKENS", "short")], "BAOKAN_AUTH_TOKENS entry 1: a token is shorter than 16 characters"),
        (&["--auth-tokens-file", "/no/such/tokens"], &[], "cannot read the token file /no/such/tokens"),
    ];
    for (args, env, expected) in later {
        let (code, stderr) = run_binary(search, args, env);
        assert_eq!(code, Some(1), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
    }
    let (code, stderr) = run_binary(search, &["--tls-cert", "cert.pem"], &[]);
    assert_eq!(code, Some(2), "a certificate without its key: {stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
}

/// Every `env = "..."` name a binary's `--help` shows, over all subcommands.
fn environment_names(binary: &str, subcommands: &[&str]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for subcommand in subcommands {
        let mut args: Vec<&str> = subcommand.split_whitespace().collect();
        args.push("--help");
        let output = Command::new(binary).args(&args).output().unwrap();
        assert!(output.status.success(), "{binary} {args:?} --help works");
        let help = String::from_utf8_lossy(&output.stdout).into_owned();
        for part in help.split("[env: ").skip(1) {
            let name = part.split(['=', ']']).next().unwrap_or_default();
            names.insert(name.to_string());
        }
    }
    names
}

#[test]
fn the_readme_lists_every_search_setting() {
    let names = environment_names(env!("CARGO_BIN_EXE_baokan-search"), &["", "serve", "verify", "health"]);
    assert!(names.len() >= 6, "{names:?}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let configuration = readme.split("## Configuration").nth(1).expect("a Configuration section");
    let missing: Vec<&String> = names.iter().filter(|name| !configuration.contains(&format!("`{name}`"))).collect();
    assert!(missing.is_empty(), "README's Configuration section misses {missing:?}");
}
