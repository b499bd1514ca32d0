//! Datelines that open an article (`本报讯`, `本报太原4月8日讯`,
//! `新华社北京2月3日电`, `（记者 …）`) and the credit that follows them.

use std::sync::LazyLock;

use regex::Regex;

use super::credit::{agency_in, names_in_credit};

static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    // A date in digits or Chinese numerals: `4月8日`, `六月五日`.
    const DATE: &str = r"[\d\s〇一二三四五六七八九十]{1,4}月[\d\s〇一二三四五六七八九十]{1,4}日";
    let pattern = [
        r"^\s*(?P<dateline>",
        // Own reports: 本报讯, 本报太原4月8日讯, 本报北京3月5日电.
        &format!(r"(?:本报|本刊)[\p{{Han}}\s]{{0,8}}?(?:{DATE})?\s*[讯电]"),
        // Portals and other papers: 新浪体育讯, 南方日报讯, 中国青年网讯.
        r"|(?:新浪|搜狐|网易|腾讯|凤凰网|澎湃新闻)[\p{Han}]{0,2}\s*讯|[\p{Han}]{2,6}(?:日报|晚报|网)\s*讯",
        // Agencies: 新华社北京2月3日电, 据新华社电, 中新社北京六月五日电.
        &format!(r"|(?:据)?(?:新华社|中新社|中新网|人民日报|人民网|央视网|新华网|光明网|[\p{{Han}}]{{2,6}}日报)[\p{{Han}}\s]{{0,10}}?(?:{DATE})?\s*电"),
        r")\s*(?:[（(](?P<credit>[^（）()]{1,60})[）)])?",
        r"|^\s*[（(](?P<bare_credit>[^（）()]{0,20}(?:记\s*者|通讯员)[^（）()]{1,40})[）)]",
    ]
    .concat();
    Regex::new(&pattern).expect("dateline regex")
});

/// What a dateline says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dateline {
    /// The dateline without spaces (`本报太原4月8日讯`), if printed.
    pub dateline: Option<String>,
    /// Bare names of the reporters credited after it.
    pub authors: Vec<String>,
    /// The agency it names (`新华社`), if any.
    pub source: Option<String>,
    /// Month and day it names, if any.
    pub month_day: Option<(u32, u32)>,
}

/// Returns true when a line or paragraph opens a new article with a dateline.
pub fn starts_article(text: &str) -> bool {
    may_start_article(text) && DATELINE.is_match(text)
}

/// Most characters [`DATELINE`] lets come before its `讯` or `电`, spaces
/// not counted: `据`, a paper's name of up to 8, 10 more and a date of 10.
const MAX_BEFORE_DATELINE_END: usize = 29;

/// A test that lets most lines and paragraphs go without the regex: a
/// dateline ends in `讯` or `电` after at most [`MAX_BEFORE_DATELINE_END`]
/// characters that are not spaces, and a bare credit opens with a bracket.
fn may_start_article(text: &str) -> bool {
    let text = text.trim_start();
    if text.starts_with(['（', '(']) {
        return true;
    }
    text.chars().filter(|c| !c.is_whitespace()).take(MAX_BEFORE_DATELINE_END + 1).any(|c| matches!(c, '讯' | '电'))
}

/// Parses the dateline at the start of a paragraph.
pub fn parse_dateline(paragraph: &str) -> Option<Dateline> {
    let captures = DATELINE.captures(paragraph)?;
    let dateline: Option<String> =
        captures.name("dateline").map(|m| m.as_str().chars().filter(|c| !c.is_whitespace()).collect());
    let credit = captures.name("credit").or_else(|| captures.name("bare_credit"));
    let authors = credit.map(|m| names_in_credit(m.as_str())).unwrap_or_default();
    let source = dateline
        .as_deref()
        .and_then(agency_in)
        .or_else(|| credit.and_then(|m| agency_in(m.as_str())))
        .map(str::to_string);
    let month_day = dateline.as_deref().and_then(month_day_in);
    Some(Dateline { dateline, authors, source, month_day })
}

/// The city a dateline names: `本报太原4月8日讯` → 太原, `新华社北京2月3日电`
/// → 北京; `None` for `本报讯`, portal datelines and other papers' names.
pub fn dateline_city(dateline: &str) -> Option<String> {
    static CITY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:据)?(?:本报|本刊|新华社|中新社|中新网|人民日报|人民网|央视网|新华网|光明网|\p{Han}{2,6}?(?:日报|晚报))(?P<city>\p{Han}{2,6}?)(?:[\d〇一二三四五六七八九十]{1,4}月|[讯电]$)",
        )
        .expect("dateline city regex")
    });
    let compact: String = dateline.chars().filter(|c| !c.is_whitespace()).collect();
    let city = CITY.captures(&compact)?.name("city")?.as_str().to_string();
    let not_a_city = ["记者", "特派", "专电", "综合", "消息", "体育"];
    (!not_a_city.iter().any(|word| city.contains(word))).then_some(city)
}

