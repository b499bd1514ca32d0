//! Reading one page file from disk into a parsed page: bytes, content hash,
//! decoded text and articles. No database involved.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::decode::{decode_page, DecodeError};
use crate::parse::{parse_page, ParsedPage};

/// A page file read and parsed.
#[derive(Debug)]
pub struct PageFile {
    /// SHA-256 of the file's bytes, hex.
    pub content_hash: String,
    /// Encoding the bytes were decoded from.
    pub encoding: &'static str,
    /// The decoded text, verbatim.
    pub text: String,
    pub parsed: ParsedPage,
}

/// Why a page file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageFileError {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is larger than the configured limit.
    #[error("file too large: {size} bytes (limit {limit})")]
    TooLarge { size: u64, limit: u64 },
    /// The bytes are not a text page.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Largest page file accepted (a newspaper page is tens of kilobytes).
pub const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads, decodes and parses one page file.
pub fn read_page_file(path: &Path) -> Result<PageFile, PageFileError> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_PAGE_BYTES {
        return Err(PageFileError::TooLarge { size, limit: MAX_PAGE_BYTES });
    }
    let bytes = std::fs::read(path)?;
    Ok(page_from_bytes(&bytes)?)
}

/// Decodes and parses a page's bytes.
pub fn page_from_bytes(bytes: &[u8]) -> Result<PageFile, DecodeError> {
    let content_hash = hex::encode(Sha256::digest(bytes));
    let decoded = decode_page(bytes)?;
    let parsed = parse_page(&decoded.text);
    Ok(PageFile { content_hash, encoding: decoded.encoding, text: decoded.text, parsed })
}
