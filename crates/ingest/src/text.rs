//! Text repair for extracted page text: unwrapping hard-wrapped lines,
//! removing layout spaces around CJK characters, undoing letter-spaced and
//! doubled-bold headings. Pure functions on strings.

/// Returns true for Han characters and CJK/full-width punctuation, the
/// characters next to which a space is layout rather than content.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'
        | '\u{3000}'..='\u{303F}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF65}'
        | '\u{20000}'..='\u{3134F}'
        | '“' | '”' | '‘' | '’' | '—' | '…' | '·' | '•' | '■' | '●' | '◆' | '▲' | '★'
    )
}

/// Returns true for Han characters only.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// Whitespace as it appears in extracted text (ASCII, ideographic, no-break).
pub fn is_layout_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}'
}

/// Trims layout whitespace at both ends.
pub fn trim_layout(text: &str) -> &str {
    text.trim_matches(is_layout_space)
}

/// Joins hard-wrapped lines: CJK text joins directly, Latin words and digits
/// that meet keep one space.
pub fn join_wrapped<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut joined = String::new();
    for line in lines {
        let line = trim_layout(line);
        if line.is_empty() {
            continue;
        }
        if let (Some(last), Some(first)) = (joined.chars().last(), line.chars().next()) {
            if !is_cjk(last) && !is_cjk(first) {
                joined.push(' ');
            }
        }
        joined.push_str(line);
    }
    joined
}

/// Removes whitespace next to CJK characters (layout, not content) and
/// collapses other whitespace runs to one space. One pass over the text:
/// the runs are found in place and the text between them copied whole.
pub fn remove_layout_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The last character before the current run (never a space: runs are maximal).
    let mut before: Option<char> = None;
    let mut rest = text;
    while let Some(run_start) = rest.find(is_layout_space) {
        let (kept, run) = rest.split_at(run_start);
        out.push_str(kept);
        before = kept.chars().next_back().or(before);
        rest = run.trim_start_matches(is_layout_space);
        let keep = match (before, rest.chars().next()) {
            (Some(b), Some(a)) => !is_cjk(b) && !is_cjk(a),
            _ => false,
        };
        if keep {
            out.push(' ');
        }
    }
    out.push_str(rest);
    out
}

/// Cleans a heading line: undoes doubled bold and letter-spacing, removes
/// spaces next to digits and punctuation, keeps one space between clauses.
pub fn clean_heading(line: &str) -> String {
    let line = trim_layout(line);
    let undoubled = undo_doubling(line).unwrap_or_else(|| line.to_string());
    let tokens: Vec<&str> = undoubled.split(is_layout_space).filter(|t| !t.is_empty()).collect();
    if tokens.is_empty() {
        return String::new();
    }
    let single = tokens.iter().filter(|t| t.chars().count() == 1).count();
    let letter_spaced = tokens.len() >= 3 && single * 10 >= tokens.len() * 7;
    let mut out = String::new();
    for (position, token) in tokens.iter().enumerate() {
        if position > 0 {
            let previous = tokens[position - 1];
            let last = previous.chars().last().unwrap_or(' ');
            let first = token.chars().next().unwrap_or(' ');
            let clause_break = is_han(last)
                && is_han(first)
                && previous.chars().count() >= 2
                && token.chars().count() >= 2
                && !letter_spaced;
            let latin_words = !is_cjk(last) && !is_cjk(first);
            if clause_break || latin_words {
                out.push(' ');
            }
        }
        out.push_str(token);
    }
    out
}

/// Longest line checked for doubled bold text.
const MAX_DOUBLED_CHARS: usize = 160;

