//! The one jieba instance and part-of-speech tokens with character offsets.

use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Created on first use and shared by every thread (loading the dictionary
/// takes a few hundred milliseconds).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// A word jieba found, its part-of-speech tag and its span in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word as it appears in the text.
    pub word: &'a str,
    /// jieba's tag (`nr`, `ns`, `nt`, `n`, `v`, … and `x` for words found by the HMM).
    pub tag: &'a str,
    /// Index of the first character in the text.
    pub start: usize,
    /// Index one past the last character.
    pub end: usize,
}

impl Token<'_> {
    /// Returns the length in characters.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Returns true when the token has no characters.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Returns true when every character is a Han character.
    pub fn is_han(&self) -> bool {
        !self.word.is_empty() && self.word.chars().all(crate::text::is_han)
    }
}

/// Loads the jieba dictionary now rather than on the first text.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Returns true when jieba's dictionary holds `word` as an ordinary word
/// (any tag but a person name's).
pub fn is_common_word(word: &str) -> bool {
    if !JIEBA.has_word(word) {
        return false;
    }
    let tagged = JIEBA.tag(word, false);
    !matches!(tagged.as_slice(), [only] if only.word == word && matches!(only.tag, "nr" | "nrfg" | "nrt"))
}

/// Tags `text` with jieba (HMM on for unknown words) and returns the tokens
/// with character offsets.
pub fn tag(text: &str) -> Vec<Token<'_>> {
    let base = text.as_ptr() as usize;
    let mut byte_position = 0;
    let mut char_position = 0;
    let mut tokens = Vec::new();
    for tagged in JIEBA.tag(text, true) {
        // Words are slices of `text`; their byte offset is where they start.
        let byte_start = (tagged.word.as_ptr() as usize).saturating_sub(base);
        if byte_start > byte_position {
            char_position += text.get(byte_position..byte_start).map_or(0, |gap| gap.chars().count());
        }
        let length = tagged.word.chars().count();
        tokens.push(Token { word: tagged.word, tag: tagged.tag, start: char_position, end: char_position + length });
        char_position += length;
        byte_position = byte_start + tagged.word.len();
    }
    tokens
}
