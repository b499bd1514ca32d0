//! Finding page files under the paths given to `run` and `watch`, and naming
//! them: folders are walked recursively, symlinks are followed only while
//! they stay inside the folder being walked, and file names that are not
//! UTF-8 get a stored name that stays unique (`\xNN` escapes).

use std::path::{Path, PathBuf};

use tracing::warn;

/// Returns true for files a folder walk ingests.
fn is_page_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("md"))
}

/// Expands the given paths into page files, folders recursively, in a stable
/// order. Paths that cannot be read, and symlinks inside a folder that lead
/// out of it, are returned as failures (with the reason) and never read.
///
/// Symlinks inside a walked folder are followed when their canonical target
/// lies inside the canonical folder (files and folders alike); link loops are
/// detected by the walk and skipped with a warning. Paths named directly are
/// taken as given, symlink or not.
pub fn collect_page_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        if path.is_dir() {
            let (found, mut folder_failures) = walk_folder(path);
            files.extend(found);
            failures.append(&mut folder_failures);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            failures.push((path.clone(), "no such file or folder".to_string()));
        }
    }
    (files, failures)
}

/// Walks one folder (see [`collect_page_files`]).
fn walk_folder(root: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut failures = Vec::new();
    let canonical_root = match std::fs::canonicalize(root) {
        Ok(canonical) => canonical,
        Err(error) => return (found, vec![(root.to_path_buf(), format!("cannot read folder: {error}"))]),
    };
    let mut escapes = Vec::new();
    let walk = walkdir::WalkDir::new(root).follow_links(true).into_iter().filter_entry(|entry| {
        if entry.depth() == 0 || !entry.path_is_symlink() {
            return true;
        }
        match std::fs::canonicalize(entry.path()) {
            Ok(target) if target.starts_with(&canonical_root) => true,
            Ok(target) => {
                // Only links that would have been walked or read are worth a failure row.
                if entry.file_type().is_dir() || is_page_file(entry.path()) {
                    escapes.push((entry.path().to_path_buf(), target));
                }
                false
            }
            Err(_) => false,
        }
    });
    for entry in walk {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_page_file(entry.path()) => found.push(entry.into_path()),
            Ok(_) => {}
            Err(error) if error.loop_ancestor().is_some() => {
                let link = error.path().map(display_path).unwrap_or_default();
                warn!(link = %link, "symlink loop not followed");
            }
            Err(error) => {
                let failed = error.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
                if error.io_error().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) && !is_page_file(&failed)
                {
                    // A dangling link to something that would not have been ingested anyway.
                    continue;
                }
                failures.push((failed, format!("cannot read folder: {error}")));
            }
        }
    }
    for (link, target) in escapes {
        let reason = format!(
            "symlink leads out of the input folder {}: {} -> {} (not followed)",
            display_path(&canonical_root),
            display_path(&link),
            display_path(&target)
        );
        failures.push((link, reason));
    }
    found.sort();
    // A file reachable through a link inside the folder too is ingested once.
    let mut seen = std::collections::HashSet::new();
    found.retain(|file| seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone())));
    (found, failures)
}

/// The identity under which a file's page is stored: its canonical path,
/// rendered by [`display_path`].
pub fn source_path_of(path: &Path) -> String {
    display_path(&std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Renders a path as text without losing information: bytes that are not
/// UTF-8 become `\xNN` and a backslash becomes `\\`, so two different paths
/// never render the same (a lossy U+FFFD would make them collide).
pub fn display_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_bytes(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// Renders bytes as UTF-8 text with `\xNN` escapes for invalid bytes and `\\` for backslashes.
fn escape_bytes(bytes: &[u8]) -> String {
    let mut rendered = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                rendered.push_str("\\\\");
            } else {
                rendered.push(c);
            }
        }
        for byte in chunk.invalid() {
            rendered.push_str(&format!("\\x{byte:02X}"));
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_invalid_bytes_and_backslashes_so_names_stay_distinct() {
        assert_eq!(escape_bytes("山西日报/1 版.txt".as_bytes()), "山西日报/1 版.txt");
        assert_eq!(escape_bytes(b"a\xff\xfe.txt"), "a\\xFF\\xFE.txt");
        assert_eq!(escape_bytes(b"a\\xFF.txt"), "a\\\\xFF.txt");
        assert_ne!(escape_bytes(b"a\xff.txt"), escape_bytes(b"a\\xFF.txt"));
        assert_ne!(escape_bytes(b"a\xff.txt"), escape_bytes(b"a\xfe.txt"));
    }
}
