//! Names in running text: jieba's part-of-speech tags first, then the rules
//! that fix what jieba gets wrong in these papers: names after official
//! titles (`省委书记楼阳生`, `省领导张吉福、李凤岐`), places before an
//! administrative suffix (`侯马` + `市`), organisations built from a place or
//! body and a suffix (`省公安厅`, `中国人民银行太原中心支行`).

use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};

use super::lexicon::{
    is_strict_surname, is_surname, is_transliteration, surname_len, ADMIN_PREFIXES, AFTER_NAME, COUNTRY_ABBREVIATIONS,
    NOT_NAMES, NOT_NAME_START, NOT_PLACES, NOT_PLACE_PREFIXES, ORG_SUFFIXES, PLACE_SUFFIXES, TITLES, WEAK_ORG_SUFFIXES,
};
use super::tokens::{tag, Token};
use super::{EntityKind, Mention};
use crate::text::is_han;

/// How sure a rule is; overlapping candidates are settled by rank, then length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// A jieba tag alone.
    Tagged,
    /// A place or organisation assembled from several tokens.
    Assembled,
    /// A name right after an official title.
    Titled,
}

/// A possible mention before overlaps are settled.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    kind: EntityKind,
    start: usize,
    end: usize,
    rank: Rank,
}

/// Finds person, place and organisation names in `text` with jieba tags only
/// (no rules): the baseline the rules are measured against.
pub fn tagged_mentions(text: &str) -> Vec<Mention> {
    let chars: Vec<char> = text.chars().collect();
    let candidates = tag(text)
        .iter()
        .filter(|token| token.len() >= 2)
        .filter_map(|token| {
            let kind = match token.tag {
                "nr" | "nrfg" | "nrt" => EntityKind::Person,
                "ns" => EntityKind::Place,
                "nt" => EntityKind::Org,
                _ => return None,
            };
            Some(Candidate { kind, start: token.start, end: token.end, rank: Rank::Tagged })
        })
        .collect();
    settle(&chars, candidates)
}

/// Finds person, place and organisation names in running text, with spans in
/// characters. Never panics; overlapping names are settled (the longer or
/// better-founded one stays), so spans do not overlap and come in text order.
pub fn mentions_in_text(text: &str) -> Vec<Mention> {
    read_text(text).0
}

/// Both readings of a text from one jieba pass: its mentions (as
/// [`mentions_in_text`]) and the names printed after an official title (as
/// [`titled_person_names`]).
pub fn read_text(text: &str) -> (Vec<Mention>, Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let tokens = tag(text);
    let titled = titled_people(&chars, &tokens);
    let titled_names = titled.iter().map(|candidate| chars[candidate.start..candidate.end].iter().collect()).collect();
    let mut candidates: Vec<Candidate> = tokens.iter().filter_map(tagged_candidate).collect();
    candidates.extend(place_candidates(&tokens));
    candidates.extend(org_candidates(&tokens));
    candidates.extend(titled);
    (settle(&chars, candidates), titled_names)
}

/// Returns the person names printed right after an official title in `text`
/// (the surest names: `省委书记楼阳生` → 楼阳生).
pub fn titled_person_names(text: &str) -> Vec<String> {
    read_text(text).1
}

/// Reads a single token: jieba's own name tags where they hold up (its
/// dictionary tags many common words `nr` or `ns`), and unknown words (found
/// by the HMM) that look like a name, a place or an organisation.
fn tagged_candidate(token: &Token) -> Option<Candidate> {
    let length = token.len();
    if length < 2 || !token.is_han() {
        return None;
    }
    let word = token.word;
    let (kind, end) = match token.tag {
        "nr" | "nrfg" | "nrt" if length >= 4 && (word.ends_with("理论") || word.ends_with("思想")) => {
            (EntityKind::Person, token.end - 2)
        }
        _ if ends_in_region(word) && matches!(token.tag, "ns" | "nt" | "x" | "j") => (EntityKind::Place, token.end),
        "n" | "nz" | "x" | "nr" | "nrt" if is_named_org(token) => (EntityKind::Org, token.end),
        "nr" | "nrfg" | "nrt" if is_tagged_name(word) => (EntityKind::Person, token.end),
        "ns" if is_tagged_place(word) => (EntityKind::Place, token.end),
        "nt" => (EntityKind::Org, token.end),
        "j" if word.ends_with(['共', '盟', '约', '委', '大', '协', '党', '联']) => (EntityKind::Org, token.end),
        "n" | "j"
            if length == 2
                && word.ends_with('委')
                && word.starts_with(['省', '市', '县', '区', '乡', '镇', '村', '党']) =>
        {
            (EntityKind::Org, token.end)
        }
        "x" if word.ends_with(PLACE_SUFFIXES) && length >= 3 => (EntityKind::Place, token.end),
        "x" if length <= 3 && looks_like_name(word) => (EntityKind::Person, token.end),
        _ => return None,
    };
    (end >= token.start + 2).then_some(Candidate { kind, start: token.start, end, rank: Rank::Tagged })
}

