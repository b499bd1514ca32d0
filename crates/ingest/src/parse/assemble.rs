//! Second pass over a page: assigns layout elements to articles. Pages print
//! headlines either before their story or after it; the page's first element
//! tells which, and headings are attached accordingly.

use baokan_common::{ArticleKind, ParsedArticle, Section};

use super::dateline::{parse_dateline, starts_article};
use super::elements::{Element, HeadingLine};
use crate::text::{clean_heading, remove_layout_spaces, signature_at_end};

/// An article being built, with what assembly needs to know about it.
struct Draft {
    article: ParsedArticle,
    /// Index of the element that opened it, for reading order.
    first_element: usize,
    /// Markdown level of its title, for telling subheads from new headlines.
    title_level: Option<u8>,
}

impl Draft {
    fn new(first_element: usize) -> Self {
        Draft {
            article: ParsedArticle::new(ArticleKind::Article),
            first_element,
            title_level: None,
        }
    }

    fn has_body(&self) -> bool {
        !self.article.paragraphs.is_empty()
    }

    fn titled(&self) -> bool {
        self.article.title.is_some()
    }

    fn add_paragraph(&mut self, text: String) {
        if self.article.paragraphs.is_empty() && self.article.dateline.is_none() {
            if let Some(dateline) = parse_dateline(&text) {
                self.article.dateline = dateline.dateline;
                self.article.source = dateline.source;
                merge_authors(&mut self.article.authors, dateline.authors);
            }
        }
        self.article.paragraphs.push(remove_layout_spaces(&text));
    }

    fn set_headings(&mut self, lines: Vec<HeadingLine>) {
        let (kicker, title, subtitle, level) = split_heading_stack(lines);
        self.article.kicker = kicker;
        self.article.title = title;
        self.article.subtitle = subtitle;
        self.title_level = level;
    }
}

/// Builds the page's items in reading order.
struct Assembler {
    headline_first: bool,
    done: Vec<(usize, ParsedArticle)>,
    current: Option<Draft>,
    pending_headings: Vec<HeadingLine>,
    pending_authors: Vec<String>,
    pending_label: Option<String>,
}

/// Assigns the elements of one page to articles and photos.
pub fn assemble(elements: Vec<Element>) -> Vec<ParsedArticle> {
    let headline_first = elements
        .iter()
        .find(|e| !matches!(e, Element::Label(_)))
        .is_some_and(|e| matches!(e, Element::Headings(_)));
    let mut assembler = Assembler {
        headline_first,
        done: Vec::new(),
        current: None,
        pending_headings: Vec::new(),
        pending_authors: Vec::new(),
        pending_label: None,
    };
    for (index, element) in elements.into_iter().enumerate() {
        assembler.take(index, element);
    }
    assembler.finish()
}

impl Assembler {
    fn take(&mut self, index: usize, element: Element) {
        match element {
            Element::Label(label) => {
                self.pending_label = Some(clean_heading(&label));
            }
            Element::Headings(lines) => self.take_headings(index, lines),
            Element::Byline(names) => {
                if !self.pending_headings.is_empty() {
                    merge_authors(&mut self.pending_authors, names);
                } else if let Some(current) = self.current.as_mut() {
                    merge_authors(&mut current.article.authors, names);
                } else {
                    merge_authors(&mut self.pending_authors, names);
                }
            }
            Element::Paragraph(text) => self.take_paragraph(index, text),
            Element::Jump(jump) => {
                let current = self.current.get_or_insert_with(|| Draft::new(index));
                current.article.jumps.push(jump);
            }
            Element::Photo { caption, authors } => {
                let mut photo = ParsedArticle::new(ArticleKind::Photo);
                photo
                    .paragraphs
                    .extend(caption.map(|c| remove_layout_spaces(&c)));
                photo.authors = authors;
                self.done.push((index, photo));
            }
        }
    }

    fn take_headings(&mut self, index: usize, lines: Vec<HeadingLine>) {
        if let Some(current) = self.current.as_mut() {
            // A deeper markdown heading inside a story is a subhead.
            let deeper = match (current.title_level, lines.first().and_then(|l| l.level)) {
                (Some(title), Some(level)) => level > title,
                _ => false,
            };
            if deeper && current.has_body() && self.pending_headings.is_empty() {
                for line in lines {
                    let first_paragraph = current.article.paragraphs.len();
                    current.article.sections.push(Section {
                        heading: clean_heading(&line.text),
                        first_paragraph,
                    });
                }
                return;
            }
            if !self.headline_first && !current.titled() && self.pending_headings.is_empty() {
                current.set_headings(lines);
                return;
            }
            if self.headline_first && current.has_body() {
                self.finish_current();
            }
        }
        let _ = index;
        self.pending_headings.extend(lines);
    }

    fn take_paragraph(&mut self, index: usize, text: String) {
        let opens_article = starts_article(&text);
        let start_new = match self.current.as_ref() {
            None => true,
            Some(_) if !self.pending_headings.is_empty() => true,
            Some(current) => {
                (opens_article && current.has_body()) || (!self.headline_first && current.titled())
            }
        };
        if start_new {
            self.finish_current();
            let mut draft = Draft::new(index);
            if !self.pending_headings.is_empty() {
                draft.set_headings(std::mem::take(&mut self.pending_headings));
            }
            draft.article.authors = std::mem::take(&mut self.pending_authors);
            draft.article.column = self.pending_label.take();
            self.current = Some(draft);
        }
        if let Some(current) = self.current.as_mut() {
            current.add_paragraph(text);
        }
    }

