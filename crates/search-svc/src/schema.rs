//! The tantivy schema: stored header fields for hits, grams fields for exact
//! recall and phrases, jieba word fields for ranking, fast fields for filters.

use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

use crate::analyzer::{EXACT, GRAMS, GRAM_LIST, WORDS};

/// Handles to every field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct IndexFields {
    pub id: Field,
    pub page_id: Field,
    /// Checksum of the article's content when indexed (see `ArticleRow::checksum`).
    pub checksum: Field,
    /// Issue date as days since 0001-01-01 (0 when unknown), for sorting and ranges.
    pub issue_day: Field,
    /// Facet paths /paper/…, /month/…, /day/…, /year/…, /author/…, /kind/…,
    /// /city/…, /person/…, /place/…, /org/….
    pub facets: Field,
    /// Normalised author names, one token each, for exact `author:` matches.
    pub author_names: Field,
    /// Normalised paper name, for exact `paper:` matches.
    pub paper_name: Field,
    pub ordinal: Field,
    pub paper: Field,
    pub issue_date: Field,
    pub issue_month_day: Field,
    pub page: Field,
    pub kind: Field,
    pub kicker: Field,
    pub title: Field,
    pub subtitle: Field,
    pub authors: Field,
    pub source: Field,
    pub dateline: Field,
    pub source_path: Field,
    /// Body text (with a first part's later parts) as grams (positions), not
    /// stored; empty on later parts, which are searched through their first
    /// part.
    pub body: Field,
    /// Body text as printed, stored for snippets and hits (later parts too).
    pub body_text: Field,
    /// The headline grams (kicker, title, subtitle) that are not also body
    /// grams of the same article, documents only: with `body`, a word's
    /// articles "in headline or body" are two disjoint posting lists, so a
    /// word's hit count is the sum of two document frequencies.
    pub heading_only_grams: Field,
    /// Kicker, title and subtitle, indexed as grams (positions), not stored.
    pub heading_grams: Field,
    /// Body as jieba words, not stored.
    pub body_words: Field,
    /// Normalised person, place and organisation names (exact `person:`, `place:`, `org:`).
    pub person_names: Field,
    pub place_names: Field,
    pub org_names: Field,
    /// Normalised dateline city (exact `city:`).
    pub city_name: Field,
    /// Names as stored, for hits.
    pub persons: Field,
    pub places: Field,
    pub orgs: Field,
    pub dateline_city: Field,
    /// Smallest article id of the article's wire copy group (0: none).
    pub wire_group: Field,
    /// For a later part of a continued story: the part it continues (0: a first part).
    pub part_of: Field,
    /// For a first part: the ids of the later parts, in order.
    pub parts: Field,
    /// 1 on later parts of continued stories only, so every search excludes
    /// them with one short posting list (a range over `part_of` would walk one
    /// term per continued story on every query).
    pub later_part: Field,
    /// Kicker, title and subtitle as jieba words, not stored.
    pub heading_words: Field,
}

impl IndexFields {
    /// Builds the schema and the field handles.
    pub fn build() -> (Schema, IndexFields) {
        let mut builder = Schema::builder();
        let grams = TextFieldIndexing::default()
            .set_tokenizer(GRAMS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let words = TextFieldIndexing::default().set_tokenizer(WORDS).set_index_option(IndexRecordOption::WithFreqs);
        let exact = TextFieldIndexing::default().set_tokenizer(EXACT).set_index_option(IndexRecordOption::Basic);
        let fields = IndexFields {
            id: builder.add_u64_field("id", INDEXED | STORED | FAST),
            page_id: builder.add_u64_field("page_id", STORED),
            issue_day: builder.add_i64_field("issue_day", INDEXED | FAST),
            checksum: builder.add_u64_field("checksum", FAST),
            facets: builder.add_facet_field("facets", FacetOptions::default()),
            author_names: builder
                .add_text_field("author_names", TextOptions::default().set_indexing_options(exact.clone())),
            paper_name: builder
                .add_text_field("paper_name", TextOptions::default().set_indexing_options(exact.clone())),
            person_names: builder
                .add_text_field("person_names", TextOptions::default().set_indexing_options(exact.clone())),
            place_names: builder
                .add_text_field("place_names", TextOptions::default().set_indexing_options(exact.clone())),
            org_names: builder.add_text_field("org_names", TextOptions::default().set_indexing_options(exact.clone())),
            city_name: builder.add_text_field("city_name", TextOptions::default().set_indexing_options(exact)),
            persons: builder.add_text_field("persons", STORED),
            places: builder.add_text_field("places", STORED),
            orgs: builder.add_text_field("orgs", STORED),
            dateline_city: builder.add_text_field("dateline_city", STORED),
            wire_group: builder.add_u64_field("wire_group", INDEXED | STORED | FAST),
            part_of: builder.add_u64_field("part_of", INDEXED | STORED),
            parts: builder.add_u64_field("parts", STORED),
            later_part: builder.add_u64_field("later_part", INDEXED),
            ordinal: builder.add_u64_field("ordinal", STORED),
            paper: builder.add_text_field("paper", STRING | STORED | FAST),
            issue_date: builder.add_text_field("issue_date", STRING | STORED | FAST),
            issue_month_day: builder.add_text_field("issue_month_day", STORED),
            page: builder.add_u64_field("page", INDEXED | STORED | FAST),
            kind: builder.add_text_field("kind", STRING | STORED | FAST),
            kicker: builder.add_text_field("kicker", STORED),
            title: builder.add_text_field("title", STORED),
            subtitle: builder.add_text_field("subtitle", STORED),
            authors: builder.add_text_field("authors", STRING | STORED),
            source: builder.add_text_field("source", STORED),
            dateline: builder.add_text_field("dateline", STORED),
            source_path: builder.add_text_field("source_path", STORED),
            body: builder.add_text_field("body", TextOptions::default().set_indexing_options(grams.clone())),
            body_text: builder.add_text_field("body_text", STORED),
            heading_only_grams: builder.add_text_field(
                "heading_only_grams",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(GRAM_LIST)
                        .set_index_option(IndexRecordOption::Basic)
                        .set_fieldnorms(false),
                ),
            ),
            heading_grams: builder.add_text_field("heading_grams", TextOptions::default().set_indexing_options(grams)),
            body_words: builder
                .add_text_field("body_words", TextOptions::default().set_indexing_options(words.clone())),
            heading_words: builder.add_text_field("heading_words", TextOptions::default().set_indexing_options(words)),
        };
        (builder.build(), fields)
    }
}
