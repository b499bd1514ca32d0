//! AFL target: any text through the three tokenizers (grams, jieba words,
//! exact), which must not panic and must give offsets on character
//! boundaries of the original text.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        use baokan_search::analyzer::{exact_tokens, gram_tokens, word_tokens};
        for tokens in [gram_tokens(&text), word_tokens(&text), exact_tokens(&text)] {
            for token in tokens {
                assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
                assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            }
        }
    });
}
