//! Parser evaluation against hand-annotated pages (`fixtures/parser/*.expected.json`):
//! segmentation precision/recall/F1, title and author accuracy. Used by
//! `baokan-ingest eval` and by the test suite.

use std::path::{Path, PathBuf};

use baokan_common::ParsedArticle;
use serde::Deserialize;

use crate::page_file::{read_page_file, PageFileError};

/// One annotated item, as a reader sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct GoldArticle {
    pub kind: String,
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub kicker: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub subtitle: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// First characters of the body, whitespace removed.
    pub body_start: String,
    /// Last characters of the body, whitespace removed, jump lines excluded.
    pub body_end: String,
}

/// An annotation file.
#[derive(Debug, Clone, Deserialize)]
pub struct GoldPage {
    /// Page file, relative to the annotation file.
    pub page: String,
    pub articles: Vec<GoldArticle>,
}

/// Counts for one page or a whole set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub gold: usize,
    pub predicted: usize,
    pub matched: usize,
    pub titles_right: usize,
    pub authors_right: usize,
    pub kinds_right: usize,
    pub kickers_right: usize,
    pub subtitles_right: usize,
    pub columns_right: usize,
}

impl Score {
    fn ratio(part: usize, whole: usize) -> f64 {
        if whole == 0 {
            1.0
        } else {
            part as f64 / whole as f64
        }
    }

    pub fn precision(&self) -> f64 {
        Self::ratio(self.matched, self.predicted)
    }

    pub fn recall(&self) -> f64 {
        Self::ratio(self.matched, self.gold)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    pub fn title_accuracy(&self) -> f64 {
        Self::ratio(self.titles_right, self.gold)
    }

    pub fn author_accuracy(&self) -> f64 {
        Self::ratio(self.authors_right, self.gold)
    }

    pub fn add(&mut self, other: &Score) {
        self.gold += other.gold;
        self.predicted += other.predicted;
        self.matched += other.matched;
        self.titles_right += other.titles_right;
        self.authors_right += other.authors_right;
        self.kinds_right += other.kinds_right;
        self.kickers_right += other.kickers_right;
        self.subtitles_right += other.subtitles_right;
        self.columns_right += other.columns_right;
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "items gold {} predicted {} matched {} | segmentation P {:.3} R {:.3} F1 {:.3} | title {:.3} | authors {:.3} | kind {:.3} kicker {:.3} subtitle {:.3} column {:.3}",
            self.gold,
            self.predicted,
            self.matched,
            self.precision(),
            self.recall(),
            self.f1(),
            self.title_accuracy(),
            self.author_accuracy(),
            Self::ratio(self.kinds_right, self.gold),
            Self::ratio(self.kickers_right, self.gold),
            Self::ratio(self.subtitles_right, self.gold),
            Self::ratio(self.columns_right, self.gold),
        )
    }
}

/// A mismatch worth showing to whoever tunes the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub gold_index: usize,
    pub what: String,
}

/// Errors reading an evaluation set.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: invalid annotation: {source}")]
    Annotation { path: PathBuf, source: serde_json::Error },
    #[error("{path}: {source}")]
    Page { path: PathBuf, source: PageFileError },
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn same_text(predicted: &Option<String>, gold: &Option<String>) -> bool {
    predicted.as_deref().map(squeeze).filter(|t| !t.is_empty())
        == gold.as_deref().map(squeeze).filter(|t| !t.is_empty())
}

