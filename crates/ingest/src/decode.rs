//! Turns a page file's bytes into text: detects the encoding (BOM, UTF-8,
//! GB18030/GBK, Big5), decodes strictly, and rejects empty, binary and
//! undecodable input with the byte offset of the problem.

use encoding_rs::{Encoding, BIG5, GB18030, UTF_16BE, UTF_16LE, UTF_8};

/// A page decoded to text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedPage {
    /// The text, without byte-order mark.
    pub text: String,
    /// Name of the encoding it was decoded from (e.g. `UTF-8`, `GB18030`, `UTF-16LE`).
    pub encoding: &'static str,
}

/// Why a file's bytes are not a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The file has no text at all.
    #[error("empty file: no text to parse")]
    Empty,
    /// The file contains bytes no text file has.
    #[error("binary file: control byte 0x{byte:02x} at byte offset {offset}")]
    Binary { byte: u8, offset: usize },
    /// The bytes are not valid in the detected encoding.
    #[error("cannot decode as {encoding}: invalid byte sequence at byte offset {offset}")]
    Malformed { encoding: &'static str, offset: usize },
    /// No supported encoding fits the bytes.
    #[error("unsupported encoding (looks like {guess}); convert the file to UTF-8, GB18030 or Big5")]
    Unsupported { guess: &'static str },
}

/// Detects the encoding of `bytes` and decodes them strictly.
pub fn decode_page(bytes: &[u8]) -> Result<DecodedPage, DecodeError> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let text = decode_strictly(encoding, &bytes[bom_length..], bom_length)?;
        return finish(text, encoding_name(encoding));
    }
    if let Some(offset) = bytes.iter().position(|&b| is_binary_byte(b)) {
        return Err(DecodeError::Binary { byte: bytes[offset], offset });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => return finish(text.to_string(), "UTF-8"),
        Err(error) if bytes.is_ascii() || error.error_len().is_none() && error.valid_up_to() + 4 > bytes.len() => {
            // A truncated last character in otherwise valid UTF-8: report it as such.
            return Err(DecodeError::Malformed { encoding: "UTF-8", offset: error.valid_up_to() });
        }
        Err(_) => {}
    }
    if let Some(offset) = mostly_utf8(bytes) {
        return Err(DecodeError::Malformed { encoding: "UTF-8", offset });
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    let encoding = if guess == BIG5 {
        BIG5
    } else if guess == GB18030 || guess.name() == "GBK" {
        GB18030
    } else if guess == UTF_8 {
        // Mostly UTF-8 with a broken sequence: report where it breaks.
        let offset = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to()).unwrap_or(0);
        return Err(DecodeError::Malformed { encoding: "UTF-8", offset });
    } else {
        return Err(DecodeError::Unsupported { guess: guess.name() });
    };
    let text = decode_strictly(encoding, bytes, 0)?;
    finish(text, encoding_name(encoding))
}

/// For bytes that are UTF-8 apart from a few broken sequences, returns the
/// offset of the first one (the file is damaged UTF-8, not another encoding).
fn mostly_utf8(bytes: &[u8]) -> Option<usize> {
    let mut rest = bytes;
    let mut consumed = 0;
    let mut first_error = None;
    let mut errors = 0usize;
    let mut multibyte = 0usize;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                multibyte += valid.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(error) => {
                let valid_up_to = error.valid_up_to();
                multibyte += std::str::from_utf8(&rest[..valid_up_to])
                    .map_or(0, |v| v.chars().filter(|c| !c.is_ascii()).count());
                first_error.get_or_insert(consumed + valid_up_to);
                errors += 1;
                let skip = valid_up_to + error.error_len().unwrap_or(rest.len() - valid_up_to).max(1);
                consumed += skip;
                rest = &rest[skip.min(rest.len())..];
                if rest.is_empty() {
                    break;
                }
            }
        }
    }
    first_error.filter(|_| multibyte >= 4 * errors)
}

/// Names encodings the way users know them.
fn encoding_name(encoding: &'static Encoding) -> &'static str {
    if encoding == UTF_16LE {
        "UTF-16LE"
    } else if encoding == UTF_16BE {
        "UTF-16BE"
    } else {
        encoding.name()
    }
}

/// Bytes that never occur in a text file in an ASCII-compatible encoding.
fn is_binary_byte(byte: u8) -> bool {
    matches!(byte, 0x00..=0x08 | 0x0e..=0x1a | 0x1c..=0x1f | 0x7f)
}

/// Decodes without replacement characters, reporting the first bad byte.
fn decode_strictly(encoding: &'static Encoding, bytes: &[u8], base_offset: usize) -> Result<String, DecodeError> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 3);
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(text),
        encoding_rs::DecoderResult::Malformed(bad_length, unread_after_bad) => {
            let offset = read - unread_after_bad as usize - bad_length as usize;
            Err(DecodeError::Malformed { encoding: encoding_name(encoding), offset: base_offset + offset })
        }
        encoding_rs::DecoderResult::OutputFull => {
            Err(DecodeError::Malformed { encoding: encoding_name(encoding), offset: base_offset + read })
        }
    }
}

