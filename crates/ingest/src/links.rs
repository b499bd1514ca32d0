//! Links between articles, made in the page's transaction after its articles
//! are written: continuations (a story's parts on two pages of one issue,
//! joined through their jump lines) and wire copy groups (near-identical
//! texts anywhere in the archive, found by SimHash bands).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use sqlx::{Postgres, Transaction};

use crate::simhash::MAX_DISTANCE;

/// Character-bigram overlap of two titles (0 to 1), to choose between
/// candidate parts: a continuation usually repeats or shortens its title.
fn title_overlap(a: &str, b: &str) -> f64 {
    let grams = |text: &str| -> HashSet<(char, char)> {
        let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
        chars.windows(2).map(|pair| (pair[0], pair[1])).collect()
    };
    let (a, b) = (grams(a), grams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / a.len().min(b.len()) as f64
}

type Candidate = (i64, i64, i32, i32, Option<String>, Option<String>);

/// Re-links the continuations of one page's articles: a part that jumps to
/// page Q (`下转第Q版`) joins the part on page Q of the same paper and issue
/// that jumps back (`上接第P版`). With several candidates, the closest titles
/// win, then reading order; each part has at most one predecessor.
/// Returns the number of links made. `was_stored`: the page existed before
/// this ingest (a new page's articles have no links yet).
pub async fn link_continuations(
    transaction: &mut Transaction<'_, Postgres>,
    page_id: i64,
    was_stored: bool,
) -> Result<u64, sqlx::Error> {
    if was_stored {
        sqlx::query("DELETE FROM continuations WHERE head_id IN (SELECT id FROM articles WHERE page_id = $1)")
            .bind(page_id)
            .execute(&mut **transaction)
            .await?;
        sqlx::query("DELETE FROM continuations WHERE tail_id IN (SELECT id FROM articles WHERE page_id = $1)")
            .bind(page_id)
            .execute(&mut **transaction)
            .await?;
    }
    // Two index-friendly halves: this page's parts that jump out, and other
    // pages' parts that jump to this page (an OR of both would scan).
    let candidates: Vec<Candidate> = sqlx::query_as(
        "SELECT h.id, t.id, h.ordinal, t.ordinal, h.title, t.title
         FROM pages hp
         JOIN articles h ON h.page_id = hp.id AND cardinality(h.continues_to) > 0
         JOIN pages tp ON tp.paper = hp.paper AND tp.issue_date = hp.issue_date AND tp.id <> hp.id
                      AND tp.page_number = ANY(h.continues_to)
         JOIN articles t ON t.page_id = tp.id AND hp.page_number = ANY(t.continued_from)
         WHERE hp.id = $1
         UNION ALL
         SELECT h.id, t.id, h.ordinal, t.ordinal, h.title, t.title
         FROM pages tp
         JOIN articles t ON t.page_id = tp.id AND cardinality(t.continued_from) > 0
         JOIN pages hp ON hp.paper = tp.paper AND hp.issue_date = tp.issue_date AND hp.id <> tp.id
                      AND hp.page_number = ANY(t.continued_from)
         JOIN articles h ON h.page_id = hp.id AND tp.page_number = ANY(h.continues_to)
         WHERE tp.id = $1",
    )
    .bind(page_id)
    .fetch_all(&mut **transaction)
    .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    // Tails already linked elsewhere keep their link.
    let tails: Vec<i64> = candidates.iter().map(|c| c.1).collect();
    let taken: Vec<i64> = sqlx::query_scalar("SELECT tail_id FROM continuations WHERE tail_id = ANY($1)")
        .bind(&tails)
        .fetch_all(&mut **transaction)
        .await?;
    let mut taken: BTreeSet<i64> = taken.into_iter().collect();
    let mut ranked: Vec<(f64, i32, i32, i64, i64)> = candidates
        .iter()
        .map(|(head, tail, head_ordinal, tail_ordinal, head_title, tail_title)| {
            let overlap = title_overlap(head_title.as_deref().unwrap_or(""), tail_title.as_deref().unwrap_or(""));
            (overlap, *head_ordinal, *tail_ordinal, *head, *tail)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut heads_used: BTreeSet<i64> = BTreeSet::new();
    let mut links = 0;
    for (_, _, _, head, tail) in ranked {
        if taken.contains(&tail) || heads_used.contains(&head) {
            continue;
        }
        sqlx::query("INSERT INTO continuations (head_id, tail_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(head)
            .bind(tail)
            .execute(&mut **transaction)
            .await?;
        taken.insert(tail);
        heads_used.insert(head);
        links += 1;
    }
    Ok(links)
}

/// Groups this page's articles with near-identical texts anywhere in the
/// archive (SimHash within [`MAX_DISTANCE`] bits, found through four
/// 16-bit bands). A group is named by its smallest article id; groups that a new
/// text bridges are merged. Returns how many of the page's articles are in a group.
/// `was_stored`: the page existed before this ingest (its articles may be
/// grouped already); a new page with no fingerprint has nothing to do.
/// `known`: the page's articles' ids and fingerprints, when the caller has
/// them (else they are read).
pub async fn group_wire_copies(
    transaction: &mut Transaction<'_, Postgres>,
    page_id: i64,
    was_stored: bool,
    known: Option<&[(i64, i64)]>,
) -> Result<u64, sqlx::Error> {
    let mine: Cow<'_, [(i64, i64)]> = match known {
        Some(fingerprints) => Cow::Borrowed(fingerprints),
        None => Cow::Owned(
            sqlx::query_as("SELECT id, simhash FROM articles WHERE page_id = $1 AND simhash IS NOT NULL")
                .bind(page_id)
                .fetch_all(&mut **transaction)
                .await?,
        ),
    };
    // One statement for all the page's articles: per band, an equality
    // lookup on that band's expression index (`= ANY`), glued with UNION
    // ALL. Each arm can only be served by its own index, whatever the
    // statistics of a freshly loaded table say (an OR of the four bands
    // with an `id <>` filter once planned as a walk over the whole primary
    // key per page: quadratic). The candidates come from the narrow
    // `article_fingerprints` (about 4 x archive / 65,536 rows per article,
    // read from a table that stays cached); the distance is checked here,
    // and only the matches are looked up in `articles`.
    let fingerprints: Vec<i64> = mine.iter().map(|(_, fingerprint)| *fingerprint).collect();
    let band_values = |shift: u32| -> Vec<i64> { fingerprints.iter().map(|f| (f >> shift) & 0xffff).collect() };
    let candidates: Vec<(i64, i64)> = if mine.is_empty() {
        if !was_stored {
            return Ok(0);
        }
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT article_id, simhash FROM article_fingerprints WHERE ((simhash >> 48) & 65535) = ANY($1)
             UNION ALL
             SELECT article_id, simhash FROM article_fingerprints WHERE ((simhash >> 32) & 65535) = ANY($2)
             UNION ALL
             SELECT article_id, simhash FROM article_fingerprints WHERE ((simhash >> 16) & 65535) = ANY($3)
             UNION ALL
             SELECT article_id, simhash FROM article_fingerprints WHERE (simhash & 65535) = ANY($4)",
        )
        .bind(band_values(48))
        .bind(band_values(32))
        .bind(band_values(16))
        .bind(band_values(0))
        .fetch_all(&mut **transaction)
        .await?
    };
    // A set: an article found through several bands comes back once per band.
    let mut close: BTreeSet<(i64, i64)> = BTreeSet::new();
    for (id, fingerprint) in mine.iter() {
        for (other, other_fingerprint) in &candidates {
            if other != id && crate::simhash::distance(*fingerprint, *other_fingerprint) <= MAX_DISTANCE {
                close.insert((*id, *other));
            }
        }
    }
    // The groups the close articles are in now.
    let others: Vec<i64> = close.iter().map(|(_, other)| *other).collect::<BTreeSet<_>>().into_iter().collect();
    let groups_of: BTreeMap<i64, Option<i64>> = if others.is_empty() {
        BTreeMap::new()
    } else {
        sqlx::query_as::<_, (i64, Option<i64>)>("SELECT id, wire_group FROM articles WHERE id = ANY($1)")
            .bind(&others)
            .fetch_all(&mut **transaction)
            .await?
            .into_iter()
            .collect()
    };
    let matches = close.into_iter().filter_map(|(id, other)| groups_of.get(&other).map(|group| (id, other, *group)));
    // Every article of the page starts ungrouped; matched ones join the smallest id around.
    if was_stored {
        sqlx::query("UPDATE articles SET wire_group = NULL WHERE page_id = $1 AND wire_group IS NOT NULL")
            .bind(page_id)
            .execute(&mut **transaction)
            .await?;
    }
    let mut groups: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (mine, other, other_group) in matches {
        let members = groups.entry(mine).or_default();
        members.insert(mine);
        members.insert(other);
        if let Some(group) = other_group {
            members.insert(group);
        }
    }
    for (mine, members) in &groups {
        let Some(group) = members.iter().next().copied() else { continue };
        let ids: Vec<i64> = members.iter().copied().collect();
        // The article itself, the others, and every member of their old groups.
        sqlx::query(
            "UPDATE articles SET wire_group = $1
             WHERE (id = ANY($2) OR wire_group = ANY($2)) AND wire_group IS DISTINCT FROM $1",
        )
        .bind(group)
        .bind(&ids)
        .execute(&mut **transaction)
        .await?;
        tracing::debug!(article = mine, group, "wire copy grouped");
    }
    Ok(groups.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_titles_overlap_and_others_do_not() {
        assert!(title_overlap("我省各部门联手精心筹备中博会", "精心筹备中博会") > 0.9);
        assert!(title_overlap("我省各部门联手精心筹备中博会", "当好东道主 喜迎中博会") < 0.3);
        assert_eq!(title_overlap("", "标题"), 0.0);
    }
}