/// A single word naming an organisation: an unknown or name-like word ending
/// in an organisation suffix, or an ordinary noun ending in a strong one
/// (`人民日报`); generic nouns with a weak suffix (`博物馆`, `旅行社`) only
/// count inside a longer name.
fn is_named_org(token: &Token) -> bool {
    let word = token.word;
    if token.len() < 3 || is_bare_suffix(word) || !is_org_suffixed(token) {
        return false;
    }
    token.tag != "n" || org_suffixes_of(word).any(|suffix| !WEAK_ORG_SUFFIXES.contains(&suffix))
}

/// [`ORG_SUFFIXES`] as a set, looked up with a word's own endings (every
/// token of every article is checked: a scan of the list cost a tenth of
/// the ingest's CPU in string compares).
static ORG_SUFFIX_SET: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| ORG_SUFFIXES.iter().copied().collect());

/// Characters in the longest organisation suffix.
static ORG_SUFFIX_MAX_CHARS: LazyLock<usize> =
    LazyLock::new(|| ORG_SUFFIXES.iter().map(|suffix| suffix.chars().count()).max().unwrap_or(0));

/// The last characters of [`ORG_SUFFIXES`]: a word ending in another
/// character ends in no suffix (most words of a text), and is passed over
/// without hashing its endings.
static ORG_SUFFIX_LAST_CHARS: LazyLock<FxHashSet<char>> =
    LazyLock::new(|| ORG_SUFFIXES.iter().filter_map(|suffix| suffix.chars().next_back()).collect());

/// The organisation suffixes a word ends with, shortest first.
fn org_suffixes_of(word: &str) -> impl Iterator<Item = &str> {
    let may_end_in_one = word.chars().next_back().is_some_and(|last| ORG_SUFFIX_LAST_CHARS.contains(&last));
    let endings = if may_end_in_one { *ORG_SUFFIX_MAX_CHARS } else { 0 };
    word.char_indices()
        .rev()
        .take(endings)
        .filter_map(move |(start, _)| word.get(start..))
        .filter(|ending| ORG_SUFFIX_SET.contains(ending))
}

/// A generic organisation word on its own (`委员会`, `办公室`), naming none.
fn is_bare_suffix(word: &str) -> bool {
    ORG_SUFFIX_SET.contains(word)
}

/// Regions that jieba's dictionary calls organisations (`香港特别行政区`).
fn ends_in_region(word: &str) -> bool {
    ["特别行政区", "自治区", "自治州", "自治县"].iter().any(|suffix| word.ends_with(suffix))
}

/// A word jieba tags as a name that is one: a Chinese name starting with a
/// common surname (two-character words need an unambiguous one), or a
/// transliterated foreign name.
fn is_tagged_name(word: &str) -> bool {
    let length = word.chars().count();
    if NOT_NAMES.contains(&word) || length > 4 {
        return is_transliteration(word);
    }
    let starts_strict = word.chars().next().is_some_and(is_strict_surname);
    let starts_surname = surname_len(word).is_some();
    match length {
        2 => starts_strict,
        3 => starts_surname || is_transliteration(word),
        _ => surname_len(word) == Some(2) || is_transliteration(word),
    }
}

/// A word jieba tags as a place that is one (not a common word, not a pair
/// of countries such as `中美`).
fn is_tagged_place(word: &str) -> bool {
    let pair_of_countries = word.chars().count() == 2 && word.chars().all(|c| COUNTRY_ABBREVIATIONS.contains(c));
    !pair_of_countries && !NOT_PLACES.contains(&word)
}

