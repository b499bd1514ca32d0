//! Builds a deterministic corpus of newspaper page files from real sentences:
//! headlines (with kickers and subtitles), datelines and bylines, hard-wrapped
//! columns, photo captions, and stories continued from the front page on a
//! later page of the same issue (`（下转第N版）` … `（上接第1版）`), under
//! `<paper>/<YYYY-MM-DD>/<page>.txt` with papers and dates spread over
//! 2000–2024. The same seed gives the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};

use crate::sources::Sources;

/// Papers and the city their datelines name.
const PAPERS: [(&str, &str); 12] = [
    ("山西日报", "太原"),
    ("晋中日报", "晋中"),
    ("太原日报", "太原"),
    ("大同日报", "大同"),
    ("河北日报", "石家庄"),
    ("南方日报", "广州"),
    ("浙江日报", "杭州"),
    ("四川日报", "成都"),
    ("湖北日报", "武汉"),
    ("辽宁日报", "沈阳"),
    ("新华日报", "南京"),
    ("福建日报", "福州"),
];
/// Common surnames (and a few rare ones), for composed person names.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤贠";
/// Pages per issue.
const PAGES_PER_ISSUE: usize = 8;
/// File listing rare names quoted in bodies (one a line), for the query mix.
pub const RARE_NAMES: &str = "rare-names.txt";
/// Name of the manifest written next to the pages.
pub const MANIFEST: &str = "corpus.json";
/// The jump line opening a later part of a front-page story.
const CONTINUED_FROM_FRONT: &str = "（上接第1版）";
/// Version of the page layout; a corpus written by another version is rebuilt.
/// 2: front-page jumps have their continuation on the page they name.
/// 3: bylines name a paper's staff reporters (or Xinhua's), not a fresh name each.
const LAYOUT_VERSION: u64 = 3;
/// Reporters on each paper's staff. A regional daily's bylines name a few
/// hundred reporters again and again over the years.
const STAFF_PER_PAPER: usize = 300;
/// Xinhua reporters, whose wire stories every paper prints.
const WIRE_REPORTERS: usize = 500;

/// A small deterministic generator (SplitMix64): same seed, same corpus, on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next_u64() % (high - low + 1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// What a corpus build wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusSummary {
    pub pages: usize,
    pub articles: usize,
    pub bytes: u64,
    pub seed: u64,
    /// Later parts of front-page stories written (`（上接第1版）`).
    pub continuations: usize,
}

impl CorpusSummary {
    fn to_json(self) -> String {
        format!(
            "{{\"pages\": {}, \"articles\": {}, \"bytes\": {}, \"seed\": {}, \"continuations\": {}, \"layout\": {LAYOUT_VERSION}}}\n",
            self.pages, self.articles, self.bytes, self.seed, self.continuations
        )
    }

    /// Reads the manifest of a built corpus, if there is one.
    pub fn read(dir: &Path) -> Option<CorpusSummary> {
        let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(MANIFEST)).ok()?).ok()?;
        let number = |key: &str| value.get(key).and_then(|v| v.as_u64());
        if number("layout") != Some(LAYOUT_VERSION) {
            return None;
        }
        Some(CorpusSummary {
            pages: number("pages")? as usize,
            articles: number("articles")? as usize,
            bytes: number("bytes")?,
            seed: number("seed")?,
            continuations: number("continuations")? as usize,
        })
    }
}

/// Where page `index` goes, with its paper, date and page number.
pub fn page_place(index: usize, total_pages: usize) -> (&'static str, &'static str, NaiveDate, usize) {
    let (paper, city) = PAPERS[index % PAPERS.len()];
    let issue = index / (PAPERS.len() * PAGES_PER_ISSUE);
    let issues = total_pages.div_ceil(PAPERS.len() * PAGES_PER_ISSUE).max(1);
    let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let span_days = 9131; // 2000-01-01 ..= 2024-12-31
    let step = (span_days / issues as i64).max(1);
    let date = start + Duration::days(issue as i64 * step);
    let page = (index / PAPERS.len()) % PAGES_PER_ISSUE + 1;
    (paper, city, date, page)
}

/// Appends `text` hard-wrapped at `width` characters.
fn wrap(text: &str, width: usize, out: &mut String) {
    let mut column = 0;
    for c in text.chars() {
        // Closing punctuation never starts a line (as typesetters do).
        if column >= width && !matches!(c, '，' | '。' | '、' | '；' | '：' | '？' | '！' | '”' | '）' | '》')
        {
            out.push('\n');
            column = 0;
        }
        out.push(c);
        column += 1;
    }
    out.push('\n');
}

