//! Articles as read from PostgreSQL and as tantivy documents.

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;
use tantivy::schema::Facet;
use tantivy::TantivyDocument;

use crate::analyzer;
use crate::schema::IndexFields;

/// An article row joined with its page, as the index and GetArticle need it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub page_id: i64,
    pub ordinal: i32,
    pub kind: String,
    pub kicker: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub authors: Vec<String>,
    pub source: Option<String>,
    pub dateline: Option<String>,
    pub paragraphs: Vec<String>,
    pub jumps: Vec<String>,
    pub paper: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub issue_month_day: Option<String>,
    pub page_number: Option<i32>,
    pub source_path: String,
    pub dateline_city: Option<String>,
    pub persons: Vec<String>,
    pub places: Vec<String>,
    pub orgs: Vec<String>,
    pub wire_group: Option<i64>,
    /// Pages named by the article's jump lines (not indexed).
    pub continues_to: Vec<i32>,
    pub continued_from: Vec<i32>,
    /// The part this one continues, when it is a later part of a story.
    #[sqlx(skip)]
    pub part_of: Option<i64>,
    /// For a first part: the later parts' ids and paragraphs, in order.
    #[sqlx(skip)]
    pub parts: Vec<(i64, Vec<String>)>,
}

const SELECT_ARTICLES: &str = "SELECT a.id, a.page_id, a.ordinal, a.kind, a.kicker, a.title, a.subtitle, a.authors,
        a.source, a.dateline, a.paragraphs, a.jumps, p.paper, p.issue_date, p.issue_month_day,
        p.page_number, p.source_path, a.dateline_city, a.persons, a.places, a.orgs, a.wire_group,
        a.continues_to, a.continued_from
     FROM articles a JOIN pages p ON p.id = a.page_id";

/// Longest chain of continued parts followed.
const MAX_PARTS: i32 = 16;

/// Fills in continuation links: each row's predecessor, and for first
/// parts, the later parts with their text (indexed with the first part).
async fn attach_parts(pool: &PgPool, rows: &mut [ArticleRow]) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let heads: Vec<(i64, i64)> = sqlx::query_as("SELECT tail_id, head_id FROM continuations WHERE tail_id = ANY($1)")
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    let heads: std::collections::HashMap<i64, i64> = heads.into_iter().collect();
    // The chains one link at a time (a story has one or two later parts, so
    // this is one or two primary-key look-ups), then the parts' text. A
    // recursive CTE joined to `articles` did this in one statement, but the
    // planner cannot estimate a recursive CTE: it hashed the whole articles
    // table for every batch (2.7 s a batch at 1M articles) and compiled the
    // plan with JIT.
    let mut chain: Vec<(i64, i32, i64)> = Vec::new();
    // (first part, article reached from it): only first parts carry parts.
    let mut frontier: Vec<(i64, i64)> = ids.iter().filter(|id| !heads.contains_key(id)).map(|id| (*id, *id)).collect();
    for depth in 1..=MAX_PARTS {
        if frontier.is_empty() {
            break;
        }
        let reached: Vec<i64> = frontier.iter().map(|(_, id)| *id).collect();
        let links: Vec<(i64, i64)> =
            sqlx::query_as("SELECT head_id, tail_id FROM continuations WHERE head_id = ANY($1)")
                .bind(&reached)
                .fetch_all(pool)
                .await?;
        let mut tails_of: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
        for (head, tail) in links {
            tails_of.entry(head).or_default().push(tail);
        }
        frontier = frontier
            .iter()
            .flat_map(|&(root, head)| tails_of.get(&head).into_iter().flatten().map(move |&tail| (root, tail)))
            .collect();
        chain.extend(frontier.iter().map(|&(root, tail)| (root, depth, tail)));
    }
    chain.sort_unstable();
    let part_ids: Vec<i64> = chain.iter().map(|(_, _, id)| *id).collect();
    let texts: Vec<(i64, Vec<String>)> = if part_ids.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as("SELECT id, paragraphs FROM articles WHERE id = ANY($1)").bind(&part_ids).fetch_all(pool).await?
    };
    let mut texts: std::collections::HashMap<i64, Vec<String>> = texts.into_iter().collect();
    let parts =
        chain.into_iter().filter_map(|(root, _, id)| texts.remove(&id).map(|paragraphs| (root, id, paragraphs)));
    let mut by_root: std::collections::HashMap<i64, Vec<(i64, Vec<String>)>> = std::collections::HashMap::new();
    for (root, id, paragraphs) in parts {
        by_root.entry(root).or_default().push((id, paragraphs));
    }
    for row in rows.iter_mut() {
        row.part_of = heads.get(&row.id).copied();
        if row.part_of.is_none() {
            row.parts = by_root.remove(&row.id).unwrap_or_default();
        }
    }
    Ok(())
}

