//! A story printed in three parts (page 1 → 2 → 3) loads as one: the first
//! part carries both later parts' text in reading order, and each later part
//! knows the part it continues, whichever of them a batch asks for. In the
//! index, only the first part is searchable; each part keeps its own text.

use baokan_common::testing::fresh_database;
use baokan_search::document::load_articles;
use baokan_search::schema::IndexFields;
use baokan_search::stored_doc::StoredDoc;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, TantivyDocument, Term};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_in_three_parts_loads_its_parts_in_reading_order() {
    let database = fresh_database().await;
    let pool = &database.pool;
    let mut ids = Vec::new();
    for (page, paragraph) in [(1, "第一部分"), (2, "第二部分"), (3, "第三部分")] {
        let page_id: i64 = sqlx::query_scalar(
            "INSERT INTO pages (source_path, content_hash, paper, page_number, encoding, raw_text)
             VALUES ($1, 'h', '山西日报', $2, 'UTF-8', '') RETURNING id",
        )
        .bind(format!("/pages/{page}.txt"))
        .bind(page)
        .fetch_one(pool)
        .await
        .unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (page_id, ordinal, kind, title, paragraphs) VALUES ($1, 0, 'article', '中博会', $2) RETURNING id",
        )
        .bind(page_id)
        .bind(vec![paragraph.to_string()])
        .fetch_one(pool)
        .await
        .unwrap();
        ids.push(id);
    }
    // Linked tail first, so link order does not decide reading order.
    for (head, tail) in [(ids[1], ids[2]), (ids[0], ids[1])] {
        sqlx::query("INSERT INTO continuations (head_id, tail_id) VALUES ($1, $2)")
            .bind(head)
            .bind(tail)
            .execute(pool)
            .await
            .unwrap();
    }

    let mut rows = load_articles(pool, &[ids[2], ids[0], ids[1]]).await.unwrap();
    rows.sort_by_key(|row| row.id);
    let head = &rows[0];
    assert_eq!(head.part_of, None);
    let parts: Vec<(i64, &str)> = head.parts.iter().map(|(id, text)| (*id, text[0].as_str())).collect();
    assert_eq!(parts, [(ids[1], "第二部分"), (ids[2], "第三部分")]);
    assert_eq!((rows[1].part_of, rows[2].part_of), (Some(ids[0]), Some(ids[1])));
    assert!(rows[1].parts.is_empty() && rows[2].parts.is_empty(), "only a first part carries parts");

    // Indexed: a word of any part finds the first part only (so a word's hit
    // count needs no correction for later parts), and every part keeps its text.
    let (schema, fields) = IndexFields::build();
    let index = Index::create_in_ram(schema);
    baokan_search::analyzer::register(&index);
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    for row in &rows {
        writer.add_document(row.to_document(&fields)).unwrap();
    }
    writer.commit().unwrap();
    let searcher = index.reader().unwrap().searcher();
    for (field, gram) in [(fields.body, "三部"), (fields.body, "第二"), (fields.heading_grams, "博会")] {
        let query = TermQuery::new(Term::from_field_text(field, gram), IndexRecordOption::Basic);
        let found = searcher.search(&query, &DocSetCollector).unwrap();
        let found_ids: Vec<Option<u64>> = found
            .into_iter()
            .map(|address| {
                let document: TantivyDocument = searcher.doc(address).unwrap();
                document.get_first(fields.id).and_then(|value| tantivy::schema::document::Value::as_u64(&value))
            })
            .collect();
        assert_eq!(found_ids, [Some(ids[0] as u64)], "{gram}");
    }
    let mut texts: Vec<(i64, String)> = Vec::new();
    for address in searcher.search(&tantivy::query::AllQuery, &DocSetCollector).unwrap() {
        let mut document: StoredDoc = searcher.doc(address).unwrap();
        let id = document.u64(fields.id);
        texts.push((id.unwrap_or(0) as i64, document.take_text(fields.body_text).unwrap_or_default()));
    }
    texts.sort();
    assert_eq!(
        texts,
        [
            (ids[0], "第一部分\n第二部分\n第三部分".to_string()),
            (ids[1], "第二部分".to_string()),
            (ids[2], "第三部分".to_string())
        ]
    );

    // Asked alone, the first part still reaches the third through the second.
    let alone = load_articles(pool, &[ids[0]]).await.unwrap();
    assert_eq!(alone[0].parts.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [ids[1], ids[2]]);
}
