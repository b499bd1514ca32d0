//! Second pass over a page: assigns layout elements to articles. Pages print
//! headlines either before their story or after it; the page's first element
//! tells which, and headings are attached accordingly: as the headline of the
//! story they belong to, as a subhead inside a feature, as the continuation
//! of a headline split around the body, as a photo's title, or as a column
//! label.

use baokan_common::{ArticleKind, ParsedArticle, Section};

use super::dateline::{parse_dateline, starts_article};
use super::elements::{Element, HeadingLine};
use super::headline::{split_heading_stack, HeadingStack};
use crate::text::{clean_heading, ends_sentence, remove_layout_spaces, signature_at_end};

/// Longest text taken for an uncredited photo caption.
const MAX_CAPTION_CHARS: usize = 300;
/// Photo titles are short pairs such as `抓时节 忙养护`.
const MAX_PHOTO_TITLE_LINE_CHARS: usize = 5;

/// An article being built, with what assembly needs to know about it.
struct Draft {
    article: ParsedArticle,
    /// Index of the element that opened it, for reading order.
    first_element: usize,
    /// Markdown level of its title, for telling subheads from new headlines.
    title_level: Option<u8>,
    /// Headings printed before its body on a headline-after page: its column
    /// label, or its headline if no headline follows the body.
    before_body: Vec<HeadingLine>,
    /// The next paragraph continues the last one (a headline interrupted the body).
    join_next_paragraph: bool,
    /// Column labels found in its heading stack, placed by `place_labels`.
    labels: Vec<String>,
}

impl Draft {
    fn new(first_element: usize) -> Self {
        Draft {
            article: ParsedArticle::new(ArticleKind::Article),
            first_element,
            title_level: None,
            before_body: Vec::new(),
            join_next_paragraph: false,
            labels: Vec::new(),
        }
    }

    fn has_body(&self) -> bool {
        !self.article.paragraphs.is_empty()
    }

    fn titled(&self) -> bool {
        self.article.title.is_some()
    }

    fn body_ends_sentence(&self) -> bool {
        self.article.paragraphs.last().is_some_and(|p| ends_sentence(p))
    }

    fn body_open(&self) -> bool {
        self.article.paragraphs.last().is_some_and(|p| !ends_sentence(p))
    }

    fn add_paragraph(&mut self, text: &str) {
        if self.article.paragraphs.is_empty() && self.article.dateline.is_none() {
            if let Some(dateline) = parse_dateline(text) {
                self.article.dateline = dateline.dateline;
                self.article.source = dateline.source;
                merge_authors(&mut self.article.authors, dateline.authors);
            }
        }
        let text = remove_layout_spaces(text);
        if std::mem::take(&mut self.join_next_paragraph) {
            if let Some(last) = self.article.paragraphs.last_mut() {
                last.push_str(&text);
                return;
            }
        }
        self.article.paragraphs.push(text);
    }

    fn set_headings(&mut self, lines: Vec<HeadingLine>) {
        let HeadingStack { column, kicker, title, subtitle, title_level } = split_heading_stack(lines);
        self.article.kicker = kicker;
        self.article.title = title;
        self.article.subtitle = subtitle;
        self.labels.extend(column);
        self.title_level = title_level;
    }

    fn add_sections(&mut self, lines: Vec<HeadingLine>) {
        let first_paragraph = self.article.paragraphs.len();
        let heading = lines.iter().map(|l| clean_heading(&l.text)).collect::<Vec<_>>().join(" ");
        self.article.sections.push(Section { heading, first_paragraph });
    }
}

/// Builds the page's items in reading order.
struct Assembler {
    headline_first: bool,
    done: Vec<(usize, ParsedArticle)>,
    current: Option<Draft>,
    pending_headings: Vec<HeadingLine>,
    pending_authors: Vec<String>,
    /// Column labels and banners with the element position they were printed at.
    floating_labels: Vec<(usize, String)>,
    /// Section headers with their position: they head the item after them.
    section_headers: Vec<(usize, String)>,
    /// `（上接第1版）` lines: they open the story that follows them.
    pending_jumps: Vec<String>,
}

