//! First pass over a page: classifies lines and groups them into layout
//! elements (heading groups, bylines, body paragraphs, jump lines, photo
//! captions) in printed order. Assigning elements to articles is `assemble`'s job.

use std::sync::LazyLock;

use regex::Regex;

use super::credit::{names_in_credit, starts_with_role};
use crate::text::{ends_sentence, join_wrapped, trim_layout};

/// One heading line and its markdown level (`#` = 1), if the page is markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadingLine {
    pub text: String,
    pub level: Option<u8>,
}

/// A layout element of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// Consecutive short unpunctuated lines: titles, kickers, subtitles, subheads.
    Headings(Vec<HeadingLine>),
    /// A column or section label (bold-only line, pinyin-labelled block).
    Label(String),
    /// A line crediting reporters (`本报记者 王晓华`).
    Byline(Vec<String>),
    /// A body paragraph with its wrapped lines joined.
    Paragraph(String),
    /// A jump line (`（下转第2版）`).
    Jump(String),
    /// A photo caption and the photographers credited.
    Photo {
        caption: Option<String>,
        authors: Vec<String>,
    },
}

static JUMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[（(]\s*(?:下转|上接|紧接|转|接|续)\s*第?\s*[0-9０-９一二三四五六七八九十]+\s*[版页面]\s*[）)]\s*$")
        .expect("jump regex")
});
static MARKDOWN_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(#{1,6})\s+(.*)$").expect("markdown heading regex"));
static PINYIN_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]{1,8}(?:\s+[A-Z]{1,8}){1,8}$").expect("pinyin regex"));

/// Classification of a single line before grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LineKind {
    Blank,
    Markdown(u8, String),
    Bold(String),
    Jump(String),
    Credit(Vec<String>),
    Byline(Vec<String>),
    Text(String),
}

/// Splits a page into layout elements.
pub fn page_elements(text: &str) -> Vec<Element> {
    let mut kinds = Vec::new();
    for raw in text.lines() {
        classify_line(raw, &mut kinds);
    }
    let mut elements = Vec::new();
    let mut block: Vec<String> = Vec::new();
    for kind in kinds {
        match kind {
            LineKind::Text(line) => {
                block.push(line);
                continue;
            }
            LineKind::Credit(authors) => {
                // The caption is the paragraph right before the credit.
                flush_block(&mut block, &mut elements);
                let caption = match elements.last() {
                    Some(Element::Paragraph(_)) => match elements.pop() {
                        Some(Element::Paragraph(text)) => Some(text),
                        _ => None,
                    },
                    _ => None,
                };
                elements.push(Element::Photo { caption, authors });
                continue;
            }
            _ => {}
        }
        flush_block(&mut block, &mut elements);
        match kind {
            LineKind::Markdown(level, text) => push_heading(&mut elements, text, Some(level)),
            LineKind::Bold(text) => elements.push(Element::Label(text)),
            LineKind::Jump(text) => elements.push(Element::Jump(text)),
            LineKind::Byline(names) => elements.push(Element::Byline(names)),
            LineKind::Blank | LineKind::Text(_) | LineKind::Credit(_) => {}
        }
    }
    flush_block(&mut block, &mut elements);
    elements
}

/// Classifies one raw line, splitting a trailing jump off a body line.
fn classify_line(raw: &str, kinds: &mut Vec<LineKind>) {
    let line = trim_layout(raw.trim_end_matches('\r'));
    if line.is_empty() {
        kinds.push(LineKind::Blank);
        return;
    }
    if let Some(captures) = MARKDOWN_HEADING.captures(line) {
        let level = captures[1].len() as u8;
        let text = strip_bold(&captures[2]);
        kinds.push(LineKind::Markdown(level, text));
        return;
    }
    if line.len() > 4
        && line.starts_with("**")
        && line.ends_with("**")
        && !line[2..line.len() - 2].contains("**")
    {
        kinds.push(LineKind::Bold(
            trim_layout(&line[2..line.len() - 2]).to_string(),
        ));
        return;
    }
    let line = strip_bold(line);
    if let Some(jump) = JUMP.find(&line) {
        let before = trim_layout(&line[..jump.start()]);
        if !before.is_empty() {
            kinds.push(LineKind::Text(before.to_string()));
        }
        kinds.push(LineKind::Jump(trim_layout(jump.as_str()).to_string()));
        return;
    }
    if let Some(names) = photo_credit(&line) {
        kinds.push(LineKind::Credit(names));
        return;
    }
    if let Some(names) = byline(&line) {
        kinds.push(LineKind::Byline(names));
        return;
    }
    kinds.push(LineKind::Text(line));
}

/// Removes markdown bold markers.
fn strip_bold(text: &str) -> String {
    trim_layout(&text.replace("**", "")).to_string()
}

/// Recognises a photo credit line (`山西日报记者 李联军 摄`, `本报记者 曹 伟 摄`).
fn photo_credit(line: &str) -> Option<Vec<String>> {
    let body = line.strip_suffix('摄')?;
    if line.chars().count() > 32 || line.contains(['。', '，', '；']) {
        return None;
    }
    let spaced = body.ends_with(|c: char| c.is_whitespace() || c == '\u{3000}');
    if !spaced && !starts_with_role(body) {
        return None;
    }
    let names = names_in_credit(body);
    (!names.is_empty()).then_some(names)
}

