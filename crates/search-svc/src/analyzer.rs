//! Chinese text analysis for the index and for queries.
//!
//! Text is first normalised char by char (full-width to half-width, Latin
//! lower-cased, traditional Han characters to simplified), so byte offsets
//! still point into the original text. Three tokenizers run on it:
//! - `baokan_grams`: overlapping Han bigrams (a Han character with no Han
//!   character after it also emits itself) and whole Latin/digit words, with
//!   consecutive positions; punctuation and spaces are skipped without breaking
//!   adjacency. Phrase queries on it find any verbatim run of two or more
//!   characters, whatever jieba makes of it (recall).
//! - `baokan_words`: jieba search-mode words (ranking); positions not used.
//! - `baokan_exact`: the whole normalised value as one token (author and
//!   paper names, matched exactly).

use std::sync::{LazyLock, RwLock};

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Version of the analysis chain; an index built with another is rebuilt.
pub const ANALYSIS_VERSION: u32 = 3;

/// Name under which the bigram tokenizer is registered.
pub const GRAMS: &str = "baokan_grams";
/// Name under which the jieba tokenizer is registered.
pub const WORDS: &str = "baokan_words";
/// Name under which the exact-value tokenizer is registered.
pub const EXACT: &str = "baokan_exact";
/// Name under which the tokenizer of space-separated gram lists (the
/// `heading_only_grams` field, see [`heading_only_grams`]) is registered.
pub const GRAM_LIST: &str = "baokan_gram_list";

/// First and last code point of the traditional-to-simplified table.
const HAN_TABLE_START: u32 = 0x3400;
const HAN_TABLE_END: u32 = 0xA000;

/// Simplified form of every Han character in the basic blocks, built once
/// from simplet2s's character table (one character to one character, so
/// offsets are unchanged).
static SIMPLIFIED: LazyLock<Vec<char>> = LazyLock::new(|| {
    (HAN_TABLE_START..HAN_TABLE_END)
        .map(|code| {
            let Some(c) = char::from_u32(code) else { return '\0' };
            let converted = simplet2s::convert(c.encode_utf8(&mut [0; 4]));
            let mut chars = converted.chars();
            match (chars.next(), chars.next()) {
                (Some(simplified), None) => simplified,
                _ => c,
            }
        })
        .collect()
});

/// jieba with its built-in dictionary plus the words learned from the
/// archive (see `dictionary.rs`); learning takes the write lock briefly.
static JIEBA: LazyLock<RwLock<Jieba>> = LazyLock::new(|| RwLock::new(Jieba::new()));

/// Loads the jieba dictionary now rather than on the first document.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&SIMPLIFIED);
}

/// Adds words (person names) to jieba's dictionary so they segment as one
/// word from now on; returns the words that were new to it. Words are
/// normalised as text is, and words of fewer than two characters are skipped.
pub fn learn_words(words: &[String]) -> Vec<String> {
    let mut learned = Vec::new();
    let Ok(mut jieba) = JIEBA.write() else { return learned };
    for word in words {
        let normalized: String = word.chars().filter(|c| !c.is_whitespace()).map(normalize_char).collect();
        if normalized.chars().count() < 2 || jieba.has_word(&normalized) {
            continue;
        }
        jieba.add_word(&normalized, None, Some("nr"));
        learned.push(normalized);
    }
    if !learned.is_empty() {
        DICTIONARY_VERSION.fetch_add(1, std::sync::atomic::Ordering::Release);
    }
    learned
}

/// Rises each time [`learn_words`] teaches a word.
static DICTIONARY_VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The version of the taught words: queries may segment differently once
/// it has changed.
pub fn dictionary_version() -> u64 {
    DICTIONARY_VERSION.load(std::sync::atomic::Ordering::Acquire)
}

