//! Articles as read from PostgreSQL and as tantivy documents.

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;
use tantivy::schema::document::Value;
use tantivy::schema::Facet;
use tantivy::TantivyDocument;

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
}

const SELECT_ARTICLES: &str = "SELECT a.id, a.page_id, a.ordinal, a.kind, a.kicker, a.title, a.subtitle, a.authors,
        a.source, a.dateline, a.paragraphs, a.jumps, p.paper, p.issue_date, p.issue_month_day,
        p.page_number, p.source_path
     FROM articles a JOIN pages p ON p.id = a.page_id";

/// Loads the current rows of the given articles (missing ids were deleted).
pub async fn load_articles(pool: &PgPool, ids: &[i64]) -> Result<Vec<ArticleRow>, sqlx::Error> {
    sqlx::query_as::<_, ArticleRow>(&format!("{SELECT_ARTICLES} WHERE a.id = ANY($1)")).bind(ids).fetch_all(pool).await
}

/// Loads up to `limit` articles with ids above `after`, in id order.
pub async fn load_articles_after(pool: &PgPool, after: i64, limit: i64) -> Result<Vec<ArticleRow>, sqlx::Error> {
    sqlx::query_as::<_, ArticleRow>(&format!("{SELECT_ARTICLES} WHERE a.id > $1 ORDER BY a.id LIMIT $2"))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Loads one article.
pub async fn load_article(pool: &PgPool, id: i64) -> Result<Option<ArticleRow>, sqlx::Error> {
    sqlx::query_as::<_, ArticleRow>(&format!("{SELECT_ARTICLES} WHERE a.id = $1")).bind(id).fetch_optional(pool).await
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
        ] {
            feed(part.as_deref().unwrap_or("\u{0}"));
        }
        for list in [&self.authors, &self.paragraphs] {
            feed(&list.len().to_string());
            for item in list.iter() {
                feed(item);
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
        let body = self.paragraphs.join("\n");
        let heading = self.heading_text();
        document.add_text(fields.body, &body);
        document.add_text(fields.body_words, &body);
        document.add_text(fields.heading_grams, &heading);
        document.add_text(fields.heading_words, &heading);
        document
    }
}

/// Reads the first text value of a field from a stored document.
pub fn stored_text(document: &TantivyDocument, field: tantivy::schema::Field) -> Option<String> {
    document.get_first(field).and_then(|v| v.as_str()).map(str::to_string)
}

/// Reads all text values of a field from a stored document.
pub fn stored_texts(document: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    document.get_all(field).filter_map(|v| v.as_str()).map(str::to_string).collect()
}

/// Reads the first u64 value of a field from a stored document.
pub fn stored_u64(document: &TantivyDocument, field: tantivy::schema::Field) -> Option<u64> {
    document.get_first(field).and_then(|v| v.as_u64())
}