/// The first control character (`char::is_control`: U+0000–U+001F,
/// U+007F–U+009F) other than a line break, tab or form feed, with its byte
/// offset. Read byte by byte: in UTF-8 every such character is one byte
/// under 0x20, 0x7F, or 0xC2 followed by 0x80–0x9F, and no other
/// character's bytes look like those.
fn first_control_character(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let offset = bytes.iter().enumerate().position(|(at, &byte)| match byte {
        b'\n' | b'\r' | b'\t' | 0x0c => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => bytes.get(at + 1).is_some_and(|next| (0x80..=0x9f).contains(next)),
        _ => false,
    })?;
    Some((offset, text[offset..].chars().next()?))
}

/// Rejects texts without content and texts with control characters.
fn finish(text: String, encoding: &'static str) -> Result<DecodedPage, DecodeError> {
    if let Some((offset, character)) = first_control_character(&text) {
        let byte = u32::from(character).min(0xff) as u8;
        return Err(DecodeError::Binary { byte, offset });
    }
    if text.trim().is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(DecodedPage { text, encoding })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "本报太原4月8日讯（首席记者 贠娟绸）今天，山西省第六届“万步有约”健走激励大赛启动。";

    /// The byte scan finds what `char::is_control` finds, for every
    /// character, alone and between others.
    #[test]
    fn the_control_character_scan_agrees_with_char_is_control_for_every_character() {
        let slow = |text: &str| {
            text.char_indices().find(|(_, c)| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{0c}'))
        };
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = format!("报{c}刊");
            assert_eq!(first_control_character(&text), slow(&text), "U+{:04X}", u32::from(c));
        }
        let text = "第一行\n\u{85}第二行\u{7f}";
        assert_eq!(first_control_character(text), Some((10, '\u{85}')));
    }

    #[test]
    fn decodes_utf8_with_and_without_bom() {
        assert_eq!(decode_page(PAGE.as_bytes()).unwrap().encoding, "UTF-8");
        let mut with_bom = vec![0xef, 0xbb, 0xbf];
        with_bom.extend_from_slice(PAGE.as_bytes());
        let decoded = decode_page(&with_bom).unwrap();
        assert_eq!(decoded.text, PAGE);
        assert_eq!(decoded.encoding, "UTF-8");
    }

    #[test]
    fn decodes_gb18030_and_big5() {
        let (gb, _, _) = GB18030.encode(PAGE);
        let decoded = decode_page(&gb).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), (PAGE, "gb18030"));
        let traditional = "本報訊（記者 王曉華）臺灣同胞參觀了這個展覽，並與當地群眾親切交談。";
        let (big5, _, had_errors) = BIG5.encode(traditional);
        assert!(!had_errors);
        let decoded = decode_page(&big5).unwrap();
        assert_eq!((decoded.text.as_str(), decoded.encoding), (traditional, "Big5"));
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let mut le = vec![0xff, 0xfe];
        le.extend(PAGE.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode_page(&le).unwrap(), DecodedPage { text: PAGE.into(), encoding: "UTF-16LE" });
        let mut be = vec![0xfe, 0xff];
        be.extend(PAGE.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode_page(&be).unwrap().encoding, "UTF-16BE");
    }

    #[test]
    fn rejects_empty_and_binary() {
        assert_eq!(decode_page(b""), Err(DecodeError::Empty));
        assert_eq!(decode_page(b"  \n\r\n "), Err(DecodeError::Empty));
        assert_eq!(decode_page(b"\x89PNG\r\n\x1a\n\0\0"), Err(DecodeError::Binary { byte: 0x1a, offset: 6 }));
    }

    #[test]
    fn rejects_broken_utf8_with_offset() {
        let mut bytes = PAGE.as_bytes().to_vec();
        bytes.truncate(bytes.len() - 1);
        assert_eq!(decode_page(&bytes), Err(DecodeError::Malformed { encoding: "UTF-8", offset: PAGE.len() - 3 }));
    }
}