/// Extracts `M月D日` from a dateline.
fn month_day_in(dateline: &str) -> Option<(u32, u32)> {
    static MONTH_DAY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(\d{1,2})月(\d{1,2})日").expect("month-day regex"));
    let captures = MONTH_DAY.captures(dateline)?;
    let month: u32 = captures[1].parse().ok()?;
    let day: u32 = captures[2].parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test before the regex never turns away a text the regex takes:
    /// every line of the sample pages, and datelines as long as the regex
    /// allows, with spaces anywhere it allows them.
    #[test]
    fn the_dateline_pretest_lets_every_dateline_through() {
        let mut texts = crate::parse::sample_lines();
        assert!(texts.len() > 2000, "{} lines", texts.len());
        for dateline in [
            "据呼和浩特市区日报内蒙古自治区首府城区一二三四月一二三四日电",
            "本报乌鲁木齐南疆记者站一二三四月一二三四日讯",
            " \u{3000}本报 太原 4 月 8 日 \t 讯（记者 王五）",
            "  （本报记者 李四）正文",
            "澎湃新闻体育讯",
            "某某某某某某晚报 讯",
        ] {
            texts.push(dateline.to_string());
            texts.push(format!("{dateline}后面的正文，还有很多字。"));
        }
        let longest = "据呼和浩特市区日报内蒙古自治区首府城区一二三四月一二三四日电";
        assert_eq!(longest.chars().count(), MAX_BEFORE_DATELINE_END + 1);
        assert!(DATELINE.is_match(longest), "the longest dateline is one");
        let mut found = 0;
        for text in &texts {
            let regex = DATELINE.is_match(text);
            found += usize::from(regex);
            assert!(!regex || may_start_article(text), "{text:?}");
            assert_eq!(starts_article(text), regex, "{text:?}");
        }
        assert!(found >= 12, "only {found} datelines in the sample");
    }

    #[test]
    fn parses_local_and_agency_datelines() {
        let local = parse_dateline("本报太原4月8日讯（首席记者 贠娟绸）今天，").unwrap();
        assert_eq!(local.dateline.as_deref(), Some("本报太原4月8日讯"));
        assert_eq!(local.authors, ["贠娟绸"]);
        assert_eq!(local.month_day, Some((4, 8)));
        let agency = parse_dateline("新华社北京2月3日电（记者余俊杰、范思翔）中国互联网").unwrap();
        assert_eq!(agency.source.as_deref(), Some("新华社"));
        assert_eq!(agency.authors, ["余俊杰", "范思翔"]);
        let spaced = parse_dateline(" 本报讯 （记者 王 志 敏）2 月 2").unwrap();
        assert_eq!(spaced.dateline.as_deref(), Some("本报讯"));
        assert_eq!(spaced.authors, ["王志敏"]);
    }

    #[test]
    fn reads_other_papers_habits() {
        assert_eq!(
            parse_dateline("本报北京3月5日电（记者 张三）").unwrap().dateline.as_deref(),
            Some("本报北京3月5日电")
        );
        let agency = parse_dateline("新华社北京电（记者 李四）国务院").unwrap();
        assert_eq!((agency.dateline.as_deref(), agency.source.as_deref()), (Some("新华社北京电"), Some("新华社")));
        assert_eq!(parse_dateline("（通讯员 李明 记者 王 志 敏）近日").unwrap().authors, ["李明", "王志敏"]);
    }

    #[test]
    fn reads_portal_datelines_and_chinese_numeral_dates() {
        assert_eq!(parse_dateline("新浪体育讯北京时间4月12日，").unwrap().dateline.as_deref(), Some("新浪体育讯"));
        assert_eq!(parse_dateline("南方日报讯 （记者 张三）").unwrap().authors, ["张三"]);
        let agency = parse_dateline("中新社北京六月五日电（记者 李四）").unwrap();
        assert_eq!(
            (agency.dateline.as_deref(), agency.source.as_deref()),
            (Some("中新社北京六月五日电"), Some("中新社"))
        );
        assert!(parse_dateline("他通过网络通讯与家人联系。").is_none());
    }

    #[test]
    fn names_the_dateline_city() {
        assert_eq!(dateline_city("本报太原4月8日讯").as_deref(), Some("太原"));
        assert_eq!(dateline_city("新华社北京2月3日电").as_deref(), Some("北京"));
        assert_eq!(dateline_city("新华社北京电").as_deref(), Some("北京"));
        assert_eq!(dateline_city("中新社北京六月五日电").as_deref(), Some("北京"));
        assert_eq!(dateline_city("本报乌鲁木齐3月1日电").as_deref(), Some("乌鲁木齐"));
        assert_eq!(dateline_city("本报讯"), None);
        assert_eq!(dateline_city("新浪体育讯"), None);
        assert_eq!(dateline_city("南方日报讯"), None);
    }

    #[test]
    fn ignores_body_sentences() {
        assert!(parse_dateline("今天，山西省第六届").is_none());
        assert!(parse_dateline("据悉电力公司").is_none());
    }
}