/// A 2–3 character word starting with a surname that is not a common word
/// (two characters need an unambiguous surname).
fn looks_like_name(word: &str) -> bool {
    let length = word.chars().count();
    let surname_fits = match length {
        2 => word.chars().next().is_some_and(is_strict_surname),
        _ => surname_len(word).is_some_and(|surname| surname < length),
    };
    (2..=3).contains(&length) && surname_fits && !NOT_NAMES.contains(&word) && word.chars().all(is_han)
}

/// Places jieba leaves in two pieces: a name and an administrative suffix
/// (`侯马` + `市`, `平遥` + `县`).
fn place_candidates(tokens: &[Token]) -> Vec<Candidate> {
    let mut found = Vec::new();
    for pair in tokens.windows(2) {
        let [name, suffix] = pair else { continue };
        let is_suffix = suffix.word.chars().count() == 1 && suffix.word.ends_with(PLACE_SUFFIXES)
            || matches!(suffix.word, "自治区" | "自治州" | "自治县" | "新区" | "开发区" | "特别行政区");
        let is_name = matches!(name.tag, "ns" | "x" | "nr" | "nrt" | "nz" | "j")
            && name.is_han()
            && (1..=4).contains(&name.len())
            && !NOT_PLACE_PREFIXES.contains(&name.word);
        if is_suffix && is_name && name.len() + suffix.len() >= 2 {
            found.push(Candidate {
                kind: EntityKind::Place,
                start: name.start,
                end: suffix.end,
                rank: Rank::Assembled,
            });
        }
    }
    found
}

/// Returns true when a token ends the name of an organisation.
fn is_org_suffixed(token: &Token) -> bool {
    // `政治局常委`, `党委委员` are people.
    if !token.is_han() || token.word.ends_with("常委") || token.word.ends_with("委员") {
        return false;
    }
    org_suffixes_of(token.word).any(|suffix| {
        if !WEAK_ORG_SUFFIXES.contains(&suffix) {
            return true;
        }
        // `局`, `部`, `会` … end many ordinary words (`结局`, `全部`, `社会`).
        token.word == suffix
            || matches!(token.tag, "nt" | "x" | "j")
            || (token.tag == "n" && token.len() >= 3 && suffix != "会")
    })
}

/// Tokens that can stand inside an organisation name before its suffix.
fn is_org_part(token: &Token) -> bool {
    token.is_han()
        && (matches!(token.tag, "ns" | "nt" | "nz" | "j" | "n" | "nr" | "nrt" | "vn" | "an" | "x" | "b")
            || ADMIN_PREFIXES.contains(&token.word)
            || (token.tag == "m" && token.word.starts_with('第')))
}

/// Tokens an organisation name can start with: a place, a body or an
/// administrative prefix standing for the paper's own province or city.
fn is_org_anchor(token: &Token) -> bool {
    token.is_han()
        && (matches!(token.tag, "ns" | "nt" | "nz" | "j" | "nr" | "nrt")
            || ADMIN_PREFIXES.contains(&token.word)
            || (token.tag == "m" && token.word.starts_with('第')))
}

/// Organisations jieba splits: from each suffix token, back over the words of
/// the name to the first place, body or `省`/`市` prefix (`省` + `公安厅`,
/// `中国人民银行` + `太原` + `中心` + `支行`).
fn org_candidates(tokens: &[Token]) -> Vec<Candidate> {
    const LONGEST_NAME_TOKENS: usize = 8;
    let mut found = Vec::new();
    for (end_index, suffix) in tokens.iter().enumerate() {
        if !is_org_suffixed(suffix) {
            continue;
        }
        let mut first = end_index;
        while first > 0 && end_index - first < LONGEST_NAME_TOKENS && is_org_part(&tokens[first - 1]) {
            first -= 1;
        }
        let anchor = (first..end_index).find(|&index| is_org_anchor(&tokens[index]));
        if let Some(anchor) = anchor {
            let start = tokens[anchor].start;
            found.push(Candidate { kind: EntityKind::Org, start, end: suffix.end, rank: Rank::Assembled });
        }
    }
    found
}

