//! The fixed query mix: common words, rare names, two-word AND, phrases,
//! filtered, faceted and highlighted searches. Every query is also a set of
//! substrings (all must occur in the headline or body) plus an optional paper
//! and date range, so the alternatives can run the same search.

use chrono::NaiveDate;
use sqlx::PgPool;

use baokan_search::analyzer::is_han;

/// Kinds of query in the mix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryClass {
    #[default]
    CommonWord,
    RareName,
    TwoWordAnd,
    Phrase,
    Filtered,
    Facets,
    Highlight,
}

impl QueryClass {
    pub fn name(self) -> &'static str {
        match self {
            QueryClass::CommonWord => "common word",
            QueryClass::RareName => "rare name",
            QueryClass::TwoWordAnd => "2-word AND",
            QueryClass::Phrase => "phrase",
            QueryClass::Filtered => "filtered",
            QueryClass::Facets => "facets",
            QueryClass::Highlight => "highlight",
        }
    }
}

/// The facets a facet query of the mix counts.
pub const FACETS: [&str; 4] = ["paper", "month", "author", "kind"];

/// One query of the mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchQuery {
    pub class: QueryClass,
    /// The query in baokan's syntax.
    pub query: String,
    /// Substrings that must all occur (what the alternatives search for).
    pub substrings: Vec<String>,
    pub paper: Option<String>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub facets: bool,
    pub highlight: bool,
    /// Newest issue first instead of best match first (not in the mix; `profile --newest-first`).
    pub newest_first: bool,
}

impl BenchQuery {
    /// A query for all of `words`, no filter, facets or highlight.
    pub fn words(class: QueryClass, words: &[&str]) -> BenchQuery {
        BenchQuery {
            class,
            query: words.join(" "),
            substrings: words.iter().map(|w| w.to_string()).collect(),
            paper: None,
            date_from: None,
            date_to: None,
            facets: false,
            highlight: false,
            newest_first: false,
        }
    }
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Phrases: a six-character run of Han characters from bodies at fixed places, split in two.
/// The bodies are picked by their page's content hash and place on the page,
/// which the corpus fixes (article ids follow the order of the ingest, which
/// varies from run to run).
async fn phrases(pool: &PgPool) -> Result<Vec<(String, String)>, sqlx::Error> {
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT array_to_string(a.paragraphs, '') FROM articles a JOIN pages p ON p.id = a.page_id
         WHERE a.kind = 'article' ORDER BY md5(p.content_hash || '#' || a.ordinal) LIMIT 40",
    )
    .fetch_all(pool)
    .await?;
    let mut found = Vec::new();
    for body in bodies {
        let chars: Vec<char> = body.chars().collect();
        let start = chars.len() / 3;
        let run = chars.iter().skip(start).collect::<Vec<_>>();
        if let Some(window) = run.windows(6).find(|w| w.iter().all(|c| is_han(**c))) {
            let first: String = window[..3].iter().copied().collect();
            let second: String = window[3..].iter().copied().collect();
            found.push((first, second));
        }
        if found.len() == 3 {
            break;
        }
    }
    Ok(found)
}

/// Builds the mix for the articles in the database; `rare_names` are names
/// the corpus quotes once or a few times.
pub async fn build_mix(pool: &PgPool, rare_names: &[String]) -> Result<Vec<BenchQuery>, sqlx::Error> {
    let mut mix = Vec::new();
    for word in ["发展", "经济", "改革", "人民"] {
        mix.push(BenchQuery::words(QueryClass::CommonWord, &[word]));
    }
    for name in rare_names.iter().take(4) {
        mix.push(BenchQuery::words(QueryClass::RareName, &[name]));
    }
    for words in [["经济", "合作"], ["农村", "改革"], ["技术", "创新"]] {
        mix.push(BenchQuery::words(QueryClass::TwoWordAnd, &words));
    }
    for (first, second) in phrases(pool).await? {
        mix.push(BenchQuery {
            query: format!("\"{first} {second}\""),
            substrings: vec![format!("{first}{second}")],
            ..BenchQuery::words(QueryClass::Phrase, &[])
        });
    }
    for (word, paper, from, to) in [
        ("发展", "山西日报", date(2005, 1, 1), date(2014, 12, 31)),
        ("市场", "南方日报", date(2010, 1, 1), date(2020, 12, 31)),
    ] {
        mix.push(BenchQuery {
            paper: Some(paper.to_string()),
            date_from: from,
            date_to: to,
            ..BenchQuery::words(QueryClass::Filtered, &[word])
        });
    }
    for word in ["改革", "教育"] {
        mix.push(BenchQuery { facets: true, ..BenchQuery::words(QueryClass::Facets, &[word]) });
    }
    for word in ["人民", "文化"] {
        mix.push(BenchQuery { highlight: true, ..BenchQuery::words(QueryClass::Highlight, &[word]) });
    }
    Ok(mix)
}