/// Normalises one character: full-width ASCII to half-width, ideographic
/// space to space, Latin to lower case, traditional Han to simplified.
pub fn normalize_char(c: char) -> char {
    let code = u32::from(c);
    if (HAN_TABLE_START..HAN_TABLE_END).contains(&code) {
        return SIMPLIFIED.get((code - HAN_TABLE_START) as usize).copied().unwrap_or(c);
    }
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(code - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Returns true for characters indexed one by one (Han ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// What a unit of the gram stream is: a Han character, or a Latin/digit
/// word (its normalised text kept beside).
#[derive(Debug, Clone, Copy)]
enum UnitKind {
    Han(char),
    Word,
}

/// A unit with its byte range in the original text.
#[derive(Debug, Clone, Copy)]
struct Unit {
    kind: UnitKind,
    from: usize,
    to: usize,
}

/// One gram of [`walk_grams`]: two Han characters, a Han character with no
/// Han character after it, or a Latin/digit word (normalised).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gram<'a> {
    Pair(char, char),
    Single(char),
    Word(&'a str),
}

impl<'a> Gram<'a> {
    /// The gram's text: a word's own, a Han gram's written into `buffer`.
    pub fn text<'s>(self, buffer: &'s mut String) -> &'s str
    where
        'a: 's,
    {
        match self {
            Gram::Pair(first, second) => {
                buffer.clear();
                buffer.push(first);
                buffer.push(second);
                buffer
            }
            Gram::Single(single) => {
                buffer.clear();
                buffer.push(single);
                buffer
            }
            Gram::Word(word) => word,
        }
    }
}

/// Whether a normalised character that is not Han belongs to a Latin/digit
/// word: `char::is_alphanumeric`, answered without its Unicode tables for
/// the punctuation of Chinese text (`“”…—` and `。、「」《》`), which
/// otherwise costs a table search per mark.
fn is_word_char(c: char) -> bool {
    match c {
        '\u{2000}'..='\u{206F}' | '\u{3000}'..='\u{3004}' | '\u{3008}'..='\u{3020}' | '\u{3030}' => false,
        c => c.is_alphanumeric(),
    }
}

/// `char::is_alphanumeric`, answered at once for the two blocks of Han
/// characters every jieba word of Chinese text is made of (all of their
/// code points are letters) and for Chinese punctuation ([`is_word_char`]).
fn is_letter_or_digit(c: char) -> bool {
    match c {
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' => true,
        c => is_word_char(c),
    }
}

/// Walks the gram tokens of a text (see module docs) in order, calling
/// `emit(offset_from, offset_to, gram)` once per token; token `i` has
/// position `i`. Nothing is allocated per token: this is the one definition
/// of the grams, used by the tokenizer (through [`for_each_gram`]) and by
/// the highlighter, which walks every hit's text and compares Han grams as
/// characters. Han characters are tested first (a range check) so they
/// never reach the slower Unicode `is_alphanumeric` lookup.
pub fn walk_grams(text: &str, mut emit: impl FnMut(usize, usize, Gram<'_>)) {
    let mut previous: Option<Unit> = None;
    let mut previous_word = String::new();
    let mut word = String::new();
    let mut word_span: Option<(usize, usize)> = None;
    // Emits the previous unit's token now that the unit after it is known.
    let mut arrive =
        |unit: Option<Unit>, word: &mut String, previous: &mut Option<Unit>, previous_word: &mut String| {
            if let Some(done) = previous.take() {
                match (done.kind, unit.map(|u| u.kind)) {
                    (UnitKind::Han(first), Some(UnitKind::Han(second))) => {
                        let to = unit.map_or(done.to, |u| u.to);
                        emit(done.from, to, Gram::Pair(first, second));
                    }
                    (UnitKind::Han(single), _) => emit(done.from, done.to, Gram::Single(single)),
                    (UnitKind::Word, _) => emit(done.from, done.to, Gram::Word(previous_word)),
                }
            }
            if let Some(unit) = unit {
                if matches!(unit.kind, UnitKind::Word) {
                    std::mem::swap(previous_word, word);
                }
                *previous = Some(unit);
            }
        };
    for (offset, original) in text.char_indices() {
        let c = normalize_char(original);
        let end = offset + original.len_utf8();
        let han = is_han(c);
        if !han && is_word_char(c) {
            match word_span.as_mut() {
                Some((_, to)) => *to = end,
                None => {
                    word.clear();
                    word_span = Some((offset, end));
                }
            }
            word.push(c);
            continue;
        }
        if let Some((from, to)) = word_span.take() {
            arrive(Some(Unit { kind: UnitKind::Word, from, to }), &mut word, &mut previous, &mut previous_word);
        }
        if han {
            arrive(
                Some(Unit { kind: UnitKind::Han(c), from: offset, to: end }),
                &mut word,
                &mut previous,
                &mut previous_word,
            );
        }
    }
    if let Some((from, to)) = word_span.take() {
        arrive(Some(Unit { kind: UnitKind::Word, from, to }), &mut word, &mut previous, &mut previous_word);
    }
    arrive(None, &mut word, &mut previous, &mut previous_word);
}

/// Walks the gram tokens of a text as [`walk_grams`] does, with each
/// token's text (`emit(offset_from, offset_to, text)`).
pub fn for_each_gram(text: &str, mut emit: impl FnMut(usize, usize, &str)) {
    let mut pair = String::with_capacity(8);
    walk_grams(text, |from, to, gram| emit(from, to, gram.text(&mut pair)));
}

/// Produces the gram tokens of a text (see module docs).
pub fn gram_tokens(text: &str) -> Vec<Token> {
    TokenBuffer::filled(fill_grams, text).into_tokens()
}

/// Produces jieba word tokens (search mode) of a text, normalised.
pub fn word_tokens(text: &str) -> Vec<Token> {
    TokenBuffer::filled(fill_words, text).into_tokens()
}

/// Walks the jieba words (search mode) of a text, normalised, calling
/// `emit(offset_from, offset_to, word)` for each word holding a letter or
/// digit; word `i` has position `i`.
pub fn for_each_word(text: &str, mut emit: impl FnMut(usize, usize, &str)) {
    let mut normalized = String::with_capacity(text.len());
    let mut char_offsets = Vec::with_capacity(text.len() / 3 + 1);
    for (offset, c) in text.char_indices() {
        normalized.push(normalize_char(c));
        char_offsets.push(offset);
    }
    char_offsets.push(text.len());
    let Ok(jieba) = JIEBA.read() else { return };
    for word in jieba.tokenize(&normalized, TokenizeMode::Search, true) {
        if !word.word.chars().any(is_letter_or_digit) {
            continue;
        }
        let (Some(&from), Some(&to)) = (char_offsets.get(word.start), char_offsets.get(word.end)) else {
            continue;
        };
        emit(from, to, word.word);
    }
}

/// Normalises a whole value for exact matching (names): each character
/// normalised, surrounding spaces removed.
pub fn normalize_exact(text: &str) -> String {
    text.trim().chars().map(normalize_char).collect()
}

/// Tokens of one text, held compactly: every token's text in one string.
#[derive(Debug, Clone, Default)]
pub struct TokenBuffer {
    texts: String,
    spans: Vec<TokenSpan>,
}

/// Where one token of a [`TokenBuffer`] came from, and where its text is.
#[derive(Debug, Clone, Copy)]
struct TokenSpan {
    offset_from: usize,
    offset_to: usize,
    text_from: usize,
    text_to: usize,
}

impl TokenBuffer {
    /// Appends a token (positions follow the order of pushes).
    pub fn push(&mut self, offset_from: usize, offset_to: usize, text: &str) {
        let text_from = self.texts.len();
        self.texts.push_str(text);
        self.spans.push(TokenSpan { offset_from, offset_to, text_from, text_to: self.texts.len() });
    }

    fn clear(&mut self) {
        self.texts.clear();
        self.spans.clear();
    }

    fn filled(fill: fn(&str, &mut TokenBuffer), text: &str) -> TokenBuffer {
        let mut buffer = TokenBuffer::default();
        fill(text, &mut buffer);
        buffer
    }

    /// The token at `position`, written into `token` (its text reused).
    fn write(&self, position: usize, token: &mut Token) -> bool {
        let Some(span) = self.spans.get(position) else { return false };
        token.text.clear();
        token.text.push_str(self.texts.get(span.text_from..span.text_to).unwrap_or_default());
        token.offset_from = span.offset_from;
        token.offset_to = span.offset_to;
        token.position = position;
        token.position_length = 1;
        true
    }

    /// The tokens as a list (queries and tests; indexing streams them).
    fn into_tokens(self) -> Vec<Token> {
        (0..self.spans.len())
            .map(|position| {
                let mut token = Token::default();
                self.write(position, &mut token);
                token
            })
            .collect()
    }
}

/// Fills a buffer with the gram tokens of a text (see [`for_each_gram`]).
pub fn fill_grams(text: &str, buffer: &mut TokenBuffer) {
    for_each_gram(text, |from, to, gram| buffer.push(from, to, gram));
}

/// Fills a buffer with the jieba word tokens of a text (see [`for_each_word`]).
pub fn fill_words(text: &str, buffer: &mut TokenBuffer) {
    for_each_word(text, |from, to, word| buffer.push(from, to, word));
}

/// Fills a buffer with the exact token of a value (see [`exact_tokens`]).
pub fn fill_exact(text: &str, buffer: &mut TokenBuffer) {
    let value = normalize_exact(text);
    if !value.is_empty() {
        buffer.push(0, text.len(), &value);
    }
}

/// The gram tokens of `heading` that are not gram tokens of `body`, each
/// once, separated by spaces (a gram holds no space): what the field of
/// headline-only grams indexes, so that a word's articles "in headline or
/// body" are its body list plus this disjoint one.
pub fn heading_only_grams(heading: &str, body: &str) -> String {
    let mut grams: Vec<(u64, String, bool)> = Vec::new();
    let mut filter = GramFilter::default();
    for_each_gram(heading, |_, _, gram| {
        if !grams.iter().any(|(_, known, _)| known == gram) {
            let key = gram_key(gram);
            filter.insert(key);
            grams.push((key, gram.to_string(), false));
        }
    });
    let mut left = grams.len();
    // A body has hundreds of grams and a headline a few dozen: most body
    // grams are turned away by the bit filter, the rest compare 8-byte keys
    // before the text.
    for_each_gram(body, |_, _, gram| {
        if left == 0 {
            return;
        }
        let key = gram_key(gram);
        if !filter.may_hold(key) {
            return;
        }
        if let Some((_, _, in_body)) =
            grams.iter_mut().find(|(known_key, known, in_body)| !*in_body && *known_key == key && known == gram)
        {
            *in_body = true;
            left -= 1;
        }
    });
    let only: Vec<&str> = grams.iter().filter(|(_, _, in_body)| !in_body).map(|(_, gram, _)| gram.as_str()).collect();
    only.join(" ")
}

/// A 1,024-bit filter of gram keys: no false "absent", few false "present"
/// for a headline's few dozen grams.
#[derive(Default)]
struct GramFilter([u64; 16]);

impl GramFilter {
    /// The word and bit of a key (Fibonacci hashing to 10 bits).
    fn slot(key: u64) -> (usize, u64) {
        let bit = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54;
        ((bit >> 6) as usize, 1 << (bit & 63))
    }

    fn insert(&mut self, key: u64) {
        let (word, bit) = Self::slot(key);
        self.0[word] |= bit;
    }

    fn may_hold(&self, key: u64) -> bool {
        let (word, bit) = Self::slot(key);
        self.0[word] & bit != 0
    }
}

/// A gram's first eight bytes (zero-padded) as a number, to compare quickly.
fn gram_key(gram: &str) -> u64 {
    let mut key = [0u8; 8];
    let length = gram.len().min(8);
    key[..length].copy_from_slice(&gram.as_bytes()[..length]);
    u64::from_le_bytes(key)
}

/// Fills `buffer` with the space-separated tokens of a gram list.
fn fill_gram_list(text: &str, buffer: &mut TokenBuffer) {
    let mut offset = 0;
    for gram in text.split(' ') {
        if !gram.is_empty() {
            buffer.push(offset, offset + gram.len(), gram);
        }
        offset += gram.len() + 1;
    }
}

/// Tokens of an exact value: the whole normalised value as one token.
pub fn exact_tokens(text: &str) -> Vec<Token> {
    TokenBuffer::filled(fill_exact, text).into_tokens()
}

/// A tantivy tokenizer running one of the fill functions above. It keeps
/// its buffer and its one token between texts (tantivy keeps a tokenizer per
/// indexing thread), so indexing allocates nothing per token: about 1.6
/// tokens per Han character are indexed, and a `String` each cost a tenth
/// of a build in `malloc` and `free`.
#[derive(Clone)]
pub struct BufferTokenizer {
    fill: fn(&str, &mut TokenBuffer),
    buffer: TokenBuffer,
    token: Token,
}

impl BufferTokenizer {
    pub fn new(fill: fn(&str, &mut TokenBuffer)) -> Self {
        BufferTokenizer { fill, buffer: TokenBuffer::default(), token: Token::default() }
    }
}

impl Tokenizer for BufferTokenizer {
    type TokenStream<'a> = BufferTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufferTokenStream<'a> {
        self.buffer.clear();
        (self.fill)(text, &mut self.buffer);
        BufferTokenStream { buffer: &self.buffer, token: &mut self.token, next: 0 }
    }
}

/// The tokens of a [`TokenBuffer`], one at a time in one reused [`Token`].
pub struct BufferTokenStream<'a> {
    buffer: &'a TokenBuffer,
    token: &'a mut Token,
    next: usize,
}

impl TokenStream for BufferTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let advanced = self.buffer.write(self.next, self.token);
        self.next += usize::from(advanced);
        advanced
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Registers the tokenizers on an index.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(GRAMS, BufferTokenizer::new(fill_grams));
    index.tokenizers().register(WORDS, BufferTokenizer::new(fill_words));
    index.tokenizers().register(EXACT, BufferTokenizer::new(fill_exact));
    index.tokenizers().register(GRAM_LIST, BufferTokenizer::new(fill_gram_list));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_characters_are_the_alphanumeric_ones() {
        let differ: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|c| !is_han(*c) && is_word_char(*c) != c.is_alphanumeric())
            .collect();
        assert!(differ.is_empty(), "{differ:?}");
        let differ: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|c| is_letter_or_digit(*c) != c.is_alphanumeric())
            .collect();
        assert!(differ.is_empty(), "{differ:?}");
    }

    #[test]
    fn walked_grams_are_han_pairs_singles_and_words() {
        let mut walked = Vec::new();
        walk_grams("经濟，G20发展", |from, to, gram| walked.push((from, to, format!("{gram:?}"))));
        let expected = [
            (0, 6, "Pair('经', '济')"),
            (3, 6, "Single('济')"),
            (9, 12, "Word(\"g20\")"),
            (12, 18, "Pair('发', '展')"),
            (15, 18, "Single('展')"),
        ];
        let expected: Vec<(usize, usize, String)> =
            expected.iter().map(|(from, to, gram)| (*from, *to, gram.to_string())).collect();
        assert_eq!(walked, expected);
        let mut buffer = String::new();
        assert_eq!(Gram::Pair('经', '济').text(&mut buffer), "经济");
        assert_eq!(Gram::Word("g20").text(&mut buffer), "g20");
    }

    #[test]
    fn headline_only_grams_are_the_headline_grams_the_body_lacks() {
        // 经济发展新闻 has 经济 济发 发展 展新 新闻 闻; the body has 发展 展经 经济 济.
        assert_eq!(heading_only_grams("经济发展新闻", "发展经济"), "济发 展新 新闻 闻");
        // As the analyser sees them: normalised, across punctuation, Latin words whole.
        assert_eq!(heading_only_grams("ＧＤＰ增長", "gdp，增长了"), "长");
        assert_eq!(heading_only_grams("G20峰会", "g2 峰会"), "g20");
        assert_eq!(heading_only_grams("", "正文"), "");
        assert_eq!(heading_only_grams("标题", ""), "标题 题");
        let mut buffer = TokenBuffer::default();
        fill_gram_list("济发 展新 g20", &mut buffer);
        assert_eq!(texts(&buffer.into_tokens()), ["济发", "展新", "g20"]);
    }

    #[test]
    fn headline_only_grams_agree_with_a_plain_set_difference() {
        // Long bodies and headlines of mixed script: the bit filter must never
        // hide a headline gram that the body holds.
        let alphabet: Vec<char> = "经济发展改革人民教育文化市场农村技术创新合作，。 abcG2０１".chars().collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |length: usize| -> String {
            (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect()
        };
        for round in 0..300 {
            let heading = next(5 + round % 40);
            let body = next(round * 3 % 400);
            let body_grams: std::collections::HashSet<String> =
                gram_tokens(&body).into_iter().map(|token| token.text).collect();
            let mut expected: Vec<String> = Vec::new();
            for token in gram_tokens(&heading) {
                if !body_grams.contains(&token.text) && !expected.contains(&token.text) {
                    expected.push(token.text);
                }
            }
            assert_eq!(heading_only_grams(&heading, &body), expected.join(" "), "{heading:?} / {body:?}");
        }
    }

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn grams_skip_punctuation_without_breaking_adjacency() {
        let tokens = gram_tokens("“两山”理论");
        assert_eq!(texts(&tokens), ["两山", "山理", "理论", "论"]);
        assert_eq!(tokens.iter().map(|t| t.position).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(&"“两山”理论"[tokens[0].offset_from..tokens[0].offset_to], "两山");
    }

    #[test]
    fn grams_normalise_width_and_case() {
        assert_eq!(texts(&gram_tokens("ＣＮＮＩＣ发布")), ["cnnic", "发布", "布"]);
        assert_eq!(texts(&gram_tokens("G20峰会")), ["g20", "峰会", "会"]);
    }

    #[test]
    fn traditional_and_simplified_match() {
        assert_eq!(texts(&gram_tokens("醫保局")), texts(&gram_tokens("医保局")));
        assert_eq!(normalize_exact("楊文"), "杨文");
        let tokens = gram_tokens("臺灣");
        assert_eq!(&"臺灣"[tokens[0].offset_from..tokens[0].offset_to], "臺灣");
    }

    #[test]
    fn words_keep_offsets_into_the_original() {
        let text = "万步有约健走激励大赛";
        let tokens = word_tokens(text);
        assert!(tokens.iter().all(|t| text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to)));
        assert!(texts(&tokens).contains(&"大赛"));
    }

    /// The gram rules written the plain way (a unit list, then one token per
    /// unit), to check the streaming walk against.
    fn reference_grams(text: &str) -> Vec<(usize, usize, String)> {
        let mut units: Vec<(Option<char>, String, usize, usize)> = Vec::new();
        let mut word: Option<(String, usize, usize)> = None;
        for (offset, original) in text.char_indices() {
            let c = normalize_char(original);
            let end = offset + original.len_utf8();
            if !is_han(c) && c.is_alphanumeric() {
                match word.as_mut() {
                    Some((current, _, to)) => {
                        current.push(c);
                        *to = end;
                    }
                    None => word = Some((c.to_string(), offset, end)),
                }
                continue;
            }
            if let Some((done, from, to)) = word.take() {
                units.push((None, done, from, to));
            }
            if is_han(c) {
                units.push((Some(c), c.to_string(), offset, end));
            }
        }
        units.extend(word.map(|(done, from, to)| (None, done, from, to)));
        (0..units.len())
            .map(|i| match (&units[i], units.get(i + 1)) {
                ((Some(a), _, from, _), Some((Some(b), _, _, to))) => (*from, *to, format!("{a}{b}")),
                ((_, text, from, to), _) => (*from, *to, text.clone()),
            })
            .collect()
    }

    #[test]
    fn streaming_grams_equal_the_plain_rules() {
        for text in [
            "",
            "。",
            "太原",
            "G20峰会在杭州ABC def召开，“两山”理论 ＣＮＮＩＣ 2024年",
            "abc def",
            "a，b",
            "醫保局 x 臺灣x臺",
            "  单  ",
        ] {
            let streamed: Vec<(usize, usize, String)> =
                gram_tokens(text).into_iter().map(|t| (t.offset_from, t.offset_to, t.text)).collect();
            assert_eq!(streamed, reference_grams(text), "{text:?}");
        }
        assert!(gram_tokens("abc def x").iter().enumerate().all(|(i, t)| t.position == i));
    }

    proptest::proptest! {
        #[test]
        fn streaming_grams_equal_the_plain_rules_on_any_text(text in "[a-zA-Z0-9 ，。“”·\\-\u{4e00}-\u{4e20}\u{9ad4}\u{ff21}-\u{ff3a}\u{1f600}]{0,40}") {
            let streamed: Vec<(usize, usize, String)> =
                gram_tokens(&text).into_iter().map(|t| (t.offset_from, t.offset_to, t.text)).collect();
            proptest::prop_assert_eq!(streamed, reference_grams(&text));
        }
    }

    #[test]
    fn token_stream_yields_every_token_once() {
        let mut tokenizer = BufferTokenizer::new(fill_grams);
        let mut stream = tokenizer.token_stream("太忻一体化");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push(stream.token().text.clone());
        }
        assert_eq!(seen, ["太忻", "忻一", "一体", "体化", "化"]);
        assert!(!stream.advance());
    }

    /// Every token a stream yields, as (from, to, position, text).
    fn streamed(tokenizer: &mut BufferTokenizer, text: &str) -> Vec<(usize, usize, usize, String)> {
        let mut stream = tokenizer.token_stream(text);
        let mut seen = Vec::new();
        while stream.advance() {
            let token = stream.token();
            seen.push((token.offset_from, token.offset_to, token.position, token.text.clone()));
        }
        seen
    }

    fn listed(tokens: Vec<Token>) -> Vec<(usize, usize, usize, String)> {
        tokens.into_iter().map(|t| (t.offset_from, t.offset_to, t.position, t.text)).collect()
    }

    #[test]
    fn a_reused_tokenizer_streams_each_text_alone_and_as_the_token_lists() {
        let mut grams = BufferTokenizer::new(fill_grams);
        let mut words = BufferTokenizer::new(fill_words);
        let mut exact = BufferTokenizer::new(fill_exact);
        // A long text, then a short one: nothing of the first may remain.
        for text in ["G20峰会在杭州召开，“两山”理论深入人心 ＣＮＮＩＣ 2024年", "醫保局", "", "。", "太原"]
        {
            assert_eq!(streamed(&mut grams, text), listed(gram_tokens(text)), "{text:?}");
            assert_eq!(streamed(&mut words, text), listed(word_tokens(text)), "{text:?}");
            assert_eq!(streamed(&mut exact, text), listed(exact_tokens(text)), "{text:?}");
        }
    }
}
