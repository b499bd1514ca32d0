//! Checks that an index's files are whole before it is served: each live
//! segment file's body against the CRC-32 in its tantivy footer. Unlike
//! tantivy's `Index::validate_checksum`, which reads the files through their
//! memory maps (so a 2.8 GB index at a million articles counted 1.1 GB in the
//! service's resident set at every start), the bodies are read with plain
//! buffered reads: the pages go to the kernel's cache, not into the process.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use tantivy::directory::footer::Footer;
use tantivy::directory::FileSlice;
use tantivy::Index;

/// Bytes read at a time.
const READ_CHUNK: usize = 1 << 20;

/// Returns the live segment files of the index in `dir` whose body does not
/// match its footer's checksum, or whose footer cannot be read. Files the
/// segments list but the folder lacks are left to the index's own open,
/// as tantivy's check does.
pub fn damaged_files(index: &Index, dir: &Path) -> tantivy::Result<Vec<PathBuf>> {
    let files: HashSet<PathBuf> =
        index.searchable_segment_metas()?.iter().flat_map(|segment| segment.list_files()).collect();
    let mut damaged: Vec<PathBuf> = files
        .into_iter()
        .filter(|path| dir.join(path).exists())
        .filter(|path| !file_is_whole(&dir.join(path)))
        .collect();
    damaged.sort();
    Ok(damaged)
}

/// Bytes after the footer's JSON: its length and tantivy's magic number.
const FOOTER_TRAILER_BYTES: u64 = 8;

/// Whether a file's footer reads and its body's CRC-32 matches it.
fn file_is_whole(path: &Path) -> bool {
    let Ok(mut file) = File::open(path) else { return false };
    let Some((footer, body_len)) = read_footer(&mut file) else { return false };
    let Ok(()) = file.seek(SeekFrom::Start(0)).map(drop) else { return false };
    let mut body = file.take(body_len);
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut read_total = 0u64;
    loop {
        match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => {
                hasher.update(&buffer[..count]);
                read_total += count as u64;
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    read_total == body_len && hasher.finalize() == footer.crc
}

/// Reads the footer at the end of a segment file (parsed by tantivy) and
/// returns it with the length of the body before it.
fn read_footer(file: &mut File) -> Option<(Footer, u64)> {
    let file_len = file.metadata().ok()?.len();
    let mut trailer = [0u8; FOOTER_TRAILER_BYTES as usize];
    file.seek(SeekFrom::Start(file_len.checked_sub(FOOTER_TRAILER_BYTES)?)).ok()?;
    file.read_exact(&mut trailer).ok()?;
    let json_len = u64::from(u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]));
    let footer_len = json_len + FOOTER_TRAILER_BYTES;
    let body_len = file_len.checked_sub(footer_len)?;
    let mut tail = vec![0u8; usize::try_from(footer_len).ok()?];
    file.seek(SeekFrom::Start(body_len)).ok()?;
    file.read_exact(&mut tail).ok()?;
    let (footer, _) = Footer::extract_footer(FileSlice::from(tail)).ok()?;
    Some((footer, body_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STORED, TEXT};
    use tantivy::TantivyDocument;

    /// A one-segment index of a few documents in `dir`.
    fn small_index(dir: &Path) -> Index {
        let mut builder = Schema::builder();
        let body = builder.add_text_field("body", TEXT | STORED);
        let index = Index::create_in_dir(dir, builder.build()).expect("index");
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for text in ["太行山 植树", "汾河 治理", "黄河 流域 生态"] {
            let mut document = TantivyDocument::default();
            document.add_text(body, text);
            writer.add_document(document).expect("add");
        }
        writer.commit().expect("commit");
        index
    }

    #[test]
    fn a_flipped_byte_in_a_segment_body_is_found_and_whole_files_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = small_index(dir.path());
        assert_eq!(damaged_files(&index, dir.path()).expect("check"), Vec::<PathBuf>::new());

        let store = index.searchable_segment_metas().expect("metas")[0]
            .list_files()
            .into_iter()
            .find(|path| path.extension().is_some_and(|extension| extension == "store"))
            .expect("a store file");
        let full = dir.path().join(&store);
        let mut bytes = std::fs::read(&full).expect("read");
        bytes[0] ^= 0x55;
        std::fs::write(&full, bytes).expect("write");
        let reopened = Index::open_in_dir(dir.path()).expect("reopen");
        assert_eq!(damaged_files(&reopened, dir.path()).expect("check"), vec![store]);
    }
}
