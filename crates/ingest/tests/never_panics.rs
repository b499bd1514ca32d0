//! Property tests: the decoder and the page parser accept any bytes and any
//! text without panicking, the decoder loses nothing of valid UTF-8 text, and
//! the parser loses no Han character of body lines.

use baokan_ingest::decode::decode_page;
use baokan_ingest::parse::parse_page;
use proptest::prelude::*;

/// Text made of the pieces pages are made of: Han, punctuation, markup,
/// datelines, credits, jump lines, spaces and line breaks.
fn page_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "本报讯",
        "（记者 王 志 敏）",
        "新华社北京2月3日电",
        "本报记者 李晓雯",
        "摄",
        "（下转第2版）",
        "（上接第1版）",
        "**",
        "# ",
        "## ",
        "——",
        "“",
        "”",
        "。",
        "，",
        "、",
        "\n",
        "\n\n",
        "\n\n\n",
        " ",
        "\u{3000}\u{3000}",
        "践行践行",
        "两山两山",
        "市 政 协",
        "5450.93 万 亩",
        "图为",
        "（梁涛）",
        "JZ",
        "DI YI",
        "太忻一体化",
        "万步有约",
        "政务之要",
        "记者 徐方伟",
        "①",
        "\r\n",
        "\t",
        "\u{feff}",
        "a",
        "1",
        "(",
        ")",
        "（",
        "）",
    ]);
    prop::collection::vec(pieces, 0..120).prop_map(|parts| parts.concat())
}

/// Any Unicode, weighted towards what pages hold: Han (BMP and beyond),
/// CJK punctuation, full-width forms, spaces and line breaks.
fn mixed_text() -> impl Strategy<Value = String> {
    let char = prop_oneof![
        3 => any::<char>(),
        3 => prop::char::range('\u{4e00}', '\u{9fff}'),
        1 => prop::char::range('\u{20000}', '\u{2a6df}'),
        2 => prop::sample::select(vec![
            '，', '。', '、', '“', '”', '（', '）', '\n', ' ', '\u{3000}', '—', '①', 'Ａ', 'a', '1', '\r', '\t', '#', '*',
        ]),
    ];
    prop::collection::vec(char, 0..400).prop_map(String::from_iter)
}

/// The characters of `text` a text file may hold (no control characters but
/// line breaks, tabs and form feeds; no byte-order mark in front).
fn text_file_characters(text: &str) -> String {
    let allowed = |c: &char| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{0c}');
    text.chars().filter(allowed).collect::<String>().trim_start_matches('\u{feff}').to_string()
}

/// Every Han character the parser kept, anywhere in its items.
fn kept_text(text: &str) -> String {
    parse_page(text)
        .articles
        .iter()
        .flat_map(|a| {
            a.paragraphs
                .iter()
                .cloned()
                .chain(
                    [a.kicker.clone(), a.title.clone(), a.subtitle.clone(), a.column.clone(), a.dateline.clone()]
                        .into_iter()
                        .flatten(),
                )
                .chain(a.jumps.iter().cloned())
                .chain(a.authors.iter().cloned())
                .chain(a.sections.iter().map(|s| s.heading.clone()))
        })
        .collect()
}

/// The first Han character of a body line (one with a comma or full stop:
/// never a heading or credit) that no parsed item kept, if any. Role words
/// (记者, 本报) and credit marks (摄) are not text to keep.
fn lost_body_character(text: &str) -> Option<char> {
    let kept = kept_text(text);
    let body: String = text.lines().filter(|line| line.contains('，') || line.contains('。')).collect();
    body.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .filter(|c| !"记者本报讯摄新华社电".contains(*c))
        .find(|c| !kept.contains(*c))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = decode_page(&bytes);
    }

    #[test]
    fn parsing_any_text_never_panics(text in any::<String>()) {
        let _ = parse_page(&text);
    }

    #[test]
    fn decoding_and_parsing_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..4000)) {
        if let Ok(decoded) = decode_page(&bytes) {
            let _ = parse_page(&decoded.text);
        }
        let _ = parse_page(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn valid_utf8_text_decodes_to_itself(text in mixed_text().prop_map(|text| text_file_characters(&text))) {
        prop_assume!(!text.trim().is_empty());
        let decoded = decode_page(text.as_bytes());
        prop_assert_eq!(decoded.map(|d| (d.text, d.encoding)), Ok((text.clone(), "UTF-8")));
    }

    #[test]
    fn parsing_mixed_unicode_keeps_the_han_characters_of_body_lines(text in mixed_text()) {
        let lost = lost_body_character(&text);
        prop_assert!(lost.is_none(), "{lost:?} from {text:?} is missing");
    }

    #[test]
    fn parsing_page_like_text_never_panics_and_keeps_han_characters(text in page_like()) {
        let lost = lost_body_character(&text);
        prop_assert!(lost.is_none(), "{lost:?} from {text:?} is missing");
    }
}

/// Regressions found by the property tests and the fuzzer: each input once, by name.
mod regressions {
    use super::*;

    /// A numbered-series heading (`…①`) over an item that a section header
    /// (`DI YI` / `本报讯`) also labels: both labels are kept.
    #[test]
    fn a_series_label_and_a_section_header_on_one_item_are_both_kept() {
        let page = parse_page("# 新华社北京2月3日电。①\n践行践行\n\nDI YI\n本报讯");
        let column = page.articles[0].column.as_deref().unwrap_or_default();
        assert!(column.contains("新华社北京2月3日电") && column.contains("本报讯"), "{column:?}");
    }

    /// A markdown headline directly over a bold column label (same text box,
    /// no body under them) keeps its text: the label does not swallow it.
    #[test]
    fn a_markdown_headline_over_a_bold_label_is_kept() {
        for page in ["# 。（记者 王 志 敏）\r\n**新华社北京2月3日电**", "# 标题（记者 王志敏）\n**专栏**\n正文。"]
        {
            assert_eq!(lost_body_character(page), None, "{page:?}");
            let kept = kept_text(page);
            assert!(kept.contains("王") && kept.contains("敏"), "{page:?} kept {kept:?}");
        }
        let page = parse_page("# 标题（记者 王志敏）\n**专栏**\n正文。");
        assert_eq!(page.articles[0].column.as_deref(), Some("专栏"));
        assert!(page.articles[0].title.as_deref().is_some_and(|t| t.starts_with("标题")), "{:?}", page.articles);
    }
}
