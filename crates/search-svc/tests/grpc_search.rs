//! baokan-search end to end: real PostgreSQL, pages ingested by the real
//! ingest code, the real server on a loopback port, a tonic client and the
//! real grpcurl binary.

mod support;

use std::time::{Duration, Instant};

use baokan_ingest::metadata::PageMetadata;
use baokan_search::proto::{GetArticleRequest, GetIndexStatusRequest, SearchRequest};
use tonic::Code;

use support::{harness_with, search, seeds_dir, start_server, titles};

#[tokio::test]
async fn finds_seed_articles_by_name_slogan_and_new_term() {
    let mut h = harness_with(&[seeds_dir()]).await;

    let by_reporter = search(&mut h.client, "贠娟绸").await;
    assert_eq!(by_reporter.total_hits, 2, "both articles by 贠娟绸");
    for hit in &by_reporter.hits {
        let article = hit.article.as_ref().unwrap();
        assert!(article.source_path.ends_with("000_d426e6b5030342b4.txt"));
        assert_eq!(article.authors, ["贠娟绸"]);
        assert!(hit.snippet.contains("<em>贠娟绸</em>"), "snippet marks the match: {}", hit.snippet);
    }

    let walking = search(&mut h.client, "万步有约").await;
    assert_eq!(titles(&walking), ["山西省第六届“万步有约”健走激励大赛启动"]);

    let interview = search(&mut h.client, "太忻一体化").await;
    let interview_titles = titles(&interview);
    assert!(interview_titles.contains(&"全力打造国家区域中心城市核心区".to_string()), "{interview_titles:?}");
    assert!(interview.hits.iter().all(|h| h
        .article
        .as_ref()
        .unwrap()
        .source_path
        .ends_with("003_c8387fcf9c81d2cd.txt")));

    // Punctuation between characters does not matter; width and case do not either.
    assert_eq!(search(&mut h.client, "两山理论").await.total_hits, 1);
    assert_eq!(search(&mut h.client, "ＣＮＮＩＣ").await.total_hits, search(&mut h.client, "cnnic").await.total_hits);
    assert_eq!(search(&mut h.client, "cnnic").await.total_hits, 1);
    // Excluding narrows; a phrase must match as a whole.
    let with = search(&mut h.client, "楼阳生").await.total_hits;
    let without = search(&mut h.client, "楼阳生 -中国银行").await.total_hits;
    assert!(without < with && without > 0, "{without} < {with}");
    assert_eq!(search(&mut h.client, "\"健走激励\"").await.total_hits, 1);
    assert_eq!(search(&mut h.client, "健走银行").await.total_hits, 0);

    // GetArticle returns the full text from PostgreSQL.
    let id = walking.hits[0].article.as_ref().unwrap().id;
    let article = h.client.get_article(GetArticleRequest { id }).await.unwrap().into_inner().article.unwrap();
    assert!(article.paragraphs.len() >= 3);
    assert!(article.paragraphs[0].starts_with("本报太原4月8日讯"));
    assert!(article.paragraphs.last().unwrap().ends_with("形式较往届更加新颖独特。"));
    assert_eq!(article.dateline, "本报太原4月8日讯");

    h.server.stop().await.unwrap();
    drop((h.database, h.index_dir));
}