/// Scores predicted items against the gold items of one page.
pub fn score_page(predicted: &[ParsedArticle], gold: &[GoldArticle]) -> (Score, Vec<Miss>) {
    let bodies: Vec<String> = predicted.iter().map(|a| squeeze(&a.paragraphs.concat())).collect();
    let mut used = vec![false; predicted.len()];
    let mut score = Score { gold: gold.len(), predicted: predicted.len(), ..Score::default() };
    let mut misses = Vec::new();
    for (gold_index, expected) in gold.iter().enumerate() {
        let start = squeeze(&expected.body_start);
        let end = squeeze(&expected.body_end);
        let found = (0..predicted.len()).find(|&i| {
            !used[i]
                && if start.is_empty() && end.is_empty() {
                    bodies[i].is_empty() && same_text(&predicted[i].title, &expected.title)
                } else {
                    bodies[i].starts_with(&start) && bodies[i].ends_with(&end)
                }
        });
        let Some(index) = found else {
            misses.push(Miss { gold_index, what: format!("no item with body {start}…{end}") });
            continue;
        };
        used[index] = true;
        score.matched += 1;
        let article = &predicted[index];
        let mut check = |right: bool, counter: &mut usize, field: &str, got: String, want: String| {
            if right {
                *counter += 1;
            } else {
                misses.push(Miss { gold_index, what: format!("{field}: got {got}, want {want}") });
            }
        };
        check(
            same_text(&article.title, &expected.title),
            &mut score.titles_right,
            "title",
            format!("{:?}", article.title),
            format!("{:?}", expected.title),
        );
        let mut got_authors = article.authors.clone();
        let mut want_authors = expected.authors.clone();
        got_authors.sort();
        want_authors.sort();
        check(
            got_authors == want_authors,
            &mut score.authors_right,
            "authors",
            format!("{got_authors:?}"),
            format!("{want_authors:?}"),
        );
        check(
            article.kind.as_str() == expected.kind,
            &mut score.kinds_right,
            "kind",
            article.kind.as_str().into(),
            expected.kind.clone(),
        );
        check(
            same_text(&article.kicker, &expected.kicker),
            &mut score.kickers_right,
            "kicker",
            format!("{:?}", article.kicker),
            format!("{:?}", expected.kicker),
        );
        check(
            same_text(&article.subtitle, &expected.subtitle),
            &mut score.subtitles_right,
            "subtitle",
            format!("{:?}", article.subtitle),
            format!("{:?}", expected.subtitle),
        );
        check(
            same_text(&article.column, &expected.column),
            &mut score.columns_right,
            "column",
            format!("{:?}", article.column),
            format!("{:?}", expected.column),
        );
    }
    (score, misses)
}

/// Evaluates every `*.expected.json` in a folder; returns per-file scores and misses.
pub fn evaluate_folder(dir: &Path) -> Result<Vec<(PathBuf, Score, Vec<Miss>)>, EvaluateError> {
    let read_error = |source| EvaluateError::Read { path: dir.to_path_buf(), source };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    let mut results = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|source| EvaluateError::Read { path: file.clone(), source })?;
        let gold: GoldPage =
            serde_json::from_str(&text).map_err(|source| EvaluateError::Annotation { path: file.clone(), source })?;
        let page_path = file.parent().unwrap_or(dir).join(&gold.page);
        let page =
            read_page_file(&page_path).map_err(|source| EvaluateError::Page { path: page_path.clone(), source })?;
        let (score, misses) = score_page(&page.parsed.articles, &gold.articles);
        results.push((file, score, misses));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baokan_common::ArticleKind;

    #[test]
    fn scores_matches_titles_and_authors() {
        let mut article = ParsedArticle::new(ArticleKind::Article);
        article.title = Some("标题".into());
        article.authors = vec!["张三".into()];
        article.paragraphs = vec!["本报讯 正文开始".into(), "正文结束。".into()];
        let extra = ParsedArticle::new(ArticleKind::Photo);
        let gold = GoldArticle {
            kind: "article".into(),
            column: None,
            kicker: None,
            title: Some("标题".into()),
            subtitle: None,
            authors: vec!["张三".into()],
            source: None,
            body_start: "本报讯正文".into(),
            body_end: "结束。".into(),
        };
        let (score, misses) = score_page(&[article, extra], &[gold]);
        assert_eq!((score.matched, score.titles_right, score.authors_right), (1, 1, 1));
        assert!(misses.is_empty());
        assert_eq!(score.precision(), 0.5);
        assert_eq!(score.recall(), 1.0);
    }
}
