//! Reading one page file from disk into a parsed page: bytes, content hash,
//! decoded text and articles. No database involved.

use std::io::Read;
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
    /// The file is larger than the configured limit (it is not read).
    #[error(
        "file too large: {size} bytes, over the limit of {limit} bytes \
         (raise it with --max-file-bytes or BAOKAN_MAX_FILE_BYTES)"
    )]
    TooLarge { size: u64, limit: u64 },
    /// The file grew past the limit while it was read.
    #[error(
        "file too large: grew past the limit of {limit} bytes while being read \
         (raise it with --max-file-bytes or BAOKAN_MAX_FILE_BYTES)"
    )]
    GrewTooLarge { limit: u64 },
    /// The bytes are not a text page.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Largest page file accepted by default, 16 MiB (a page of text is rarely
/// over 1 MiB); `--max-file-bytes` changes it.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads, decodes and parses one page file of at most [`DEFAULT_MAX_FILE_BYTES`].
pub fn read_page_file(path: &Path) -> Result<PageFile, PageFileError> {
    read_page_file_limited(path, DEFAULT_MAX_FILE_BYTES)
}

/// Reads, decodes and parses one page file of at most `limit` bytes.
pub fn read_page_file_limited(path: &Path, limit: u64) -> Result<PageFile, PageFileError> {
    let bytes = read_limited(path, limit)?;
    Ok(page_from_bytes(&bytes)?)
}

/// Reads a file of at most `limit` bytes. The size is checked on the opened
/// file before reading, and the read itself stops one byte past the limit, so
/// a file that grows meanwhile cannot get past it either.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, PageFileError> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Err(PageFileError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(PageFileError::GrewTooLarge { limit });
    }
    Ok(bytes)
}

/// Decodes and parses a page's bytes.
pub fn page_from_bytes(bytes: &[u8]) -> Result<PageFile, DecodeError> {
    let content_hash = hex::encode(Sha256::digest(bytes));
    let decoded = decode_page(bytes)?;
    let parsed = parse_page(&decoded.text);
    Ok(PageFile { content_hash, encoding: decoded.encoding, text: decoded.text, parsed })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc` files claim a size of 0 and then yield more: like a file that
    /// grows after its size was checked, the read itself must stop at the limit.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_growing_past_the_limit_while_read_is_refused() {
        let status = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(status).map(|m| m.len()).ok(), Some(0));
        match read_limited(status, 16) {
            Err(error @ PageFileError::GrewTooLarge { limit: 16 }) => {
                assert!(error.to_string().contains("--max-file-bytes"), "{error}");
            }
            other => panic!("expected GrewTooLarge, got {other:?}"),
        }
        assert!(read_limited(status, 1 << 20).is_ok_and(|bytes| bytes.len() > 16));
    }
}
