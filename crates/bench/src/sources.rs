//! Loads real Chinese news text from `../shared/corpora/`: sentences for
//! bodies, headlines for titles and person names (CLUENER annotations) for
//! bylines. Nothing is downloaded; a missing folder is an error naming it.

use std::path::{Path, PathBuf};

/// Why the source corpora could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A corpus file could not be read.
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The corpora gave too little text to build pages from.
    #[error("the corpora in {0} hold too few sentences, headlines or names")]
    TooLittle(PathBuf),
}

/// Text pools the corpus builder draws from.
#[derive(Debug, Default)]
pub struct Sources {
    /// Sentences (ending in 。！？), from news articles and transcripts.
    pub sentences: Vec<String>,
    /// Headlines of real articles.
    pub headlines: Vec<String>,
    /// Person names annotated in news sentences.
    pub names: Vec<String>,
    /// Characters of given names (from the annotated names), to compose rare names.
    pub given_chars: Vec<char>,
}

/// The default corpora folder: `BAOKAN_CORPORA_DIR` when set, else the
/// first `shared/corpora` found beside the repository or one of its parent
/// folders, else the workplace's `/work/shared/corpora`.
pub fn default_corpora_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BAOKAN_CORPORA_DIR") {
        return PathBuf::from(dir);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let beside = manifest.ancestors().map(|dir| dir.join("shared/corpora")).find(|dir| dir.is_dir());
    beside.unwrap_or_else(|| PathBuf::from("/work/shared/corpora"))
}

fn read(path: &Path) -> Result<String, SourceError> {
    std::fs::read_to_string(path).map_err(|source| SourceError::Read { path: path.to_path_buf(), source })
}

/// Splits running text into sentences of a printable length.
fn push_sentences(text: &str, out: &mut Vec<String>) {
    let mut current = String::new();
    for c in text.chars() {
        if c == '\n' || c == '\r' {
            current.clear();
            continue;
        }
        current.push(c);
        if matches!(c, '。' | '！' | '？') {
            let sentence = current.trim().trim_start_matches(['　', ' ', '，']);
            let sentence = sentence.strip_prefix("央视网消息（新闻联播）：").unwrap_or(sentence).to_string();
            let chars = sentence.chars().count();
            if (12..=120).contains(&chars)
                && !sentence.contains(['|', '"', '\\'])
                && !sentence.chars().any(char::is_control)
            {
                out.push(sentence);
            }
            current.clear();
        }
    }
}

/// Reads a JSON-lines file and hands each object's string fields to `each`.
fn json_lines(path: &Path, mut each: impl FnMut(&serde_json::Value)) -> Result<(), SourceError> {
    for line in read(path)?.lines() {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
            each(&value);
        }
    }
    Ok(())
}

fn push_headline(title: &str, out: &mut Vec<String>) {
    let title = title.trim();
    let chars = title.chars().count();
    if (6..=28).contains(&chars) && !title.contains(['【', '】', '|']) && !title.chars().any(char::is_control) {
        out.push(title.to_string());
    }
}

/// Loads the pools from the corpora folder.
pub fn load(dir: &Path) -> Result<Sources, SourceError> {
    let mut sources = Sources::default();
    for file in ["peoples-daily-2025/people2025.jsonl", "cctv-xinwenlianbo/xinwenlianbo_2022-2026.jsonl"] {
        json_lines(&dir.join(file), |value| {
            if let Some(text) = value.get("text").and_then(|t| t.as_str()) {
                push_sentences(text, &mut sources.sentences);
            }
            if let Some(title) = value.get("title").and_then(|t| t.as_str()) {
                push_headline(title, &mut sources.headlines);
            }
        })?;
    }
    push_sentences(&read(&dir.join("peoples-daily-1998-01/199801.plain.txt"))?, &mut sources.sentences);
    for line in read(&dir.join("thucnews-cnews-1000/cnews.test.txt"))?.lines() {
        if let Some((_, text)) = line.split_once('\t') {
            push_sentences(text, &mut sources.sentences);
        }
    }
    for line in read(&dir.join("thucnews-headlines/test.txt"))?.lines() {
        if let Some((title, _)) = line.split_once('\t') {
            push_headline(title, &mut sources.headlines);
        }
    }
    json_lines(&dir.join("cluener2020/train.txt"), |value| {
        let Some(entities) = value.get("entity_list").and_then(|e| e.as_array()) else { return };
        for entity in entities {
            let is_name = entity.get("entity_type").and_then(|t| t.as_str()) == Some("name");
            if let (true, Some(name)) = (is_name, entity.get("entity").and_then(|e| e.as_str())) {
                let chars = name.chars().count();
                if (2..=4).contains(&chars) && name.chars().all(baokan_search::analyzer::is_han) {
                    sources.names.push(name.to_string());
                }
            }
        }
    })?;
    sources.names.sort();
    sources.names.dedup();
    sources.given_chars = sources.names.iter().flat_map(|name| name.chars().skip(1)).collect();
    sources.given_chars.sort_unstable();
    sources.given_chars.dedup();
    sources.headlines.sort();
    sources.headlines.dedup();
    if sources.sentences.len() < 1000 || sources.headlines.len() < 100 || sources.names.len() < 100 {
        return Err(SourceError::TooLittle(dir.to_path_buf()));
    }
    Ok(sources)
}
