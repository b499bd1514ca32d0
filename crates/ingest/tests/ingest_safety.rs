//! Ingest safety against a real PostgreSQL database: the file size limit,
//! symlinks leading out of the input folder, odd file names (spaces, bytes
//! that are not UTF-8) and metadata that looks like SQL.

use std::path::{Path, PathBuf};

use baokan_common::testing::fresh_database;
use baokan_ingest::metadata::PageMetadata;
use baokan_ingest::run::{run, run_with, RunOptions};
use sqlx::PgPool;

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds").join(name)
}

const SEED: &str = "001_85245450a54b3a6c.txt";

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn errors(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as("SELECT source_path, reason FROM ingest_errors ORDER BY source_path, id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_a_failure_and_the_run_goes_on() {
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(seed(SEED), dir.path().join("a_good.txt")).unwrap();
    let limit = std::fs::metadata(seed(SEED)).unwrap().len();
    let big = "本报讯 大文件。\n".repeat(limit as usize / 10);
    std::fs::write(dir.path().join("b_big.txt"), &big).unwrap();
    let options = RunOptions { max_file_bytes: 2000, ..RunOptions::default() };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let summary =
        run_with(&database.pool, &[dir.path().to_path_buf()], &PageMetadata::default(), &stop, &options).await.unwrap();
    assert_eq!((summary.pages_new, summary.pages_failed), (0, 2), "the seed is over 2000 bytes too");

    let options = RunOptions { max_file_bytes: limit, ..RunOptions::default() };
    let summary =
        run_with(&database.pool, &[dir.path().to_path_buf()], &PageMetadata::default(), &stop, &options).await.unwrap();
    assert_eq!((summary.pages_new, summary.pages_failed), (1, 1), "a file of exactly the limit is read");
    let recorded = errors(&database.pool).await;
    let expected = format!(
        "file too large: {} bytes, over the limit of {limit} bytes (raise it with --max-file-bytes or \
         BAOKAN_MAX_FILE_BYTES)",
        big.len()
    );
    let big_rows: Vec<_> = recorded.iter().filter(|(path, _)| path.ends_with("b_big.txt")).collect();
    assert_eq!(big_rows.len(), 2);
    assert_eq!(big_rows[1].1, expected);
}

#[tokio::test]
async fn the_size_limit_is_a_flag_and_an_environment_variable() {
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    std::fs::copy(seed(SEED), &page).unwrap();
    let size = std::fs::metadata(&page).unwrap().len();
    let ingest = |extra: &[&str], env_limit: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_baokan-ingest"));
        command
            .arg("run")
            .args(extra)
            .arg(&page)
            .env("DATABASE_URL", &database.url)
            .env_remove("BAOKAN_MAX_FILE_BYTES");
        if let Some(limit) = env_limit {
            command.env("BAOKAN_MAX_FILE_BYTES", limit);
        }
        command.output().unwrap()
    };
    let small = (size - 1).to_string();
    let output = ingest(&[], Some(&small));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("file too large: {size} bytes, over the limit of {small} bytes")), "{stderr}");
    let output = ingest(&["--max-file-bytes", &size.to_string()], Some(&small));
    assert!(output.status.success(), "the flag wins: {}", String::from_utf8_lossy(&output.stderr));
    let output = ingest(&["--max-file-bytes", "0"], None);
    assert_eq!(output.status.code(), Some(2), "a zero limit is refused at start");
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_leading_out_of_the_input_folder_are_not_followed() {
    use std::os::unix::fs::symlink;
    let database = fresh_database().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(seed("000_d426e6b5030342b4.txt"), outside.path().join("secret.txt")).unwrap();
    std::fs::create_dir(outside.path().join("folder")).unwrap();
    std::fs::copy(seed("002_661331d949bc6e76.txt"), outside.path().join("folder/other.txt")).unwrap();

    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("inside")).unwrap();
    std::fs::copy(seed(SEED), root.path().join("inside/page.txt")).unwrap();
    symlink(outside.path().join("secret.txt"), root.path().join("escape.txt")).unwrap();
    symlink(outside.path().join("folder"), root.path().join("escape_dir")).unwrap();
    symlink(root.path().join("inside/page.txt"), root.path().join("alias.txt")).unwrap();
    symlink(root.path().join("inside"), root.path().join("alias_dir")).unwrap();
    symlink(root.path(), root.path().join("inside/loop")).unwrap();

    let (paths, flags) = ([root.path().to_path_buf()], PageMetadata::default());
    let walk = tokio::time::timeout(std::time::Duration::from_secs(30), run(&database.pool, &paths, &flags));
    let summary = walk.await.expect("a link loop must not hang the walk").unwrap();
    assert_eq!((summary.pages_new, summary.pages_failed), (1, 2), "{summary}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT raw_text FROM pages").fetch_all(&database.pool).await.unwrap();
    assert_eq!(stored, [std::fs::read_to_string(seed(SEED)).unwrap()], "only the page inside the folder is read");
    let recorded = errors(&database.pool).await;
    let canonical_outside = std::fs::canonicalize(outside.path()).unwrap();
    assert!(recorded[0].0.ends_with("escape.txt"), "{recorded:?}");
    assert!(recorded[0].1.starts_with("symlink leads out of the input folder"), "{recorded:?}");
    assert!(recorded[0].1.ends_with(&format!("-> {}/secret.txt (not followed)", canonical_outside.display())));
    assert!(recorded[1].0.ends_with("escape_dir") && recorded[1].1.contains("(not followed)"), "{recorded:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn odd_file_names_are_ingested_under_distinct_readable_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let names: [&[u8]; 4] = [b"with space.txt", b"page\xff.txt", b"page\xfe.txt", "第 1 版 (要闻).txt".as_bytes()];
    let seeds = ["000_d426e6b5030342b4.txt", SEED, "002_661331d949bc6e76.txt", "003_c8387fcf9c81d2cd.txt"];
    for (name, seed_name) in names.iter().zip(seeds) {
        std::fs::copy(seed(seed_name), dir.path().join(OsStr::from_bytes(name))).unwrap();
    }
    let first = run(&database.pool, &[dir.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    assert_eq!((first.pages_new, first.pages_failed), (4, 0), "{first}");
    let paths: Vec<String> = sqlx::query_scalar("SELECT source_path FROM pages ORDER BY source_path")
        .fetch_all(&database.pool)
        .await
        .unwrap();
    let file_names: Vec<&str> = paths.iter().map(|path| path.rsplit('/').next().unwrap()).collect();
    assert_eq!(file_names, ["page\\xFE.txt", "page\\xFF.txt", "with space.txt", "第 1 版 (要闻).txt"]);
    let second = run(&database.pool, &[dir.path().to_path_buf()], &PageMetadata::default()).await.unwrap();
    assert_eq!((second.pages_unchanged, second.pages_new, second.pages_failed), (4, 0, 0), "{second}");
}

#[tokio::test]
async fn metadata_that_looks_like_sql_is_stored_as_text() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let hostile = ["'); DROP TABLE pages; --", "Robert'); DELETE FROM articles;--"];
    let dir = tempfile::tempdir().unwrap();
    // Through the path convention.
    let page_dir = dir.path().join(hostile[0]).join("2021-04-09");
    std::fs::create_dir_all(&page_dir).unwrap();
    std::fs::copy(seed(SEED), page_dir.join("1.txt")).unwrap();
    let first = run(pool, &[page_dir.join("1.txt")], &PageMetadata::default()).await.unwrap();
    // Through the flag, on the command line.
    let loose = dir.path().join("x'; DROP TABLE articles; --.txt");
    std::fs::copy(seed("002_661331d949bc6e76.txt"), &loose).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baokan-ingest"))
        .args(["run", "--paper", hostile[1]])
        .arg(&loose)
        .env("DATABASE_URL", &database.url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let papers: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT paper, source_path FROM pages ORDER BY id").fetch_all(pool).await.unwrap();
    assert_eq!(papers.len(), 2);
    assert_eq!(papers[0].0.as_deref(), Some(hostile[0]));
    assert!(papers[0].1.contains(hostile[0]));
    assert_eq!(papers[1].0.as_deref(), Some(hostile[1]));
    assert!(papers[1].1.ends_with("x'; DROP TABLE articles; --.txt"));
    let articles = count(pool, "SELECT count(*) FROM articles").await;
    assert!(articles as usize > first.articles_written, "both pages' articles are there: {articles}");
    let tables = count(
        pool,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name IN ('pages', 'articles', 'ingest_errors', 'article_changes')",
    )
    .await;
    assert_eq!(tables, 4);
}
