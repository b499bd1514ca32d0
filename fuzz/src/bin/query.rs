//! AFL target: any text through the query parser, which must not panic and
//! must report errors at a character position inside the query.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let query = String::from_utf8_lossy(data);
        if let Err(error) = baokan_search::query::parse_query(&query) {
            assert!(error.position <= query.chars().count(), "error position {} past the query", error.position);
        }
    });
}
