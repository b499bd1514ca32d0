//! Scores name finding against gold-tagged sentences in the MSRA NER format
//! (SIGHAN 2006: `text/tag` chunks separated by spaces, tags `nr` person,
//! `ns` place, `nt` organisation, `o` other): exact-span precision, recall
//! and F1 per kind and overall (micro-averaged).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{EntityKind, Mention};

/// The gold file of the MSRA test set.
pub const MSRA_GOLD_FILE: &str = "testright1.txt";

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum NerEvaluateError {
    /// The gold file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
}

/// A sentence and its gold names (kind, first character, end character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldSentence {
    /// The sentence without tags.
    pub text: String,
    /// Gold spans in characters.
    pub spans: Vec<(EntityKind, usize, usize)>,
}

/// Counts of one kind (or all kinds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Found spans that are gold spans of the same kind.
    pub true_positives: u64,
    /// Found spans that are not.
    pub false_positives: u64,
    /// Gold spans not found.
    pub false_negatives: u64,
}

impl Counts {
    /// Returns the share of found spans that are right.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// Returns the share of gold spans found.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    /// Returns the harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (precision, recall) = (self.precision(), self.recall());
        if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        }
    }

    fn add(&mut self, other: &Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "P {:.3}  R {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Scores per kind (in `EntityKind::ALL` order) over a set of sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NerScore {
    /// Person, place and organisation counts.
    pub per_kind: [Counts; 3],
    /// Sentences scored.
    pub sentences: usize,
}

impl NerScore {
    /// Returns the counts of one kind.
    pub fn kind(&self, kind: EntityKind) -> Counts {
        self.per_kind[kind as usize]
    }

    /// Returns the counts over all kinds (micro average).
    pub fn overall(&self) -> Counts {
        let mut total = Counts::default();
        for counts in &self.per_kind {
            total.add(counts);
        }
        total
    }
}

impl fmt::Display for NerScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for kind in EntityKind::ALL {
            writeln!(f, "  {:<8} {}", kind.as_str(), self.kind(kind))?;
        }
        write!(f, "  {:<8} {}", "overall", self.overall())
    }
}

/// Reads one gold line: chunks `text/tag` separated by spaces.
pub fn parse_gold_line(line: &str) -> GoldSentence {
    let mut text = String::new();
    let mut length = 0;
    let mut spans = Vec::new();
    for chunk in line.split(' ').filter(|chunk| !chunk.is_empty()) {
        let (words, tag) = chunk.rsplit_once('/').unwrap_or((chunk, "o"));
        let start = length;
        length += words.chars().count();
        text.push_str(words);
        let kind = match tag.trim() {
            "nr" => EntityKind::Person,
            "ns" => EntityKind::Place,
            "nt" => EntityKind::Org,
            _ => continue,
        };
        if length > start {
            spans.push((kind, start, length));
        }
    }
    GoldSentence { text, spans }
}

/// Reads a gold file in the MSRA format, one sentence a line.
pub fn read_gold(path: &Path) -> Result<Vec<GoldSentence>, NerEvaluateError> {
    let content =
        std::fs::read_to_string(path).map_err(|source| NerEvaluateError::Read { path: path.to_path_buf(), source })?;
    Ok(content
        .lines()
        .map(|line| parse_gold_line(line.trim_end_matches('\r')))
        .filter(|sentence| !sentence.text.is_empty())
        .collect())
}

/// Scores a name finder on gold sentences by exact spans.
pub fn score(sentences: &[GoldSentence], find: impl Fn(&str) -> Vec<Mention>) -> NerScore {
    let mut result = NerScore { sentences: sentences.len(), ..NerScore::default() };
    for sentence in sentences {
        let gold: HashSet<(EntityKind, usize, usize)> = sentence.spans.iter().copied().collect();
        let found: HashSet<(EntityKind, usize, usize)> =
            find(&sentence.text).into_iter().map(|m| (m.kind, m.start_char, m.end_char)).collect();
        for &(kind, _, _) in found.intersection(&gold) {
            result.per_kind[kind as usize].true_positives += 1;
        }
        for &(kind, _, _) in found.difference(&gold) {
            result.per_kind[kind as usize].false_positives += 1;
        }
        for &(kind, _, _) in gold.difference(&found) {
            result.per_kind[kind as usize].false_negatives += 1;
        }
    }
    result
}

/// Lists the spans a finder gets wrong: `fp` (found, not gold) and `fn`
/// (gold, not found), with kind and name, one line each.
pub fn misses(sentences: &[GoldSentence], find: impl Fn(&str) -> Vec<Mention>) -> Vec<String> {
    let mut lines = Vec::new();
    for sentence in sentences {
        let chars: Vec<char> = sentence.text.chars().collect();
        let gold: HashSet<(EntityKind, usize, usize)> = sentence.spans.iter().copied().collect();
        let found: HashSet<(EntityKind, usize, usize)> =
            find(&sentence.text).into_iter().map(|m| (m.kind, m.start_char, m.end_char)).collect();
        let name = |start: usize, end: usize| chars.get(start..end).map(|c| c.iter().collect::<String>());
        for &(kind, start, end) in found.difference(&gold) {
            lines.push(format!("fp {} {}", kind.as_str(), name(start, end).unwrap_or_default()));
        }
        for &(kind, start, end) in gold.difference(&found) {
            lines.push(format!("fn {} {}", kind.as_str(), name(start, end).unwrap_or_default()));
        }
    }
    lines
}

/// Scores jieba's tags alone (before) and with the rules (after) on the MSRA
/// test set in `dir` (`testright1.txt`).
pub fn evaluate_msra(dir: &Path) -> Result<(NerScore, NerScore), NerEvaluateError> {
    let sentences = read_gold(&dir.join(MSRA_GOLD_FILE))?;
    let before = score(&sentences, super::tagged_mentions);
    let after = score(&sentences, super::mentions_in_text);
    Ok((before, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gold_chunks_into_spans() {
        let sentence = parse_gold_line("在/o 邓小平/nr 理论指引下，/o 中共中央/nt 和/o 北京/ns ");
        assert_eq!(sentence.text, "在邓小平理论指引下，中共中央和北京");
        assert_eq!(
            sentence.spans,
            vec![(EntityKind::Person, 1, 4), (EntityKind::Org, 10, 14), (EntityKind::Place, 15, 17)]
        );
    }

    #[test]
    fn counts_exact_spans_only() {
        let sentences = vec![parse_gold_line("邓小平/nr 在/o 北京市/ns ")];
        let found = |_: &str| {
            vec![
                Mention { kind: EntityKind::Person, name: "邓小平".into(), start_char: 0, end_char: 3 },
                Mention { kind: EntityKind::Place, name: "北京".into(), start_char: 4, end_char: 6 },
            ]
        };
        let result = score(&sentences, found);
        assert_eq!(result.kind(EntityKind::Person).true_positives, 1);
        assert_eq!(result.kind(EntityKind::Place).false_positives, 1);
        assert_eq!(result.kind(EntityKind::Place).false_negatives, 1);
        assert!((result.overall().precision() - 0.5).abs() < 1e-9);
    }
}