/// Returns true for a jump line saying where the text continues from.
fn continues_from_elsewhere(jump: &str) -> bool {
    jump.contains("上接") || jump.contains("紧接") || jump.contains("接第") || jump.contains("续")
}

/// Assigns the elements of one page to articles and photos.
pub fn assemble(elements: Vec<Element>) -> Vec<ParsedArticle> {
    let headline_first = headlines_come_first(&elements);
    let mut assembler = Assembler {
        headline_first,
        done: Vec::new(),
        current: None,
        pending_headings: Vec::new(),
        pending_authors: Vec::new(),
        floating_labels: Vec::new(),
        section_headers: Vec::new(),
        pending_jumps: Vec::new(),
    };
    let mut elements = elements.into_iter().enumerate().peekable();
    while let Some((index, element)) = elements.next() {
        let next = elements.peek().map(|(_, e)| e);
        assembler.take(index, element, next);
    }
    assembler.finish()
}

/// Decides whether the page prints headlines before their stories: markdown
/// pages do; otherwise the page does when its first heading comes before its
/// first dateline (a story continued from another page may open the page
/// without either).
fn headlines_come_first(elements: &[Element]) -> bool {
    let markdown =
        elements.iter().any(|e| matches!(e, Element::Headings(lines) if lines.iter().any(|l| l.level.is_some())));
    if markdown {
        return true;
    }
    let first_heading = elements.iter().position(|e| matches!(e, Element::Headings(_)));
    let first_dateline =
        elements.iter().position(|e| matches!(e, Element::Paragraph { text, .. } if starts_article(text)));
    match (first_heading, first_dateline) {
        (Some(heading), Some(dateline)) => heading < dateline,
        (Some(heading), None) => {
            elements
                .iter()
                .find(|e| !matches!(e, Element::Label(_) | Element::SectionHeader(_)))
                .is_some_and(|e| matches!(e, Element::Headings(_)))
                || heading == 0
        }
        (None, _) => false,
    }
}

/// Returns true for text that announces a photo (`图为…`, `上图：…`).
fn opens_caption(text: &str) -> bool {
    ["图为", "图：", "图:", "上图", "下图", "左图", "右图", "图片说明"].iter().any(|marker| text.starts_with(marker))
}

/// Returns true when the next element is a paragraph that does not open a new article.
fn continues_story(next: Option<&Element>) -> bool {
    matches!(next, Some(Element::Paragraph { text, .. }) if !starts_article(text))
}

