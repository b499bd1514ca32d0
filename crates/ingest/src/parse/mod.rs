//! The page parser: turns a decoded page into articles and photos with
//! headline, kicker, subtitle, authors, dateline, paragraphs and jumps.
//! Every character of body text ends up in some item.

mod assemble;
pub mod credit;
pub mod dateline;
mod elements;
mod headline;

use baokan_common::ParsedArticle;

/// A parsed page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPage {
    /// Items in reading order.
    pub articles: Vec<ParsedArticle>,
    /// Month and day named by the page's datelines, when they name one.
    pub month_day: Option<(u32, u32)>,
}

/// Splits a page's text into articles.
pub fn parse_page(text: &str) -> ParsedPage {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let articles = assemble::assemble(elements::page_elements(text));
    let month_day = articles
        .iter()
        .filter_map(|a| a.paragraphs.first())
        .filter_map(|p| dateline::parse_dateline(p))
        .find_map(|d| d.month_day);
    ParsedPage { articles, month_day }
}

/// Lines of the seed and fixture pages, each also with its first
/// characters cut off one by one (so that datelines and credits start
/// at every place of a line).
#[cfg(test)]
pub(crate) fn sample_lines() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut lines = Vec::new();
    for folder in ["seeds", "fixtures/parser"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(folder)).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "txt")) {
            let Ok(text) = String::from_utf8(std::fs::read(path).unwrap()) else { continue };
            for line in text.lines() {
                let mut rest = line;
                for _ in 0..4 {
                    lines.push(rest.to_string());
                    let mut chars = rest.chars();
                    chars.next();
                    rest = chars.as_str();
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_label_in_brackets_signs_no_author_and_a_name_does() {
        let page = parse_page("把好事办实，把实事办好，群众才会满意。（今日谈）\n\n基层减负\n");
        assert_eq!(page.articles.len(), 1, "{page:?}");
        assert!(page.articles[0].authors.is_empty(), "{:?}", page.articles[0].authors);
        let page = parse_page("把好事办实，把实事办好，群众才会满意。（梁涛）\n\n基层减负\n");
        assert_eq!(page.articles[0].authors, ["梁涛"]);
    }
}
