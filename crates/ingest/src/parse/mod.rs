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