/// Recognises a byline (`本报记者 王晓华 实习记者 李京益`, `记者 徐方伟`).
fn byline(line: &str) -> Option<Vec<String>> {
    if line.chars().count() > 40
        || !starts_with_role(line)
        || line.contains(['。', '，', '；', '：', '（', '）'])
    {
        return None;
    }
    let names = names_in_credit(line);
    (!names.is_empty()).then_some(names)
}

/// Returns true for a line that could be a heading: short and unpunctuated.
fn heading_like(line: &str) -> bool {
    let count = line.chars().count();
    let enumerates = line.contains('、') && count > 24;
    count <= 40
        && !enumerates
        && !line.contains(['。', '，', '；', ','])
        && !line.ends_with(['：', ':', '、'])
}

fn push_heading(elements: &mut Vec<Element>, text: String, level: Option<u8>) {
    let line = HeadingLine { text, level };
    if let Some(Element::Headings(lines)) = elements.last_mut() {
        lines.push(line);
    } else {
        elements.push(Element::Headings(vec![line]));
    }
}

/// Turns a block of consecutive text lines into heading or paragraph elements.
fn flush_block(block: &mut Vec<String>, elements: &mut Vec<Element>) {
    if block.is_empty() {
        return;
    }
    let lines = std::mem::take(block);
    if lines.iter().any(|l| PINYIN_LINE.is_match(l)) && lines.len() <= 3 {
        let label: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|l| !PINYIN_LINE.is_match(l))
            .collect();
        elements.push(Element::Label(label.join(" ")));
        return;
    }
    let previous_open = matches!(elements.last(), Some(Element::Paragraph(p)) if !ends_sentence(p));
    let opens_article = lines
        .first()
        .is_some_and(|l| super::dateline::starts_article(l));
    if lines.len() <= 3
        && !opens_article
        && lines.iter().all(|l| heading_like(l))
        && !(previous_open && lines.len() == 1)
    {
        for line in lines {
            push_heading(elements, line, None);
        }
        return;
    }
    push_paragraphs(&lines, elements, previous_open);
}

/// Splits a body block into paragraphs and appends them; the first joins the
/// previous paragraph when that one stopped mid-sentence (a layout gap).
fn push_paragraphs(lines: &[String], elements: &mut Vec<Element>, previous_open: bool) {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new()];
    for line in lines {
        if super::dateline::starts_article(line) && paragraphs.last().is_some_and(|p| !p.is_empty())
        {
            paragraphs.push(Vec::new());
        }
        if let Some(current) = paragraphs.last_mut() {
            current.push(line.as_str());
        }
        let length = line.chars().count();
        let short_line = length + 2 <= width || length > 60;
        if ends_sentence(line) && short_line {
            paragraphs.push(Vec::new());
        }
    }
    for (index, paragraph) in paragraphs.into_iter().filter(|p| !p.is_empty()).enumerate() {
        let text = join_wrapped(paragraph.iter().copied());
        let continues = index == 0 && previous_open && !super::dateline::starts_article(&text);
        match elements.last_mut() {
            Some(Element::Paragraph(previous)) if continues => {
                let joined = join_wrapped([previous.as_str(), text.as_str()]);
                *previous = joined;
            }
            _ => elements.push(Element::Paragraph(text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_headings_bylines_paragraphs_jumps_and_photos() {
        let page = "本报讯（记者 刘吟）2月3日上午，市委副书记、市\n长常书铭带领有关负责人调研。\n\n\
                    市 政 协 召 开 党 组 会 议\n王建林主持\n\n本报记者 李晓雯\n\n\
                    工人正在养护新栽\n种的蓝莓、樱桃树。\n本报记者 曹 伟 摄\n\n着铿锵的力量。 （下转第2版）\n";
        let elements = page_elements(page);
        assert_eq!(
            elements,
            vec![
                Element::Paragraph(
                    "本报讯（记者 刘吟）2月3日上午，市委副书记、市长常书铭带领有关负责人调研。"
                        .into()
                ),
                Element::Headings(vec![
                    HeadingLine {
                        text: "市 政 协 召 开 党 组 会 议".into(),
                        level: None
                    },
                    HeadingLine {
                        text: "王建林主持".into(),
                        level: None
                    },
                ]),
                Element::Byline(vec!["李晓雯".into()]),
                Element::Photo {
                    caption: Some("工人正在养护新栽种的蓝莓、樱桃树。".into()),
                    authors: vec!["曹伟".into()]
                },
                Element::Paragraph("着铿锵的力量。".into()),
                Element::Jump("（下转第2版）".into()),
            ]
        );
    }

    #[test]
    fn rejoins_a_paragraph_split_by_a_layout_gap() {
        let page = "今年，我省侯马市成功申办成\n\n为全国第六届“万步有约”大赛的\n主办城市。\n";
        assert_eq!(
            page_elements(page),
            vec![Element::Paragraph(
                "今年，我省侯马市成功申办成为全国第六届“万步有约”大赛的主办城市。".into()
            )]
        );
    }
}
