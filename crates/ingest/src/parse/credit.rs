//! Reporter and photographer credits: recognising role words (`本报记者`,
//! `山西日报记者`, `通讯员`, …) and turning a credit into bare person names.

use std::sync::LazyLock;

use regex::Regex;

use crate::entities::lexicon::{is_transliteration, surname_len};
use crate::text::{is_column_label, is_han, trim_layout};

/// Role words that precede names in a credit, longest forms first.
const ROLE_PATTERN: &str = r"(?:[\p{Han}]{1,6}(?:日报|晚报|报社|通讯社|电视台|广播电视台)|新华社|中新社|中国新闻社|人民日报社|人民网|新华网)?(?:本报|本刊)?(?:首席|实习|见习|特约|驻站|摄影)?(?:记\s*者|通讯员|评论员)|摄影报道|摄影|(?:文\s*[/／]\s*图|文图|文|图|摄影|摄)\s*[/／:：]";
static ROLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(ROLE_PATTERN).expect("role regex"));
/// The same, anchored: a role at the start, without scanning the whole text.
static ROLE_AT_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{ROLE_PATTERN})")).expect("anchored role regex"));

/// Agencies whose name in a credit is the article's source, not an author.
const AGENCIES: &[&str] = &["新华社", "中新社", "人民日报", "央视新闻", "中国新闻社"];

/// Returns true when `text` starts with a role word (after spaces).
pub fn starts_with_role(text: &str) -> bool {
    let text = trim_layout(text);
    may_start_with_role(text) && ROLE_AT_START.is_match(text)
}

/// A test that lets most lines go without the regex: every role of
/// [`ROLE_PATTERN`] either starts with `摄`, `文` or `图`, or holds `记`,
/// `通` or `评` among its first 16 characters (a paper's name of up to 11,
/// `本报` and `首席` come before them, and no space).
fn may_start_with_role(text: &str) -> bool {
    text.starts_with(['摄', '文', '图']) || text.chars().take(16).any(|c| matches!(c, '记' | '通' | '评'))
}

/// Returns the agency named in a credit or dateline, if any.
pub fn agency_in(text: &str) -> Option<&'static str> {
    AGENCIES.iter().copied().find(|agency| text.contains(agency))
}

/// Extracts bare person names from a credit such as `本报记者 王晓华 实习记者 李京益`,
/// `山西日报记者 李联军 摄` or `记者 王 志 敏`: role words and `摄` are removed,
/// names split on `、`, commas and spaces, letter-spaced names rejoined.
pub fn names_in_credit(credit: &str) -> Vec<String> {
    let credit = trim_layout(credit);
    let credit = credit.strip_suffix('摄').unwrap_or(credit);
    let mut names = Vec::new();
    // Role words separate credits: `李 静 通讯员 孟 涛` is two people.
    for segment in ROLE.split(credit) {
        let mut segment = segment.to_string();
        for agency in AGENCIES {
            segment = segment.replace(agency, " ");
        }
        let tokens: Vec<&str> = segment
            .split(|c: char| c.is_whitespace() || matches!(c, '、' | '，' | ',' | '；' | ';' | '\u{3000}' | '/' | '／'))
            .filter(|t| !t.is_empty())
            .collect();
        let mut letter_spaced = String::new();
        for token in tokens {
            if token.chars().count() == 1 && token.chars().all(is_han) {
                letter_spaced.push_str(token);
                continue;
            }
            if !letter_spaced.is_empty() {
                names.push(std::mem::take(&mut letter_spaced));
            }
            names.push(token.to_string());
        }
        if !letter_spaced.is_empty() {
            names.push(letter_spaced);
        }
    }
    names.retain(|name| is_person_name(name));
    names
}

/// Returns true when a credit's role runs straight into the text after it
/// (`记者雷甫`, `记者从国家发`): such a credit can be a sentence cut by a
/// hard wrap, so what follows must read as a name ([`reads_as_person_name`]).
pub fn role_glued_to_name(credit: &str) -> bool {
    let credit = trim_layout(credit);
    ROLE_AT_START.find(credit).is_some_and(|role| credit[role.end()..].chars().next().is_some_and(is_han))
}

