//! The names stored with each article (persons, places, organisations) and
//! the person names the search analyzer learns as dictionary words, from
//! [`crate::entities`].

use baokan_common::ParsedArticle;

use crate::entities::{entities_of, EntityKind};

/// Names of one article, each list deduplicated, most mentioned first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleNames {
    pub persons: Vec<String>,
    pub places: Vec<String>,
    pub orgs: Vec<String>,
}

/// Persons (bylines included), places (the dateline's city included) and organisations.
pub fn names_of(article: &ParsedArticle) -> ArticleNames {
    let mut names = ArticleNames::default();
    for entity in entities_of(article) {
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

/// Person names worth teaching the analyzer (bylines, names after titles).
pub fn learnable_names(article: &ParsedArticle) -> Vec<String> {
    crate::entities::learnable_names(article)
}
