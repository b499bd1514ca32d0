//! The article model: what the page parser produces and what PostgreSQL stores.
//! Field names are a public contract (`baokan-ingest parse --json` prints them).

use serde::{Deserialize, Serialize};

/// What a printed item on a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ArticleKind {
    /// A news story, interview or feature.
    Article,
    /// A photo caption (with its credit).
    Photo,
}

impl ArticleKind {
    /// Returns the name stored in PostgreSQL and shown to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleKind::Article => "article",
            ArticleKind::Photo => "photo",
        }
    }

    /// Parses the stored name; unknown names are `None`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "article" => Some(ArticleKind::Article),
            "photo" => Some(ArticleKind::Photo),
            _ => None,
        }
    }
}

/// A subheaded part of a feature story: its subhead and the index of the first
/// paragraph (in `ParsedArticle::paragraphs`) under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The subhead as printed, letter-spacing and doubling undone.
    pub heading: String,
    /// Index into `paragraphs` of the section's first paragraph.
    pub first_paragraph: usize,
}

/// One item of a page as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedArticle {
    pub kind: ArticleKind,
    /// Context line above the title (引题).
    pub kicker: Option<String>,
    /// Main headline.
    pub title: Option<String>,
    /// Line below the title (副题).
    pub subtitle: Option<String>,
    /// Bare person names of reporters or photographers.
    pub authors: Vec<String>,
    /// Agency the text comes from (e.g. 新华社).
    pub source: Option<String>,
    /// Dateline as printed (e.g. 本报太原4月8日讯).
    pub dateline: Option<String>,
    /// Body paragraphs with hard line breaks removed (for photos: the caption).
    pub paragraphs: Vec<String>,
    /// Jump lines as printed (e.g. （下转第2版）).
    pub jumps: Vec<String>,
    /// Column or section label printed over the article (e.g. 政务之要).
    #[serde(default)]
    pub column: Option<String>,
    /// Subheads inside the story.
    #[serde(default)]
    pub sections: Vec<Section>,
}

impl ParsedArticle {
    /// Creates an empty item of the given kind.
    pub fn new(kind: ArticleKind) -> Self {
        ParsedArticle {
            kind,
            kicker: None,
            title: None,
            subtitle: None,
            authors: Vec::new(),
            source: None,
            dateline: None,
            paragraphs: Vec::new(),
            jumps: Vec::new(),
            column: None,
            sections: Vec::new(),
        }
    }

    /// Returns the body as one text, paragraphs separated by newlines.
    pub fn body_text(&self) -> String {
        self.paragraphs.join("\n")
    }
}
