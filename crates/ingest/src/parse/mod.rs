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