impl Assembler {
    fn take(&mut self, index: usize, element: Element, next: Option<&Element>) {
        match element {
            Element::Label(label) => {
                // A bold line between paragraphs of one story is a subhead.
                let flows_on = matches!(next, Some(Element::Paragraph { isolated: false, .. }));
                let inside_story = continues_story(next)
                    && flows_on
                    && self.pending_headings.is_empty()
                    && self.current.as_ref().is_some_and(|c| c.has_body() && c.body_ends_sentence());
                match self.current.as_mut() {
                    Some(current) if inside_story => {
                        current.add_sections(vec![HeadingLine { text: label, level: None }]);
                    }
                    _ => self.floating_labels.push((index, clean_heading(&label))),
                }
            }
            Element::SectionHeader(label) => self.section_headers.push((index, clean_heading(&label))),
            Element::Headings(lines) => self.take_headings(index, lines, next),
            Element::Byline(names) => {
                if !self.pending_headings.is_empty() {
                    merge_authors(&mut self.pending_authors, names);
                } else if let Some(current) = self.current.as_mut() {
                    merge_authors(&mut current.article.authors, names);
                } else {
                    merge_authors(&mut self.pending_authors, names);
                }
            }
            Element::Paragraph { text, isolated } => {
                let caption_alone = (isolated || opens_caption(&text))
                    && !matches!(next, Some(Element::Paragraph { .. }))
                    && !starts_article(&text)
                    && text.chars().count() <= MAX_CAPTION_CHARS;
                if caption_alone {
                    self.push_photo(index, Some(text), Vec::new(), None);
                } else {
                    self.take_paragraph(index, text);
                }
            }
            Element::Jump(jump) => {
                let opens_next = continues_from_elsewhere(&jump)
                    && (self.current.as_ref().is_none_or(|c| c.has_body()) || !self.pending_headings.is_empty());
                // The text after a continued-from jump is the later part even
                // when it opens like a story (`本报讯…`, `据新华社…电`): such a
                // part may repeat the story's dateline and lead.
                if opens_next && matches!(next, Some(Element::Paragraph { .. })) {
                    self.pending_jumps.push(jump);
                } else {
                    let current = self.current.get_or_insert_with(|| Draft::new(index));
                    current.article.jumps.push(jump);
                }
            }
            Element::Photo { caption, authors, source } => {
                // On a headline-first page, headings right over a photo are its title.
                let title = if self.headline_first && !self.pending_headings.is_empty() && caption.is_some() {
                    let headings = std::mem::take(&mut self.pending_headings);
                    Some(headings.iter().map(|l| clean_heading(&l.text)).collect::<Vec<_>>().join(" "))
                } else {
                    None
                };
                self.push_photo(index, caption, authors, source);
                if let Some((_, photo)) = self.done.last_mut() {
                    photo.title = title;
                }
            }
        }
    }

    fn push_photo(&mut self, index: usize, caption: Option<String>, authors: Vec<String>, source: Option<String>) {
        let mut photo = ParsedArticle::new(ArticleKind::Photo);
        photo.paragraphs.extend(caption.map(|c| remove_layout_spaces(&c)));
        photo.authors = authors;
        photo.source = source;
        self.done.push((index, photo));
    }

    /// Gives a short heading pair to the last photo without a title.
    fn take_photo_title(&mut self, lines: &[HeadingLine]) -> bool {
        let short = lines.len() >= 2
            && lines
                .iter()
                .all(|l| clean_heading(&l.text).chars().count() <= MAX_PHOTO_TITLE_LINE_CHARS && l.level.is_none());
        if !short {
            return false;
        }
        let Some((_, photo)) =
            self.done.iter_mut().rev().find(|(_, a)| a.kind == ArticleKind::Photo && a.title.is_none())
        else {
            return false;
        };
        photo.title = Some(lines.iter().map(|l| clean_heading(&l.text)).collect::<Vec<_>>().join(" "));
        true
    }

    fn take_headings(&mut self, index: usize, lines: Vec<HeadingLine>, next: Option<&Element>) {
        if !continues_story(next) && self.take_photo_title(&lines) {
            return;
        }
        let headline_first = self.headline_first;
        if let Some(current) = self.current.as_mut() {
            if current.has_body() && self.pending_headings.is_empty() {
                // A deeper markdown heading inside a story is a subhead.
                let deeper = match current.title_level {
                    Some(title) => lines.iter().all(|l| l.level.is_some_and(|level| level > title)),
                    None => false,
                };
                if deeper && continues_story(next) {
                    current.add_sections(lines);
                    return;
                }
                if headline_first {
                    // A headline printed around the body: the body goes on after it.
                    if current.titled() && current.body_open() && continues_story(next) {
                        let extra = lines.iter().map(|l| clean_heading(&l.text)).collect::<Vec<_>>().join(" ");
                        let title = current.article.title.take().unwrap_or_default();
                        current.article.title = Some(format!("{title} {extra}"));
                        current.join_next_paragraph = true;
                        return;
                    }
                } else if !current.titled() {
                    // Headline after the body; inside an undated feature, a
                    // heading followed by more of the story is a subhead.
                    if current.article.dateline.is_none() && continues_story(next) {
                        current.add_sections(lines);
                    } else {
                        current.set_headings(lines);
                    }
                    return;
                }
            }
            if headline_first && current.has_body() {
                self.finish_current();
            } else if !headline_first && current.titled() && current.article.column.is_none() && !continues_story(next)
            {
                // After a story and its headline: the story's column banner.
                let label = lines.iter().map(|l| clean_heading(&l.text)).collect::<Vec<_>>().join(" ");
                self.floating_labels.push((index, label));
                return;
            }
        }
        let _ = index;
        self.pending_headings.extend(lines);
    }