/// Loads the current rows of the given articles (missing ids were deleted).
pub async fn load_articles(pool: &PgPool, ids: &[i64]) -> Result<Vec<ArticleRow>, sqlx::Error> {
    let mut rows = sqlx::query_as::<_, ArticleRow>(&format!("{SELECT_ARTICLES} WHERE a.id = ANY($1)"))
        .bind(ids)
        .fetch_all(pool)
        .await?;
    attach_parts(pool, &mut rows).await?;
    Ok(rows)
}

/// Loads the stories of the given articles in id order, each first part
/// followed by its later parts in reading order (what an export streams: a
/// story is one hit, and its text is in all of its parts).
pub async fn load_stories(pool: &PgPool, ids: &[i64]) -> Result<Vec<ArticleRow>, sqlx::Error> {
    let mut heads = load_articles(pool, ids).await?;
    heads.sort_by_key(|row| row.id);
    let part_ids: Vec<i64> = heads.iter().flat_map(|row| row.parts.iter().map(|(id, _)| *id)).collect();
    if part_ids.is_empty() {
        return Ok(heads);
    }
    let mut parts: std::collections::HashMap<i64, ArticleRow> =
        load_articles(pool, &part_ids).await?.into_iter().map(|row| (row.id, row)).collect();
    let mut stories = Vec::with_capacity(heads.len() + parts.len());
    for head in heads {
        let later: Vec<i64> = head.parts.iter().map(|(id, _)| *id).collect();
        stories.push(head);
        stories.extend(later.iter().filter_map(|id| parts.remove(id)));
    }
    Ok(stories)
}

