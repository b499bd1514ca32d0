//! What a researcher types and gets back, over real gRPC: the query language
//! (AND, OR, exclusion, parentheses, fields), normalisation (traditional and
//! simplified, full and half width), filters, date sorting, highlights and
//! facets.

mod support;

use baokan_search::proto::{HighlightOptions, SearchFilter, SearchRequest, SortOrder};
use tonic::Code;

use support::{harness_with, search, search_with, seeds_with_metadata};

fn request(query: &str) -> SearchRequest {
    SearchRequest { query: query.into(), page_size: 100, ..Default::default() }
}

fn ids(response: &baokan_search::proto::SearchResponse) -> Vec<i64> {
    let mut ids: Vec<i64> = response.hits.iter().map(|h| h.article.as_ref().unwrap().id).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn boolean_operators_parentheses_and_fields() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;

    let both = search(c, "楼阳生 中国银行").await;
    let explicit = search(c, "楼阳生 AND 中国银行").await;
    assert_eq!(ids(&both), ids(&explicit));
    assert_eq!(both.total_hits, 1, "only the bank talks mention both");

    let either = search(c, "贠娟绸 OR 贺娟芳").await;
    assert_eq!(either.total_hits, 3, "two by 贠娟绸 and one by 贺娟芳");
    let grouped = search(c, "(贠娟绸 OR 贺娟芳) -万步有约").await;
    assert_eq!(grouped.total_hits, 2);

    // title: looks at headlines only; body: at the text only.
    let in_title = search(c, "title:万步有约").await;
    assert_eq!(in_title.total_hits, 1);
    assert_eq!(search(c, "title:贠娟绸").await.total_hits, 0, "the reporter is not in any headline");
    assert_eq!(search(c, "body:贠娟绸").await.total_hits, 2);

    // author: is an exact person: 杨文 is not 杨文俊.
    let yang_wen = search(c, "author:杨文").await;
    assert!(yang_wen.total_hits >= 2);
    for hit in &yang_wen.hits {
        assert!(hit.article.as_ref().unwrap().authors.contains(&"杨文".to_string()));
    }
    let yang_wen_jun = search(c, "author:杨文俊").await;
    assert_eq!(yang_wen_jun.total_hits, 1);
    assert!(ids(&yang_wen).iter().all(|id| !ids(&yang_wen_jun).contains(id)));

    let paper = search(c, "paper:晋中日报 疫情").await;
    assert!(paper.total_hits >= 1);
    assert!(paper.hits.iter().all(|h| h.article.as_ref().unwrap().paper == "晋中日报"));

    for (query, position) in [("(楼阳生", 0), ("楼阳生 OR", 4), ("title:", 0), ("a)", 1)] {
        let status = c.search(request(query)).await.expect_err(query);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains(&format!("character {position}")), "{query}: {}", status.message());
    }
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn traditional_width_and_case_variants_find_the_same_articles() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;
    let simplified = search(c, "医保局").await;
    assert!(simplified.total_hits >= 1);
    assert_eq!(ids(&search(c, "醫保局").await), ids(&simplified));
    assert_eq!(ids(&search(c, "ＣＮＮＩＣ").await), ids(&search(c, "cnnic").await));
    assert_eq!(search(c, "CnNiC").await.total_hits, 1);
    assert_eq!(ids(&search(c, "author:楊文").await), ids(&search(c, "author:杨文").await));
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn filters_restrict_and_sorting_orders_by_date() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;
    let filtered = |filter: SearchFilter| SearchRequest { filter: Some(filter), ..request("疫情") };

    let all = search(c, "疫情").await;
    let shanxi = search_with(c, filtered(SearchFilter { papers: vec!["山西日报".into()], ..Default::default() })).await;
    assert!(shanxi.total_hits > 0 && shanxi.total_hits < all.total_hits);
    assert!(shanxi.hits.iter().all(|h| h.article.as_ref().unwrap().paper == "山西日报"));

    let in_2022 = search_with(
        c,
        filtered(SearchFilter { date_from: "2022-01-01".into(), date_to: "2022-12-31".into(), ..Default::default() }),
    )
    .await;
    assert!(in_2022.total_hits > 0);
    assert!(in_2022.hits.iter().all(|h| h.article.as_ref().unwrap().issue_date.starts_with("2022")));

    let page_two = search_with(c, filtered(SearchFilter { pages: vec![2], ..Default::default() })).await;
    assert!(page_two.hits.iter().all(|h| h.article.as_ref().unwrap().page == 2));

    let photos = search_with(
        c,
        SearchRequest {
            filter: Some(SearchFilter { kind: "photo".into(), ..Default::default() }), ..request("活动")
        },
    )
    .await;
    assert!(photos.total_hits >= 1);
    assert!(photos.hits.iter().all(|h| h.article.as_ref().unwrap().kind == "photo"));

    let by_author = search_with(
        c,
        SearchRequest {
            filter: Some(SearchFilter { authors: vec!["杨文".into()], ..Default::default() }),
            ..request("省委")
        },
    )
    .await;
    assert!(by_author.hits.iter().all(|h| h.article.as_ref().unwrap().authors.contains(&"杨文".to_string())));

    let newest_first = search_with(c, SearchRequest { sort: SortOrder::DateDesc as i32, ..request("疫情") }).await;
    let dates: Vec<String> = newest_first.hits.iter().map(|h| h.article.as_ref().unwrap().issue_date.clone()).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    let oldest_first = search_with(c, SearchRequest { sort: SortOrder::DateAsc as i32, ..request("疫情") }).await;
    let dates: Vec<String> = oldest_first.hits.iter().map(|h| h.article.as_ref().unwrap().issue_date.clone()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);

    let bad = c
        .search(SearchRequest {
            filter: Some(SearchFilter { date_from: "2022-02-30".into(), ..Default::default() }),
            ..request("疫情")
        })
        .await
        .expect_err("bad date");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("date_from"));
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn highlights_use_the_requested_tags_on_body_and_title() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;
    let response = search_with(
        c,
        SearchRequest {
            highlight: Some(HighlightOptions { pre_tag: "[[".into(), post_tag: "]]".into(), snippet_chars: 40 }),
            ..request("万步有约")
        },
    )
    .await;
    let hit = &response.hits[0];
    assert!(hit.snippet.contains("[[万步有约]]"), "{}", hit.snippet);
    assert!(hit.snippet.chars().count() <= 40 + 4 * 4, "{}", hit.snippet);
    assert_eq!(hit.title_highlight, "山西省第六届“[[万步有约]]”健走激励大赛启动");

    // Matches across punctuation are marked on the characters themselves.
    let slogan = search(c, "两山理论").await;
    assert!(slogan.hits[0].title_highlight.contains("<em>"), "{}", slogan.hits[0].title_highlight);
    h.server.stop().await.unwrap();
}