/// A person name: a surname and one or two given-name characters seen in
/// real names (millions of combinations, so most names are rare).
fn person_name(rng: &mut Rng, sources: &Sources) -> String {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let mut name = String::new();
    name.push(*rng.pick(&surnames));
    for _ in 0..if rng.chance(75) { 2 } else { 1 } {
        name.push(*rng.pick(&sources.given_chars));
    }
    name
}

/// Reporter `number` of a staff (`staff`: a paper's index in [`PAPERS`], or
/// `PAPERS.len()` for Xinhua): the same name for the same corpus seed.
fn reporter(seed: u64, staff: usize, number: usize, sources: &Sources) -> String {
    let mut rng = Rng::new(seed ^ ((staff as u64 + 1) << 40) ^ (number as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    person_name(&mut rng, sources)
}

/// The reporters a story credits: one of the staff's `size`, sometimes two.
/// Some write far more than others: reporter `k` is drawn with a chance that
/// falls as `k` grows (the square of a uniform draw picks the number).
fn byline(rng: &mut Rng, seed: u64, staff: usize, size: usize, sources: &Sources) -> Vec<String> {
    let mut authors: Vec<String> = Vec::new();
    for _ in 0..if rng.chance(20) { 2 } else { 1 } {
        let uniform = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let number = ((uniform * uniform * size as f64) as usize).min(size - 1);
        let name = reporter(seed, staff, number, sources);
        if !authors.contains(&name) {
            authors.push(name);
        }
    }
    authors
}

/// One paragraph of 1 to 4 sentences, sometimes ending with a quote; the
/// names quoted are added to `quoted`.
fn paragraph(rng: &mut Rng, sources: &Sources, quoted: &mut Vec<String>) -> String {
    let mut text = String::new();
    for _ in 0..rng.between(1, 4) {
        text.push_str(rng.pick::<String>(&sources.sentences));
    }
    if rng.chance(25) {
        let said = rng.pick::<String>(&sources.sentences);
        let said = said.strip_suffix('。').unwrap_or(said);
        let name = person_name(rng, sources);
        let _ = write!(text, "“{said}，”{name}说。");
        quoted.push(name);
    }
    text
}

/// How one page is laid out.
struct PageLayout<'a> {
    /// The corpus seed and the paper's index in [`PAPERS`] (its staff).
    seed: u64,
    paper: usize,
    city: &'a str,
    date: NaiveDate,
    /// Characters per column line.
    width: usize,
    /// Headlines printed after their body on this page.
    headline_after: bool,
}

/// A front-page story continued on a later page of the same issue.
#[derive(Debug, Clone, PartialEq)]
struct Jump {
    /// Page the story continues on.
    page: usize,
    headline: String,
}

/// The jumps of the front page `front` (a page index): none to two, for its
/// first stories. They depend on the seed and the page alone, so the page a
/// story continues on writes the matching part without the front page's state.
fn front_page_jumps(seed: u64, front: usize, sources: &Sources) -> Vec<Jump> {
    let mut rng = Rng::new(seed.wrapping_mul(7_000_003).wrapping_add(front as u64) ^ 0x6A75_6D70);
    (0..rng.between(0, 2))
        .map(|_| Jump { page: rng.between(2, PAGES_PER_ISSUE), headline: rng.pick(&sources.headlines).clone() })
        .collect()
}

/// Paragraphs of body text, the first one opening with `opening`.
fn write_paragraphs(
    rng: &mut Rng,
    sources: &Sources,
    opening: &str,
    count: usize,
    width: usize,
    out: &mut String,
    quoted: &mut Vec<String>,
) {
    for index in 0..count {
        let mut text = if index == 0 { opening.to_string() } else { String::new() };
        text.push_str(&paragraph(rng, sources, quoted));
        wrap(&text, width, out);
        out.push('\n');
    }
}

/// Writes the later part of a front-page story: the headline repeated (on
/// pages that print headlines first; otherwise none), `（上接第1版）`, and text.
fn write_continuation(
    rng: &mut Rng,
    sources: &Sources,
    layout: &PageLayout<'_>,
    jump: &Jump,
    out: &mut String,
    quoted: &mut Vec<String>,
) {
    if !layout.headline_after {
        let _ = writeln!(out, "{}\n", jump.headline);
    }
    out.push_str(CONTINUED_FROM_FRONT);
    out.push('\n');
    let paragraphs = rng.between(1, 4);
    write_paragraphs(rng, sources, "", paragraphs, layout.width, out, quoted);
}

/// Writes one article (or photo) of a page; `jump`: a front-page story that
/// continues on another page.
fn write_article(
    rng: &mut Rng,
    sources: &Sources,
    layout: &PageLayout<'_>,
    jump: Option<&Jump>,
    out: &mut String,
    quoted: &mut Vec<String>,
) {
    let PageLayout { seed, paper, city, date, width, headline_after } = *layout;
    if jump.is_none() && rng.chance(8) {
        // A photo: caption with a credit, and a short title above it.
        out.push_str(rng.pick::<String>(&sources.headlines));
        out.push_str("\n\n");
        let caption = format!("{}{} 摄", rng.pick(sources.sentences.as_slice()), rng.pick(sources.names.as_slice()));
        wrap(&caption, width, out);
        out.push('\n');
        return;
    }
    let mut heading = String::new();
    if rng.chance(20) {
        let _ = writeln!(heading, "{}", rng.pick(sources.headlines.as_slice()));
    }
    let _ = writeln!(heading, "{}", jump.map_or_else(|| rng.pick(sources.headlines.as_slice()), |jump| &jump.headline));
    if rng.chance(15) {
        let _ = writeln!(heading, "——{}", rng.pick(sources.headlines.as_slice()));
    }
    if !headline_after {
        out.push_str(&heading);
        out.push('\n');
    }
    let (month, day) = (date.month(), date.day());
    let opening = match rng.between(0, 9) {
        0..=4 => {
            let authors = byline(rng, seed, paper, STAFF_PER_PAPER, sources).join("、");
            format!("本报{city}{month}月{day}日讯（记者 {authors}）")
        }
        5 => {
            let authors = byline(rng, seed, PAPERS.len(), WIRE_REPORTERS, sources).join("、");
            format!("新华社北京{month}月{day}日电（记者 {authors}）")
        }
        6 | 7 => {
            let authors = byline(rng, seed, paper, STAFF_PER_PAPER, sources).join(" ");
            let _ = writeln!(out, "本报记者 {authors}\n");
            String::new()
        }
        _ => "本报讯 ".to_string(),
    };
    let paragraphs = rng.between(1, 6);
    write_paragraphs(rng, sources, &opening, paragraphs, width, out, quoted);
    if let Some(jump) = jump {
        let _ = writeln!(out, "（下转第{}版）\n", jump.page);
    }
    if headline_after {
        out.push_str(&heading);
        out.push('\n');
    }
}

/// Builds the text of page `index` holding `articles` items, and the names quoted on it.
pub fn page_text(
    seed: u64,
    index: usize,
    total_pages: usize,
    articles: usize,
    sources: &Sources,
) -> (String, Vec<String>) {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    let (_, city, date, page) = page_place(index, total_pages);
    let layout = PageLayout {
        seed,
        paper: index % PAPERS.len(),
        city,
        date,
        width: rng.between(12, 20),
        headline_after: rng.chance(15),
    };
    let mut out = String::new();
    let mut quoted = Vec::new();
    // The front page's first stories jump; a later page opens with the parts
    // continued on it (each takes one of the page's article slots).
    let front = index - (page - 1) * PAPERS.len();
    let jumps = front_page_jumps(seed, front, sources);
    let mut slots = 0..articles;
    if page > 1 {
        for jump in jumps.iter().filter(|jump| jump.page == page) {
            if slots.next().is_some() {
                write_continuation(&mut rng, sources, &layout, jump, &mut out, &mut quoted);
            }
        }
    }
    for slot in slots {
        let jump = if page == 1 { jumps.get(slot) } else { None };
        write_article(&mut rng, sources, &layout, jump, &mut out, &mut quoted);
    }
    (out, quoted)
}

/// Articles on each page: 3 to 8, the last page taking the remainder.
pub fn page_sizes(seed: u64, articles: usize) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut sizes = Vec::new();
    let mut left = articles;
    while left > 0 {
        let size = rng.between(3, 8).min(left);
        sizes.push(size);
        left -= size;
    }
    sizes
}

