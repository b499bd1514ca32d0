//! Property tests: the query parser and the analyzers accept any text (and
//! any bytes read as text) without panicking; errors point inside the query;
//! words and phrases are taken from the query verbatim; every token's offsets
//! fall on character boundaries of the original text, and no letter, digit
//! or Han character is left out of the tokens.

use baokan_search::analyzer::{exact_tokens, gram_tokens, normalize_char, word_tokens};
use baokan_search::query::{parse_query, QueryNode};
use proptest::prelude::*;

/// Any Unicode, weighted towards Han (BMP and beyond), CJK punctuation,
/// full-width forms and query syntax.
fn mixed_text() -> impl Strategy<Value = String> {
    let char = prop_oneof![
        3 => any::<char>(),
        3 => prop::char::range('\u{4e00}', '\u{9fff}'),
        1 => prop::char::range('\u{20000}', '\u{2a6df}'),
        2 => prop::sample::select(vec![
            '，', '。', '“', '”', '"', '（', '）', '(', ')', '-', ':', '：', ' ', '\u{3000}', 'Ａ', 'a', '1', '醫', '\n',
        ]),
    ];
    prop::collection::vec(char, 0..200).prop_map(String::from_iter)
}

/// The terms of a parsed query, in order.
fn terms(node: &QueryNode, found: &mut Vec<(String, usize)>) {
    match node {
        QueryNode::Term { text, position, .. } => found.push((text.clone(), *position)),
        QueryNode::And(nodes) | QueryNode::Or(nodes) => nodes.iter().for_each(|n| terms(n, found)),
        QueryNode::Not(node) => terms(node, found),
    }
}

/// Byte ranges the tokens cover.
fn covered(tokens: &[tantivy::tokenizer::Token]) -> Vec<(usize, usize)> {
    tokens.iter().map(|t| (t.offset_from, t.offset_to)).collect()
}

fn query_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "万步有约",
        "两山",
        "\"",
        "“",
        "”",
        "(",
        ")",
        "（",
        "）",
        "-",
        "- ",
        "*",
        "'",
        "\n",
        " ",
        "OR",
        "AND",
        "title:",
        "author:",
        "paper:",
        "body:",
        ":",
        "：",
        "杨文",
        "cnnic",
        "ＣＮＮＩＣ",
        "醫保",
        "\u{0}",
        "\u{3000}",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn parsing_any_query_never_panics(query in any::<String>()) {
        let _ = parse_query(&query);
    }

    #[test]
    fn parsing_query_like_text_never_panics(query in query_like()) {
        let _ = parse_query(&query);
    }

    #[test]
    fn parsing_any_bytes_as_a_query_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_query(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn errors_point_inside_the_query_and_terms_come_from_it(query in prop_oneof![mixed_text(), query_like()]) {
        let chars: Vec<char> = query.chars().collect();
        match parse_query(&query) {
            Err(error) => prop_assert!(error.position <= chars.len(), "{error} for {query:?}"),
            Ok(node) => {
                let mut found = Vec::new();
                terms(&node, &mut found);
                for (text, position) in found {
                    let at: String = chars[position.min(chars.len())..].iter().collect();
                    let quoted: String = chars[(position + 1).min(chars.len())..].iter().collect();
                    prop_assert!(at.starts_with(&text) || quoted.starts_with(&text), "{text:?} at {position} in {query:?}");
                }
            }
        }
    }

    #[test]
    fn plain_words_are_all_kept(words in prop::collection::vec("[\\p{Han}a-z0-9]{1,6}", 1..12)) {
        let words: Vec<String> = words.into_iter().filter(|w| w != "AND" && w != "OR").collect();
        prop_assume!(!words.is_empty());
        let node = parse_query(&words.join(" ")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut found = Vec::new();
        terms(&node, &mut found);
        let texts: Vec<String> = found.into_iter().map(|(text, _)| text).collect();
        prop_assert_eq!(texts, words);
    }

    #[test]
    fn tokens_leave_out_no_letter_digit_or_han_character(text in mixed_text()) {
        let grams = covered(&gram_tokens(&text));
        let words = covered(&word_tokens(&text));
        for (offset, c) in text.char_indices() {
            if !normalize_char(c).is_alphanumeric() {
                continue;
            }
            let inside = |ranges: &[(usize, usize)]| ranges.iter().any(|&(from, to)| from <= offset && offset < to);
            prop_assert!(inside(&grams), "{c:?} at {offset} of {text:?} has no gram token");
            prop_assert!(inside(&words), "{c:?} at {offset} of {text:?} has no word token");
        }
    }

    #[test]
    fn token_offsets_fall_on_char_boundaries(text in prop_oneof![any::<String>(), mixed_text()]) {
        for tokens in [gram_tokens(&text), word_tokens(&text), exact_tokens(&text)] {
            for token in tokens {
                prop_assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
                prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            }
        }
    }
}
