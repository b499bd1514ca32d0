//! Reads a stack of heading lines as a reader does: an optional column label,
//! a kicker (引题) giving context, the title (the main claim) and a subtitle
//! (副题: `——…` lines, who attended or presided).

use super::elements::HeadingLine;
use crate::text::clean_heading;

/// A heading stack split into its parts (all cleaned of doubling and letter-spacing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadingStack {
    pub column: Option<String>,
    pub kicker: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    /// Markdown level of the title line, if the page is markdown.
    pub title_level: Option<u8>,
}

/// Endings of a kicker line, which introduces the title.
const KICKER_ENDINGS: &[&str] = &["强调", "指出", "表示", "要求", "——", "—", "：", ":"];
/// Endings of a subtitle saying who attended or presided.
const ATTENDANCE_ENDINGS: &[&str] = &["出席", "参加", "主持", "列席", "讲话", "致辞", "出席会议", "参加会议", "陪同"];

fn chars(text: &str) -> usize {
    text.chars().count()
}

fn is_kicker(text: &str) -> bool {
    KICKER_ENDINGS.iter().any(|end| text.ends_with(end))
}

fn is_subtitle_marker(text: &str) -> bool {
    text.starts_with('—') || (chars(text) <= 24 && ATTENDANCE_ENDINGS.iter().any(|end| text.ends_with(end)))
}