/// Names printed right after an official title, and the names listed after
/// the first one with `、` (`省领导张吉福、李凤岐、卢东亮`).
fn titled_people(chars: &[char], tokens: &[Token]) -> Vec<Candidate> {
    let mut found = Vec::new();
    let mut position = 0;
    while position < chars.len() {
        let Some(title_length) = title_at(chars, position) else {
            position += 1;
            continue;
        };
        let mut name_start = position + title_length;
        while let Some(name_end) = name_after_title(chars, tokens, name_start) {
            found.push(Candidate { kind: EntityKind::Person, start: name_start, end: name_end, rank: Rank::Titled });
            if chars.get(name_end) != Some(&'、') {
                break;
            }
            name_start = name_end + 1;
        }
        position = name_start.max(position + 1);
    }
    found
}

/// The titles as characters by their first character, longest first (so
/// the first match is the longest): every character of every article is
/// asked whether a title starts there.
static TITLE_CHARS: LazyLock<FxHashMap<char, Vec<Vec<char>>>> = LazyLock::new(|| {
    let mut titles: FxHashMap<char, Vec<Vec<char>>> = FxHashMap::default();
    for title in TITLES {
        let chars: Vec<char> = title.chars().collect();
        if let Some(&first) = chars.first() {
            titles.entry(first).or_default().push(chars);
        }
    }
    for same_start in titles.values_mut() {
        same_start.sort_by_key(|title| std::cmp::Reverse(title.len()));
    }
    titles
});

/// Returns the length of the longest title starting at `position`.
fn title_at(chars: &[char], position: usize) -> Option<usize> {
    let rest = chars.get(position..)?;
    TITLE_CHARS.get(rest.first()?)?.iter().find(|title| rest.starts_with(title)).map(Vec::len)
}

/// Returns the end of a 2–3 character person name starting at `start`, if
/// one plausibly does.
fn name_after_title(chars: &[char], tokens: &[Token], start: usize) -> Option<usize> {
    let han_run = chars.get(start..)?.iter().take(4).take_while(|c| is_han(**c)).count();
    if han_run < 2 {
        return None;
    }
    let first_two: String = chars[start..start + 2].iter().collect();
    if first_two.starts_with(|c: char| NOT_NAME_START.contains(c)) {
        return None;
    }
    let surname = surname_len(&first_two)?;
    // The first word must not be an ordinary word (`关于`, `高度`).
    if let Some(token) = tokens.iter().find(|token| token.start == start) {
        let ordinary = token.len() >= 2 && !matches!(token.tag, "nr" | "nrfg" | "nrt" | "x") && token.len() > surname;
        if ordinary && token.end <= start + 3 && !starts_name_word(token) {
            return None;
        }
    }
    if NOT_NAMES.contains(&first_two.as_str()) {
        return None;
    }
    let length = if han_run >= 3 && third_belongs_to_name(chars, tokens, start) { 3 } else { 2 };
    if length == 2 && surname == 2 {
        return None;
    }
    Some(start + length)
}

/// A dictionary word at a name's start that is a given name in disguise
/// (`常书` of `常书铭`) rather than a function word.
fn starts_name_word(token: &Token) -> bool {
    matches!(token.tag, "n" | "ng" | "nz" | "a" | "an" | "i" | "l")
        && token.word.chars().next().is_some_and(is_surname)
        && token.len() == 2
}

/// Decides between a two- and a three-character name: the third character is
/// part of the name unless a word of the sentence starts there.
fn third_belongs_to_name(chars: &[char], tokens: &[Token], start: usize) -> bool {
    let third = start + 2;
    let Some(&character) = chars.get(third) else { return false };
    if AFTER_NAME.contains(character) && !next_is_title_or_end(chars, third + 1) {
        return false;
    }
    // `……”省政协委员吴云说。`: a closing 说 is the verb of the quote, not a name's
    // third character (`李凤岐、` and `李强，` keep theirs).
    if character == '说' && chars.get(third + 1).is_some_and(|c| matches!(c, '。' | '：' | ':' | '，' | ',')) {
        return false;
    }
    match tokens.iter().find(|token| token.start <= third && third < token.end) {
        Some(token) if token.start == third && token.len() >= 2 => token.tag == "x" && token.len() <= 2,
        Some(token) if token.start < start && token.end > third => false,
        _ => true,
    }
}

/// True when what follows a would-be third character ends the name anyway
/// (punctuation or end of text), so `李凤岐、` keeps its `岐`.
fn next_is_title_or_end(chars: &[char], position: usize) -> bool {
    chars.get(position).is_none_or(|c| !is_han(*c))
}