#[tokio::test]
async fn rejects_bad_requests_with_the_right_codes() {
    let mut h = harness_with(&[seeds_dir().join("001_85245450a54b3a6c.txt")]).await;
    let bad = |query: &str, page_size: i32, page_token: &str| SearchRequest {
        query: query.into(),
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    };
    for (request, needle) in [
        (bad("", 10, ""), "query is empty"),
        (bad("林武 \"疫情", 10, ""), "unterminated quote"),
        (bad("- *", 10, ""), "`-` must be followed"),
        (bad("林武", 101, ""), "maximum of 100"),
        (bad("林武", 10, "not-a-token"), "page_token"),
        (bad("，。", 10, ""), "no searchable characters"),
    ] {
        let status = h.client.search(request.clone()).await.expect_err("rejected");
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
        assert!(status.message().contains(needle), "{:?} should mention {needle:?}", status.message());
    }
    let missing = h.client.get_article(GetArticleRequest { id: 987_654 }).await.expect_err("unknown id");
    assert_eq!(missing.code(), Code::NotFound);
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn pages_through_hits_with_tokens() {
    let mut h = harness_with(&[seeds_dir()]).await;
    let total = search(&mut h.client, "疫情").await.total_hits;
    assert!(total >= 3);
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = h
            .client
            .search(SearchRequest {
                query: "疫情".into(),
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_hits, total);
        seen.extend(page.hits.iter().map(|hit| hit.article.as_ref().unwrap().id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!((seen.len() as u64, unique.len() as u64), (total, total), "every hit exactly once");
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_changed_page_reaches_search_quickly_and_old_text_disappears() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    std::fs::write(&page, "本报讯（记者 张三）旧稿件提到了琉璃厂的老字号。\n\n旧标题\n").unwrap();
    let mut h = harness_with(std::slice::from_ref(&page)).await;
    assert_eq!(search(&mut h.client, "琉璃厂").await.total_hits, 1);

    std::fs::write(&page, "本报讯（记者 张三）新稿件改谈潘家园的旧货市场。\n\n新标题\n").unwrap();
    let written = Instant::now();
    let summary =
        baokan_ingest::run::run(&h.database.pool, std::slice::from_ref(&page), &PageMetadata::default()).await.unwrap();
    assert_eq!(summary.pages_replaced, 1);
    let committed = written.elapsed();
    loop {
        if search(&mut h.client, "潘家园").await.total_hits == 1 {
            break;
        }
        assert!(written.elapsed() < Duration::from_secs(10), "the change never reached search");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("freshness: searchable {:?} after the ingest commit", written.elapsed() - committed);
    assert_eq!(search(&mut h.client, "琉璃厂").await.total_hits, 0, "the old text is gone");

    // A deleted page leaves search just as quickly.
    let source_path = baokan_ingest::run::source_path_of(&page);
    let deleted = Instant::now();
    baokan_ingest::store::delete_pages(&h.database.pool, &[source_path], &[]).await.unwrap();
    while search(&mut h.client, "潘家园").await.total_hits != 0 {
        assert!(deleted.elapsed() < Duration::from_secs(1), "the deletion did not reach search within a second");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_restarted_server_resumes_from_its_last_commit() {
    let h = harness_with(&[seeds_dir()]).await;
    let mut client = h.client.clone();
    let before = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    assert!(before.documents > 20);
    assert_eq!(before.applied_sequence, before.latest_sequence);
    h.server.stop().await.unwrap();

    // A page ingested while the server is down is applied after the restart.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("late.txt");
    std::fs::write(&page, "本报讯（记者 王五）停机期间入库的稿件写到了鹳雀楼。\n\n迟到的稿件\n").unwrap();
    baokan_ingest::run::run(&h.database.pool, &[page], &PageMetadata::default()).await.unwrap();

    let (server, mut client) = start_server(&h.database.url, h.index_dir.path()).await;
    let after = client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    assert_eq!(after.documents, before.documents + 1);
    assert_eq!(after.applied_sequence, after.latest_sequence);
    assert_eq!(search(&mut client, "鹳雀楼").await.total_hits, 1);
    server.stop().await.unwrap();
}

// grpcurl runs as a blocking child process: the server needs its own worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_services_and_searches() {
    let h = harness_with(&[seeds_dir()]).await;
    let grpcurl = std::env::var("BAOKAN_GRPCURL").unwrap_or_else(|_| "grpcurl".into());
    let address = h.server.local_addr.to_string();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(&grpcurl)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {grpcurl} (scripts/test installs it): {e}"));
        assert!(output.status.success(), "grpcurl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let services = run(&["-plaintext", &address, "list"]);
    for service in ["baokan.v1.SearchService", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"] {
        assert!(services.contains(service), "{service} missing from {services}");
    }
    let health = run(&["-plaintext", &address, "grpc.health.v1.Health/Check"]);
    assert!(health.contains("SERVING"));
    let found = run(&["-plaintext", "-d", r#"{"query": "万步有约"}"#, &address, "baokan.v1.SearchService/Search"]);
    let response: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(response["totalHits"], "1");
    assert_eq!(response["hits"][0]["article"]["title"], "山西省第六届“万步有约”健走激励大赛启动");
    h.server.stop().await.unwrap();
}

/// A transaction that took a lower change sequence but commits after a
/// higher one must not be skipped by the follower, nor hold the higher one
/// back while it runs.
#[tokio::test]
async fn a_late_committing_lower_sequence_is_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("base.txt");
    std::fs::write(&page, "本报讯（记者 赵六）底稿。\n\n底稿标题\n").unwrap();
    let mut h = harness_with(std::slice::from_ref(&page)).await;
    let page_id: i64 = sqlx::query_scalar("SELECT id FROM pages").fetch_one(&h.database.pool).await.unwrap();
    let insert =
        "INSERT INTO articles (page_id, ordinal, kind, title, paragraphs) VALUES ($1, $2, 'article', $3, ARRAY[$3])";

    // The slow transaction writes first (lower sequence) and commits last.
    let mut slow = h.database.pool.begin().await.unwrap();
    sqlx::query(insert).bind(page_id).bind(10).bind("慢事务写下的秦岭稿件").execute(&mut *slow).await.unwrap();
    sqlx::query(insert).bind(page_id).bind(11).bind("快事务写下的渭河稿件").execute(&h.database.pool).await.unwrap();
    let sequences: Vec<i64> = sqlx::query_scalar("SELECT sequence FROM article_changes ORDER BY sequence DESC LIMIT 1")
        .fetch_all(&h.database.pool)
        .await
        .unwrap();
    // The fast transaction's change does not wait for the slow one.
    let deadline = Instant::now() + Duration::from_secs(5);
    while search(&mut h.client, "渭河").await.total_hits != 1 {
        assert!(Instant::now() < deadline, "a committed change waited for an older transaction still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(search(&mut h.client, "秦岭").await.total_hits, 0, "not committed yet");
    slow.commit().await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let qinling = search(&mut h.client, "秦岭").await.total_hits;
        let weihe = search(&mut h.client, "渭河").await.total_hits;
        if qinling == 1 && weihe == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "秦岭 {qinling}, 渭河 {weihe}: a change was skipped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = h.client.get_index_status(GetIndexStatusRequest {}).await.unwrap().into_inner();
    assert_eq!(status.applied_sequence, sequences[0]);
    assert_eq!(status.documents, 3);
    h.server.stop().await.unwrap();
}

/// Every grpcurl line in the README works as printed against a server holding
/// the quickstart's data (the seeds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_grpcurl_recipe_in_the_readme_works() {
    let h = harness_with(&[seeds_dir()]).await;
    let grpcurl = std::env::var("BAOKAN_GRPCURL").unwrap_or_else(|_| "grpcurl".into());
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let address = h.server.local_addr.to_string();
    let recipes: Vec<&str> = readme.lines().filter(|line| line.starts_with("grpcurl ")).collect();
    assert!(recipes.len() >= 10, "the README lists the recipes");
    for recipe in recipes {
        let command = recipe.replace("127.0.0.1:50051", &address).replacen("grpcurl", &grpcurl, 1);
        let output = std::process::Command::new("sh").args(["-c", &command]).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{recipe}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.trim().len() > 2, "{recipe} printed nothing useful: {stdout}");
    }
    h.server.stop().await.unwrap();
}

/// The Python example client (grpcio, stubs generated from proto/) finds an
/// article on a live server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_client_searches() {
    let h = harness_with(&[seeds_dir()]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/python/search.py");
    let output = std::process::Command::new("python3")
        .args([script, "--address", &h.server.local_addr.to_string(), "万步有约"])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("1 hits"), "{stdout}");
    assert!(
        stdout.contains("山西省第六届“万步有约”健走激励大赛启动") && stdout.contains("<em>万步有约</em>"),
        "{stdout}"
    );
    h.server.stop().await.unwrap();
}

/// A long transaction in another database of the same server (a bulk load,
/// an index build, a migration of another application) does not delay
/// baokan's changes: they are searchable while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_transaction_in_another_database_delays_nothing() {
    use sqlx::Connection;
    let mut h = harness_with(&[seeds_dir()]).await;
    let mut elsewhere = sqlx::PgConnection::connect(&baokan_common::testing::admin_url()).await.unwrap();
    sqlx::query("BEGIN").execute(&mut elsewhere).await.unwrap();
    // Takes a transaction id, as any writing transaction does.
    sqlx::query("SELECT pg_current_xact_id()").execute(&mut elsewhere).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("during.txt");
    std::fs::write(&page, "本报讯（记者 孙七）长事务进行中入库的稿件写到了壶口瀑布。\n\n长事务期间的稿件\n").unwrap();
    baokan_ingest::run::run(&h.database.pool, &[page], &PageMetadata::default()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while search(&mut h.client, "壶口瀑布").await.total_hits != 1 {
        assert!(Instant::now() < deadline, "the change waited for a transaction in another database");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::query("ROLLBACK").execute(&mut elsewhere).await.unwrap();
    h.server.stop().await.unwrap();
}
