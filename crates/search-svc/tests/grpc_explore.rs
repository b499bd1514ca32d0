//! Exploring an archive over real gRPC: paging that stays consistent while
//! the index changes, related articles, completion, trends, export, the
//! recall guarantee over every seed article, and ranking.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use baokan_ingest::metadata::PageMetadata;
use baokan_search::proto::{
    ExportRequest, MoreLikeThisRequest, SearchFilter, SearchRequest, SuggestRequest, TrendInterval, TrendRequest,
};
use tonic::Code;

use support::{harness_with, search, search_with, seeds_with_metadata};

#[tokio::test]
async fn page_tokens_keep_one_snapshot_while_the_index_changes() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let first =
        search_with(&mut h.client, SearchRequest { query: "疫情".into(), page_size: 2, ..Default::default() }).await;
    let total = first.total_hits;
    let mut seen: Vec<i64> = first.hits.iter().map(|hit| hit.article.as_ref().unwrap().id).collect();

    // A new page about the same topic lands between page 1 and page 2.
    let extra = tempfile::tempdir().unwrap();
    let page = extra.path().join("new.txt");
    std::fs::write(&page, "本报讯（记者 钱七）疫情疫情疫情，疫情防控再部署。\n\n疫情防控新闻\n").unwrap();
    baokan_ingest::run::run(&h.database.pool, &[page], &PageMetadata::default()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while search(&mut h.client, "疫情").await.total_hits == total {
        assert!(Instant::now() < deadline, "the new page never became searchable");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut token = first.next_page_token;
    while !token.is_empty() {
        let page = search_with(
            &mut h.client,
            SearchRequest { query: "疫情".into(), page_size: 2, page_token: token.clone(), ..Default::default() },
        )
        .await;
        assert_eq!(page.total_hits, total, "later pages come from the first page's snapshot");
        seen.extend(page.hits.iter().map(|hit| hit.article.as_ref().unwrap().id));
        token = page.next_page_token;
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!((seen.len() as u64, unique.len() as u64), (total, total), "no hit twice, none skipped");
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn more_like_this_suggest_trend_and_export() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;

    // The two articles by 杨文 on the provincial people's congress and the
    // epidemic meeting are each other's relatives more than the photo captions.
    let walking = search(c, "万步有约").await.hits[0].article.clone().unwrap();
    let related =
        c.more_like_this(MoreLikeThisRequest { article_id: walking.id, page_size: 5 }).await.unwrap().into_inner();
    assert!(!related.hits.is_empty());
    assert!(related.hits.iter().all(|hit| hit.article.as_ref().unwrap().id != walking.id), "not itself");
    let missing = c.more_like_this(MoreLikeThisRequest { article_id: 999_999, page_size: 5 }).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let people = c.suggest(SuggestRequest { prefix: "杨".into(), limit: 10 }).await.unwrap().into_inner();
    let names: Vec<(&str, &str)> = people.suggestions.iter().map(|s| (s.text.as_str(), s.kind.as_str())).collect();
    assert!(names.contains(&("杨文", "person")) && names.contains(&("杨文俊", "person")), "{names:?}");
    let words = c.suggest(SuggestRequest { prefix: "疫情".into(), limit: 10 }).await.unwrap().into_inner();
    assert!(
        words.suggestions.iter().any(|s| s.kind == "word" && s.text.starts_with("疫情")),
        "{:?}",
        words.suggestions
    );
    assert!(words.suggestions.windows(2).all(|pair| pair[0].count >= pair[1].count));
    let empty = c.suggest(SuggestRequest { prefix: " ".into(), limit: 10 }).await.unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);

    let trend = c
        .trend(TrendRequest { query: "疫情".into(), interval: TrendInterval::Month as i32, filter: None })
        .await
        .unwrap()
        .into_inner();
    let periods: Vec<&str> = trend.buckets.iter().map(|b| b.period.as_str()).collect();
    let mut sorted = periods.clone();
    sorted.sort_unstable();
    assert_eq!(periods, sorted, "oldest first");
    assert!(periods.contains(&"2022-03") && periods.contains(&"2021-02"), "{periods:?}");
    assert_eq!(trend.buckets.iter().map(|b| b.count).sum::<u64>(), trend.total_hits, "every seed is dated");
    let yearly = c
        .trend(TrendRequest { query: "疫情".into(), interval: TrendInterval::Year as i32, filter: None })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(yearly.buckets.iter().map(|b| b.period.as_str()).collect::<Vec<_>>(), ["2021", "2022"]);

    let everything = search(c, "疫情").await;
    let mut stream = c.export(ExportRequest { query: "疫情".into(), filter: None }).await.unwrap().into_inner();
    let mut exported = Vec::new();
    while let Some(article) = stream.message().await.unwrap() {
        assert!(!article.paragraphs.is_empty() || article.kind == "photo", "full text is exported");
        exported.push(article.id);
    }
    let mut expected: Vec<i64> = everything.hits.iter().map(|hit| hit.article.as_ref().unwrap().id).collect();
    expected.sort_unstable();
    assert_eq!(exported, expected, "every hit exactly once");
    let filtered = c
        .export(ExportRequest {
            query: "疫情".into(),
            filter: Some(SearchFilter { papers: vec!["晋中日报".into()], ..Default::default() }),
        })
        .await
        .unwrap()
        .into_inner();
    let mut filtered = filtered;
    while let Some(article) = filtered.message().await.unwrap() {
        assert_eq!(article.paper, "晋中日报");
    }
    h.server.stop().await.unwrap();
}

/// Han characters of a text in order, with punctuation, spaces and line
/// breaks skipped; runs are broken by Latin letters and digits.
fn han_runs(text: &str) -> Vec<Vec<char>> {
    let mut runs = vec![Vec::new()];
    for c in text.chars() {
        let han = matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}');
        if han {
            if let Some(run) = runs.last_mut() {
                run.push(c);
            }
        } else if c.is_alphanumeric() && runs.last().is_some_and(|run| !run.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|run| run.len() >= 2);
    runs
}

/// id, kicker, title, subtitle, paragraphs
type ArticleText = (i64, Option<String>, Option<String>, Option<String>, Vec<String>);

/// Any run of two or more Han characters of a title or body finds its article,
/// whatever jieba makes of it: sampled deterministically over every seed article.
#[tokio::test]
async fn every_substring_of_every_seed_article_finds_it() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let articles: Vec<ArticleText> =
        sqlx::query_as("SELECT id, kicker, title, subtitle, paragraphs FROM articles ORDER BY id")
            .fetch_all(&h.database.pool)
            .await
            .unwrap();
    assert!(articles.len() > 40);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let mut checked = 0;
    for (id, kicker, title, subtitle, paragraphs) in &articles {
        let heading = [kicker, title, subtitle].into_iter().flatten().cloned().collect::<Vec<_>>().join("\n");
        let body = paragraphs.join("\n");
        for text in [heading, body] {
            let runs = han_runs(&text);
            if runs.is_empty() {
                continue;
            }
            for _ in 0..6 {
                let run = &runs[next(runs.len())];
                let length = 2 + next(run.len().min(9) - 1);
                let start = next(run.len() - length + 1);
                let needle: String = run[start..start + length].iter().collect();
                let response = search(&mut h.client, &format!("\"{needle}\"")).await;
                let found = response.hits.iter().any(|hit| hit.article.as_ref().unwrap().id == *id);
                assert!(found, "\"{needle}\" does not find article {id} ({} hits)", response.total_hits);
                checked += 1;
            }
        }
    }
    eprintln!("recall: {checked} substrings, all found");
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn headline_and_whole_word_matches_rank_first() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    std::fs::write(
        &page,
        "本报讯（记者 甲乙）今年的春季展会上，一家通信企业介绍了最新的研发成果，多位客户到场洽谈。\n\n华为展台人气旺\n\n\
         本报讯（记者 丙丁）华为公司发布了新一代产品，现场观众热情很高，多家企业表示愿意合作。\n\n新品发布会举行\n\n\
         本报讯（记者 戊己）中华为民族复兴而奋斗的故事，在展会的文艺演出中被反复讲述，现场观众热情很高。\n\n文艺演出受欢迎\n",
    )
    .unwrap();
    let mut h = harness_with(&[page]).await;
    let response = search(&mut h.client, "华为").await;
    let titles: Vec<String> = response.hits.iter().map(|hit| hit.article.as_ref().unwrap().title.clone()).collect();
    assert_eq!(titles.len(), 3, "all three contain the characters 华为");
    assert_eq!(titles[0], "华为展台人气旺", "a headline match first: {titles:?}");
    assert_eq!(titles[1], "新品发布会举行", "then the whole word, before 中华/为: {titles:?}");
    h.server.stop().await.unwrap();
}
