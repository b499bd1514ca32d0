//! The names stored with each article (persons, places, organisations) and
//! the person names the search analyzer learns as dictionary words.

use baokan_common::ParsedArticle;

/// Names of one article, each list deduplicated in order of first mention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleNames {
    pub persons: Vec<String>,
    pub places: Vec<String>,
    pub orgs: Vec<String>,
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !name.is_empty() && !list.iter().any(|known| known == name) {
        list.push(name.to_string());
    }
}

/// Persons from the bylines, the dateline's city as a place.
pub fn names_of(article: &ParsedArticle) -> ArticleNames {
    let mut names = ArticleNames::default();
    for author in &article.authors {
        push_unique(&mut names.persons, author);
    }
    if let Some(city) = article.dateline.as_deref().and_then(crate::parse::dateline::dateline_city) {
        push_unique(&mut names.places, &city);
    }
    names
}

/// Person names worth teaching the analyzer: bylines of 2 to 4 Han characters.
pub fn learnable_names(article: &ParsedArticle) -> Vec<String> {
    let mut names = Vec::new();
    for author in &article.authors {
        let count = author.chars().count();
        if (2..=4).contains(&count) && author.chars().all(crate::text::is_han) {
            push_unique(&mut names, author);
        }
    }
    names
}