/// The file of page `index` under `dir`.
pub fn page_path(dir: &Path, index: usize, total_pages: usize) -> PathBuf {
    let (paper, _, date, page) = page_place(index, total_pages);
    dir.join(paper).join(date.format("%Y-%m-%d").to_string()).join(format!("{page}.txt"))
}

/// Writes the corpus under `dir` (reusing it when its manifest matches).
pub fn build(dir: &Path, articles: usize, seed: u64, sources: &Sources) -> std::io::Result<CorpusSummary> {
    if let Some(existing) = CorpusSummary::read(dir) {
        if existing.articles == articles && existing.seed == seed {
            return Ok(existing);
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let sizes = page_sizes(seed, articles);
    let mut bytes = 0u64;
    let mut continuations = 0;
    let mut rare_names = String::new();
    let sample_every = (sizes.len() / 4).max(1);
    for (index, size) in sizes.iter().enumerate() {
        let path = page_path(dir, index, sizes.len());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let (text, quoted) = page_text(seed, index, sizes.len(), *size, sources);
        if index % sample_every == 0 {
            if let Some(name) = quoted.iter().find(|name| name.chars().count() == 3) {
                rare_names.push_str(name);
                rare_names.push('\n');
            }
        }
        bytes += text.len() as u64;
        continuations += text.matches(CONTINUED_FROM_FRONT).count();
        std::fs::write(&path, text)?;
    }
    let summary = CorpusSummary { pages: sizes.len(), articles, bytes, seed, continuations };
    std::fs::write(dir.join(RARE_NAMES), rare_names)?;
    std::fs::write(dir.join(MANIFEST), summary.to_json())?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_places_are_unique() {
        let total = 5000;
        let mut seen = std::collections::HashSet::new();
        for index in 0..total {
            assert!(seen.insert(page_path(Path::new("x"), index, total)), "page {index} repeats a place");
        }
    }

    #[test]
    fn bylines_name_a_staff_whose_reporters_recur() {
        let sources = Sources {
            sentences: vec!["全省经济运行总体平稳。".into()],
            headlines: vec!["全省重点工程建设推进会召开".into()],
            names: vec!["王晓华".into()],
            given_chars: "晓华明强伟芳军磊静丽勇杰涛艳娜".chars().collect(),
        };
        let credits = |seed: u64, staff: usize| -> std::collections::HashMap<String, usize> {
            let mut rng = Rng::new(seed);
            let mut counts = std::collections::HashMap::new();
            for _ in 0..20_000 {
                for name in byline(&mut rng, 7, staff, STAFF_PER_PAPER, &sources) {
                    *counts.entry(name).or_insert(0) += 1;
                }
            }
            counts
        };
        let first = credits(1, 0);
        assert_eq!(first, credits(1, 0), "the same seed credits the same reporters");
        let total: usize = first.values().sum();
        assert!(total > 20_000, "some stories credit two reporters: {total} credits");
        assert!(
            (100..=STAFF_PER_PAPER).contains(&first.len()),
            "20,000 stories of one paper credit its staff of {STAFF_PER_PAPER}, not {} names",
            first.len()
        );
        let busiest = first.values().max().copied().unwrap_or(0);
        assert!(busiest >= 5 * total / first.len(), "the busiest reporter ({busiest}) writes far more than the mean");
        let other = credits(1, 1);
        let shared = first.keys().filter(|name| other.contains_key(*name)).count();
        assert!(shared < 30, "two papers' staffs are different people ({shared} names shared)");
    }

    #[test]
    fn front_page_jumps_are_continued_on_the_page_they_name() {
        let sources = Sources {
            sentences: ["今年以来，全省经济运行总体平稳。", "项目建设稳步推进！", "群众满意度持续提高。"]
                .map(String::from)
                .to_vec(),
            headlines: (0..50).map(|n| format!("全省重点工程建设推进会召开之{n}")).collect(),
            names: vec!["王晓华".into()],
            given_chars: "晓华明强".chars().collect(),
        };
        let total = 12 * 8 * 20;
        let mut continued = 0;
        for front in (0..total).filter(|index| page_place(*index, total).3 == 1) {
            let (front_text, _) = page_text(3, front, total, 6, &sources);
            for jump in front_page_jumps(3, front, &sources) {
                assert!(
                    front_text.contains(&format!("（下转第{}版）", jump.page)),
                    "front page {front} lacks its jump"
                );
                assert!(front_text.contains(&jump.headline), "front page {front} lacks the jumping headline");
                let later = front + (jump.page - 1) * PAPERS.len();
                assert_eq!(page_place(later, total).0, page_place(front, total).0, "same paper");
                assert_eq!(page_place(later, total).2, page_place(front, total).2, "same issue");
                let (later_text, _) = page_text(3, later, total, 6, &sources);
                assert!(
                    later_text.contains(CONTINUED_FROM_FRONT),
                    "page {} of front page {front} lacks the part",
                    jump.page
                );
                continued += 1;
            }
        }
        assert!(continued > 100, "only {continued} continued stories");
    }

    #[test]
    fn page_sizes_add_up() {
        assert_eq!(page_sizes(7, 1234).iter().sum::<usize>(), 1234);
        assert_eq!(page_sizes(7, 1234), page_sizes(7, 1234));
    }
}
