//! The `parse --json` output: one JSON object per file, a public contract
//! (`file`, `encoding`, `articles[{kind, kicker, title, subtitle, authors,
//! source, dateline, paragraphs, jumps, …}]`).

use serde::Serialize;

use baokan_common::ParsedArticle;

use crate::page_file::PageFile;

/// The JSON line printed for a parsed file.
#[derive(Debug, Serialize)]
pub struct ParsedFileJson<'a> {
    pub file: &'a str,
    pub encoding: &'a str,
    /// `MM-DD` named by the page's datelines, when it names one.
    pub issue_month_day: Option<String>,
    pub articles: &'a [ParsedArticle],
}

/// The JSON line printed for a file that could not be parsed.
#[derive(Debug, Serialize)]
pub struct FailedFileJson<'a> {
    pub file: &'a str,
    pub error: String,
}

/// Renders a parsed file as one JSON line.
pub fn parsed_file_line(file: &str, page: &PageFile) -> Result<String, serde_json::Error> {
    let issue_month_day = page.parsed.month_day.map(|(month, day)| format!("{month:02}-{day:02}"));
    serde_json::to_string(&ParsedFileJson {
        file,
        encoding: page.encoding,
        issue_month_day,
        articles: &page.parsed.articles,
    })
}

/// Renders a failure as one JSON line.
pub fn failed_file_line(file: &str, error: String) -> Result<String, serde_json::Error> {
    serde_json::to_string(&FailedFileJson { file, error })
}