/// Undoes the extractor's doubling of bold text, where every run of a heading
/// is printed twice (`践行践行““两山两山””` -> `践行“两山”`). Each
/// whitespace-separated segment must consist entirely of doubled runs
/// (trailing Latin letters excepted, e.g. a column code); otherwise `None`.
pub fn undo_doubling(line: &str) -> Option<String> {
    // Doubled headings are short; the search below is cubic in the length.
    if line.chars().count() > MAX_DOUBLED_CHARS {
        return None;
    }
    let mut out = Vec::new();
    let mut any = false;
    for segment in line.split(is_layout_space).filter(|s| !s.is_empty()) {
        let chars: Vec<char> = segment.chars().collect();
        let core_length = chars.len() - chars.iter().rev().take_while(|c| c.is_ascii_alphanumeric()).count();
        let (core, tail) = chars.split_at(core_length);
        let only_code = core.is_empty() && !tail.is_empty();
        if core.len() < 4 && !only_code {
            return None;
        }
        let undoubled = if core.is_empty() { Vec::new() } else { halve_doubled_runs(core)? };
        any |= !core.is_empty();
        let mut rebuilt: String = undoubled.into_iter().collect();
        rebuilt.extend(tail.iter());
        out.push(rebuilt);
    }
    if any {
        Some(out.join(" "))
    } else {
        None
    }
}

/// Splits `chars` into consecutive pairs of equal runs (`x x y y …`) using as
/// few runs as possible, and returns one copy of each run; `None` when no
/// such split exists.
fn halve_doubled_runs(chars: &[char]) -> Option<Vec<char>> {
    let length = chars.len();
    // best[i]: fewest runs that split chars[..i]; from[i]: start of the last pair.
    let mut best: Vec<Option<usize>> = vec![None; length + 1];
    let mut from = vec![0usize; length + 1];
    best[0] = Some(0);
    for end in (2..=length).step_by(2) {
        for start in (0..end).step_by(2).rev() {
            let Some(runs) = best[start] else { continue };
            let half = (end - start) / 2;
            if chars[start..start + half] == chars[start + half..end] && best[end].is_none_or(|b| runs + 1 < b) {
                best[end] = Some(runs + 1);
                from[end] = start;
            }
        }
    }
    best[length]?;
    let mut runs = Vec::new();
    let mut end = length;
    while end > 0 {
        let start = from[end];
        runs.push(&chars[start..start + (end - start) / 2]);
        end = start;
    }
    Some(runs.into_iter().rev().flatten().copied().collect())
}

/// Returns true when a text ends a sentence (so the next line starts a new paragraph).
pub fn ends_sentence(text: &str) -> bool {
    let mut chars = trim_layout(text).chars().rev();
    let Some(last) = chars.next() else {
        return false;
    };
    if matches!(last, '。' | '！' | '？' | '!' | '?' | '…' | '；') {
        return true;
    }
    if matches!(last, '”' | '’' | '」' | '』' | '）' | ')' | '》') {
        return chars.next().is_some_and(|c| matches!(c, '。' | '！' | '？' | '!' | '?' | '…'))
            || (last == '）' && text.contains('（') && ends_with_signature(text));
    }
    false
}

/// Returns true when a paragraph ends with a bracketed signature like `（梁涛）`.
pub fn ends_with_signature(text: &str) -> bool {
    signature_at_end(text).is_some()
}

/// Returns the names in a trailing signature such as `（梁涛）` or
/// `（张晋峰、刘海君）`, if any.
pub fn signature_at_end(text: &str) -> Option<Vec<&str>> {
    let text = trim_layout(text);
    let inner = text.strip_suffix('）')?;
    let open = inner.rfind('（')?;
    let names: Vec<&str> = inner[open + '（'.len_utf8()..].split('、').collect();
    let plausible = |name: &&str| {
        (2..=4).contains(&name.chars().count())
            && name.chars().all(is_han)
            && !name.ends_with('摄')
            && !is_column_label(name)
    };
    (!names.is_empty() && names.len() <= 4 && names.iter().all(plausible)).then_some(names)
}