/// Splits a stack of heading lines into column, kicker, title and subtitle.
pub fn split_heading_stack(lines: Vec<HeadingLine>) -> HeadingStack {
    let cleaned: Vec<String> = lines.iter().map(|l| clean_heading(&l.text)).collect();
    let levels: Vec<Option<u8>> = lines.iter().map(|l| l.level).collect();
    if cleaned.is_empty() {
        return HeadingStack::default();
    }
    let mut start = 0;
    let mut column = None;
    if cleaned.len() >= 2 {
        let (first, next) = (&cleaned[0], &cleaned[1]);
        let markdown_label = matches!((levels[0], levels[1]), (Some(a), Some(b)) if a > b) && chars(first) <= 8;
        let plain_label =
            levels[0].is_none() && chars(first) <= 6 && chars(next) >= 2 * chars(first) && !is_kicker(first);
        // A numbered series label: `聚焦脱贫攻坚⑦`.
        let series_label = first.chars().last().is_some_and(|c| ('①'..='⑳').contains(&c));
        if markdown_label || plain_label || series_label {
            column = Some(first.clone());
            start = 1;
        }
    }
    let rest: Vec<usize> = (start..cleaned.len()).collect();
    let candidates: Vec<usize> =
        rest.iter().copied().filter(|&i| !is_kicker(&cleaned[i]) && !is_subtitle_marker(&cleaned[i])).collect();
    let join = |range: &[usize]| {
        let parts: Vec<&str> = range.iter().map(|&i| cleaned[i].as_str()).filter(|p| !p.is_empty()).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    let all_short = rest.len() >= 2 && rest.iter().all(|&i| chars(&cleaned[i]) <= 5 && levels[i].is_none());
    if all_short {
        return HeadingStack { column, title: join(&rest), ..HeadingStack::default() };
    }
    let title_index = if candidates.is_empty() {
        rest[0]
    } else if candidates.iter().any(|&i| levels[i].is_some()) {
        // Markdown: the last heading that is neither kicker nor subtitle is the
        // main claim; the ones before it give context.
        candidates[candidates.len() - 1]
    } else {
        let first = candidates[0];
        let longest_later = candidates.iter().copied().skip(1).max_by_key(|&i| chars(&cleaned[i]));
        match longest_later {
            // A short line over a much longer one is a kicker, not the title.
            Some(later) if chars(&cleaned[first]) <= 10 && chars(&cleaned[later]) * 2 >= chars(&cleaned[first]) * 3 => {
                later
            }
            _ => first,
        }
    };
    let position = rest.iter().position(|&i| i == title_index).unwrap_or(0);
    HeadingStack {
        column,
        kicker: join(&rest[..position]),
        title: join(&rest[position..=position]),
        subtitle: join(&rest[position + 1..]),
        title_level: levels[title_index],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(lines: &[(&str, Option<u8>)]) -> HeadingStack {
        split_heading_stack(lines.iter().map(|(t, l)| HeadingLine { text: t.to_string(), level: *l }).collect())
    }

    fn parts(stack: &HeadingStack) -> [Option<&str>; 4] {
        [stack.column.as_deref(), stack.kicker.as_deref(), stack.title.as_deref(), stack.subtitle.as_deref()]
    }

    #[test]
    fn kicker_title_subtitle() {
        let s = stack(&[
            ("楼阳生在参加义务植树活动时强调", None),
            ("践行践行““两山两山””理论理论 发扬右玉精神发扬右玉精神", None),
            ("林武蓝佛安参加", None),
        ]);
        assert_eq!(
            parts(&s),
            [None, Some("楼阳生在参加义务植树活动时强调"), Some("践行“两山”理论 发扬右玉精神"), Some("林武蓝佛安参加")]
        );
    }

    #[test]
    fn title_then_longer_subtitle() {
        let s = stack(&[
            ("山西省第六届“万步有约”健走激励大赛启动", None),
            ("涵盖精英赛、拓展赛、健康体重大赛等多个项目", None),
        ]);
        assert_eq!(
            parts(&s),
            [
                None,
                None,
                Some("山西省第六届“万步有约”健走激励大赛启动"),
                Some("涵盖精英赛、拓展赛、健康体重大赛等多个项目")
            ]
        );
    }

    #[test]
    fn short_line_over_a_long_one_is_a_kicker_and_a_tiny_first_line_a_column() {
        let s = stack(&[("最高奖励30万元", None), ("清徐县开放煤矿 重大隐患举报通道", None)]);
        assert_eq!(parts(&s), [None, Some("最高奖励30万元"), Some("清徐县开放煤矿 重大隐患举报通道"), None]);
        let s = stack(&[("政务之要", None), ("市领导赴迎泽区 调研督导工作", None)]);
        assert_eq!(parts(&s), [Some("政务之要"), None, Some("市领导赴迎泽区 调研督导工作"), None]);
    }

    #[test]
    fn markdown_levels() {
        let s = stack(&[
            ("市委十五届十次全会暨市委经济工作会议精神激励全市广大干部群众——", Some(1)),
            ("织民生保障网 温暖百姓生活", Some(2)),
        ]);
        assert_eq!(s.kicker.as_deref(), Some("市委十五届十次全会暨市委经济工作会议精神激励全市广大干部群众——"));
        assert_eq!(s.title.as_deref(), Some("织民生保障网 温暖百姓生活"));
        let s = stack(&[("省两会专访", Some(3)), ("市图书馆推出线上图书与讲座", Some(2))]);
        assert_eq!(parts(&s), [Some("省两会专访"), None, Some("市图书馆推出线上图书与讲座"), None]);
        let s = stack(&[("严格管控筑牢防线 全力做好疫情防控", Some(2)), ("本市26个基层医疗机构设置发热诊室", Some(3))]);
        assert_eq!(
            parts(&s),
            [None, Some("严格管控筑牢防线 全力做好疫情防控"), Some("本市26个基层医疗机构设置发热诊室"), None]
        );
        let s = stack(&[
            ("“三大宣传战役”。聚焦脱贫攻坚⑦", Some(2)),
            ("——深入贯彻落实重要讲话重要指示", None),
            ("“多亏支部给咱建起了大市场”", Some(2)),
        ]);
        assert_eq!(s.title.as_deref(), Some("“多亏支部给咱建起了大市场”"));
        assert_eq!(s.subtitle, None);
    }

    #[test]
    fn short_pairs_are_one_title() {
        let s = stack(&[("抓时节", None), ("忙养护", None)]);
        assert_eq!(s.title.as_deref(), Some("抓时节 忙养护"));
    }
}