    fn take_paragraph(&mut self, index: usize, text: String) {
        let opens_article = starts_article(&text);
        let start_new = match self.current.as_ref() {
            None => true,
            Some(_) if !self.pending_jumps.is_empty() => true,
            Some(_) if self.headline_first && !self.pending_headings.is_empty() => true,
            Some(current) => (opens_article && current.has_body()) || (!self.headline_first && current.titled()),
        };
        if start_new {
            self.finish_current();
            let mut draft = Draft::new(index);
            let headings = std::mem::take(&mut self.pending_headings);
            if self.headline_first {
                if !headings.is_empty() {
                    draft.set_headings(headings);
                }
            } else {
                draft.before_body = headings;
            }
            merge_authors(&mut draft.article.authors, std::mem::take(&mut self.pending_authors));
            draft.article.jumps.append(&mut self.pending_jumps);
            self.current = Some(draft);
        }
        if let Some(current) = self.current.as_mut() {
            current.add_paragraph(&text);
        }
    }

    fn finish_current(&mut self) {
        let Some(mut draft) = self.current.take() else {
            return;
        };
        // A trailing signature such as `（梁涛）` is a byline, not body text.
        if let Some(last) = draft.article.paragraphs.last_mut() {
            if let Some(names) = signature_at_end(last) {
                let names: Vec<String> = names.into_iter().map(str::to_string).collect();
                if let Some(open) = last.rfind('（') {
                    last.truncate(open);
                    let trimmed = crate::text::trim_layout(last).to_string();
                    *last = trimmed;
                }
                merge_authors(&mut draft.article.authors, names);
            }
            if last.is_empty() {
                draft.article.paragraphs.pop();
            }
        }
        let before_body = std::mem::take(&mut draft.before_body);
        if !before_body.is_empty() {
            if draft.titled() {
                let label = before_body.iter().map(|l| clean_heading(&l.text)).collect::<Vec<_>>().join(" ");
                self.floating_labels.push((draft.first_element, label));
            } else {
                draft.set_headings(before_body);
            }
        }
        for label in std::mem::take(&mut draft.labels) {
            self.floating_labels.push((draft.first_element, label));
        }
        self.done.push((draft.first_element, draft.article));
    }

    fn finish(mut self) -> Vec<ParsedArticle> {
        if !self.pending_headings.is_empty() {
            let headings = std::mem::take(&mut self.pending_headings);
            match self.current.as_mut() {
                Some(current) if !current.titled() && !self.headline_first => current.set_headings(headings),
                _ => {
                    self.finish_current();
                    let mut draft = Draft::new(usize::MAX);
                    draft.set_headings(headings);
                    draft.article.authors = std::mem::take(&mut self.pending_authors);
                    self.current = Some(draft);
                }
            }
        }
        if !self.pending_jumps.is_empty() {
            // A continued-from jump with no story after it stays with the last one.
            let jumps = std::mem::take(&mut self.pending_jumps);
            self.current.get_or_insert_with(|| Draft::new(usize::MAX)).article.jumps.extend(jumps);
        }
        let leftover = std::mem::take(&mut self.pending_authors);
        match (self.current.as_mut(), self.done.last_mut()) {
            (Some(current), _) => merge_authors(&mut current.article.authors, leftover),
            // Signed after the last item (e.g. a photo): its authors.
            (None, Some((_, last))) => merge_authors(&mut last.authors, leftover),
            (None, None) if !leftover.is_empty() => {
                let mut draft = Draft::new(usize::MAX);
                draft.article.authors = leftover;
                self.current = Some(draft);
            }
            (None, None) => {}
        }
        self.finish_current();
        split_off_trailing_captions(&mut self.done);
        self.done.sort_by_key(|(first_element, _)| *first_element);
        move_banners_to_their_story(&mut self.done);
        for (position, label) in &self.section_headers {
            let after = self.done.iter().position(|(first, _)| first >= position);
            // Over the item after it; at the very end of a page, the last item.
            if let Some(index) = after.or_else(|| self.done.len().checked_sub(1)) {
                add_column(&mut self.done[index].1, label);
            }
        }
        place_labels(&mut self.done, &self.floating_labels);
        self.done.into_iter().map(|(_, article)| article).collect()
    }
}

