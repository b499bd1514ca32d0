//! Page metadata (paper, issue date, page number): from command-line flags,
//! or from the path convention `<paper>/<YYYY-MM-DD>/<page>.txt`.

use std::path::Path;

use chrono::NaiveDate;

/// What is known about a page besides its text.
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
