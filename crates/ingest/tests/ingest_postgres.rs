//! `baokan-ingest run` against a real PostgreSQL database: pages and articles
//! stored, unchanged files skipped, changed files replaced, bad files recorded
//! in the error table without stopping the run.

use std::path::{Path, PathBuf};

use baokan_common::testing::fresh_database;
use baokan_ingest::metadata::PageMetadata;
use baokan_ingest::names::ArticleNames;
use baokan_ingest::run::{run, RunSummary};
use baokan_ingest::store::{store_page, PageRecord, StoreOutcome};
use sqlx::PgPool;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds")
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Writes `text` to the page file and ingests it.
async fn ingest_text(pool: &PgPool, page: &Path, text: &str) -> RunSummary {
    std::fs::write(page, text).unwrap();
    run(pool, &[page.to_path_buf()], &PageMetadata::default()).await.unwrap()
}

#[tokio::test]
async fn ingests_the_seeds_once_and_skips_them_the_second_time() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let first = run(pool, &[seeds_dir()], &PageMetadata::default()).await.unwrap();
    assert_eq!((first.pages_new, first.pages_failed), (5, 0));
    assert_eq!(count(pool, "SELECT count(*) FROM pages").await, 5);
    let articles = count(pool, "SELECT count(*) FROM articles").await;
    assert_eq!(articles as usize, first.articles_written);
    let changes = count(pool, "SELECT count(*) FROM article_changes").await;
    assert_eq!(changes, articles, "one change-log row per new article");

    let second = run(pool, &[seeds_dir()], &PageMetadata::default()).await.unwrap();
    assert_eq!(second, RunSummary { pages_unchanged: 5, ..RunSummary::default() });
    assert_eq!(count(pool, "SELECT count(*) FROM article_changes").await, changes, "a no-op writes nothing");

    let raw: String =
        sqlx::query_scalar("SELECT raw_text FROM pages WHERE source_path LIKE '%000_d426e6b5030342b4.txt'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(raw, std::fs::read_to_string(seeds_dir().join("000_d426e6b5030342b4.txt")).unwrap());
}

#[tokio::test]
async fn a_changed_file_replaces_its_articles() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    let text =
        "本报讯（记者 张三）第一篇稿件的正文。\n\n第一篇标题\n\n本报讯（记者 李四）第二篇稿件的正文。\n\n第二篇标题\n";
    let first = ingest_text(pool, &page, text).await;
    assert_eq!((first.pages_new, first.articles_written), (1, 2));

    let second = ingest_text(pool, &page, "本报讯（记者 张三）改写后的唯一稿件。\n\n新标题\n").await;
    assert_eq!((second.pages_replaced, second.articles_written), (1, 1));
    let titles: Vec<Option<String>> =
        sqlx::query_scalar("SELECT title FROM articles ORDER BY ordinal").fetch_all(pool).await.unwrap();
    assert_eq!(titles, [Some("新标题".to_string())]);
    let deletes = count(pool, "SELECT count(*) FROM article_changes WHERE op = 'delete'").await;
    assert_eq!(deletes, 1, "the second article's removal is in the change log");
}

#[tokio::test]
async fn a_rewritten_page_logs_only_the_articles_that_changed() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    let first = "本报讯（记者 张三）第一篇稿件的正文。\n\n第一篇标题\n\n";
    ingest_text(pool, &page, &format!("{first}本报讯（记者 李四）第二篇稿件的正文。\n\n第二篇标题\n")).await;
    let logged = |ordinal: i32| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM article_changes c JOIN articles a ON a.id = c.article_id
             WHERE a.ordinal = $1 AND c.op = 'upsert'",
        )
        .bind(ordinal)
        .fetch_one(pool)
    };
    assert_eq!((logged(0).await.unwrap(), logged(1).await.unwrap()), (1, 1), "each new article logged once");

    let second =
        ingest_text(pool, &page, &format!("{first}本报讯（记者 李四）第二篇稿件改写后的正文。\n\n第二篇标题\n")).await;
    assert_eq!(second.pages_replaced, 1);
    assert_eq!(logged(0).await.unwrap(), 1, "the first article, rewritten with the same values, is not re-indexed");
    assert_eq!(logged(1).await.unwrap(), 2, "the changed article is logged again");
}

