//! Property tests: the query parser and the analyzers accept any text
//! without panicking, and every token's offsets fall on character boundaries
//! of the original text.

use baokan_search::analyzer::{exact_tokens, gram_tokens, word_tokens};
use baokan_search::query::parse_query;
use proptest::prelude::*;

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
    fn token_offsets_fall_on_char_boundaries(text in any::<String>()) {
        for tokens in [gram_tokens(&text), word_tokens(&text), exact_tokens(&text)] {
            for token in tokens {
                prop_assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
                prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            }
        }
    }
}
