//! The one jieba instance and part-of-speech tokens with character offsets.
//!
//! Tagging segments with jieba (`cut`, HMM on) and takes a dictionary
//! word's tag from a per-thread table of the tags jieba's dictionary gives
//! (each word's tag read once, by tagging the word alone). jieba's own
//! `tag` also guesses a part of speech for every word its HMM found, with
//! a second, 250-state HMM, a guess the name rules never see (such words
//! are tagged `x`): that guess was 5 % of the ingest's CPU.

use std::cell::RefCell;
use std::sync::{LazyLock, Mutex, PoisonError};

use jieba_rs::Jieba;
use rustc_hash::{FxHashMap, FxHashSet};

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
    JIEBA.has_word(word) && !matches!(tag_alone(word), Some("nr" | "nrfg" | "nrt"))
}

/// jieba's tag of `word` tagged on its own, when jieba keeps it whole
/// (a dictionary word whose parts are likelier is split: `None`).
fn tag_alone(word: &str) -> Option<&str> {
    match JIEBA.tag(word, false).as_slice() {
        [only] if only.word == word => Some(only.tag),
        _ => None,
    }
}

/// Tags `text` with jieba (HMM on for unknown words) and returns the tokens
/// with character offsets. A word jieba's dictionary does not hold gets `x`
/// (`eng` or `m` when it has ASCII letters or digits), whatever jieba's
/// guess: the name rules read `x` as "a word the HMM found". The same
/// tokens and tags as `Jieba::tag` (see [`jieba_tagged`]), without its
/// guesses for words outside the dictionary.
pub fn tag(text: &str) -> Vec<Token<'_>> {
    let words = JIEBA.cut(text, true);
    let mut tokens = Vec::with_capacity(words.len());
    for word in words {
        let tag = match dictionary_tag(word.word) {
            DictionaryTag::Known(tag) => tag,
            DictionaryTag::Absent => guessed_tag(word.word),
            // A dictionary word that jieba splits when tagged alone: the
            // text is tagged by jieba itself, which gives the word its tag.
            DictionaryTag::Unknown => return tagged_learning_tags(text),
        };
        tokens.push(Token { word: word.word, tag, start: word.start, end: word.end });
    }
    tokens
}

/// [`jieba_tagged`], keeping the tags it gives to dictionary words whose
/// tags were [`DictionaryTag::Unknown`] (a dictionary word's tag is the
/// same wherever it stands), so that their next texts are tagged by
/// [`tag`] again.
fn tagged_learning_tags(text: &str) -> Vec<Token<'_>> {
    let tokens = jieba_tagged(text);
    DICTIONARY_TAGS.with(|tags| {
        let mut tags = tags.borrow_mut();
        for token in &tokens {
            if let Some(known @ DictionaryTag::Unknown) = tags.get_mut(token.word) {
                *known = DictionaryTag::Known(interned(token.tag));
            }
        }
    });
    tokens
}

/// `Jieba::tag` with every word outside the dictionary tagged as [`tag`]
/// tags it.
fn jieba_tagged(text: &str) -> Vec<Token<'_>> {
    JIEBA
        .tag(text, true)
        .into_iter()
        .map(|tagged| {
            let tag = if JIEBA.has_word(tagged.word) { tagged.tag } else { guessed_tag(tagged.word) };
            Token { word: tagged.word, tag, start: tagged.start, end: tagged.end }
        })
        .collect()
}

/// The tag of a word outside the dictionary: `m` for digits, `eng` for
/// other ASCII letters and digits (as jieba guesses them), else `x`.
fn guessed_tag(word: &str) -> &'static str {
    let (mut alphanumeric, mut digits) = (0usize, 0usize);
    for c in word.chars().filter(char::is_ascii_alphanumeric) {
        alphanumeric += 1;
        digits += usize::from(c.is_ascii_digit());
    }
    match alphanumeric {
        0 => "x",
        _ if alphanumeric == digits => "m",
        _ => "eng",
    }
}

/// What jieba's dictionary says of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DictionaryTag {
    /// Its tag.
    Known(&'static str),
    /// The dictionary does not hold it.
    Absent,
    /// The dictionary holds it, but tagged alone jieba splits it (until a
    /// text tagged by jieba gives its tag).
    Unknown,
}

