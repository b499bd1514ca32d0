//! The read side: latency of the mix in-process and over gRPC, throughput
//! with concurrent gRPC clients, and freshness (ingest commit → searchable).
//! Over gRPC, every search is run anew (`cache-control: no-cache`), except
//! in the one throughput phase that measures the service's result cache.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use baokan_ingest::metadata::PageMetadata;
use baokan_ingest::page_file::page_from_bytes;
use baokan_ingest::store::{delete_pages, store_page, PageRecord};
use baokan_search::index::ArticleIndex;
use baokan_search::proto::search_service_client::SearchServiceClient;
use baokan_search::proto::{GetIndexStatusRequest, SearchRequest};
use sqlx::PgPool;
use tonic::transport::Channel;

use crate::corpus::Rng;
use crate::inprocess::{grpc_request, search};
use crate::mix::{BenchQuery, QueryClass};
use crate::report::Report;
use crate::stats::{ms, Percentiles};

/// Records overall and per-class percentiles under `prefix`.
pub fn record_latencies(report: &mut Report, prefix: &str, samples: &[(QueryClass, Duration)]) {
    let all: Vec<Duration> = samples.iter().map(|(_, d)| *d).collect();
    let overall = Percentiles::of(&all);
    report.figure(&format!("{prefix} p50"), overall.p50.as_secs_f64() * 1000.0, "ms");
    report.figure(&format!("{prefix} p95"), overall.p95.as_secs_f64() * 1000.0, "ms");
    report.figure(&format!("{prefix} p99"), overall.p99.as_secs_f64() * 1000.0, "ms");
    let mut by_class: BTreeMap<QueryClass, Vec<Duration>> = BTreeMap::new();
    for (class, duration) in samples {
        by_class.entry(*class).or_default().push(*duration);
    }
    for (class, durations) in by_class {
        report.note(&format!("{prefix} [{}]", class.name()), Percentiles::of(&durations).to_string());
    }
}

/// Runs the mix `repeats` times in-process (after one warm-up pass).
pub async fn measure_in_process(
    index: &Arc<ArticleIndex>,
    mix: &[BenchQuery],
    repeats: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let index = Arc::clone(index);
    let mix = mix.to_vec();
    let samples = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<(QueryClass, Duration)>> {
        for query in &mix {
            search(&index, query)?;
        }
        let mut samples = Vec::with_capacity(mix.len() * repeats);
        for _ in 0..repeats {
            for query in &mix {
                let started = Instant::now();
                let results = search(&index, query)?;
                samples.push((query.class, started.elapsed()));
                std::hint::black_box(results);
            }
        }
        Ok(samples)
    })
    .await??;
    record_latencies(report, "in-process search", &samples);
    Ok(())
}

/// Connects a client and waits until the server has caught up.
pub async fn connect_when_ready(address: &str, patience: Duration) -> anyhow::Result<SearchServiceClient<Channel>> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(mut client) = SearchServiceClient::connect(address.to_string()).await {
            if let Ok(status) = client.get_index_status(GetIndexStatusRequest {}).await {
                if status.into_inner().caught_up {
                    return Ok(client);
                }
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "baokan-search at {address} did not catch up in {patience:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a gRPC search may be answered from the service's result cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCacheUse {
    /// Every search is run (`cache-control: no-cache`): what a search costs.
    SearchAnew,
    /// The service may answer from its recent answers, as it does for any client.
    Allowed,
}

/// `request` as sent with the cache use.
fn with_cache_use(request: SearchRequest, cache: ResultCacheUse) -> tonic::Request<SearchRequest> {
    let mut request = tonic::Request::new(request);
    if cache == ResultCacheUse::SearchAnew {
        request.metadata_mut().insert("cache-control", tonic::metadata::MetadataValue::from_static("no-cache"));
    }
    request
}

/// Runs the mix `repeats` times over one gRPC connection, each search run anew.
pub async fn measure_grpc_latency(
    client: &mut SearchServiceClient<Channel>,
    mix: &[BenchQuery],
    repeats: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let requests: Vec<(QueryClass, SearchRequest)> = mix.iter().map(|q| (q.class, grpc_request(q))).collect();
    for (_, request) in &requests {
        client.search(with_cache_use(request.clone(), ResultCacheUse::SearchAnew)).await?;
    }
    let mut samples = Vec::with_capacity(requests.len() * repeats);
    for _ in 0..repeats {
        for (class, request) in &requests {
            let started = Instant::now();
            client.search(with_cache_use(request.clone(), ResultCacheUse::SearchAnew)).await?;
            samples.push((*class, started.elapsed()));
        }
    }
    record_latencies(report, "gRPC search", &samples);
    Ok(())
}

/// The server whose CPU time a throughput phase reads.
#[derive(Debug, Clone, Copy)]
pub enum ServerProcess {
    /// This process id (a server the bench started).
    Pid(u32),
    /// Every local process named `baokan-search` (a server started by hand;
    /// none when it runs on another machine).
    Local,
}

impl ServerProcess {
    fn cpu_seconds(self) -> Option<f64> {
        match self {
            ServerProcess::Pid(pid) => crate::stats::process_cpu_seconds(pid),
            ServerProcess::Local => crate::stats::cpu_seconds_of_processes_named("baokan-search"),
        }
    }
}

/// Throughput with `clients` concurrent connections, each sending the mix in
/// a loop for `duration`; also records their latency percentiles and the
/// server's CPU time per query: what each query costs the server, apart
/// from the clients' share of the same cores (at one client it includes the
/// hand-offs of a search spread over the segment threads). With
/// [`ResultCacheUse::Allowed`] the figures are named `…, result cache`: the
/// mix repeats, so after its first pass they measure answers from the cache.
pub async fn measure_qps(
    address: &str,
    mix: &[BenchQuery],
    (clients, cache): (usize, ResultCacheUse),
    duration: Duration,
    server: ServerProcess,
    report: &mut Report,
) -> anyhow::Result<()> {
    let phase = match cache {
        ResultCacheUse::SearchAnew => format!("{clients} clients"),
        ResultCacheUse::Allowed => format!("{clients} clients, result cache"),
    };
    let requests: Arc<Vec<SearchRequest>> = Arc::new(mix.iter().map(grpc_request).collect());
    let mut tasks = Vec::new();
    let deadline = Instant::now() + duration;
    for client_number in 0..clients {
        let mut client = SearchServiceClient::connect(address.to_string()).await?;
        let requests = Arc::clone(&requests);
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut next = client_number;
            while Instant::now() < deadline {
                let request = with_cache_use(requests[next % requests.len()].clone(), cache);
                next += 1;
                let started = Instant::now();
                client.search(request).await?;
                samples.push(started.elapsed());
            }
            Ok::<_, tonic::Status>(samples)
        }));
    }
    let started = Instant::now();
    let cpu_before = server.cpu_seconds();
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let elapsed = started.elapsed().max(duration);
    let latencies = Percentiles::of(&samples);
    report.figure(&format!("gRPC QPS, {phase}"), samples.len() as f64 / elapsed.as_secs_f64(), "queries/s");
    if let (Some(before), Some(after)) = (cpu_before, server.cpu_seconds()) {
        if !samples.is_empty() {
            let per_query = (after - before).max(0.0) * 1000.0 / samples.len() as f64;
            report.figure(&format!("baokan-search CPU per query, {phase}"), per_query, "ms");
        }
    }
    report.note(&format!("gRPC latency, {phase}"), latencies.to_string());
    report.values.insert(format!("gRPC p99, {phase}"), latencies.p99.as_secs_f64() * 1000.0);
    Ok(())
}