/// Gives each column label to the item it is about: the item printed right
/// before it when that one shares more of its wording, else the item right
/// after it. Banners are often printed after the story they belong to.
fn place_labels(items: &mut Vec<(usize, ParsedArticle)>, labels: &[(usize, String)]) {
    for (position, label) in labels {
        if items.is_empty() {
            // A page of labels only: keep them on an empty item.
            let mut article = ParsedArticle::new(ArticleKind::Article);
            article.column = Some(label.clone());
            items.push((*position, article));
            continue;
        }
        let next = items.iter().position(|(first, _)| first >= position);
        let previous = match next {
            Some(0) => None,
            Some(next) => Some(next - 1),
            None => items.len().checked_sub(1),
        };
        let overlap = |index: Option<usize>| index.map_or(0, |i| shared_bigrams(label, &items[i].1));
        let chosen = match (previous, next) {
            (Some(previous), Some(_)) if overlap(Some(previous)) > overlap(next) => Some(previous),
            (_, Some(next)) => Some(next),
            (previous, None) => previous,
        };
        if let Some(chosen) = chosen {
            add_column(&mut items[chosen].1, label);
        }
    }
}

/// Gives an item a column label; a second, different label is appended
/// after the first (separated by a space) rather than lost.
fn add_column(article: &mut ParsedArticle, label: &str) {
    match &mut article.column {
        None => article.column = Some(label.to_string()),
        Some(column) if column.contains(label) => {}
        Some(column) => {
            column.push(' ');
            column.push_str(label);
        }
    }
}

/// A story's last paragraph that opens with a date (`3月5日，游客在…`) and
/// shares almost none of the story's wording is a photo caption printed next
/// to it, not part of the story.
fn split_off_trailing_captions(items: &mut Vec<(usize, ParsedArticle)>) {
    static DATE_LED: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^\d{1,2}月\d{1,2}日[，,]").expect("date-led caption regex"));
    let mut captions = Vec::new();
    for (first_element, article) in items.iter_mut() {
        if article.kind != ArticleKind::Article || article.paragraphs.len() < 2 {
            continue;
        }
        let Some(last) = article.paragraphs.last() else { continue };
        if !DATE_LED.is_match(last) || last.chars().count() > MAX_CAPTION_CHARS {
            continue;
        }
        let mut rest = article.clone();
        rest.paragraphs.pop();
        let bigrams = han_bigrams(last);
        let shared = bigrams.iter().filter(|b| shared_text(&rest).contains(b.as_str())).count();
        if bigrams.is_empty() || shared * 5 >= bigrams.len() {
            continue;
        }
        let mut photo = ParsedArticle::new(ArticleKind::Photo);
        photo.paragraphs.extend(article.paragraphs.pop());
        captions.push((*first_element + 1, photo));
    }
    items.extend(captions);
}

