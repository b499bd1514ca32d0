//! A stored document read straight into owned values, for building hits.
//!
//! tantivy's own `TantivyDocument` reads each stored value into an
//! `OwnedValue`, then copies it into its compact node arena; a hit then
//! copied every text out again. Here each text is read once into the
//! `String` the hit keeps (taken, not copied), and values of other types
//! are passed over. At 1M articles, deserialising the ten hits of a page was
//! 5.6 % of the service's CPU under 16 clients; reading them this way takes
//! 1–3.6 % fewer instructions per search (BENCHMARKS, twenty-fourth session).

use tantivy::schema::document::{
    ArrayAccess, DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize, ValueDeserializer,
    ValueVisitor,
};
use tantivy::schema::Field;

/// One stored value: text, an unsigned number, or another type (skipped).
#[derive(Debug, Clone, PartialEq)]
enum StoredValue {
    Text(String),
    U64(u64),
    Other,
}

/// A document's stored values in stored order, by field.
#[derive(Debug, Clone, Default)]
pub struct StoredDoc {
    values: Vec<(Field, StoredValue)>,
}

impl StoredDoc {
    /// The first text of `field`, taken out of the document (a later call
    /// for the same field gives its next text, if any).
    pub fn take_text(&mut self, field: Field) -> Option<String> {
        for (stored, value) in &mut self.values {
            if *stored == field {
                if let StoredValue::Text(text) = value {
                    let text = std::mem::take(text);
                    *value = StoredValue::Other;
                    return Some(text);
                }
            }
        }
        None
    }

    /// Every text of `field`, taken out of the document.
    pub fn take_texts(&mut self, field: Field) -> Vec<String> {
        std::iter::from_fn(|| self.take_text(field)).collect()
    }

    /// The first unsigned number of `field`.
    pub fn u64(&self, field: Field) -> Option<u64> {
        self.values.iter().find_map(|(stored, value)| match value {
            StoredValue::U64(number) if *stored == field => Some(*number),
            _ => None,
        })
    }

    /// Every unsigned number of `field`, in stored order.
    pub fn u64s(&self, field: Field) -> Vec<u64> {
        self.values
            .iter()
            .filter_map(|(stored, value)| match value {
                StoredValue::U64(number) if *stored == field => Some(*number),
                _ => None,
            })
            .collect()
    }
}

impl DocumentDeserialize for StoredDoc {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some((field, value)) = deserializer.next_field::<StoredValue>()? {
            values.push((field, value));
        }
        Ok(StoredDoc { values })
    }
}

impl ValueDeserialize for StoredValue {
    fn deserialize<'de, D>(deserializer: D) -> Result<Self, DeserializeError>
    where
        D: ValueDeserializer<'de>,
    {
        deserializer.deserialize_any(StoredValueVisitor)
    }
}

/// Keeps texts and unsigned numbers; reads any other value (so the stream
/// stays in step) and keeps nothing of it.
struct StoredValueVisitor;

impl ValueVisitor for StoredValueVisitor {
    type Value = StoredValue;

    fn visit_null(&self) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_string(&self, text: String) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Text(text))
    }
    fn visit_u64(&self, number: u64) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::U64(number))
    }
    fn visit_i64(&self, _: i64) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_f64(&self, _: f64) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_bool(&self, _: bool) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_datetime(&self, _: tantivy::DateTime) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_ip_address(&self, _: std::net::Ipv6Addr) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_facet(&self, _: tantivy::schema::Facet) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_bytes(&self, _: Vec<u8>) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Other)
    }
    fn visit_pre_tokenized_string(
        &self,
        text: tantivy::tokenizer::PreTokenizedString,
    ) -> Result<StoredValue, DeserializeError> {
        Ok(StoredValue::Text(text.text))
    }
    fn visit_array<'de, A>(&self, mut access: A) -> Result<StoredValue, DeserializeError>
    where
        A: ArrayAccess<'de>,
    {
        while access.next_element::<StoredValue>()?.is_some() {}
        Ok(StoredValue::Other)
    }
    fn visit_object<'de, A>(&self, mut access: A) -> Result<StoredValue, DeserializeError>
    where
        A: tantivy::schema::document::ObjectAccess<'de>,
    {
        while access.next_entry::<StoredValue>()?.is_some() {}
        Ok(StoredValue::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STORED, STRING};
    use tantivy::{doc, Index, TantivyDocument};

    /// Every stored value of a document of texts, numbers and other types
    /// reads as tantivy's own document reads it.
    #[test]
    fn texts_and_numbers_read_as_tantivy_reads_them_and_other_values_are_passed_over() {
        let mut builder = Schema::builder();
        let title = builder.add_text_field("title", STRING | STORED);
        let when = builder.add_date_field("when", STORED);
        let id = builder.add_u64_field("id", STORED);
        let signed = builder.add_i64_field("signed", STORED);
        let names = builder.add_text_field("names", STORED);
        let parts = builder.add_u64_field("parts", STORED);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer
            .add_document(doc!(
                title => "健康体重",
                when => tantivy::DateTime::from_timestamp_secs(86_400),
                id => 42u64,
                signed => -7i64,
                names => "王晓华",
                names => "李明",
                parts => 7u64,
                parts => 9u64,
            ))
            .unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let address = tantivy::DocAddress::new(0, 0);
        let mut stored: StoredDoc = searcher.doc(address).unwrap();
        let theirs: TantivyDocument = searcher.doc(address).unwrap();

        use tantivy::schema::Value;
        assert_eq!(stored.u64(id), theirs.get_first(id).and_then(|v| v.as_u64()));
        assert_eq!(stored.u64s(parts), vec![7, 9]);
        assert_eq!(stored.u64(signed), None, "a signed number is not read as unsigned");
        let their_names: Vec<String> = theirs.get_all(names).filter_map(|v| v.as_str()).map(str::to_string).collect();
        assert_eq!(stored.take_texts(names), their_names);
        assert_eq!(stored.take_text(title).as_deref(), Some("健康体重"));
        assert_eq!(stored.take_text(title), None, "a taken text is gone");
        assert_eq!(stored.take_text(when), None, "a date is not text");
        assert_eq!(stored.u64(parts), Some(7), "taking texts leaves the numbers");
    }
}
