//! Beyond the search box, on the seeds laid out as real issues plus
//! `fixtures/editions/`: browsing papers, issues and pages in reading order;
//! a story continued from page 1 to page 2 stitched into one searchable
//! article while other jumps are listed as dangling; a wire story reprinted
//! in another paper collapsed into one hit; dateline-city and name fields
//! and facets; a reporter's articles over time; and names from bylines
//! learned by the analyzer, re-indexing only the articles that contain them.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baokan_search::proto::search_service_client::SearchServiceClient;
use baokan_search::proto::{
    ExportRequest, GetArticleRequest, GetPageRequest, ListIssuesRequest, ListJumpsRequest, ListPapersRequest,
    ReporterRequest, SearchRequest, SearchResponse, SuggestRequest, TrendInterval, TrendRequest,
};
use support::{harness_with, search, search_with, seeds_with_metadata, titles, Harness};
use tonic::transport::Channel;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/editions")
}

/// Seeds as real issues plus the edition fixtures.
async fn archive() -> (Harness, tempfile::TempDir) {
    let seeds = seeds_with_metadata();
    let h = harness_with(&[seeds.path().to_path_buf(), fixtures()]).await;
    (h, seeds)
}

fn query(text: &str) -> SearchRequest {
    SearchRequest { query: text.into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn papers_issues_and_pages_are_browsed_in_print_order() {
    let (mut h, _seeds) = archive().await;
    let papers = h.client.list_papers(ListPapersRequest {}).await.unwrap().into_inner().papers;
    let names: Vec<&str> = papers.iter().map(|p| p.paper.as_str()).collect();
    assert_eq!(names, ["大同日报", "太原日报", "太行日报", "山西日报", "晋中日报"]);
    let shanxi = papers.iter().find(|p| p.paper == "山西日报").unwrap();
    assert_eq!((shanxi.issues, shanxi.pages), (2, 3));
    assert_eq!((shanxi.first_issue.as_str(), shanxi.last_issue.as_str()), ("2021-04-09", "2022-03-04"));

    let issues = h
        .client
        .list_issues(ListIssuesRequest {
            paper: "山西日报".into(),
            date_from: "2021-01-01".into(),
            date_to: "2021-12-31".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .issues;
    assert_eq!(issues.len(), 1);
    assert_eq!((issues[0].issue_date.as_str(), issues[0].pages.as_slice()), ("2021-04-09", &[1, 2][..]));

    let page = |page| GetPageRequest { paper: "山西日报".into(), issue_date: "2021-04-09".into(), page };
    let front = h.client.get_page(page(1)).await.unwrap().into_inner();
    assert_eq!((front.previous_page, front.next_page), (0, 2));
    let ordinals: Vec<i32> = front.articles.iter().map(|a| a.ordinal).collect();
    assert_eq!(ordinals, (0..front.articles.len() as i32).collect::<Vec<_>>(), "reading order");
    assert_eq!(front.articles[0].title, "山西省第六届“万步有约”健走激励大赛启动");
    assert!(!front.articles[0].paragraphs.is_empty(), "a page comes with its text");
    let second = h.client.get_page(page(2)).await.unwrap().into_inner();
    assert_eq!((second.previous_page, second.next_page), (1, 0));
    let missing = h.client.get_page(page(9)).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert!(missing.message().contains("no page 9 of 山西日报 on 2021-04-09"), "{}", missing.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continued_story_is_one_searchable_article_and_other_jumps_dangle() {
    let (mut h, _seeds) = archive().await;
    // Text only printed in the page 2 part finds the story, as its first part.
    let found = search(&mut h.client, "武宿机场设立接驳点").await;
    assert_eq!(titles(&found), ["我省各部门联手精心筹备中博会"]);
    let head = found.hits[0].article.clone().unwrap();
    assert_eq!(head.page, 1, "the hit is the first part");
    assert_eq!(head.parts.len(), 1, "with a link to its second part");
    // Text of page 1 finds the same single article.
    let front = search(&mut h.client, "逐一实地勘察").await;
    assert_eq!(front.hits.iter().map(|hit| hit.article.as_ref().unwrap().id).collect::<Vec<_>>(), [head.id]);

    let tail =
        h.client.get_article(GetArticleRequest { id: head.parts[0] }).await.unwrap().into_inner().article.unwrap();
    assert_eq!((tail.page, tail.continues_article), (2, head.id));
    assert_eq!(tail.continued_from_pages, [1]);
    let full = h.client.get_article(GetArticleRequest { id: head.id }).await.unwrap().into_inner().article.unwrap();
    assert_eq!(full.continues_on_pages, [2]);

    // Trend and Export count the story once, as Search does; Export streams
    // its later part after it, since that is where the words are printed.
    let trend = h
        .client
        .trend(TrendRequest {
            query: "武宿机场设立接驳点".into(), interval: TrendInterval::Year as i32, filter: None
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(trend.total_hits, 1, "{trend:?}");
    for words in ["武宿机场设立接驳点", "逐一实地勘察"] {
        let request = ExportRequest { query: words.into(), filter: None };
        let mut stream = h.client.export(request).await.unwrap().into_inner();
        let mut exported = Vec::new();
        while let Some(article) = stream.message().await.unwrap() {
            exported.push((article.id, article.continues_article));
        }
        assert_eq!(exported, [(head.id, 0), (tail.id, head.id)], "export of {words}");
    }

    let jumps = h.client.list_jumps(ListJumpsRequest::default()).await.unwrap().into_inner().jumps;
    let linked: Vec<_> = jumps.iter().filter(|j| j.linked_article_id != 0).collect();
    assert_eq!(linked.len(), 2, "both ends of the stitched story: {jumps:#?}");
    let dangling = h
        .client
        .list_jumps(ListJumpsRequest { dangling_only: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .jumps;
    assert_eq!(dangling.len(), jumps.len() - 2);
    assert!(dangling.iter().all(|j| j.direction == "to" && j.target_page == 2));
    assert!(dangling.iter().any(|j| j.article.as_ref().unwrap().paper == "晋中日报"), "the 晋中日报 front page jumps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wire_story_printed_twice_collapses_into_one_hit() {
    let (mut h, _seeds) = archive().await;
    let plain = search(&mut h.client, "慕云山").await;
    assert_eq!(plain.hits.len(), 2, "both prints match: {:?}", titles(&plain));
    let groups: Vec<i64> = plain.hits.iter().map(|hit| hit.article.as_ref().unwrap().wire_group).collect();
    assert!(groups[0] != 0 && groups[0] == groups[1], "one wire group: {groups:?}");

    let collapsed = search_with(&mut h.client, SearchRequest { collapse_wire_copies: true, ..query("慕云山") }).await;
    assert_eq!(collapsed.hits.len(), 1);
    let also_in = &collapsed.hits[0].also_in;
    assert_eq!(also_in.len(), 1);
    let shown = collapsed.hits[0].article.as_ref().unwrap();
    assert_ne!(also_in[0].paper, shown.paper, "the other print is in the other paper");
    // A story printed once is not affected.
    let single = search_with(&mut h.client, SearchRequest { collapse_wire_copies: true, ..query("万步有约") }).await;
    assert!(single.hits.iter().all(|hit| hit.also_in.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cities_and_names_are_fields_and_facets_and_reporters_have_a_history() {
    let (mut h, _seeds) = archive().await;
    let in_taiyuan = search_with(&mut h.client, SearchRequest { facets: true, ..query("city:太原") }).await;
    assert!(in_taiyuan.total_hits >= 4, "{}", in_taiyuan.total_hits);
    assert!(in_taiyuan.hits.iter().all(|hit| hit.article.as_ref().unwrap().dateline_city == "太原"));
    let facets = in_taiyuan.facets.unwrap();
    assert_eq!(facets.cities[0].value, "太原");
    assert!(facets.persons.iter().any(|person| person.value == "贠娟绸"));
    let by_person = search(&mut h.client, "person:杨文").await;
    assert!(by_person.total_hits >= 2, "bylines are persons");
    // Names in the text, after official titles: 省委书记楼阳生, 市长常书铭.
    let lou = search_with(&mut h.client, SearchRequest { facets: true, ..query("person:楼阳生") }).await;
    assert!(lou.total_hits >= 2, "楼阳生 is named in several articles: {}", lou.total_hits);
    assert!(lou.hits.iter().all(|hit| hit.article.as_ref().unwrap().persons.contains(&"楼阳生".to_string())));
    let lou_facets = lou.facets.unwrap();
    assert!(lou_facets.places.iter().any(|place| place.value.contains("太原")), "{:?}", lou_facets.places);
    assert!(!lou_facets.orgs.is_empty(), "organisations are counted too");
    assert!(search(&mut h.client, "person:常书铭").await.total_hits >= 1);
    assert_eq!(search(&mut h.client, "person:楼阳").await.total_hits, 0, "names match whole");

    let reporter =
        h.client.reporter(ReporterRequest { name: "杨 文".into(), ..Default::default() }).await.unwrap().into_inner();
    assert_eq!(reporter.name, "杨文");
    assert_eq!(reporter.total_articles, 3, "{:#?}", reporter.articles);
    let dates: Vec<&str> = reporter.articles.iter().map(|a| a.issue_date.as_str()).collect();
    assert_eq!(dates, ["2022-03-04", "2022-03-04", "2021-04-09"], "newest first");
    let months: Vec<(&str, u64)> = reporter.months.iter().map(|m| (m.value.as_str(), m.count)).collect();
    assert_eq!(months, [("2021-04", 1), ("2022-03", 2)]);
    assert_eq!(reporter.papers[0].value, "山西日报");
    let unknown = h.client.reporter(ReporterRequest { name: "无此人".into(), ..Default::default() }).await.unwrap();
    assert_eq!(unknown.into_inner().total_articles, 0);
}

async fn word_suggestions(client: &mut SearchServiceClient<Channel>, prefix: &str) -> Vec<String> {
    let suggestions = client.suggest(SuggestRequest { prefix: prefix.into(), limit: 20 }).await.unwrap();
    suggestions.into_inner().suggestions.into_iter().filter(|s| s.kind == "word").map(|s| s.text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_learned_from_a_byline_becomes_a_word_in_articles_already_indexed() {
    let (mut h, _seeds) = archive().await;
    assert!(
        !word_suggestions(&mut h.client, "史春").await.contains(&"史春风".to_string()),
        "jieba does not know the name yet"
    );
    let inbox = tempfile::tempdir().unwrap();
    let page = inbox.path().join("晋中日报").join("2021-05-01");
    std::fs::create_dir_all(&page).unwrap();
    std::fs::write(
        page.join("1.txt"),
        "本报讯（记者 史春风）近日，晋中市举办春季招聘会，百余家企业提供就业岗位三千多个。\n\n春季招聘会在晋中举办\n",
    )
    .unwrap();
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dictionary_words").fetch_one(&h.database.pool).await.unwrap();
    baokan_ingest::run::run(&h.database.pool, &[inbox.path().to_path_buf()], &Default::default()).await.unwrap();
    let learned: Vec<(String, String)> =
        sqlx::query_as("SELECT word, source FROM dictionary_words WHERE word = '史春风'")
            .fetch_all(&h.database.pool)
            .await
            .unwrap();
    assert_eq!(learned, [("史春风".to_string(), "byline".to_string())]);
    let after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dictionary_words").fetch_one(&h.database.pool).await.unwrap();
    assert_eq!(after, before + 1, "only the new name is added");

    // The page 2 headline `史春风走访太原基层企业` was indexed before the name
    // was known; it is re-indexed, so the name is now one headline word.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !word_suggestions(&mut h.client, "史春").await.contains(&"史春风".to_string()) {
        assert!(Instant::now() < deadline, "the article containing the name was not re-indexed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tokens: Vec<String> =
        baokan_search::analyzer::word_tokens("史春风说").into_iter().map(|token| token.text).collect();
    assert!(tokens.contains(&"史春风".to_string()), "{tokens:?}");
    let found: SearchResponse = search(&mut h.client, "史春风").await;
    let found_titles = titles(&found);
    assert!(found_titles.contains(&"史春风走访太原基层企业".to_string()), "{found_titles:?}");
}
