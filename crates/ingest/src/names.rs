//! The names stored with each article (persons, places, organisations) and
//! the person names the search analyzer learns as dictionary words, from
//! [`crate::entities`].

use baokan_common::ParsedArticle;

use crate::entities::article::read_article;
use crate::entities::EntityKind;

/// Names of one article, each list deduplicated, most mentioned first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleNames {
    pub persons: Vec<String>,
    pub places: Vec<String>,
    pub orgs: Vec<String>,
    /// Person names worth teaching the analyzer (bylines, names after titles).
    pub learnable: Vec<String>,
}

/// Persons (bylines included), places (the dateline's city included),
/// organisations and learnable names, from one reading of the article (this
/// is the costly part of ingest: run it once per article, off async threads).
pub fn names_of(article: &ParsedArticle) -> ArticleNames {
    let (entities, learnable) = read_article(article);
    let mut names = ArticleNames { learnable, ..ArticleNames::default() };
    for entity in entities {
        let list = match entity.kind {
            EntityKind::Person => &mut names.persons,
            EntityKind::Place => &mut names.places,
            EntityKind::Org => &mut names.orgs,
        };
        if !list.contains(&entity.name) {
            list.push(entity.name);
        }
    }
    names
}
