//! Entities of a whole article: mentions in its headlines and body, counted
//! and deduplicated, plus the bylines (persons) and the dateline's city
//! (`本报太原4月8日讯` → 太原).

use rustc_hash::FxHashMap;

use baokan_common::model::ParsedArticle;

use super::lexicon::{BYLINE_ROLES, NOT_NAMES};
use super::mentions::read_text;
use super::tokens::is_common_word;
use super::{Entity, EntityKind};
use crate::text::is_han;

/// Returns the person, place and organisation names of an article with their
/// counts: mentions in kicker, title, subtitle and paragraphs, the bylines as
/// persons and the dateline's city as a place. Sorted by kind, then count
/// (most first), then name.
pub fn entities_of(article: &ParsedArticle) -> Vec<Entity> {
    read_article(article).0
}

/// Both results of an article from one jieba pass over its texts: its
/// entities (as [`entities_of`]) and its learnable names (as [`learnable_names`]).
pub fn read_article(article: &ParsedArticle) -> (Vec<Entity>, Vec<String>) {
    let mut counts: FxHashMap<(EntityKind, String), u32> = FxHashMap::default();
    let mut names: Vec<String> = byline_names(article);
    for text in texts_of(article) {
        let (mentions, titled) = read_text(text);
        for mention in mentions {
            *counts.entry((mention.kind, mention.name)).or_default() += 1;
        }
        names.extend(titled);
    }
    for name in byline_names(article) {
        *counts.entry((EntityKind::Person, name)).or_default() += 1;
    }
    if let Some(city) = article.dateline.as_deref().and_then(dateline_city) {
        *counts.entry((EntityKind::Place, city)).or_default() += 1;
    }
    let mut entities: Vec<Entity> =
        counts.into_iter().map(|((kind, name), count)| Entity { kind, name, count }).collect();
    entities.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.count.cmp(&a.count)).then(a.name.cmp(&b.name)));
    names.retain(|name| is_learnable(name));
    names.sort();
    names.dedup();
    (entities, names)
}

/// Returns person names sure enough to teach a segmenter's dictionary: the
/// bylines and names printed after an official title, 2–4 Han characters,
/// never an ordinary word. Sorted, without repeats.
pub fn learnable_names(article: &ParsedArticle) -> Vec<String> {
    read_article(article).1
}

/// The city a dateline names, read by the parser's dateline module.
pub use crate::parse::dateline::dateline_city;

/// The article's texts that hold running text.
fn texts_of(article: &ParsedArticle) -> impl Iterator<Item = &str> {
    [&article.kicker, &article.title, &article.subtitle]
        .into_iter()
        .filter_map(|text| text.as_deref())
        .chain(article.paragraphs.iter().map(String::as_str))
}

/// Bylines as bare names: roles stripped (`实习记者 李京益` → 李京益), spaces removed.
fn byline_names(article: &ParsedArticle) -> Vec<String> {
    article.authors.iter().filter_map(|author| bare_name(author)).collect()
}

/// Strips role words and spaces from a byline; `None` when no name is left.
fn bare_name(author: &str) -> Option<String> {
    let mut name: String = author.chars().filter(|c| !c.is_whitespace()).collect();
    loop {
        let before = name.len();
        for role in BYLINE_ROLES {
            if let Some(rest) = name.strip_prefix(role) {
                name = rest.to_string();
            }
            if let Some(rest) = name.strip_suffix(role) {
                name = rest.to_string();
            }
        }
        if name.len() == before {
            break;
        }
    }
    let length = name.chars().count();
    let plausible = (2..=6).contains(&length) && name.chars().all(|c| is_han(c) || c == '·' || c == '•');
    plausible.then_some(name)
}

/// 2–4 Han characters, not an ordinary word of jieba's dictionary or a title.
fn is_learnable(name: &str) -> bool {
    let length = name.chars().count();
    (2..=4).contains(&length) && name.chars().all(is_han) && !NOT_NAMES.contains(&name) && !is_common_word(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baokan_common::model::ArticleKind;

    #[test]
    fn dateline_cities_are_places() {
        assert_eq!(dateline_city("本报太原4月8日讯").as_deref(), Some("太原"));
        assert_eq!(dateline_city("新华社北京2月3日电").as_deref(), Some("北京"));
        assert_eq!(dateline_city("中新社北京六月五日电").as_deref(), Some("北京"));
        assert_eq!(dateline_city("本报讯"), None);
        assert_eq!(dateline_city("新华社电"), None);
    }

    #[test]
    fn bylines_are_persons_and_entities_are_ordered() {
        let mut article = ParsedArticle::new(ArticleKind::Article);
        article.authors = vec!["王晓华".into(), "实习记者 李京益".into(), "记者".into()];
        article.dateline = Some("本报太原4月8日讯".into());
        article.title = Some("省委书记楼阳生调研".into());
        article.paragraphs = vec!["楼阳生来到植树点。省委书记楼阳生强调。".into()];
        let entities = entities_of(&article);
        let persons: Vec<(&str, u32)> =
            entities.iter().filter(|e| e.kind == EntityKind::Person).map(|e| (e.name.as_str(), e.count)).collect();
        assert_eq!(persons.first(), Some(&("楼阳生", 3)), "{entities:?}");
        assert!(persons.contains(&("李京益", 1)) && persons.contains(&("王晓华", 1)), "{persons:?}");
        assert!(entities.iter().any(|e| e.kind == EntityKind::Place && e.name == "太原"));
        let kinds: Vec<EntityKind> = entities.iter().map(|e| e.kind).collect();
        assert!(kinds.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(learnable_names(&article), vec!["李京益", "楼阳生", "王晓华"]);
    }
}