/// A name as a signature prints it: led by a surname (`雷甫`, `欧阳晓明`) or
/// written in a foreign name's characters (`普里马科夫`), and no column
/// label (`今日谈`). Stricter than [`names_in_credit`]'s test, for text
/// that may be a sentence rather than a credit.
pub fn reads_as_person_name(name: &str) -> bool {
    is_person_name(name)
        && !is_column_label(name)
        && (surname_len(name).is_some_and(|len| name.chars().count() > len)
            || is_transliteration(name)
            || name.contains(['·', '•']))
}

/// A plausible Chinese person name: 2–6 Han characters, or a transliterated
/// name with a middle dot.
fn is_person_name(name: &str) -> bool {
    let count = name.chars().count();
    (2..=6).contains(&count) && name.chars().all(|c| is_han(c) || c == '·' || c == '•')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test before the regex never turns away a text the regex takes:
    /// every line of the sample pages and roles as long as the pattern allows.
    #[test]
    fn the_role_pretest_lets_every_role_through() {
        let mut texts = crate::parse::sample_lines();
        for role in [
            "某某某某某某广播电视台本报首席记 者 王五",
            "人民日报社本刊特约评论员",
            "摄影报道",
            "文／图：张三",
            "图:李四",
        ] {
            texts.push(role.to_string());
        }
        let longest = "某某某某某某广播电视台本报首席记 者 王五";
        assert_eq!(longest.chars().position(|c| c == '记'), Some(15));
        assert!(ROLE_AT_START.is_match(longest), "the longest role is one");
        let mut found = 0;
        for text in &texts {
            let regex = ROLE_AT_START.is_match(trim_layout(text));
            found += usize::from(regex);
            assert_eq!(starts_with_role(text), regex, "{text:?}");
        }
        assert!(found >= 10, "only {found} roles in the sample");
    }

    #[test]
    fn strips_roles_and_splits_names() {
        assert_eq!(names_in_credit("本报记者 王晓华 实习记者 李京益"), ["王晓华", "李京益"]);
        assert_eq!(names_in_credit("山西日报记者 李联军 摄"), ["李联军"]);
        assert_eq!(names_in_credit("首席记者 贠娟绸"), ["贠娟绸"]);
        assert_eq!(names_in_credit("记者 余俊杰、范思翔"), ["余俊杰", "范思翔"]);
        assert_eq!(names_in_credit("记者雷甫"), ["雷甫"]);
        assert_eq!(names_in_credit("记者 吴华 见习记者 张晶"), ["吴华", "张晶"]);
        assert_eq!(names_in_credit("本报记者 臧力卿 曹飞 董芳"), ["臧力卿", "曹飞", "董芳"]);
    }

    #[test]
    fn reads_slash_credits() {
        assert_eq!(names_in_credit("文/张三 图/李四"), ["张三", "李四"]);
        assert!(starts_with_role("文／张三"));
    }

    #[test]
    fn rejoins_letter_spaced_names() {
        assert_eq!(names_in_credit("记\n者 王 志 敏"), ["王志敏"]);
        assert_eq!(names_in_credit("本报记者 曹 伟 摄"), ["曹伟"]);
        assert_eq!(names_in_credit("新华社记者  唐  奕摄"), ["唐奕"]);
        assert!(starts_with_role("新华社记者 李贺"));
        assert_eq!(names_in_credit("记者 李 静 通讯员 孟 涛"), ["李静", "孟涛"]);
    }

    #[test]
    fn a_role_glued_to_text_signs_only_before_a_name() {
        assert!(role_glued_to_name("记者雷甫"));
        assert!(role_glued_to_name("记者从国家发"));
        assert!(!role_glued_to_name("记者 雷甫"));
        assert!(reads_as_person_name("雷甫"));
        assert!(reads_as_person_name("贠娟绸"));
        assert!(reads_as_person_name("欧阳晓明"));
        assert!(reads_as_person_name("普里马科夫"));
        for sentence in ["从国家发", "从中", "今天", "今日谈", "社论"] {
            assert!(!reads_as_person_name(sentence), "{sentence}");
        }
    }

    #[test]
    fn recognises_roles_at_line_start() {
        assert!(starts_with_role("本报记者 王 菲"));
        assert!(starts_with_role("记者 徐方伟"));
        assert!(!starts_with_role("张晶亮告诉记者"));
    }
}
