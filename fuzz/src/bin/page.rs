//! AFL target: any bytes through the page decoder and the page parser, which
//! must not panic, and the parser on the bytes read as (lossy) text too.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(decoded) = baokan_ingest::decode::decode_page(data) {
            let _ = baokan_ingest::parse::parse_page(&decoded.text);
        }
        let _ = baokan_ingest::parse::parse_page(&String::from_utf8_lossy(data));
    });
}