/// The Han bigrams of a text.
fn han_bigrams(text: &str) -> Vec<String> {
    let characters: Vec<char> = text.chars().filter(|c| crate::text::is_han(*c)).collect();
    characters.windows(2).map(|pair| pair.iter().collect()).collect()
}

/// Headings and body of an item as one text.
fn shared_text(article: &ParsedArticle) -> String {
    let mut text = article.paragraphs.concat();
    for heading in [&article.kicker, &article.title, &article.subtitle].into_iter().flatten() {
        text.push_str(heading);
    }
    text
}

/// A line over a headline that is really the banner of the story printed
/// before it (it shares that story's wording, not this one's) becomes that
/// story's column instead of this headline's kicker.
fn move_banners_to_their_story(items: &mut [(usize, ParsedArticle)]) {
    for index in 1..items.len() {
        let Some(kicker) = items[index].1.kicker.clone() else { continue };
        if items[index - 1].1.column.is_some() || items[index - 1].1.kind != ArticleKind::Article {
            continue;
        }
        let mut own = items[index].1.clone();
        own.kicker = None;
        if shared_bigrams(&kicker, &items[index - 1].1) > shared_bigrams(&kicker, &own) {
            items[index - 1].1.column = Some(kicker);
            items[index].1.kicker = None;
        }
    }
}

/// Counts the Han bigrams of `label` that occur in an item's headings or body.
fn shared_bigrams(label: &str, article: &ParsedArticle) -> usize {
    let text = shared_text(article);
    han_bigrams(label).iter().filter(|pair| text.contains(pair.as_str())).count()
}

/// Appends names not already present.
fn merge_authors(authors: &mut Vec<String>, names: Vec<String>) {
    for name in names {
        if !authors.contains(&name) {
            authors.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(text: &str) -> HeadingLine {
        HeadingLine { text: text.into(), level: None }
    }

    fn paragraph(text: &str) -> Element {
        Element::Paragraph { text: text.into(), isolated: false }
    }

    #[test]
    fn attaches_headlines_printed_after_the_body() {
        let articles = assemble(vec![
            paragraph("本报讯（记者 甲乙）第一篇正文。"),
            Element::Headings(vec![heading("第一篇标题")]),
            paragraph("本报讯（记者 丙丁）第二篇正文。"),
            Element::Headings(vec![heading("第二篇标题")]),
        ]);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_deref()).collect();
        assert_eq!(titles, [Some("第一篇标题"), Some("第二篇标题")]);
        assert_eq!(articles[1].authors, ["丙丁"]);
    }

    #[test]
    fn keeps_subheads_inside_an_undated_feature_on_a_headline_after_page() {
        let articles = assemble(vec![
            paragraph("本报讯（记者 甲乙）消息正文。"),
            Element::Headings(vec![heading("消息标题")]),
            paragraph("特写的导语部分。"),
            Element::Headings(vec![heading("第一个小标题")]),
            paragraph("特写的第二部分。"),
            Element::Headings(vec![heading("特写的大标题")]),
            Element::Byline(vec!["丙丁".into()]),
        ]);
        assert_eq!(articles.len(), 2);
        assert_eq!(articles[1].title.as_deref(), Some("特写的大标题"));
        assert_eq!(articles[1].sections, [Section { heading: "第一个小标题".into(), first_paragraph: 1 }]);
        assert_eq!(articles[1].authors, ["丙丁"]);
    }

    #[test]
    fn attaches_headlines_printed_before_the_body() {
        let articles = assemble(vec![
            Element::Headings(vec![heading("第一篇标题")]),
            paragraph("本报讯（记者 甲乙）第一篇正文。"),
            Element::Headings(vec![heading("第二篇标题")]),
            Element::Byline(vec!["丙丁".into()]),
            paragraph("第二篇正文。"),
        ]);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_deref()).collect();
        assert_eq!(titles, [Some("第一篇标题"), Some("第二篇标题")]);
        assert_eq!(articles[1].authors, ["丙丁"]);
    }

    #[test]
    fn joins_a_headline_split_around_the_body() {
        let articles = assemble(vec![
            Element::Headings(vec![heading("退役军人振兴乡村")]),
            paragraph("本报讯 招聘活动包括焊工、行政主管、"),
            Element::Headings(vec![heading("线上招聘全面启动")]),
            paragraph("机电工程师等岗位。"),
        ]);
        assert_eq!(articles.len(), 1);
        assert_eq!(articles[0].title.as_deref(), Some("退役军人振兴乡村 线上招聘全面启动"));
        assert_eq!(articles[0].paragraphs, ["本报讯招聘活动包括焊工、行政主管、机电工程师等岗位。"]);
    }
}

