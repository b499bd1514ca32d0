//! Running ingest in operation: progress lines when stderr is not a
//! terminal, and the Prometheus endpoint of `baokan-ingest watch` counting
//! pages by outcome as files land in the inbox.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use baokan_common::testing::fresh_database;

fn seeds() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds")
}

/// The seed page files (the folder also holds their `pages.tsv` manifest).
fn seed_pages() -> Vec<std::path::PathBuf> {
    let mut pages: Vec<_> = std::fs::read_dir(seeds())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    pages.sort();
    pages
}

#[tokio::test]
async fn a_run_without_a_terminal_prints_progress_lines_and_a_final_one() {
    let database = fresh_database().await;
    let output = Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
        .args(["run", "--progress", "auto", "--progress-interval-secs", "0.1"])
        .arg(seeds())
        .env("DATABASE_URL", &database.url)
        .env("RUST_LOG", "warn,baokan_ingest::progress=info")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let done: Vec<&str> = stderr.lines().filter(|line| line.contains("progress: done")).collect();
    assert_eq!(done.len(), 1, "{stderr}");
    let seed_files = seed_pages().len();
    assert!(done[0].contains(&format!("files={seed_files}/{seed_files}")), "{}", done[0]);
    assert!(done[0].contains("articles_per_second="), "{}", done[0]);
    assert!(!stderr.contains('\r'), "no terminal bar when stderr is a pipe");
}

/// GETs `/metrics` over plain HTTP/1.0.
fn scrape(address: SocketAddr) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|line| line.starts_with(series)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn watch_serves_metrics_of_pages_by_outcome() {
    let database = fresh_database().await;
    let inbox = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut child = baokan_common::testing::ChildGuard::new(
        Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
            .args(["watch", "--interval-secs", "0.1", "--metrics-listen", &address.to_string()])
            .arg(inbox.path())
            .env("DATABASE_URL", &database.url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut copied = 0;
    // Files arrive whole (written beside, then renamed in), as a drop folder
    // should be fed: a busy machine could otherwise stall a copy mid-file
    // for longer than the settle interval.
    let staging = tempfile::tempdir_in(inbox.path().parent().unwrap()).unwrap();
    for path in seed_pages() {
        let staged = staging.path().join(path.file_name().unwrap());
        std::fs::copy(&path, &staged).unwrap();
        std::fs::rename(&staged, inbox.path().join(path.file_name().unwrap())).unwrap();
        copied += 1;
    }
    std::fs::write(inbox.path().join("empty.txt"), b"").unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = scrape(address).unwrap_or_default();
        let new = sample(&text, r#"baokan_ingest_pages_total{outcome="new"}"#).unwrap_or(0.0);
        let failed = sample(&text, r#"baokan_ingest_pages_total{outcome="failed"}"#).unwrap_or(0.0);
        if new == copied as f64 && failed == 1.0 {
            break text;
        }
        assert!(Instant::now() < deadline, "metrics never showed the pages: {text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"), "{text}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM articles").fetch_one(&database.pool).await.unwrap();
    assert_eq!(sample(&text, "baokan_ingest_articles_total"), Some(stored as f64));
    assert!(sample(&text, "baokan_ingest_bytes_total").is_some_and(|bytes| bytes > 10_000.0));
    assert_eq!(sample(&text, r#"baokan_ingest_pages_total{outcome="replaced"}"#), Some(0.0));
    assert!(text.contains("baokan_ingest_page_duration_seconds_bucket"));
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn bad_settings_are_refused_at_start_with_one_clear_line() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
            .args(args)
            .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (code, stderr) = run(&["run", "--progress", "fancy", "."]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("expected auto, bar, lines or off"), "{stderr}");
    let (code, stderr) = run(&["watch", "--metrics-listen", "9091", "."]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("expected an address like 127.0.0.1:9090, or `off`"), "{stderr}");
    let (code, stderr) = run(&["watch", "/no/such/folder"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.trim(), "baokan-ingest: /no/such/folder is not a folder");
}

#[test]
fn the_readme_lists_every_ingest_setting() {
    let mut names = std::collections::BTreeSet::new();
    for subcommand in ["run", "watch", "delete", "parse", "eval"] {
        let output = Command::new(env!("CARGO_BIN_EXE_baokan-ingest")).args([subcommand, "--help"]).output().unwrap();
        assert!(output.status.success(), "{subcommand} --help works");
        let help = String::from_utf8_lossy(&output.stdout).into_owned();
        for part in help.split("[env: ").skip(1) {
            names.insert(part.split(['=', ']']).next().unwrap_or_default().to_string());
        }
    }
    assert!(names.len() >= 6, "{names:?}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let configuration = readme.split("## Configuration").nth(1).expect("a Configuration section");
    let missing: Vec<&String> = names.iter().filter(|name| !configuration.contains(&format!("`{name}`"))).collect();
    assert!(missing.is_empty(), "README's Configuration section misses {missing:?}");
}