thread_local! {
    /// Dictionary words met on this thread and their tags (words outside
    /// the dictionary, such as names, are not kept). At a million articles
    /// a page thread's table holds about 9 MB (`baokan-ingest`'s peak RSS
    /// rose from 277 to 344 MiB with its 8 page threads).
    static DICTIONARY_TAGS: RefCell<FxHashMap<Box<str>, DictionaryTag>> = RefCell::new(FxHashMap::default());
}

/// The dictionary's tag of `word`, read once per thread.
fn dictionary_tag(word: &str) -> DictionaryTag {
    DICTIONARY_TAGS.with(|tags| {
        if let Some(known) = tags.borrow().get(word) {
            return *known;
        }
        if !JIEBA.has_word(word) {
            return DictionaryTag::Absent;
        }
        let found = tag_alone(word).map_or(DictionaryTag::Unknown, |tag| DictionaryTag::Known(interned(tag)));
        tags.borrow_mut().insert(word.into(), found);
        found
    })
}

/// Every part-of-speech tag met, kept for the life of the process (jieba's
/// dictionary uses a few dozen).
static TAG_NAMES: LazyLock<Mutex<FxHashSet<&'static str>>> = LazyLock::new(|| Mutex::new(FxHashSet::default()));

/// `tag` as a string that lives as long as the process.
fn interned(tag: &str) -> &'static str {
    // A panic elsewhere while holding the lock leaves the set whole.
    let mut names = TAG_NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    match names.get(tag) {
        Some(name) => name,
        None => {
            let name: &'static str = Box::leak(tag.into());
            names.insert(name);
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jieba's own tagging, with every word outside the dictionary tagged
    /// `x` (`eng` / `m` for ASCII), as the ingest tagged before.
    fn reference(text: &str) -> Vec<Token<'_>> {
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

    #[test]
    fn tags_are_jiebas_with_words_outside_the_dictionary_as_x() {
        let mut texts: Vec<String> = vec![
            "省委书记楼阳生来到太原市迎泽区，与李京益、王晓华一同植树。".into(),
            "中国人民银行太原中心支行发布2023年第1季度报告，GDP增长5.2%，iPhone 15销量。".into(),
            "践行践行““两山两山””理念 市 政 协 召 开 会 议 （下转第2版）".into(),
            "新华社北京4月8日电（记者 张三）COVID-19 疫情 A2版 3D打印 5G网络 abc123".into(),
            String::new(),
        ];
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds");
        for entry in std::fs::read_dir(&seeds).expect("the seed pages") {
            let path = entry.expect("a seed page").path();
            if let Ok(text) = std::fs::read_to_string(&path) {
                texts.extend(text.lines().map(str::to_owned));
            }
        }
        assert!(texts.len() > 100, "seed lines read: {}", texts.len());
        for text in &texts {
            assert_eq!(tag(text), reference(text), "{text}");
            // Again, with this thread's table filled.
            assert_eq!(tag(text), reference(text), "{text}");
        }
        // The seeds hold dictionary words that jieba splits when tagged
        // alone: their tags were learned from their texts.
        let learned: Vec<(String, &str)> = DICTIONARY_TAGS.with(|tags| {
            tags.borrow()
                .iter()
                .filter_map(|(word, known)| match known {
                    DictionaryTag::Known(tag) if !matches!(JIEBA.tag(word, false).as_slice(), [only] if only.word == &**word) => {
                        Some((word.to_string(), *tag))
                    }
                    _ => None,
                })
                .collect()
        });
        assert!(!learned.is_empty(), "no dictionary word of the seeds splits when tagged alone");
    }

    #[test]
    fn words_outside_the_dictionary_are_guessed_from_their_characters() {
        assert_eq!(guessed_tag("2023"), "m");
        assert_eq!(guessed_tag("iPhone15"), "eng");
        assert_eq!(guessed_tag("吕蝠存"), "x");
        assert_eq!(guessed_tag("，"), "x");
        assert_eq!(dictionary_tag("吕蝠存"), DictionaryTag::Absent);
        assert_eq!(dictionary_tag("中国"), DictionaryTag::Known("ns"));
    }
}
