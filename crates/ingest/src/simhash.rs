//! SimHash fingerprints of article bodies, to find the same (wire) story
//! printed in several papers or pages. Only Han characters, letters and
//! digits count (layout, punctuation and line breaks differ between prints);
//! features are overlapping 3-character shingles. Two prints of one story
//! differ in a few bits; unrelated texts in about half of them.

/// Bodies with fewer counted characters than this get no fingerprint: short
/// texts (captions, briefs) collide too easily.
pub const MIN_CHARS: usize = 80;

/// Largest Hamming distance between fingerprints of the same story. Texts
/// are found through four 16-bit bands, so a reprint within 3 bits is always
/// found and one within 6 bits usually (two in three); unrelated texts are
/// about 32 bits apart.
pub const MAX_DISTANCE: u32 = 6;

/// FNV-1a over a shingle's characters, then a 64-bit mix (splitmix64) so
/// nearby shingles spread over all bits.
fn shingle_hash(shingle: &[char]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for c in shingle {
        for byte in (*c as u32).to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// The character a shingle holds for `c`, or `None` when `c` does not
/// count: letters and digits, lowercased. The CJK Unified Ideographs (most
/// of a Chinese body) are letters without case, so they skip Unicode's
/// tables.
fn counted(c: char) -> Option<char> {
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return Some(c);
    }
    c.is_alphanumeric().then(|| c.to_lowercase().next().unwrap_or(c))
}

/// Counts, for each of 64 bit positions, how many of the added words have
/// that bit set: 64 counters kept as bit planes (plane `p` holds bit `p`
/// of every counter), so adding a word is a carry through a few planes
/// rather than 64 separate additions.
struct BitCounts {
    planes: [u64; 32],
}

impl BitCounts {
    fn new() -> Self {
        BitCounts { planes: [0; 32] }
    }

    fn add(&mut self, word: u64) {
        let mut carry = word;
        for plane in &mut self.planes {
            if carry == 0 {
                break;
            }
            let next = *plane & carry;
            *plane ^= carry;
            carry = next;
        }
    }

    /// How many added words have bit `bit` set.
    fn count(&self, bit: usize) -> u64 {
        self.planes.iter().enumerate().fold(0, |count, (place, plane)| count | ((plane >> bit & 1) << place))
    }
}

/// The fingerprint of a body, or `None` when it is too short.
pub fn simhash(paragraphs: &[String]) -> Option<i64> {
    let chars: Vec<char> = paragraphs.iter().flat_map(|paragraph| paragraph.chars()).filter_map(counted).collect();
    if chars.len() < MIN_CHARS {
        return None;
    }
    let mut ones = BitCounts::new();
    for shingle in chars.windows(3) {
        ones.add(shingle_hash(shingle));
    }
    // A bit is set when more shingles have it set than not.
    let shingles = (chars.len() - 2) as u64;
    let fingerprint = (0..64).fold(0u64, |acc, bit| acc | (u64::from(2 * ones.count(bit) > shingles) << bit));
    Some(fingerprint as i64)
}

/// Bits in which two fingerprints differ.
pub fn distance(a: i64, b: i64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Vec<String> {
        vec![text.to_string()]
    }

    const STORY: &str = "新华社北京2月3日电 记者从国家统计局获悉，2021年全国粮食总产量13657亿斤，比上年增加267亿斤，\
        增长2.0%，连续7年稳定在1.3万亿斤以上。其中谷物产量12655亿斤，比上年增加388亿斤。国家统计局农村司司长表示，\
        全国粮食生产再获丰收，为稳定经济社会发展大局提供了有力支撑。";

    #[test]
    fn reprints_are_close_and_other_stories_are_far() {
        let original = simhash(&body(STORY)).unwrap();
        // Re-wrapped, different punctuation and one edited word: still the same story.
        let reprint = STORY.replace("，", ",").replace("记者从", "本报记者从").replace("。", "。\n");
        let reprinted = simhash(&body(&reprint)).unwrap();
        assert!(distance(original, reprinted) <= MAX_DISTANCE, "{}", distance(original, reprinted));
        let other = "本报太原4月8日讯 4月8日上午，省委书记楼阳生在太原市参加义务植树活动。他强调，要深入学习贯彻习近平生态文明思想，\
            践行绿水青山就是金山银山理念，持续推进国土绿化，为建设美丽山西作出新贡献。参加活动的还有省领导和机关干部群众。";
        let unrelated = simhash(&body(other)).unwrap();
        assert!(distance(original, unrelated) > 10, "{}", distance(original, unrelated));
    }

    /// The fingerprint as first written: each shingle adds one to or
    /// takes one from every bit's weight.
    fn weighted_simhash(paragraphs: &[String]) -> Option<i64> {
        let chars: Vec<char> = paragraphs
            .iter()
            .flat_map(|paragraph| paragraph.chars())
            .filter(|c| c.is_alphanumeric())
            .map(|c| c.to_lowercase().next().unwrap_or(c))
            .collect();
        if chars.len() < MIN_CHARS {
            return None;
        }
        let mut weights = [0i32; 64];
        for shingle in chars.windows(3) {
            let hash = shingle_hash(shingle);
            for (bit, weight) in weights.iter_mut().enumerate() {
                *weight += if hash >> bit & 1 == 1 { 1 } else { -1 };
            }
        }
        let fingerprint =
            weights.iter().enumerate().fold(0u64, |acc, (bit, weight)| acc | (u64::from(*weight > 0) << bit));
        Some(fingerprint as i64)
    }

    #[test]
    fn bit_planes_count_as_weights_do() {
        let mut texts: Vec<String> = vec![STORY.to_string(), STORY.repeat(40), "Ａ".repeat(79), "ÄB".repeat(60)];
        // Texts of every length around the minimum, and ties (a bit set by
        // exactly half the shingles).
        for length in 70..130 {
            texts.push(STORY.chars().cycle().skip(length).take(length).collect());
            texts.push("ab".repeat(length));
        }
        for line in crate::parse::sample_lines() {
            texts.push(line.repeat(3));
        }
        for text in texts {
            assert_eq!(simhash(&body(&text)), weighted_simhash(&body(&text)), "{text}");
        }
    }

    #[test]
    fn ideographs_skip_the_tables_and_count_as_before() {
        for c in '\u{4E00}'..='\u{9FFF}' {
            assert!(c.is_alphanumeric() && c.to_lowercase().eq([c]), "{c:?}");
        }
    }

    #[test]
    fn short_texts_get_no_fingerprint() {
        assert_eq!(simhash(&body("图为游客在景区参观。")), None);
    }
}