/// Returns true for a column's or genre's label printed where a signature
/// could stand (`今日谈`, `社论`, `短评`, `编者按`, `按语`): up to three
/// characters ending in a word for talk, comment or note.
pub fn is_column_label(word: &str) -> bool {
    word.chars().count() <= 3 && word.ends_with(['谈', '论', '评', '按', '语'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_cjk_without_space_and_latin_with_one() {
        assert_eq!(
            join_wrapped(["今年，我省侯马市成功申办成", "为全国第六届"]),
            "今年，我省侯马市成功申办成为全国第六届"
        );
        assert_eq!(join_wrapped(["数字", "GIS平台"]), "数字GIS平台");
        assert_eq!(join_wrapped(["the quick", "brown fox"]), "the quick brown fox");
    }

    #[test]
    fn removes_layout_spaces_around_cjk_only() {
        assert_eq!(remove_layout_spaces("5450.93 万 亩 ，森 林 覆 盖 率"), "5450.93万亩，森林覆盖率");
        assert_eq!(remove_layout_spaces("CNNIC 3 日在京"), "CNNIC 3日在京");
    }

    /// The one-pass version gives what the former character-vector walk
    /// gave, on texts made of every kind of neighbour a space can have.
    #[test]
    fn removing_layout_spaces_in_one_pass_equals_the_character_walk() {
        fn by_characters(text: &str) -> String {
            let chars: Vec<char> = text.chars().collect();
            let mut out = String::with_capacity(text.len());
            let mut index = 0;
            while index < chars.len() {
                let c = chars[index];
                if !is_layout_space(c) {
                    out.push(c);
                    index += 1;
                    continue;
                }
                let run_end =
                    chars[index..].iter().position(|&c| !is_layout_space(c)).map_or(chars.len(), |p| index + p);
                let keep = match (out.chars().last(), chars.get(run_end).copied()) {
                    (Some(b), Some(a)) => !is_cjk(b) && !is_cjk(a),
                    _ => false,
                };
                if keep {
                    out.push(' ');
                }
                index = run_end;
            }
            out
        }
        let parts = ["万", "亩", "，", "A", "3", ".", " ", "  ", "\u{3000}", "\u{a0}", "\t", "“", "é", "\n"];
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next() % 12 {
                text.push_str(parts[next() % parts.len()]);
            }
            assert_eq!(remove_layout_spaces(&text), by_characters(&text), "{text:?}");
        }
    }

    #[test]
    fn undoes_doubled_bold_runs_only_when_whole_heading_is_doubled() {
        assert_eq!(
            undo_doubling("践行践行““两山两山””理论理论 发扬右玉精神发扬右玉精神").as_deref(),
            Some("践行“两山”理论 发扬右玉精神")
        );
        assert_eq!(undo_doubling("就地过年就地过年 暖在身边暖在身边JZ").as_deref(), Some("就地过年 暖在身边JZ"));
        assert_eq!(undo_doubling("我和和平一起"), None);
        assert_eq!(undo_doubling("谢谢"), None);
    }

    #[test]
    fn cleans_letter_spaced_and_clause_spaced_headings() {
        assert_eq!(clean_heading("市 政 协 召 开 党 组 会 议"), "市政协召开党组会议");
        assert_eq!(clean_heading("讲好山西故事 展示山西形象"), "讲好山西故事 展示山西形象");
        assert_eq!(clean_heading("市政协召开 63 次主席会议"), "市政协召开63次主席会议");
        assert_eq!(clean_heading("—— 我市以特色活动为载体"), "——我市以特色活动为载体");
    }

    #[test]
    fn recognises_sentence_ends_and_signatures() {
        assert!(ends_sentence("较往届更加新颖独特。"));
        assert!(ends_sentence("“武云龙说。”"));
        assert!(!ends_sentence("今年，我省侯马市成功申办成"));
        assert!(ends_sentence("以实际行动迎接党的二十大胜利召开。（梁涛）"));
        assert_eq!(signature_at_end("胜利召开。（梁涛）"), Some(vec!["梁涛"]));
        assert_eq!(signature_at_end("。（张晋峰、刘海君）"), Some(vec!["张晋峰", "刘海君"]));
        assert_eq!(signature_at_end("村（居）"), None);
        assert_eq!(signature_at_end("把好事办实。（今日谈）"), None, "a column label signs nothing");
        assert_eq!(signature_at_end("维护稳定。（社论）"), None);
    }
}
