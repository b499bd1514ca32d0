//! A page's articles as PostgreSQL receives them: one array of the row type
//! `baokan_article_row` (migration 0006) in the binary format, which the
//! page's insert unpacks with `unnest`. Each field is sent as it is stored:
//! PostgreSQL copies the values, with no JSON to parse and no array to
//! rebuild per field.

use baokan_common::{ParsedArticle, Section};
use serde::Serialize;
use sqlx::postgres::{PgHasArrayType, PgTypeInfo};
use sqlx::Postgres;

use crate::names::ArticleNames;

/// The SQL name of the row type.
const TYPE_NAME: &str = "baokan_article_row";

/// One article as stored: the parser's fields plus what is derived from
/// them (dateline city, jump targets, names, SimHash). The fields are in
/// the order of the row type's columns.
#[derive(Debug, sqlx::Encode)]
pub struct ArticleRow<'a> {
    kind: &'static str,
    kicker: Option<&'a str>,
    title: Option<&'a str>,
    subtitle: Option<&'a str>,
    authors: &'a [String],
    source: Option<&'a str>,
    dateline: Option<&'a str>,
    paragraphs: &'a [String],
    jumps: &'a [String],
    /// The `extra` column as JSON text: column label and sections.
    extra: String,
    dateline_city: Option<String>,
    continues_to: Vec<i32>,
    continued_from: Vec<i32>,
    persons: &'a [String],
    places: &'a [String],
    orgs: &'a [String],
    simhash: Option<i64>,
}

impl sqlx::Type<Postgres> for ArticleRow<'_> {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name(TYPE_NAME)
    }
}

impl PgHasArrayType for ArticleRow<'_> {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::array_of(TYPE_NAME)
    }
}

/// The `extra` column: what the parser found beyond the stored fields.
#[derive(Serialize)]
struct Extra<'a> {
    column: Option<&'a str>,
    sections: &'a [Section],
}

impl<'a> ArticleRow<'a> {
    /// The stored row of `article`, whose names are `names`.
    pub fn new(article: &'a ParsedArticle, names: &'a ArticleNames) -> Result<Self, serde_json::Error> {
        let (continues_to, continued_from) = crate::jumps::jump_targets(&article.jumps);
        let extra = serde_json::to_string(&Extra { column: article.column.as_deref(), sections: &article.sections })?;
        Ok(ArticleRow {
            kind: article.kind.as_str(),
            kicker: article.kicker.as_deref(),
            title: article.title.as_deref(),
            subtitle: article.subtitle.as_deref(),
            authors: &article.authors,
            source: article.source.as_deref(),
            dateline: article.dateline.as_deref(),
            paragraphs: &article.paragraphs,
            jumps: &article.jumps,
            extra,
            dateline_city: article.dateline.as_deref().and_then(crate::parse::dateline::dateline_city),
            continues_to,
            continued_from,
            persons: &names.persons,
            places: &names.places,
            orgs: &names.orgs,
            simhash: crate::simhash::simhash(&article.paragraphs),
        })
    }

    /// Whether the article continues on, or is continued from, another page.
    pub fn has_jump_targets(&self) -> bool {
        !self.continues_to.is_empty() || !self.continued_from.is_empty()
    }
}

/// A page's articles (with their names, same order) as the rows the
/// insert unpacks.
pub fn article_rows<'a>(
    articles: &'a [ParsedArticle],
    names: &'a [ArticleNames],
) -> Result<Vec<ArticleRow<'a>>, serde_json::Error> {
    articles.iter().zip(names).map(|(article, names)| ArticleRow::new(article, names)).collect()
}
