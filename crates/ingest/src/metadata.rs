//! Page metadata (paper, issue date, page number): from command-line flags,
//! from a `pages.tsv` manifest beside the files, or from the path convention
//! `<paper>/<YYYY-MM-DD>/<page>.txt`.

use std::path::Path;

use chrono::NaiveDate;

/// What is known about a page besides its text.
/// Name of the optional manifest file in a folder of page files.
pub const MANIFEST: &str = "pages.tsv";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMetadata {
    pub paper: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub page_number: Option<i32>,
}

impl PageMetadata {
    /// Reads metadata from the path convention `<paper>/<YYYY-MM-DD>/<page>.<ext>`;
    /// parts that do not match are left unknown (all or nothing for paper and date).
    pub fn from_path(path: &Path) -> Self {
        if let Some(listed) = Self::from_manifest(path) {
            return listed;
        }
        let mut metadata = PageMetadata::default();
        let page_number = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .and_then(|stem| stem.parse::<i32>().ok())
            .filter(|page| *page > 0);
        let date_dir = path.parent();
        let issue_date = date_dir
            .and_then(|dir| dir.file_name())
            .and_then(|name| name.to_str())
            .and_then(|name| NaiveDate::parse_from_str(name, "%Y-%m-%d").ok());
        let paper = date_dir
            .and_then(Path::parent)
            .and_then(|dir| dir.file_name())
            .and_then(|name| name.to_str())
            .filter(|name| !name.is_empty())
            .map(str::to_string);
        if let (Some(page_number), Some(issue_date), Some(paper)) = (page_number, issue_date, paper) {
            metadata.page_number = Some(page_number);
            metadata.issue_date = Some(issue_date);
            metadata.paper = Some(paper);
        }
        metadata
    }

    /// Fills unknown fields from `fallback`; fields set here win.
    /// Metadata listed for this file in a `pages.tsv` manifest beside it:
    /// tab-separated `file`, `paper`, `issue_date` (YYYY-MM-DD), `page`, one
    /// line per file, `#` comments; empty cells are unknown. For archives
    /// whose file names do not follow the path convention.
    pub fn from_manifest(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let manifest = std::fs::read_to_string(path.parent()?.join(MANIFEST)).ok()?;
        manifest.lines().filter(|line| !line.trim_start().starts_with('#')).find_map(|line| {
            let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
            if cells.first() != Some(&name) {
                return None;
            }
            let cell = |index: usize| cells.get(index).copied().filter(|value| !value.is_empty());
            Some(PageMetadata {
                paper: cell(1).map(str::to_string),
                issue_date: cell(2).and_then(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()),
                page_number: cell(3).and_then(|page| page.parse().ok()).filter(|page: &i32| *page > 0),
            })
        })
    }

    pub fn or(self, fallback: PageMetadata) -> PageMetadata {
        PageMetadata {
            paper: self.paper.or(fallback.paper),
            issue_date: self.issue_date.or(fallback.issue_date),
            page_number: self.page_number.or(fallback.page_number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_beside_the_files_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST),
            "# file\tpaper\tissue_date\tpage\na.txt\t山西日报\t2021-04-09\t1\nb.txt\t\tnot-a-date\t\n",
        )
        .unwrap();
        let listed = PageMetadata::from_path(&dir.path().join("a.txt"));
        assert_eq!(listed.paper.as_deref(), Some("山西日报"));
        assert_eq!(listed.issue_date, NaiveDate::from_ymd_opt(2021, 4, 9));
        assert_eq!(listed.page_number, Some(1));
        assert_eq!(PageMetadata::from_path(&dir.path().join("b.txt")), PageMetadata::default());
        assert_eq!(PageMetadata::from_path(&dir.path().join("c.txt")), PageMetadata::default());
    }

    #[test]
    fn reads_the_path_convention() {
        let metadata = PageMetadata::from_path(Path::new("/archive/山西日报/2021-04-09/01.txt"));
        assert_eq!(metadata.paper.as_deref(), Some("山西日报"));
        assert_eq!(metadata.issue_date, NaiveDate::from_ymd_opt(2021, 4, 9));
        assert_eq!(metadata.page_number, Some(1));
    }

    #[test]
    fn leaves_other_paths_unknown_and_flags_win() {
        assert_eq!(PageMetadata::from_path(Path::new("seeds/000_d426e6b5030342b4.txt")), PageMetadata::default());
        let flags = PageMetadata { paper: Some("晋中日报".into()), ..Default::default() };
        let merged = flags.or(PageMetadata::from_path(Path::new("x/2021-02-04/3.txt")));
        assert_eq!(merged.paper.as_deref(), Some("晋中日报"));
        assert_eq!(merged.issue_date, NaiveDate::from_ymd_opt(2021, 2, 4));
    }
}