/// The throughput phases for these client counts: each with every search
/// run anew, then the largest with the result cache allowed.
pub fn qps_phases(clients: &[usize]) -> Vec<(usize, ResultCacheUse)> {
    let mut phases: Vec<(usize, ResultCacheUse)> =
        clients.iter().map(|&clients| (clients, ResultCacheUse::SearchAnew)).collect();
    if let Some(&largest) = clients.iter().max() {
        phases.push((largest, ResultCacheUse::Allowed));
    }
    phases
}

/// A run of rare Han characters that no corpus page holds.
fn unique_token(rng: &mut Rng) -> String {
    (0..6).filter_map(|_| char::from_u32(0x9F00 + rng.between(0, 0x9F) as u32)).collect()
}

/// Stores small pages one at a time and measures how long after each commit
/// a search over gRPC finds it; the pages are deleted afterwards.
pub async fn measure_freshness(
    pool: &PgPool,
    client: &mut SearchServiceClient<Channel>,
    samples: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(0xF2E5);
    let mut lags = Vec::with_capacity(samples);
    let mut paths = Vec::with_capacity(samples);
    for sample in 0..samples {
        let token = unique_token(&mut rng);
        let text = format!("新鲜度测试{sample}\n\n本报讯 今天，{token}正式开通。{token}是一条新的线路。\n");
        let page = page_from_bytes(text.as_bytes())?;
        let path = format!("bench-freshness/{sample}-{token}.txt");
        let metadata = PageMetadata::default();
        let record = PageRecord {
            source_path: &path,
            content_hash: &page.content_hash,
            metadata: &metadata,
            issue_month_day: None,
            encoding: page.encoding,
            raw_text: &page.text,
            articles: &page.parsed.articles,
            names: &[],
            expect_new: true,
        };
        store_page(pool, &record).await.context("storing a freshness page")?;
        let committed = Instant::now();
        let deadline = committed + Duration::from_secs(30);
        loop {
            let request = SearchRequest { query: token.clone(), page_size: 1, ..Default::default() };
            if client.search(request).await?.into_inner().total_hits > 0 {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "page {path} never became searchable");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lags.push(committed.elapsed());
        paths.push(path);
        tokio::time::sleep(Duration::from_millis(rng.between(50, 400) as u64)).await;
    }
    delete_pages(pool, &paths, &[]).await?;
    let lag = Percentiles::of(&lags);
    report.figure("freshness p50", lag.p50.as_secs_f64() * 1000.0, "ms");
    report.figure("freshness p99", lag.p99.as_secs_f64() * 1000.0, "ms");
    report.note(
        "freshness samples",
        format!("{} (max {})", lag.samples, ms(lags.iter().copied().max().unwrap_or_default())),
    );
    Ok(())
}
