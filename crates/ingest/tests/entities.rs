//! Entity extraction on the real seed pages, on arbitrary input, and against
//! the MSRA NER test set (floors a little below the measured scores, so a
//! regression fails), with a speed figure printed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use baokan_common::model::ParsedArticle;
use baokan_ingest::entities::{entities_of, evaluate, learnable_names, mentions_in_text, EntityKind};
use baokan_ingest::page_file::read_page_file;
use proptest::prelude::*;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seed_articles(prefix: &str) -> Vec<ParsedArticle> {
    let seeds = repository().join("seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .expect("seeds folder")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with(prefix)))
        .collect();
    files.sort();
    files.iter().flat_map(|path| read_page_file(path).expect("seed parses").parsed.articles).collect()
}

fn has_person(article: &ParsedArticle, name: &str) -> bool {
    entities_of(article).iter().any(|entity| entity.kind == EntityKind::Person && entity.name == name)
}

#[test]
fn seed_000_names_lou_yangsheng_as_a_person() {
    let articles = seed_articles("000_");
    let mentioning: Vec<&ParsedArticle> =
        articles.iter().filter(|article| article.body_text().contains("楼阳生")).collect();
    assert!(!mentioning.is_empty(), "seed 000 mentions 楼阳生");
    for article in &mentioning {
        assert!(has_person(article, "楼阳生"), "{:?}: {:?}", article.title, entities_of(article));
    }
    let titled = mentioning.iter().any(|article| learnable_names(article).contains(&"楼阳生".to_string()));
    assert!(titled, "省委书记楼阳生 teaches the name");
}

#[test]
fn seed_001_names_yang_wen_by_byline() {
    let articles = seed_articles("001_");
    let bylined: Vec<&ParsedArticle> =
        articles.iter().filter(|article| article.authors.iter().any(|a| a == "杨文")).collect();
    assert!(!bylined.is_empty(), "seed 001 has articles by 杨文");
    for article in bylined {
        assert!(has_person(article, "杨文"), "{:?}", entities_of(article));
    }
}

#[test]
fn prints_speed_on_seed_articles() {
    let articles: Vec<ParsedArticle> =
        ["000_", "001_", "002_", "003_", "004_"].iter().flat_map(|p| seed_articles(p)).collect();
    baokan_ingest::entities::tokens::warm_up();
    let characters: usize = articles.iter().map(|a| a.body_text().chars().count()).sum();
    let started = Instant::now();
    let rounds = 5;
    let mut entities = 0;
    for _ in 0..rounds {
        for article in &articles {
            entities += entities_of(article).len();
        }
    }
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let per_second = (articles.len() * rounds) as f64 / seconds;
    println!(
        "entities_of: {} seed articles ({characters} characters) x {rounds}: {per_second:.0} articles/s, {:.0} characters/s, {} entities each round",
        articles.len(),
        (characters * rounds) as f64 / seconds,
        entities / rounds
    );
}

#[test]
fn prints_speed_on_peoples_daily_articles() {
    let corpus = repository().join("../shared/corpora/peoples-daily-2025/people2025.jsonl");
    let Ok(content) = std::fs::read_to_string(&corpus) else {
        println!("skipped: {} is absent", corpus.display());
        return;
    };
    let articles: Vec<ParsedArticle> = content
        .lines()
        .take(300)
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|value| {
            let mut article = ParsedArticle::new(baokan_common::model::ArticleKind::Article);
            article.title = value["title"].as_str().map(str::to_string);
            article.paragraphs = value["text"].as_str().unwrap_or_default().lines().map(str::to_string).collect();
            article
        })
        .collect();
    baokan_ingest::entities::tokens::warm_up();
    let characters: usize = articles.iter().map(|a| a.body_text().chars().count()).sum();
    let started = Instant::now();
    let entities: usize = articles.iter().map(|article| entities_of(article).len()).sum();
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "entities_of: {} People's Daily 2025 articles ({characters} characters): {:.0} articles/s, {:.0} characters/s, {entities} entities",
        articles.len(),
        articles.len() as f64 / seconds,
        characters as f64 / seconds
    );
}

#[test]
fn msra_scores_stay_above_floors() {
    let dir = repository().join("../shared/corpora/msra-ner-sighan2006-test");
    if !dir.is_dir() {
        println!("skipped: {} is absent (clones sit beside shared/)", dir.display());
        return;
    }
    let (before, after) = evaluate::evaluate_msra(&dir).expect("MSRA gold file");
    println!("MSRA NER, jieba tags only:\n{before}\nwith rules:\n{after}");
    // Measured: person 0.753, place 0.660, org 0.649, overall 0.688 (jieba alone: 0.545).
    let floors = [(EntityKind::Person, 0.72), (EntityKind::Place, 0.63), (EntityKind::Org, 0.61)];
    for (kind, floor) in floors {
        let f1 = after.kind(kind).f1();
        assert!(f1 >= floor, "{} F1 {f1:.3} below {floor}", kind.as_str());
    }
    assert!(after.overall().f1() >= 0.66, "overall F1 {:.3}", after.overall().f1());
    assert!(after.overall().f1() > before.overall().f1(), "the rules must beat jieba's tags alone");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mentions_never_panic_and_spans_are_valid(text in "\\PC{0,60}|[省市长书记委局厅、楼阳生张李王中国人民银行县镇]{0,40}") {
        let chars: Vec<char> = text.chars().collect();
        let mut previous_end = 0;
        for mention in mentions_in_text(&text) {
            prop_assert!(mention.start_char < mention.end_char && mention.end_char <= chars.len());
            prop_assert!(mention.start_char >= previous_end, "spans overlap");
            let span: String = chars[mention.start_char..mention.end_char].iter().collect();
            prop_assert_eq!(span, mention.name);
            previous_end = mention.end_char;
        }
    }

    #[test]
    fn mentions_survive_any_unicode(text in any::<String>()) {
        let _ = mentions_in_text(&text);
    }
}