/// Keeps the best of overlapping candidates (rank, then length, then the
/// earlier one) and returns them as mentions in text order.
fn settle(chars: &[char], mut candidates: Vec<Candidate>) -> Vec<Mention> {
    candidates.retain(|candidate| candidate.end <= chars.len() && candidate.end >= candidate.start + 2);
    candidates.sort_by(|a, b| {
        b.rank.cmp(&a.rank).then((b.end - b.start).cmp(&(a.end - a.start))).then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for candidate in candidates {
        if kept.iter().all(|other| candidate.end <= other.start || other.end <= candidate.start) {
            kept.push(candidate);
        }
    }
    kept.sort_by_key(|candidate| candidate.start);
    kept.into_iter()
        .map(|candidate| Mention {
            kind: candidate.kind,
            name: chars[candidate.start..candidate.end].iter().collect(),
            start_char: candidate.start,
            end_char: candidate.end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, kind: EntityKind) -> Vec<String> {
        mentions_in_text(text).into_iter().filter(|m| m.kind == kind).map(|m| m.name).collect()
    }

    #[test]
    fn names_after_official_titles_are_persons() {
        assert!(found("省委书记楼阳生在太原市参加义务植树活动", EntityKind::Person).contains(&"楼阳生".to_string()));
        assert!(found("市委副书记、市长常书铭主持会议", EntityKind::Person).contains(&"常书铭".to_string()));
        assert!(found("省委副书记、省长蓝佛安提出具体要求", EntityKind::Person).contains(&"蓝佛安".to_string()));
        assert!(found("组长林武主持召开会议", EntityKind::Person).contains(&"林武".to_string()));
    }

    #[test]
    fn a_quote_closing_verb_is_not_part_of_the_name() {
        for text in ["“为青少年提供良好的阵地。”省政协委员吴云说。", "省政协委员吴云说：“要加快建设。”"]
        {
            let persons = found(text, EntityKind::Person);
            assert!(persons.contains(&"吴云".to_string()) && !persons.contains(&"吴云说".to_string()), "{persons:?}");
        }
        assert_eq!(titled_person_names("省政协委员吴云说。"), ["吴云"]);
        assert!(found("省领导李凤岐、卢东亮出席", EntityKind::Person).contains(&"李凤岐".to_string()));
    }

    #[test]
    fn names_listed_after_a_title_are_persons() {
        let persons = found("省领导张吉福、李凤岐、卢东亮、韦韬出席会议", EntityKind::Person);
        for name in ["张吉福", "李凤岐", "卢东亮", "韦韬"] {
            assert!(persons.contains(&name.to_string()), "{name} missing from {persons:?}");
        }
    }

    #[test]
    fn organisations_and_places_are_assembled() {
        assert!(found("省公安厅召开会议", EntityKind::Org).contains(&"省公安厅".to_string()));
        assert_eq!(
            org_suffixes_of("山西省人民代表大会常务委员会").collect::<Vec<_>>(),
            ["委员会", "常务委员会", "人民代表大会常务委员会"]
        );
        assert_eq!(org_suffixes_of("结局").collect::<Vec<_>>(), ["局"]);
        assert_eq!(org_suffixes_of("太原").count(), 0);
        // The last-character pretest lets every suffix through.
        for suffix in ORG_SUFFIXES {
            let word = format!("太原{suffix}");
            assert!(org_suffixes_of(&word).any(|ending| ending == *suffix), "{word}");
        }
        assert!(found("在太原市长风商务区", EntityKind::Place).contains(&"太原市".to_string()));
        assert!(found("中国人民银行太原中心支行发布报告", EntityKind::Org)
            .contains(&"中国人民银行太原中心支行".to_string()));
    }

    #[test]
    fn ordinary_words_after_titles_are_not_persons() {
        assert!(found("习近平总书记关于疫情防控的重要指示", EntityKind::Person).iter().all(|name| name != "关于疫"));
        assert!(found("全市上下高度重视", EntityKind::Place).is_empty());
    }

    #[test]
    fn spans_are_characters_of_the_text() {
        let text = "ab 省委书记楼阳生，😀市长常书铭";
        let chars: Vec<char> = text.chars().collect();
        for mention in mentions_in_text(text) {
            let span: String = chars[mention.start_char..mention.end_char].iter().collect();
            assert_eq!(span, mention.name);
        }
        assert!(mentions_in_text("").is_empty());
    }
}
