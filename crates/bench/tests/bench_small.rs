//! Runs the whole benchmark at 10,000 articles against the test PostgreSQL
//! (debug build, about a minute) so it never rots: every figure must be
//! produced and every alternative must return baokan's hit set for every
//! query of the mix. No timing is asserted.

use std::time::Duration;

use baokan_bench::processes::default_bin_dir;
use baokan_bench::run::{run, RunConfig};
use baokan_common::testing::fresh_database;

/// Builds the two service binaries the bench starts (a no-op when built).
fn build_service_binaries() {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "baokan-ingest", "-p", "baokan-search"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building baokan-ingest and baokan-search failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_at_ten_thousand_articles_produces_every_figure_and_equal_hits() {
    build_service_binaries();
    let database = fresh_database().await;
    let scratch = tempfile::tempdir().unwrap();
    let config = RunConfig {
        articles: 10_000,
        seed: 1,
        corpus_dir: scratch.path().join("corpus"),
        sources_dir: baokan_bench::sources::default_corpora_dir(),
        work_dir: scratch.path().join("work"),
        database_url: database.url.clone(),
        bin_dir: default_bin_dir(),
        repeats: 2,
        alternative_repeats: 1,
        qps_duration: Duration::from_millis(500),
        freshness_samples: 3,
        clients: vec![1, 4, 16],
        baokan_only: false,
    };
    let report = run(&config).await.expect("bench runs");
    println!("{report}");
    for figure in [
        "parse throughput",
        "ingest throughput",
        "baokan-ingest CPU per article",
        "index build throughput",
        "index build articles/s",
        "index bytes per article",
        "analysis chain (grams + words, 1 core)",
        "headline grams the body lacks (1 core)",
        "in-process search p50",
        "in-process search p95",
        "in-process search p99",
        "gRPC search p50",
        "gRPC search p99",
        "gRPC QPS, 1 clients",
        "gRPC QPS, 4 clients",
        "gRPC QPS, 16 clients",
        "gRPC QPS, 16 clients, result cache",
        "baokan-search CPU per query, 16 clients",
        "freshness p50",
        "freshness p99",
        "baokan-search peak RSS",
        "baokan-ingest peak RSS",
        "postgres pg_trgm LIKE p50 / baokan in-process p50",
        "postgres bigram tsvector p50 / baokan in-process p50",
        "sqlite fts5 trigram p50 / baokan in-process p50",
    ] {
        assert!(report.has(figure), "figure {figure:?} missing");
    }
    let note = |name: &str| report.lines.iter().find(|(line, _)| line == name).map(|(_, value)| value.clone());
    let machine = note("machine").expect("the machine is printed");
    assert!(machine.contains(" cores"), "{machine}");
    let settings = note("PostgreSQL settings").expect("the server's settings are printed");
    let autovacuum = settings.contains("autovacuum on") || settings.contains("autovacuum off");
    assert!(autovacuum && settings.contains("shared_buffers "), "{settings}");
    assert_eq!(report.agreement.len(), 20, "one agreement check per query of the mix");
    let differing: Vec<_> = report.agreement.iter().filter(|(_, same)| !same).map(|(q, _)| q).collect();
    assert!(differing.is_empty(), "alternatives disagree with baokan on {differing:?}");
    assert!(report.values["articles parsed"] >= 9_000.0);
    let (written, linked) = (report.values["continued stories written"], report.values["continued stories linked"]);
    assert!(written >= 100.0, "the corpus continues only {written} stories");
    assert!(linked >= written * 0.95 && linked <= written, "{linked} of {written} continued stories linked");
}
