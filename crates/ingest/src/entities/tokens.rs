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
/// with character offsets. A word jieba's dictionary does not hold gets `x`
/// (`eng` or `m` when it has ASCII letters or digits), whatever jieba's
/// guess: the name rules read `x` as "a word the HMM found".
pub fn tag(text: &str) -> Vec<Token<'_>> {
    JIEBA
        .tag(text, true)
        .into_iter()
        .map(|tagged| {
            let tag = if tagged.word.chars().any(|c| c.is_ascii_alphanumeric()) || JIEBA.has_word(tagged.word) {
                tagged.tag
            } else {
                "x"
            };
            Token { word: tagged.word, tag, start: tagged.start, end: tagged.end }
        })
        .collect()
}
