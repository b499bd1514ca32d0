//! Jump lines: where a story continues (`（下转第2版）`, `转第三版`,
//! `详见第4版`) or where it comes from (`（上接第1版）`, `（紧接第一版）`,
//! `（续第一版）`). Page numbers in Arabic, full-width or Chinese numerals.

use std::sync::LazyLock;

use regex::Regex;

/// Which way a jump line points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpDirection {
    /// The story continues on the target page.
    To,
    /// The story continues from the target page.
    From,
}

/// A parsed jump line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jump {
    pub direction: JumpDirection,
    pub page: i32,
}

static JUMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<verb>下转|上接|紧接|详见|转|接|续|见)\s*第?\s*(?P<page>[0-9０-９〇零一二两三四五六七八九十]{1,4})\s*[版页面]")
        .expect("jump regex")
});

/// Parses a jump line; `None` when it names no page.
pub fn parse_jump(text: &str) -> Option<Jump> {
    let captures = JUMP.captures(text)?;
    let page = page_number(&captures["page"])?;
    let direction = match &captures["verb"] {
        "上接" | "紧接" | "接" | "续" => JumpDirection::From,
        _ => JumpDirection::To,
    };
    Some(Jump { direction, page })
}

/// Reads `2`, `２`, `十二`, `二十` as a page number (1 to 999).
fn page_number(text: &str) -> Option<i32> {
    let digits: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    if let Ok(number) = digits.parse::<i32>() {
        return (1..1000).contains(&number).then_some(number);
    }
    let digit = |c: char| {
        "〇一二三四五六七八九".find(c).map(|byte| (byte / 3) as i32).or(match c {
            '零' => Some(0),
            '两' => Some(2),
            _ => None,
        })
    };
    let chars: Vec<char> = text.chars().collect();
    let number = match chars.as_slice() {
        [single] if *single == '十' => 10,
        [single] => digit(*single)?,
        ['十', ones] => 10 + digit(*ones)?,
        [tens, '十'] => digit(*tens)? * 10,
        [tens, '十', ones] => digit(*tens)? * 10 + digit(*ones)?,
        _ => return None,
    };
    (1..1000).contains(&number).then_some(number)
}

/// The pages an article continues on and continues from, each sorted and unique.
pub fn jump_targets(jumps: &[String]) -> (Vec<i32>, Vec<i32>) {
    let mut to = Vec::new();
    let mut from = Vec::new();
    for jump in jumps.iter().filter_map(|text| parse_jump(text)) {
        match jump.direction {
            JumpDirection::To => to.push(jump.page),
            JumpDirection::From => from.push(jump.page),
        }
    }
    for list in [&mut to, &mut from] {
        list.sort_unstable();
        list.dedup();
    }
    (to, from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_jump_lines() {
        let to = |page| Some(Jump { direction: JumpDirection::To, page });
        let from = |page| Some(Jump { direction: JumpDirection::From, page });
        assert_eq!(parse_jump("（下转第2版）"), to(2));
        assert_eq!(parse_jump("（上接第1版）"), from(1));
        assert_eq!(parse_jump("（紧接第一版）"), from(1));
        assert_eq!(parse_jump("见第三版"), to(3));
        assert_eq!(parse_jump("（转第十二版）"), to(12));
        assert_eq!(parse_jump("(续第２版)"), from(2));
        assert_eq!(parse_jump("（详见第二十版）"), to(20));
        assert_eq!(parse_jump("（下转第0版）"), None);
        assert_eq!(parse_jump("第二版"), None);
    }

    #[test]
    fn targets_are_split_by_direction() {
        let jumps = vec!["（下转第2版）".to_string(), "（上接第1版）".into(), "（下转第2版）".into()];
        assert_eq!(jump_targets(&jumps), (vec![2], vec![1]));
    }
}