#[tokio::test]
async fn bad_files_are_recorded_and_the_run_goes_on() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a_empty.txt"), b"").unwrap();
    std::fs::write(dir.path().join("b_binary.txt"), b"\x00\x01\x02\x03binary").unwrap();
    std::fs::copy(seeds_dir().join("001_85245450a54b3a6c.txt"), dir.path().join("c_good.txt")).unwrap();
    std::fs::write(dir.path().join("ignored.pdf"), b"%PDF").unwrap();
    let summary = run(pool, &[dir.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    assert_eq!((summary.pages_new, summary.pages_failed), (1, 2));
    let errors: Vec<(String, String)> =
        sqlx::query_as("SELECT source_path, reason FROM ingest_errors ORDER BY source_path")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(errors.len(), 2);
    assert!(errors[0].0.ends_with("a_empty.txt") && errors[0].1.contains("empty file"));
    assert!(errors[1].0.ends_with("b_binary.txt") && errors[1].1.contains("binary file"));
}

/// paper, issue_date, page_number, issue_month_day
type PageMetadataRow = (Option<String>, Option<chrono::NaiveDate>, Option<i32>, Option<String>);

#[tokio::test]
async fn reads_metadata_from_the_path_convention_and_flags() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let dir = tempfile::tempdir().unwrap();
    let page_dir = dir.path().join("山西日报").join("2021-04-09");
    std::fs::create_dir_all(&page_dir).unwrap();
    std::fs::copy(seeds_dir().join("000_d426e6b5030342b4.txt"), page_dir.join("1.txt")).unwrap();
    let other = dir.path().join("loose.txt");
    std::fs::copy(seeds_dir().join("002_661331d949bc6e76.txt"), &other).unwrap();
    run(pool, &[page_dir.join("1.txt")], &PageMetadata::default()).await.unwrap();
    let flags = PageMetadata { paper: Some("晋中日报".into()), issue_date: None, page_number: Some(3) };
    run(pool, &[other], &flags).await.unwrap();
    let pages: Vec<PageMetadataRow> =
        sqlx::query_as("SELECT paper, issue_date, page_number, issue_month_day FROM pages ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(pages[0], (Some("山西日报".into()), chrono::NaiveDate::from_ymd_opt(2021, 4, 9), Some(1), None));
    assert_eq!(
        pages[1],
        (Some("晋中日报".into()), None, Some(3), Some("02-03".into())),
        "month and day from the dateline, no invented year"
    );
}

#[tokio::test]
async fn the_run_command_prints_a_summary_and_fails_when_a_file_failed() {
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.txt"), b"").unwrap();
    std::fs::copy(seeds_dir().join("004_435847ab0598361c.txt"), dir.path().join("good.md")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
        .args(["run", &dir.path().to_string_lossy()])
        .env("DATABASE_URL", &database.url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("pages: 1 new, 0 unchanged, 0 replaced, 1 failed; articles written: "), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("empty.txt") && stderr.contains("empty file"), "a clear log line: {stderr}");
}

#[tokio::test]
async fn delete_removes_a_page_and_logs_its_articles_deletion() {
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    std::fs::copy(seeds_dir().join("001_85245450a54b3a6c.txt"), &page).unwrap();
    let summary = run(&database.pool, std::slice::from_ref(&page), &PageMetadata::default()).await.unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
        .args(["delete", &page.to_string_lossy()])
        .env("DATABASE_URL", &database.url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let expected = format!("deleted 1 pages, {} articles", summary.articles_written);
    assert!(String::from_utf8_lossy(&output.stdout).contains(&expected));
    assert_eq!(count(&database.pool, "SELECT count(*) FROM articles").await, 0);
    let deletes = count(&database.pool, "SELECT count(*) FROM article_changes WHERE op = 'delete'").await;
    assert_eq!(deletes as usize, summary.articles_written);
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
        .args(["delete", "--page-id", "12345"])
        .env("DATABASE_URL", &database.url)
        .output()
        .unwrap();
    assert!(!again.status.success(), "an unknown page is an error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_runs_over_overlapping_folders_write_each_page_once() {
    let database = fresh_database().await;
    let flags = PageMetadata::default();
    let first_paths = [seeds_dir()];
    let second_paths = [seeds_dir(), seeds_dir().join("000_d426e6b5030342b4.txt")];
    let (a, b) = tokio::join!(run(&database.pool, &first_paths, &flags), run(&database.pool, &second_paths, &flags));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.pages_failed + b.pages_failed, 0);
    assert_eq!(a.pages_new + b.pages_new, 5, "each page is new exactly once");
    assert_eq!(count(&database.pool, "SELECT count(*) FROM pages").await, 5);
    let per_page: i64 = count(
        &database.pool,
        "SELECT count(*) FROM (SELECT page_id, ordinal FROM articles GROUP BY 1, 2 HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(per_page, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_ingests_settled_files_and_misses_nothing_across_a_restart() {
    let database = fresh_database().await;
    let inbox = tempfile::tempdir().unwrap();
    let interval = std::time::Duration::from_millis(100);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let pool = database.pool.clone();
    let dir = inbox.path().to_path_buf();
    let watcher = tokio::spawn(async move {
        baokan_ingest::watch::watch_folder(&pool, &dir, &PageMetadata::default(), interval, stopped).await
    });
    std::fs::copy(seeds_dir().join("000_d426e6b5030342b4.txt"), inbox.path().join("a.txt")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(&database.pool, "SELECT count(*) FROM pages").await < 1 {
        assert!(std::time::Instant::now() < deadline, "the new file was never ingested");
        tokio::time::sleep(interval).await;
    }
    stop.send(true).unwrap();
    let first = watcher.await.unwrap().unwrap();
    assert_eq!((first.pages_new, first.pages_failed), (1, 0));

    // Files arriving while the watcher is down are picked up by the next one;
    // the file already stored is not written again.
    std::fs::copy(seeds_dir().join("001_85245450a54b3a6c.txt"), inbox.path().join("b.txt")).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let pool = database.pool.clone();
    let dir = inbox.path().to_path_buf();
    let watcher = tokio::spawn(async move {
        baokan_ingest::watch::watch_folder(&pool, &dir, &PageMetadata::default(), interval, stopped).await
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(&database.pool, "SELECT count(*) FROM pages").await < 2 {
        assert!(std::time::Instant::now() < deadline, "the file that arrived meanwhile was missed");
        tokio::time::sleep(interval).await;
    }
    // A file still being written is not read until it settles.
    let growing = inbox.path().join("c.txt");
    std::fs::write(&growing, "本报讯（记者 张三）").unwrap();
    tokio::time::sleep(interval / 2).await;
    std::fs::write(&growing, "本报讯（记者 张三）这篇稿件分两次写完。\n\n分次写完的稿件\n").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(&database.pool, "SELECT count(*) FROM pages").await < 3 {
        assert!(std::time::Instant::now() < deadline, "the settled file was never ingested");
        tokio::time::sleep(interval).await;
    }
    stop.send(true).unwrap();
    let second = watcher.await.unwrap().unwrap();
    assert_eq!(second.pages_new, 2);
    assert_eq!(second.pages_unchanged, 1, "a.txt is offered again and skipped");
    let title: Option<String> = sqlx::query_scalar(
        "SELECT a.title FROM articles a JOIN pages p ON p.id = a.page_id WHERE p.source_path LIKE '%c.txt'",
    )
    .fetch_one(&database.pool)
    .await
    .unwrap();
    assert_eq!(title.as_deref(), Some("分次写完的稿件"), "the complete file, not the half-written one");
}

#[tokio::test]
async fn a_stop_request_ends_the_run_between_pages() {
    let database = fresh_database().await;
    let stop = std::sync::atomic::AtomicBool::new(true);
    let summary =
        baokan_ingest::run::run_until(&database.pool, &[seeds_dir()], &PageMetadata::default(), &stop).await.unwrap();
    assert_eq!(summary, RunSummary::default(), "nothing started after the stop");
    assert_eq!(count(&database.pool, "SELECT count(*) FROM pages").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_run_command_between_pages() {
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    for page in 0..400 {
        let text = format!("本报讯（记者 张{page}）第{page}号稿件正文。\n\n第{page}号标题\n\n本报讯（记者 李{page}）第{page}号副稿。\n");
        std::fs::write(dir.path().join(format!("{page:04}.txt")), text).unwrap();
    }
    let child = baokan_common::testing::ChildGuard::new(
        std::process::Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
            .args(["run", &dir.path().to_string_lossy()])
            .env("DATABASE_URL", &database.url)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Wait until some pages are in, then ask it to stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while count(&database.pool, "SELECT count(*) FROM pages").await < 20 {
        assert!(std::time::Instant::now() < deadline, "the run never started writing");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let terminated = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    let output = child.into_inner().wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("pages: "), "a summary is printed on the way out: {stdout}");
    let pages = count(&database.pool, "SELECT count(*) FROM pages").await;
    let whole = count(
        &database.pool,
        "SELECT count(*) FROM (SELECT page_id FROM articles GROUP BY page_id HAVING count(*) = 2) w",
    )
    .await;
    assert!(pages < 400, "it stopped early ({pages} pages)");
    assert_eq!(whole, pages, "every stored page has all its articles");
}

/// Two parts of one story stored at the same time by two workers are still
/// linked: the later linking transaction sees both pages.
#[tokio::test]
async fn parts_stored_concurrently_are_linked() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for _ in 0..4 {
        let database = fresh_database().await;
        let archive = tempfile::tempdir().unwrap();
        let issue = archive.path().join("山西日报").join("2021-04-09");
        std::fs::create_dir_all(&issue).unwrap();
        std::fs::copy(root.join("seeds/000_d426e6b5030342b4.txt"), issue.join("1.txt")).unwrap();
        std::fs::copy(root.join("fixtures/editions/山西日报/2021-04-09/2.txt"), issue.join("2.txt")).unwrap();
        let options = baokan_ingest::run::RunOptions { workers: 2, ..Default::default() };
        let stop = std::sync::atomic::AtomicBool::new(false);
        let summary = baokan_ingest::run::run_with(
            &database.pool,
            &[archive.path().to_path_buf()],
            &PageMetadata::default(),
            &stop,
            &options,
        )
        .await
        .unwrap();
        assert_eq!(summary.pages_new, 2);
        assert_eq!(count(&database.pool, "SELECT count(*) FROM continuations").await, 1);
    }
}

/// A one-article page whose names teach the analyzer `learnable`.
fn page_teaching(text: &str, learnable: &[&str]) -> (Vec<baokan_common::ParsedArticle>, Vec<ArticleNames>) {
    let articles = baokan_ingest::parse::parse_page(text).articles;
    let names = ArticleNames { learnable: learnable.iter().map(|w| w.to_string()).collect(), ..Default::default() };
    let names = vec![names; articles.len()];
    (articles, names)
}

/// Waits until some session of this database waits for a row lock.
async fn until_a_session_waits_for_a_lock(pool: &PgPool) {
    for _ in 0..500 {
        let waiting = count(
            pool,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .await;
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no session ever waited for a lock");
}

/// Opens a transaction on its own connection that holds `word` in the
/// dictionary (uncommitted), as another ingest storing a page would.
async fn writer_holding(
    pool: &PgPool,
    word: &str,
    deadlock_timeout: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut other = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('deadlock_timeout', $1, true)")
        .bind(deadlock_timeout)
        .execute(&mut *other)
        .await
        .unwrap();
    sqlx::query("INSERT INTO dictionary_words (word, source) VALUES ($1, 'other')")
        .bind(word)
        .execute(&mut *other)
        .await
        .unwrap();
    other
}

fn record<'a>(
    text: &'a str,
    metadata: &'a PageMetadata,
    articles: &'a [baokan_common::ParsedArticle],
    names: &'a [ArticleNames],
) -> PageRecord<'a> {
    PageRecord {
        source_path: "/archive/page.txt",
        content_hash: "hash",
        metadata,
        issue_month_day: None,
        encoding: "UTF-8",
        raw_text: text,
        articles,
        names,
        expect_new: true,
    }
}

/// Two pages that teach the same names take them in the same order, so a
/// page never deadlocks with another writer that follows that order: here
/// the other writer holds the first name, the page waits for it, and the
/// other writer then takes all the others without waiting. Had the page
/// taken any of them before waiting (in PostgreSQL's hash order, say), the
/// other writer, with the shorter deadlock timeout, would be the victim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_teaching_the_same_names_take_them_in_one_order() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let text = "本报讯（记者 王甲甲 王乙乙）稿件的正文。\n\n标题\n";
    let metadata = PageMetadata::default();
    let taught = ["王甲甲", "王乙乙", "张三", "李四", "赵五", "钱六", "孙七", "周八"];
    let (articles, names) = page_teaching(text, &taught);
    let page = record(text, &metadata, &articles, &names);
    let first = taught.iter().min().unwrap();
    let others: Vec<&str> = taught.iter().copied().filter(|word| word != first).collect();
    let mut other = writer_holding(pool, first, "50ms").await;
    let (stored, ()) = tokio::join!(store_page(pool, &page), async {
        until_a_session_waits_for_a_lock(pool).await;
        sqlx::query(
            "INSERT INTO dictionary_words (word, source) SELECT unnest($1::text[]), 'other' ON CONFLICT DO NOTHING",
        )
        .bind(&others)
        .execute(&mut *other)
        .await
        .expect("the page took a name before waiting for the first: deadlock");
        other.commit().await.unwrap();
    });
    assert_eq!(stored.unwrap(), StoreOutcome::New { articles: articles.len() });
    assert_eq!(count(pool, "SELECT count(*) FROM dictionary_words").await, taught.len() as i64);
}

/// A page whose transaction PostgreSQL aborts to break a deadlock with
/// another writer (one that takes names out of order) is stored by running
/// the transaction again: the page and all its articles, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_aborted_to_break_a_deadlock_is_stored_on_the_next_try() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let text = "本报讯（记者 王甲甲 王乙乙）稿件的正文。\n\n标题\n";
    let metadata = PageMetadata::default();
    let (articles, names) = page_teaching(text, &["王甲甲", "王乙乙"]);
    let page = record(text, &metadata, &articles, &names);
    // The other writer holds the name the page takes second and, with the
    // longer deadlock timeout, leaves the page to be the victim.
    let mut other = writer_holding(pool, "王甲甲", "30s").await;
    let (stored, ()) = tokio::join!(store_page(pool, &page), async {
        until_a_session_waits_for_a_lock(pool).await;
        sqlx::query("INSERT INTO dictionary_words (word, source) VALUES ('王乙乙', 'other') ON CONFLICT DO NOTHING")
            .execute(&mut *other)
            .await
            .unwrap();
        other.commit().await.unwrap();
    });
    assert_eq!(stored.unwrap(), StoreOutcome::New { articles: articles.len() });
    assert_eq!(count(pool, "SELECT count(*) FROM pages").await, 1);
    assert_eq!(count(pool, "SELECT count(*) FROM articles").await as usize, articles.len());
    assert_eq!(
        count(pool, "SELECT count(*) FROM article_changes").await as usize,
        articles.len(),
        "the aborted try left no change-log rows"
    );
}

/// A story long enough for a SimHash fingerprint (80+ characters).
const WIRE_STORY: &str = "新华社北京2月3日电 记者从国家统计局获悉，2021年全国粮食总产量13657亿斤，比上年增加267亿斤，\
    增长2.0%，连续7年稳定在1.3万亿斤以上。其中谷物产量12655亿斤，比上年增加388亿斤。国家统计局农村司司长表示，\
    全国粮食生产再获丰收，为稳定经济社会发展大局提供了有力支撑。";

async fn wire_groups(pool: &PgPool) -> Vec<(String, Option<i64>)> {
    sqlx::query_as(
        "SELECT p.source_path, a.wire_group FROM articles a JOIN pages p ON p.id = a.page_id ORDER BY p.source_path",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn reprints_share_a_wire_group_and_fingerprints_follow_their_articles() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let dir = tempfile::tempdir().unwrap();
    let (first, second, other) = (dir.path().join("a.txt"), dir.path().join("b.txt"), dir.path().join("c.txt"));
    ingest_text(pool, &first, &format!("{WIRE_STORY}\n\n全国粮食总产量创新高\n")).await;
    // The same story, re-wrapped, with other punctuation and one edit, in another paper.
    let reprint = WIRE_STORY.replace('，', ",").replace("记者从", "本报记者从").replace('。', "。\n");
    ingest_text(pool, &second, &format!("{reprint}\n\n粮食总产量再创新高\n")).await;
    let unrelated = "本报太原4月8日讯 4月8日上午，省委书记楼阳生在太原市参加义务植树活动。他强调，要深入学习贯彻\
        习近平生态文明思想，践行绿水青山就是金山银山理念，持续推进国土绿化，为建设美丽山西作出新贡献。参加活动的还有\
        省领导和机关干部群众。";
    ingest_text(pool, &other, &format!("{unrelated}\n\n省领导参加义务植树\n")).await;

    let groups = wire_groups(pool).await;
    assert_eq!(groups.len(), 3, "{groups:?}");
    assert!(groups[0].1.is_some() && groups[0].1 == groups[1].1, "the reprint joins the story's group: {groups:?}");
    assert_eq!(groups[2].1, None, "an unrelated story is in no group: {groups:?}");
    assert_eq!(count(pool, "SELECT count(*) FROM article_fingerprints").await, 3);
    let stray = "SELECT count(*) FROM article_fingerprints f JOIN articles a ON a.id = f.article_id
                 WHERE a.simhash IS DISTINCT FROM f.simhash";
    assert_eq!(count(pool, stray).await, 0, "each fingerprint is its article's");

    // Rewritten with a body too short for a fingerprint: it leaves the group.
    ingest_text(pool, &second, "本报讯 粮食再获丰收。\n\n粮食总产量再创新高\n").await;
    assert_eq!(count(pool, "SELECT count(*) FROM article_fingerprints").await, 2);
    assert_eq!(wire_groups(pool).await[1].1, None, "a rewritten short body is no copy");

    // A deleted page takes its articles' fingerprints along.
    let source_path = baokan_ingest::run::source_path_of(&first);
    let (pages, _) = baokan_ingest::store::delete_pages(pool, &[source_path], &[]).await.unwrap();
    assert_eq!(pages, 1);
    assert_eq!(count(pool, "SELECT count(*) FROM article_fingerprints").await, 1);
}

#[tokio::test]
async fn the_fingerprint_migration_copies_the_fingerprints_of_an_existing_archive() {
    let database = baokan_common::testing::database_migrated_to(3).await;
    let pool = &database.pool;
    sqlx::query(
        "WITH page AS (INSERT INTO pages (source_path, content_hash, encoding, raw_text)
                       VALUES ('/archive/a.txt', 'h', 'utf-8', 't') RETURNING id)
         INSERT INTO articles (page_id, ordinal, kind, paragraphs, simhash)
         SELECT id, n, 'article', '{}', CASE WHEN n = 2 THEN NULL ELSE 1000 + n END
         FROM page, generate_series(0, 2) AS n",
    )
    .execute(pool)
    .await
    .unwrap();
    baokan_common::db::MIGRATOR.run(pool).await.unwrap();
    let copied: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT a.ordinal, f.simhash FROM article_fingerprints f JOIN articles a ON a.id = f.article_id ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(copied, [(0, 1000), (1, 1001)], "every fingerprint, and none for an article without one");
}

/// The change log entries written after sequence `after`, as (article, op), sorted.
async fn logged_since(pool: &PgPool, after: i64) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT article_id, op FROM article_changes WHERE sequence > $1 ORDER BY article_id, op")
        .bind(after)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn last_sequence(pool: &PgPool) -> i64 {
    count(pool, "SELECT coalesce(max(sequence), 0) FROM article_changes").await
}

#[tokio::test]
async fn the_change_log_names_every_changed_article_once_and_the_stories_continued_into_it() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let page: i64 = sqlx::query_scalar(
        "INSERT INTO pages (source_path, content_hash, encoding, raw_text) VALUES ('p.txt', 'h', 'utf-8', '') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    // One statement inserting three articles logs each of them once.
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO articles (page_id, ordinal, kind, paragraphs)
         SELECT $1, n, 'article', ARRAY['第' || n || '段'] FROM generate_series(0, 2) AS n RETURNING id",
    )
    .bind(page)
    .fetch_all(pool)
    .await
    .unwrap();
    let (head, middle, tail) = (ids[0], ids[1], ids[2]);
    let upserts = |ids: &[i64]| ids.iter().map(|id| (*id, "upsert".to_string())).collect::<Vec<_>>();
    assert_eq!(logged_since(pool, 0).await, upserts(&[head, middle, tail]));
    // head → middle → tail: one story in three parts.
    sqlx::query("INSERT INTO continuations (head_id, tail_id) VALUES ($1, $2), ($2, $3)")
        .bind(head)
        .bind(middle)
        .bind(tail)
        .execute(pool)
        .await
        .unwrap();

    // Changing the last part re-indexes the whole story above it.
    let before = last_sequence(pool).await;
    sqlx::query("UPDATE articles SET paragraphs = ARRAY['改过的段'] WHERE id = $1")
        .bind(tail)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(logged_since(pool, before).await, upserts(&[head, middle, tail]));

    // An update that changes no value logs nothing.
    let before = last_sequence(pool).await;
    let touched =
        sqlx::query("UPDATE articles SET kind = kind WHERE page_id = $1").bind(page).execute(pool).await.unwrap();
    assert_eq!(touched.rows_affected(), 3);
    assert_eq!(logged_since(pool, before).await, Vec::new());

    // Deleting the last part logs its deletion and the story above it.
    let before = last_sequence(pool).await;
    sqlx::query("DELETE FROM articles WHERE id = $1").bind(tail).execute(pool).await.unwrap();
    let logged = logged_since(pool, before).await;
    assert!(logged.contains(&(tail, "delete".to_string())), "{logged:?}");
    assert!(
        logged.contains(&(head, "upsert".to_string())) && logged.contains(&(middle, "upsert".to_string())),
        "{logged:?}"
    );
}

/// The pool does not check a connection before every statement (a round
/// trip each), only one left idle: after PostgreSQL dropped the ingest's
/// idle connections (a restart, an administrator, an idle timeout), the
/// next pages are stored, not failed.
#[tokio::test]
async fn pages_are_stored_after_postgresql_dropped_the_idle_connections() {
    let database = fresh_database().await;
    let pool = baokan_common::db::connect_and_migrate(&database.url, 2).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let first = ingest_text(&pool, &folder.path().join("1.txt"), "本报讯 第一篇文章的正文。\n").await;
    assert_eq!((first.pages_new, first.pages_failed), (1, 0));

    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&database.pool)
    .await
    .unwrap();
    assert!(!terminated.is_empty() && terminated.iter().all(|done| *done), "{terminated:?}");
    tokio::time::sleep(baokan_common::db::CHECK_AFTER_IDLE + std::time::Duration::from_millis(300)).await;

    let second = ingest_text(&pool, &folder.path().join("2.txt"), "本报讯 第二篇文章的正文。\n").await;
    assert_eq!((second.pages_new, second.pages_failed), (1, 0), "{second:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM pages").await, 2);
}