#[cfg(test)]
mod mode_tests {
    use super::*;

    #[test]
    fn a_page_opening_with_a_continued_story_still_prints_headlines_first() {
        let articles = assemble(vec![
            Element::Paragraph { text: "示范村，才能走出兴村富民之路。".into(), isolated: false },
            Element::Headings(vec![HeadingLine { text: "第二篇标题".into(), level: None }]),
            Element::Paragraph { text: "本报讯（记者 张三）第二篇正文。".into(), isolated: false },
            Element::Headings(vec![HeadingLine { text: "第三篇标题".into(), level: None }]),
            Element::Paragraph { text: "本报讯（记者 李四）第三篇正文。".into(), isolated: false },
        ]);
        let titles: Vec<_> = articles.iter().map(|a| a.title.as_deref()).collect();
        assert_eq!(titles, [None, Some("第二篇标题"), Some("第三篇标题")]);
    }
}

#[cfg(test)]
mod subhead_tests {
    use super::*;

    #[test]
    fn a_bold_line_between_paragraphs_is_a_subhead() {
        let articles = assemble(vec![
            Element::Headings(vec![HeadingLine { text: "特写标题".into(), level: None }]),
            Element::Paragraph { text: "第一段正文。".into(), isolated: false },
            Element::Label("一、小标题".into()),
            Element::Paragraph { text: "第二段正文。".into(), isolated: false },
        ]);
        assert_eq!(articles.len(), 1);
        assert_eq!(articles[0].sections, [Section { heading: "一、小标题".into(), first_paragraph: 1 }]);
        assert_eq!(articles[0].column, None);
    }
}

#[cfg(test)]
mod jump_tests {
    use super::*;

    #[test]
    fn a_continued_from_jump_opens_the_story_after_it() {
        let articles = assemble(vec![
            Element::Headings(vec![HeadingLine { text: "第一篇".into(), level: None }]),
            Element::Paragraph { text: "本报讯 第一篇正文。".into(), isolated: false },
            Element::Jump("（下转第2版）".into()),
            Element::Jump("（上接第1版）".into()),
            Element::Paragraph { text: "续篇正文。".into(), isolated: false },
        ]);
        assert_eq!(articles.len(), 2);
        assert_eq!(articles[0].jumps, ["（下转第2版）"]);
        assert_eq!(articles[1].jumps, ["（上接第1版）"]);
    }

    #[test]
    fn a_later_part_that_opens_with_a_dateline_keeps_its_jump() {
        // Two later parts on one page, neither repeating its headline; the
        // second restates its dateline.
        let articles = assemble(vec![
            Element::Jump("（上接第1版）".into()),
            Element::Paragraph { text: "世界议长大会由各国议会联盟主办。".into(), isolated: false },
            Element::Jump("（上接第1版）".into()),
            Element::Paragraph {
                text: "本报讯为庆祝江苏省国画院四十华诞，该院举办展览。".into(), isolated: false
            },
        ]);
        assert_eq!(articles.len(), 2, "{articles:?}");
        assert_eq!(articles[0].jumps, ["（上接第1版）"]);
        assert_eq!(articles[1].jumps, ["（上接第1版）"]);
    }
}