#[tokio::test]
async fn facets_count_all_hits_not_just_the_page() {
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;
    let response = search_with(c, SearchRequest { page_size: 1, facets: true, ..request("疫情") }).await;
    assert_eq!(response.hits.len(), 1);
    let facets = response.facets.expect("facets requested");
    let paper_total: u64 = facets.papers.iter().map(|f| f.count).sum();
    assert_eq!(paper_total, response.total_hits, "every hit has a paper");
    let kind_total: u64 = facets.kinds.iter().map(|f| f.count).sum();
    assert_eq!(kind_total, response.total_hits);
    assert!(facets.months.iter().any(|f| f.value == "2022-03"));
    assert!(facets.papers.windows(2).all(|pair| pair[0].count >= pair[1].count), "largest first");
    assert!(!facets.authors.is_empty());
    let without = search(c, "疫情").await;
    assert!(without.facets.is_none(), "facets only on request");

    // Naming facets counts those (the same counts as with all), and only those.
    let named =
        SearchRequest { page_size: 1, facet_fields: vec!["papers".into(), "author".into()], ..request("疫情") };
    let some = search_with(c, named).await.facets.expect("naming facets asks for them");
    assert_eq!(some.papers, facets.papers);
    assert_eq!(some.authors, facets.authors);
    assert!(some.months.is_empty() && some.kinds.is_empty() && some.persons.is_empty(), "{some:?}");
    // After a search for one facet, all of them still count the same.
    let again = search_with(c, SearchRequest { page_size: 1, facets: true, ..request("疫情") }).await;
    assert_eq!(again.facets.expect("facets requested"), facets);
    let unknown = SearchRequest { facet_fields: vec!["paper".into(), "colour".into()], ..request("疫情") };
    let status = c.search(unknown).await.expect_err("an unknown facet is refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("\"colour\"") && status.message().contains("person"), "{}", status.message());
    h.server.stop().await.unwrap();
}

/// Hits as (id, score) in the order returned.
fn ranked(response: &baokan_search::proto::SearchResponse) -> Vec<(i64, f32)> {
    response.hits.iter().map(|h| (h.article.as_ref().unwrap().id, h.score)).collect()
}

#[tokio::test]
async fn one_word_ranks_and_counts_like_the_general_query() {
    // A one-word query is ranked with block-max WAND and counted from
    // document frequencies; the same word twice goes the general way (every
    // hit scored, each score doubled). Both must agree on hits, totals and order.
    let pages = seeds_with_metadata();
    let mut h = harness_with(&[pages.path().to_path_buf()]).await;
    let c = &mut h.client;
    for word in ["发展", "疫情", "记者", "北京", "中国", "ATM"] {
        let one = search(c, word).await;
        let twice = search(c, &format!("{word} {word}")).await;
        assert!(one.total_hits > 0, "{word}");
        assert_eq!(one.total_hits, twice.total_hits, "{word}");
        assert_eq!(one.hits.len() as u64, one.total_hits, "{word}: one page holds every hit");
        let (one, twice) = (ranked(&one), ranked(&twice));
        assert_eq!(one.len(), twice.len(), "{word}");
        for (position, ((id, score), (other_id, doubled))) in one.iter().zip(&twice).enumerate() {
            assert!((score * 2.0 - doubled).abs() <= 1e-3 * doubled.abs(), "{word} #{position}: {one:?} vs {twice:?}");
            // Equal ids in equal places, unless two scores tie.
            let tied = one.iter().any(|(other, s)| other != id && (s - score).abs() <= 1e-4 * score.abs());
            assert!(id == other_id || tied, "{word} #{position}: {one:?} vs {twice:?}");
        }
        // Pages of two follow the same order.
        let first = search_with(c, SearchRequest { page_size: 2, ..request(word) }).await;
        assert_eq!(first.total_hits as usize, one.len());
        let first_ids: Vec<i64> = ranked(&first).iter().map(|(id, _)| *id).collect();
        let expected: Vec<i64> = one.iter().take(2).map(|(id, _)| *id).collect();
        assert_eq!(first_ids, expected, "{word}");
        if one.len() > 2 {
            let token = first.next_page_token.clone();
            let second = search_with(c, SearchRequest { page_size: 2, page_token: token, ..request(word) }).await;
            let second_ids: Vec<i64> = ranked(&second).iter().map(|(id, _)| *id).collect();
            let expected: Vec<i64> = one.iter().skip(2).take(2).map(|(id, _)| *id).collect();
            assert_eq!(second_ids, expected, "{word}");
        }
    }
    h.server.stop().await.unwrap();
}