    fn finish_current(&mut self) {
        let Some(mut draft) = self.current.take() else {
            return;
        };
        if let Some(name) = draft
            .article
            .paragraphs
            .last()
            .and_then(|p| signature_at_end(p))
        {
            merge_authors(&mut draft.article.authors, vec![name.to_string()]);
        }
        self.done.push((draft.first_element, draft.article));
    }

    fn finish(mut self) -> Vec<ParsedArticle> {
        if !self.pending_headings.is_empty() {
            let headings = std::mem::take(&mut self.pending_headings);
            match self.current.as_mut() {
                Some(current) if !current.titled() => current.set_headings(headings),
                _ => {
                    self.finish_current();
                    let mut draft = Draft::new(usize::MAX);
                    draft.set_headings(headings);
                    draft.article.authors = std::mem::take(&mut self.pending_authors);
                    self.current = Some(draft);
                }
            }
        }
        if let Some(current) = self.current.as_mut() {
            let leftover = std::mem::take(&mut self.pending_authors);
            merge_authors(&mut current.article.authors, leftover);
        }
        self.finish_current();
        self.done.sort_by_key(|(first_element, _)| *first_element);
        self.done.into_iter().map(|(_, article)| article).collect()
    }
}

/// Appends names not already present.
fn merge_authors(authors: &mut Vec<String>, names: Vec<String>) {
    for name in names {
        if !authors.contains(&name) {
            authors.push(name);
        }
    }
}

/// Returns true for a heading line that introduces the title (引题).
fn is_kicker(text: &str) -> bool {
    let text = text.trim_end();
    ["强调", "指出", "表示", "要求", "——", "—", "：", ":"]
        .iter()
        .any(|end| text.ends_with(end))
}

/// Splits a stack of heading lines into kicker, title and subtitle, and
/// returns the title's markdown level.
fn split_heading_stack(
    lines: Vec<HeadingLine>,
) -> (Option<String>, Option<String>, Option<String>, Option<u8>) {
    if lines.is_empty() {
        return (None, None, None, None);
    }
    let cleaned: Vec<String> = lines.iter().map(|l| clean_heading(&l.text)).collect();
    let mut title_index = 0;
    while title_index + 1 < lines.len() {
        let smaller_than_next = match (lines[title_index].level, lines[title_index + 1].level) {
            (Some(this), Some(next)) => this > next,
            _ => false,
        };
        if is_kicker(&cleaned[title_index]) || smaller_than_next {
            title_index += 1;
        } else {
            break;
        }
    }
    let join = |parts: &[String]| {
        let joined = parts
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    };
    let kicker = join(&cleaned[..title_index]);
    let title = join(&cleaned[title_index..=title_index]);
    let subtitle = join(&cleaned[title_index + 1..]);
    (kicker, title, subtitle, lines[title_index].level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(text: &str) -> HeadingLine {
        HeadingLine {
            text: text.into(),
            level: None,
        }
    }

    #[test]
    fn splits_kicker_title_subtitle() {
        let (kicker, title, subtitle, _) = split_heading_stack(vec![
            heading("楼阳生在参加义务植树活动时强调"),
            heading("践行践行““两山两山””理论理论 发扬右玉精神发扬右玉精神"),
            heading("林武蓝佛安参加"),
        ]);
        assert_eq!(kicker.as_deref(), Some("楼阳生在参加义务植树活动时强调"));
        assert_eq!(title.as_deref(), Some("践行“两山”理论 发扬右玉精神"));
        assert_eq!(subtitle.as_deref(), Some("林武蓝佛安参加"));
    }

    #[test]
    fn attaches_headlines_printed_after_the_body() {
        let articles = assemble(vec![
            Element::Paragraph("本报讯（记者 甲乙）第一篇正文。".into()),
            Element::Headings(vec![heading("第一篇标题")]),
            Element::Paragraph("本报讯（记者 丙丁）第二篇正文。".into()),
            Element::Headings(vec![heading("第二篇标题")]),
        ]);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_deref()).collect();
        assert_eq!(titles, [Some("第一篇标题"), Some("第二篇标题")]);
        assert_eq!(articles[1].authors, ["丙丁"]);
    }

    #[test]
    fn attaches_headlines_printed_before_the_body() {
        let articles = assemble(vec![
            Element::Headings(vec![heading("第一篇标题")]),
            Element::Paragraph("本报讯（记者 甲乙）第一篇正文。".into()),
            Element::Headings(vec![heading("第二篇标题")]),
            Element::Byline(vec!["丙丁".into()]),
            Element::Paragraph("第二篇正文。".into()),
        ]);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_deref()).collect();
        assert_eq!(titles, [Some("第一篇标题"), Some("第二篇标题")]);
        assert_eq!(articles[1].authors, ["丙丁"]);
    }
}