/// Loads up to `limit` articles with ids above `after`, in id order.
pub async fn load_articles_after(pool: &PgPool, after: i64, limit: i64) -> Result<Vec<ArticleRow>, sqlx::Error> {
    let mut rows =
        sqlx::query_as::<_, ArticleRow>(&format!("{SELECT_ARTICLES} WHERE a.id > $1 ORDER BY a.id LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?;
    attach_parts(pool, &mut rows).await?;
    Ok(rows)
}

/// Loads one article.
pub async fn load_article(pool: &PgPool, id: i64) -> Result<Option<ArticleRow>, sqlx::Error> {
    Ok(load_articles(pool, &[id]).await?.pop())
}

/// Loads the articles of one page in reading order.
pub async fn load_page_articles(pool: &PgPool, page_id: i64) -> Result<Vec<ArticleRow>, sqlx::Error> {
    let mut rows =
        sqlx::query_as::<_, ArticleRow>(&format!("{SELECT_ARTICLES} WHERE a.page_id = $1 ORDER BY a.ordinal"))
            .bind(page_id)
            .fetch_all(pool)
            .await?;
    attach_parts(pool, &mut rows).await?;
    Ok(rows)
}

impl ArticleRow {
    /// Kicker, title and subtitle, one per line.
    pub fn heading_text(&self) -> String {
        [&self.kicker, &self.title, &self.subtitle]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A stable 64-bit checksum (FNV-1a) of everything the index holds of
    /// this article, to compare the index with PostgreSQL.
    pub fn checksum(&self) -> u64 {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0100_0000_01b3;
        let mut hash = OFFSET;
        let mut feed = |part: &str| {
            for byte in part.bytes().chain(std::iter::once(0x1f)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(PRIME);
            }
        };
        let date = self.issue_date.map(|d| d.to_string()).unwrap_or_default();
        let page = self.page_number.map(|p| p.to_string()).unwrap_or_default();
        let ordinal = self.ordinal.to_string();
        let page_id = self.page_id.to_string();
        for part in [&self.kind, &ordinal, &page_id, &self.source_path, &date, &page] {
            feed(part);
        }
        for part in [
            &self.kicker,
            &self.title,
            &self.subtitle,
            &self.source,
            &self.dateline,
            &self.paper,
            &self.issue_month_day,
            &self.dateline_city,
        ] {
            feed(part.as_deref().unwrap_or("\u{0}"));
        }
        for list in [&self.authors, &self.paragraphs, &self.persons, &self.places, &self.orgs] {
            feed(&list.len().to_string());
            for item in list.iter() {
                feed(item);
            }
        }
        feed(&self.wire_group.unwrap_or(0).to_string());
        feed(&self.part_of.unwrap_or(0).to_string());
        for (id, paragraphs) in &self.parts {
            feed(&id.to_string());
            for paragraph in paragraphs {
                feed(paragraph);
            }
        }
        hash
    }

    /// Builds the index document.
    pub fn to_document(&self, fields: &IndexFields) -> TantivyDocument {
        let mut document = TantivyDocument::default();
        document.add_u64(fields.id, self.id as u64);
        document.add_u64(fields.checksum, self.checksum());
        document.add_u64(fields.page_id, self.page_id as u64);
        document.add_u64(fields.ordinal, self.ordinal.max(0) as u64);
        document.add_text(fields.paper, self.paper.as_deref().unwrap_or(""));
        if let Some(paper) = self.paper.as_deref().filter(|p| !p.is_empty()) {
            document.add_text(fields.paper_name, paper);
            document.add_facet(fields.facets, Facet::from_path(["paper", paper]));
        }
        document.add_i64(fields.issue_day, self.issue_date.map_or(0, |d| i64::from(d.num_days_from_ce())));
        if let Some(date) = self.issue_date {
            document.add_text(fields.issue_date, date.format("%Y-%m-%d").to_string());
            document.add_facet(fields.facets, Facet::from_path(["month", &date.format("%Y-%m").to_string()]));
            document.add_facet(fields.facets, Facet::from_path(["day", &date.format("%Y-%m-%d").to_string()]));
            document.add_facet(fields.facets, Facet::from_path(["year", &date.format("%Y").to_string()]));
        }
        document.add_facet(fields.facets, Facet::from_path(["kind", self.kind.as_str()]));
        if let Some(month_day) = &self.issue_month_day {
            document.add_text(fields.issue_month_day, month_day);
        }
        document.add_u64(fields.page, self.page_number.unwrap_or(0).max(0) as u64);
        document.add_text(fields.kind, &self.kind);
        for (field, value) in [
            (fields.kicker, &self.kicker),
            (fields.title, &self.title),
            (fields.subtitle, &self.subtitle),
            (fields.source, &self.source),
            (fields.dateline, &self.dateline),
        ] {
            if let Some(value) = value {
                document.add_text(field, value);
            }
        }
        for author in &self.authors {
            document.add_text(fields.authors, author);
            document.add_text(fields.author_names, author);
            document.add_facet(fields.facets, Facet::from_path(["author", author.as_str()]));
        }
        document.add_text(fields.source_path, &self.source_path);
        let names = [
            (&self.persons, fields.persons, fields.person_names, "person"),
            (&self.places, fields.places, fields.place_names, "place"),
            (&self.orgs, fields.orgs, fields.org_names, "org"),
        ];
        for (list, stored, exact, facet) in names {
            for name in list.iter().filter(|name| !name.is_empty()) {
                document.add_text(stored, name);
                document.add_text(exact, name);
                document.add_facet(fields.facets, Facet::from_path([facet, name.as_str()]));
            }
        }
        if let Some(city) = self.dateline_city.as_deref().filter(|city| !city.is_empty()) {
            document.add_text(fields.dateline_city, city);
            document.add_text(fields.city_name, city);
            document.add_facet(fields.facets, Facet::from_path(["city", city]));
        }
        document.add_u64(fields.wire_group, self.wire_group.unwrap_or(0).max(0) as u64);
        document.add_u64(fields.part_of, self.part_of.unwrap_or(0).max(0) as u64);
        if self.part_of.is_some_and(|head| head > 0) {
            document.add_u64(fields.later_part, 1);
        }
        for (id, _) in &self.parts {
            document.add_u64(fields.parts, (*id).max(0) as u64);
        }
        // A first part is searched with the text of its later parts.
        let body = self
            .paragraphs
            .iter()
            .chain(self.parts.iter().flat_map(|(_, paragraphs)| paragraphs))
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        document.add_text(fields.body_text, &body);
        // A later part is searched through its first part, which indexes its
        // text: its own copy is stored but never matched, so a word's hit
        // count needs no correction for later parts.
        if self.part_of.is_none_or(|head| head <= 0) {
            add_searchable_text(&mut document, fields, &self.heading_text(), &body);
        }
        document
    }
}

/// Indexes an article's headline (kicker, title, subtitle) and body for
/// search: grams and jieba words of each, and the headline grams the body
/// lacks (so "in headline or body" is two disjoint lists).
pub fn add_searchable_text(document: &mut TantivyDocument, fields: &IndexFields, heading: &str, body: &str) {
    document.add_text(fields.body, body);
    document.add_text(fields.body_words, body);
    document.add_text(fields.heading_grams, heading);
    document.add_text(fields.heading_words, heading);
    document.add_text(fields.heading_only_grams, analyzer::heading_only_grams(heading, body));
}
